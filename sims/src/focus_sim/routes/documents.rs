//! Invoices and credit notes as Focus draws them: the list filters (`status[]`, dates, department, ids,
//! `updated_since`) and the document JSON with Focus's own arithmetic.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::Reply;
use super::error;
use super::values::{money, number, paged, updated_since};
use crate::focus_sim::state::{DocKind, FocusState, SimDocument};
use crate::focus_sim::totals;

const STATUSES: [&str; 3] = ["draft", "outstanding", "matched"];

pub(super) fn list_documents(s: &FocusState, kind: DocKind, body: &Value) -> Reply {
    let f = &body["filter"];
    let statuses: Option<Vec<String>> = match f.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::Array(values)) if kind == DocKind::Invoice => {
            let mut out = Vec::new();
            for (i, v) in values.iter().enumerate() {
                match v.as_str().filter(|v| STATUSES.contains(v)) {
                    Some(v) => out.push(v.to_owned()),
                    None => {
                        return error(
                            400,
                            &format!("filter.status.{i} must be one of draft, outstanding, matched"),
                        );
                    }
                }
            }
            Some(out)
        }
        Some(_) => return error(400, "filter.status must be an array"),
    };
    let since = match updated_since(body) {
        Ok(since) => since,
        Err(r) => return r,
    };
    let date_filter = |key: &str| {
        f[key]
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let (after, before) = match kind {
        DocKind::Invoice => (date_filter("invoice_date_after"), date_filter("invoice_date_before")),
        DocKind::CreditNote => (
            date_filter("credit_note_date_after"),
            date_filter("credit_note_date_before"),
        ),
    };
    let ids: Option<Vec<&str>> = f["ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let department = f["department_id"].as_str();
    let mut docs: Vec<&SimDocument> = s
        .documents
        .iter()
        .filter(|d| d.kind == kind && !d.deleted)
        .filter(|d| statuses.as_ref().is_none_or(|st| st.contains(&d.status)))
        .filter(|d| since.is_none_or(|since| d.updated_at > since))
        .filter(|d| department.is_none_or(|dep| d.department == dep))
        .filter(|d| ids.as_ref().is_none_or(|ids| ids.contains(&d.id.as_str())))
        .filter(|d| after.is_none_or(|a| d.date.is_some_and(|x| x >= a)))
        .filter(|d| {
            // invoice_date_before is inclusive; credit_note_date_before exclusive (as documented).
            before.is_none_or(|b| {
                d.date
                    .is_some_and(|x| if kind == DocKind::Invoice { x <= b } else { x < b })
            })
        })
        .collect();
    docs.sort_by_key(|d| (d.date, sequence(d.number.as_deref())));
    let items = docs.into_iter().map(|d| document_json(s, d, false)).collect();
    paged(items, body)
}

pub(super) fn sequence(number: Option<&str>) -> i64 {
    number
        .and_then(|n| n.rsplit('/').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(i64::MIN)
}

/// The Belgian structured communication Focus gives a booked invoice: ten digits (here the year and the invoice's
/// sequence) and their remainder modulo 97 (97 for 0), as `+++ddd/dddd/ddddd+++`. Written out here, not taken
/// from the library, so the simulator checks the sync's reading of it.
pub(crate) fn structured_communication(date: Option<chrono::NaiveDate>, number: &str) -> String {
    use chrono::Datelike;
    let year = date.map_or(0, |d| d.year().rem_euclid(100)) as u64;
    let base = year * 10_000_000 + sequence(Some(number)).max(0) as u64 % 10_000_000;
    let check = match base % 97 {
        0 => 97,
        r => r,
    };
    let d = format!("{base:010}{check:02}");
    format!("+++{}/{}/{}+++", &d[..3], &d[3..7], &d[7..])
}

/// The `.info` (or list item) JSON of a document, amounts computed as Focus does.
pub(super) fn document_json(s: &FocusState, d: &SimDocument, full: bool) -> Value {
    let rate_of = |id: &str| s.tax_rate(id).map_or(Decimal::ZERO, |t| t.rate);
    let taxes = totals::taxes(d, rate_of);
    let (exclusive, inclusive) = totals::document_totals(d, rate_of);
    let before_discount: Decimal = d.lines.iter().map(totals::line_before_discount).sum();
    let paid: Decimal = d.payments.iter().map(|p| p.1).sum();
    let (customer_kind, customer_id) = &d.customer;
    let customer = if customer_kind == "company" {
        &s.companies
    } else {
        &s.contacts
    }
    .iter()
    .find(|c| c["id"] == customer_id.as_str())
    .cloned()
    .unwrap_or(Value::Null);
    let name = if customer_kind == "company" {
        customer["name"].as_str().unwrap_or_default().to_owned()
    } else {
        format!(
            "{} {}",
            customer["first_name"].as_str().unwrap_or_default(),
            customer["last_name"].as_str().unwrap_or_default()
        )
        .trim()
        .to_owned()
    };
    let total = json!({
        "tax_exclusive": money(exclusive),
        "tax_exclusive_before_discount": money(before_discount),
        "tax_inclusive": money(inclusive),
        "tax_inclusive_before_discount": money(inclusive),
        "taxes": taxes.iter().map(|(rate, taxable, tax)| json!({
            "rate": number(*rate), "taxable": money(*taxable), "tax": money(*tax)
        })).collect::<Vec<_>>(),
        "withheld_taxes": [],
        "payable": money(inclusive),
        "due": money(inclusive - paid),
    });
    let invoicee = json!({
        "name": name, "vat_number": customer["vat_number"],
        "customer": { "type": customer_kind, "id": customer_id },
        "for_attention_of": null, "email": null, "national_identification_number": null,
    });
    let mut v = json!({
        "id": d.id,
        "department": { "type": "department", "id": d.department },
        "status": d.status,
        "paid": d.status == "matched",
        "invoicee": invoicee,
        "total": total,
        "created_at": d.created_at.to_rfc3339(),
        "updated_at": d.updated_at.to_rfc3339(),
        "peppol_status": d.peppol_status,
    });
    match d.kind {
        DocKind::Invoice => {
            v["invoice_number"] = json!(d.number);
            v["invoice_date"] = json!(d.date.map(|x| x.to_string()));
            v["due_on"] = json!(d.due_on.map(|x| x.to_string()));
            v["paid_at"] = json!(
                d.payments
                    .last()
                    .filter(|_| d.status == "matched")
                    .map(|p| p.0.to_rfc3339())
            );
            v["sent"] = json!(false);
            v["purchase_order_number"] = Value::Null;
            v["payment_reference"] = json!(d.number.as_deref().map(|n| structured_communication(d.date, n)));
        }
        DocKind::CreditNote => {
            v["credit_note_number"] = json!(d.number);
            v["credit_note_date"] = json!(d.date.map(|x| x.to_string()));
            v["invoice"] = json!(d.invoice.as_ref().map(|i| json!({ "type": "invoice", "id": i })));
        }
    }
    if full {
        v["discounts"] = json!(d.discount.map_or(Vec::new(), |p| vec![json!({
            "type": "percentage", "value": number(p), "description": "Korting"
        })]));
        v["grouped_lines"] = json!([{
            "section": { "title": "" },
            "line_items": d.lines.iter().map(|l| {
                let rate = rate_of(&l.tax_rate);
                json!({
                    "product": null,
                    "product_category": l.category.as_ref().map(|c| json!({ "type": "productCategory", "id": c })),
                    "quantity": number(l.quantity),
                    "description": l.description,
                    "extended_description": null,
                    "unit": null,
                    "unit_price": { "amount": number(l.unit_price), "tax": "excluding" },
                    "tax": { "type": "taxRate", "id": l.tax_rate },
                    "discount": l.discount.map(|p| json!({ "type": "percentage", "value": number(p) })),
                    "total": {
                        "tax_exclusive": money(totals::line_exclusive(l)),
                        "tax_exclusive_before_discount": money(totals::line_before_discount(l)),
                        "tax_inclusive": money(totals::line_inclusive(l, rate)),
                        "tax_inclusive_before_discount": money(totals::round2(totals::line_before_discount(l) * (Decimal::ONE + rate))),
                    },
                    "withheld_tax": null,
                })
            }).collect::<Vec<_>>(),
        }]);
        v["currency"] = json!("EUR");
        v["currency_exchange_rate"] = json!({ "from": "EUR", "to": "EUR", "rate": 1.0 });
        v["document_template"] = json!({ "type": "documentTemplate", "id": "5c7dc9b5-0d5c-4e1f-8d0b-2f5f1d3a0c11" });
        if d.kind == DocKind::Invoice {
            v["payment_term"] = json!({ "type": "after_invoice_date", "days": 30 });
            v["payments"] = json!(
                d.payments
                    .iter()
                    .map(|(at, amount)| json!({
                        "paid_at": at.to_rfc3339(), "payment": money(*amount)
                    }))
                    .collect::<Vec<_>>()
            );
            v["note"] = Value::Null;
            v["custom_fields"] = json!([]);
        }
    }
    v
}
