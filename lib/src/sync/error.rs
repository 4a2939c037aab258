//! Every failure a use case can end in, keeping the partner's or the store's own code and class.

use crate::domain::Code;
use crate::domain::booking::MappingError;
use crate::domain::{ErrorClass, Failure};
use crate::focus::FocusError;
use crate::octopus::OctopusError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Focus(#[from] FocusError),
    #[error(transparent)]
    Octopus(#[from] OctopusError),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    /// A rule of the sync itself, with its code and class.
    #[error("{message}")]
    Rule {
        code: Code,
        message: String,
        class: ErrorClass,
    },
}

impl SyncError {
    pub fn permanent(code: Code, message: impl Into<String>) -> Self {
        SyncError::Rule {
            code,
            message: message.into(),
            class: ErrorClass::Permanent,
        }
    }

    pub fn transient(code: Code, message: impl Into<String>) -> Self {
        SyncError::Rule {
            code,
            message: message.into(),
            class: ErrorClass::Transient,
        }
    }
}

impl Failure for SyncError {
    fn code(&self) -> Code {
        match self {
            SyncError::Store(e) => e.code(),
            SyncError::Focus(e) => e.code(),
            SyncError::Octopus(e) => e.code(),
            SyncError::Mapping(e) => e.code(),
            SyncError::Rule { code, .. } => *code,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            SyncError::Store(e) => e.class(),
            SyncError::Focus(e) => e.class(),
            SyncError::Octopus(e) => e.class(),
            SyncError::Mapping(e) => e.class(),
            SyncError::Rule { class, .. } => *class,
        }
    }
}
