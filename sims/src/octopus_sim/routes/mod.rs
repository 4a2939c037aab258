//! The simulated Octopus REST API: every route the sync uses, with the documented status codes and bodies
//! (docs/partners/octopus.md), and stricter than the real service where accounting demands it.
//!
//! One file per resource of the official document (`authentication` and `dossiers` in [`auth`], then the
//! dossier's `bookyears`, `accounts`, `vatcodes`, `relations`, `buysellbookings`, `financialdiversbookings`,
//! `balancings`, `reports`); each declares its routes on an axum [`Router`] with the [`Operation`] it is. This file
//! is what every call passes through first, in [`serve`]: the daily budget, injected faults, the dossier token, and
//! the record of what was received.
//!
//! Assumptions where Octopus documents nothing, each chosen to be at least as unpleasant as the real service:
//! - **Past a daily limit** the call is refused with `429` and an `ErrorResult` whose `technicalInfo` names the limit.
//!   Every call that reaches an operation counts, whatever its outcome. A day is a Belgian calendar day. The limits
//!   are those the official OpenAPI document prints ([`super::spec`]), never the client's table.
//! - **`modifiedTimeStamp`** is read as Belgian local time, so a client that sends local time when it means UTC
//!   misses changes.
//! - **Business refusals** other than -13 have no documented codes; they answer 400 with invented negative codes
//!   (see [`Refusal`]), a Dutch `errorMessage` and an English `technicalInfo`.
//! - **A booking's document date must lie in the period it names** (the live demo data suggests Octopus does not
//!   check; accounting does), amounts carry at most two decimals, and a sales booking must balance exactly.
//! - **A path or method the document does not have** answers `404` with `technicalInfo`, as unknown resources do.

mod accounts;
mod auth;
mod balancings;
mod bookings;
mod bookyears;
mod buysellbookings;
mod financialdiversbookings;
mod relations;
mod reports;
mod values;
mod vatcodes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Brussels;
use focus_octopus::octopus::Operation;
use serde_json::{Value, json};

use super::spec::{DailyLimit, spec};
use super::state::{Fault, Received, SimDossier, SimState};
use crate::http_server::ConnectionCut;

pub use auth::TOKEN_LIFETIME;
pub(super) use relations::empty_texts_as_octopus_sends;
pub use values::number;

/// Invented error codes for refusals Octopus documents without a code.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    Unbalanced = -20,
    BookyearClosed = -30,
    PeriodClosed = -31,
    UnknownRelation = -40,
    UnknownAccount = -41,
    UnknownVatCode = -42,
    UnknownBookyearOrPeriod = -43,
    WrongJournal = -44,
    DateOutsidePeriod = -45,
    BalancingInvalid = -50,
}

pub type Shared = Arc<Mutex<SimState>>;

pub(super) const GET: MethodFilter = MethodFilter::GET;
pub(super) const POST: MethodFilter = MethodFilter::POST;
pub(super) const PUT: MethodFilter = MethodFilter::PUT;

/// One operation of a resource: its path, method, which operation it is, and what answers it.
pub(super) struct Route {
    path: String,
    method: MethodFilter,
    op: Op,
    answer: Answer,
}

/// An operation answered before any dossier, at `/<path>`.
pub(super) fn at_root(
    path: &str,
    method: MethodFilter,
    op: Operation,
    answer: fn(&mut SimState, &Call) -> Reply,
) -> Route {
    Route {
        path: format!("/{path}"),
        method,
        op: Op::Is(op),
        answer: Answer::Login(answer),
    }
}

/// An operation inside the dossier the path names, at `/dossiers/{dossier}/<path>`.
pub(super) fn in_dossier(
    path: &str,
    method: MethodFilter,
    op: impl Into<Op>,
    answer: fn(&mut SimDossier, &Call) -> Reply,
) -> Route {
    Route {
        path: format!("/dossiers/{{dossier}}/{path}"),
        method,
        op: op.into(),
        answer: Answer::Dossier(answer),
    }
}

/// The whole API: every resource's routes; anything else is a 404.
pub fn router(state: Shared) -> Router {
    let resources = [
        auth::routes(),
        bookyears::routes(),
        accounts::routes(),
        vatcodes::routes(),
        relations::routes(),
        buysellbookings::routes(),
        bookings::routes(),
        financialdiversbookings::routes(),
        balancings::routes(),
        reports::routes(),
    ];
    let mut router = Router::new();
    for r in resources.into_iter().flatten() {
        router = router.route(&r.path, on_call(r.method, r.op, r.answer));
    }
    router
        .fallback(unknown_resource)
        .method_not_allowed_fallback(unknown_resource)
        .with_state(state)
}

async fn unknown_resource() -> Response {
    respond(technical(404, "Resource not found"))
}

/// One request as an operation sees it.
pub(super) struct Call<'a> {
    pub op: Operation,
    pub headers: &'a HeaderMap,
    pub query: &'a HashMap<String, String>,
    pub body: &'a Value,
    /// The bookyear the path names (`/dossiers/{d}/bookyears/{b}/…`).
    pub bookyear: Option<i32>,
    pub now: DateTime<Utc>,
}

/// What answers an operation once the call has passed the budget and the faults.
#[derive(Clone, Copy)]
pub(super) enum Answer {
    /// Before any dossier: with the software house's login or the login token.
    Login(fn(&mut SimState, &Call) -> Reply),
    /// Inside the dossier the path names, once the dossier token is checked.
    Dossier(fn(&mut SimDossier, &Call) -> Reply),
}

/// Which operation a route is; `GET relations` is two, told apart by its query.
#[derive(Clone, Copy)]
pub(super) enum Op {
    Is(Operation),
    ByQuery(fn(&HashMap<String, String>) -> Operation),
}

impl From<Operation> for Op {
    fn from(op: Operation) -> Self {
        Op::Is(op)
    }
}

/// A route's handler for one method: the operation, and what answers it.
fn on_call(method: MethodFilter, op: Op, answer: Answer) -> MethodRouter<Shared> {
    on(
        method,
        move |State(sim): State<Shared>, axum::Extension(cut): axum::Extension<ConnectionCut>, request: Request| {
            serve(sim, cut, op, answer, request)
        },
    )
}

/// The search parameters of `GET relations`, which make it the scarcer operation.
pub(super) const RELATION_SEARCH: [&str; 4] = ["relationId", "extRelationId", "name", "vatNr"];

async fn serve(sim: Shared, cut: ConnectionCut, op: Op, answer: Answer, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let query: HashMap<String, String> = Query::try_from_uri(&parts.uri).map(|q| q.0).unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let id = |at: usize| segments.get(at).map(|v| v.parse::<i32>());
    let (dossier, bookyear) = match (segments.first(), id(1), segments.get(2), id(3)) {
        (Some(&"dossiers"), Some(Err(_)), ..) | (_, _, Some(&"bookyears"), Some(Err(_))) => {
            return respond(technical(404, "Resource not found"));
        }
        (Some(&"dossiers"), Some(Ok(d)), Some(&"bookyears"), Some(Ok(b))) => (Some(d), Some(b)),
        (Some(&"dossiers"), Some(Ok(d)), ..) => (Some(d), None),
        _ => (None, None),
    };
    let op = match op {
        Op::Is(op) => op,
        Op::ByQuery(pick) => pick(&query),
    };
    let budget = budget_of(parts.method.as_str(), &path, &query);
    let body_json: Value = if bytes.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            // Unparseable JSON: Octopus answers 500 ("invalid elements in the passed object").
            Err(_) => Value::String("<unparseable>".into()),
        }
    };
    let latency = sim.lock().unwrap().latency.get(&op).copied();
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    let (reply, drop_answer) = {
        let mut s = sim.lock().unwrap();
        let call = Call {
            op,
            headers: &parts.headers,
            query: &query,
            body: &body_json,
            bookyear,
            now: s.now(),
        };
        let (reply, drop_answer) = process(&mut s, budget, &call, (answer, dossier));
        s.received.push(Received {
            operation: op,
            method: parts.method.to_string(),
            path: path.clone(),
            query: parts.uri.query().unwrap_or_default().to_owned(),
            body: body_json.clone(),
            status: reply.status.as_u16(),
        });
        (reply, drop_answer)
    };
    if drop_answer {
        cut.cut();
        std::future::pending::<()>().await;
    }
    respond(reply)
}

/// Counts the call, applies faults, checks the token, runs the operation. Returns the answer and whether to cut
/// the connection instead of sending it.
fn process(
    s: &mut SimState,
    (budget, documented): (String, Option<u32>),
    call: &Call,
    (answer, dossier): (Answer, Option<i32>),
) -> (Reply, bool) {
    let op = call.op;
    let day = sim_day(call.now);
    let granted = s.granted_limits.get(&budget).copied();
    let limit = granted.or(documented);
    let count = s.calls.entry((day, budget.clone())).or_insert(0);
    if let Some(limit) = limit
        && *count >= limit
    {
        s.over_limit.push(op);
        let info = format!("Maximum allowed calls per day ({limit}) exceeded for {budget}");
        return (technical(429, &info), false);
    }
    *count += 1;
    let mut drop_answer = false;
    let fault = s.faults.get_mut(&op).and_then(|f| f.pop_front());
    if let Some(fault) = &fault {
        let kind = match fault {
            Fault::Status(_) => "status",
            Fault::CommitThenDrop => "answer lost",
            Fault::DropBeforeCommit => "cut",
        };
        *s.faults_fired.entry(kind).or_default() += 1;
    }
    match fault {
        Some(Fault::Status(status)) => return (injected(op, status), false),
        Some(Fault::CommitThenDrop) => drop_answer = true,
        Some(Fault::DropBeforeCommit) => return (technical(504, "never sent"), true),
        None => {}
    }
    if call.body == &Value::String("<unparseable>".into()) {
        return (invalid_elements(), drop_answer);
    }
    let reply = match (answer, dossier) {
        (Answer::Login(answer), _) => answer(s, call),
        (Answer::Dossier(answer), Some(dossier)) => match auth::check_dossier_token(s, call.headers, dossier) {
            Err(refused) => refused,
            Ok(()) => match s.dossiers.get_mut(&dossier) {
                Some(d) => answer(d, call),
                None => not_found("Dossier not found"),
            },
        },
        (Answer::Dossier(_), None) => unreachable!("dossier routes start with /dossiers/{{id}}"),
    };
    note_refusal(s, &reply, call.headers, call.body);
    if op == Operation::InsertBuySellBooking
        && reply.status.is_success()
        && let Some(signal) = s.after_next_booking.take()
    {
        let _ = signal.send(());
    }
    (reply, drop_answer)
}

pub(super) struct Reply {
    pub status: StatusCode,
    pub body: Option<Value>,
}

pub(super) fn reply(status: u16, body: Option<Value>) -> Reply {
    Reply {
        status: StatusCode::from_u16(status).expect("valid status"),
        body,
    }
}

pub(super) fn ok(body: Value) -> Reply {
    reply(200, Some(body))
}

pub(super) fn list(items: Vec<Value>, none: &str) -> Reply {
    if items.is_empty() {
        not_found(none)
    } else {
        ok(Value::Array(items))
    }
}

pub(super) fn technical(status: u16, info: &str) -> Reply {
    reply(status, Some(json!({ "technicalInfo": info })))
}

pub(super) fn not_found(info: &str) -> Reply {
    technical(404, info)
}

pub(super) fn bad_parameters(what: &str) -> Reply {
    technical(400, &format!("Invalid or missing parameters passed: {what}"))
}

pub(super) fn refuse(code: Refusal, message: &str, info: String) -> Reply {
    reply(
        400,
        Some(json!({ "errorCode": code as i32, "errorMessage": message, "technicalInfo": info })),
    )
}

pub(super) fn journal_locked() -> Reply {
    technical(403, "Journal either closed or open by other user")
}

/// Octopus's 500 carries no body schema.
pub(super) fn invalid_elements() -> Reply {
    reply(500, None)
}

fn respond(answer: Reply) -> Response {
    match answer.body {
        Some(body) => (answer.status, axum::Json(body)).into_response(),
        None => (answer.status, Body::empty()).into_response(),
    }
}

/// The daily budget a request spends, named and limited as the official document says: `(budget name, limit)`.
/// `getRelations` has two: with search parameters and without.
pub(super) fn budget_of(method: &str, path: &str, query: &HashMap<String, String>) -> (String, Option<u32>) {
    let operation = spec()
        .find(method, path)
        .unwrap_or_else(|| panic!("the simulator serves {method} {path}, which the official document does not have"));
    match operation.limit {
        DailyLimit::None => (operation.operation_id.clone(), None),
        DailyLimit::PerDay(n) => (operation.operation_id.clone(), Some(n)),
        DailyLimit::BySearch { without, with } => {
            if RELATION_SEARCH.iter().any(|k| query.contains_key(*k)) {
                (format!("{}-search", operation.operation_id), Some(with))
            } else {
                (format!("{}-all", operation.operation_id), Some(without))
            }
        }
    }
}

/// The day a daily limit counts in. Octopus does not say; the simulator, like the client, assumes a calendar day in
/// Belgium (docs/partners/octopus.md §9), computed here on its own.
pub fn sim_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Brussels).date_naive()
}

/// Keeps count of refusals the tests judge faults by: a revoked token presented, a booking refused by a lock.
fn note_refusal(s: &mut SimState, answer: &Reply, headers: &HeaderMap, body: &Value) {
    match answer.status.as_u16() {
        401 => {
            let presented = ["dossierToken", "Token"]
                .iter()
                .filter_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
                .any(|t| s.revoked.contains(t));
            if presented {
                s.revoked_token_refusals += 1;
            }
        }
        403 => {
            let booking = body
                .get("buySellBookingServiceData")
                .or_else(|| body.get("financialDiversBookingServiceData"));
            if let Some(journal) = booking.and_then(|b| b["journalKey"].as_str()) {
                *s.lock_refusals.entry(journal.to_owned()).or_default() += 1;
            }
        }
        _ => {}
    }
}

fn injected(op: Operation, status: u16) -> Reply {
    match status {
        403 => journal_locked(),
        401 => technical(401, "Invalid or expired token presented, unauthorized"),
        404 => not_found("No data found"),
        s if s >= 500 => reply(s, None),
        s => technical(s, &format!("Injected failure of {}", op.operation_id())),
    }
}
