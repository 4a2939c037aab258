//! The README stays true to the code: every error code the library can produce ([`Code::ALL`]) is a row of its
//! troubleshooting table, every code-shaped text in the library is a code or a documented variable, and the library
//! tells codes apart by variant, never by their text. (Its `focus-octopus` commands are run in order by `cargo test -p focus-octopus-cli`, its onboarding by
//! `make demo`.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use focus_octopus::domain::Code;

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

/// String literals that look like codes or variables (`"OCTOPUS_JOURNAL_LOCKED"`), outside `env!(…)`.
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

/// What is left of code-shaped texts once the codes are variants: the environment variables, documented in the
/// configuration table (and any code someone wrote as text, which then has to be explained too).
#[test]
fn every_code_shaped_text_in_the_library_is_explained_in_the_readme() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("the README");
    let mut files = Vec::new();
    rust_files(&root.join("lib/src"), &mut files);
    let mut codes = BTreeSet::new();
    for file in files {
        codes.extend(code_literals(&std::fs::read_to_string(file).expect("a source file")));
    }
    assert!(codes.contains("TABLE_NAME"), "the scan missed the variables: {codes:?}");
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

/// The codes the rows of the README's troubleshooting section name in their first cell (one or more, in backticks).
fn troubleshooting_rows(readme: &str) -> BTreeSet<String> {
    let start = readme
        .find("## Troubleshooting")
        .expect("the README has a troubleshooting section");
    let section = &readme[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |e| e + 3);
    section[..end]
        .lines()
        .filter(|line| line.starts_with("| `"))
        .filter_map(|line| line[1..].split_once(" |").map(|(first, _)| first.to_owned()))
        .flat_map(|first| {
            first
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_code_is_a_row_of_the_troubleshooting_table_and_every_row_a_code() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("the README");
    let rows = troubleshooting_rows(&readme);
    assert!(rows.len() > 50, "the table has only {rows:?}");
    let codes: BTreeSet<String> = Code::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    let unexplained: Vec<&String> = codes.difference(&rows).collect();
    assert!(
        unexplained.is_empty(),
        "add a row to the README's troubleshooting table for {unexplained:?}"
    );
    // Rows for codes the library no longer has would send a bookkeeper looking for nothing; the CLI's own codes
    // (arguments, terminal) are the only others.
    let cli = std::fs::read_to_string(root.join("cli/src/main.rs")).expect("the CLI's source");
    let stale: Vec<&String> = rows
        .difference(&codes)
        .filter(|row| !cli.contains(&format!("\"{row}\"")))
        .collect();
    assert!(
        stale.is_empty(),
        "the README explains codes nothing produces: {stale:?}"
    );
}

#[test]
fn the_library_matches_codes_by_variant_not_by_text() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&root.join("lib/src"), &mut files);
    assert!(files.len() > 50, "the scan found only {} files", files.len());
    let by_text: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let source = std::fs::read_to_string(file).expect("a source file");
            source
                .lines()
                .filter(|line| {
                    line.contains(".code() == \"") || line.contains("permanent(\"") || line.contains("transient(\"")
                })
                .map(|line| format!("{}: {}", file.display(), line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(by_text.is_empty(), "use Code::… instead of the text: {by_text:?}");
}
