//! `BUDGET#<yyyy-mm-dd>#<endpoint>`: Octopus calls spent today, per connection (= per dossier).
//!
//! Octopus prints a daily limit on every operation and documents nothing about what happens past it
//! (docs/partners/octopus.md §9), so we never go past it: a call is counted *before* it is made, with an atomic
//! ADD whose condition refuses the call that would exceed the limit.

use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Days, NaiveDate, Utc};

use super::error::is_condition_failure;
use super::{Store, StoreError, keys, n, number_attribute, ttl};
use crate::domain::ConnectionId;

pub struct Budgets<'a> {
    pub(super) store: &'a Store,
}

const CALLS: &str = "calls";

impl Budgets<'_> {
    /// Counts `calls` calls of `endpoint` on `day` against `limit`. Refused with [`StoreError::BudgetExhausted`],
    /// leaving the count unchanged, if that would pass the limit. Returns the calls spent including these.
    pub async fn spend(
        &self,
        conn: &ConnectionId,
        endpoint: &str,
        day: NaiveDate,
        limit: u32,
        calls: u32,
    ) -> Result<u32, StoreError> {
        let exhausted = || StoreError::BudgetExhausted {
            endpoint: endpoint.to_owned(),
            limit,
            day,
        };
        if calls > limit {
            return Err(exhausted());
        }
        // Budget items clean themselves up two days after their day.
        let expires = day
            .checked_add_days(Days::new(2))
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| DateTime::<Utc>::from_naive_utc_and_offset(t, Utc))
            .unwrap_or_else(Utc::now);
        let result = self
            .store
            .update_at(conn, keys::budget(day, endpoint))
            .update_expression("ADD #calls :n SET #limit = :limit, #exp = :exp")
            .condition_expression("attribute_not_exists(#calls) OR #calls <= :max_before")
            .expression_attribute_names("#calls", CALLS)
            .expression_attribute_names("#limit", "limit")
            .expression_attribute_names("#exp", keys::EXPIRES_AT)
            .expression_attribute_values(":n", n(calls))
            .expression_attribute_values(":limit", n(limit))
            .expression_attribute_values(":max_before", n(limit - calls))
            .expression_attribute_values(":exp", ttl(expires))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(out) => Ok(out
                .attributes
                .as_ref()
                .and_then(|a| number_attribute(a, CALLS))
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(calls)),
            Err(e) if is_condition_failure(&e) => Err(exhausted()),
            Err(e) => Err(StoreError::aws("UpdateItem", e)),
        }
    }

    /// Calls of `endpoint` spent on `day`.
    pub async fn spent(&self, conn: &ConnectionId, endpoint: &str, day: NaiveDate) -> Result<u32, StoreError> {
        let item = self
            .store
            .get_item(keys::connection(conn), keys::budget(day, endpoint))
            .await?;
        Ok(item
            .as_ref()
            .and_then(|i| number_attribute(i, CALLS))
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0))
    }
}
