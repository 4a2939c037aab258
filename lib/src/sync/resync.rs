//! `resync`: documents handed back to the poster through the same queue, after a person fixed what parked them:
//! every `failed` document, every booked document since a date, or named documents.

use chrono::NaiveDate;
use serde::Serialize;

use super::error::SyncError;
use super::messages::{DocumentMessage, Trigger, enqueue};
use super::services::Deployment;
use crate::domain::Code;
use crate::domain::{ConnectionId, DocumentKind, DocumentRef, DocumentState};
use crate::focus::{CreditNoteFilter, InvoiceFilter, InvoiceStatus};
use crate::store::DocumentUpdate;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Resynced {
    pub enqueued: Vec<String>,
}

/// What to hand back.
#[derive(Debug, Clone)]
pub enum ResyncScope {
    Failed,
    Since(NaiveDate),
    Documents(Vec<DocumentRef>),
}

pub async fn resync(
    deployment: &Deployment,
    conn: &ConnectionId,
    scope: ResyncScope,
    progress: &dyn super::progress::Progress,
) -> Result<Resynced, SyncError> {
    let now = deployment.clock.now();
    let documents = deployment.store.documents();
    let targets: Vec<DocumentRef> = match scope {
        ResyncScope::Failed => documents
            .list(conn)
            .await?
            .into_iter()
            .filter(|r| r.state == DocumentState::Failed)
            .map(|r| r.document)
            .collect(),
        ResyncScope::Documents(docs) => {
            // Named by a person: each must be a document Focus knows (a typo would otherwise wait for ever).
            let connection = deployment.connection(conn).await?;
            for doc in &docs {
                let known = match doc.kind {
                    DocumentKind::Invoice => connection.focus.invoice(&doc.id).await.map(drop),
                    DocumentKind::CreditNote => connection.focus.credit_note(&doc.id).await.map(drop),
                };
                match known {
                    Ok(()) => {}
                    Err(crate::focus::FocusError::NotFound { .. }) => {
                        return Err(SyncError::permanent(
                            Code::NOT_FOUND,
                            format!(
                                "Focus does not know {doc}; nothing was resynced. Check the id in Focus (`focus-octopus \
                                 status` lists the documents the sync knows, as the commands take them)."
                            ),
                        ));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            docs
        }
        ResyncScope::Since(date) => {
            let connection = deployment.connection(conn).await?;
            let config = connection.settings(&deployment.store, now).await?;
            let department = Some(config.focus_department_id.clone());
            let invoices = connection
                .focus
                .invoices(&InvoiceFilter {
                    department_id: department.clone(),
                    status: vec![InvoiceStatus::Outstanding, InvoiceStatus::Matched],
                    invoice_date_after: Some(date),
                    ..Default::default()
                })
                .await?;
            let credit_notes = connection
                .focus
                .credit_notes(&CreditNoteFilter {
                    department_id: department,
                    ..Default::default()
                })
                .await?;
            invoices
                .into_iter()
                .filter_map(|i| DocumentRef::new(DocumentKind::Invoice, i.id).ok())
                .chain(
                    credit_notes
                        .into_iter()
                        .filter(|c| c.credit_note_date.is_some_and(|d| d >= date))
                        .filter_map(|c| DocumentRef::new(DocumentKind::CreditNote, c.id).ok()),
                )
                .collect()
        }
    };
    let mut resynced = Resynced::default();
    let mut handing_back = super::progress::Stage::start(progress, "documents handed to the poster", targets.len());
    for document in targets {
        // A parked or skipped document becomes pending again, so the poster starts it afresh.
        if let Some(record) = documents.get(conn, &document).await?
            && matches!(record.state, DocumentState::Failed | DocumentState::Skipped)
        {
            documents
                .transition(conn, &document, DocumentUpdate::Resync, now)
                .await?;
        }
        let message = DocumentMessage {
            connection: conn.clone(),
            document: document.clone(),
            trigger: Trigger::Resync,
        };
        enqueue(deployment, &message, now).await?;
        resynced.enqueued.push(document.to_string());
        handing_back.step();
    }
    handing_back.end();
    Ok(resynced)
}
