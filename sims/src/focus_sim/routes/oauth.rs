//! OAuth on the Focus host: the consent page's redirect with a code (10 minutes), and the token endpoint —
//! access tokens for an hour, refresh tokens that work **once**.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Duration;
use serde_json::{Value, json};

use super::{Reply, error, reply, respond};
use crate::focus_sim::Shared;
use crate::focus_sim::state::FocusState;

pub const ACCESS_TOKEN_LIFETIME: i64 = 3600;
pub const CODE_LIFETIME: Duration = Duration::minutes(10);

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/oauth2/authorize",
            get(
                |State(shared): State<Arc<Shared>>, Query(query): Query<HashMap<String, String>>| async move {
                    respond(authorize(&shared.state, &query), None)
                },
            ),
        )
        .route("/oauth2/access_token", post(token_endpoint))
}

async fn token_endpoint(State(shared): State<Arc<Shared>>, headers: HeaderMap, bytes: Bytes) -> Response {
    let hook = shared.token_hook.lock().unwrap().take();
    if let Some(hook) = hook {
        hook().await;
    }
    let form = parse_form_or_json(&headers, &bytes);
    respond(access_token(&shared.state, &form), None)
}

fn parse_form_or_json(headers: &HeaderMap, bytes: &[u8]) -> HashMap<String, String> {
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        let v: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
        v.as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        serde_urlencoded::from_bytes(bytes).unwrap_or_default()
    }
}

fn authorize(state: &Mutex<FocusState>, query: &HashMap<String, String>) -> Reply {
    let mut s = state.lock().unwrap();
    let (Some(client), Some(redirect)) = (query.get("client_id"), query.get("redirect_uri")) else {
        return error(400, "client_id and redirect_uri are required");
    };
    if client != &s.client_id || query.get("response_type").map(String::as_str) != Some("code") {
        return error(400, "invalid_client");
    }
    let code = format!("code-{}", s.new_id());
    let now = s.now();
    s.codes.insert(code.clone(), (now, redirect.clone()));
    let mut url = reqwest::Url::parse(redirect).expect("a valid redirect URI");
    url.query_pairs_mut().append_pair("code", &code);
    if let Some(st) = query.get("state") {
        url.query_pairs_mut().append_pair("state", st);
    }
    Reply {
        status: StatusCode::FOUND,
        body: None,
        location: Some(url.to_string()),
    }
}

/// Issues a new pair: access token for an hour, a refresh token usable once.
pub fn issue_pair(s: &mut FocusState) -> (String, String) {
    let access = format!("access-{}", s.new_id());
    let refresh = format!("refresh-{}", s.new_id());
    let expires = s.now() + Duration::seconds(ACCESS_TOKEN_LIFETIME);
    s.access_tokens.insert(access.clone(), expires);
    s.refresh_tokens.insert(refresh.clone());
    s.issued.push(refresh.clone());
    (access, refresh)
}

fn access_token(state: &Mutex<FocusState>, form: &HashMap<String, String>) -> Reply {
    let mut s = state.lock().unwrap();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    if field("client_id") != s.client_id || field("client_secret") != s.client_secret {
        return reply(401, Some(json!({ "error": "invalid_client" })));
    }
    let account = s
        .other_accounts
        .get(field("code"))
        .or(s.other_accounts.get(field("refresh_token")))
        .cloned();
    let valid = match field("grant_type") {
        "authorization_code" => match s.codes.remove(field("code")) {
            Some((issued, redirect)) => issued + CODE_LIFETIME > s.now() && redirect == field("redirect_uri"),
            None => false,
        },
        "refresh_token" => {
            // Single use: the token leaves the set whether or not this request wins.
            let valid = s.refresh_tokens.remove(field("refresh_token"));
            if valid {
                s.refreshes += 1;
            }
            valid
        }
        _ => return reply(400, Some(json!({ "error": "unsupported_grant_type" }))),
    };
    if !valid {
        s.invalid_grants += 1;
        return reply(
            400,
            Some(json!({ "error": "invalid_grant", "error_description": "The refresh token is invalid." })),
        );
    }
    let (access, refresh) = issue_pair(&mut s);
    if let Some(account) = account {
        s.other_accounts.insert(access.clone(), account.clone());
        s.other_accounts.insert(refresh.clone(), account);
    }
    reply(
        200,
        Some(json!({ "token_type": "Bearer", "expires_in": ACCESS_TOKEN_LIFETIME,
                     "access_token": access, "refresh_token": refresh })),
    )
}
