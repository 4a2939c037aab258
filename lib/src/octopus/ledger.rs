//! Reference data of a dossier: bookyears with their periods, journals, ledger accounts and VAT codes
//! (docs/partners/octopus.md §2–§5). The wire types keep the spec's field names; the sync reads them from the
//! store's cache (see [`super::reference`]).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::keys::BookyearKey;
use crate::domain::BookyearId;

/// `BookyearServiceData`: a fiscal year. Its id is a small sequence number, not the calendar year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bookyear {
    pub bookyear_key: BookyearKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bookyear_description: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub closed: bool,
    #[serde(default)]
    pub periods: Vec<BookyearPeriod>,
}

/// `BookyearPeriodServiceData`: the period key (`bookyearPeriod`, e.g. 202603) is looked up, never computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookyearPeriod {
    pub bookyear_period: i32,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

impl Bookyear {
    pub fn id(&self) -> BookyearId {
        self.bookyear_key.id
    }

    pub fn covers(&self, date: NaiveDate) -> bool {
        self.start_date <= date && date <= self.end_date
    }

    /// The period whose range holds `date`.
    pub fn period_of(&self, date: NaiveDate) -> Option<&BookyearPeriod> {
        self.periods.iter().find(|p| p.start_date <= date && date <= p.end_date)
    }
}

/// `JournalServiceData`. The key stays text on the wire: a journal type we do not know must not break the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Journal {
    pub bookyear_key: BookyearKey,
    pub journal_key: String,
    #[serde(default)]
    pub name: String,
    pub closed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_booked_document_nr: Option<i32>,
    /// Period key until which the journal is protected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected_period: Option<i32>,
    /// Period key until which the journal is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_period: Option<i32>,
    /// Sales journals only: 1 bookings, 2 invoices VAT exclusive, 3 invoices VAT inclusive, 4/5 delivery notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insertion_type: Option<i32>,
}

/// `insertionType` of a sales journal that takes `buysellbookings`.
pub const INSERTION_TYPE_BOOKINGS: i32 = 1;

impl Journal {
    /// A sales journal (`V…`) that takes bookings: the only kind we post documents to.
    pub fn takes_sales_bookings(&self) -> bool {
        self.journal_key.starts_with('V') && self.insertion_type == Some(INSERTION_TYPE_BOOKINGS)
    }
}

/// `AccountServiceData`, as Octopus sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AccountServiceData {
    pub account_key: AccountKey,
    #[serde(default)]
    pub description: Option<AccountDescription>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AccountKey {
    pub bookyear_key: BookyearKey,
    /// The account number, such as 700000.
    pub id: i32,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct AccountDescription {
    #[serde(rename = "description_NL", default)]
    pub nl: Option<String>,
    #[serde(rename = "description_FR", default)]
    pub fr: Option<String>,
    #[serde(rename = "description_EN", default)]
    pub en: Option<String>,
}

/// A ledger account as the sync keeps it: only what it needs, so a large chart fits in one cached item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LedgerAccount {
    pub bookyear: BookyearId,
    pub number: i32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl LedgerAccount {
    /// Revenue (turnover) accounts of the Belgian chart: 700000–709999 (docs/partners/octopus.md §4).
    pub fn is_revenue(&self) -> bool {
        (700_000..=709_999).contains(&self.number)
    }
}

impl From<AccountServiceData> for LedgerAccount {
    fn from(a: AccountServiceData) -> Self {
        let d = a.description.unwrap_or_default();
        let description = [d.nl, d.fr, d.en]
            .into_iter()
            .flatten()
            .find(|s| !s.is_empty())
            .unwrap_or_default();
        Self {
            bookyear: a.account_key.bookyear_key.id,
            number: a.account_key.id,
            description,
        }
    }
}

/// `SyncAccounts`: the `accounts/modified` feed.
#[derive(Debug, Default, Deserialize)]
pub(super) struct SyncAccounts {
    #[serde(default)]
    pub modified: Vec<AccountServiceData>,
    #[serde(default)]
    pub deleted: Vec<AccountServiceData>,
}

/// `VatCodeServiceData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VatCode {
    /// The key sent as `vatCodeKey`, such as "21" or "06" (text, with its leading zero).
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// 1 buy, 2 sell, 3 buy credit note, 4 sell credit note.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<i32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::float_option"
    )]
    pub base_percentage: Option<Decimal>,
}

impl VatCode {
    /// A code usable on sales lines (type 2 sell or 4 sell credit note).
    pub fn is_sales(&self) -> bool {
        matches!(self.kind, Some(2 | 4))
    }
}
