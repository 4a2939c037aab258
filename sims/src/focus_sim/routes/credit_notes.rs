//! `creditNotes`: listed and read (`.info` as an array when the account answers so, as seen live).

use serde_json::json;

use super::documents::{document_json, list_documents};
use super::{Action, data, error};
use crate::focus_sim::state::DocKind;

pub(super) fn actions() -> Vec<(&'static str, Action)> {
    vec![
        ("creditNotes.list", |s, body| {
            list_documents(s, DocKind::CreditNote, body)
        }),
        ("creditNotes.info", |s, body| {
            match body["id"].as_str().and_then(|id| s.document(id)) {
                Some(d) if d.kind == DocKind::CreditNote => {
                    let v = document_json(s, d, true);
                    data(if s.credit_note_info_as_array { json!([v]) } else { v })
                }
                _ => error(404, "Credit note not found"),
            }
        }),
    ]
}
