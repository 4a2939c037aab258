//! What travels through the FIFO queue: a hint that a document changed. The poster always reads the document
//! from Focus again; the message only says which one and why.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::Code;
use crate::domain::{ConnectionId, DocumentKind, DocumentRef};
use crate::focus::EventType;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMessage {
    pub connection: ConnectionId,
    pub document: DocumentRef,
    /// Why the message was sent. On the wire it is the `event` text (`invoice.booked`, …, `sweep`, `resync`,
    /// `resumed`), as before the type existed, so messages already in the queue stay readable across an upgrade.
    #[serde(rename = "event")]
    pub trigger: Trigger,
}

/// Why a document is handed to the poster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum Trigger {
    /// A Focus webhook.
    Focus(EventType),
    /// The puller's sweep found it awaiting posting (its message lost, or Focus's webhook missed).
    Sweep,
    /// A person's `resync`.
    Resync,
    /// The connection was paused and resumed: every document it kept waiting.
    Resumed,
}

impl From<Trigger> for String {
    fn from(trigger: Trigger) -> String {
        match trigger {
            Trigger::Focus(event) => event.as_str().to_owned(),
            Trigger::Sweep => "sweep".into(),
            Trigger::Resync => "resync".into(),
            Trigger::Resumed => "resumed".into(),
        }
    }
}

impl From<String> for Trigger {
    fn from(text: String) -> Trigger {
        match text.as_str() {
            "sweep" => Trigger::Sweep,
            "resync" => Trigger::Resync,
            "resumed" => Trigger::Resumed,
            event => Trigger::Focus(EventType::parse(event)),
        }
    }
}

impl DocumentMessage {
    pub fn new(connection: ConnectionId, document: DocumentRef, trigger: Trigger) -> Self {
        Self {
            connection,
            document,
            trigger,
        }
    }

    /// The message group: one per connection and document kind, because each kind has its own journal and a
    /// group is handled by one poster at a time, in order. A payment registered in Focus has a group of its own
    /// per connection: it books in the payment journal, and must not wait behind (or hold up) a sales journal.
    pub fn group_id(&self) -> String {
        if self.is_payment() {
            format!("{}#payment", self.connection)
        } else {
            format!("{}#{}", self.connection, self.document.kind.as_str())
        }
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
            String::from(self.trigger.clone()),
            self.document.kind.as_str(),
            self.document.id
        )
    }

    pub fn is_deletion(&self) -> bool {
        matches!(
            self.trigger,
            Trigger::Focus(EventType::InvoiceDeleted | EventType::CreditNoteDeleted)
        )
    }

    /// A payment registered in Focus (booked in Octopus when the connection has a payment journal).
    pub fn is_payment(&self) -> bool {
        self.trigger == Trigger::Focus(EventType::InvoicePaymentRegistered)
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
                Code::QUEUE_UNAVAILABLE,
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
        let m = DocumentMessage::new(
            ConnectionId::new("bakkerij").unwrap(),
            DocumentRef::new(DocumentKind::CreditNote, "27300f09-6250-4a23-8557-d84c52f99ecf").unwrap(),
            Trigger::Focus(EventType::CreditNoteBooked),
        );
        assert_eq!(m.group_id(), "bakkerij#credit_note");
        let at = DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap().to_utc();
        let id = m.deduplication_id(at);
        assert!(id.len() <= 128, "{id}");
        assert_eq!(id, m.deduplication_id(at + chrono::Duration::seconds(59)));
        let paid = DocumentMessage::new(
            m.connection.clone(),
            DocumentRef::new(DocumentKind::Invoice, "27300f09-6250-4a23-8557-d84c52f99ecf").unwrap(),
            Trigger::Focus(EventType::InvoicePaymentRegistered),
        );
        assert_eq!(paid.group_id(), "bakkerij#payment");
    }

    #[test]
    fn the_trigger_travels_as_the_event_text_messages_in_the_queue_already_carry() {
        let sent = r#"{"connection":"bakkerij","document":{"kind":"invoice","id":"27300f09-6250-4a23-8557-d84c52f99ecf"},"event":"invoice.deleted"}"#;
        let message: DocumentMessage = serde_json::from_str(sent).unwrap();
        assert!(message.is_deletion());
        for (text, trigger) in [
            ("sweep", Trigger::Sweep),
            ("resync", Trigger::Resync),
            ("resumed", Trigger::Resumed),
            ("invoice.booked", Trigger::Focus(EventType::InvoiceBooked)),
            (
                "contact.added",
                Trigger::Focus(EventType::Other("contact.added".into())),
            ),
        ] {
            assert_eq!(Trigger::from(text.to_owned()), trigger);
            assert_eq!(String::from(trigger), text, "back to the same text");
        }
        assert_eq!(
            serde_json::from_str::<DocumentMessage>(&serde_json::to_string(&message).unwrap()).unwrap(),
            message
        );
    }
}
