//! The simulated Focus HTTP API: OAuth on the Focus host and the RPC API (`POST /<resource>.<action>`), following
//! docs/partners/focus.md and the blueprint, unpleasant parts included.
//!
//! Assumptions where Focus documents nothing, each at least as unpleasant as the real service:
//! - a request refused with 429 does not count in the sliding minute; every other API request does (401s too).
//!   For the tests' judgement, the simulator also keeps every request that reached it, 429s included, per minute;
//! - `updated_since` is exclusive (only records updated strictly after it);
//! - a page size above 100 is refused (the maximum is undocumented);
//! - a 401 body is `{"errors":[{"title":"Unauthorized"}]}`.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Brussels;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::state::{DocKind, FocusReceived, FocusState, SimDocument};
use super::totals;
use super::{Event, Shared};
use crate::http_server::ConnectionCut;

pub const RATE_LIMIT: usize = 200;
pub const ACCESS_TOKEN_LIFETIME: i64 = 3600;
pub const CODE_LIFETIME: Duration = Duration::minutes(10);

pub struct Reply {
    status: StatusCode,
    body: Option<Value>,
    location: Option<String>,
}

fn reply(status: u16, body: Option<Value>) -> Reply {
    Reply {
        status: StatusCode::from_u16(status).expect("valid status"),
        body,
        location: None,
    }
}

fn data(v: Value) -> Reply {
    reply(200, Some(json!({ "data": v })))
}

fn no_content() -> Reply {
    reply(204, None)
}

fn error(status: u16, title: &str) -> Reply {
    reply(status, Some(json!({ "errors": [{ "title": title }] })))
}

pub async fn handle(
    State(shared): State<Arc<Shared>>,
    axum::Extension(cut): axum::Extension<ConnectionCut>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let path = parts.uri.path().trim_start_matches('/').to_owned();
    let query: HashMap<String, String> = Query::try_from_uri(&parts.uri).map(|q| q.0).unwrap_or_default();
    match (parts.method.clone(), path.as_str()) {
        (Method::GET, "oauth2/authorize") => respond(authorize(&shared.state, &query), None),
        (Method::POST, "oauth2/access_token") => {
            let hook = shared.token_hook.lock().unwrap().take();
            if let Some(hook) = hook {
                hook().await;
            }
            let form = parse_form_or_json(&parts.headers, &bytes);
            respond(access_token(&shared.state, &form), None)
        }
        (Method::POST, action) if action.contains('.') => {
            let (latency, arrived) = {
                let mut s = shared.state.lock().unwrap();
                (s.latency.get(action).copied(), s.on_arrival.remove(action))
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
                api(&mut s, action, &parts.headers, body)
            };
            if drop_answer {
                cut.cut();
                std::future::pending::<()>().await;
            }
            respond(answer, Some(headers))
        }
        _ => respond(error(404, "Not found"), None),
    }
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

fn api(
    s: &mut FocusState,
    action: &str,
    headers: &HeaderMap,
    body: Value,
) -> (Reply, Vec<(&'static str, String)>, bool) {
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

fn dispatch(s: &mut FocusState, action: &str, body: &Value) -> Reply {
    match action {
        "users.me" => data(json!({
            "id": s.user_id,
            "account": { "type": "account", "id": s.caller_account.clone().unwrap_or_else(|| s.account_id.clone()) },
            "first_name": "An", "last_name": "Peeters", "email": "an@bakkerij-peeters.be",
            "language": "nl-BE", "time_zone": "Europe/Brussels",
        })),
        "departments.list" => data(Value::Array(s.departments.clone())),
        "departments.info" => match s.departments.iter().find(|d| d["id"] == body["id"]) {
            Some(d) => data(d.clone()),
            None => error(404, "Department not found"),
        },
        "taxRates.list" => {
            let department = body["filter"]["department_id"].as_str();
            let mut rates: Vec<&super::state::SimTaxRate> = s
                .tax_rates
                .iter()
                .filter(|t| department.is_none_or(|d| d == t.department))
                .collect();
            rates.sort_by(|a, b| (&a.department, a.rate, &a.description).cmp(&(&b.department, b.rate, &b.description)));
            let items = rates
                .iter()
                .map(|t| {
                    json!({ "id": t.id, "description": t.description, "rate": number(t.rate),
                                  "department": { "type": "department", "id": t.department } })
                })
                .collect();
            paged(items, body)
        }
        "productCategories.list" => {
            let department = body["filter"]["department_id"].as_str();
            let items = s
                .categories
                .iter()
                .filter(|c| {
                    department.is_none_or(|d| {
                        c["ledgers"]
                            .as_array()
                            .is_some_and(|l| l.iter().any(|x| x["department"]["id"] == d))
                    })
                })
                .cloned()
                .collect();
            data(Value::Array(items))
        }
        "paymentMethods.list" => paged(s.payment_methods.clone(), body),
        "customFieldDefinitions.list" => paged(s.custom_fields.clone(), body),
        "companies.list" => list_companies(s, body),
        "companies.info" => match s.companies.iter().find(|c| c["id"] == body["id"]) {
            Some(c) => data(c.clone()),
            None => error(404, "Company not found"),
        },
        "companies.add" => add_company(s, body),
        "companies.update" => update_company(s, body),
        "companies.tag" => {
            let Some(c) = s.companies.iter_mut().find(|c| c["id"] == body["id"]) else {
                return error(404, "Company not found");
            };
            let mut tags: Vec<Value> = c["tags"].as_array().cloned().unwrap_or_default();
            for t in body["tags"].as_array().cloned().unwrap_or_default() {
                if !tags.contains(&t) {
                    tags.push(t);
                }
            }
            c["tags"] = Value::Array(tags);
            no_content()
        }
        "contacts.list" => {
            let items = filter_records(&s.contacts, body);
            paged(items, body)
        }
        "contacts.info" => match s.contacts.iter().find(|c| c["id"] == body["id"]) {
            Some(c) => data(c.clone()),
            None => error(404, "Contact not found"),
        },
        "invoices.list" => list_documents(s, DocKind::Invoice, body),
        "creditNotes.list" => list_documents(s, DocKind::CreditNote, body),
        "invoices.info" => match body["id"].as_str().and_then(|id| s.document(id)) {
            Some(d) if d.kind == DocKind::Invoice => data(document_json(s, d, true)),
            _ => error(404, "Invoice not found"),
        },
        "creditNotes.info" => match body["id"].as_str().and_then(|id| s.document(id)) {
            Some(d) if d.kind == DocKind::CreditNote => {
                let v = document_json(s, d, true);
                data(if s.credit_note_info_as_array { json!([v]) } else { v })
            }
            _ => error(404, "Credit note not found"),
        },
        "invoices.registerPayment" => register_payment(s, body),
        "invoices.removePayments" => {
            let now = s.now();
            match body["id"].as_str().and_then(|id| s.document_mut(id)) {
                Some(d) if d.kind == DocKind::Invoice => {
                    d.payments.clear();
                    d.status = "outstanding".into();
                    d.updated_at = now;
                    no_content()
                }
                _ => error(404, "Invoice not found"),
            }
        }
        "webhooks.register" => {
            let (Some(url), Some(types)) = (body["url"].as_str(), body["types"].as_array()) else {
                return error(400, "url and types are required");
            };
            if types.is_empty()
                || !types
                    .iter()
                    .all(|t| t.as_str().is_some_and(|t| super::EVENT_TYPES.contains(&t)))
            {
                return error(400, "types must be known event types");
            }
            let types: Vec<String> = types.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect();
            match s.webhooks.iter_mut().find(|(u, _)| u == url) {
                Some((_, existing)) => {
                    for t in types {
                        if !existing.contains(&t) {
                            existing.push(t);
                        }
                    }
                }
                None => s.webhooks.push((url.to_owned(), types)),
            }
            no_content()
        }
        "webhooks.list" => {
            let mut hooks = s.webhooks.clone();
            hooks.sort();
            data(Value::Array(
                hooks
                    .into_iter()
                    .map(|(url, types)| json!({ "url": url, "types": types }))
                    .collect(),
            ))
        }
        "webhooks.unregister" => {
            let url = body["url"].as_str().unwrap_or_default();
            let types: Vec<&str> = body["types"]
                .as_array()
                .map_or(Vec::new(), |t| t.iter().filter_map(Value::as_str).collect());
            for (_, existing) in s.webhooks.iter_mut().filter(|(u, _)| u == url) {
                existing.retain(|t| !types.contains(&t.as_str()));
            }
            s.webhooks.retain(|(_, t)| !t.is_empty());
            no_content()
        }
        _ => error(404, &format!("Unknown action {action}")),
    }
}

pub fn number(d: Decimal) -> Value {
    serde_json::Number::from_str(&d.normalize().to_string())
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn money(d: Decimal) -> Value {
    json!({ "amount": number(d), "currency": "EUR" })
}

fn page_of(body: &Value) -> Result<(usize, usize), Reply> {
    let size = body["page"]["size"].as_u64().unwrap_or(20) as usize;
    let number = body["page"]["number"].as_u64().unwrap_or(1).max(1) as usize;
    if size == 0 || size > 100 {
        return Err(error(400, "page.size must be between 1 and 100"));
    }
    Ok((size, number))
}

/// One page of `items`, without totals.
fn paged(items: Vec<Value>, body: &Value) -> Reply {
    match page_of(body) {
        Ok((size, number)) => data(Value::Array(
            items.into_iter().skip((number - 1) * size).take(size).collect(),
        )),
        Err(r) => r,
    }
}

fn updated_since(body: &Value) -> Result<Option<DateTime<Utc>>, Reply> {
    match body["filter"]["updated_since"].as_str() {
        None => Ok(None),
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| error(400, "filter.updated_since must be an ISO 8601 date-time")),
    }
}

fn filter_records(records: &[Value], body: &Value) -> Vec<Value> {
    let f = &body["filter"];
    let term = f["term"].as_str().map(str::to_lowercase);
    let ids: Option<Vec<&str>> = f["ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let since = updated_since(body).ok().flatten();
    records
        .iter()
        .filter(|r| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&r["id"].as_str().unwrap_or_default()))
        })
        .filter(|r| {
            term.as_ref().is_none_or(|t| {
                let name = format!("{} {} {}", r["name"], r["first_name"], r["last_name"]).to_lowercase();
                name.contains(t) || r["vat_number"].as_str().is_some_and(|v| v.to_lowercase().contains(t))
            })
        })
        .filter(|r| {
            since.is_none_or(|since| {
                r["updated_at"]
                    .as_str()
                    .and_then(|u| DateTime::parse_from_rfc3339(u).ok())
                    .is_some_and(|u| u > since)
            })
        })
        .cloned()
        .collect()
}

fn list_companies(s: &FocusState, body: &Value) -> Reply {
    if let Err(r) = updated_since(body) {
        return r;
    }
    let vat = body["filter"]["vat_number"].as_str();
    let tags: Vec<&str> = body["filter"]["tags"]
        .as_array()
        .map_or(Vec::new(), |t| t.iter().filter_map(Value::as_str).collect());
    let items = filter_records(&s.companies, body)
        .into_iter()
        .filter(|c| vat.is_none_or(|v| c["vat_number"].as_str() == Some(v)))
        .filter(|c| {
            tags.iter()
                .all(|t| c["tags"].as_array().is_some_and(|ct| ct.iter().any(|x| x == t)))
        })
        .map(|mut c| {
            // The list gives `primary_address` instead of `addresses`.
            let primary = c["addresses"]
                .as_array()
                .and_then(|a| a.iter().find(|x| x["type"] == "primary").map(|x| x["address"].clone()))
                .unwrap_or(Value::Null);
            if let Some(o) = c.as_object_mut() {
                o.remove("addresses");
                o.insert("primary_address".into(), primary);
            }
            c
        })
        .collect();
    paged(items, body)
}

fn add_company(s: &mut FocusState, body: &Value) -> Reply {
    let Some(name) = body["name"].as_str().filter(|n| !n.trim().is_empty()) else {
        return error(400, "Company name must not be empty");
    };
    let id = s.new_id();
    let now = s.now().to_rfc3339();
    let mut company = json!({
        "id": id, "name": name, "status": "active", "vat_number": null, "emails": [], "telephones": [],
        "addresses": [], "language": "nl", "tags": [], "custom_fields": [], "added_at": now, "updated_at": now,
    });
    for key in [
        "vat_number",
        "emails",
        "addresses",
        "language",
        "tags",
        "iban",
        "national_identification_number",
    ] {
        if let Some(v) = body.get(key) {
            company[key] = v.clone();
        }
    }
    s.companies.push(company);
    let created = json!({ "type": "company", "id": id });
    reply(
        201,
        Some(if s.created_bare {
            created
        } else {
            json!({ "data": created })
        }),
    )
}

fn update_company(s: &mut FocusState, body: &Value) -> Reply {
    let now = s.now().to_rfc3339();
    let Some(c) = s.companies.iter_mut().find(|c| c["id"] == body["id"]) else {
        return error(404, "Company not found");
    };
    for (k, v) in body.as_object().cloned().unwrap_or_default() {
        if k != "id" {
            c[k] = v;
        }
    }
    c["updated_at"] = json!(now);
    no_content()
}

const STATUSES: [&str; 3] = ["draft", "outstanding", "matched"];

fn list_documents(s: &FocusState, kind: DocKind, body: &Value) -> Reply {
    let f = &body["filter"];
    let statuses: Option<Vec<String>> = match f.get("status") {
        None | Some(Value::Null) => None,
        Some(Value::Array(values)) if kind == DocKind::Invoice => {
            let mut out = Vec::new();
            for (i, v) in values.iter().enumerate() {
                match v.as_str().filter(|v| STATUSES.contains(v)) {
                    Some(v) => out.push(v.to_owned()),
                    None => {
                        return error(
                            400,
                            &format!("filter.status.{i} must be one of draft, outstanding, matched"),
                        );
                    }
                }
            }
            Some(out)
        }
        Some(_) => return error(400, "filter.status must be an array"),
    };
    let since = match updated_since(body) {
        Ok(since) => since,
        Err(r) => return r,
    };
    let date_filter = |key: &str| {
        f[key]
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let (after, before) = match kind {
        DocKind::Invoice => (date_filter("invoice_date_after"), date_filter("invoice_date_before")),
        DocKind::CreditNote => (
            date_filter("credit_note_date_after"),
            date_filter("credit_note_date_before"),
        ),
    };
    let ids: Option<Vec<&str>> = f["ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let department = f["department_id"].as_str();
    let mut docs: Vec<&SimDocument> = s
        .documents
        .iter()
        .filter(|d| d.kind == kind && !d.deleted)
        .filter(|d| statuses.as_ref().is_none_or(|st| st.contains(&d.status)))
        .filter(|d| since.is_none_or(|since| d.updated_at > since))
        .filter(|d| department.is_none_or(|dep| d.department == dep))
        .filter(|d| ids.as_ref().is_none_or(|ids| ids.contains(&d.id.as_str())))
        .filter(|d| after.is_none_or(|a| d.date.is_some_and(|x| x >= a)))
        .filter(|d| {
            // invoice_date_before is inclusive; credit_note_date_before exclusive (as documented).
            before.is_none_or(|b| {
                d.date
                    .is_some_and(|x| if kind == DocKind::Invoice { x <= b } else { x < b })
            })
        })
        .collect();
    docs.sort_by_key(|d| (d.date, sequence(d.number.as_deref())));
    let items = docs.into_iter().map(|d| document_json(s, d, false)).collect();
    paged(items, body)
}

fn sequence(number: Option<&str>) -> i64 {
    number
        .and_then(|n| n.rsplit('/').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(i64::MIN)
}

fn register_payment(s: &mut FocusState, body: &Value) -> Reply {
    // A wrong field name (payment_date) gets 422, as seen in practice.
    let (Some(id), Some(amount), Some(paid_at)) = (
        body["id"].as_str(),
        body["payment"]["amount"]
            .as_number()
            .and_then(|n| Decimal::from_str(&n.to_string()).ok()),
        body["paid_at"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok()),
    ) else {
        return error(422, "id, payment.amount, payment.currency and paid_at are required");
    };
    if body["payment"]["currency"].as_str() != Some("EUR") {
        return error(400, "payment.currency must match the invoice currency");
    }
    if amount <= Decimal::ZERO {
        return error(400, "payment.amount must be positive");
    }
    let rates: HashMap<String, Decimal> = s.tax_rates.iter().map(|t| (t.id.clone(), t.rate)).collect();
    let now = s.now();
    let Some(doc) = s.document_mut(id).filter(|d| d.kind == DocKind::Invoice) else {
        return error(404, "Invoice not found");
    };
    if doc.status == "draft" {
        return error(400, "A draft invoice cannot be paid");
    }
    doc.payments.push((paid_at.with_timezone(&Utc), amount));
    let (_, payable) = totals::document_totals(doc, |r| rates.get(r).copied().unwrap_or_default());
    let paid: Decimal = doc.payments.iter().map(|p| p.1).sum();
    if paid >= payable {
        doc.status = "matched".into();
    }
    doc.updated_at = now;
    // Delivered on the next webhook flush (see FocusSim::flush_webhooks).
    s.outbox.push(Event::new("invoice.paymentRegistered", "invoice", id));
    no_content()
}

/// The `.info` (or list item) JSON of a document, amounts computed as Focus does.
pub fn document_json(s: &FocusState, d: &SimDocument, full: bool) -> Value {
    let rate_of = |id: &str| s.tax_rate(id).map_or(Decimal::ZERO, |t| t.rate);
    let taxes = totals::taxes(d, rate_of);
    let (exclusive, inclusive) = totals::document_totals(d, rate_of);
    let before_discount: Decimal = d.lines.iter().map(totals::line_before_discount).sum();
    let paid: Decimal = d.payments.iter().map(|p| p.1).sum();
    let (customer_kind, customer_id) = &d.customer;
    let customer = if customer_kind == "company" {
        &s.companies
    } else {
        &s.contacts
    }
    .iter()
    .find(|c| c["id"] == customer_id.as_str())
    .cloned()
    .unwrap_or(Value::Null);
    let name = if customer_kind == "company" {
        customer["name"].as_str().unwrap_or_default().to_owned()
    } else {
        format!(
            "{} {}",
            customer["first_name"].as_str().unwrap_or_default(),
            customer["last_name"].as_str().unwrap_or_default()
        )
        .trim()
        .to_owned()
    };
    let total = json!({
        "tax_exclusive": money(exclusive),
        "tax_exclusive_before_discount": money(before_discount),
        "tax_inclusive": money(inclusive),
        "tax_inclusive_before_discount": money(inclusive),
        "taxes": taxes.iter().map(|(rate, taxable, tax)| json!({
            "rate": number(*rate), "taxable": money(*taxable), "tax": money(*tax)
        })).collect::<Vec<_>>(),
        "withheld_taxes": [],
        "payable": money(inclusive),
        "due": money(inclusive - paid),
    });
    let invoicee = json!({
        "name": name, "vat_number": customer["vat_number"],
        "customer": { "type": customer_kind, "id": customer_id },
        "for_attention_of": null, "email": null, "national_identification_number": null,
    });
    let mut v = json!({
        "id": d.id,
        "department": { "type": "department", "id": d.department },
        "status": d.status,
        "paid": d.status == "matched",
        "invoicee": invoicee,
        "total": total,
        "created_at": d.created_at.to_rfc3339(),
        "updated_at": d.updated_at.to_rfc3339(),
    });
    match d.kind {
        DocKind::Invoice => {
            v["invoice_number"] = json!(d.number);
            v["invoice_date"] = json!(d.date.map(|x| x.to_string()));
            v["due_on"] = json!(d.due_on.map(|x| x.to_string()));
            v["paid_at"] = json!(
                d.payments
                    .last()
                    .filter(|_| d.status == "matched")
                    .map(|p| p.0.to_rfc3339())
            );
            v["sent"] = json!(false);
            v["purchase_order_number"] = Value::Null;
            v["payment_reference"] = json!(format!(
                "+++{:03}/{:04}/{:05}+++",
                84,
                2613,
                sequence(d.number.as_deref()).max(0)
            ));
        }
        DocKind::CreditNote => {
            v["credit_note_number"] = json!(d.number);
            v["credit_note_date"] = json!(d.date.map(|x| x.to_string()));
            v["invoice"] = json!(d.invoice.as_ref().map(|i| json!({ "type": "invoice", "id": i })));
        }
    }
    if full {
        v["discounts"] = json!(d.discount.map_or(Vec::new(), |p| vec![json!({
            "type": "percentage", "value": number(p), "description": "Korting"
        })]));
        v["grouped_lines"] = json!([{
            "section": { "title": "" },
            "line_items": d.lines.iter().map(|l| {
                let rate = rate_of(&l.tax_rate);
                json!({
                    "product": null,
                    "product_category": l.category.as_ref().map(|c| json!({ "type": "productCategory", "id": c })),
                    "quantity": number(l.quantity),
                    "description": l.description,
                    "extended_description": null,
                    "unit": null,
                    "unit_price": { "amount": number(l.unit_price), "tax": "excluding" },
                    "tax": { "type": "taxRate", "id": l.tax_rate },
                    "discount": l.discount.map(|p| json!({ "type": "percentage", "value": number(p) })),
                    "total": {
                        "tax_exclusive": money(totals::line_exclusive(l)),
                        "tax_exclusive_before_discount": money(totals::line_before_discount(l)),
                        "tax_inclusive": money(totals::line_inclusive(l, rate)),
                        "tax_inclusive_before_discount": money(totals::round2(totals::line_before_discount(l) * (Decimal::ONE + rate))),
                    },
                    "withheld_tax": null,
                })
            }).collect::<Vec<_>>(),
        }]);
        v["currency"] = json!("EUR");
        v["currency_exchange_rate"] = json!({ "from": "EUR", "to": "EUR", "rate": 1.0 });
        v["document_template"] = json!({ "type": "documentTemplate", "id": "5c7dc9b5-0d5c-4e1f-8d0b-2f5f1d3a0c11" });
        if d.kind == DocKind::Invoice {
            v["payment_term"] = json!({ "type": "after_invoice_date", "days": 30 });
            v["payments"] = json!(
                d.payments
                    .iter()
                    .map(|(at, amount)| json!({
                        "paid_at": at.to_rfc3339(), "payment": money(*amount)
                    }))
                    .collect::<Vec<_>>()
            );
            v["note"] = Value::Null;
            v["custom_fields"] = json!([]);
        }
    }
    v
}
