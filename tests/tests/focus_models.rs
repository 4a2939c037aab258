//! The documented example bodies of the blueprint (as fixtures written from it, in tests/fixtures/focus/) parse
//! into the models, amounts exact.

use focus_octopus::focus::{Company, CreditNote, CreditNoteStatus, Invoice, InvoiceStatus, OneOrMany, Ref};
use rust_decimal_macros::dec;
use serde::Deserialize;

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/focus")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str::<Data<T>>(&text)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .data
}

#[test]
fn the_invoices_info_example_parses_with_exact_amounts() {
    let invoice: Invoice = fixture("invoices.info.json");
    assert_eq!(invoice.invoice_number.as_deref(), Some("2017 / 5"));
    assert_eq!(invoice.status, InvoiceStatus::Outstanding);
    assert_eq!(
        invoice.invoicee.customer,
        Ref::new("contact", "c7db7f80-762a-4e65-8d0c-522700198284")
    );
    let line = &invoice.grouped_lines[0].line_items[0];
    assert_eq!(line.quantity, dec!(3));
    assert_eq!(line.unit_price.amount, dec!(123.30));
    assert_eq!(line.total.tax_exclusive.amount, dec!(314.42));
    assert_eq!(line.discount.as_ref().unwrap().value, dec!(15));
    assert_eq!(invoice.total.taxes[0].rate, dec!(0.21));
    assert_eq!(invoice.total.payable.amount, dec!(123.3));
    assert_eq!(invoice.payments[0].payment.amount, dec!(123.3));
    assert_eq!(invoice.currency_exchange_rate.unwrap().rate, dec!(1.1234));
    assert_eq!(invoice.discounts[0].value, dec!(15.5));
}

#[test]
fn an_unknown_invoice_status_is_kept_as_unknown() {
    let status: InvoiceStatus = serde_json::from_str(r#""on_hold""#).unwrap();
    assert_eq!(status, InvoiceStatus::Unknown);
}

#[test]
fn the_credit_notes_info_example_parses_as_documented_array_and_as_object() {
    let from_array: OneOrMany<CreditNote> = fixture("creditNotes.info.array.json");
    let from_object: OneOrMany<CreditNote> = fixture("creditNotes.info.object.json");
    let (a, b) = (from_array.into_first().unwrap(), from_object.into_first().unwrap());
    assert_eq!(a, b);
    assert_eq!(a.credit_note_number.as_deref(), Some("2017/5"));
    assert_eq!(a.status, CreditNoteStatus::Booked);
    assert_eq!(a.invoice.unwrap().id, "53484141-8382-4948-9a4c-9cd7e79b30bd");
    assert_eq!(a.total.taxes[0].tax.amount, dec!(25.89));
    assert_eq!(a.total.payable.amount, dec!(149.19));
}

#[test]
fn the_companies_info_example_parses() {
    let company: Company = fixture("companies.info.json");
    assert_eq!(company.name, "Pied Piper");
    assert_eq!(company.vat_number.as_deref(), Some("BE0899623035"));
    let address = company.invoicing_address().unwrap();
    assert_eq!(
        (address.city.as_deref(), address.country.as_deref()),
        (Some("Ghent"), Some("BE"))
    );
    assert_eq!(company.tags, ["prospect", "expo"]);
}
