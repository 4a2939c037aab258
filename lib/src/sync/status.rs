//! `status` / `report`: where every document stands, the last runs, every document that needs a person (with its
//! reason and fix), and the Octopus calls left today.

use std::collections::BTreeMap;

use serde::Serialize;

use super::error::SyncError;
use super::services::Deployment;
use crate::domain::{Code, ConnectionId, DocumentState, PeppolState};
use crate::octopus::{DailyLimits, Operation, budget_day};
use crate::store::{DocumentRecord, RunReport};

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub connection: ConnectionId,
    /// Why the connection stopped as a whole, while it is stopped (docs/DESIGN.md §4.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<crate::store::Pause>,
    /// Documents per state.
    pub documents: BTreeMap<&'static str, u32>,
    /// `failed` and `needs_review` documents: what happened and what to do.
    pub attention: Vec<Attention>,
    /// Booked documents by Focus's Peppol delivery: sent, sending, failed, not sent.
    pub peppol: BTreeMap<&'static str, u32>,
    /// What concerns many documents at once, said once with its fix (bookings without their file).
    pub notices: Vec<Notice>,
    pub recent_runs: Vec<RunReport>,
    /// Octopus operation → calls left today.
    pub budgets_left: BTreeMap<&'static str, u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attention {
    /// As the commands take it: `invoice:<id>` / `credit_note:<id>`.
    pub document: String,
    /// Focus's number, once the poster has read the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub code: Code,
    pub message: String,
    pub fix: String,
}

/// The bookings that went into Octopus without their file, said once.
pub(super) fn files_missing(records: &[DocumentRecord]) -> Option<Notice> {
    let missing = records
        .iter()
        .filter(|r| r.file.as_ref().is_some_and(|f| !f.attached))
        .count();
    (missing > 0).then(|| Notice {
        code: Code::OCTOPUS_NO_DOCUMENT_STORAGE,
        message: format!(
            "{missing} booking(s) went into Octopus without their document's file: the dossier keeps no documents \
             (no document storage)."
        ),
        fix: "Enable document storage (DMS) for the dossier in Octopus, then run `focus-octopus attach --missing`."
            .into(),
    })
}

/// The documents whose Peppol delivery failed, said once with what to do.
fn peppol_failures(records: &[DocumentRecord]) -> Option<Notice> {
    let failed: Vec<String> = records
        .iter()
        .filter(|r| PeppolState::of(r.peppol.as_deref()) == PeppolState::Failed)
        .map(|r| r.number.clone().unwrap_or_else(|| r.document.argument()))
        .collect();
    (!failed.is_empty()).then(|| Notice {
        code: Code::FOCUS_PEPPOL_FAILED,
        message: format!(
            "Peppol could not deliver {} document(s): {}. They stay booked in Octopus as they are.",
            failed.len(),
            failed.join(", ")
        ),
        fix: "Correct each in Focus with a credit note and a new invoice; both are booked here by themselves.".into(),
    })
}

pub async fn status(deployment: &Deployment, conn: &ConnectionId) -> Result<Status, SyncError> {
    let store = &deployment.store;
    let config = store
        .connections()
        .get(conn)
        .await?
        .ok_or_else(|| super::services::unknown_connection(conn))?
        .value;
    let records = store.documents().list(conn).await?;
    let mut documents: BTreeMap<&'static str, u32> = DocumentState::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    let mut attention = Vec::new();
    let mut peppol: BTreeMap<&'static str, u32> = [
        PeppolState::Sent,
        PeppolState::Sending,
        PeppolState::Failed,
        PeppolState::NotSent,
    ]
    .iter()
    .map(|p| (p.as_str(), 0))
    .collect();
    for record in &records {
        if record.booking.is_some() {
            *peppol
                .entry(PeppolState::of(record.peppol.as_deref()).as_str())
                .or_default() += 1;
        }
        *documents.entry(record.state.as_str()).or_default() += 1;
        match record.state {
            DocumentState::Failed => attention.push(Attention {
                document: record.document.argument(),
                number: record.number.clone(),
                state: record.state.as_str(),
                code: record.last_error.as_ref().map(|e| e.code.clone()),
                reason: record
                    .last_error
                    .as_ref()
                    .map_or_else(String::new, |e| e.message.clone()),
            }),
            DocumentState::NeedsReview => attention.push(Attention {
                document: record.document.argument(),
                number: record.number.clone(),
                state: record.state.as_str(),
                code: None,
                reason: record.note.clone().unwrap_or_default(),
            }),
            _ => {}
        }
    }
    let limits = DailyLimits::with_overrides(config.options.octopus_daily_limits.clone());
    let day = budget_day(deployment.clock.now());
    let mut budgets_left = BTreeMap::new();
    for op in Operation::ALL {
        if let Some(limit) = limits.of(op) {
            let spent = store.budgets().spent(conn, op.budget_name(), day).await?;
            budgets_left.insert(op.budget_name(), limit.saturating_sub(spent));
        }
    }
    Ok(Status {
        connection: conn.clone(),
        paused: store.connections().paused(conn).await?,
        documents,
        attention,
        peppol,
        notices: files_missing(&records)
            .into_iter()
            .chain(peppol_failures(&records))
            .collect(),
        recent_runs: store.runs().recent(conn, 5).await?,
        budgets_left,
    })
}
