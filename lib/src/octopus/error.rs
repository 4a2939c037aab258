//! Everything an Octopus call can end in, typed, with a stable code, a sentence for a bookkeeper and a class.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::Operation;
use crate::domain::Code;
use crate::domain::{ErrorClass, Failure};
use crate::store::StoreError;

/// `ErrorResult`. Every field is optional: auth and parameter errors carry only `technicalInfo`
/// (docs/partners/octopus.md §9).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResult {
    #[serde(default)]
    pub error_code: Option<i32>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub technical_info: Option<String>,
}

impl ErrorResult {
    /// Reads an error body; anything unreadable gives an empty result (the status still classifies the error).
    pub fn parse(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_default()
    }

    /// The most useful text Octopus gave, for a person.
    pub fn text(&self) -> String {
        match (&self.error_message, &self.technical_info) {
            (Some(m), Some(t)) => format!("{} ({})", m.trim(), t.trim()),
            (Some(m), None) => m.trim().to_owned(),
            (None, Some(t)) => t.trim().to_owned(),
            (None, None) => "no details given".to_owned(),
        }
    }
}

/// Octopus's code for a document number that is not exactly the journal's last number + 1.
pub const ILLEGAL_SEQUENCE: i32 = -13;

#[derive(Debug, thiserror::Error)]
pub enum OctopusError {
    #[error(
        "Today's Octopus allowance for {} ({limit} calls a day) is used up; nothing was sent. The work resumes \
         automatically after {resets_at} (midnight in Belgium).",
        operation.operation_id()
    )]
    BudgetExhausted {
        operation: Operation,
        limit: u32,
        resets_at: DateTime<Utc>,
    },

    #[error(
        "Octopus refused the login (user or password wrong, or the software house id is not valid: {details}). \
         Correct the Octopus credentials in Secrets Manager; they are not retried, to avoid locking the user."
    )]
    CredentialsRejected { details: String },

    #[error(
        "Octopus refused access to dossier {dossier} ({details}). Check that the Octopus user may open this dossier \
         and that its webservice module is active."
    )]
    DossierRefused { dossier: i32, details: String },

    #[error(
        "Octopus refused the token for {} even after a fresh login ({details}). Check the user's rights on this \
         dossier.",
        operation.operation_id()
    )]
    Unauthorized { operation: Operation, details: String },

    #[error(
        "Journal {journal} is closed or open by another user in Octopus ({details}). It is retried automatically; \
         close the journal in Octopus if this lasts."
    )]
    JournalLocked { journal: String, details: String },

    #[error(
        "Octopus keeps no documents for this dossier ({details}), so the invoice file could not go with its booking. \
         Enable document storage (DMS) for the dossier in Octopus; the bookings go in without their files meanwhile."
    )]
    NoDocumentStorage { details: String },

    #[error(
        "Octopus refused document number {attempted} in journal {journal}: the journal's last number is {}. The \
         journal counter is resynchronised automatically.",
        last_booked.map_or_else(|| "not stated".to_owned(), |n| n.to_string())
    )]
    IllegalSequence {
        journal: String,
        attempted: i32,
        /// The last document number stated in Octopus's message, when it could be read.
        last_booked: Option<i32>,
        details: String,
    },

    #[error("Octopus refused the {} call: {}. Correct the data named and retry.", operation.operation_id(), error.text())]
    Rejected {
        operation: Operation,
        status: u16,
        error: ErrorResult,
    },

    #[error(
        "Octopus could not read the {} request (HTTP 500: invalid elements such as a wrong date format). This is a \
         bug in focus-octopus; please report it with the document named.",
        operation.operation_id()
    )]
    InvalidData { operation: Operation },

    #[error("Octopus found nothing for {}.", operation.operation_id())]
    NotFound { operation: Operation },

    #[error(
        "Octopus did not answer the {} call in time or was unavailable ({details}); it is retried automatically.",
        operation.operation_id()
    )]
    Unavailable { operation: Operation, details: String },

    #[error(
        "Octopus said it is too busy for {} (HTTP 429); the call is retried later.",
        operation.operation_id()
    )]
    Throttled { operation: Operation },

    #[error(
        "The connection dropped after the {} call was sent, so whether Octopus took it is unknown; it is checked \
         before anything is sent again.",
        operation.operation_id()
    )]
    OutcomeUnknown { operation: Operation },

    #[error(
        "Another worker is logging in to Octopus right now and did not finish in time; the call is retried \
         automatically."
    )]
    LoginBusy,

    #[error("Octopus answered the {} call with something unexpected ({details}).", operation.operation_id())]
    UnexpectedResponse { operation: Operation, details: String },

    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Failure for OctopusError {
    fn code(&self) -> Code {
        use OctopusError::*;
        match self {
            BudgetExhausted { .. } => Code::OCTOPUS_BUDGET_EXHAUSTED,
            CredentialsRejected { .. } => Code::OCTOPUS_CREDENTIALS_REJECTED,
            DossierRefused { .. } => Code::OCTOPUS_DOSSIER_REFUSED,
            Unauthorized { .. } => Code::OCTOPUS_UNAUTHORIZED,
            JournalLocked { .. } => Code::OCTOPUS_JOURNAL_LOCKED,
            NoDocumentStorage { .. } => Code::OCTOPUS_NO_DOCUMENT_STORAGE,
            IllegalSequence { .. } => Code::OCTOPUS_ILLEGAL_SEQUENCE,
            Rejected { .. } => Code::OCTOPUS_REJECTED,
            InvalidData { .. } => Code::OCTOPUS_INVALID_DATA,
            NotFound { .. } => Code::OCTOPUS_NOT_FOUND,
            Unavailable { .. } => Code::OCTOPUS_UNAVAILABLE,
            Throttled { .. } => Code::OCTOPUS_THROTTLED,
            OutcomeUnknown { .. } => Code::OCTOPUS_OUTCOME_UNKNOWN,
            LoginBusy => Code::OCTOPUS_LOGIN_BUSY,
            UnexpectedResponse { .. } => Code::OCTOPUS_UNEXPECTED_RESPONSE,
            Store(e) => e.code(),
        }
    }

    fn class(&self) -> ErrorClass {
        use OctopusError::*;
        match self {
            BudgetExhausted { .. }
            | JournalLocked { .. }
            | IllegalSequence { .. }
            | Unavailable { .. }
            | Throttled { .. }
            | OutcomeUnknown { .. }
            | LoginBusy => ErrorClass::Transient,
            CredentialsRejected { .. }
            | DossierRefused { .. }
            | Unauthorized { .. }
            | Rejected { .. }
            | InvalidData { .. }
            | NoDocumentStorage { .. }
            | NotFound { .. }
            | UnexpectedResponse { .. } => ErrorClass::Permanent,
            Store(e) => e.class(),
        }
    }
}

/// Reads the last document number from the `-13` message, or `None` when the message does not state it (then the
/// journal is read again; a number that was not read is never used). Live wordings (docs/partners/octopus.md §7):
/// a sales booking's `"… Illegal document seq Nr.  Last Document = 6.  New Document = 1. "`, a financial or diverse
/// booking's `"Illegal document sequence nr.  Last Document : 5"`; any spacing and case around the separator.
pub fn last_document_from(technical_info: &str) -> Option<i32> {
    const LABEL: &str = "last document";
    let at = technical_info.to_ascii_lowercase().find(LABEL)?;
    let rest = technical_info[at + LABEL.len()..].trim_start();
    let rest = rest.strip_prefix(['=', ':'])?.trim_start();
    let sign = usize::from(rest.starts_with('-'));
    let digits = rest[sign..].chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    rest[..sign + digits].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_document_number_is_read_from_the_live_minus_13_wording() {
        let live = "Unable to insert booking in dossier 49555.  Illegal document seq Nr.  Last Document = 6.  New \
                    Document = 1. ";
        assert_eq!(last_document_from(live), Some(6));
        assert_eq!(last_document_from("Last Document = 0."), Some(0));
        assert_eq!(last_document_from("Illegal document seq Nr."), None);
        assert_eq!(last_document_from("Last Document = ?"), None);
    }

    #[test]
    fn the_last_document_number_is_read_from_the_financial_bookings_wording_and_any_spacing() {
        assert_eq!(
            last_document_from("Illegal document sequence nr.  Last Document : 5"),
            Some(5)
        );
        assert_eq!(last_document_from("Last Document:12"), Some(12));
        assert_eq!(last_document_from("last document   =   7 ."), Some(7));
        assert_eq!(last_document_from("Last Document : "), None);
        assert_eq!(last_document_from("Last Document 5"), None, "no separator: not read");
    }

    #[test]
    fn an_error_body_with_only_technical_info_parses() {
        let e = ErrorResult::parse(br#"{"technicalInfo":"Invalid or missing parameters passed"}"#);
        assert_eq!(e.error_code, None);
        assert_eq!(e.text(), "Invalid or missing parameters passed");
        assert_eq!(ErrorResult::parse(b"<html>"), ErrorResult::default());
    }
}
