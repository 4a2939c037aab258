//! Answers for people: each command's answer as sentences and tables (`--json` prints the answer itself).
//! Tables are drawn by comfy-table, which measures cells in terminal columns (accented and wide characters count
//! right) and cuts a cell too long for its column with an ellipsis.

use comfy_table::{Cell, CellAlignment, ColumnConstraint, ContentArrangement, Row, Table, Width, presets};
use focus_octopus::store::RunReport;
use serde_json::Value;

/// The widest a table column gets; longer cells end in `…`.
const MAX_COLUMN: u16 = 60;

/// The answer of `action` for a person.
pub fn answer(action: &str, value: &Value) -> String {
    match action {
        "status" => status(value),
        "doctor" => doctor(value),
        "ping" => format!(
            "the stack answers (version {}); connections: {}",
            scalar(&value["version"]),
            list(&value["connections"])
        ),
        "connect" | "map" | "unmap" => changed(action, value),
        "connect-focus" => format!(
            "Open this link, sign in to Focus and approve (it works for {} minutes):\n{}\nThe receiver's callback \
             stores the authorisation; then `focus-octopus departments` lists what it sees.",
            scalar(&value["expires_in_minutes"]),
            scalar(&value["url"])
        ),
        "match-customers" => matched(value),
        "import-relations" => imported(value),
        "resync" => documents("handed to the poster (booked in the next minutes)", &value["enqueued"]),
        "reviewed" => documents("marked reviewed", &value["reviewed"]),
        "attach" => {
            let mut out = documents("now carry their file", &value["attached"]);
            out.push_str(&format!("\nstill without their file: {}", scalar(&value["left"])));
            if let Some(stopped) = value["stopped"].as_str() {
                out.push_str(&format!("\nstopped: {stopped}"));
            }
            out
        }
        "register-webhooks" => format!("Focus now calls the receiver for: {}", list(&value["registered"])),
        "unregister-webhooks" => format!(
            "Focus no longer calls the receiver for: {}",
            list(&value["unregistered"])
        ),
        _ => generic(value, 0),
    }
}

/// `status`: what needs a person first (documents per state, pause, attention), then runs, then budgets.
fn status(status: &Value) -> String {
    let mut out = Vec::new();
    out.push(format!("connection {}", scalar(&status["connection"])));
    if let Some(paused) = status.get("paused").filter(|p| !p.is_null()) {
        out.push(format!(
            "PAUSED since {}: {} {}",
            short_time(&paused["since"]),
            scalar(&paused["code"]),
            scalar(&paused["message"])
        ));
    }
    let documents = status["documents"].as_object().cloned().unwrap_or_default();
    let order = ["posted", "pending", "posting", "failed", "needs_review", "skipped"];
    let counts: Vec<String> = order
        .iter()
        .map(|state| format!("{state} {}", documents.get(*state).map_or("0".into(), scalar)))
        .collect();
    out.push(format!("documents: {}", counts.join(" · ")));
    let attention = status["attention"].as_array().cloned().unwrap_or_default();
    if attention.is_empty() {
        out.push("needs a person: nothing".into());
    } else {
        out.push(format!("needs a person ({}):", attention.len()));
        for a in &attention {
            let number = a["number"]
                .as_str()
                .map(|n| format!("  {}", focus_number(&a["document"], n)))
                .unwrap_or_default();
            out.push(format!(
                "  {}{number}  {}  {}\n    {}",
                scalar(&a["document"]),
                scalar(&a["state"]),
                a.get("code").map_or(String::new(), scalar),
                scalar(&a["reason"])
            ));
        }
    }
    for notice in status["notices"].as_array().into_iter().flatten() {
        out.push(format!(
            "notice {}: {}\n    {}",
            scalar(&notice["code"]),
            scalar(&notice["message"]),
            scalar(&notice["fix"])
        ));
    }
    if let Some(peppol) = status["peppol"].as_object() {
        let order = ["sent", "sending", "failed", "not_sent"];
        let counts: Vec<String> = order
            .iter()
            .map(|s| format!("{} {}", s.replace('_', " "), peppol.get(*s).map_or("0".into(), scalar)))
            .collect();
        out.push(format!("Peppol (booked documents): {}", counts.join(" · ")));
    }
    let runs: Vec<RunReport> = serde_json::from_value(status["recent_runs"].clone()).unwrap_or_default();
    if !runs.is_empty() {
        out.push("recent runs:".into());
        for run in &runs {
            out.extend(run.lines().into_iter().map(|l| format!("  {l}")));
        }
    }
    if let Some(budgets) = status["budgets_left"].as_object() {
        let left: Vec<String> = budgets.iter().map(|(op, n)| format!("{op} {}", scalar(n))).collect();
        out.push(format!("Octopus calls left today: {}", left.join(", ")));
    }
    out.join("\n")
}

/// A Focus number as people say it, not as a fraction: `invoice 2026/201`.
fn focus_number(document: &Value, number: &str) -> String {
    let kind = match document.as_str().and_then(|d| d.split_once(':')) {
        Some(("credit_note", _)) => "credit note",
        _ => "invoice",
    };
    format!("{kind} {}", number.replace(' ', ""))
}

/// `doctor`: one line per check, the detail and the fix in full (never cut mid-word).
fn doctor(diagnosis: &Value) -> String {
    let mut out = Vec::new();
    for check in diagnosis["checks"].as_array().into_iter().flatten() {
        let ok = check["ok"] == Value::Bool(true);
        out.push(format!(
            "{}  {} · {}",
            if ok { "ok  " } else { "FAIL" },
            scalar(&check["name"]),
            scalar(&check["detail"])
        ));
        if let Some(fix) = check.get("fix").filter(|f| !f.is_null()) {
            out.push(format!("      fix: {}", scalar(fix)));
        }
    }
    out.push(if diagnosis["ok"] == Value::Bool(true) {
        "doctor: every check passed".into()
    } else {
        "doctor: some checks failed (see fix)".into()
    });
    out.join("\n")
}

/// `connect`, `map`, `unmap`: what changed, line by line, then the mapping in short.
fn changed(action: &str, value: &Value) -> String {
    let mut out: Vec<String> = value["changed"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| format!("  {}", scalar(c)))
        .collect();
    out.insert(
        0,
        match action {
            "connect" => "connection settings stored:".to_owned(),
            _ => "mapping stored:".to_owned(),
        },
    );
    if action != "connect" {
        let count = |key: &str| value[key].as_object().map_or(0, |m| m.len());
        out.push(format!(
            "now: {} tax rates with a VAT code, {} with a ledger of their own, default ledger {} \
             (`focus-octopus map-suggestions` shows them all)",
            count("vat_codes"),
            count("ledger_by_tax_rate"),
            scalar(&value["default_ledger_account"])
        ));
    }
    out.join("\n")
}

/// A heading, then each count right-aligned before what it counts.
fn counts(heading: &str, report: &Value, rows: &[(&str, String)]) -> Vec<String> {
    let mut out = vec![heading.to_owned()];
    out.extend(
        rows.iter()
            .map(|(key, what)| format!("  {:>5}  {what}", scalar(&report[*key]))),
    );
    out
}

/// `match-customers`: counts with what each means, then the pairs a person decides.
fn matched(report: &Value) -> String {
    let applied = report["applied"] == Value::Bool(true);
    let heading = if applied {
        "links stored:"
    } else {
        "dry run, nothing stored (`focus-octopus match-customers --apply` stores these links):"
    };
    let linked = if applied { "linked" } else { "would be linked" };
    let mut out = counts(
        heading,
        report,
        &[
            (
                "linked",
                format!("Focus customers {linked} to the dossier's existing relations"),
            ),
            ("already_linked", "already linked".into()),
            (
                "would_be_created_on_next_sync",
                "get a new Octopus relation with their first booked document".into(),
            ),
            ("ambiguous", "ambiguous: more than one relation fits; left alone".into()),
        ],
    );
    if let Some(pairs) = report["ambiguous_pairs"].as_array().filter(|p| !p.is_empty()) {
        out.push("ambiguous customers and the relations they could be:".into());
        out.push(table(pairs, "  "));
    }
    out.join("\n")
}

/// `import-relations`: what was (or would be) created and linked.
fn imported(report: &Value) -> String {
    let dry = report["dry_run"] == Value::Bool(true);
    let heading = if dry {
        "dry run, nothing created (`focus-octopus import-relations` imports them):"
    } else {
        "imported:"
    };
    let (created, linked) = if dry {
        ("would be created", "would be linked")
    } else {
        ("created", "linked")
    };
    counts(
        heading,
        report,
        &[
            (
                "created",
                format!("Focus companies {created} (tagged \"Octopus Import\")"),
            ),
            (
                "linked_to_existing",
                format!("relations {linked} to the Focus customer they already are"),
            ),
            ("already_linked", "already linked".into()),
            (
                "ambiguous",
                "ambiguous: more than one Focus customer fits; left alone".into(),
            ),
        ],
    )
    .join("\n")
}

/// A list of documents under a heading, the first 20 of a long one.
fn documents(what: &str, documents: &Value) -> String {
    let all: Vec<String> = documents.as_array().into_iter().flatten().map(scalar).collect();
    let mut out = vec![format!("{} documents {what}", all.len())];
    out.extend(all.iter().take(20).map(|d| format!("  {d}")));
    if all.len() > 20 {
        out.push(format!("  … and {} more (`--json` lists them all)", all.len() - 20));
    }
    out.join("\n")
}

/// Any other answer: lists of records as tables, records as `key: value` lines.
fn generic(value: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::Object(_) | Value::Array(_) if !is_empty(v) => format!("{pad}{k}:\n{}", generic(v, indent + 2)),
                _ => format!("{pad}{k}: {}", scalar(v)),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => table(items, &pad),
        Value::Array(items) => items
            .iter()
            .map(|v| format!("{pad}- {}", scalar(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("{pad}{}", scalar(other)),
    }
}

/// Records as a borderless table: a header of the keys, one line per record, columns two spaces apart, at most
/// [`MAX_COLUMN`] terminal columns wide (a longer cell is cut with `…`), numbers right-aligned.
fn table(rows: &[Value], pad: &str) -> String {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        for k in row.as_object().into_iter().flat_map(|o| o.keys()) {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_truncation_indicator("…")
        .set_header(columns.iter().map(String::as_str));
    let numeric: Vec<bool> = columns
        .iter()
        .map(|c| rows.iter().all(|r| r[c.as_str()].is_number()))
        .collect();
    for row in rows {
        let mut line = Row::from(columns.iter().zip(&numeric).map(|(c, numeric)| {
            let cell = Cell::new(scalar(&row[c.as_str()]).replace('\n', " "));
            if *numeric {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        }));
        line.max_height(1);
        table.add_row(line);
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
        column.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(MAX_COLUMN)));
    }
    table
        .lines()
        .map(|l| format!("{pad}{}", l.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An RFC 3339 time to the second, in UTC (`2026-03-02 09:00:00`).
fn short_time(v: &Value) -> String {
    v.as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(|| scalar(v), |t| t.to_utc().format("%Y-%m-%d %H:%M:%S").to_string())
}

fn list(v: &Value) -> String {
    match v.as_array() {
        Some(items) if !items.is_empty() => items.iter().map(scalar).collect::<Vec<_>>().join(", "),
        _ => "(none)".into(),
    }
}

fn is_empty(v: &Value) -> bool {
    matches!(v, Value::Array(a) if a.is_empty()) || matches!(v, Value::Object(o) if o.is_empty())
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        Value::Array(a) if a.is_empty() => "(none)".into(),
        Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_table_measures_accented_and_wide_names_in_terminal_columns() {
        let rows = [
            json!({"id": 1, "name": "Bakkerij Peeters BV"}),
            json!({"id": 22, "name": "Crème Brûlée SPRL"}),
            json!({"id": 333, "name": "東京商事"}),
        ];
        let text = table(&rows, "");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "id   name");
        assert_eq!(lines[1], "  1  Bakkerij Peeters BV");
        assert_eq!(lines[2], " 22  Crème Brûlée SPRL");
        assert_eq!(lines[3], "333  東京商事");
    }

    #[test]
    fn a_cell_too_long_for_its_column_ends_in_an_ellipsis() {
        let long = "Brouwerij en Bierhandel De Gekroonde Hoofden van Oud-Vlaanderen BV (Gent)";
        let text = table(&[json!({"name": long, "id": 7})], "");
        let row = text.lines().nth(1).unwrap();
        assert!(row.contains('…'), "{row}");
        assert!(!row.contains("(Gent)"), "{row}");
        assert!(row.starts_with(" 7  Brouwerij"), "the column before it stays: {row}");
    }

    #[test]
    fn a_focus_number_reads_as_a_number_not_a_fraction() {
        assert_eq!(focus_number(&json!("invoice:abc"), "2026 / 201"), "invoice 2026/201");
        assert_eq!(
            focus_number(&json!("credit_note:abc"), "2026 / 3"),
            "credit note 2026/3"
        );
    }

    #[test]
    fn a_dry_run_says_nothing_was_stored_and_names_the_command_that_stores() {
        let text = answer(
            "match-customers",
            &json!({"linked": 8, "already_linked": 0, "would_be_created_on_next_sync": 12, "ambiguous": 1,
                    "ambiguous_pairs": [{"focus": "company:1", "focus_name": "Acme", "octopus": ["7 Acme BV", "9 Acme NV"]}],
                    "applied": false}),
        );
        assert!(
            text.starts_with("dry run, nothing stored (`focus-octopus match-customers --apply`"),
            "{text}"
        );
        assert!(text.contains("    8  Focus customers would be linked"), "{text}");
        assert!(text.contains("7 Acme BV, 9 Acme NV"), "{text}");
    }
}
