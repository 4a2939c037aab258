//! `CURSOR#<name>`: high-water marks of the incremental feeds. A cursor only moves forward; the reader subtracts
//! its own overlap window, so a rerun over the same window is harmless.

use chrono::{DateTime, Utc};

use super::error::is_condition_failure;
use super::{Store, StoreError, keys, s, timestamp};
use crate::domain::ConnectionId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorName {
    /// Octopus `balancings/modified`.
    Balancings,
    /// Octopus `accounts/modified`.
    LedgerAccounts,
    /// Octopus VAT codes (full list, 2 calls a day).
    VatCodes,
    /// Focus `invoices.list` / `creditNotes.list` `updated_since` sweep.
    FocusSweep,
}

impl CursorName {
    pub fn as_str(self) -> &'static str {
        match self {
            CursorName::Balancings => "balancings",
            CursorName::LedgerAccounts => "ledger_accounts",
            CursorName::VatCodes => "vat_codes",
            CursorName::FocusSweep => "focus_sweep",
        }
    }
}

pub struct Cursors<'a> {
    pub(super) store: &'a Store,
}

impl Cursors<'_> {
    pub async fn get(&self, conn: &ConnectionId, name: CursorName) -> Result<Option<DateTime<Utc>>, StoreError> {
        let Some(item) = self
            .store
            .get_item(keys::connection(conn), keys::cursor(name.as_str()))
            .await?
        else {
            return Ok(None);
        };
        let text = item
            .get("position")
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| StoreError::Corrupt {
                key: keys::cursor(name.as_str()),
                reason: "no position".into(),
            })?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| StoreError::Corrupt {
                key: keys::cursor(name.as_str()),
                reason: e.to_string(),
            })
    }

    /// Moves the cursor to `to` if that is later than where it stands. Returns whether it moved.
    pub async fn advance(&self, conn: &ConnectionId, name: CursorName, to: DateTime<Utc>) -> Result<bool, StoreError> {
        // Fixed-width UTC text compares like the instants it names.
        let result = self
            .store
            .update_at(conn, keys::cursor(name.as_str()))
            .update_expression("SET #p = :to")
            .condition_expression("attribute_not_exists(#p) OR #p < :to")
            .expression_attribute_names("#p", "position")
            .expression_attribute_values(":to", s(timestamp(to)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(StoreError::aws("UpdateItem", e)),
        }
    }
}
