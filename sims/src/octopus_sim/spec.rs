//! The official Octopus OpenAPI document (vendored in `docs/partners/octopus/`), read by the simulator for the daily
//! limit of every operation: the simulator decides what "over the limit" means from the partner's own words, never
//! from the client's table.

use std::sync::OnceLock;

use serde_json::Value;

/// The vendored document, compiled in: without the file the simulator does not build.
const DOCUMENT: &str = include_str!("../../../docs/partners/octopus/octopus_openapi_v51.9.17.json");

/// The daily limit an operation's description prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailyLimit {
    /// The description states no limit (login, whoami, version).
    None,
    PerDay(u32),
    /// `getRelations`: one limit without search parameters, another with them.
    BySearch {
        without: u32,
        with: u32,
    },
}

#[derive(Debug, Clone)]
pub struct SpecOperation {
    pub method: String,
    pub path: String,
    pub operation_id: String,
    pub limit: DailyLimit,
}

#[derive(Debug)]
pub struct Spec {
    pub version: String,
    pub operations: Vec<SpecOperation>,
}

/// The parsed document (once per process).
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| Spec::parse(DOCUMENT).expect("the vendored Octopus OpenAPI document parses"))
}

impl Spec {
    fn parse(text: &str) -> Result<Self, String> {
        let document: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let paths = document["paths"].as_object().ok_or("no paths")?;
        let mut operations = Vec::new();
        for (path, methods) in paths {
            let methods = methods.as_object().ok_or("a path without methods")?;
            for (method, operation) in methods {
                let Some(operation_id) = operation["operationId"].as_str() else {
                    continue;
                };
                let description = operation["description"].as_str().unwrap_or_default();
                operations.push(SpecOperation {
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    operation_id: operation_id.to_owned(),
                    limit: limit_in(description).map_err(|e| format!("{operation_id}: {e}"))?,
                });
            }
        }
        let version = document["info"]["version"].as_str().unwrap_or_default().to_owned();
        Ok(Self { version, operations })
    }

    /// The operation a request is, by method and path (`{…}` segments match anything; where two paths match, the
    /// one with more literal segments wins, as `journals/V/{n}` over `journals/{journalKey}`).
    pub fn find(&self, method: &str, path: &str) -> Option<&SpecOperation> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.operations
            .iter()
            .filter(|o| o.method.eq_ignore_ascii_case(method))
            .filter_map(|o| {
                let template: Vec<&str> = o.path.trim_matches('/').split('/').collect();
                if template.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (t, s) in template.iter().zip(&segments) {
                    if t.starts_with('{') && t.ends_with('}') {
                        continue;
                    }
                    if t != s {
                        return None;
                    }
                    literal += 1;
                }
                Some((literal, o))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, o)| o)
    }

    pub fn by_id(&self, operation_id: &str) -> Option<&SpecOperation> {
        self.operations.iter().find(|o| o.operation_id == operation_id)
    }
}

/// Reads "Maximum allowed calls per day: N" (or the two-limit form of `getRelations`) from a description.
fn limit_in(description: &str) -> Result<DailyLimit, String> {
    const MARK: &str = "Maximum allowed calls per day:";
    let Some(at) = description.find(MARK) else {
        return Ok(DailyLimit::None);
    };
    let rest = &description[at + MARK.len()..];
    let text = strip_tags(rest);
    let number_after = |label: &str| -> Option<u32> {
        let after = &text[text.find(label)? + label.len()..];
        let digits: String = after
            .trim_start_matches([':', ' '])
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    if let (Some(without), Some(with)) = (
        number_after("without search parameters"),
        number_after("with search parameters"),
    ) {
        return Ok(DailyLimit::BySearch { without, with });
    }
    let digits: String = text.trim_start().chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .map(DailyLimit::PerDay)
        .map_err(|_| format!("no number after {MARK:?} in {rest:?}"))
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_read_in_both_printed_forms() {
        assert_eq!(
            limit_in("Create.<BR><BR>Maximum allowed calls per day: 400").unwrap(),
            DailyLimit::PerDay(400)
        );
        assert_eq!(
            limit_in(
                "Relations.<BR><BR>Maximum allowed calls per day: <li> without search parameters:2</li><li> with search parameters:400</li>"
            )
            .unwrap(),
            DailyLimit::BySearch { without: 2, with: 400 }
        );
        assert_eq!(limit_in("Whoami").unwrap(), DailyLimit::None);
        assert!(limit_in("Maximum allowed calls per day: many").is_err());
    }

    #[test]
    fn the_vendored_document_is_build_51_9_17_with_103_operations() {
        let spec = spec();
        assert_eq!(spec.operations.len(), 103);
        assert_eq!(
            spec.find("POST", "/dossiers/7/buysellbookings").unwrap().limit,
            DailyLimit::PerDay(400)
        );
        assert_eq!(
            spec.find("GET", "/dossiers/7/bookyears/1/journals/V/1")
                .unwrap()
                .operation_id,
            "getSellJournal"
        );
    }
}
