//! What became of a document the poster handled.

use crate::domain::BookingKey;
use crate::store::RecordedError;

/// What became of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Posted(BookingKey),
    /// A `-13` showed our booking had gone in before a crash; it is now recorded.
    Confirmed(BookingKey),
    Skipped(String),
    /// Parked with a code and a sentence; the record is acknowledged so the journal keeps moving.
    Failed(RecordedError),
    NeedsReview(String),
    /// The connection is paused (docs/DESIGN.md §4.5): the document waits with the reason on its record.
    Paused(String),
    /// Nothing to do (already posted and unchanged, still a draft, …).
    Unchanged,
    /// Booked and unchanged, with something a person should know (a failed Peppol delivery).
    Reported(String),
}
