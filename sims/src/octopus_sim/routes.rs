//! The simulated Octopus REST API: every route the sync uses, with the documented status codes and bodies
//! (docs/partners/octopus.md), and stricter than the real service where accounting demands it.
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

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Brussels;
use focus_octopus::octopus::Operation;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::spec::{DailyLimit, spec};
use super::state::{Fault, Received, SimBalancing, SimBooking, SimDossier, SimRelation, SimState};
use crate::http_server::ConnectionCut;

/// Tokens live 10 minutes (docs/partners/octopus.md §1).
pub const TOKEN_LIFETIME: Duration = Duration::minutes(10);

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

struct Reply {
    status: StatusCode,
    body: Option<Value>,
}

fn reply(status: u16, body: Option<Value>) -> Reply {
    Reply {
        status: StatusCode::from_u16(status).expect("valid status"),
        body,
    }
}

fn ok(body: Value) -> Reply {
    reply(200, Some(body))
}

fn list(items: Vec<Value>, none: &str) -> Reply {
    if items.is_empty() {
        not_found(none)
    } else {
        ok(Value::Array(items))
    }
}

fn technical(status: u16, info: &str) -> Reply {
    reply(status, Some(json!({ "technicalInfo": info })))
}

fn not_found(info: &str) -> Reply {
    technical(404, info)
}

fn bad_parameters(what: &str) -> Reply {
    technical(400, &format!("Invalid or missing parameters passed: {what}"))
}

fn refuse(code: Refusal, message: &str, info: String) -> Reply {
    reply(
        400,
        Some(json!({ "errorCode": code as i32, "errorMessage": message, "technicalInfo": info })),
    )
}

fn journal_locked() -> Reply {
    technical(403, "Journal either closed or open by other user")
}

/// Octopus's 500 carries no body schema.
fn invalid_elements() -> Reply {
    reply(500, None)
}

/// Which operation a request is, from its method, path and (for `GET relations`) its query.
/// Also returns the dossier and bookyear ids the path names.
fn operation_of(
    method: &Method,
    segments: &[&str],
    query: &HashMap<String, String>,
) -> Option<(Operation, Option<i32>, Option<i32>)> {
    use Operation::*;
    let get = method == Method::GET;
    let post = method == Method::POST;
    let op = match segments {
        ["authentication"] if post => AuthenticateUser,
        ["dossiers"] if get => GetDossiers,
        ["dossiers"] if post => ConnectDossier,
        ["dossiers", _, rest @ ..] => match rest {
            ["bookyears"] if get => GetBookyears,
            ["bookyears", _, "journals"] if get => GetJournals,
            ["accounts"] if get => GetAccounts,
            ["accounts", "modified"] if get => GetModifiedAccounts,
            ["vatcodes"] if get => GetVatCodes,
            ["relations"] if get => {
                let search = ["relationId", "extRelationId", "name", "vatNr"];
                if search.iter().any(|k| query.contains_key(*k)) {
                    SearchRelations
                } else {
                    GetAllRelations
                }
            }
            ["relations"] if method == Method::PUT => InsertUpdateRelation,
            ["relations", "modified"] if get => GetModifiedRelations,
            ["buysellbookings"] if post => InsertBuySellBooking,
            ["buysellbookings"] if get => GetBuySellBooking,
            ["buysellbookings"] if method == Method::PUT => UpdateBuySellBooking,
            ["buysellbookings", "modified"] if get => GetModifiedBuySellBookings,
            ["balancings", "modified"] if get => GetModifiedBalancings,
            ["balancings"] if post => InsertBalancing,
            ["financialdiversbookings"] if post => InsertFinancialDiversBooking,
            ["financialdiversbookings", "modified"] if get => GetModifiedFinancialDiversBookings,
            ["reports", "clients", "open"] if post => GetReportOpenClient,
            _ => return None,
        },
        _ => return None,
    };
    let dossier = match segments {
        ["dossiers", id, _, ..] => Some(id.parse().ok()?),
        _ => None,
    };
    let bookyear = match segments {
        ["dossiers", _, "bookyears", id, ..] => Some(id.parse().ok()?),
        _ => None,
    };
    Some((op, dossier, bookyear))
}

pub async fn handle(
    State(sim): State<Shared>,
    axum::Extension(cut): axum::Extension<ConnectionCut>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let query: HashMap<String, String> = Query::try_from_uri(&parts.uri).map(|q| q.0).unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let Some((op, dossier, bookyear)) = operation_of(&parts.method, &segments, &query) else {
        return respond(technical(404, "Resource not found"));
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
    let (answer, drop_answer) = {
        let mut s = sim.lock().unwrap();
        let (answer, drop_answer) = process(
            &mut s,
            (op, budget),
            (dossier, bookyear),
            &parts.headers,
            &query,
            &body_json,
        );
        s.received.push(Received {
            operation: op,
            method: parts.method.to_string(),
            path: path.clone(),
            query: parts.uri.query().unwrap_or_default().to_owned(),
            body: body_json.clone(),
            status: answer.status.as_u16(),
        });
        (answer, drop_answer)
    };
    if drop_answer {
        cut.cut();
        std::future::pending::<()>().await;
    }
    respond(answer)
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
            let search = ["relationId", "extRelationId", "name", "vatNr"];
            if search.iter().any(|k| query.contains_key(*k)) {
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

/// Counts the call, applies faults, checks the token, runs the operation. Returns the answer and whether to cut
/// the connection instead of sending it.
fn process(
    s: &mut SimState,
    (op, (budget, documented)): (Operation, (String, Option<u32>)),
    (dossier, bookyear): (Option<i32>, Option<i32>),
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    body: &Value,
) -> (Reply, bool) {
    let day = sim_day(s.now());
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
    if body == &Value::String("<unparseable>".into()) {
        return (invalid_elements(), drop_answer);
    }
    let answer = answer_of(s, op, (dossier, bookyear), headers, query, body);
    note_refusal(s, &answer, headers, body);
    if op == Operation::InsertBuySellBooking
        && answer.status.is_success()
        && let Some(signal) = s.after_next_booking.take()
    {
        let _ = signal.send(());
    }
    (answer, drop_answer)
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

fn answer_of(
    s: &mut SimState,
    op: Operation,
    (dossier, bookyear): (Option<i32>, Option<i32>),
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    body: &Value,
) -> Reply {
    match op {
        Operation::AuthenticateUser => authenticate(s, headers, body),
        Operation::GetDossiers => match login_user(s, headers) {
            Ok(user) => get_dossiers(s, &user),
            Err(r) => r,
        },
        Operation::ConnectDossier => match login_user(s, headers) {
            Ok(user) => connect(s, &user, query),
            Err(r) => r,
        },
        _ => {
            let dossier = dossier.expect("dossier routes carry an id");
            if let Err(r) = check_dossier_token(s, headers, dossier) {
                return r;
            }
            let now = s.now();
            let Some(d) = s.dossiers.get_mut(&dossier) else {
                return not_found("Dossier not found");
            };
            dossier_operation(d, op, bookyear, query, body, now)
        }
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

fn authenticate(s: &mut SimState, headers: &HeaderMap, body: &Value) -> Reply {
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

fn get_dossiers(s: &SimState, user: &str) -> Reply {
    let allowed = &s.users[user].1;
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

fn connect(s: &mut SimState, user: &str, query: &HashMap<String, String>) -> Reply {
    let Some(dossier) = query.get("dossierId").and_then(|v| v.parse::<i32>().ok()) else {
        return bad_parameters("dossierId");
    };
    if !s.dossiers.contains_key(&dossier) {
        return not_found("Dossier not found");
    }
    if !s.users[user].1.contains(&dossier) {
        return technical(403, "Unauthorized or disabled dossier");
    }
    let token = s.new_token("dossier");
    let now = s.now();
    s.dossier_tokens.insert(token.clone(), (dossier, now));
    s.issued.push(token.clone());
    ok(json!({ "Dossiertoken": token }))
}

fn check_dossier_token(s: &SimState, headers: &HeaderMap, dossier: i32) -> Result<(), Reply> {
    let token = headers
        .get("dossierToken")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match s.dossier_tokens.get(token) {
        Some((d, issued)) if *d == dossier && *issued + TOKEN_LIFETIME > s.now() => Ok(()),
        _ => Err(technical(401, "Invalid or expired token presented, unauthorized")),
    }
}

fn dossier_operation(
    d: &mut SimDossier,
    op: Operation,
    path_bookyear: Option<i32>,
    query: &HashMap<String, String>,
    body: &Value,
    now: DateTime<Utc>,
) -> Reply {
    use Operation::*;
    match op {
        GetBookyears => list(d.bookyears.iter().map(bookyear_json).collect(), "No bookyears found"),
        GetJournals => {
            let Some(by) = path_bookyear else {
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
        GetAccounts => {
            let Some(by) = query.get("bookyearId").and_then(|v| v.parse::<i32>().ok()) else {
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
        GetModifiedAccounts => {
            let since = match modified_since(query, true) {
                Ok(since) => since.unwrap_or(DateTime::<Utc>::MIN_UTC),
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
        GetVatCodes => list(
            d.vat_codes
                .iter()
                .map(|v| {
                    json!({ "code": v.code, "description": v.description, "type": v.kind,
                            "basePercentage": number(v.percentage) })
                })
                .collect(),
            "No vat codes found",
        ),
        SearchRelations => search_relations(d, query),
        GetAllRelations => list(
            d.relations
                .iter()
                .filter(|r| r.data["active"].as_bool() != Some(false))
                .map(|r| r.data.clone())
                .collect(),
            "No relations found",
        ),
        InsertUpdateRelation => upsert_relation(d, body, now),
        GetModifiedRelations => {
            let since = match modified_since(query, false) {
                Ok(since) => since.unwrap_or(DateTime::<Utc>::MIN_UTC),
                Err(r) => return r,
            };
            let modified: Vec<Value> = d
                .relations
                .iter()
                .filter(|r| r.modified_at >= since)
                .map(|r| r.data.clone())
                .collect();
            if modified.is_empty() {
                return not_found("No modified relations found");
            }
            ok(json!({ "modified": modified, "deleted": [] }))
        }
        InsertBuySellBooking => insert_sales_booking(d, body, now),
        GetBuySellBooking => {
            let (Some(by), Some(journal), Some(nr)) = (
                query.get("bookyearId").and_then(|v| v.parse::<i32>().ok()),
                query.get("journalKey"),
                query.get("documentSeqNr").and_then(|v| v.parse::<i32>().ok()),
            ) else {
                return technical(400, "Invalid or missing parameters passed");
            };
            match d
                .bookings
                .iter()
                .find(|b| b.bookyear == by && &b.journal == journal && b.document_nr == nr)
            {
                Some(b) => ok(b.data.clone()),
                None => not_found("Booking not found"),
            }
        }
        UpdateBuySellBooking => technical(400, "Updating bookings is not simulated"),
        GetModifiedBuySellBookings => modified_bookings(d, query, |journal| journal.starts_with(['V', 'A'])),
        GetModifiedBalancings => {
            let since = match modified_since(query, true) {
                Ok(since) => since.unwrap_or(DateTime::<Utc>::MIN_UTC),
                Err(r) => return r,
            };
            let pick = |deleted: bool| -> Vec<Value> {
                d.balancings
                    .iter()
                    .filter(|b| b.deleted == deleted && b.modified_at >= since)
                    .map(|b| balancing_json(d, b))
                    .collect()
            };
            let (modified, deleted) = (pick(false), pick(true));
            if modified.is_empty() && deleted.is_empty() {
                return not_found("No modified balancings found");
            }
            ok(json!({ "modifiedBalancings": modified, "deletedBalancings": deleted }))
        }
        InsertBalancing => insert_balancing(d, body, now),
        InsertFinancialDiversBooking => insert_financial_booking(d, body, now),
        GetModifiedFinancialDiversBookings => modified_bookings(d, query, |journal| journal.starts_with(['F', 'D'])),
        GetReportOpenClient => open_items(d, body),
        AuthenticateUser | GetDossiers | ConnectDossier => unreachable!("handled before the dossier"),
    }
}

/// A bookings `modified` feed: `bookyearId` (-1 = all) required, `journalKey` optional, journals of one kind.
fn modified_bookings(d: &SimDossier, query: &HashMap<String, String>, kind: impl Fn(&str) -> bool) -> Reply {
    let Some(by) = query.get("bookyearId").and_then(|v| v.parse::<i32>().ok()) else {
        return technical(400, "Invalid or missing parameters passed");
    };
    let since = match modified_since(query, true) {
        Ok(since) => since.unwrap_or(DateTime::<Utc>::MIN_UTC),
        Err(r) => return r,
    };
    let journal = query.get("journalKey");
    list(
        d.bookings
            .iter()
            .filter(|b| kind(&b.journal))
            .filter(|b| (by == -1 || b.bookyear == by) && journal.is_none_or(|j| &b.journal == j))
            .filter(|b| b.modified_at >= since)
            .map(|b| as_octopus_sends(b.data.clone()))
            .collect(),
        "No bookings found",
    )
}

/// A stored booking as Octopus's answers carry it (recorded live): lines without an account have `accountKey: 0`,
/// without a relation `relationId: 0` and `externalRelationId: 0`, and text fields that are empty are `""`, never
/// `null` or absent.
fn as_octopus_sends(mut data: Value) -> Value {
    for field in ["comment", "reference", "orderReference"] {
        if data.get(field).is_none_or(Value::is_null) && data.get("bookingLines").is_some() {
            data[field] = json!("");
        }
    }
    if let Some(lines) = data.get_mut("bookingLines").and_then(Value::as_array_mut) {
        for line in lines {
            for field in ["accountKey", "relationId", "externalRelationId"] {
                if line.get(field).is_none_or(Value::is_null) {
                    line[field] = json!(0);
                }
            }
            for field in ["comment", "reference"] {
                if line.get(field).is_none_or(Value::is_null) {
                    line[field] = json!("");
                }
            }
        }
    }
    data
}

/// The text fields of `RelationServiceData` that Octopus answers with `""` when they are empty.
pub(super) const RELATION_TEXT_FIELDS: [&str; 11] = [
    "name",
    "firstName",
    "streetAndNr",
    "postalCode",
    "city",
    "country",
    "telephone",
    "email",
    "vatNr",
    "externCustomerNr",
    "remarks",
];

/// Empty text fields of a stored relation become `""`, as Octopus answers them.
pub(super) fn empty_texts_as_octopus_sends(data: &mut Value) {
    for field in RELATION_TEXT_FIELDS {
        if data.get(field).is_none_or(Value::is_null) {
            data[field] = json!("");
        }
    }
}

/// `modifiedTimeStamp` in `yyyy-MM-dd HH:mm:ss.SSS`, read as Belgian local time. Malformed → 500.
fn modified_since(query: &HashMap<String, String>, required: bool) -> Result<Option<DateTime<Utc>>, Reply> {
    let Some(text) = query.get("modifiedTimeStamp") else {
        return if required {
            Err(technical(400, "Invalid or missing parameters passed"))
        } else {
            Ok(None)
        };
    };
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.3f").map_err(|_| invalid_elements())?;
    let at = Brussels
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(invalid_elements)?;
    Ok(Some(at.with_timezone(&Utc)))
}

pub fn number(d: Decimal) -> Value {
    serde_json::Number::from_str(&d.normalize().to_string())
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// An amount from a JSON number, exactly as written.
fn money(v: &Value) -> Option<Decimal> {
    let n = v.as_number()?;
    let text = n.to_string();
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

fn date(v: &Value) -> Result<NaiveDate, Reply> {
    v.as_str()
        .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .ok_or_else(invalid_elements)
}

fn bookyear_json(b: &super::state::SimBookyear) -> Value {
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

fn journal_json(j: &super::state::SimJournal) -> Value {
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

fn account_json(a: &super::state::SimAccount) -> Value {
    json!({
        "accountKey": { "bookyearKey": { "id": a.bookyear }, "id": a.number },
        "costCentreType": 2,
        "description": { "description_NL": a.description_nl, "description_FR": "", "description_EN": "" },
    })
}

fn search_relations(d: &SimDossier, query: &HashMap<String, String>) -> Reply {
    let int = |k: &str| query.get(k).and_then(|v| v.parse::<i64>().ok());
    let (id, ext) = (int("relationId"), int("extRelationId"));
    let name = query.get("name").map(|n| n.to_lowercase());
    let vat = query.get("vatNr");
    // Octopus ORs the criteria and returns active and inactive relations. Name and VAT number match exactly
    // (case-insensitive for the name): the real matching rule is unknown, exact is the least forgiving.
    let found = d
        .relations
        .iter()
        .filter(|r| {
            id.is_some_and(|id| i64::from(r.id) == id)
                || ext.is_some_and(|e| r.external_id() == Some(e))
                || name
                    .as_ref()
                    .is_some_and(|n| r.data["name"].as_str().map(str::to_lowercase).as_ref() == Some(n))
                || vat.is_some_and(|v| r.data["vatNr"].as_str() == Some(v.as_str()))
        })
        .map(|r| r.data.clone())
        .collect();
    list(found, "No relations found")
}

fn upsert_relation(d: &mut SimDossier, body: &Value, now: DateTime<Utc>) -> Reply {
    if !body.is_object() {
        return bad_parameters("body");
    }
    let ident = &body["relationIdentificationServiceData"];
    if !ident.is_object() || body["currencyCode"].as_str().is_none() {
        return bad_parameters("currencyCode and relationIdentificationServiceData are required");
    }
    if let Some(ext) = ident.get("externalRelationId").filter(|v| !v.is_null())
        && ext.as_i64().and_then(|e| i32::try_from(e).ok()).is_none()
    {
        return bad_parameters("externalRelationId must be an int32");
    }
    if let Some(Err(r)) = body.get("vatNr").and_then(Value::as_str).map(check_belgian_vat_format) {
        return r;
    }
    let relation_id = ident["relationKey"]["id"].as_i64();
    let external_id = ident["externalRelationId"].as_i64();
    if let Some(i) = d.relation_index(relation_id, external_id) {
        // Merge: the fields sent replace the stored ones; the key stays.
        let existing = &mut d.relations[i];
        let key = existing.data["relationIdentificationServiceData"]["relationKey"].clone();
        for (k, v) in body.as_object().expect("checked above") {
            existing.data[k] = v.clone();
        }
        existing.data["relationIdentificationServiceData"]["relationKey"] = key;
        if existing.external_id().is_none() {
            existing.data["relationIdentificationServiceData"]["externalRelationId"] = json!(external_id.unwrap_or(0));
        }
        empty_texts_as_octopus_sends(&mut existing.data);
        existing.modified_at = now;
        return reply(204, None);
    }
    let id = d.next_relation_id;
    d.next_relation_id += 1;
    let mut data = json!({
        "expirationType": 2, "expirationDays": 30, "vatType": 0, "factLanguage": 0,
        "active": true, "client": true, "supplier": false,
    });
    for (k, v) in body.as_object().expect("checked above") {
        data[k] = v.clone();
    }
    data["relationIdentificationServiceData"] = json!({
        "relationKey": { "id": id },
        "externalRelationId": external_id.unwrap_or(0),
    });
    empty_texts_as_octopus_sends(&mut data);
    d.relations.push(SimRelation {
        id,
        data: data.clone(),
        modified_at: now,
    });
    reply(201, Some(data))
}

/// "In case BE, format should be BE0xxx.xxx.xxx" (spec, `RelationServiceData.vatNr`).
fn check_belgian_vat_format(vat: &str) -> Result<(), Reply> {
    if !vat.starts_with("BE") {
        return Ok(());
    }
    let b = vat.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let shaped = b.len() == 14
        && (2..6).all(digit)
        && b[6] == b'.'
        && (7..10).all(digit)
        && b[10] == b'.'
        && (11..14).all(digit)
        && matches!(b[2], b'0' | b'1');
    if shaped {
        Ok(())
    } else {
        Err(bad_parameters("vatNr: in case BE, format should be BE0xxx.xxx.xxx"))
    }
}

fn insert_sales_booking(d: &mut SimDossier, body: &Value, now: DateTime<Utc>) -> Reply {
    let data = &body["buySellBookingServiceData"];
    if !data.is_object() {
        return bad_parameters("buySellBookingServiceData");
    }
    for field in [
        "amount",
        "bookyearKey",
        "bookyearPeriodeNr",
        "currencyCode",
        "documentDate",
        "documentSequenceNr",
        "exchangeRate",
        "expiryDate",
        "journalKey",
        "relationIdentificationServiceData",
    ] {
        if data.get(field).is_none_or(Value::is_null) {
            return bad_parameters(field);
        }
    }
    let (document_date, _expiry) = match (date(&data["documentDate"]), date(&data["expiryDate"])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let (Some(amount), Some(_rate)) = (money(&data["amount"]), money(&data["exchangeRate"])) else {
        return invalid_elements();
    };
    let target = match booking_target(d, data, document_date, |j| {
        j.key.starts_with('V') && j.insertion_type == Some(1)
    }) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let ident = &data["relationIdentificationServiceData"];
    let Some(relation) = d.relation_index(
        ident["relationKey"]["id"].as_i64(),
        ident["externalRelationId"].as_i64(),
    ) else {
        return refuse(
            Refusal::UnknownRelation,
            "De relatie bestaat niet.",
            format!("Relation {ident} not found in dossier {}", d.id),
        );
    };
    let Some(lines) = data["bookingLines"].as_array().filter(|l| !l.is_empty()) else {
        return refuse(
            Refusal::Unbalanced,
            "De boeking heeft geen lijnen.",
            "No booking lines".into(),
        );
    };
    let mut sum = Decimal::ZERO;
    let credit_note = amount < Decimal::ZERO;
    for (i, line) in lines.iter().enumerate() {
        let (Some(base), Some(vat)) = (money(&line["baseAmount"]), money(&line["vatAmount"])) else {
            return bad_parameters(&format!("bookingLines[{i}] amounts"));
        };
        if base.scale() > 2 || vat.scale() > 2 {
            return refuse(
                Refusal::Unbalanced,
                "Bedragen hebben maximaal twee decimalen.",
                format!("Line {i}: amounts {base} / {vat} have more than two decimals"),
            );
        }
        if credit_note && (base < Decimal::ZERO || vat < Decimal::ZERO) {
            return refuse(
                Refusal::Unbalanced,
                "De lijnen van een creditnota moeten positief zijn.",
                format!("Credit note line {i} has a negative amount"),
            );
        }
        let account = line["accountKey"].as_i64();
        if !d
            .accounts
            .iter()
            .any(|a| a.bookyear == target.bookyear && Some(i64::from(a.number)) == account)
        {
            return refuse(
                Refusal::UnknownAccount,
                "De rekening bestaat niet.",
                format!(
                    "Account {} not found in bookyear {}",
                    line["accountKey"], target.bookyear
                ),
            );
        }
        let code = line["vatCodeKey"].as_str();
        if !d
            .vat_codes
            .iter()
            .any(|v| Some(v.code.as_str()) == code && matches!(v.kind, 2 | 4))
        {
            return refuse(
                Refusal::UnknownVatCode,
                "De btw-code bestaat niet.",
                format!("Sales VAT code {} not found", line["vatCodeKey"]),
            );
        }
        sum += base + vat;
    }
    if amount.scale() > 2 || (credit_note && -amount != sum) || (!credit_note && amount != sum) {
        return refuse(
            Refusal::Unbalanced,
            "Het totaalbedrag komt niet overeen met de som van de lijnen.",
            format!("Booking amount {amount} differs from the sum of the lines {sum}"),
        );
    }
    let relation_id = d.relations[relation].id;
    commit_booking(d, target, amount, Some(relation_id), data, now);
    reply(201, None)
}

struct Target {
    bookyear: i32,
    journal: String,
    document_nr: i32,
}

/// The checks every booking passes before its content: bookyear and period open and holding the date, journal of
/// the right kind and not locked, and the document number exactly the last + 1.
fn booking_target(
    d: &mut SimDossier,
    data: &Value,
    document_date: NaiveDate,
    right_kind: impl Fn(&super::state::SimJournal) -> bool,
) -> Result<Target, Reply> {
    let (Some(bookyear), Some(period), Some(journal), Some(nr)) = (
        data["bookyearKey"]["id"].as_i64().and_then(|v| i32::try_from(v).ok()),
        data["bookyearPeriodeNr"].as_i64().and_then(|v| i32::try_from(v).ok()),
        data["journalKey"].as_str(),
        data["documentSequenceNr"].as_i64().and_then(|v| i32::try_from(v).ok()),
    ) else {
        return Err(bad_parameters(
            "bookyearKey, bookyearPeriodeNr, journalKey, documentSequenceNr",
        ));
    };
    let dossier = d.id;
    let Some(by) = d.bookyears.iter().find(|b| b.id == bookyear) else {
        return Err(refuse(
            Refusal::UnknownBookyearOrPeriod,
            "Het boekjaar bestaat niet.",
            format!("Bookyear {bookyear} not found in dossier {dossier}"),
        ));
    };
    if by.closed {
        return Err(refuse(
            Refusal::BookyearClosed,
            "Het boekjaar is afgesloten.",
            format!("Bookyear {bookyear} is closed"),
        ));
    }
    let Some((_, start, end)) = by.periods.iter().find(|(key, _, _)| *key == period) else {
        return Err(refuse(
            Refusal::UnknownBookyearOrPeriod,
            "De periode bestaat niet.",
            format!("Period {period} not found in bookyear {bookyear}"),
        ));
    };
    if document_date < *start || document_date > *end {
        return Err(refuse(
            Refusal::DateOutsidePeriod,
            "De documentdatum valt buiten de periode.",
            format!("Document date {document_date} is outside period {period}"),
        ));
    }
    let Some(j) = d.journal_mut(bookyear, journal) else {
        return Err(refuse(
            Refusal::WrongJournal,
            "Het dagboek bestaat niet.",
            format!("Journal {journal} not found in bookyear {bookyear}"),
        ));
    };
    if !right_kind(j) {
        return Err(refuse(
            Refusal::WrongJournal,
            "Dit dagboek aanvaardt deze boeking niet.",
            format!("Journal {journal} does not take this kind of booking"),
        ));
    }
    if j.closed || j.locked {
        return Err(journal_locked());
    }
    if j.closed_period.is_some_and(|closed| period <= closed) {
        return Err(refuse(
            Refusal::PeriodClosed,
            "De periode is afgesloten voor dit dagboek.",
            format!("Period {period} is closed in journal {journal}"),
        ));
    }
    if nr != j.last_booked + 1 {
        // Wording of the live answers (docs/partners/octopus.md §7): a sales booking's reads "Last Document = 6",
        // a financial or diverse booking's "Last Document : 5".
        let info = if journal.starts_with('V') {
            format!(
                "Unable to insert booking in dossier {dossier}.  Illegal document seq Nr.  Last Document = {}.  \
                 New Document = {nr}. ",
                j.last_booked
            )
        } else {
            format!("Illegal document sequence nr.  Last Document : {}", j.last_booked)
        };
        return Err(reply(
            400,
            Some(json!({
                "errorCode": -13,
                "errorMessage": "Het document nummer is ongeldig. Het document nummer dient tevens oplopend te zijn en \
                                 dient opeenvolgend te zijn met het laatste document nummer van het dagboek.",
                "technicalInfo": info,
            })),
        ));
    }
    Ok(Target {
        bookyear,
        journal: journal.to_owned(),
        document_nr: nr,
    })
}

fn commit_booking(
    d: &mut SimDossier,
    t: Target,
    amount: Decimal,
    relation_id: Option<i32>,
    data: &Value,
    now: DateTime<Utc>,
) {
    let j = d
        .journal_mut(t.bookyear, &t.journal)
        .expect("checked by booking_target");
    j.last_booked = t.document_nr;
    d.bookings.push(SimBooking {
        bookyear: t.bookyear,
        journal: t.journal,
        document_nr: t.document_nr,
        amount,
        relation_id,
        reference: data["reference"].as_str().map(str::to_owned),
        data: data.clone(),
        modified_at: now,
    });
}

fn insert_financial_booking(d: &mut SimDossier, body: &Value, now: DateTime<Utc>) -> Reply {
    let data = &body["financialDiversBookingServiceData"];
    if !data.is_object() {
        return bad_parameters("financialDiversBookingServiceData");
    }
    for field in [
        "bookyearKey",
        "bookyearPeriodeNr",
        "documentDate",
        "documentSequenceNr",
        "exchangeRate",
        "journalKey",
    ] {
        if data.get(field).is_none_or(Value::is_null) {
            return bad_parameters(field);
        }
    }
    let document_date = match date(&data["documentDate"]) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let target = match booking_target(d, data, document_date, |j| {
        j.key.starts_with('F') || j.key.starts_with('D')
    }) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let lines = data["bookingLines"].as_array().cloned().unwrap_or_default();
    let mut relation = None;
    for (i, line) in lines.iter().enumerate() {
        let Some(amount) = money(&line["amount"]) else {
            return bad_parameters(&format!("bookingLines[{i}].amount"));
        };
        if amount.scale() > 2 {
            return refuse(
                Refusal::Unbalanced,
                "Bedragen hebben maximaal twee decimalen.",
                format!("Line {i}: {amount}"),
            );
        }
        match line["type"].as_str() {
            Some("A") => {
                let account = line["accountKey"].as_i64();
                if !d
                    .accounts
                    .iter()
                    .any(|a| a.bookyear == target.bookyear && Some(i64::from(a.number)) == account)
                {
                    return refuse(
                        Refusal::UnknownAccount,
                        "De rekening bestaat niet.",
                        format!("Account {} not found", line["accountKey"]),
                    );
                }
            }
            Some("C" | "S") => {
                let Some(r) = d.relation_index(line["relationId"].as_i64(), line["externalRelationId"].as_i64()) else {
                    return refuse(
                        Refusal::UnknownRelation,
                        "De relatie bestaat niet.",
                        format!("Line {i}: no relation"),
                    );
                };
                relation = Some(d.relations[r].id);
            }
            _ => return bad_parameters(&format!("bookingLines[{i}].type must be A, C or S")),
        }
    }
    let total = lines.iter().filter_map(|l| money(&l["amount"])).sum();
    commit_booking(d, target, total, relation, data, now);
    reply(201, None)
}

/// The amount a booking line can be balanced for: a sales document as a whole (line -1) or one financial line.
fn line_amount(d: &SimDossier, key: &(i32, String, i32, i32)) -> Option<Decimal> {
    let booking = d
        .bookings
        .iter()
        .find(|b| b.bookyear == key.0 && b.journal == key.1 && b.document_nr == key.2)?;
    if key.3 == -1 {
        return Some(booking.amount.abs());
    }
    let line = booking.data["bookingLines"]
        .as_array()?
        .get(usize::try_from(key.3 - 1).ok()?)?;
    money(&line["amount"]).map(|a| a.abs())
}

fn balancing_key(v: &Value) -> Option<(i32, String, i32, i32)> {
    Some((
        i32::try_from(v["bookyearKey"]["id"].as_i64()?).ok()?,
        v["journalKey"].as_str()?.to_owned(),
        i32::try_from(v["documentSequenceNr"].as_i64()?).ok()?,
        i32::try_from(v["lineSequenceNr"].as_i64()?).ok()?,
    ))
}

fn insert_balancing(d: &mut SimDossier, body: &Value, now: DateTime<Utc>) -> Reply {
    let (Some(debet), Some(credit), Some(amount)) = (
        balancing_key(&body["debetKey"]),
        balancing_key(&body["creditKey"]),
        money(&body["balanceAmount"]),
    ) else {
        return bad_parameters("debetKey, creditKey, balanceAmount");
    };
    let (Some(debet_total), Some(credit_total)) = (line_amount(d, &debet), line_amount(d, &credit)) else {
        return refuse(
            Refusal::BalancingInvalid,
            "De te lettren boeking bestaat niet.",
            "Booking line not found".into(),
        );
    };
    if amount <= Decimal::ZERO
        || d.balanced(&debet) + amount > debet_total
        || d.balanced(&credit) + amount > credit_total
    {
        return refuse(
            Refusal::BalancingInvalid,
            "Het bedrag overschrijdt het openstaande saldo.",
            format!("Balance amount {amount} exceeds what is open"),
        );
    }
    d.balancings.push(SimBalancing {
        debet,
        credit,
        amount,
        modified_at: now,
        deleted: false,
    });
    reply(201, None)
}

fn balancing_json(d: &SimDossier, b: &SimBalancing) -> Value {
    let side = |key: &(i32, String, i32, i32)| {
        let booking = d
            .bookings
            .iter()
            .find(|x| x.bookyear == key.0 && x.journal == key.1 && x.document_nr == key.2);
        json!({
            "balancingKey": { "bookyearKey": { "id": key.0 }, "journalKey": key.1,
                              "documentSequenceNr": key.2, "lineSequenceNr": key.3 },
            "documentDate": booking.and_then(|x| x.data["documentDate"].as_str()),
            "currencyCode": "EUR",
            "exchangeRate": 1.0,
            // "" when the booking has none (recorded live), never null.
            "reference": booking.and_then(|x| x.reference.clone()).unwrap_or_default(),
        })
    };
    let relation = d
        .bookings
        .iter()
        .find(|x| x.bookyear == b.debet.0 && x.journal == b.debet.1 && x.document_nr == b.debet.2)
        .and_then(|x| x.relation_id);
    json!({
        "type": { "type": "C", "relationKey": { "id": relation } },
        "debetDocument": side(&b.debet),
        "creditDocument": side(&b.credit),
        // As observed live: the matched amount is in creditBalancedBookingAmount.
        "debetBalancedBookingAmount": 0.0,
        "creditBalancedBookingAmount": number(b.amount),
    })
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
