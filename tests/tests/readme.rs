//! The README stays true to the code: every error code the library can produce is explained in its troubleshooting
//! table. (Its `focus-octopus` commands are run in order by `cargo test -p focus-octopus-cli`, its onboarding by
//! `make demo`.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// String literals that look like codes (`"OCTOPUS_JOURNAL_LOCKED"`), outside `env!(…)`.
fn code_literals(source: &str) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let bytes = source.as_bytes();
    let mut i = 0;
    while let Some(start) = source[i..].find('"').map(|p| p + i) {
        let end = match source[start + 1..].find('"') {
            Some(p) => start + 1 + p,
            None => break,
        };
        let text = &source[start + 1..end];
        let shaped = text.contains('_')
            && text.starts_with(|c: char| c.is_ascii_uppercase())
            && text
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        let in_env_macro = source[..start].ends_with("env!(");
        if shaped && !in_env_macro && bytes[start.saturating_sub(1)] != b'\\' {
            codes.insert(text.to_owned());
        }
        i = end + 1;
    }
    codes
}

#[test]
fn every_error_code_is_explained_in_the_readme() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("the README");
    let mut files = Vec::new();
    rust_files(&root.join("lib/src"), &mut files);
    let mut codes = BTreeSet::new();
    for file in files {
        codes.extend(code_literals(&std::fs::read_to_string(file).expect("a source file")));
    }
    assert!(codes.len() > 50, "the scan found only {codes:?}");
    // Environment variables are in the configuration table; codes in the troubleshooting table, as `| `CODE` |`.
    let missing: Vec<&String> = codes
        .iter()
        .filter(|code| !readme.contains(&format!("`{code}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "add these codes to the README's troubleshooting table (or the variables to its configuration table): {missing:?}"
    );
}
