//! Completing a booking (docs/DESIGN.md §7): the document `posted` with its booking key, the journal counter at the
//! booked number, the intent gone and the booking's pointer item written, in one DynamoDB transaction.

use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::documents::{PostedAmounts, PostedWith, refused};
use super::journals::{JournalIntent, Journals, cancellation_reasons};
use super::{StoreError, item_key, keys, n, s, timestamp, value};
use crate::domain::{BookingKey, ConnectionId, DocumentState};

impl Journals<'_> {
    /// Octopus accepted (or, after a -13, confirmed) the booking of the intent: in one transaction the document
    /// becomes `posted` with its booking key and the counter advances to the booked number. Refused, with nothing
    /// changed, unless the journal holds exactly this intent and the document is `posting`. The document's Focus
    /// number and its file, when given, are recorded with it (people, and a credit note's booking, know the invoice
    /// by its number; `attach --missing` finds the bookings that went without their file).
    pub async fn complete(
        &self,
        conn: &ConnectionId,
        intent: &JournalIntent,
        booking: &BookingKey,
        posted: &PostedAmounts,
        with: PostedWith<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let doc = &intent.document;
        let at = s(timestamp(now));
        let journal_update = Update::builder()
            .table_name(&self.store.table)
            .set_key(Some(item_key(conn, keys::journal(booking.bookyear, &booking.journal))))
            .update_expression("SET #last = :nr, #at = :at REMOVE #intent")
            .condition_expression("#intent.#nr = :nr AND #intent.#doc.#kind = :kind AND #intent.#doc.#id = :id")
            .set_expression_attribute_names(Some(HashMap::from([
                ("#last".into(), "last_booked".into()),
                ("#at".into(), "updated_at".into()),
                ("#intent".into(), "intent".into()),
                ("#nr".into(), "document_nr".into()),
                ("#doc".into(), "document".into()),
                ("#kind".into(), "kind".into()),
                ("#id".into(), "id".into()),
            ])))
            .set_expression_attribute_values(Some(HashMap::from([
                (":nr".into(), n(booking.document_nr)),
                (":kind".into(), s(doc.kind.as_str())),
                (":id".into(), s(doc.id.as_str())),
                (":at".into(), at.clone()),
            ])))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| StoreError::Corrupt {
                key: "journal update".into(),
                reason: e.to_string(),
            })?;
        let mut names = HashMap::from([
            ("#state".into(), "state".into()),
            ("#booking".into(), "booking".into()),
            ("#posted".into(), "posted".into()),
            ("#gpk".into(), keys::GSI1PK.into()),
            ("#gsk".into(), keys::GSI1SK.into()),
            ("#at".into(), "updated_at".into()),
            ("#err".into(), "last_error".into()),
        ]);
        let mut values = HashMap::from([
            (":posted".into(), s(DocumentState::Posted.as_str())),
            (":posting".into(), s(DocumentState::Posting.as_str())),
            (":booking".into(), value(booking)?),
            (":amounts".into(), value(posted)?),
            (":gpk".into(), s(keys::booking_index(conn, booking))),
            (":gsk".into(), s(keys::document(doc))),
            (":at".into(), at),
        ]);
        let mut set = "SET #state = :posted, #booking = :booking, #posted = :amounts, #gpk = :gpk, #gsk = :gsk, \
                       #at = :at"
            .to_owned();
        if let Some(number) = with.number.filter(|n| !n.is_empty()) {
            names.insert("#number".into(), "number".into());
            values.insert(":number".into(), s(number));
            set.push_str(", #number = :number");
        }
        if let Some(peppol) = with.peppol {
            names.insert("#peppol".into(), "peppol".into());
            values.insert(":peppol".into(), s(peppol));
            set.push_str(", #peppol = :peppol");
        }
        if let Some(file) = with.file {
            names.insert("#file".into(), "file".into());
            values.insert(":file".into(), value(file)?);
            set.push_str(", #file = :file");
        }
        let document_update = Update::builder()
            .table_name(&self.store.table)
            .set_key(Some(item_key(conn, keys::document(doc))))
            .update_expression(format!("{set} REMOVE #err"))
            .condition_expression("#state = :posting")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| StoreError::Corrupt {
                key: "document update".into(),
                reason: e.to_string(),
            })?;
        // The booking's reverse item: a booking belongs to one document for good.
        let booking_item = Put::builder()
            .table_name(&self.store.table)
            .item(keys::PK, s(keys::connection(conn)))
            .item(keys::SK, s(keys::booking(booking)))
            .item("document", value(doc)?)
            .condition_expression("attribute_not_exists(#pk) OR (#doc.#kind = :kind AND #doc.#id = :id)")
            .set_expression_attribute_names(Some(HashMap::from([
                ("#pk".into(), keys::PK.into()),
                ("#doc".into(), "document".into()),
                ("#kind".into(), "kind".into()),
                ("#id".into(), "id".into()),
            ])))
            .set_expression_attribute_values(Some(HashMap::from([
                (":kind".into(), s(doc.kind.as_str())),
                (":id".into(), s(doc.id.as_str())),
            ])))
            .build()
            .map_err(|e| StoreError::Corrupt {
                key: "booking item".into(),
                reason: e.to_string(),
            })?;
        let result = self
            .store
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(journal_update).build())
            .transact_items(TransactWriteItem::builder().update(document_update).build())
            .transact_items(TransactWriteItem::builder().put(booking_item).build())
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        let reasons = cancellation_reasons(err)?;
        if let Some(old) = reasons.refused(1) {
            return Err(refused(doc, old, DocumentState::Posted));
        }
        if reasons.failed(0) {
            return Err(StoreError::Contended {
                what: format!("the intent of journal {} (it no longer names {doc})", booking.journal),
            });
        }
        if reasons.failed(2) {
            return Err(StoreError::AlreadyExists {
                what: format!("Booking {booking} (recorded for another document)"),
            });
        }
        Err(reasons.unexplained())
    }
}
