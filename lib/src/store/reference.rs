//! `REF#accounts|vatcodes|bookyears|journals`: Octopus reference data with the time it was fetched. Octopus allows
//! only 2 full reads of accounts and VAT codes a day and 24 of bookyears and journals, so everyone reads the cache.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, from_item, keys, to_item};
use crate::domain::ConnectionId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    Accounts,
    VatCodes,
    Bookyears,
    Journals,
}

impl ReferenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Accounts => "accounts",
            ReferenceKind::VatCodes => "vatcodes",
            ReferenceKind::Bookyears => "bookyears",
            ReferenceKind::Journals => "journals",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cached<T> {
    pub data: T,
    pub fetched_at: DateTime<Utc>,
}

pub struct Reference<'a> {
    pub(super) store: &'a Store,
}

impl Reference<'_> {
    pub async fn get<T: DeserializeOwned>(
        &self,
        conn: &ConnectionId,
        kind: ReferenceKind,
    ) -> Result<Option<Cached<T>>, StoreError> {
        self.store
            .get_item(keys::connection(conn), keys::reference(kind.as_str()))
            .await?
            .map(from_item)
            .transpose()
    }

    /// Replaces the cached data. Keep only the fields the sync needs: an item holds at most 400 KB.
    pub async fn put<T: Serialize>(
        &self,
        conn: &ConnectionId,
        kind: ReferenceKind,
        data: &T,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let item = to_item(
            &Cached { data, fetched_at },
            keys::connection(conn),
            keys::reference(kind.as_str()),
        )?;
        self.store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| StoreError::aws("PutItem", e))?;
        Ok(())
    }
}
