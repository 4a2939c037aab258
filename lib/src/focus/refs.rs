//! The small shapes every Focus answer uses: typed references, money, pages.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `{"type": "<entity>", "id": "<uuid>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ref {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

impl Ref {
    pub fn new(kind: &str, id: &str) -> Self {
        Self {
            kind: kind.into(),
            id: id.into(),
        }
    }
}

/// `Money`: a JSON number (read exactly as written) and a currency code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::float")]
    pub amount: Decimal,
    pub currency: String,
}

impl Money {
    pub fn eur(amount: Decimal) -> Self {
        Self {
            amount,
            currency: "EUR".into(),
        }
    }
}

/// `page: {size, number}`; Focus answers pages without totals, so a short page is the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Page {
    pub size: u32,
    pub number: u32,
}

/// The page size we read with: the largest one known to work (100; the maximum is undocumented).
pub const PAGE_SIZE: u32 = 100;

/// `updated_since` as Focus documents it: ISO 8601 with a numeric offset (`+00:00`), not `Z`.
pub(super) fn with_offset<S: serde::Serializer>(
    at: &Option<chrono::DateTime<chrono::Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serializer.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)),
        None => serializer.serialize_none(),
    }
}

/// An id that must be there: Focus ids are never empty, so an empty one is an unreadable answer, not a record (found
/// by the fuzzer: `["", "0"]` read as a company with id "").
pub fn non_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let id = <String as serde::Deserialize>::deserialize(d)?;
    if id.trim().is_empty() {
        return Err(serde::de::Error::custom("an empty id"));
    }
    Ok(id)
}
