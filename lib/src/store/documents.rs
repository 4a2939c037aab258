//! `DOC#<kind>#<id>`: the sync state of one Focus document; only the transitions of
//! [`DocumentState::allowed_predecessors`] are possible, each a conditional write.

use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::{is_condition_failure, refused_item};
use super::payments::PaymentState;
use super::{Item, Store, StoreError, from_item, keys, n, s, timestamp, to_item, value};
use crate::domain::{BookingKey, ConnectionId, DocumentRef, DocumentState, ErrorClass};

/// What was booked, to detect a Focus change after posting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedAmounts {
    /// Payable total of the booking (negative for a credit note).
    pub total: Decimal,
    /// VAT total of the booking.
    pub vat: Decimal,
    /// Hash of the booked lines (ledger account, VAT code, base, VAT).
    pub lines_fingerprint: String,
}

/// The document's file on its Octopus booking (docs/partners/octopus.md §11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFile {
    /// As it is (or would be) named in Octopus: `2026-17.pdf`.
    pub name: String,
    /// Sent with the booking, or added later by `attach --missing`; `false`: the booking went in without it.
    pub attached: bool,
}

/// What is recorded with a completed booking besides its key and amounts.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostedWith<'a> {
    /// The document's Focus number.
    pub number: Option<&'a str>,
    /// Its file, when the connection sends one.
    pub file: Option<&'a BookingFile>,
    /// Focus's Peppol status of the document when it was booked.
    pub peppol: Option<&'a str>,
}

/// The last failure of a document: a stable code and the sentence a bookkeeper reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedError {
    pub code: String,
    pub message: String,
    pub class: ErrorClass,
    pub at: DateTime<Utc>,
}

impl RecordedError {
    pub fn from_failure(failure: &dyn crate::domain::Failure, at: DateTime<Utc>) -> Self {
        Self {
            code: failure.code().to_string(),
            // Records are read by people and tools outside the process: no secret, whatever a partner echoed.
            message: crate::logging::redact(&failure.to_string()).into_owned(),
            class: failure.class(),
            at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRecord {
    pub document: DocumentRef,
    pub state: DocumentState,
    /// Focus's number of the document (`2026 / 201`), once the poster has read it: people know documents by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<BookingKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posted: Option<PostedAmounts>,
    /// How many times posting was started.
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<RecordedError>,
    /// Why it was skipped or needs review, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What Octopus says was paid and what we registered in Focus (docs/DESIGN.md §4.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<PaymentState>,
    /// The document's file on its booking, when the connection sends files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<BookingFile>,
    /// Focus's `peppol_status` of the document, as last read (absent: never sent through Peppol).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peppol: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// What [`Documents::begin_posting`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// The document is now `posting` (this record is after the write).
    Started(DocumentRecord),
    /// The document is in a state posting cannot start from (`posted`, `skipped`, `needs_review`).
    Current(DocumentRecord),
}

/// A change of state other than `posted` (which only [`super::Journals::complete`] makes, together with the
/// journal counter).
#[derive(Debug, Clone)]
pub enum DocumentUpdate {
    /// `pending|posting|failed → posting`; counts an attempt.
    StartPosting,
    /// A transient failure while posting: stays `posting`, the message is redelivered later.
    RetryLater(RecordedError),
    /// Permanent failure: parked with the reason until a person fixes it and resyncs.
    Fail(RecordedError),
    Skip {
        reason: String,
    },
    Review {
        reason: String,
    },
    /// A person's `resync` of a failed or skipped document.
    Resync,
    /// A person corrected Octopus after a change in Focus: `needs_review → posted`, remembering what Focus holds now
    /// (if it could be worked out) so the same change is not flagged again.
    Reviewed {
        posted: Option<PostedAmounts>,
    },
}

impl DocumentUpdate {
    pub fn target(&self) -> DocumentState {
        match self {
            DocumentUpdate::StartPosting | DocumentUpdate::RetryLater(_) => DocumentState::Posting,
            DocumentUpdate::Fail(_) => DocumentState::Failed,
            DocumentUpdate::Skip { .. } => DocumentState::Skipped,
            DocumentUpdate::Review { .. } => DocumentState::NeedsReview,
            DocumentUpdate::Resync => DocumentState::Pending,
            DocumentUpdate::Reviewed { .. } => DocumentState::Posted,
        }
    }
}

pub struct Documents<'a> {
    pub(super) store: &'a Store,
}

impl Documents<'_> {
    pub async fn get(&self, conn: &ConnectionId, doc: &DocumentRef) -> Result<Option<DocumentRecord>, StoreError> {
        self.store
            .get_item(keys::connection(conn), keys::document(doc))
            .await?
            .map(from_item)
            .transpose()
    }

    /// The document's record, created `pending` on first sight; an existing record is returned unchanged.
    pub async fn ensure(
        &self,
        conn: &ConnectionId,
        doc: &DocumentRef,
        now: DateTime<Utc>,
    ) -> Result<DocumentRecord, StoreError> {
        let record = DocumentRecord {
            document: doc.clone(),
            state: DocumentState::Pending,
            number: None,
            booking: None,
            posted: None,
            attempts: 0,
            last_error: None,
            note: None,
            payments: None,
            file: None,
            peppol: None,
            updated_at: now,
        };
        let result = self
            .store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some({
                let mut item = to_item(&record, keys::connection(conn), keys::document(doc))?;
                item.insert(keys::GSI1PK.into(), s(keys::awaiting(conn)));
                item.insert(keys::GSI1SK.into(), s(keys::document(doc)));
                item
            }))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(record),
            Err(e) if is_condition_failure(&e) => {
                let existing = refused_item(e);
                match existing {
                    Some(item) => from_item(item),
                    None => Err(StoreError::Contended {
                        what: format!("the record of {doc}"),
                    }),
                }
            }
            Err(e) => Err(StoreError::aws("PutItem", e)),
        }
    }

    /// Starts (or restarts) posting `doc` in one write: a new record is created `posting`, one that is `pending`,
    /// `posting` or `failed` becomes `posting` and counts an attempt. Any other state is returned untouched as
    /// [`Begun::Current`], so the caller sees `posted`, `skipped` or `needs_review` without a second read.
    pub async fn begin_posting(
        &self,
        conn: &ConnectionId,
        doc: &DocumentRef,
        now: DateTime<Utc>,
    ) -> Result<Begun, StoreError> {
        let from = DocumentState::Posting.allowed_predecessors();
        let mut request = self
            .store
            .update_at(conn, keys::document(doc))
            .update_expression(
                "SET #doc = if_not_exists(#doc, :doc), #state = :posting, #at = :at, #gpk = :awaiting, #gsk = :sk \
                 ADD #attempts :one",
            )
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#gpk", keys::GSI1PK)
            .expression_attribute_names("#gsk", keys::GSI1SK)
            .expression_attribute_values(":awaiting", s(keys::awaiting(conn)))
            .expression_attribute_values(":sk", s(keys::document(doc)))
            .expression_attribute_names("#doc", "document")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#at", "updated_at")
            .expression_attribute_names("#attempts", "attempts")
            .expression_attribute_values(":doc", value(doc)?)
            .expression_attribute_values(":posting", s(DocumentState::Posting.as_str()))
            .expression_attribute_values(":at", s(timestamp(now)))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let placeholders: Vec<String> = (0..from.len()).map(|i| format!(":from{i}")).collect();
        for (placeholder, state) in placeholders.iter().zip(from) {
            request = request.expression_attribute_values(placeholder, s(state.as_str()));
        }
        request = request.condition_expression(format!(
            "attribute_not_exists(#pk) OR #state IN ({})",
            placeholders.join(", ")
        ));
        match request.send().await {
            Ok(out) => Ok(Begun::Started(from_item(out.attributes.unwrap_or_default())?)),
            Err(e) if is_condition_failure(&e) => match refused_item(e) {
                Some(item) => Ok(Begun::Current(from_item(item)?)),
                None => Err(StoreError::Contended {
                    what: format!("the record of {doc}"),
                }),
            },
            Err(e) => Err(StoreError::aws("UpdateItem", e)),
        }
    }

    /// Applies `update` if the document's current state allows it; otherwise refuses and changes nothing.
    pub async fn transition(
        &self,
        conn: &ConnectionId,
        doc: &DocumentRef,
        update: DocumentUpdate,
        now: DateTime<Utc>,
    ) -> Result<DocumentRecord, StoreError> {
        self.transition_numbered(conn, doc, update, None, now).await
    }

    /// [`Self::transition`], also storing Focus's number of the document when the caller has read it (the same
    /// write).
    pub async fn transition_numbered(
        &self,
        conn: &ConnectionId,
        doc: &DocumentRef,
        update: DocumentUpdate,
        number: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<DocumentRecord, StoreError> {
        let to = update.target();
        let mut request = self
            .store
            .update_at(conn, keys::document(doc))
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#at", "updated_at")
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":at", s(timestamp(now)))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);

        let predecessors = to.allowed_predecessors();
        let placeholders: Vec<String> = (0..predecessors.len()).map(|i| format!(":from{i}")).collect();
        for (placeholder, state) in placeholders.iter().zip(predecessors) {
            request = request.expression_attribute_values(placeholder, s(state.as_str()));
        }
        request = request.condition_expression(format!("#state IN ({})", placeholders.join(", ")));

        let set = match number.filter(|n| !n.is_empty()) {
            Some(number) => {
                request = request
                    .expression_attribute_names("#number", "number")
                    .expression_attribute_values(":number", s(number));
                "SET #state = :to, #at = :at, #number = :number"
            }
            None => "SET #state = :to, #at = :at",
        };
        request = match &update {
            DocumentUpdate::StartPosting => request
                .update_expression(format!("{set} ADD #attempts :one"))
                .expression_attribute_names("#attempts", "attempts")
                .expression_attribute_values(":one", n(1)),
            DocumentUpdate::RetryLater(error) => request
                .update_expression(format!("{set}, #err = :err"))
                .expression_attribute_names("#err", "last_error")
                .expression_attribute_values(":err", value(error)?),
            // Parked: no longer awaiting posting (these states come only from `pending`/`posting`, which carry the
            // awaiting index, never a booking's).
            DocumentUpdate::Fail(error) => request
                .update_expression(format!("{set}, #err = :err REMOVE #gpk, #gsk"))
                .expression_attribute_names("#err", "last_error")
                .expression_attribute_values(":err", value(error)?)
                .expression_attribute_names("#gpk", keys::GSI1PK)
                .expression_attribute_names("#gsk", keys::GSI1SK),
            DocumentUpdate::Skip { reason } => request
                .update_expression(format!("{set}, #note = :note REMOVE #gpk, #gsk"))
                .expression_attribute_names("#note", "note")
                .expression_attribute_values(":note", s(reason.as_str()))
                .expression_attribute_names("#gpk", keys::GSI1PK)
                .expression_attribute_names("#gsk", keys::GSI1SK),
            DocumentUpdate::Review { reason } => request
                .update_expression(format!("{set}, #note = :note"))
                .expression_attribute_names("#note", "note")
                .expression_attribute_values(":note", s(reason.as_str())),
            DocumentUpdate::Resync => request
                .update_expression(format!("{set}, #gpk = :awaiting, #gsk = :sk REMOVE #err, #note"))
                .expression_attribute_names("#err", "last_error")
                .expression_attribute_names("#note", "note")
                .expression_attribute_names("#gpk", keys::GSI1PK)
                .expression_attribute_names("#gsk", keys::GSI1SK)
                .expression_attribute_values(":awaiting", s(keys::awaiting(conn)))
                .expression_attribute_values(":sk", s(keys::document(doc))),
            DocumentUpdate::Reviewed { posted: Some(posted) } => request
                .update_expression(format!("{set}, #posted = :posted REMOVE #note"))
                .expression_attribute_names("#posted", "posted")
                .expression_attribute_values(":posted", value(posted)?)
                .expression_attribute_names("#note", "note"),
            DocumentUpdate::Reviewed { posted: None } => request
                .update_expression(format!("{set} REMOVE #note"))
                .expression_attribute_names("#note", "note"),
        };

        match request.send().await {
            Ok(out) => from_item(out.attributes.unwrap_or_default()),
            Err(e) if is_condition_failure(&e) => {
                let old = refused_item(e);
                Err(refused(doc, old, to))
            }
            Err(e) => Err(StoreError::aws("UpdateItem", e)),
        }
    }

    /// The document booked under `booking`: its booking item (written with `posted`), then its record. Two direct
    /// reads, strongly consistent, whatever the number of documents.
    pub async fn find_by_booking(
        &self,
        conn: &ConnectionId,
        booking: &BookingKey,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        let Some(item) = self
            .store
            .get_item(keys::connection(conn), keys::booking(booking))
            .await?
        else {
            return Ok(None);
        };
        #[derive(Deserialize)]
        struct BookingItem {
            document: DocumentRef,
        }
        let pointer: BookingItem = from_item(item)?;
        self.get(conn, &pointer.document).await
    }

    /// The documents that await posting (`pending` or `posting`), from the awaiting index. The index is eventually
    /// consistent, so the state is checked on the records read.
    pub async fn awaiting(&self, conn: &ConnectionId) -> Result<Vec<DocumentRecord>, StoreError> {
        let items = self.store.query_gsi1(keys::awaiting(conn)).await?;
        let records: Vec<DocumentRecord> = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok(records.into_iter().filter(|r| r.state.awaits_posting()).collect())
    }

    /// Every document record of the connection.
    pub async fn list(&self, conn: &ConnectionId) -> Result<Vec<DocumentRecord>, StoreError> {
        let items = self
            .store
            .query_prefix(keys::connection(conn), keys::DOCUMENT_PREFIX, false, None)
            .await?;
        items.into_iter().map(from_item).collect()
    }
}

pub(super) fn refused(doc: &DocumentRef, old: Option<Item>, to: DocumentState) -> StoreError {
    let from = old
        .as_ref()
        .and_then(|item| item.get("state"))
        .and_then(|v| v.as_s().ok())
        .and_then(|v| serde_json::from_value(serde_json::Value::String(v.clone())).ok());
    StoreError::TransitionRefused {
        document: doc.clone(),
        from,
        to,
    }
}
