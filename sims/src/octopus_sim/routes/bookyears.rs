//! `bookyears` and their `journals`: the periods a booking must fall in, the journals and their last numbers.

use focus_octopus::octopus::Operation::{GetBookyears, GetJournals};
use serde_json::{Value, json};

use super::{Call, GET, Reply, Route, bad_parameters, in_dossier, list};
use crate::octopus_sim::state::{SimBookyear, SimDossier, SimJournal};

pub(super) fn routes() -> Vec<Route> {
    vec![
        in_dossier("bookyears", GET, GetBookyears, bookyears),
        in_dossier("bookyears/{bookyear}/journals", GET, GetJournals, journals),
    ]
}

fn bookyears(d: &mut SimDossier, _: &Call) -> Reply {
    list(d.bookyears.iter().map(bookyear_json).collect(), "No bookyears found")
}

fn journals(d: &mut SimDossier, call: &Call) -> Reply {
    let Some(by) = call.bookyear else {
        return bad_parameters("bookyearId");
    };
    list(
        d.journals
            .iter()
            .filter(|j| j.bookyear == by)
            .map(journal_json)
            .collect(),
        "No journals found",
    )
}

fn bookyear_json(b: &SimBookyear) -> Value {
    json!({
        "bookyearKey": { "id": b.id },
        "bookyearDescription": b.description,
        "startDate": b.start.to_string(),
        "endDate": b.end.to_string(),
        "closed": b.closed,
        "periods": b.periods.iter().map(|(key, start, end)| json!({
            "bookyearPeriod": key, "startDate": start.to_string(), "endDate": end.to_string()
        })).collect::<Vec<_>>(),
    })
}

fn journal_json(j: &SimJournal) -> Value {
    let mut v = json!({
        "bookyearKey": { "id": j.bookyear },
        "journalKey": j.key,
        "name": j.name,
        "closed": j.closed,
        "currencyCode": "EUR",
        "lastBookedDocumentNr": j.last_booked,
    });
    if let Some(t) = j.insertion_type {
        v["insertionType"] = json!(t);
    }
    if let Some(p) = j.closed_period {
        v["closedPeriod"] = json!(p);
    }
    v
}
