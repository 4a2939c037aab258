//! The parts of a document record written on their own, beside its state: what Octopus says was paid, its Peppol
//! status, its file on the booking. Each a conditional write on the existing record.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::documents::Documents;
use super::error::is_condition_failure;
use super::payments::PaymentState;
use super::{StoreError, keys, n, s, timestamp, value};
use crate::domain::{ConnectionId, DocumentRef};

impl Documents<'_> {
    /// Replaces the payment state if nobody wrote it since `read` (its version); the stored state is returned.
    pub async fn set_payments(
        &self,
        conn: &ConnectionId,
        doc: &DocumentRef,
        read: Option<&PaymentState>,
        next: &PaymentState,
        now: DateTime<Utc>,
    ) -> Result<PaymentState, StoreError> {
        let expected = read.map_or(0, |p| p.version);
        let mut stored = next.clone();
        stored.version = expected + 1;
        let result = self
            .store
            .update_at(conn, keys::document(doc))
            .update_expression("SET #payments = :payments, #at = :at")
            .condition_expression(if read.is_some() {
                "attribute_exists(#pk) AND #payments.#version = :expected"
            } else {
                "attribute_exists(#pk) AND attribute_not_exists(#payments)"
            })
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#payments", "payments")
            .expression_attribute_names("#at", "updated_at")
            .expression_attribute_values(":payments", value(&stored)?)
            .expression_attribute_values(":at", s(timestamp(now)));
        let result = if read.is_some() {
            result
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":expected", n(expected))
        } else {
            result
        };
        match result.send().await {
            Ok(_) => Ok(stored),
            Err(e) if is_condition_failure(&e) => Err(StoreError::Contended {
                what: format!("the payments of {doc}"),
            }),
            Err(e) => Err(StoreError::aws("UpdateItem", e)),
        }
    }

    /// Focus's Peppol status of `doc` changed (a `peppolSubmissionFailed` webhook, or read again).
    pub async fn set_peppol(
        &self,
        conn: &ConnectionId,
        doc: &DocumentRef,
        status: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let update = self
            .store
            .update_at(conn, keys::document(doc))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#peppol", "peppol")
            .expression_attribute_names("#at", "updated_at")
            .expression_attribute_values(":at", s(timestamp(now)));
        let update = match status {
            Some(status) => update
                .update_expression("SET #peppol = :peppol, #at = :at")
                .expression_attribute_values(":peppol", s(status)),
            None => update.update_expression("SET #at = :at REMOVE #peppol"),
        };
        update
            .send()
            .await
            .map(drop)
            .map_err(|e| StoreError::aws("UpdateItem", e))
    }

    /// The booking of `doc` now carries its file (added by `attach --missing`). Refused unless the record says the
    /// booking went without it.
    pub async fn file_attached(
        &self,
        conn: &ConnectionId,
        doc: &DocumentRef,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let result = self
            .store
            .update_at(conn, keys::document(doc))
            .update_expression("SET #file.#attached = :yes, #at = :at")
            .condition_expression("attribute_exists(#pk) AND #file.#attached = :no")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#file", "file")
            .expression_attribute_names("#attached", "attached")
            .expression_attribute_names("#at", "updated_at")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .expression_attribute_values(":at", s(timestamp(now)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(StoreError::Contended {
                what: format!("the file of {doc} (already attached, or never recorded missing)"),
            }),
            Err(e) => Err(StoreError::aws("UpdateItem", e)),
        }
    }
}
