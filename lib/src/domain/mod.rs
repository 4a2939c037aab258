//! Pure domain types and rules: no I/O here, everything is tested with plain values.

pub mod attachment;
pub mod booking;
pub mod code;
pub mod customer;
pub mod document;
pub mod failure;
pub mod ids;
pub mod matching;
pub mod peppol;
pub mod reference;

pub use attachment::DocumentFormat;
pub use code::Code;
pub use document::{DocumentKind, DocumentState};
pub use failure::{ErrorClass, Failure};
pub use ids::{
    BookingKey, BookyearId, ConnectionId, CustomerRef, DocumentRef, ExternalRelationId, FocusCustomerType, JournalKey,
    OctopusRelationId,
};
pub use peppol::PeppolState;
pub use reference::StructuredReference;
