//! Sales bookings (`buysellbookings`) and financial/diverse bookings (docs/partners/octopus.md §7, §8).
//! Amounts are JSON doubles on the wire and `Decimal` here.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::keys::absent::{empty_is_none, zero_is_none};
use super::keys::{BookyearKey, RelationIdentification};

/// `BuySellBookingServiceData`. For a credit note the total is negative and the lines positive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuySellBooking {
    pub bookyear_key: BookyearKey,
    pub journal_key: String,
    /// Exactly the journal's last booked number + 1.
    pub document_sequence_nr: i32,
    pub relation_identification_service_data: RelationIdentification,
    /// Spelled "Periode" in this schema (and "Period" in keys and reports).
    pub bookyear_periode_nr: i32,
    pub document_date: NaiveDate,
    /// The due date.
    pub expiry_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub order_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub reference: Option<String>,
    /// Total booking amount, VAT included.
    #[serde(with = "rust_decimal::serde::float")]
    pub amount: Decimal,
    pub currency_code: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub exchange_rate: Decimal,
    #[serde(default)]
    pub booking_lines: Vec<BuySellBookingLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<i32>,
}

impl BuySellBooking {
    /// The sales booking of a built draft under `key` (bookyear, journal, reserved number), for the customer's
    /// relation (Octopus id and our external id) in bookyear period `period`. The comment names the Focus document
    /// (`Focus invoice <id>`): a crashed poster's booking is recognised by it.
    pub fn sale(
        draft: &crate::domain::booking::BookingDraft,
        key: &crate::domain::BookingKey,
        period: i32,
        relation: (crate::domain::OctopusRelationId, i32),
        comment: String,
    ) -> Self {
        BuySellBooking {
            bookyear_key: BookyearKey { id: key.bookyear },
            journal_key: key.journal.as_str().to_owned(),
            document_sequence_nr: key.document_nr as i32,
            relation_identification_service_data: RelationIdentification {
                relation_key: Some(super::keys::RelationKey { id: relation.0 }),
                external_relation_id: Some(relation.1),
            },
            bookyear_periode_nr: period,
            document_date: draft.document_date,
            expiry_date: draft.due_date.max(draft.document_date),
            comment: Some(comment),
            order_reference: Some(draft.number.clone()),
            reference: Some(draft.reference.clone()),
            amount: draft.amount,
            currency_code: draft.currency.clone(),
            exchange_rate: draft.exchange_rate,
            booking_lines: draft
                .lines
                .iter()
                .map(|l| BuySellBookingLine {
                    account_key: l.ledger,
                    base_amount: l.base,
                    vat_code_key: l.vat_code.clone(),
                    vat_amount: l.vat,
                    comment: None,
                })
                .collect(),
            payment_method: None,
        }
    }
}

/// `BuySellBookingLineServiceData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuySellBookingLine {
    /// The ledger account number, such as 700000.
    pub account_key: i32,
    #[serde(with = "rust_decimal::serde::float")]
    pub base_amount: Decimal,
    pub vat_code_key: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub vat_amount: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub comment: Option<String>,
}

/// `BuySellBookingAndAttachmentRequest`: the body of `POST buysellbookings`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BuySellBookingRequest<'a> {
    pub buy_sell_booking_service_data: &'a BuySellBooking,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub attachments: &'a [Attachment],
}

/// `AttachementData` (sic): a file that goes with a booking, sent in the same call as the booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub file_name: String,
    /// The file, base64 (`format: byte`).
    pub file_data: String,
}

impl Attachment {
    pub fn new(file_name: impl Into<String>, bytes: &[u8]) -> Self {
        use base64::Engine;
        Self {
            file_name: file_name.into(),
            file_data: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }
}

/// `FinancialDiversBookingServiceData`: a bank or diverse booking (used to book a Focus payment in Octopus).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinancialDiversBooking {
    pub bookyear_key: BookyearKey,
    pub journal_key: String,
    pub document_sequence_nr: i32,
    pub bookyear_periode_nr: i32,
    pub document_date: NaiveDate,
    #[serde(with = "rust_decimal::serde::float")]
    pub exchange_rate: Decimal,
    #[serde(default)]
    pub booking_lines: Vec<FinancialDiversBookingLine>,
}

/// `FinancialDiversBookingLineServiceData`: `type` A (account), C (client) or S (supplier).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinancialDiversBookingLine {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "zero_is_none")]
    pub account_key: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "zero_is_none")]
    pub relation_id: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "zero_is_none")]
    pub external_relation_id: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub reference: Option<String>,
    #[serde(with = "rust_decimal::serde::float")]
    pub amount: Decimal,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FinancialDiversBookingRequest<'a> {
    pub financial_divers_booking_service_data: &'a FinancialDiversBooking,
}

use super::client::{Call, parse};
use super::error::{ILLEGAL_SEQUENCE, last_document_from};
use super::{OctopusClient, OctopusError, Operation, list_or_empty};
use crate::domain::BookyearId;
use reqwest::Method;

impl OctopusClient {
    /// `POST buysellbookings` (400 a day). Octopus returns no id: the booking is known by its key
    /// (bookyear, journal, document number). A number that is not last + 1 is [`OctopusError::IllegalSequence`]
    /// carrying the last number Octopus states; a locked journal is [`OctopusError::JournalLocked`].
    /// `POST buysellbookings` with the booking's files in the same call (so a file costs no extra daily call).
    pub async fn insert_booking(
        &self,
        booking: &BuySellBooking,
        attachments: &[Attachment],
    ) -> Result<(), OctopusError> {
        let call = Call {
            op: Operation::InsertBuySellBooking,
            method: Method::POST,
            path: self.dossier_path("/buysellbookings"),
            query: Vec::new(),
            body: Some(
                serde_json::to_vec(&BuySellBookingRequest {
                    buy_sell_booking_service_data: booking,
                    attachments,
                })
                .expect("a booking serialises"),
            ),
            headers: Vec::new(),
            resendable: true,
        };
        self.execute(&call)
            .await
            .map(drop)
            .map_err(|e| journal_refusal(e, &booking.journal_key, booking.document_sequence_nr))
    }

    /// `POST bookyears/{id}/bookings/attachements` (400 a day): one file added to a booking already made, named by
    /// the headers `journalKey` and `documentSequennceNr` (sic). Sending it twice would store it twice: not resent.
    pub async fn add_attachment(
        &self,
        bookyear: BookyearId,
        journal: &str,
        document_nr: i32,
        attachment: &Attachment,
    ) -> Result<(), OctopusError> {
        let call = Call {
            op: Operation::AddAttachementToBooking,
            method: Method::POST,
            path: self.dossier_path(&format!("/bookyears/{bookyear}/bookings/attachements")),
            query: Vec::new(),
            body: Some(serde_json::to_vec(attachment).expect("a file serialises")),
            headers: vec![
                ("journalKey", journal.to_owned()),
                ("documentSequennceNr", document_nr.to_string()),
            ],
            resendable: false,
        };
        self.execute(&call)
            .await
            .map(drop)
            .map_err(|e| journal_refusal(e, journal, document_nr))
    }

    /// `GET buysellbookings?bookyearId=&journalKey=&documentSeqNr=` (only 10 a day). `None` when it does not exist.
    pub async fn booking(
        &self,
        bookyear: BookyearId,
        journal: &str,
        document_nr: i32,
    ) -> Result<Option<BuySellBooking>, OctopusError> {
        let call = Call {
            op: Operation::GetBuySellBooking,
            method: Method::GET,
            path: self.dossier_path("/buysellbookings"),
            query: vec![
                ("bookyearId", bookyear.to_string()),
                ("journalKey", journal.to_owned()),
                ("documentSeqNr", document_nr.to_string()),
            ],
            body: None,
            headers: Vec::new(),
            resendable: true,
        };
        match self.execute(&call).await {
            Ok(answer) => parse(call.op, &answer.body).map(Some),
            Err(OctopusError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET buysellbookings/modified` (48 a day); `bookyear` None means all bookyears (-1). 404 means none.
    pub async fn modified_bookings(
        &self,
        bookyear: Option<BookyearId>,
        journal: Option<&str>,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<BuySellBooking>, OctopusError> {
        let call = Call {
            op: Operation::GetModifiedBuySellBookings,
            method: Method::GET,
            path: self.dossier_path("/buysellbookings/modified"),
            query: modified_query(bookyear, journal, since),
            body: None,
            headers: Vec::new(),
            resendable: true,
        };
        list_or_empty(call.op, self.execute(&call).await)
    }

    /// `POST financialdiversbookings` (400 a day): gapless numbers and journal locks as for sales bookings.
    pub async fn insert_financial_divers_booking(&self, booking: &FinancialDiversBooking) -> Result<(), OctopusError> {
        let call = Call {
            op: Operation::InsertFinancialDiversBooking,
            method: Method::POST,
            path: self.dossier_path("/financialdiversbookings"),
            query: Vec::new(),
            body: Some(
                serde_json::to_vec(&FinancialDiversBookingRequest {
                    financial_divers_booking_service_data: booking,
                })
                .expect("a booking serialises"),
            ),
            headers: Vec::new(),
            resendable: true,
        };
        self.execute(&call)
            .await
            .map(drop)
            .map_err(|e| journal_refusal(e, &booking.journal_key, booking.document_sequence_nr))
    }
}

impl OctopusClient {
    /// `GET financialdiversbookings/modified` (48 a day); `bookyear` None means all bookyears (-1). 404 means none.
    pub async fn modified_financial_bookings(
        &self,
        bookyear: Option<BookyearId>,
        journal: Option<&str>,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<FinancialDiversBooking>, OctopusError> {
        let call = Call {
            op: Operation::GetModifiedFinancialDiversBookings,
            method: Method::GET,
            path: self.dossier_path("/financialdiversbookings/modified"),
            query: modified_query(bookyear, journal, since),
            body: None,
            headers: Vec::new(),
            resendable: true,
        };
        list_or_empty(call.op, self.execute(&call).await)
    }
}

/// The query of a bookings `modified` feed: a bookyear (-1 = all), optionally a journal, and the time.
fn modified_query(
    bookyear: Option<BookyearId>,
    journal: Option<&str>,
    since: chrono::DateTime<chrono::Utc>,
) -> Vec<(&'static str, String)> {
    let mut query = vec![
        ("bookyearId", bookyear.map_or(-1, |b| b.0).to_string()),
        ("modifiedTimeStamp", super::keys::modified_timestamp(since)),
    ];
    if let Some(journal) = journal {
        query.push(("journalKey", journal.to_owned()));
    }
    query
}

/// How Octopus words a refusal for lack of document storage (its upload operations document `403 No DMS access for
/// this dossier`; docs/partners/octopus.md §11).
const NO_DOCUMENT_STORAGE: &str = "No DMS access";

/// The refusals a journal gives a booking: 403 is a lock (the desktop client has it open) unless it says the dossier
/// has no document storage (then files cannot go with bookings), -13 a number out of order.
fn journal_refusal(e: OctopusError, journal: &str, attempted: i32) -> OctopusError {
    match e {
        OctopusError::Rejected { status: 403, error, .. } if error.text().contains(NO_DOCUMENT_STORAGE) => {
            OctopusError::NoDocumentStorage { details: error.text() }
        }
        OctopusError::Rejected { status: 403, error, .. } => OctopusError::JournalLocked {
            journal: journal.to_owned(),
            details: error.text(),
        },
        OctopusError::Rejected { status: 400, error, .. } if error.error_code == Some(ILLEGAL_SEQUENCE) => {
            OctopusError::IllegalSequence {
                journal: journal.to_owned(),
                attempted,
                last_booked: error.technical_info.as_deref().and_then(last_document_from),
                details: error.text(),
            }
        }
        other => other,
    }
}
