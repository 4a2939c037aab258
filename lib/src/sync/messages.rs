//! What travels through the FIFO queue: a hint that a document changed. The poster always reads the document
//! from Focus again; the message only says which one and why.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{ConnectionId, DocumentKind, DocumentRef};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMessage {
    pub connection: ConnectionId,
    pub document: DocumentRef,
    /// The Focus event (`invoice.booked`, …), or `sweep` / `resync`.
    pub event: String,
}

impl DocumentMessage {
    /// One message group per connection and document kind: each kind has its own journal, and a group is handled
    /// by one poster at a time, in order.
    pub fn group_id(&self) -> String {
        format!("{}#{}", self.connection, self.document.kind.as_str())
    }

    /// Duplicates of the same event within five minutes (the FIFO deduplication window) are dropped by SQS;
    /// later ones are harmless because posting is idempotent.
    pub fn deduplication_id(&self, at: DateTime<Utc>) -> String {
        let bucket = at.timestamp() / 300;
        // The connection too: Focus sends one document's webhook to every connection of the account, and each
        // must get its message even if the queue's deduplication scope were the whole queue.
        format!(
            "{}:{}:{}:{}:{bucket}",
            self.connection,
            self.event,
            self.document.kind.as_str(),
            self.document.id
        )
    }

    pub fn is_deletion(&self) -> bool {
        self.event.ends_with(".deleted")
    }

    pub fn kind(&self) -> DocumentKind {
        self.document.kind
    }
}

/// Puts `message` on the documents queue, as a webhook would.
pub async fn enqueue(
    deployment: &super::services::Deployment,
    message: &DocumentMessage,
    at: DateTime<Utc>,
) -> Result<(), super::error::SyncError> {
    deployment
        .sqs
        .send_message()
        .queue_url(&deployment.queue_url)
        .message_body(serde_json::to_string(message).expect("a message serialises"))
        .message_group_id(message.group_id())
        .message_deduplication_id(message.deduplication_id(at))
        .send()
        .await
        .map_err(|e| {
            super::error::SyncError::transient(
                "QUEUE_UNAVAILABLE",
                format!(
                    "The documents queue did not take a message: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(&e)
                ),
            )
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_follow_connection_and_kind_and_dedup_ids_fit_sqs() {
        let m = DocumentMessage {
            connection: ConnectionId::new("bakkerij").unwrap(),
            document: DocumentRef::new(DocumentKind::CreditNote, "27300f09-6250-4a23-8557-d84c52f99ecf").unwrap(),
            event: "creditNote.booked".into(),
        };
        assert_eq!(m.group_id(), "bakkerij#credit_note");
        let at = DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap().to_utc();
        let id = m.deduplication_id(at);
        assert!(id.len() <= 128, "{id}");
        assert_eq!(id, m.deduplication_id(at + chrono::Duration::seconds(59)));
    }
}
