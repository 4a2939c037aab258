//! `LEASE#<name>`: short locks with an owner and an expiry, for work only one instance may do at a time
//! (the Focus token refresh, the Octopus login). A lease is taken over only once it has expired.

use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::{is_condition_failure, refused_item};
use super::{Store, StoreError, from_item, keys, n, s, to_item};
use crate::domain::ConnectionId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub name: String,
    pub owner: String,
    /// Epoch milliseconds; the condition compares numbers.
    pub until_ms: i64,
    /// DynamoDB TTL (epoch seconds), well after `until_ms`, so abandoned leases disappear.
    pub expires_at: i64,
}

impl Lease {
    pub fn until(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.until_ms).unwrap_or_default()
    }
}

pub struct Leases<'a> {
    pub(super) store: &'a Store,
}

impl Leases<'_> {
    /// Takes the lease for `duration` if it is free, expired, or already `owner`'s (then it is extended).
    pub async fn acquire(
        &self,
        conn: &ConnectionId,
        name: &str,
        owner: &str,
        duration: Duration,
        now: DateTime<Utc>,
    ) -> Result<Lease, StoreError> {
        let until = now + duration;
        let lease = Lease {
            name: name.to_owned(),
            owner: owner.to_owned(),
            until_ms: until.timestamp_millis(),
            expires_at: (until + Duration::days(1)).timestamp(),
        };
        let result = self
            .store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some(to_item(&lease, keys::connection(conn), keys::lease(name))?))
            .condition_expression("attribute_not_exists(#pk) OR #until <= :now OR #owner = :owner")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#until", "until_ms")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":owner", s(owner))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(lease),
            Err(e) if is_condition_failure(&e) => {
                let holder = refused_item(e).map(from_item::<Lease>).transpose()?;
                Err(StoreError::LeaseHeld {
                    name: name.to_owned(),
                    until: holder.map_or(until, |h| h.until()),
                })
            }
            Err(e) => Err(StoreError::aws("PutItem", e)),
        }
    }

    /// Gives the lease back if `owner` still holds it. Returns whether it did (false: it expired and was taken).
    pub async fn release(&self, conn: &ConnectionId, name: &str, owner: &str) -> Result<bool, StoreError> {
        let result = self
            .store
            .delete_at(conn, keys::lease(name))
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(StoreError::aws("DeleteItem", e)),
        }
    }
}
