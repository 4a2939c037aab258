//! A connection whose Focus authorisation is no longer accepted stops as a whole (docs/DESIGN.md §4.5): the first
//! function that meets the refusal pauses it and sends the one report; from then on no function asks Focus anything
//! for it, and each document that arrives waits with the reason on its record. Once a person authorises again
//! (`focus-octopus connect-focus`, whose callback records when), the next puller run resumes the connection and puts
//! every waiting document back on the queue.

use chrono::{DateTime, Utc};

use super::error::SyncError;
use super::messages::{DocumentMessage, Trigger};
use super::services::{Connection, Deployment};
use crate::domain::Code;
use crate::domain::Failure;
use crate::store::{Pause, RunFailure, RunKind, RunReport};

/// The codes that stop a whole connection instead of one document.
pub fn stops_the_connection(e: &SyncError) -> bool {
    e.code() == Code::FOCUS_REAUTHORIZATION_REQUIRED
}

/// Pauses the connection for `e`. The caller that paused it stores and publishes the one report.
pub async fn pause(
    deployment: &Deployment,
    connection: &Connection,
    e: &SyncError,
    kind: RunKind,
    now: DateTime<Utc>,
) -> Result<(), SyncError> {
    connection.forget_not_paused();
    let conn = &connection.id;
    let pause = Pause {
        code: e.code().to_string(),
        message: e.to_string(),
        since: now,
    };
    if !deployment.store.connections().pause(conn, &pause).await? {
        return Ok(());
    }
    tracing::error!(connection = %conn, code = e.code().as_str(), "connection paused: {e}");
    let report = RunReport {
        id: uuid::Uuid::new_v4().to_string(),
        kind,
        started_at: now,
        finished_at: Some(now),
        attempted: 0,
        done: 0,
        skipped: 0,
        failed: vec![RunFailure {
            document: None,
            code: pause.code.clone(),
            message: pause.message.clone(),
        }],
        notes: vec![
            "The connection is paused: nothing is read from Focus or booked until Focus is authorised again with \
             `focus-octopus connect-focus`. Documents wait meanwhile and are booked by themselves afterwards."
                .into(),
        ],
    };
    if let Err(e) = deployment.store.runs().put(conn, &report).await {
        tracing::warn!(connection = %conn, "report of the pause not stored: {e}");
    }
    deployment.publish(conn, &report).await;
    Ok(())
}

/// What the puller finds at the start of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PauseCheck {
    Running,
    /// Still paused: nobody has authorised Focus again since.
    Paused(Pause),
    /// Authorised again since the pause: resumed, and this many waiting documents were put back on the queue.
    Resumed(u32),
}

/// Resumes a paused connection once Focus was authorised after the pause (one secret read while paused).
pub async fn check(deployment: &Deployment, conn: &Connection) -> Result<PauseCheck, SyncError> {
    let store = &deployment.store;
    let Some(pause) = store.connections().paused(&conn.id).await? else {
        return Ok(PauseCheck::Running);
    };
    let authorised = conn.focus.authorised_at().await?;
    if authorised.is_none_or(|at| at <= pause.since) {
        return Ok(PauseCheck::Paused(pause));
    }
    store.connections().resume(&conn.id).await?;
    let now = deployment.clock.now();
    let mut enqueued = 0;
    for record in store.documents().awaiting(&conn.id).await? {
        let message = DocumentMessage {
            connection: conn.id.clone(),
            document: record.document,
            trigger: Trigger::Resumed,
        };
        super::messages::enqueue(deployment, &message, now).await?;
        enqueued += 1;
    }
    tracing::info!(connection = %conn.id, enqueued, "connection resumed after a new Focus authorisation");
    Ok(PauseCheck::Resumed(enqueued))
}
