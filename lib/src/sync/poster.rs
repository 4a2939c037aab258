//! The document poster's batch: records in queue order, one [`push_document`] each. A transient failure reports
//! the record **and every later record of its message group** as failed, so SQS redelivers them in order and a
//! journal's numbering follows Focus's order; other groups go on. Permanent problems are parked on the document
//! (acknowledged) and listed in the run report.

use std::collections::{BTreeMap, HashSet};

use super::focus_payment::book_focus_payment;
use super::messages::DocumentMessage;
use super::push_document::{PushOutcome, push_document};
use super::services::Deployment;
use crate::domain::{ConnectionId, Failure};
use crate::store::{RunFailure, RunKind, RunReport};

/// One message of a batch, in queue order, as the queue delivered it.
#[derive(Debug, Clone)]
pub struct Queued {
    pub id: String,
    /// Its message group (`MessageGroupId`).
    pub group: String,
    pub body: String,
}

/// Handles one batch; the answer lists the ids of the messages the queue must deliver again.
pub async fn post_batch(deployment: &Deployment, batch: &[Queued]) -> Vec<String> {
    let started = deployment.clock.now();
    let mut response: Vec<String> = Vec::new();
    let mut failed_groups: HashSet<String> = HashSet::new();
    let mut reports: BTreeMap<ConnectionId, RunReport> = BTreeMap::new();
    for record in batch {
        let id = record.id.clone();
        let group = record.group.clone();
        let keep = |response: &mut Vec<String>| response.push(id.clone());
        let message: DocumentMessage = match serde_json::from_str(&record.body) {
            Ok(m) => m,
            _ => {
                // Not ours and never will be: processing it again cannot help.
                tracing::error!(message_id = %id, "a queue message that is not a document message was dropped");
                continue;
            }
        };
        if failed_groups.contains(&group) {
            // Kept unread behind an earlier record of its group. Its record is made sure of (awaiting posting), so
            // that if SQS gives up on the message (dead-letter queue after five receives, which a blocked group
            // reaches without the document ever being tried), the sweep still knows the document and brings it back.
            // Found by the chaos run.
            if !message.is_payment()
                && let Err(e) = deployment
                    .store
                    .documents()
                    .ensure(&message.connection, &message.document, deployment.clock.now())
                    .await
            {
                tracing::warn!(connection = %message.connection, document = %message.document,
                    "record of a waiting document not written: {e}");
            }
            keep(&mut response);
            continue;
        }
        let report = reports.entry(message.connection.clone()).or_insert_with(|| RunReport {
            id: uuid::Uuid::new_v4().to_string(),
            kind: RunKind::Push,
            started_at: started,
            finished_at: None,
            attempted: 0,
            done: 0,
            skipped: 0,
            failed: Vec::new(),
            notes: Vec::new(),
        });
        report.attempted += 1;
        let outcome = if message.is_payment() {
            book_focus_payment(deployment, &message).await
        } else {
            push_document(deployment, &message).await
        };
        match outcome {
            Ok(PushOutcome::Posted(_) | PushOutcome::Confirmed(_)) => report.done += 1,
            Ok(PushOutcome::Skipped(_) | PushOutcome::Unchanged | PushOutcome::Paused(_)) => report.skipped += 1,
            Ok(PushOutcome::NeedsReview(reason)) => report.notes.push(format!("{}: {reason}", message.document)),
            Ok(PushOutcome::Reported(note)) => {
                report.skipped += 1;
                report.notes.push(format!("{}: {note}", message.document));
            }
            Ok(PushOutcome::Failed(error)) => report.failed.push(RunFailure {
                document: Some(message.document.clone()),
                code: error.code,
                message: error.message,
            }),
            Err(e) => {
                tracing::warn!(connection = %message.connection, document = %message.document, code = e.code().as_str(),
                    "kept for a later attempt: {e}");
                if !e.is_transient() {
                    report.failed.push(RunFailure {
                        document: Some(message.document.clone()),
                        code: e.code().to_string(),
                        message: e.to_string(),
                    });
                }
                failed_groups.insert(group);
                keep(&mut response);
            }
        }
    }
    let finished = deployment.clock.now();
    for (conn, mut report) in reports {
        report.finished_at = Some(finished);
        if let Err(e) = deployment.store.runs().put(&conn, &report).await {
            tracing::warn!(connection = %conn, "run report not stored: {e}");
        }
    }
    response
}
