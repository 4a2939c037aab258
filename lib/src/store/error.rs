use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{DocumentRef, DocumentState, ErrorClass, Failure, JournalKey};

use super::JournalIntent;
use crate::domain::Code;

/// What the store refused, or why it could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "The settings of connection '{connection}' were changed by someone else since they were read (version \
         {expected}). Read them again and repeat the change."
    )]
    StaleVersion { connection: String, expected: u64 },

    #[error("{what} already exists; nothing was changed.")]
    AlreadyExists { what: String },

    #[error("{what} does not exist. Check the name, or create it first.")]
    NotFound { what: String },

    #[error(
        "The {document} cannot go from '{}' to '{to}'; nothing was changed.",
        from.map_or("unknown (no record)", |s| s.as_str())
    )]
    TransitionRefused {
        document: DocumentRef,
        from: Option<DocumentState>,
        to: DocumentState,
    },

    #[error(
        "Today's Octopus budget for '{endpoint}' ({limit} calls on {day}) is used up. The work resumes \
         automatically tomorrow; raise the limit only if Octopus confirmed a higher one."
    )]
    BudgetExhausted {
        endpoint: String,
        limit: u32,
        day: NaiveDate,
    },

    #[error("'{name}' is being done by another worker until {until}; this attempt will be retried.")]
    LeaseHeld { name: String, until: DateTime<Utc> },

    #[error(
        "Journal {journal} is reserved for {} (document number {}) whose posting has not been confirmed yet; \
         it is resolved before the next document is booked.",
        intent.document, intent.document_nr
    )]
    IntentHeld { journal: JournalKey, intent: JournalIntent },

    #[error("Another worker changed {what} at the same moment; this attempt will be retried.")]
    Contended { what: String },

    #[error("All 2,147,483,647 Octopus external relation ids of this connection are used; contact the maintainers.")]
    SequenceExhausted,

    #[error("The stored item {key} cannot be read ({reason}); it was written by an incompatible version.")]
    Corrupt { key: String, reason: String },

    #[error("DynamoDB {operation} failed: {message}")]
    Aws { operation: &'static str, message: String },

    #[error(
        "DynamoDB {operation}: the table does not exist ({message}). Check TABLE_NAME against the stack's TableName \
         output (`sam list stack-outputs`) and that AWS_REGION is the stack's region."
    )]
    TableMissing { operation: &'static str, message: String },

    #[error(
        "DynamoDB {operation}: AWS refused the credentials or found none ({message}). Set AWS_PROFILE, or \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, for the stack's account (README, Deploy step 5)."
    )]
    AccessRefused { operation: &'static str, message: String },
}

impl StoreError {
    /// One line with the cause and, where it is the operator's to fix, the fix; never the SDK's whole chain.
    pub(crate) fn aws<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        let service = err.as_service_error().map(|e| {
            (
                e.code().unwrap_or("unknown").to_owned(),
                e.message().unwrap_or_default().to_owned(),
            )
        });
        let chain = DisplayErrorContext(&err).to_string();
        match service {
            Some((code, message)) if code == "ResourceNotFoundException" => Self::TableMissing {
                operation,
                message: format!("{code}: {message}"),
            },
            Some((code, message))
                if matches!(
                    code.as_str(),
                    "UnrecognizedClientException"
                        | "InvalidSignatureException"
                        | "ExpiredTokenException"
                        | "AccessDeniedException"
                        | "MissingAuthenticationTokenException"
                ) =>
            {
                Self::AccessRefused {
                    operation,
                    message: format!("{code}: {message}"),
                }
            }
            Some((code, message)) => Self::Aws {
                operation,
                message: format!("{code}: {message}"),
            },
            None if chain.to_lowercase().contains("credentials") => Self::AccessRefused {
                operation,
                message: "no credentials could be loaded".into(),
            },
            None => Self::Aws {
                operation,
                message: match &err {
                    SdkError::TimeoutError(_) => "no answer in time".into(),
                    SdkError::DispatchFailure(_) => "the request could not be sent (connection failed)".into(),
                    _ => chain.lines().next().unwrap_or_default().chars().take(200).collect(),
                },
            },
        }
    }
}

/// Whether a DynamoDB call was refused by its condition expression (not a failure: a refusal).
pub(crate) fn is_condition_failure<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

impl Failure for StoreError {
    fn code(&self) -> Code {
        match self {
            StoreError::StaleVersion { .. } => Code::CONFIG_CHANGED_CONCURRENTLY,
            StoreError::AlreadyExists { .. } => Code::ALREADY_EXISTS,
            StoreError::NotFound { .. } => Code::NOT_FOUND,
            StoreError::TransitionRefused { .. } => Code::DOCUMENT_STATE_REFUSED,
            StoreError::BudgetExhausted { .. } => Code::OCTOPUS_DAILY_BUDGET_EXHAUSTED,
            StoreError::LeaseHeld { .. } => Code::LEASE_HELD,
            StoreError::IntentHeld { .. } => Code::JOURNAL_INTENT_PENDING,
            StoreError::Contended { .. } => Code::STORE_CONTENDED,
            StoreError::SequenceExhausted => Code::EXTERNAL_RELATION_IDS_EXHAUSTED,
            StoreError::Corrupt { .. } => Code::STORE_ITEM_UNREADABLE,
            StoreError::Aws { .. } => Code::STORE_UNAVAILABLE,
            StoreError::TableMissing { .. } => Code::STORE_TABLE_MISSING,
            StoreError::AccessRefused { .. } => Code::AWS_ACCESS_REFUSED,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            StoreError::BudgetExhausted { .. }
            | StoreError::LeaseHeld { .. }
            | StoreError::IntentHeld { .. }
            | StoreError::Contended { .. }
            | StoreError::Aws { .. } => ErrorClass::Transient,
            StoreError::StaleVersion { .. }
            | StoreError::AlreadyExists { .. }
            | StoreError::NotFound { .. }
            | StoreError::TransitionRefused { .. }
            | StoreError::SequenceExhausted
            | StoreError::TableMissing { .. }
            | StoreError::AccessRefused { .. }
            | StoreError::Corrupt { .. } => ErrorClass::Permanent,
        }
    }
}

/// The item as it was when a condition refused a write (`ReturnValuesOnConditionCheckFailure::AllOld`).
pub(crate) trait RefusedItem {
    fn refused_item(self) -> Option<super::Item>;
}

macro_rules! refused_item {
    ($($error:ty),*) => {$(
        impl RefusedItem for $error {
            fn refused_item(self) -> Option<super::Item> {
                match self {
                    Self::ConditionalCheckFailedException(e) => e.item,
                    _ => None,
                }
            }
        }
    )*};
}

refused_item!(
    aws_sdk_dynamodb::operation::put_item::PutItemError,
    aws_sdk_dynamodb::operation::update_item::UpdateItemError,
    aws_sdk_dynamodb::operation::delete_item::DeleteItemError
);

pub(crate) fn refused_item<E: RefusedItem, R>(err: SdkError<E, R>) -> Option<super::Item> {
    match err {
        SdkError::ServiceError(service) => service.into_err().refused_item(),
        _ => None,
    }
}
