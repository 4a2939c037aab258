//! `OAUTH#<connection>.<nonce>`: the `state` of a Focus authorisation in progress, single-use, valid 10 minutes. The state sent to
//! Focus is `<connection>.<nonce>`, so the callback finds the connection without trusting anything else it is given.

use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Duration, Utc};

use super::error::is_condition_failure;
use super::{Store, StoreError, keys, n, s, ttl};
use crate::domain::ConnectionId;

/// How long a user has between opening the authorize URL and coming back.
pub const STATE_LIFETIME: Duration = Duration::minutes(10);

pub struct OAuthStates<'a> {
    pub(super) store: &'a Store,
}

impl OAuthStates<'_> {
    /// Records a new state for `conn` with its redirect URI; returns the `state` to send.
    pub async fn create(
        &self,
        conn: &ConnectionId,
        redirect_uri: &str,
        switch_account: bool,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let until = now + STATE_LIFETIME;
        self.store
            .client
            .put_item()
            .table_name(&self.store.table)
            .item(keys::PK, s(keys::oauth_state(conn, &nonce)))
            .item(keys::SK, s(keys::OAUTH_STATE))
            .item("redirect_uri", s(redirect_uri))
            .item(
                "switch_account",
                aws_sdk_dynamodb::types::AttributeValue::Bool(switch_account),
            )
            .item("until_ms", n(until.timestamp_millis()))
            .item(keys::EXPIRES_AT, ttl(until + Duration::days(1)))
            .send()
            .await
            .map_err(|e| StoreError::aws("PutItem", e))?;
        Ok(format!("{conn}.{nonce}"))
    }

    /// Takes the state (it works once): the connection and redirect URI it was made for, or `None` if it is unknown,
    /// used or expired.
    /// The third value says whether the operator asked to accept another Focus account (`--switch-account`).
    pub async fn take(
        &self,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(ConnectionId, String, bool)>, StoreError> {
        let Some((conn, nonce)) = state.split_once('.') else {
            return Ok(None);
        };
        let Ok(conn) = ConnectionId::new(conn) else {
            return Ok(None);
        };
        if nonce.is_empty() || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let result = self
            .store
            .client
            .delete_item()
            .table_name(&self.store.table)
            .key(keys::PK, s(keys::oauth_state(&conn, nonce)))
            .key(keys::SK, s(keys::OAUTH_STATE))
            .condition_expression("attribute_exists(#pk) AND #until > :now")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#until", "until_ms")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let redirect = out
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get("redirect_uri"))
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                let switch = out
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get("switch_account"))
                    .and_then(|v| v.as_bool().ok())
                    .copied()
                    .unwrap_or(false);
                Ok(Some((conn, redirect, switch)))
            }
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(StoreError::aws("DeleteItem", e)),
        }
    }
}
