//! The simulated Focus HTTP API: OAuth on the Focus host ([`oauth`]) and the RPC API (`POST /<resource>.<action>`),
//! following docs/partners/focus.md and the blueprint, unpleasant parts included.
//!
//! One file per resource: [`account`] (`users`, `departments`, `taxRates`, `productCategories`, `paymentMethods`,
//! `customFieldDefinitions`), [`companies`], [`contacts`], [`invoices`], [`credit_notes`] (both drawn by
//! [`documents`]), [`files`] (their renderings and the host of the temporary links), [`webhooks`]. Each lists its actions; every action is its own route on an axum [`Router`], and
//! every call passes [`call`] first: the sliding minute, the access token, injected faults, the record.
//!
//! Assumptions where Focus documents nothing, each at least as unpleasant as the real service:
//! - a request refused with 429 does not count in the sliding minute; every other API request does (401s too, and
//!   actions that do not exist). For the tests' judgement, the simulator also keeps every request that reached it,
//!   429s included, per minute;
//! - `updated_since` is exclusive (only records updated strictly after it);
//! - a page size above 100 is refused (the maximum is undocumented);
//! - a 401 body is `{"errors":[{"title":"Unauthorized"}]}`.

mod account;
mod companies;
mod contacts;
mod credit_notes;
pub(super) mod documents;
mod files;
mod invoices;
mod oauth;
mod values;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::Brussels;
use serde_json::{Value, json};

use super::Shared;
use super::state::{FocusReceived, FocusState};
use crate::http_server::ConnectionCut;

pub use oauth::{ACCESS_TOKEN_LIFETIME, issue_pair};

pub const RATE_LIMIT: usize = 200;

/// What answers one RPC action, once the call has passed the minute, the token and the faults.
pub(super) type Action = fn(&mut FocusState, &Value) -> Reply;

pub struct Reply {
    status: StatusCode,
    body: Option<Value>,
    location: Option<String>,
}

pub(super) fn reply(status: u16, body: Option<Value>) -> Reply {
    Reply {
        status: StatusCode::from_u16(status).expect("valid status"),
        body,
        location: None,
    }
}

pub(super) fn data(v: Value) -> Reply {
    reply(200, Some(json!({ "data": v })))
}

pub(super) fn no_content() -> Reply {
    reply(204, None)
}

pub(super) fn error(status: u16, title: &str) -> Reply {
    reply(status, Some(json!({ "errors": [{ "title": title }] })))
}

/// OAuth, every action of every resource, and the answers to anything else.
pub fn router(shared: Arc<Shared>) -> Router {
    let actions = [
        account::actions(),
        companies::actions(),
        contacts::actions(),
        invoices::actions(),
        credit_notes::actions(),
        webhooks::actions(),
        files::actions(),
    ];
    let mut router = oauth::routes().merge(files::routes());
    for (name, action) in actions.into_iter().flatten() {
        router = router.route(
            &format!("/{name}"),
            post(
                move |State(shared): State<Arc<Shared>>,
                      axum::Extension(cut): axum::Extension<ConnectionCut>,
                      headers: HeaderMap,
                      body: Bytes| call(shared, cut, name, Some(action), headers, body),
            ),
        );
    }
    router
        .fallback(unknown)
        .method_not_allowed_fallback(not_found)
        .with_state(shared)
}

async fn not_found() -> Response {
    respond(error(404, "Not found"), None)
}

/// A `POST` of an action Focus does not have is still an API call: it counts and needs a token, then is a 404.
async fn unknown(
    State(shared): State<Arc<Shared>>,
    axum::Extension(cut): axum::Extension<ConnectionCut>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let action = parts.uri.path().trim_start_matches('/').to_owned();
    if parts.method != Method::POST || !action.contains('.') {
        return not_found().await;
    }
    let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    call(shared, cut, &action, None, parts.headers, bytes).await
}

async fn call(
    shared: Arc<Shared>,
    cut: ConnectionCut,
    name: &str,
    action: Option<Action>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let (latency, arrived) = {
        let mut s = shared.state.lock().unwrap();
        (s.latency.get(name).copied(), s.on_arrival.remove(name))
    };
    if let Some(arrived) = arrived {
        let _ = arrived.send(());
    }
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let (answer, headers, drop_answer) = {
        let mut s = shared.state.lock().unwrap();
        api(&mut s, (name, action), &headers, body)
    };
    if drop_answer {
        cut.cut();
        std::future::pending::<()>().await;
    }
    respond(answer, Some(headers))
}

fn respond(answer: Reply, headers: Option<Vec<(&'static str, String)>>) -> Response {
    let mut response = match answer.body {
        Some(body) => (answer.status, axum::Json(body)).into_response(),
        None => (answer.status, Body::empty()).into_response(),
    };
    for (name, value) in headers.unwrap_or_default() {
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, v);
        }
    }
    if let Some(location) = answer.location
        && let Ok(v) = HeaderValue::from_str(&location)
    {
        response.headers_mut().insert("location", v);
    }
    response
}

/// `2021-06-15T10:51:23.035+0100`: Belgian local time with a colon-less offset, as documented.
pub fn reset_header(at: DateTime<Utc>) -> String {
    at.with_timezone(&Brussels)
        .format("%Y-%m-%dT%H:%M:%S%.3f%z")
        .to_string()
}

fn rate_headers(s: &FocusState) -> Vec<(&'static str, String)> {
    let now = s.now();
    let reset = s.window.front().map_or(now, |t| *t + Duration::seconds(60));
    vec![
        ("x-ratelimit-limit", RATE_LIMIT.to_string()),
        (
            "x-ratelimit-remaining",
            RATE_LIMIT.saturating_sub(s.window.len()).to_string(),
        ),
        ("x-ratelimit-reset", reset_header(reset)),
        ("x-api-version", "2023-09-26".into()),
    ]
}

/// Counts the call in the sliding minute, checks the access token, applies faults, runs the action (a 404 when
/// Focus has none of that name) and records it. Returns the answer, its rate headers and whether to cut the
/// connection instead of sending it.
fn api(
    s: &mut FocusState,
    (action, run): (&str, Option<Action>),
    headers: &HeaderMap,
    body: Value,
) -> (Reply, Vec<(&'static str, String)>, bool) {
    let dispatch = |s: &mut FocusState, action: &str, body: &Value| match run {
        Some(run) => run(s, body),
        None => error(404, &format!("Unknown action {action}")),
    };
    let now = s.now();
    while s.window.front().is_some_and(|t| *t + Duration::seconds(60) <= now) {
        s.window.pop_front();
    }
    while s.sent_window.front().is_some_and(|t| *t + Duration::seconds(60) <= now) {
        s.sent_window.pop_front();
    }
    if std::mem::take(&mut s.storm_armed) {
        let room = RATE_LIMIT.saturating_sub(s.window.len());
        s.window.extend(std::iter::repeat_n(now, room));
        s.storms.push((now + Duration::seconds(60), 0));
    }
    s.sent_window.push_back(now);
    s.max_sent_in_minute = s.max_sent_in_minute.max(s.sent_window.len());
    if s.window.len() >= RATE_LIMIT {
        s.throttled += 1;
        match s.storms.iter_mut().rev().find(|(until, _)| now < *until) {
            Some((_, hits)) => *hits += 1,
            None => s.throttled_outside_storms += 1,
        }
        record(s, action, &body, 429);
        return (error(429, "Too Many Requests"), rate_headers(s), false);
    }
    s.window.push_back(now);
    s.max_in_window = s.max_in_window.max(s.window.len());
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let mut drop_answer = false;
    let answer = if s.access_tokens.get(token).is_none_or(|expires| *expires <= now) {
        if s.access_tokens.contains_key(token) {
            s.expired_token_refusals += 1;
        }
        error(401, "Unauthorized")
    } else {
        let fault = s.faults.get_mut(action).and_then(|f| f.pop_front());
        if let Some(kind) = fault {
            let name = match kind {
                0 => "answer lost",
                1 => "cut",
                _ => "status",
            };
            *s.faults_fired.entry(name).or_default() += 1;
        }
        s.caller_account = s.other_accounts.get(token).cloned();
        match fault {
            Some(0) => {
                drop_answer = true;
                dispatch(s, action, &body)
            }
            Some(1) => {
                drop_answer = true;
                error(504, "never sent")
            }
            Some(status) if status >= 500 => reply(status, None),
            Some(status) => error(status, "Injected failure"),
            None => dispatch(s, action, &body),
        }
    };
    record(s, action, &body, answer.status.as_u16());
    (answer, rate_headers(s), drop_answer)
}

fn record(s: &mut FocusState, action: &str, body: &Value, status: u16) {
    let at = s.now();
    s.received.push(FocusReceived {
        action: action.to_owned(),
        body: body.clone(),
        status,
        at,
    });
}
