//! Every failure a user can meet carries a stable code, a sentence for a bookkeeper and a class.

use std::fmt;

use super::Code;

/// Whether retrying later can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Retry later: the partner or AWS was busy, locked, out of budget for today, or unreachable.
    Transient,
    /// Park and report: only a person or a configuration change can fix it.
    Permanent,
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorClass::Transient => "transient",
            ErrorClass::Permanent => "permanent",
        })
    }
}

/// Implemented by every error type that can reach a run report, a log line or an HTTP answer.
///
/// `Display` is the sentence for a person (what happened and what to do); it never contains a secret.
pub trait Failure: std::error::Error {
    /// Stable, upper-case code such as `OCTOPUS_JOURNAL_LOCKED`; documented in the README's troubleshooting table.
    fn code(&self) -> Code;
    fn class(&self) -> ErrorClass;
    fn is_transient(&self) -> bool {
        self.class() == ErrorClass::Transient
    }
}
