//! `financialdiversbookings`: bank statements and diverse bookings (journals `F…` and `D…`), as the payment push
//! books them, and their feed.

use chrono::{DateTime, Utc};
use focus_octopus::octopus::Operation::{GetModifiedFinancialDiversBookings, InsertFinancialDiversBooking};
use serde_json::Value;

use super::bookings::{booking_target, commit_booking, modified_bookings, service_data};
use super::values::{date, money};
use super::{Call, GET, POST, Refusal, Reply, Route, bad_parameters, in_dossier, refuse, reply};
use crate::octopus_sim::state::SimDossier;

pub(super) fn routes() -> Vec<Route> {
    let insert = |d: &mut SimDossier, call: &Call| insert_financial_booking(d, call.body, call.now);
    let modified = |d: &mut SimDossier, call: &Call| modified_bookings(d, call.query, |j| j.starts_with(['F', 'D']));
    let path = "financialdiversbookings";
    vec![
        in_dossier(path, POST, InsertFinancialDiversBooking, insert),
        in_dossier(
            "financialdiversbookings/modified",
            GET,
            GetModifiedFinancialDiversBookings,
            modified,
        ),
    ]
}

fn insert_financial_booking(d: &mut SimDossier, body: &Value, now: DateTime<Utc>) -> Reply {
    let required = [
        "bookyearKey",
        "bookyearPeriodeNr",
        "documentDate",
        "documentSequenceNr",
        "exchangeRate",
        "journalKey",
    ];
    let data = match service_data(body, "financialDiversBookingServiceData", &required) {
        Ok(data) => data,
        Err(refused) => return refused,
    };
    let document_date = match date(&data["documentDate"]) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let target = match booking_target(d, data, document_date, |j| {
        j.key.starts_with('F') || j.key.starts_with('D')
    }) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let lines = data["bookingLines"].as_array().cloned().unwrap_or_default();
    let mut relation = None;
    for (i, line) in lines.iter().enumerate() {
        let Some(amount) = money(&line["amount"]) else {
            return bad_parameters(&format!("bookingLines[{i}].amount"));
        };
        if amount.scale() > 2 {
            return refuse(
                Refusal::Unbalanced,
                "Bedragen hebben maximaal twee decimalen.",
                format!("Line {i}: {amount}"),
            );
        }
        match line["type"].as_str() {
            Some("A") => {
                let account = line["accountKey"].as_i64();
                if !d
                    .accounts
                    .iter()
                    .any(|a| a.bookyear == target.bookyear && Some(i64::from(a.number)) == account)
                {
                    return refuse(
                        Refusal::UnknownAccount,
                        "De rekening bestaat niet.",
                        format!("Account {} not found", line["accountKey"]),
                    );
                }
            }
            Some("C" | "S") => {
                let Some(r) = d.relation_index(line["relationId"].as_i64(), line["externalRelationId"].as_i64()) else {
                    return refuse(
                        Refusal::UnknownRelation,
                        "De relatie bestaat niet.",
                        format!("Line {i}: no relation"),
                    );
                };
                relation = Some(d.relations[r].id);
            }
            _ => return bad_parameters(&format!("bookingLines[{i}].type must be A, C or S")),
        }
    }
    let total = lines.iter().filter_map(|l| money(&l["amount"])).sum();
    commit_booking(d, target, total, relation, data, now);
    reply(201, None)
}
