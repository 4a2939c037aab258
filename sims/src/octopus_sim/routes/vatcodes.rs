//! `vatcodes`: the dossier's VAT codes with their kind and percentage.

use focus_octopus::octopus::Operation::GetVatCodes;
use serde_json::json;

use super::values::number;
use super::{Call, GET, Reply, Route, in_dossier, list};
use crate::octopus_sim::state::SimDossier;

pub(super) fn routes() -> Vec<Route> {
    vec![in_dossier("vatcodes", GET, GetVatCodes, vat_codes)]
}

fn vat_codes(d: &mut SimDossier, _: &Call) -> Reply {
    list(
        d.vat_codes
            .iter()
            .map(|v| {
                json!({ "code": v.code, "description": v.description, "type": v.kind,
                        "basePercentage": number(v.percentage) })
            })
            .collect(),
        "No vat codes found",
    )
}
