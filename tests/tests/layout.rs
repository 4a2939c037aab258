//! The library's shape holds as the code grows (docs/DESIGN.md §2): no source file of `lib/` over 450 lines, no
//! circle of imports between its modules, and the use cases in `sync/` free of Lambda's event types (the functions'
//! entry points translate those).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 450;

fn lib_src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lib/src")
}

/// Every `.rs` file below `dir` with its module path (`sync::push_document`; `mod.rs` and `lib.rs` name their folder).
fn modules(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("a readable source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).expect("below the root").with_extension("");
                let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                    parts.pop();
                }
                out.insert(parts.join("::"), std::fs::read_to_string(&path).expect("a source file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    assert!(out.len() > 40, "the scan found only {:?}", out.keys());
    out
}

/// The source without comments and without its test module (tests may reach anywhere).
fn code(source: &str) -> String {
    let without_tests = source.split("#[cfg(test)]").next().unwrap_or_default();
    without_tests
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module a path (`super::journal::reserve`, `crate::store::Store`) names, seen from `from`: the longest prefix
/// that is a module of the crate.
fn target(from: &str, path: &str, known: &BTreeMap<String, String>) -> Option<String> {
    let segments: Vec<&str> = path.split("::").map(str::trim).collect();
    let mut base: Vec<&str> = if from.is_empty() {
        Vec::new()
    } else {
        from.split("::").collect()
    };
    let mut rest = &segments[..];
    match rest.first() {
        Some(&"crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some(&"self") => rest = &rest[1..],
        Some(&"super") => {
            while rest.first() == Some(&"super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    (1..=rest.len()).rev().find_map(|n| {
        let candidate = base.iter().chain(&rest[..n]).copied().collect::<Vec<_>>().join("::");
        known.contains_key(&candidate).then_some(candidate)
    })
}

/// Paths starting with `crate`, `super` or `self`, with each item of a `{…}` group as a path of its own.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let starts = ["crate::", "super::", "self::"];
    let mut i = 0;
    while i < code.len() {
        let here = &code[i..];
        let boundary =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':');
        if boundary && starts.iter().any(|s| here.starts_with(s)) {
            let end = here
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(here.len());
            let prefix = here[..end].trim_end_matches(':');
            if here[end..].starts_with('{') {
                let close = here[end..].find('}').map_or(here.len(), |p| end + p);
                for item in here[end + 1..close].split(',') {
                    let item = item.split(" as ").next().unwrap_or_default().trim();
                    if !item.is_empty() && item != "self" && !item.contains('{') {
                        out.push(format!("{prefix}::{item}"));
                    }
                }
            }
            out.push(prefix.to_owned());
            i += end.max(1);
        } else {
            i += here.chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// The modules each module imports, leaving out its own parents and children (a folder and its files).
fn imports(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    modules
        .iter()
        .map(|(name, source)| {
            let used = paths(&code(source))
                .iter()
                .filter_map(|p| target(name, p, modules))
                .filter(|t| t != name && !name.starts_with(&format!("{t}::")) && !t.starts_with(&format!("{name}::")))
                .collect();
            (name.clone(), used)
        })
        .collect()
}

/// Each group of modules that import one another, directly or round about.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    let reaches = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&String> = graph[from].iter().collect();
        while let Some(next) = todo.pop() {
            if seen.insert(next.clone()) {
                todo.extend(graph.get(next).into_iter().flatten());
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|m| (m, reaches(m))).collect();
    let mut groups: Vec<BTreeSet<String>> = Vec::new();
    for m in graph.keys() {
        if !reach[m].contains(m) || groups.iter().any(|g| g.contains(m)) {
            continue;
        }
        groups.push(
            graph
                .keys()
                .filter(|o| reach[m].contains(*o) && reach[*o].contains(m))
                .cloned()
                .collect(),
        );
    }
    groups
}

#[test]
fn no_source_file_of_the_library_is_over_450_lines() {
    let long: Vec<(String, usize)> = modules(&lib_src())
        .into_iter()
        .map(|(name, source)| (name, source.lines().count()))
        .filter(|(_, lines)| *lines > MAX_LINES)
        .collect();
    assert!(long.is_empty(), "split these by responsibility: {long:?}");
}

#[test]
fn no_module_of_the_library_imports_one_that_imports_it_back() {
    let modules = modules(&lib_src());
    let graph = imports(&modules);
    assert!(
        graph["sync::push_document"].contains("sync::journal"),
        "the scan sees imports: {:?}",
        graph["sync::push_document"]
    );
    let circles = circles(&graph);
    assert!(circles.is_empty(), "modules that import each other: {circles:?}");
}

#[test]
fn the_use_cases_know_nothing_of_lambda() {
    let lambda: Vec<String> = modules(&lib_src())
        .into_iter()
        .filter(|(name, source)| {
            name.starts_with("sync")
                && (code(source).contains("aws_lambda_events") || code(source).contains("lambda_runtime"))
        })
        .map(|(name, _)| name)
        .collect();
    assert!(
        lambda.is_empty(),
        "move the event translation to lib/src/lambda/: {lambda:?}"
    );
}

/// The checks above find what they look for: a circle made on purpose is found.
#[test]
fn a_circle_is_found_when_there_is_one() {
    let mut fake = BTreeMap::new();
    fake.insert("a".to_owned(), "use crate::b::B;".to_owned());
    fake.insert("b".to_owned(), "use super::{c::C, a};".to_owned());
    fake.insert("c".to_owned(), "fn x() { crate::a::f() }".to_owned());
    fake.insert("d".to_owned(), "use crate::a;".to_owned());
    let circles = circles(&imports(&fake));
    assert_eq!(circles.len(), 1, "{circles:?}");
    assert_eq!(
        circles[0].iter().map(String::as_str).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
}
