//! `TOKEN#octopus`: the Octopus dossier token, shared by every instance, so cold starts do not spend the
//! 150-a-day `POST /dossiers` budget (docs/partners/octopus.md §1). Tokens live 10 minutes.

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::error::is_condition_failure;
use super::{Store, StoreError, keys, s, timestamp, ttl};
use crate::domain::ConnectionId;

/// A cached dossier token. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct OctopusToken {
    pub token: SecretString,
    pub valid_until: DateTime<Utc>,
    /// The dossier the token opens: a token of another dossier is never handed out.
    pub dossier: i32,
}

pub struct Tokens<'a> {
    pub(super) store: &'a Store,
}

impl Tokens<'_> {
    /// The cached token of `dossier` if it is still valid for at least `margin` after `now`.
    pub async fn octopus(
        &self,
        conn: &ConnectionId,
        dossier: i32,
        now: DateTime<Utc>,
        margin: Duration,
    ) -> Result<Option<OctopusToken>, StoreError> {
        let Some(item) = self
            .store
            .get_item(keys::connection(conn), keys::OCTOPUS_TOKEN.into())
            .await?
        else {
            return Ok(None);
        };
        let corrupt = |reason: &str| StoreError::Corrupt {
            key: keys::OCTOPUS_TOKEN.into(),
            reason: reason.into(),
        };
        let token = item
            .get("token")
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| corrupt("no token"))?;
        let valid_until = item
            .get("valid_until")
            .and_then(|v| v.as_s().ok())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .ok_or_else(|| corrupt("no validity"))?
            .with_timezone(&Utc);
        let cached_dossier = item
            .get("dossier")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i32>().ok());
        if valid_until <= now + margin || cached_dossier != Some(dossier) {
            return Ok(None);
        }
        Ok(Some(OctopusToken {
            token: SecretString::from(token.clone()),
            valid_until,
            dossier,
        }))
    }

    pub async fn put_octopus(&self, conn: &ConnectionId, token: &OctopusToken) -> Result<(), StoreError> {
        self.store
            .client
            .put_item()
            .table_name(&self.store.table)
            .item(keys::PK, s(keys::connection(conn)))
            .item(keys::SK, s(keys::OCTOPUS_TOKEN))
            .item("token", s(token.token.expose_secret()))
            .item("valid_until", s(timestamp(token.valid_until)))
            .item("dossier", super::n(token.dossier))
            .item(keys::EXPIRES_AT, ttl(token.valid_until + Duration::hours(1)))
            .send()
            .await
            .map_err(|e| StoreError::aws("PutItem", e))?;
        Ok(())
    }

    /// Forgets `token` after Octopus answered 401 to it; a newer token stored meanwhile by another instance stays.
    pub async fn invalidate_octopus(&self, conn: &ConnectionId, token: &SecretString) -> Result<(), StoreError> {
        let result = self
            .store
            .delete_at(conn, keys::OCTOPUS_TOKEN)
            .condition_expression("#t = :t")
            .expression_attribute_names("#t", "token")
            .expression_attribute_values(":t", s(token.expose_secret()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(StoreError::aws("DeleteItem", e)),
        }
    }
}
