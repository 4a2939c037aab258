//! Octopus API client: dossier tokens shared through the store, per-operation daily budgets, retries, typed
//! requests and responses (docs/partners/octopus.md and the official OpenAPI document in docs/partners/octopus/).
//!
//! One module per area: [`auth`] (login, dossiers), [`ledger`] (bookyears, journals, accounts, VAT codes) read
//! through the cache in [`reference`], [`relations`], [`bookings`], [`balancings`]; [`client`] is the transport.

pub mod auth;
pub mod balancings;
pub mod bookings;
pub mod budget;
pub mod client;
pub mod error;
pub mod keys;
pub mod ledger;
pub mod operations;
pub mod reference;
pub mod relations;
mod session;

pub use auth::Dossier;
pub use balancings::{
    Balancing, BalancingDetail, BalancingDocument, BalancingKey, OpenItem, OpenItemsQuery, SyncBalancings,
};
pub use bookings::{
    Attachment, BuySellBooking, BuySellBookingLine, FinancialDiversBooking, FinancialDiversBookingLine,
};
pub use budget::{DailyLimits, budget_day, budget_resets_at};
pub use client::{OctopusClient, OctopusCredentials, RetryPolicy};
pub use error::{ErrorResult, OctopusError};
pub use keys::{BookyearKey, DossierKey, RelationIdentification, RelationKey};
pub use ledger::{Bookyear, BookyearPeriod, Journal, LedgerAccount, VatCode};
pub use operations::Operation;
pub use relations::{Relation, RelationSearch, RelationUpsert, SyncRelations};

/// Octopus answers 404 on list, `modified` and report endpoints when there is no data (docs/partners/octopus.md §9):
/// an empty list, not an error.
fn list_or_empty<T: serde::de::DeserializeOwned + Default>(
    op: Operation,
    answer: Result<client::Answer, OctopusError>,
) -> Result<T, OctopusError> {
    match answer {
        Ok(answer) => client::parse(op, &answer.body),
        Err(OctopusError::NotFound { .. }) => Ok(T::default()),
        Err(e) => Err(e),
    }
}
