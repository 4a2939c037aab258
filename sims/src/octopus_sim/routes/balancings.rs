//! `balancings`: matching (lettering) a sales document with a payment line, and the feed of matches made or undone —
//! how the sync learns an invoice is paid.

use chrono::{DateTime, Utc};
use focus_octopus::octopus::Operation::{GetModifiedBalancings, InsertBalancing};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::values::{modified_since, money, number};
use super::{Call, GET, POST, Refusal, Reply, Route, bad_parameters, in_dossier, not_found, ok, refuse, reply};
use crate::octopus_sim::state::{SimBalancing, SimDossier};

pub(super) fn routes() -> Vec<Route> {
    let insert = |d: &mut SimDossier, call: &Call| insert_balancing(d, call.body, call.now);
    vec![
        in_dossier("balancings", POST, InsertBalancing, insert),
        in_dossier("balancings/modified", GET, GetModifiedBalancings, modified),
    ]
}

fn modified(d: &mut SimDossier, call: &Call) -> Reply {
    let since = match modified_since(call.query, true) {
        Ok(since) => since,
        Err(r) => return r,
    };
    let pick = |deleted: bool| -> Vec<Value> {
        d.balancings
            .iter()
            .filter(|b| b.deleted == deleted && b.modified_at >= since)
            .map(|b| balancing_json(d, b))
            .collect()
    };
    let (modified, deleted) = (pick(false), pick(true));
    if modified.is_empty() && deleted.is_empty() {
        return not_found("No modified balancings found");
    }
    ok(json!({ "modifiedBalancings": modified, "deletedBalancings": deleted }))
}

/// The amount a booking line can be balanced for: a sales document as a whole (line -1) or one financial line.
fn line_amount(d: &SimDossier, key: &(i32, String, i32, i32)) -> Option<Decimal> {
    let booking = d
        .bookings
        .iter()
        .find(|b| b.bookyear == key.0 && b.journal == key.1 && b.document_nr == key.2)?;
    if key.3 == -1 {
        return Some(booking.amount.abs());
    }
    let line = booking.data["bookingLines"]
        .as_array()?
        .get(usize::try_from(key.3 - 1).ok()?)?;
    money(&line["amount"]).map(|a| a.abs())
}

fn balancing_key(v: &Value) -> Option<(i32, String, i32, i32)> {
    Some((
        i32::try_from(v["bookyearKey"]["id"].as_i64()?).ok()?,
        v["journalKey"].as_str()?.to_owned(),
        i32::try_from(v["documentSequenceNr"].as_i64()?).ok()?,
        i32::try_from(v["lineSequenceNr"].as_i64()?).ok()?,
    ))
}

fn insert_balancing(d: &mut SimDossier, body: &Value, now: DateTime<Utc>) -> Reply {
    let (Some(debet), Some(credit), Some(amount)) = (
        balancing_key(&body["debetKey"]),
        balancing_key(&body["creditKey"]),
        money(&body["balanceAmount"]),
    ) else {
        return bad_parameters("debetKey, creditKey, balanceAmount");
    };
    let (Some(debet_total), Some(credit_total)) = (line_amount(d, &debet), line_amount(d, &credit)) else {
        return refuse(
            Refusal::BalancingInvalid,
            "De te lettren boeking bestaat niet.",
            "Booking line not found".into(),
        );
    };
    if amount <= Decimal::ZERO
        || d.balanced(&debet) + amount > debet_total
        || d.balanced(&credit) + amount > credit_total
    {
        return refuse(
            Refusal::BalancingInvalid,
            "Het bedrag overschrijdt het openstaande saldo.",
            format!("Balance amount {amount} exceeds what is open"),
        );
    }
    d.balancings.push(SimBalancing {
        debet,
        credit,
        amount,
        modified_at: now,
        deleted: false,
    });
    reply(201, None)
}

fn balancing_json(d: &SimDossier, b: &SimBalancing) -> Value {
    let side = |key: &(i32, String, i32, i32)| {
        let booking = d
            .bookings
            .iter()
            .find(|x| x.bookyear == key.0 && x.journal == key.1 && x.document_nr == key.2);
        json!({
            "balancingKey": { "bookyearKey": { "id": key.0 }, "journalKey": key.1,
                              "documentSequenceNr": key.2, "lineSequenceNr": key.3 },
            "documentDate": booking.and_then(|x| x.data["documentDate"].as_str()),
            "currencyCode": "EUR",
            "exchangeRate": 1.0,
            // "" when the booking has none (recorded live), never null.
            "reference": booking.and_then(|x| x.reference.clone()).unwrap_or_default(),
        })
    };
    let relation = d
        .bookings
        .iter()
        .find(|x| x.bookyear == b.debet.0 && x.journal == b.debet.1 && x.document_nr == b.debet.2)
        .and_then(|x| x.relation_id);
    json!({
        "type": { "type": "C", "relationKey": { "id": relation } },
        "debetDocument": side(&b.debet),
        "creditDocument": side(&b.credit),
        // As observed live: the matched amount is in creditBalancedBookingAmount.
        "debetBalancedBookingAmount": 0.0,
        "creditBalancedBookingAmount": number(b.amount),
    })
}
