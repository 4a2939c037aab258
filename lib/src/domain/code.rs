//! The stable codes of every failure a person can meet: in run reports, log lines, the CLI's and the admin
//! function's answers, HTTP answers. Each is explained, with its fix, in the README's troubleshooting table (checked by
//! `cargo test --test readme`).
//!
//! A variant is spelled as the code itself (`Code::OCTOPUS_JOURNAL_LOCKED` is `OCTOPUS_JOURNAL_LOCKED`), so what a
//! bookkeeper reads, what the README lists and what the code matches on are one name.

use std::fmt;

macro_rules! codes {
    ($($name:ident,)*) => {
        /// A stable error code.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($name,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => stringify!($name),)*
                }
            }
        }
    };
}

codes! {
    // Configuration and AWS
    ADMIN_BAD_COMMAND,
    ATTACH_NO_FORMAT,
    ALREADY_EXISTS,
    AWS_ACCESS_REFUSED,
    CONFIG_CHANGED_CONCURRENTLY,
    CONFIG_ENV_MISSING,
    CONNECTION_UNKNOWN,
    EXTERNAL_RELATION_IDS_EXHAUSTED,
    JOURNAL_INTENT_PENDING,
    LEASE_HELD,
    NOT_FOUND,
    QUEUE_UNAVAILABLE,
    SECRET_MISSING,
    SECRET_UNAVAILABLE,
    STORE_CONTENDED,
    STORE_ITEM_UNREADABLE,
    STORE_TABLE_MISSING,
    STORE_UNAVAILABLE,
    URL_INVALID,
    // Focus
    FOCUS_ACCOUNT_CHANGED,
    FOCUS_CLIENT_MISSING,
    FOCUS_CUSTOMER_UNKNOWN_TYPE,
    FOCUS_DEPARTMENT_UNKNOWN,
    FOCUS_ID_INVALID,
    FOCUS_PEPPOL_FAILED,
    FOCUS_NOT_AUTHORISED,
    FOCUS_NOT_FOUND,
    FOCUS_OUTCOME_UNKNOWN,
    FOCUS_RATE_LIMITED,
    FOCUS_REAUTHORIZATION_REQUIRED,
    FOCUS_REJECTED,
    FOCUS_SECRET_INVALID,
    FOCUS_SECRET_UNAVAILABLE,
    FOCUS_TAX_RATE_UNKNOWN,
    FOCUS_TOKEN_REFRESH_BUSY,
    FOCUS_TOTALS_INCONSISTENT,
    FOCUS_UNAVAILABLE,
    FOCUS_UNEXPECTED_RESPONSE,
    WEBHOOK_SECRET_WEAK,
    WEBHOOK_TOO_LARGE,
    WEBHOOK_UNREADABLE,
    // Octopus
    OCTOPUS_ACCOUNT_MISSING,
    OCTOPUS_BOOKYEAR_CLOSED,
    OCTOPUS_BOOKYEAR_MISSING,
    OCTOPUS_BUDGET_EXHAUSTED,
    OCTOPUS_CREDENTIALS_REJECTED,
    OCTOPUS_DAILY_BUDGET_EXHAUSTED,
    OCTOPUS_DOSSIER_NOT_VISIBLE,
    OCTOPUS_DOSSIER_REFUSED,
    OCTOPUS_ILLEGAL_SEQUENCE,
    OCTOPUS_INVALID_DATA,
    OCTOPUS_JOURNAL_LOCKED,
    OCTOPUS_JOURNAL_MISSING,
    OCTOPUS_JOURNAL_NOT_FINANCIAL,
    OCTOPUS_JOURNAL_NOT_SALES,
    OCTOPUS_NO_DOCUMENT_STORAGE,
    OCTOPUS_LOGIN_BUSY,
    OCTOPUS_NOT_FOUND,
    OCTOPUS_OUTCOME_UNKNOWN,
    OCTOPUS_PERIOD_MISSING,
    OCTOPUS_REJECTED,
    OCTOPUS_RELATION_NOT_FOUND,
    OCTOPUS_SECRET_INVALID,
    OCTOPUS_SECRET_UNFILLED,
    OCTOPUS_SEQUENCE_MOVING,
    OCTOPUS_THROTTLED,
    OCTOPUS_UNAUTHORIZED,
    OCTOPUS_UNAVAILABLE,
    OCTOPUS_UNEXPECTED_RESPONSE,
    OCTOPUS_VAT_CODE_MISSING,
    // Documents, mapping and payments
    CUSTOMER_VAT_NUMBER_INVALID,
    DOCUMENT_AMOUNT_OUT_OF_RANGE,
    DOCUMENT_DISCOUNT_OVER_100,
    DOCUMENT_NEGATIVE_TOTAL,
    DOCUMENT_NOT_POSTED_YET,
    DOCUMENT_STATE_REFUSED,
    DOCUMENT_WITHOUT_LINES,
    JOURNAL_BUSY,
    LEDGER_INVALID,
    LEDGER_UNMAPPED,
    PAYMENT_REGISTRATION_IN_FLIGHT,
    TAX_RATE_NOT_IN_DEPARTMENT,
    VAT_RATE_UNMAPPED,
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Tests and records compare a code with its text.
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn codes_are_upper_case_words_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(
                text.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "{text}"
            );
            assert!(seen.insert(text), "{text} twice");
        }
        assert_eq!(Code::OCTOPUS_JOURNAL_LOCKED.to_string(), "OCTOPUS_JOURNAL_LOCKED");
    }
}
