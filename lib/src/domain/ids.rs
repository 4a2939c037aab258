//! Identifiers with meaning: a connection id is not a Focus id is not an Octopus relation id.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::DocumentKind;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} '{value}' is not valid: {rule}")]
pub struct InvalidId {
    pub what: &'static str,
    pub value: String,
    pub rule: &'static str,
}

/// One Focus account + department linked to one Octopus dossier. Everything is keyed by it.
///
/// Lower-case letters, digits and `-`, 1 to 48 characters: it appears in DynamoDB keys, secret names and the
/// webhook URL, so it must not contain `#`, `/` or spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConnectionId(String);

impl ConnectionId {
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidId> {
        let value = value.into();
        let valid = !value.is_empty()
            && value.len() <= 48
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !value.starts_with('-');
        if valid {
            Ok(Self(value))
        } else {
            Err(InvalidId {
                what: "connection id",
                value,
                rule: "use 1 to 48 lower-case letters, digits or '-', not starting with '-'",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ConnectionId {
    type Err = InvalidId;
    fn from_str(text: &str) -> Result<Self, InvalidId> {
        Self::try_from(text.to_owned())
    }
}

impl TryFrom<String> for ConnectionId {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ConnectionId> for String {
    fn from(id: ConnectionId) -> Self {
        id.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Focus identifiers are UUIDs; we keep them as opaque text but refuse what would break a key.
fn focus_id(what: &'static str, value: String) -> Result<String, InvalidId> {
    let valid = !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid {
        Ok(value)
    } else {
        Err(InvalidId {
            what,
            value,
            rule: "a Focus id is 1 to 64 letters, digits or '-'",
        })
    }
}

/// A Focus invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DocumentRef {
    pub kind: DocumentKind,
    pub id: String,
}

impl DocumentRef {
    pub fn new(kind: DocumentKind, id: impl Into<String>) -> Result<Self, InvalidId> {
        Ok(Self {
            kind,
            id: focus_id("Focus document id", id.into())?,
        })
    }
}

impl DocumentRef {
    /// The form the commands take (`invoice:<id>`, `credit_note:<id>`), as `status` prints it.
    pub fn argument(&self) -> String {
        match self.kind {
            DocumentKind::Invoice => format!("invoice:{}", self.id),
            DocumentKind::CreditNote => format!("credit_note:{}", self.id),
        }
    }
}

impl fmt::Display for DocumentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.id)
    }
}

/// Focus customers are companies or contacts (persons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FocusCustomerType {
    Company,
    Contact,
}

impl FocusCustomerType {
    pub fn as_str(self) -> &'static str {
        match self {
            FocusCustomerType::Company => "company",
            FocusCustomerType::Contact => "contact",
        }
    }
}

/// A Focus company or contact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CustomerRef {
    #[serde(rename = "type")]
    pub kind: FocusCustomerType,
    pub id: String,
}

impl CustomerRef {
    pub fn new(kind: FocusCustomerType, id: impl Into<String>) -> Result<Self, InvalidId> {
        Ok(Self {
            kind,
            id: focus_id("Focus customer id", id.into())?,
        })
    }
}

impl fmt::Display for CustomerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.as_str(), self.id)
    }
}

/// Octopus `relationKey.id`: assigned by Octopus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OctopusRelationId(pub i32);

impl fmt::Display for OctopusRelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Octopus `externalRelationId` (int32): assigned by us, so a retried `PUT relations` merges instead of duplicating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExternalRelationId(pub i32);

impl fmt::Display for ExternalRelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Octopus `bookyearKey.id`: a small sequence number (1, 2, 3 …), not a calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BookyearId(pub i32);

impl fmt::Display for BookyearId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Octopus journal key: the type letter and a sequence number, such as `V1` (sales) or `F1` (bank).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JournalKey(String);

impl JournalKey {
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidId> {
        let value = value.into();
        let mut chars = value.chars();
        let valid = matches!(chars.next(), Some('A' | 'V' | 'F' | 'D' | 'L'))
            && value.len() <= 8
            && chars.clone().next().is_some()
            && chars.all(|c| c.is_ascii_digit());
        if valid {
            Ok(Self(value))
        } else {
            Err(InvalidId {
                what: "Octopus journal key",
                value,
                rule: "a journal key is a type letter (A, V, F, D or L) followed by its number, such as V1",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Sales journals (`V…`) are the only ones invoices and credit notes may be booked in.
    pub fn is_sales(&self) -> bool {
        self.0.starts_with('V')
    }
}

impl std::str::FromStr for JournalKey {
    type Err = InvalidId;
    fn from_str(text: &str) -> Result<Self, InvalidId> {
        Self::try_from(text.to_owned())
    }
}

impl TryFrom<String> for JournalKey {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<JournalKey> for String {
    fn from(key: JournalKey) -> Self {
        key.0
    }
}

impl fmt::Display for JournalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Octopus sales booking: (bookyear, journal, document sequence number).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BookingKey {
    pub bookyear: BookyearId,
    pub journal: JournalKey,
    pub document_nr: u32,
}

impl fmt::Display for BookingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.bookyear, self.journal, self.document_nr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_ids_refuse_characters_that_would_break_keys_or_urls() {
        assert!(ConnectionId::new("acme-be").is_ok());
        for bad in ["", "Acme", "a#b", "a/b", "a b", "-a", &"x".repeat(49)] {
            assert!(ConnectionId::new(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn journal_keys_are_a_type_letter_and_a_number() {
        assert!(JournalKey::new("V1").unwrap().is_sales());
        assert!(!JournalKey::new("F12").unwrap().is_sales());
        for bad in ["", "V", "X1", "v1", "V1a", "1V"] {
            assert!(JournalKey::new(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn focus_ids_refuse_key_separators() {
        assert!(DocumentRef::new(DocumentKind::Invoice, "6a1c7e9b-3f2d-4b5e-8c1a-000000000001").is_ok());
        assert!(DocumentRef::new(DocumentKind::Invoice, "a#b").is_err());
        assert!(CustomerRef::new(FocusCustomerType::Company, "").is_err());
    }

    #[test]
    fn ids_deserialise_through_validation() {
        let err = serde_json::from_str::<ConnectionId>("\"a#b\"").unwrap_err();
        assert!(err.to_string().contains("connection id"));
        let key: JournalKey = serde_json::from_str("\"V2\"").unwrap();
        assert_eq!(key.as_str(), "V2");
    }
}
