//! Key attribute names and key formats. The names must equal those of the table in `infra/template.yaml`;
//! the test harness builds its table from the template, so a drift breaks the store tests.

use crate::domain::{BookingKey, BookyearId, ConnectionId, CustomerRef, DocumentRef, JournalKey, OctopusRelationId};

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1PK: &str = "gsi1pk";
pub const GSI1SK: &str = "gsi1sk";
/// DynamoDB TTL attribute (epoch seconds): budgets, leases, token cache and run reports clean themselves up.
pub const EXPIRES_AT: &str = "expires_at";

pub fn connection(conn: &ConnectionId) -> String {
    format!("CONN#{conn}")
}

pub const CONFIG: &str = "CONFIG";
/// Present while the connection is paused because a partner no longer accepts its authorisation.
pub const PAUSE: &str = "PAUSE";
/// GSI partition listing every connection of the deployment (the puller iterates them).
pub const ALL_CONNECTIONS: &str = "CONNECTIONS";

pub fn customer(customer: &CustomerRef) -> String {
    format!("CUSTOMER#{}#{}", customer.kind.as_str(), customer.id)
}

pub fn relation_index(conn: &ConnectionId, relation: OctopusRelationId) -> String {
    format!("CONN#{conn}#RELATION#{relation}")
}

pub fn document(doc: &DocumentRef) -> String {
    format!("DOC#{}#{}", doc.kind.as_str(), doc.id)
}

pub const DOCUMENT_PREFIX: &str = "DOC#";

/// GSI partition of the connection's documents that await posting (`pending` or `posting`): the sweep re-enqueues
/// those whose message was lost (a dead-lettered message, a killed poster), whatever Focus's `updated_at`.
pub fn awaiting(conn: &ConnectionId) -> String {
    format!("CONN#{conn}#AWAITING")
}

pub fn booking_index(conn: &ConnectionId, booking: &BookingKey) -> String {
    format!(
        "CONN#{conn}#BOOKING#{}#{}#{}",
        booking.bookyear, booking.journal, booking.document_nr
    )
}

/// The booking's own item (`BOOKING#<bookyear>#<journal>#<nr>`), pointing at its document: a direct read, strongly
/// consistent and of constant cost whatever the history (the GSI keeps the same mapping for queries).
pub fn booking(booking: &BookingKey) -> String {
    format!(
        "BOOKING#{}#{}#{}",
        booking.bookyear, booking.journal, booking.document_nr
    )
}

pub fn journal(bookyear: BookyearId, journal: &JournalKey) -> String {
    format!("JOURNAL#{bookyear}#{journal}")
}

pub fn cursor(name: &str) -> String {
    format!("CURSOR#{name}")
}

pub fn budget(day: chrono::NaiveDate, endpoint: &str) -> String {
    format!("BUDGET#{}#{endpoint}", day.format("%Y-%m-%d"))
}

/// The one kind of item outside a connection's partition: a Focus approval in progress, `OAUTH#<connection>.<nonce>`
/// with the sort key [`OAUTH_STATE`]. Its own partition lets IAM allow the receiver to delete these and nothing else
/// (`dynamodb:LeadingKeys` conditions see only the partition key).
pub fn oauth_state(conn: &ConnectionId, nonce: &str) -> String {
    format!("OAUTH#{conn}.{nonce}")
}

pub const OAUTH_STATE: &str = "STATE";

pub fn lease(name: &str) -> String {
    format!("LEASE#{name}")
}

pub const OCTOPUS_TOKEN: &str = "TOKEN#octopus";

pub fn reference(kind: &str) -> String {
    format!("REF#{kind}")
}

pub const RUN_PREFIX: &str = "RUN#";

pub const EXTERNAL_RELATION_SEQUENCE: &str = "SEQ#external_relation_id";
