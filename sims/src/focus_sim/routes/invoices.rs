//! `invoices`: listed, read, paid (`registerPayment`, which queues its webhook) and unpaid again.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::documents::{document_json, list_documents};
use super::{Action, Reply, data, error, no_content};
use crate::focus_sim::state::{DocKind, FocusState};
use crate::focus_sim::{Event, totals};

pub(super) fn actions() -> Vec<(&'static str, Action)> {
    vec![
        ("invoices.list", |s, body| list_documents(s, DocKind::Invoice, body)),
        ("invoices.info", |s, body| {
            match body["id"].as_str().and_then(|id| s.document(id)) {
                Some(d) if d.kind == DocKind::Invoice => data(document_json(s, d, true)),
                _ => error(404, "Invoice not found"),
            }
        }),
        ("invoices.registerPayment", register_payment),
        ("invoices.removePayments", remove_payments),
    ]
}

fn remove_payments(s: &mut FocusState, body: &Value) -> Reply {
    let now = s.now();
    match body["id"].as_str().and_then(|id| s.document_mut(id)) {
        Some(d) if d.kind == DocKind::Invoice => {
            d.payments.clear();
            d.status = "outstanding".into();
            d.updated_at = now;
            no_content()
        }
        _ => error(404, "Invoice not found"),
    }
}

fn register_payment(s: &mut FocusState, body: &Value) -> Reply {
    // A wrong field name (payment_date) gets 422, as seen in practice.
    let (Some(id), Some(amount), Some(paid_at)) = (
        body["id"].as_str(),
        body["payment"]["amount"]
            .as_number()
            .and_then(|n| Decimal::from_str(&n.to_string()).ok()),
        body["paid_at"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok()),
    ) else {
        return error(422, "id, payment.amount, payment.currency and paid_at are required");
    };
    if body["payment"]["currency"].as_str() != Some("EUR") {
        return error(400, "payment.currency must match the invoice currency");
    }
    if amount <= Decimal::ZERO {
        return error(400, "payment.amount must be positive");
    }
    let rates: HashMap<String, Decimal> = s.tax_rates.iter().map(|t| (t.id.clone(), t.rate)).collect();
    let now = s.now();
    let Some(doc) = s.document_mut(id).filter(|d| d.kind == DocKind::Invoice) else {
        return error(404, "Invoice not found");
    };
    if doc.status == "draft" {
        return error(400, "A draft invoice cannot be paid");
    }
    doc.payments.push((paid_at.with_timezone(&Utc), amount));
    let (_, payable) = totals::document_totals(doc, |r| rates.get(r).copied().unwrap_or_default());
    let paid: Decimal = doc.payments.iter().map(|p| p.1).sum();
    if paid >= payable {
        doc.status = "matched".into();
    }
    doc.updated_at = now;
    // Delivered on the next webhook flush (see FocusSim::flush_webhooks).
    s.outbox.push(Event::new("invoice.paymentRegistered", "invoice", id));
    no_content()
}
