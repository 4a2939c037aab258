//! Invoices and credit notes (docs/partners/focus.md §3.1, §3.2).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::refs::{Money, Page, Ref};
use super::{FocusClient, FocusError};

/// Invoice status since API version 2019-01-24. Values Focus may add later are kept as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Draft,
    Outstanding,
    Matched,
    #[serde(other)]
    Unknown,
}

/// Credit notes are only exposed once booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditNoteStatus {
    Booked,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoicee {
    pub name: String,
    #[serde(default)]
    pub vat_number: Option<String>,
    pub customer: Ref,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub national_identification_number: Option<String>,
}

/// A document-level commercial discount (`percentage`, 0–100).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discount {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub value: Decimal,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupedLines {
    #[serde(default)]
    pub section: Option<Section>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineItem {
    #[serde(default)]
    pub product: Option<Ref>,
    #[serde(default)]
    pub product_category: Option<Ref>,
    #[serde(with = "rust_decimal::serde::float")]
    pub quantity: Decimal,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub extended_description: Option<String>,
    pub unit_price: UnitPrice,
    /// The tax-rate reference (no rate inline: look it up by id).
    pub tax: Ref,
    #[serde(default)]
    pub discount: Option<Discount>,
    pub total: LineTotal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitPrice {
    #[serde(with = "rust_decimal::serde::float")]
    pub amount: Decimal,
    /// Always `excluding`.
    #[serde(default)]
    pub tax: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineTotal {
    pub tax_exclusive: Money,
    #[serde(default)]
    pub tax_exclusive_before_discount: Option<Money>,
    pub tax_inclusive: Money,
    #[serde(default)]
    pub tax_inclusive_before_discount: Option<Money>,
}

/// Document totals. `taxes` is grouped by **rate**, so all 0 % variants share one entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub tax_exclusive: Money,
    #[serde(default)]
    pub tax_exclusive_before_discount: Option<Money>,
    pub tax_inclusive: Money,
    #[serde(default)]
    pub tax_inclusive_before_discount: Option<Money>,
    #[serde(default)]
    pub taxes: Vec<TaxTotal>,
    pub payable: Money,
    #[serde(default)]
    pub due: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaxTotal {
    /// A fraction: 0.21.
    #[serde(with = "rust_decimal::serde::float")]
    pub rate: Decimal,
    pub taxable: Money,
    pub tax: Money,
}

/// A registered payment. Focus payments have **no id**.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub paid_at: DateTime<chrono::FixedOffset>,
    pub payment: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentTerm {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExchangeRate {
    pub from: String,
    pub to: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub rate: Decimal,
}

/// `invoices.info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    pub id: String,
    pub department: Ref,
    #[serde(default)]
    pub invoice_number: Option<String>,
    #[serde(default)]
    pub invoice_date: Option<NaiveDate>,
    pub status: InvoiceStatus,
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    #[serde(default)]
    pub paid: bool,
    pub invoicee: Invoicee,
    #[serde(default)]
    pub discounts: Vec<Discount>,
    #[serde(default)]
    pub grouped_lines: Vec<GroupedLines>,
    pub total: Totals,
    #[serde(default)]
    pub payment_term: Option<PaymentTerm>,
    #[serde(default)]
    pub payments: Vec<Payment>,
    #[serde(default)]
    pub payment_reference: Option<String>,
    /// Focus's Peppol delivery status (absent when never sent through Peppol).
    #[serde(default)]
    pub peppol_status: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub currency_exchange_rate: Option<ExchangeRate>,
    #[serde(default)]
    pub created_at: Option<DateTime<chrono::FixedOffset>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<chrono::FixedOffset>>,
}

/// An `invoices.list` item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceSummary {
    pub id: String,
    pub department: Ref,
    #[serde(default)]
    pub invoice_number: Option<String>,
    #[serde(default)]
    pub invoice_date: Option<NaiveDate>,
    pub status: InvoiceStatus,
    #[serde(default)]
    pub paid: bool,
    #[serde(default)]
    pub updated_at: Option<DateTime<chrono::FixedOffset>>,
}

/// `creditNotes.info` (documented as an array in `data`, seen as an object: both are read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreditNote {
    pub id: String,
    pub department: Ref,
    #[serde(default)]
    pub credit_note_number: Option<String>,
    #[serde(default)]
    pub credit_note_date: Option<NaiveDate>,
    pub status: CreditNoteStatus,
    /// The credited invoice, when there is one.
    #[serde(default)]
    pub invoice: Option<Ref>,
    #[serde(default)]
    pub peppol_status: Option<String>,
    #[serde(default)]
    pub paid: bool,
    pub invoicee: Invoicee,
    #[serde(default)]
    pub discounts: Vec<Discount>,
    #[serde(default)]
    pub grouped_lines: Vec<GroupedLines>,
    pub total: Totals,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub currency_exchange_rate: Option<ExchangeRate>,
    #[serde(default)]
    pub updated_at: Option<DateTime<chrono::FixedOffset>>,
}

/// A `creditNotes.list` item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreditNoteSummary {
    pub id: String,
    pub department: Ref,
    #[serde(default)]
    pub credit_note_number: Option<String>,
    #[serde(default)]
    pub credit_note_date: Option<NaiveDate>,
    pub status: CreditNoteStatus,
    #[serde(default)]
    pub updated_at: Option<DateTime<chrono::FixedOffset>>,
}

/// `creditNotes.info` `data`: documented as an array, seen as an object.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn into_first(self) -> Option<T> {
        match self {
            OneOrMany::One(t) => Some(t),
            OneOrMany::Many(many) => many.into_iter().next(),
        }
    }
}

/// Filters of `invoices.list`. `status` must be an array of draft/outstanding/matched.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InvoiceFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<InvoiceStatus>,
    /// ISO 8601 with an offset.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "super::refs::with_offset")]
    pub updated_since: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_date_after: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_date_before: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CreditNoteFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "super::refs::with_offset")]
    pub updated_since: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
}

#[derive(Serialize)]
struct RegisterPayment<'a> {
    id: &'a str,
    payment: &'a Money,
    paid_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_method_id: Option<&'a str>,
}

impl FocusClient {
    /// One page of `invoices.list`.
    pub async fn invoices_page(&self, filter: &InvoiceFilter, page: Page) -> Result<Vec<InvoiceSummary>, FocusError> {
        self.list_page("invoices.list", filter, page).await
    }

    /// Every invoice matching `filter`, page by page until a short page.
    pub async fn invoices(&self, filter: &InvoiceFilter) -> Result<Vec<InvoiceSummary>, FocusError> {
        super::paging::all_pages(|page| self.invoices_page(filter, page)).await
    }

    pub async fn invoice(&self, id: &str) -> Result<Invoice, FocusError> {
        self.info("invoices.info", id).await
    }

    pub async fn credit_notes_page(
        &self,
        filter: &CreditNoteFilter,
        page: Page,
    ) -> Result<Vec<CreditNoteSummary>, FocusError> {
        self.list_page("creditNotes.list", filter, page).await
    }

    pub async fn credit_notes(&self, filter: &CreditNoteFilter) -> Result<Vec<CreditNoteSummary>, FocusError> {
        super::paging::all_pages(|page| self.credit_notes_page(filter, page)).await
    }

    pub async fn credit_note(&self, id: &str) -> Result<CreditNote, FocusError> {
        let data: Option<OneOrMany<CreditNote>> = self.call("creditNotes.info", &super::client::Id { id }).await?;
        let missing = || FocusError::UnexpectedResponse {
            action: "creditNotes.info",
            details: "no data".into(),
        };
        data.and_then(OneOrMany::into_first).ok_or_else(missing)
    }

    /// `invoices.registerPayment`. Never resent blindly: a lost answer is [`FocusError::OutcomeUnknown`] and the
    /// caller compares `invoices.info` payments first.
    pub async fn register_payment(
        &self,
        invoice_id: &str,
        payment: &Money,
        paid_at: DateTime<chrono::FixedOffset>,
        payment_method_id: Option<&str>,
    ) -> Result<(), FocusError> {
        let body = RegisterPayment {
            id: invoice_id,
            payment,
            paid_at: paid_at.to_rfc3339(),
            payment_method_id,
        };
        self.call::<_, serde::de::IgnoredAny>("invoices.registerPayment", &body)
            .await
            .map(drop)
    }

    /// `invoices.removePayments`: removes every payment of the invoice (there is no way to remove one).
    pub async fn remove_payments(&self, invoice_id: &str) -> Result<(), FocusError> {
        self.call::<_, serde::de::IgnoredAny>("invoices.removePayments", &super::client::Id { id: invoice_id })
            .await
            .map(drop)
    }
}
