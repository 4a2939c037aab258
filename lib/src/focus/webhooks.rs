//! Focus webhooks: the delivered payload `{"type": "invoice.booked", "subject": {"type": "invoice", "id": …}}` (a
//! hint only: the document is always read again), registration, and the secret check of the receiver's URL
//! (docs/partners/focus.md §4). Focus signs nothing, so the URL carries an unguessable secret, compared in constant
//! time.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::refs::Ref;
use super::{FocusClient, FocusError};

/// The event types the sync acts on; every other type is kept as `Other` and ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventType {
    InvoiceBooked,
    InvoiceUpdated,
    InvoiceDeleted,
    InvoicePaymentRegistered,
    /// Focus could not deliver the invoice through Peppol.
    InvoicePeppolSubmissionFailed,
    CreditNoteBooked,
    CreditNoteUpdated,
    CreditNoteDeleted,
    CreditNotePeppolSubmissionFailed,
    Other(String),
}

impl EventType {
    /// The types registered for a connection.
    pub const RELEVANT: [EventType; 9] = [
        EventType::InvoiceBooked,
        EventType::InvoiceUpdated,
        EventType::InvoiceDeleted,
        EventType::InvoicePaymentRegistered,
        EventType::InvoicePeppolSubmissionFailed,
        EventType::CreditNoteBooked,
        EventType::CreditNoteUpdated,
        EventType::CreditNoteDeleted,
        EventType::CreditNotePeppolSubmissionFailed,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            EventType::InvoiceBooked => "invoice.booked",
            EventType::InvoiceUpdated => "invoice.updated",
            EventType::InvoiceDeleted => "invoice.deleted",
            EventType::InvoicePaymentRegistered => "invoice.paymentRegistered",
            EventType::InvoicePeppolSubmissionFailed => "invoice.peppolSubmissionFailed",
            EventType::CreditNoteBooked => "creditNote.booked",
            EventType::CreditNoteUpdated => "creditNote.updated",
            EventType::CreditNoteDeleted => "creditNote.deleted",
            EventType::CreditNotePeppolSubmissionFailed => "creditNote.peppolSubmissionFailed",
            EventType::Other(other) => other,
        }
    }

    pub fn parse(text: &str) -> Self {
        Self::RELEVANT
            .into_iter()
            .find(|t| t.as_str() == text)
            .unwrap_or_else(|| EventType::Other(text.to_owned()))
    }

    pub fn is_relevant(&self) -> bool {
        !matches!(self, EventType::Other(_))
    }
}

impl Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(EventType::parse(&String::deserialize(d)?))
    }
}

/// A delivered webhook. Fields beyond `type` and `subject` are unverified and ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEvent {
    #[serde(rename = "type")]
    pub event: EventType,
    pub subject: Ref,
}

/// Why a delivered body is not a webhook we can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookPayloadError {
    #[error("the body is not JSON")]
    NotJson,
    #[error("the body has no '{0}'")]
    Missing(&'static str),
}

impl WebhookEvent {
    /// Parses a delivered body; `type`, `subject.type` and `subject.id` must be non-empty text.
    pub fn parse(body: &[u8]) -> Result<Self, WebhookPayloadError> {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| WebhookPayloadError::NotJson)?;
        let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.trim().is_empty()).map(str::to_owned);
        let event = text(&value["type"]).ok_or(WebhookPayloadError::Missing("type"))?;
        let kind = text(&value["subject"]["type"]).ok_or(WebhookPayloadError::Missing("subject.type"))?;
        let id = text(&value["subject"]["id"]).ok_or(WebhookPayloadError::Missing("subject.id"))?;
        Ok(Self {
            event: EventType::parse(&event),
            subject: Ref { kind, id },
        })
    }
}

/// Compares a presented secret with the expected one in time independent of where they differ.
pub fn secrets_match(presented: &str, expected: &str) -> bool {
    bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
}

/// One registration as `webhooks.list` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub url: String,
    pub types: Vec<EventType>,
}

#[derive(Serialize)]
struct Registration<'a> {
    url: &'a str,
    types: &'a [EventType],
}

#[derive(Serialize)]
struct Empty {}

impl FocusClient {
    pub async fn register_webhook(&self, url: &str, types: &[EventType]) -> Result<(), FocusError> {
        self.call::<_, serde::de::IgnoredAny>("webhooks.register", &Registration { url, types })
            .await
            .map(drop)
    }

    pub async fn webhooks(&self) -> Result<Vec<Webhook>, FocusError> {
        Ok(self.call("webhooks.list", &Empty {}).await?.unwrap_or_default())
    }

    pub async fn unregister_webhook(&self, url: &str, types: &[EventType]) -> Result<(), FocusError> {
        self.call::<_, serde::de::IgnoredAny>("webhooks.unregister", &Registration { url, types })
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivered_body_parses_and_unknown_types_are_kept() {
        let e =
            WebhookEvent::parse(br#"{"type":"invoice.booked","subject":{"type":"invoice","id":"abc"},"account":{}}"#)
                .unwrap();
        assert_eq!(e.event, EventType::InvoiceBooked);
        assert_eq!(e.subject.id, "abc");
        let other = WebhookEvent::parse(br#"{"type":"deal.won","subject":{"type":"deal","id":"d"}}"#).unwrap();
        assert_eq!(other.event, EventType::Other("deal.won".into()));
        assert!(!other.event.is_relevant());
    }

    #[test]
    fn a_body_without_type_or_subject_id_is_refused_by_name() {
        assert_eq!(WebhookEvent::parse(b"{"), Err(WebhookPayloadError::NotJson));
        assert_eq!(
            WebhookEvent::parse(br#"{"subject":{"type":"invoice","id":"x"}}"#),
            Err(WebhookPayloadError::Missing("type"))
        );
        assert_eq!(
            WebhookEvent::parse(br#"{"type":"invoice.booked","subject":{"type":"invoice","id":""}}"#),
            Err(WebhookPayloadError::Missing("subject.id"))
        );
    }

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(secrets_match("s3cr3t-abc", "s3cr3t-abc"));
        assert!(!secrets_match("s3cr3t-abd", "s3cr3t-abc"));
        assert!(!secrets_match("s3cr3t", "s3cr3t-abc"));
        assert!(!secrets_match("", "s3cr3t-abc"));
    }
}
