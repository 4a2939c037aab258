//! The repository stands on its own: a reader of the public repository can follow every reference. Nothing outside
//! `docs/` points to files beside the checkout, and every relative link of the Markdown pages leads to a file that
//! exists.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every text file of the project: sources, manifests, pages, scripts, the template. Build output, the tool
/// folder and git's own are not the project's.
fn project_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "target" | ".venv" | ".venv-sam" | ".git" | ".aws-sam" | "node_modules" | ".local"
            ) {
                project_files(&path, out);
            }
        } else {
            let text_kind = ["rs", "md", "toml", "yaml", "yml", "sh", "py", "json", "txt"]
                .iter()
                .any(|e| name.ends_with(&format!(".{e}")));
            if text_kind || name == "Makefile" || name == "run" {
                out.push(path);
            }
        }
    }
}

#[test]
fn nothing_outside_docs_refers_to_files_beside_the_checkout() {
    // Spelled in pieces so that this file does not match itself: the folder beside the checkout, and the notes and
    // samples it held.
    let outside = [
        ["..", "/shared"].concat(),
        ["reference", "/"].concat(),
        ["local", "-tooling.md"].concat(),
        ["product", "-scope.md"].concat(),
        ["focus", "-api.md"].concat(),
        ["octopus", "-api.md"].concat(),
    ];
    let root = root();
    let mut files = Vec::new();
    project_files(&root, &mut files);
    assert!(files.len() > 50, "the walk found only {} files", files.len());
    let mut found = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap_or(file);
        if relative.starts_with("docs") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            if outside.iter().any(|o| line.contains(o.as_str())) {
                found.push(format!("{}:{}: {}", relative.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "these lines point outside the repository; write what a user needs in docs/ instead:\n{}",
        found.join("\n")
    );
}

/// `[text](target)` links of a Markdown page that point into the repository (not to the web, not to an anchor only).
fn relative_links(markdown: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut rest = markdown;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        let target = after[..end].split('#').next().unwrap_or_default().trim();
        if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
            links.push(target.to_owned());
        }
        rest = &after[end..];
    }
    links
}

#[test]
fn every_relative_link_of_the_pages_leads_to_a_file_of_the_repository() {
    let root = root();
    let pages = [
        "README.md",
        "RELIABILITY.md",
        "BENCHMARKS.md",
        "docs/DESIGN.md",
        "docs/partners/focus.md",
        "docs/partners/octopus.md",
        "docs/partners/octopus/SOURCE.md",
    ];
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages {
        let path = root.join(page);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{page} is missing: {e}"));
        let dir = path.parent().expect("a folder");
        for link in relative_links(&text) {
            checked += 1;
            if !dir.join(&link).exists() {
                broken.push(format!("{page}: {link}"));
            }
        }
    }
    assert!(checked > 5, "only {checked} links were checked");
    assert!(broken.is_empty(), "links to nothing:\n{}", broken.join("\n"));
}

#[test]
fn the_official_octopus_document_is_vendored_with_its_source() {
    let dir = root().join("docs/partners/octopus");
    let document = std::fs::read_to_string(dir.join("octopus_openapi_v51.9.17.json"))
        .expect("the official Octopus OpenAPI document is in docs/partners/octopus/");
    let source = std::fs::read_to_string(dir.join("SOURCE.md")).expect("its SOURCE.md");
    let parsed: serde_json::Value = serde_json::from_str(&document).expect("it is JSON");
    assert_eq!(parsed["info"]["title"], "Octopus Rest API");
    assert!(
        source.contains("v51.9.17") && source.contains("https://"),
        "SOURCE.md names the version and the source"
    );
}
