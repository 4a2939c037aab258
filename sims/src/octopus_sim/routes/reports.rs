//! `reports/clients/open`: the open items of the dossier's customers, what is still to be paid per sales document.

use focus_octopus::octopus::Operation::GetReportOpenClient;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::values::number;
use super::{Call, POST, Reply, Route, in_dossier, list};
use crate::octopus_sim::state::{SimDossier, SimRelation};

pub(super) fn routes() -> Vec<Route> {
    let open = |d: &mut SimDossier, call: &Call| open_items(d, call.body);
    vec![in_dossier("reports/clients/open", POST, GetReportOpenClient, open)]
}

fn open_items(d: &SimDossier, body: &Value) -> Reply {
    let int = |v: &Value| v.as_i64();
    let relation_id = int(&body["relationId"]).unwrap_or(-1);
    let external_id = int(&body["externalRelationId"]).unwrap_or(-1);
    let from = int(&body["fromBookyearKey"]["id"]).unwrap_or(i64::MIN);
    let to = int(&body["toBookyearKey"]["id"]).unwrap_or(i64::MAX);
    let items = d
        .bookings
        .iter()
        .filter(|b| b.journal.starts_with('V'))
        .filter(|b| (from..=to).contains(&i64::from(b.bookyear)))
        .filter(|b| {
            (relation_id == -1 && external_id == -1)
                || b.relation_id.map(i64::from) == Some(relation_id)
                || b.relation_id
                    .and_then(|r| d.relations.iter().find(|x| x.id == r))
                    .and_then(SimRelation::external_id)
                    == Some(external_id)
        })
        .filter_map(|b| {
            let key = (b.bookyear, b.journal.clone(), b.document_nr, -1);
            let open = b.amount.abs() - d.balanced(&key);
            (open != Decimal::ZERO).then(|| {
                let signed = if b.amount < Decimal::ZERO { -open } else { open };
                json!({
                    "bookyearKey": { "id": b.bookyear }, "journalKey": b.journal,
                    "documentSequenceNr": b.document_nr, "lineSequenceNr": -1,
                    "bookyearPeriodNr": b.data["bookyearPeriodeNr"], "documentDate": b.data["documentDate"],
                    "expirationDate": b.data["expiryDate"], "relationKey": { "id": b.relation_id },
                    "reference": b.reference, "openBookingAmount": number(signed), "openDocAmount": number(signed),
                })
            })
        })
        .collect();
    list(items, "No open items found")
}
