//! `buysellbookings`: sales invoices and credit notes booked in a sales journal (`insertionType` 1), read back one
//! by one, and the feed of sales and purchase bookings changed.

use chrono::{DateTime, Utc};
use focus_octopus::octopus::Operation::{
    GetBuySellBooking, GetModifiedBuySellBookings, InsertBuySellBooking, UpdateBuySellBooking,
};
use rust_decimal::Decimal;
use serde_json::Value;

use super::bookings::{attachments, booking_target, commit_booking, modified_bookings, service_data};
use super::values::{date, money};
use super::{
    Call, GET, POST, PUT, Refusal, Reply, Route, bad_parameters, in_dossier, invalid_elements, not_found, ok, refuse,
    reply, technical,
};
use crate::octopus_sim::state::SimDossier;

pub(super) fn routes() -> Vec<Route> {
    let insert = |d: &mut SimDossier, call: &Call| insert_sales_booking(d, call.body, call.now);
    let update = |_: &mut SimDossier, _: &Call| technical(400, "Updating bookings is not simulated");
    let modified = |d: &mut SimDossier, call: &Call| modified_bookings(d, call.query, |j| j.starts_with(['V', 'A']));
    let path = "buysellbookings";
    vec![
        in_dossier(path, POST, InsertBuySellBooking, insert),
        in_dossier(path, GET, GetBuySellBooking, get_booking),
        in_dossier(path, PUT, UpdateBuySellBooking, update),
        in_dossier("buysellbookings/modified", GET, GetModifiedBuySellBookings, modified),
    ]
}

fn get_booking(d: &mut SimDossier, call: &Call) -> Reply {
    let query = call.query;
    let (Some(by), Some(journal), Some(nr)) = (
        query.get("bookyearId").and_then(|v| v.parse::<i32>().ok()),
        query.get("journalKey"),
        query.get("documentSeqNr").and_then(|v| v.parse::<i32>().ok()),
    ) else {
        return technical(400, "Invalid or missing parameters passed");
    };
    match d
        .bookings
        .iter()
        .find(|b| b.bookyear == by && &b.journal == journal && b.document_nr == nr)
    {
        Some(b) => ok(b.data.clone()),
        None => not_found("Booking not found"),
    }
}

fn insert_sales_booking(d: &mut SimDossier, body: &Value, now: DateTime<Utc>) -> Reply {
    let required = [
        "amount",
        "bookyearKey",
        "bookyearPeriodeNr",
        "currencyCode",
        "documentDate",
        "documentSequenceNr",
        "exchangeRate",
        "expiryDate",
        "journalKey",
        "relationIdentificationServiceData",
    ];
    let data = match service_data(body, "buySellBookingServiceData", &required) {
        Ok(data) => data,
        Err(refused) => return refused,
    };
    let files = match attachments(d, body) {
        Ok(files) => files,
        Err(refused) => return refused,
    };
    let (document_date, _expiry) = match (date(&data["documentDate"]), date(&data["expiryDate"])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let (Some(amount), Some(_rate)) = (money(&data["amount"]), money(&data["exchangeRate"])) else {
        return invalid_elements();
    };
    let target = match booking_target(d, data, document_date, |j| {
        j.key.starts_with('V') && j.insertion_type == Some(1)
    }) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let ident = &data["relationIdentificationServiceData"];
    let Some(relation) = d.relation_index(
        ident["relationKey"]["id"].as_i64(),
        ident["externalRelationId"].as_i64(),
    ) else {
        return refuse(
            Refusal::UnknownRelation,
            "De relatie bestaat niet.",
            format!("Relation {ident} not found in dossier {}", d.id),
        );
    };
    let Some(lines) = data["bookingLines"].as_array().filter(|l| !l.is_empty()) else {
        return refuse(
            Refusal::Unbalanced,
            "De boeking heeft geen lijnen.",
            "No booking lines".into(),
        );
    };
    let mut sum = Decimal::ZERO;
    let credit_note = amount < Decimal::ZERO;
    for (i, line) in lines.iter().enumerate() {
        let (Some(base), Some(vat)) = (money(&line["baseAmount"]), money(&line["vatAmount"])) else {
            return bad_parameters(&format!("bookingLines[{i}] amounts"));
        };
        if base.scale() > 2 || vat.scale() > 2 {
            return refuse(
                Refusal::Unbalanced,
                "Bedragen hebben maximaal twee decimalen.",
                format!("Line {i}: amounts {base} / {vat} have more than two decimals"),
            );
        }
        if credit_note && (base < Decimal::ZERO || vat < Decimal::ZERO) {
            return refuse(
                Refusal::Unbalanced,
                "De lijnen van een creditnota moeten positief zijn.",
                format!("Credit note line {i} has a negative amount"),
            );
        }
        let account = line["accountKey"].as_i64();
        if !d
            .accounts
            .iter()
            .any(|a| a.bookyear == target.bookyear && Some(i64::from(a.number)) == account)
        {
            return refuse(
                Refusal::UnknownAccount,
                "De rekening bestaat niet.",
                format!(
                    "Account {} not found in bookyear {}",
                    line["accountKey"], target.bookyear
                ),
            );
        }
        let code = line["vatCodeKey"].as_str();
        if !d
            .vat_codes
            .iter()
            .any(|v| Some(v.code.as_str()) == code && matches!(v.kind, 2 | 4))
        {
            return refuse(
                Refusal::UnknownVatCode,
                "De btw-code bestaat niet.",
                format!("Sales VAT code {} not found", line["vatCodeKey"]),
            );
        }
        sum += base + vat;
    }
    if amount.scale() > 2 || (credit_note && -amount != sum) || (!credit_note && amount != sum) {
        return refuse(
            Refusal::Unbalanced,
            "Het totaalbedrag komt niet overeen met de som van de lijnen.",
            format!("Booking amount {amount} differs from the sum of the lines {sum}"),
        );
    }
    let relation_id = d.relations[relation].id;
    commit_booking(d, target, amount, Some(relation_id), data, now);
    if let Some(booked) = d.bookings.last_mut() {
        booked.attachments = files;
    }
    reply(201, None)
}
