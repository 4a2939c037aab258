//! `authentication` and `dossiers`: the software house's login, the login token and the dossier tokens.

use axum::http::HeaderMap;
use chrono::Duration;
use focus_octopus::octopus::Operation::{AuthenticateUser, ConnectDossier, GetDossiers};
use serde_json::{Value, json};

use super::{Call, GET, POST, Reply, Route, at_root, bad_parameters, not_found, ok, technical};
use crate::octopus_sim::state::SimState;

/// Tokens live 10 minutes (docs/partners/octopus.md §1).
pub const TOKEN_LIFETIME: Duration = Duration::minutes(10);

pub(super) fn routes() -> Vec<Route> {
    vec![
        at_root("authentication", POST, AuthenticateUser, authenticate),
        at_root("dossiers", GET, GetDossiers, get_dossiers),
        at_root("dossiers", POST, ConnectDossier, connect),
    ]
}

fn authenticate(s: &mut SimState, call: &Call) -> Reply {
    let (headers, body) = (call.headers, call.body);
    let house = headers.get("softwareHouseUuid").and_then(|v| v.to_str().ok());
    let user = body["user"].as_str().unwrap_or_default().to_owned();
    let password = body["password"].as_str().unwrap_or_default();
    let valid_user = s.users.get(&user).is_some_and(|(p, _)| p == password);
    if house != Some(s.software_house_uuid.as_str()) || !valid_user {
        // The live 401 body has only technicalInfo.
        return technical(401, &format!("Incrementing failed login attempt count for user {user}"));
    }
    let token = s.new_token("auth");
    let now = s.now();
    s.auth_tokens.insert(token.clone(), (user, now));
    s.issued.push(token.clone());
    ok(json!({ "token": token }))
}

fn login_user(s: &SimState, headers: &HeaderMap) -> Result<String, Reply> {
    let token = headers.get("Token").and_then(|v| v.to_str().ok()).unwrap_or_default();
    match s.auth_tokens.get(token) {
        Some((user, issued)) if *issued + TOKEN_LIFETIME > s.now() => Ok(user.clone()),
        _ => Err(technical(401, "Invalid or expired token presented, unauthorized")),
    }
}

fn get_dossiers(s: &mut SimState, call: &Call) -> Reply {
    let user = match login_user(s, call.headers) {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let allowed = &s.users[&user].1;
    let items = s
        .dossiers
        .values()
        .filter(|d| allowed.contains(&d.id))
        .map(|d| {
            json!({
                "dossierKey": { "id": d.id },
                "dossierDescription": d.description,
                "vatNr": d.vat_nr,
                "country": "BE",
            })
        })
        .collect();
    ok(Value::Array(items))
}

fn connect(s: &mut SimState, call: &Call) -> Reply {
    let user = match login_user(s, call.headers) {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let Some(dossier) = call.query.get("dossierId").and_then(|v| v.parse::<i32>().ok()) else {
        return bad_parameters("dossierId");
    };
    if !s.dossiers.contains_key(&dossier) {
        return not_found("Dossier not found");
    }
    if !s.users[&user].1.contains(&dossier) {
        return technical(403, "Unauthorized or disabled dossier");
    }
    let token = s.new_token("dossier");
    let now = s.now();
    s.dossier_tokens.insert(token.clone(), (dossier, now));
    s.issued.push(token.clone());
    ok(json!({ "Dossiertoken": token }))
}

pub(super) fn check_dossier_token(s: &SimState, headers: &HeaderMap, dossier: i32) -> Result<(), Reply> {
    let token = headers
        .get("dossierToken")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match s.dossier_tokens.get(token) {
        Some((d, issued)) if *d == dossier && *issued + TOKEN_LIFETIME > s.now() => Ok(()),
        _ => Err(technical(401, "Invalid or expired token presented, unauthorized")),
    }
}
