//! Everything a Focus call can end in, typed, with a stable code, a sentence for a bookkeeper and a class.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::Code;
use crate::domain::{ErrorClass, Failure};
use crate::store::StoreError;

/// `{"errors":[{"title": …}]}`: only `title` is documented (docs/partners/focus.md §2.4).
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub errors: Vec<ErrorTitle>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct ErrorTitle {
    #[serde(default)]
    pub title: Option<String>,
}

impl ErrorBody {
    pub(super) fn titles(body: &[u8]) -> String {
        let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        let titles: Vec<String> = parsed.errors.into_iter().filter_map(|e| e.title).collect();
        if titles.is_empty() {
            "no details given".into()
        } else {
            titles.join("; ")
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FocusError {
    #[error(
        "Teamleader Focus no longer accepts this connection's authorisation ({details}). The connection is paused \
         until then: run `focus-octopus connect-focus` and approve focus-octopus in Focus again."
    )]
    ReauthorizationRequired { details: String },

    #[error(
        "This approval came from Focus account {approving}, but the connection books the documents of Focus account \
         {recorded}. Nothing was stored and the connection keeps its authorisation. To change the source of the \
         books on purpose, run `focus-octopus connect-focus --switch-account` and approve again."
    )]
    AccountChanged { recorded: String, approving: String },

    #[error(
        "Teamleader Focus's limit of 200 requests a minute was reached and did not free up in time (until {until}); \
         the work is retried automatically."
    )]
    RateLimited { until: DateTime<Utc> },

    #[error("Teamleader Focus refused {action} (HTTP {status}: {titles}). Correct the data named and retry.")]
    Rejected {
        action: &'static str,
        status: u16,
        titles: String,
    },

    #[error("Teamleader Focus does not know the record asked for by {action}; it may have been deleted.")]
    NotFound { action: &'static str },

    #[error("Teamleader Focus did not answer {action} in time or was unavailable ({details}); retried automatically.")]
    Unavailable { action: &'static str, details: String },

    #[error(
        "The answer to {action} was lost, so whether Focus did it is unknown; it is checked before anything is sent \
         again."
    )]
    OutcomeUnknown { action: &'static str },

    #[error("Another worker is renewing the Focus authorisation and did not finish in time; retried automatically.")]
    RefreshBusy,

    #[error(
        "The Focus authorisation in Secrets Manager ({secret}) cannot be used: {details}. Then run `focus-octopus \
         connect-focus` to approve it in Focus."
    )]
    SecretInvalid { secret: String, details: String },

    #[error("Secrets Manager could not {operation} the Focus authorisation: {details}; retried automatically.")]
    SecretUnavailable { operation: &'static str, details: String },

    #[error("Teamleader Focus answered {action} with something unexpected ({details}).")]
    UnexpectedResponse { action: &'static str, details: String },

    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Failure for FocusError {
    fn code(&self) -> Code {
        use FocusError::*;
        match self {
            ReauthorizationRequired { .. } => Code::FOCUS_REAUTHORIZATION_REQUIRED,
            RateLimited { .. } => Code::FOCUS_RATE_LIMITED,
            Rejected { .. } => Code::FOCUS_REJECTED,
            AccountChanged { .. } => Code::FOCUS_ACCOUNT_CHANGED,
            NotFound { .. } => Code::FOCUS_NOT_FOUND,
            Unavailable { .. } => Code::FOCUS_UNAVAILABLE,
            OutcomeUnknown { .. } => Code::FOCUS_OUTCOME_UNKNOWN,
            RefreshBusy => Code::FOCUS_TOKEN_REFRESH_BUSY,
            SecretInvalid { .. } => Code::FOCUS_SECRET_INVALID,
            SecretUnavailable { .. } => Code::FOCUS_SECRET_UNAVAILABLE,
            UnexpectedResponse { .. } => Code::FOCUS_UNEXPECTED_RESPONSE,
            Store(e) => e.code(),
        }
    }

    fn class(&self) -> ErrorClass {
        use FocusError::*;
        match self {
            RateLimited { .. }
            | Unavailable { .. }
            | OutcomeUnknown { .. }
            | RefreshBusy
            | SecretUnavailable { .. } => ErrorClass::Transient,
            ReauthorizationRequired { .. }
            | AccountChanged { .. }
            | Rejected { .. }
            | NotFound { .. }
            | SecretInvalid { .. }
            | UnexpectedResponse { .. } => ErrorClass::Permanent,
            Store(e) => e.class(),
        }
    }
}
