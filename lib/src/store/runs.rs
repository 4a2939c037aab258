//! `RUN#<started at>#<id>`: what one sync run attempted, did, skipped and why anything failed.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, from_item, keys, timestamp, to_item};
use crate::domain::{ConnectionId, DocumentRef};

/// Run reports are kept 90 days (DynamoDB TTL).
const RETENTION_DAYS: i64 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    Push,
    Pull,
    Sweep,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFailure {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<DocumentRef>,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    pub id: String,
    pub kind: RunKind,
    pub started_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub attempted: u32,
    pub done: u32,
    pub skipped: u32,
    #[serde(default)]
    pub failed: Vec<RunFailure>,
    #[serde(default)]
    pub notes: Vec<String>,
}

impl RunReport {
    /// The report with every secret the process knows (or that looks like one) replaced: reports are stored and
    /// published for people, whatever a partner echoed into a failure's message.
    pub fn redacted(&self) -> RunReport {
        let redact = |text: &str| crate::logging::redact(text).into_owned();
        RunReport {
            failed: self
                .failed
                .iter()
                .map(|f| RunFailure {
                    message: redact(&f.message),
                    ..f.clone()
                })
                .collect(),
            notes: self.notes.iter().map(|n| redact(n)).collect(),
            ..self.clone()
        }
    }
}

impl RunReport {
    /// The report for a person: a headline (kind, start to the second, short id, counts), then each failure and
    /// each note on a line of its own.
    pub fn lines(&self) -> Vec<String> {
        let kind = match self.kind {
            RunKind::Push => "push",
            RunKind::Pull => "pull",
            RunKind::Sweep => "sweep",
            RunKind::Admin => "admin",
        };
        let mut lines = vec![format!(
            "{kind} run {} ({}): attempted {} · done {} · skipped {} · failed {}",
            self.started_at.format("%Y-%m-%d %H:%M:%S"),
            self.id.get(..8).unwrap_or(&self.id),
            self.attempted,
            self.done,
            self.skipped,
            self.failed.len()
        )];
        for f in &self.failed {
            let document = f.document.as_ref().map(|d| format!("{d} ")).unwrap_or_default();
            lines.push(format!("  failed {document}[{}] {}", f.code, f.message));
        }
        lines.extend(self.notes.iter().map(|n| format!("  {n}")));
        lines
    }

    /// The report as published to the report topic: pretty JSON, the whole text through the redaction (secrets as
    /// written and JSON-escaped).
    pub fn to_message(&self) -> String {
        crate::logging::redact(&serde_json::to_string_pretty(self).unwrap_or_default()).into_owned()
    }
}

#[derive(Serialize)]
struct RunItem<'a> {
    #[serde(flatten)]
    report: &'a RunReport,
    expires_at: i64,
}

pub struct Runs<'a> {
    pub(super) store: &'a Store,
}

impl Runs<'_> {
    pub async fn put(&self, conn: &ConnectionId, report: &RunReport) -> Result<(), StoreError> {
        let sk = format!("{}{}#{}", keys::RUN_PREFIX, timestamp(report.started_at), report.id);
        let report = &report.redacted();
        let item = RunItem {
            report,
            expires_at: (report.started_at + Duration::days(RETENTION_DAYS)).timestamp(),
        };
        self.store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some(to_item(&item, keys::connection(conn), sk)?))
            .send()
            .await
            .map_err(|e| StoreError::aws("PutItem", e))?;
        Ok(())
    }

    /// The newest `limit` reports, newest first.
    pub async fn recent(&self, conn: &ConnectionId, limit: usize) -> Result<Vec<RunReport>, StoreError> {
        let items = self
            .store
            .query_prefix(keys::connection(conn), keys::RUN_PREFIX, true, Some(limit))
            .await?;
        items.into_iter().map(from_item).collect()
    }
}
