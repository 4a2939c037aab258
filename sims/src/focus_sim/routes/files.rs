//! `invoices.download` and `creditNotes.download`, and the host their temporary links point to. Focus documents a
//! temporary URL with an expiry; how long it lives it does not say — the simulator's last 5 minutes, and an expired
//! or unknown link answers 404. The file host is no API: fetching a file needs no token and does not count in the
//! sliding minute.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Duration;
use serde_json::{Value, json};

use super::{Action, Reply, data, error};
use crate::focus_sim::Shared;
use crate::focus_sim::state::{DocKind, FocusState};

/// How long a download link works.
pub const LINK_LIFETIME: Duration = Duration::minutes(5);

pub(super) fn actions() -> Vec<(&'static str, Action)> {
    vec![
        ("invoices.download", |s, body| download(s, body, DocKind::Invoice)),
        ("creditNotes.download", |s, body| download(s, body, DocKind::CreditNote)),
    ]
}

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/files/{token}", get(file))
}

fn download(s: &mut FocusState, body: &Value, kind: DocKind) -> Reply {
    let formats: &[&str] = match kind {
        DocKind::Invoice => &["pdf", "ubl/e-fff", "ubl/peppol_bis_3"],
        DocKind::CreditNote => &["pdf", "ubl/e-fff"],
    };
    let Some(format) = body["format"].as_str().filter(|f| formats.contains(f)) else {
        return error(400, &format!("format must be one of {}", formats.join(", ")));
    };
    let Some(id) = body["id"]
        .as_str()
        .filter(|id| s.document(id).is_some_and(|d| d.kind == kind && !d.deleted))
    else {
        return error(404, "Document not found");
    };
    let token = format!("file-{}", s.new_id());
    let expires = s.now() + LINK_LIFETIME;
    s.downloads
        .insert(token.clone(), (id.to_owned(), format.to_owned(), expires));
    data(json!({ "location": format!("{}/{token}", s.files_url), "expires": expires.to_rfc3339() }))
}

async fn file(State(shared): State<Arc<Shared>>, Path(token): Path<String>) -> Response {
    let s = shared.state.lock().unwrap();
    let found = s.downloads.get(&token).filter(|(_, _, expires)| *expires > s.now());
    let Some((id, format, _)) = found else {
        return (StatusCode::NOT_FOUND, "This link has expired.").into_response();
    };
    let number = s.document(id).and_then(|d| d.number.clone()).unwrap_or_default();
    let (content_type, mut bytes) = if format == "pdf" {
        (
            "application/pdf",
            format!("%PDF-1.4\n% Teamleader Focus (simulated) {number}\n").into_bytes(),
        )
    } else {
        (
            "application/xml",
            format!("<?xml version=\"1.0\"?><Invoice><ID>{number}</ID><Format>{format}</Format></Invoice>\n")
                .into_bytes(),
        )
    };
    bytes.extend(std::iter::repeat_n(b' ', s.file_padding));
    if format == "pdf" {
        bytes.extend_from_slice(b"%%EOF\n");
    }
    ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
}
