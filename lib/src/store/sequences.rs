//! `SEQ#external_relation_id`: the int32 ids we give Octopus relations (`externalRelationId`).
//!
//! Octopus merges a `PUT relations` on the external relation id, so the id must be reserved before the first call
//! and reused on every retry; distinct customers must never share one, even when two posters allocate at once.

use aws_sdk_dynamodb::types::ReturnValue;

use super::error::is_condition_failure;
use super::{Store, StoreError, keys, n, number_attribute};
use crate::domain::{ConnectionId, ExternalRelationId};

pub struct Sequences<'a> {
    pub(super) store: &'a Store,
}

const VALUE: &str = "last_value";

impl Sequences<'_> {
    /// The next unused external relation id (1, 2, 3 …, or above the floor set by [`Self::raise_floor`]).
    pub async fn next_external_relation_id(&self, conn: &ConnectionId) -> Result<ExternalRelationId, StoreError> {
        let result = self
            .store
            .update_at(conn, keys::EXTERNAL_RELATION_SEQUENCE)
            .update_expression("ADD #v :one")
            .condition_expression("attribute_not_exists(#v) OR #v < :max")
            .expression_attribute_names("#v", VALUE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(i32::MAX))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let value = out
                    .attributes
                    .as_ref()
                    .and_then(|a| number_attribute(a, VALUE))
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or_else(|| StoreError::Corrupt {
                        key: keys::EXTERNAL_RELATION_SEQUENCE.into(),
                        reason: "the update returned no counter value".into(),
                    })?;
                Ok(ExternalRelationId(value))
            }
            Err(e) if is_condition_failure(&e) => Err(StoreError::SequenceExhausted),
            Err(e) => Err(StoreError::aws("UpdateItem", e)),
        }
    }

    /// Makes every later id greater than `floor`: used when Octopus already holds relations with external ids of
    /// their own, so that ours never merge into a stranger. Never lowers the counter.
    pub async fn raise_floor(&self, conn: &ConnectionId, floor: ExternalRelationId) -> Result<(), StoreError> {
        let result = self
            .store
            .update_at(conn, keys::EXTERNAL_RELATION_SEQUENCE)
            .update_expression("SET #v = :floor")
            .condition_expression("attribute_not_exists(#v) OR #v < :floor")
            .expression_attribute_names("#v", VALUE)
            .expression_attribute_values(":floor", n(floor.0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(StoreError::aws("UpdateItem", e)),
        }
    }
}
