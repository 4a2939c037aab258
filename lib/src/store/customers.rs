//! `CUSTOMER#<type>#<id>`: which Octopus relation a Focus customer is, and the external id we gave it.

use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{is_condition_failure, refused_item};
use super::{Store, StoreError, from_item, keys, n, s, timestamp, to_item};
use crate::domain::{ConnectionId, CustomerRef, ExternalRelationId, OctopusRelationId};

/// The link between a Focus company or contact and an Octopus relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerMapping {
    pub customer: CustomerRef,
    /// Reserved before the first `PUT relations`, reused by every retry.
    pub external_relation_id: ExternalRelationId,
    /// Known once Octopus answered; absent while the first export is in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub octopus_relation_id: Option<OctopusRelationId>,
    /// Hash of the customer data last exported, to skip unchanged re-exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_hash: Option<String>,
    /// What was removed from the customer's name or address before it went to Octopus (control and
    /// direction-override characters), in words; absent when nothing was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleaned: Option<String>,
    pub updated_at: DateTime<Utc>,
}

pub struct Customers<'a> {
    pub(super) store: &'a Store,
}

impl Customers<'_> {
    pub async fn get(
        &self,
        conn: &ConnectionId,
        customer: &CustomerRef,
    ) -> Result<Option<CustomerMapping>, StoreError> {
        self.store
            .get_item(keys::connection(conn), keys::customer(customer))
            .await?
            .map(from_item)
            .transpose()
    }

    /// The customer's mapping, creating it with a fresh external relation id on first sight.
    ///
    /// Two posters reserving the same customer at once end with the same mapping: the loser of the conditional
    /// put reads the winner's (its allocated id is simply never used).
    pub async fn reserve(
        &self,
        conn: &ConnectionId,
        customer: &CustomerRef,
        now: DateTime<Utc>,
    ) -> Result<CustomerMapping, StoreError> {
        if let Some(existing) = self.get(conn, customer).await? {
            return Ok(existing);
        }
        let mapping = CustomerMapping {
            customer: customer.clone(),
            external_relation_id: self.store.sequences().next_external_relation_id(conn).await?,
            octopus_relation_id: None,
            exported_hash: None,
            cleaned: None,
            updated_at: now,
        };
        let item = to_item(&mapping, keys::connection(conn), keys::customer(customer))?;
        let result = self
            .store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(mapping),
            Err(e) if is_condition_failure(&e) => {
                let winner = refused_item(e);
                match winner {
                    Some(item) => from_item(item),
                    None => Err(StoreError::Contended {
                        what: format!("the mapping of Focus {customer}"),
                    }),
                }
            }
            Err(e) => Err(StoreError::aws("PutItem", e)),
        }
    }

    /// Records which Octopus relation the customer is. Refuses to re-point a customer already linked to another
    /// relation: that would silently move its invoices to a different customer in the books.
    pub async fn link(
        &self,
        conn: &ConnectionId,
        customer: &CustomerRef,
        relation: OctopusRelationId,
        exported_hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<CustomerMapping, StoreError> {
        let mut update = self
            .store
            .update_at(conn, keys::customer(customer))
            .condition_expression("attribute_exists(#pk) AND (attribute_not_exists(#rel) OR #rel = :rel)")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#rel", "octopus_relation_id")
            .expression_attribute_names("#gpk", keys::GSI1PK)
            .expression_attribute_names("#gsk", keys::GSI1SK)
            .expression_attribute_names("#at", "updated_at")
            .expression_attribute_values(":rel", n(relation.0))
            .expression_attribute_values(":gpk", s(keys::relation_index(conn, relation)))
            .expression_attribute_values(":gsk", s(keys::customer(customer)))
            .expression_attribute_values(":at", s(timestamp(now)))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        update = match exported_hash {
            Some(hash) => update
                .update_expression("SET #rel = :rel, #gpk = :gpk, #gsk = :gsk, #at = :at, #hash = :hash")
                .expression_attribute_names("#hash", "exported_hash")
                .expression_attribute_values(":hash", s(hash)),
            None => update.update_expression("SET #rel = :rel, #gpk = :gpk, #gsk = :gsk, #at = :at"),
        };
        match update.send().await {
            Ok(out) => from_item(out.attributes.unwrap_or_default()),
            Err(e) if is_condition_failure(&e) => {
                let old = refused_item(e);
                match old {
                    None => Err(StoreError::NotFound {
                        what: format!("The mapping of Focus {customer} (reserve it first)"),
                    }),
                    Some(item) => {
                        let current: CustomerMapping = from_item(item)?;
                        Err(StoreError::AlreadyExists {
                            what: format!(
                                "A link from Focus {customer} to Octopus relation {}",
                                current.octopus_relation_id.map_or("?".into(), |r| r.to_string())
                            ),
                        })
                    }
                }
            }
            Err(e) => Err(StoreError::aws("UpdateItem", e)),
        }
    }

    /// Records what was cleaned from the customer's data before it was sent (shown by `status --customer`).
    pub async fn note_cleaned(
        &self,
        conn: &ConnectionId,
        customer: &CustomerRef,
        cleaned: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.store
            .update_at(conn, keys::customer(customer))
            .condition_expression("attribute_exists(#pk)")
            .update_expression("SET #cleaned = :cleaned, #at = :at")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#cleaned", "cleaned")
            .expression_attribute_names("#at", "updated_at")
            .expression_attribute_values(":cleaned", s(cleaned))
            .expression_attribute_values(":at", s(timestamp(now)))
            .send()
            .await
            .map_err(|e| StoreError::aws("UpdateItem", e))?;
        Ok(())
    }

    /// The Focus customer linked to an Octopus relation (reverse index; eventually consistent).
    pub async fn find_by_relation(
        &self,
        conn: &ConnectionId,
        relation: OctopusRelationId,
    ) -> Result<Option<CustomerMapping>, StoreError> {
        let items = self.store.query_gsi1(keys::relation_index(conn, relation)).await?;
        items.into_iter().next().map(from_item).transpose()
    }
}
