//! `vatcodes`: the dossier's VAT codes with their kind and percentage.

use axum::Router;
use axum::routing::MethodFilter;
use focus_octopus::octopus::Operation::GetVatCodes;
use serde_json::json;

use super::values::number;
use super::{Answer, Call, Reply, Shared, list, on_call};
use crate::octopus_sim::state::SimDossier;

pub(super) fn routes() -> Router<Shared> {
    Router::new().route(
        "/dossiers/{dossier}/vatcodes",
        on_call(MethodFilter::GET, GetVatCodes, Answer::Dossier(vat_codes)),
    )
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
