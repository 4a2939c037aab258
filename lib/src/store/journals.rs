//! `JOURNAL#<bookyear>#<journal>`: the last document number known to be booked in an Octopus sales journal, and
//! the one in-flight intent.
//!
//! Octopus requires document numbers to be exactly last + 1 per journal (error -13 otherwise). The poster reserves
//! the next number with an intent naming the document, posts, then [`Journals::complete`] marks the document
//! `posted` and advances the counter in one transaction. A crash between the post and the transaction leaves the
//! intent behind, so the next attempt knows which document may already be booked under which number.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::documents::refused;
use super::error::{is_condition_failure, refused_item};
use super::{Store, StoreError, from_item, item_key, keys, n, s, timestamp, to_item, value};
use crate::domain::{BookyearId, ConnectionId, DocumentRef, DocumentState, JournalKey};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalIntent {
    /// The number reserved: last booked + 1.
    pub document_nr: u32,
    pub document: DocumentRef,
    pub started_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalCounter {
    pub bookyear: BookyearId,
    pub journal: JournalKey,
    pub last_booked: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<JournalIntent>,
    pub updated_at: DateTime<Utc>,
}

/// What else an intent's write checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentGuard {
    None,
    /// The document is still `posting` (a sales booking of a document; a payment booking's invoice is `posted`).
    DocumentPosting,
}

pub struct Journals<'a> {
    pub(super) store: &'a Store,
}

impl Journals<'_> {
    pub async fn get(
        &self,
        conn: &ConnectionId,
        bookyear: BookyearId,
        journal: &JournalKey,
    ) -> Result<Option<JournalCounter>, StoreError> {
        self.store
            .get_item(keys::connection(conn), keys::journal(bookyear, journal))
            .await?
            .map(from_item)
            .transpose()
    }

    /// Creates the counter from Octopus's `lastBookedDocumentNr` if it does not exist yet; returns the stored one.
    pub async fn initialise(
        &self,
        conn: &ConnectionId,
        bookyear: BookyearId,
        journal: &JournalKey,
        last_booked: u32,
        now: DateTime<Utc>,
    ) -> Result<JournalCounter, StoreError> {
        let counter = JournalCounter {
            bookyear,
            journal: journal.clone(),
            last_booked,
            intent: None,
            updated_at: now,
        };
        let result = self
            .store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some(to_item(
                &counter,
                keys::connection(conn),
                keys::journal(bookyear, journal),
            )?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(counter),
            Err(e) if is_condition_failure(&e) => match refused_item(e) {
                Some(item) => from_item(item),
                None => Err(StoreError::Contended {
                    what: format!("journal {journal}"),
                }),
            },
            Err(e) => Err(StoreError::aws("PutItem", e)),
        }
    }

    /// Reserves the next document number for `doc`.
    ///
    /// The same document asking again gets the same number back (its earlier attempt may or may not have been
    /// booked; the caller resolves that with Octopus's -13 answer). Another document's intent is refused with
    /// [`StoreError::IntentHeld`] until it is completed, released or resynchronised.
    pub async fn reserve(
        &self,
        conn: &ConnectionId,
        bookyear: BookyearId,
        journal: &JournalKey,
        doc: &DocumentRef,
        now: DateTime<Utc>,
    ) -> Result<JournalIntent, StoreError> {
        self.reserve_guarded(conn, bookyear, journal, doc, IntentGuard::None, now)
            .await
    }

    /// [`Self::reserve`], and with [`IntentGuard::DocumentPosting`] only while the document is still `posting`, in
    /// the same transaction: a poster that lost the race for a document (two posters on one message, after its
    /// visibility timeout) cannot reserve a second number for a document its rival has just recorded as posted.
    pub async fn reserve_guarded(
        &self,
        conn: &ConnectionId,
        bookyear: BookyearId,
        journal: &JournalKey,
        doc: &DocumentRef,
        guard: IntentGuard,
        now: DateTime<Utc>,
    ) -> Result<JournalIntent, StoreError> {
        let counter = self
            .get(conn, bookyear, journal)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("The counter of journal {journal} in bookyear {bookyear} (initialise it from Octopus)"),
            })?;
        if let Some(intent) = counter.intent {
            return if &intent.document == doc {
                Ok(intent)
            } else {
                Err(StoreError::IntentHeld {
                    journal: journal.clone(),
                    intent,
                })
            };
        }
        match self
            .put_intent(conn, bookyear, journal, doc, counter.last_booked, guard, now)
            .await?
        {
            Some(intent) => Ok(intent),
            None => Err(StoreError::Contended {
                what: format!("journal {journal}"),
            }),
        }
    }

    /// Writes `doc`'s intent for `expected_last + 1` if the counter is at `expected_last` without an intent;
    /// `None` when that condition does not hold.
    #[allow(clippy::too_many_arguments)]
    async fn put_intent(
        &self,
        conn: &ConnectionId,
        bookyear: BookyearId,
        journal: &JournalKey,
        doc: &DocumentRef,
        expected_last: u32,
        guard: IntentGuard,
        now: DateTime<Utc>,
    ) -> Result<Option<JournalIntent>, StoreError> {
        let intent = JournalIntent {
            document_nr: expected_last + 1,
            document: doc.clone(),
            started_at: now,
        };
        if guard == IntentGuard::DocumentPosting {
            return self
                .put_intent_while_posting(conn, bookyear, journal, &intent, expected_last, now)
                .await;
        }
        let result = self
            .store
            .update_at(conn, keys::journal(bookyear, journal))
            .update_expression("SET #intent = :intent, #at = :at")
            .condition_expression("#last = :last AND attribute_not_exists(#intent)")
            .expression_attribute_names("#intent", "intent")
            .expression_attribute_names("#last", "last_booked")
            .expression_attribute_names("#at", "updated_at")
            .expression_attribute_values(":intent", value(&intent)?)
            .expression_attribute_values(":last", n(expected_last))
            .expression_attribute_values(":at", s(timestamp(now)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Some(intent)),
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(StoreError::aws("UpdateItem", e)),
        }
    }

    /// [`Journals::reserve`] in one write when the caller knows the counter (its last `complete`): refused by the
    /// condition if the counter moved or an intent is there, and then done the long way.
    #[allow(clippy::too_many_arguments)]
    pub async fn reserve_after(
        &self,
        conn: &ConnectionId,
        bookyear: BookyearId,
        journal: &JournalKey,
        doc: &DocumentRef,
        expected_last: u32,
        guard: IntentGuard,
        now: DateTime<Utc>,
    ) -> Result<JournalIntent, StoreError> {
        match self
            .put_intent(conn, bookyear, journal, doc, expected_last, guard, now)
            .await?
        {
            Some(intent) => Ok(intent),
            None => self.reserve_guarded(conn, bookyear, journal, doc, guard, now).await,
        }
    }

    /// The intent write of [`Self::put_intent`] together with a check that the document is still `posting`.
    async fn put_intent_while_posting(
        &self,
        conn: &ConnectionId,
        bookyear: BookyearId,
        journal: &JournalKey,
        intent: &JournalIntent,
        expected_last: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<JournalIntent>, StoreError> {
        let doc = &intent.document;
        let build_error = |what: &str, e: aws_sdk_dynamodb::error::BuildError| StoreError::Corrupt {
            key: what.into(),
            reason: e.to_string(),
        };
        let journal_update = Update::builder()
            .table_name(&self.store.table)
            .set_key(Some(item_key(conn, keys::journal(bookyear, journal))))
            .update_expression("SET #intent = :intent, #at = :at")
            .condition_expression("#last = :last AND attribute_not_exists(#intent)")
            .set_expression_attribute_names(Some(HashMap::from([
                ("#intent".into(), "intent".into()),
                ("#last".into(), "last_booked".into()),
                ("#at".into(), "updated_at".into()),
            ])))
            .set_expression_attribute_values(Some(HashMap::from([
                (":intent".into(), value(intent)?),
                (":last".into(), n(expected_last)),
                (":at".into(), s(timestamp(now))),
            ])))
            .build()
            .map_err(|e| build_error("journal intent", e))?;
        let still_posting = ConditionCheck::builder()
            .table_name(&self.store.table)
            .set_key(Some(item_key(conn, keys::document(doc))))
            .condition_expression("#state = :posting")
            .set_expression_attribute_names(Some(HashMap::from([("#state".into(), "state".into())])))
            .set_expression_attribute_values(Some(HashMap::from([(
                ":posting".into(),
                s(DocumentState::Posting.as_str()),
            )])))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| build_error("document check", e))?;
        let result = self
            .store
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(journal_update).build())
            .transact_items(TransactWriteItem::builder().condition_check(still_posting).build())
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(Some(intent.clone())),
            Err(err) => err,
        };
        let reasons = cancellation_reasons(err)?;
        if let Some(old) = reasons.refused(1) {
            return Err(refused(doc, old, DocumentState::Posting));
        }
        if reasons.failed(0) {
            return Ok(None);
        }
        Err(reasons.unexplained())
    }

    /// Drops `doc`'s intent when Octopus refused its booking for good (nothing was booked under the number).
    /// Returns whether an intent of `doc` was there.
    pub async fn release(
        &self,
        conn: &ConnectionId,
        bookyear: BookyearId,
        journal: &JournalKey,
        doc: &DocumentRef,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .store
            .update_at(conn, keys::journal(bookyear, journal))
            .update_expression("SET #at = :at REMOVE #intent")
            .condition_expression("#intent.#doc.#kind = :kind AND #intent.#doc.#id = :id")
            .expression_attribute_names("#intent", "intent")
            .expression_attribute_names("#doc", "document")
            .expression_attribute_names("#kind", "kind")
            .expression_attribute_names("#id", "id")
            .expression_attribute_names("#at", "updated_at")
            .expression_attribute_values(":kind", s(doc.kind.as_str()))
            .expression_attribute_values(":id", s(doc.id.as_str()))
            .expression_attribute_values(":at", s(timestamp(now)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(StoreError::aws("UpdateItem", e)),
        }
    }

    /// Sets the counter to what Octopus states is the last booked number (from a -13 answer or the journal list)
    /// and drops any intent. Octopus is the truth for its own numbering.
    pub async fn resynchronise(
        &self,
        conn: &ConnectionId,
        bookyear: BookyearId,
        journal: &JournalKey,
        last_booked: u32,
        now: DateTime<Utc>,
    ) -> Result<JournalCounter, StoreError> {
        let counter = JournalCounter {
            bookyear,
            journal: journal.clone(),
            last_booked,
            intent: None,
            updated_at: now,
        };
        self.store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some(to_item(
                &counter,
                keys::connection(conn),
                keys::journal(bookyear, journal),
            )?))
            .send()
            .await
            .map_err(|e| StoreError::aws("PutItem", e))?;
        Ok(counter)
    }
}

/// Why a transaction was cancelled, item by item.
pub(super) struct Cancelled {
    reasons: Vec<aws_sdk_dynamodb::types::CancellationReason>,
    err: aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError>,
}

/// The cancellation reasons of a failed transaction; any other failure is the store's error.
pub(super) fn cancellation_reasons(
    err: aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError>,
) -> Result<Cancelled, StoreError> {
    let reasons = err.as_service_error().and_then(|e| match e {
        TransactWriteItemsError::TransactionCanceledException(canceled) => canceled.cancellation_reasons.clone(),
        _ => None,
    });
    match reasons {
        Some(reasons) => Ok(Cancelled { reasons, err }),
        None => Err(StoreError::aws("TransactWriteItems", err)),
    }
}

impl Cancelled {
    /// Whether the condition of item `i` failed.
    pub(super) fn failed(&self, i: usize) -> bool {
        self.reasons.get(i).and_then(|r| r.code.as_deref()) == Some("ConditionalCheckFailed")
    }

    /// Item `i` as it was, when its condition failed.
    pub(super) fn refused(&self, i: usize) -> Option<Option<HashMap<String, AttributeValue>>> {
        self.failed(i).then(|| self.reasons.get(i).and_then(|r| r.item.clone()))
    }

    pub(super) fn unexplained(self) -> StoreError {
        StoreError::aws("TransactWriteItems", self.err)
    }
}
