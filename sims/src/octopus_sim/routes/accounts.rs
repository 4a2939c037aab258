//! `accounts`: the general ledger accounts of each bookyear, and the feed of those changed or deleted.

use focus_octopus::octopus::Operation::{GetAccounts, GetModifiedAccounts};
use serde_json::{Value, json};

use super::values::modified_since;
use super::{Call, GET, Reply, Route, bad_parameters, in_dossier, list, not_found, ok};
use crate::octopus_sim::state::{SimAccount, SimDossier};

pub(super) fn routes() -> Vec<Route> {
    vec![
        in_dossier("accounts", GET, GetAccounts, accounts),
        in_dossier("accounts/modified", GET, GetModifiedAccounts, modified),
    ]
}

fn accounts(d: &mut SimDossier, call: &Call) -> Reply {
    let Some(by) = call.query.get("bookyearId").and_then(|v| v.parse::<i32>().ok()) else {
        return bad_parameters("bookyearId");
    };
    list(
        d.accounts
            .iter()
            .filter(|a| a.bookyear == by)
            .map(account_json)
            .collect(),
        "No accounts found",
    )
}

fn modified(d: &mut SimDossier, call: &Call) -> Reply {
    let since = match modified_since(call.query, true) {
        Ok(since) => since,
        Err(r) => return r,
    };
    let modified: Vec<Value> = d
        .accounts
        .iter()
        .filter(|a| a.modified_at >= since)
        .map(account_json)
        .collect();
    let deleted: Vec<Value> = d
        .deleted_accounts
        .iter()
        .filter(|a| a.modified_at >= since)
        .map(account_json)
        .collect();
    if modified.is_empty() && deleted.is_empty() {
        return not_found("No modified accounts found");
    }
    ok(json!({ "modified": modified, "deleted": deleted }))
}

fn account_json(a: &SimAccount) -> Value {
    json!({
        "accountKey": { "bookyearKey": { "id": a.bookyear }, "id": a.number },
        "costCentreType": 2,
        "description": { "description_NL": a.description_nl, "description_FR": "", "description_EN": "" },
    })
}
