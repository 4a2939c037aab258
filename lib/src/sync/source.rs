//! A Focus invoice or credit note read again and turned into the domain's [`SourceDocument`] (the Focus JSON is
//! parsed at the Focus boundary; this is the translation to what the booking rules need).

use rust_decimal::Decimal;

use super::error::SyncError;
use super::services::Connection;
use crate::domain::Code;
use crate::domain::booking::{SourceDocument, SourceLine};
use crate::domain::{CustomerRef, DocumentKind, DocumentRef, FocusCustomerType};
use crate::focus::{CreditNote, FocusError, Invoice, InvoiceStatus};

/// A Focus document read again: gone, or there.
pub(super) enum Fetched {
    /// Focus answers 404: deleted.
    Deleted,
    Found(Box<FocusDocument>),
}

/// A Focus document in the shape the rules need, with what the sync needs around it.
pub(super) struct FocusDocument {
    pub source: SourceDocument,
    pub customer: CustomerRef,
    pub department: String,
    pub is_draft: bool,
    /// A credit note's credited invoice (its Focus id), when it credits one.
    pub credits: Option<String>,
    /// Focus's `peppol_status`.
    pub peppol: Option<String>,
}

impl Fetched {
    /// Focus's number of the document (`2026 / 201`), when it is there.
    pub(super) fn number(&self) -> Option<&str> {
        match self {
            Fetched::Found(document) => Some(document.source.number.as_str()),
            Fetched::Deleted => None,
        }
    }
}

/// Reads the document from Focus; a 404 means it was deleted.
pub(super) async fn fetch(conn: &Connection, doc: &DocumentRef) -> Result<Fetched, SyncError> {
    let result = match doc.kind {
        DocumentKind::Invoice => conn.focus.invoice(&doc.id).await.map(|i| from_invoice(&i)),
        DocumentKind::CreditNote => conn.focus.credit_note(&doc.id).await.map(|c| from_credit_note(&c)),
    };
    match result {
        Ok(document) => document.map(|d| Fetched::Found(Box::new(d))),
        Err(FocusError::NotFound { .. }) => Ok(Fetched::Deleted),
        Err(e) => Err(e.into()),
    }
}

pub(super) fn customer_of(customer: &crate::focus::Ref) -> Result<CustomerRef, SyncError> {
    let kind = match customer.kind.as_str() {
        "company" => FocusCustomerType::Company,
        "contact" => FocusCustomerType::Contact,
        other => {
            return Err(SyncError::permanent(
                Code::FOCUS_CUSTOMER_UNKNOWN_TYPE,
                format!("The document's customer is a '{other}', not a company or contact; book it by hand."),
            ));
        }
    };
    CustomerRef::new(kind, customer.id.clone()).map_err(|e| SyncError::permanent(Code::FOCUS_ID_INVALID, e.to_string()))
}

fn lines_of(groups: &[crate::focus::GroupedLines]) -> Vec<SourceLine> {
    groups
        .iter()
        .flat_map(|g| &g.line_items)
        .map(|l| SourceLine {
            tax_rate_id: l.tax.id.clone(),
            category_id: l.product_category.as_ref().map(|c| c.id.clone()),
            amount: l.total.tax_exclusive.amount,
        })
        .collect()
}

/// The percentage discounts of a document and its lines.
fn percentages(document: &[crate::focus::Discount], groups: &[crate::focus::GroupedLines]) -> Vec<Decimal> {
    document
        .iter()
        .chain(
            groups
                .iter()
                .flat_map(|g| &g.line_items)
                .filter_map(|l| l.discount.as_ref()),
        )
        .filter(|d| d.kind == "percentage")
        .map(|d| d.value)
        .collect()
}

fn taxes_of(totals: &crate::focus::Totals) -> Vec<(Decimal, Decimal, Decimal)> {
    totals
        .taxes
        .iter()
        .map(|t| (t.rate, t.taxable.amount, t.tax.amount))
        .collect()
}

fn from_invoice(i: &Invoice) -> Result<FocusDocument, SyncError> {
    let is_draft = i.status == InvoiceStatus::Draft || i.invoice_number.is_none() || i.invoice_date.is_none();
    let date = i.invoice_date.unwrap_or_default();
    let source = SourceDocument {
        kind: DocumentKind::Invoice,
        number: i.invoice_number.clone().unwrap_or_default(),
        payment_reference: i.payment_reference.clone(),
        credited_number: None,
        date,
        due_date: i.due_on.unwrap_or(date),
        lines: lines_of(&i.grouped_lines),
        taxes: taxes_of(&i.total),
        payable: i.total.payable.amount,
        currency: i.currency.clone().unwrap_or_else(|| i.total.payable.currency.clone()),
        exchange_rate: i.currency_exchange_rate.as_ref().map_or(Decimal::ONE, |r| r.rate),
        discount_percentages: percentages(&i.discounts, &i.grouped_lines),
    };
    Ok(FocusDocument {
        source,
        customer: customer_of(&i.invoicee.customer)?,
        department: i.department.id.clone(),
        is_draft,
        credits: None,
        peppol: i.peppol_status.clone(),
    })
}

fn from_credit_note(c: &CreditNote) -> Result<FocusDocument, SyncError> {
    let date = c.credit_note_date.unwrap_or_default();
    let source = SourceDocument {
        kind: DocumentKind::CreditNote,
        number: c.credit_note_number.clone().unwrap_or_default(),
        payment_reference: None,
        // Filled in by [`credited_number`] when the poster books it.
        credited_number: None,
        date,
        due_date: date,
        lines: lines_of(&c.grouped_lines),
        taxes: taxes_of(&c.total),
        payable: c.total.payable.amount,
        currency: c.currency.clone().unwrap_or_else(|| c.total.payable.currency.clone()),
        exchange_rate: c.currency_exchange_rate.as_ref().map_or(Decimal::ONE, |r| r.rate),
        discount_percentages: percentages(&c.discounts, &c.grouped_lines),
    };
    Ok(FocusDocument {
        source,
        customer: customer_of(&c.invoicee.customer)?,
        department: c.department.id.clone(),
        is_draft: c.credit_note_number.is_none() || c.credit_note_date.is_none(),
        credits: c.invoice.as_ref().map(|i| i.id.clone()),
        peppol: c.peppol_status.clone(),
    })
}

/// The number of the invoice a credit note credits: as the store knows it (the invoice was synced), or as Focus
/// says (one `invoices.info`, only for an invoice the store does not know, such as one dated before the start).
pub(super) async fn credited_number(
    deployment: &super::services::Deployment,
    conn: &Connection,
    document: &FocusDocument,
) -> Result<Option<String>, SyncError> {
    let Some(invoice) = &document.credits else {
        return Ok(None);
    };
    let Ok(id) = DocumentRef::new(DocumentKind::Invoice, invoice.clone()) else {
        return Ok(None);
    };
    let known = deployment.store.documents().get(&conn.id, &id).await?;
    if let Some(number) = known.and_then(|r| r.number) {
        return Ok(Some(number));
    }
    match conn.focus.invoice(invoice).await {
        Ok(i) => Ok(i.invoice_number),
        // A credited invoice Focus no longer has: the credit note is booked under its own number.
        Err(FocusError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
