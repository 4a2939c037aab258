//! The booking a Focus document gives now: the mapping it is built with (the connection's settings and the
//! reference data of both partners, cached), and what is recorded of it as posted to notice a later change.

use chrono::{DateTime, Utc};

use super::error::SyncError;
use super::services::Connection;
use crate::domain::booking::{BookingDraft, Mapping, SourceDocument};
use crate::domain::{BookyearId, CustomerRef};
use crate::store::{ConnectionConfig, PostedAmounts};

/// The mapping for `source`. A tax rate the cached list lacks was most likely added in Focus after the list was
/// read: the list is read again once before the document is refused for it.
pub(super) async fn mapping_for(
    conn: &Connection,
    config: &ConnectionConfig,
    department: &str,
    source: &SourceDocument,
    bookyear: BookyearId,
    now: DateTime<Utc>,
) -> Result<Mapping, SyncError> {
    let mut tax_rates = conn.tax_rates(department, now).await?;
    if source.lines.iter().any(|l| !tax_rates.contains_key(&l.tax_rate_id)) {
        tax_rates = conn.refresh_tax_rates(department, now).await?;
    }
    Ok(Mapping {
        vat_codes: config.vat_codes.clone(),
        ledger_by_tax_rate: config.ledger_by_tax_rate.clone(),
        default_ledger: config.default_ledger_account.clone(),
        category_ledgers: conn.category_ledgers(department, now).await?,
        tax_rates,
        accounts: Some(conn.accounts(bookyear, now).await?),
        sales_vat_codes: Some(conn.sales_vat_codes(now).await?),
    })
}

/// What is recorded as posted: totals, and a fingerprint of customer and lines to notice a later change in Focus.
pub(super) fn posted_amounts(draft: &BookingDraft, customer: &CustomerRef) -> PostedAmounts {
    PostedAmounts {
        total: draft.amount,
        vat: draft.vat_total(),
        lines_fingerprint: format!("{customer}#{}", draft.fingerprint()),
    }
}
