//! Property-based fuzzing (proptest; `cargo fuzz` needs a nightly compiler this machine does not have) of everything
//! that reads bytes from outside: the webhook receiver's request handling, and the Focus and Octopus answer parsers
//! through the same functions the clients use. Inputs are arbitrary bytes, arbitrary JSON, and the documented
//! fixtures with one value replaced or removed (which reaches far deeper than random JSON). The properties: no panic;
//! every refusal is the stable code of an unexpected answer, naming the call; what parses carries only what the
//! input said (the webhook's ids, the error code, the last document number); and a documented answer without one of
//! its required fields is refused, never filled with a default that looks valid.
//!
//! Cases per target: `FUZZ_CASES` (default 10,000 in `make test`; `make fuzz` runs 100,000).

use std::sync::OnceLock;

use focus_octopus::domain::Failure;

use focus_octopus::focus::{
    self, Company, CreditNote, FocusError, Invoice, InvoiceSummary, OneOrMany, WebhookEvent, client::decode,
};
use focus_octopus::octopus::{
    Bookyear, BuySellBooking, Dossier, ErrorResult, LedgerAccount, OctopusError, Operation, SyncBalancings,
    SyncRelations, VatCode, client::parse, error::last_document_from,
};
use focus_octopus::sync::receiver::{MAX_CACHED_CONNECTIONS, Receiver};
use focus_octopus_tests::push_world::{PushWorld, WEBHOOK_SECRET};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })
}

/// Field names the parsers know, so random objects hit real fields often.
const FIELDS: &[&str] = &[
    "data",
    "id",
    "type",
    "subject",
    "invoice_number",
    "invoice_date",
    "credit_note_number",
    "credit_note_date",
    "status",
    "total",
    "totals",
    "taxes",
    "payable",
    "amount",
    "currency",
    "tax_exclusive",
    "tax_inclusive",
    "grouped_lines",
    "line_items",
    "quantity",
    "unit_price",
    "tax",
    "rate",
    "discounts",
    "value",
    "invoicee",
    "customer",
    "vat_number",
    "department",
    "payments",
    "paid_at",
    "errorCode",
    "errorMessage",
    "technicalInfo",
    "bookyearKey",
    "journalKey",
    "documentSequenceNr",
    "bookingLines",
    "baseAmount",
    "vatAmount",
    "vatCodeKey",
    "accountKey",
    "relationIdentificationServiceData",
    "relationKey",
    "externalRelationId",
    "balancings",
    "relations",
    "dossierKey",
    "dossierName",
    "startDate",
    "endDate",
    "closed",
    "accountNr",
    "code",
    "percentage",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[0-9]{1,30}(\\.[0-9]{1,30})?".prop_map(Value::String),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}\\+0[0-9]:00)?".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![prop::sample::select(FIELDS).prop_map(str::to_owned), any::<String>()],
                    inner
                ),
                0..6
            )
            .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// Every path to a value inside `value`.
fn paths(value: &Value, prefix: Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let mut p = prefix.clone();
                p.push(PathStep::Key(k.clone()));
                paths(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let mut p = prefix.clone();
                p.push(PathStep::Index(i));
                paths(v, p, out);
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

/// `fixture` with the value at one path replaced by arbitrary JSON, or removed.
fn mutated(fixture: Value) -> impl Strategy<Value = Value> {
    let mut all = Vec::new();
    paths(&fixture, Vec::new(), &mut all);
    (prop::sample::select(all), arb_json(), any::<bool>()).prop_map(move |(path, replacement, remove)| {
        let mut value = fixture.clone();
        let (last, parents) = match path.split_last() {
            Some((last, parents)) => (Some(last.clone()), parents.to_vec()),
            None => (None, Vec::new()),
        };
        let mut at = &mut value;
        for step in &parents {
            at = match step {
                PathStep::Key(k) => &mut at[k.as_str()],
                PathStep::Index(i) => &mut at[*i],
            };
        }
        match (last, remove) {
            (None, _) => replacement,
            (Some(PathStep::Key(k)), true) => {
                if let Some(map) = at.as_object_mut() {
                    map.remove(&k);
                }
                value
            }
            (Some(PathStep::Key(k)), false) => {
                at[k.as_str()] = replacement;
                value
            }
            (Some(PathStep::Index(i)), _) => {
                at[i] = replacement;
                value
            }
        }
    })
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/focus/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture")).expect("JSON")
}

/// Bytes of every kind: raw, JSON text of arbitrary values, and mutated documented answers.
fn answers(fixtures: Vec<Value>) -> impl Strategy<Value = Vec<u8>> {
    let mutations: Vec<_> = fixtures.into_iter().map(|f| mutated(f).boxed()).collect();
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512),
        2 => arb_json().prop_map(|v| serde_json::to_vec(&v).expect("serialisable")),
        4 => prop::strategy::Union::new(mutations).prop_map(|v| serde_json::to_vec(&v).expect("serialisable")),
    ]
}

/// Decodes `bytes` as the answer of `action`; a refusal must be the stable `FOCUS_UNEXPECTED_RESPONSE`, naming the
/// action.
fn focus_typed<T: serde::de::DeserializeOwned>(action: &'static str, bytes: &[u8]) -> Result<Option<T>, TestCaseError> {
    match decode::<T>(action, bytes) {
        Ok(value) => Ok(Some(value)),
        Err(e) => {
            prop_assert_eq!(e.code(), "FOCUS_UNEXPECTED_RESPONSE", "{}: {:?}", action, e);
            prop_assert!(e.to_string().contains(action), "the error names the call: {}", e);
            Ok(None)
        }
    }
}

/// A value the input did not contain as a string cannot have come from it.
fn came_from(input: &str, value: &str) -> bool {
    !value.is_empty() && (input.contains(value) || input.contains(&serde_json::to_string(value).unwrap_or_default()))
}

const FUZZ_SECRET: &str = "fuzz-secret-5e3a9c1d";

#[test]
fn focus_answers_parse_or_give_a_typed_error() {
    let fixtures = vec![
        fixture("invoices.info.json"),
        fixture("creditNotes.info.object.json"),
        fixture("creditNotes.info.array.json"),
        fixture("companies.info.json"),
        json!({ "data": [ { "id": "x", "invoice_number": "2026 / 1", "invoice_date": "2026-03-02",
                 "status": "outstanding", "total": { "payable": { "amount": 121.0, "currency": "EUR" } } } ] }),
        json!({ "type": "invoice.booked", "subject": { "type": "invoice", "id": "e540fe7e" } }),
    ];
    focus_octopus::logging::register_secret(FUZZ_SECRET);
    let mut runner = runner();
    let parsed = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&answers(fixtures), |bytes| {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if let Some(invoice) = focus_typed::<Invoice>("invoices.info", &bytes)? {
                prop_assert!(
                    came_from(&text, &invoice.id),
                    "invoice id {:?} is not in the input",
                    invoice.id
                );
                parsed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            if let Some(notes) = focus_typed::<OneOrMany<CreditNote>>("creditNotes.info", &bytes)? {
                let notes = match notes {
                    OneOrMany::One(note) => vec![note],
                    OneOrMany::Many(notes) => notes,
                };
                for note in notes {
                    prop_assert!(
                        came_from(&text, &note.id),
                        "credit note id {:?} is not in the input",
                        note.id
                    );
                }
            }
            if let Some(list) = focus_typed::<Vec<InvoiceSummary>>("invoices.list", &bytes)? {
                for summary in list {
                    prop_assert!(
                        came_from(&text, &summary.id),
                        "listed id {:?} is not in the input",
                        summary.id
                    );
                }
            }
            if let Some(company) = focus_typed::<Company>("companies.info", &bytes)? {
                prop_assert!(
                    came_from(&text, &company.id),
                    "company id {:?} is not in the input",
                    company.id
                );
            }
            if let Ok(event) = WebhookEvent::parse(&bytes) {
                prop_assert!(came_from(&text, event.event.as_str()), "event type {:?}", event.event);
                prop_assert!(came_from(&text, &event.subject.id), "subject id {:?}", event.subject.id);
                prop_assert!(
                    came_from(&text, &event.subject.kind),
                    "subject type {:?}",
                    event.subject.kind
                );
            }
            if let Some(reset) = focus::rate_limit::parse_reset(&text) {
                // An offset moves hours and minutes, never seconds.
                prop_assert!(
                    text.contains(&reset.format(":%S").to_string()),
                    "reset {} from {:?}",
                    reset,
                    text
                );
            }
            let hidden = format!("{text}{FUZZ_SECRET}");
            prop_assert!(
                !focus_octopus::logging::redact(&hidden).contains(FUZZ_SECRET),
                "a registered secret survives redaction after {text:?}"
            );
            Ok(())
        })
        .expect("no input makes a Focus parser panic, answer untyped or invent a value");
    let parsed = parsed.into_inner();
    println!("focus answers: {} inputs, {parsed} parsed as an invoice", cases());
    assert!(parsed > 0, "no input parsed: the target only exercised refusals");
}

/// Removes the value at `path` (keys separated by '.') from a clone of `fixture`.
fn without(fixture: &Value, path: &str) -> Value {
    let mut value = fixture.clone();
    let (parents, last) = path.rsplit_once('.').map_or(("", path), |(p, l)| (p, l));
    let mut at = &mut value;
    for key in parents.split('.').filter(|k| !k.is_empty()) {
        at = &mut at[key];
    }
    at.as_object_mut()
        .and_then(|o| o.remove(last))
        .unwrap_or_else(|| panic!("the fixture has {path}"));
    value
}

#[test]
fn a_documented_answer_without_a_required_field_is_refused_not_defaulted() {
    let invoice = fixture("invoices.info.json");
    assert!(decode::<Invoice>("invoices.info", &serde_json::to_vec(&invoice).unwrap()).is_ok());
    for path in [
        "data.id",
        "data.department",
        "data.status",
        "data.invoicee",
        "data.total",
        "data.total.payable",
    ] {
        let bytes = serde_json::to_vec(&without(&invoice, path)).unwrap();
        let answer = decode::<Invoice>("invoices.info", &bytes);
        assert!(
            matches!(answer, Err(FocusError::UnexpectedResponse { .. })),
            "an invoice without {path} must be refused, got {answer:?}"
        );
    }
    let company = fixture("companies.info.json");
    for path in ["data.id", "data.name"] {
        let bytes = serde_json::to_vec(&without(&company, path)).unwrap();
        let answer = decode::<Company>("companies.info", &bytes);
        assert!(
            answer.is_err(),
            "a company without {path} must be refused, got {answer:?}"
        );
    }
    let booking = serde_json::to_value(focus_octopus_tests::fixtures::sales_booking(
        7,
        12,
        rust_decimal::Decimal::new(10000, 2),
    ))
    .expect("serialisable");
    for field in ["amount", "bookyearKey", "journalKey", "documentSequenceNr"] {
        let list = json!([without(&booking, field)]);
        let answer = parse::<Vec<BuySellBooking>>(Operation::GetModifiedBuySellBookings, list.to_string().as_bytes());
        assert!(
            matches!(answer, Err(OctopusError::UnexpectedResponse { .. })),
            "a booking without {field} must be refused, got {answer:?}"
        );
    }
}

/// Parses `bytes` as the answer of `op`; a refusal must be the stable `OCTOPUS_UNEXPECTED_RESPONSE`.
fn octopus_typed<T: serde::de::DeserializeOwned>(op: Operation, bytes: &[u8]) -> Result<Option<T>, TestCaseError> {
    match parse::<T>(op, bytes) {
        Ok(value) => Ok(Some(value)),
        Err(e) => {
            prop_assert_eq!(e.code(), "OCTOPUS_UNEXPECTED_RESPONSE", "{:?}: {:?}", op, e);
            Ok(None)
        }
    }
}

#[test]
fn octopus_answers_parse_or_give_a_typed_error() {
    let booking = serde_json::to_value(focus_octopus_tests::fixtures::sales_booking(
        7,
        12,
        rust_decimal::Decimal::new(10000, 2),
    ))
    .expect("serialisable");
    let fixtures = vec![
        json!([booking]),
        json!({ "errorCode": -13, "errorMessage": "Illegal document seq Nr",
                "technicalInfo": "Unable to insert booking in dossier 49555.  Illegal document seq Nr.  Last Document = 6.  New Document = 1. " }),
        json!({ "balancings": [ { "debet": { "bookyearKey": { "id": 1 }, "journalKey": "V1", "documentSequenceNr": 7, "lineNr": -1 },
                 "credit": { "bookyearKey": { "id": 1 }, "journalKey": "F1", "documentSequenceNr": 3, "lineNr": 1 },
                 "amount": 121.0, "deleted": false } ], "modifiedTimeStamp": "2026-03-02 10:00:00.000" }),
        json!([ { "bookyearKey": { "id": 1 }, "description": "2026", "startDate": "2026-01-01", "endDate": "2026-12-31", "closed": false } ]),
        json!([ { "code": "21", "percentage": 21.0, "description": "21 %" } ]),
        json!([ { "accountKey": 700000, "description": "Omzet" } ]),
    ];
    let mut runner = runner();
    let (bookings, last_numbers) = (
        std::sync::atomic::AtomicUsize::new(0),
        std::sync::atomic::AtomicUsize::new(0),
    );
    runner
        .run(&answers(fixtures), |bytes| {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if let Some(list) = octopus_typed::<Vec<BuySellBooking>>(Operation::GetModifiedBuySellBookings, &bytes)? {
                for booking in &list {
                    let nr = booking.document_sequence_nr.to_string();
                    prop_assert!(text.contains(&nr), "document number {} is not in the input", nr);
                }
                bookings.fetch_add(list.len(), std::sync::atomic::Ordering::Relaxed);
            }
            octopus_typed::<SyncBalancings>(Operation::GetModifiedBalancings, &bytes)?;
            octopus_typed::<SyncRelations>(Operation::GetModifiedRelations, &bytes)?;
            octopus_typed::<Vec<Bookyear>>(Operation::GetBookyears, &bytes)?;
            octopus_typed::<Vec<VatCode>>(Operation::GetVatCodes, &bytes)?;
            octopus_typed::<Vec<LedgerAccount>>(Operation::GetAccounts, &bytes)?;
            octopus_typed::<Vec<Dossier>>(Operation::GetDossiers, &bytes)?;
            let error = ErrorResult::parse(&bytes);
            if let Some(code) = error.error_code {
                prop_assert!(
                    text.contains(&code.to_string()),
                    "error code {} is not in the input",
                    code
                );
            }
            let words = error.text();
            for part in [&error.error_message, &error.technical_info].into_iter().flatten() {
                prop_assert!(words.contains(part.trim()), "the error's text drops {:?}", part);
            }
            for candidate in error.technical_info.iter().map(String::as_str).chain([text.as_str()]) {
                if let Some(last) = last_document_from(candidate) {
                    prop_assert!(
                        candidate.contains(&last.to_string()),
                        "last number {} is not in {:?}",
                        last,
                        candidate
                    );
                    last_numbers.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            Ok(())
        })
        .expect("no input makes an Octopus parser panic, answer untyped or invent a value");
    let (bookings, last_numbers) = (bookings.into_inner(), last_numbers.into_inner());
    println!(
        "octopus answers: {} inputs, {bookings} bookings parsed, {last_numbers} last numbers read",
        cases()
    );
    assert!(
        bookings > 0 && last_numbers > 0,
        "the target never reached a successful parse"
    );
}

/// A Function URL request as a hostile or broken sender could make it.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    query: String,
    body: String,
    base64: bool,
}

fn requests() -> impl Strategy<Value = Request> {
    let method = prop_oneof![8 => Just("POST".to_owned()), 1 => Just("GET".to_owned()), 1 => "[A-Z]{0,8}"];
    let path = prop_oneof![
        6 => Just(format!("/hooks/bakkerij/{WEBHOOK_SECRET}")),
        2 => "[a-zA-Z0-9]{0,60}".prop_map(|s| format!("/hooks/bakkerij/{s}")),
        1 => "[a-z0-9-]{1,20}".prop_map(|c| format!("/hooks/{c}/{WEBHOOK_SECRET}")),
        1 => any::<String>(),
        1 => "(/[a-z%./]{0,12}){0,5}",
        1 => Just("/oauth/callback".to_owned()),
    ];
    let event = (
        prop_oneof![
            Just("invoice.booked".to_owned()),
            Just("creditNote.updated".to_owned()),
            Just("invoice.paymentRegistered".to_owned()),
            Just("deal.won".to_owned()),
            any::<String>()
        ],
        prop_oneof![Just("invoice".to_owned()), any::<String>()],
        prop_oneof![
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            any::<String>(),
            "x{0,300}"
        ],
    )
        .prop_map(|(t, st, id)| json!({ "type": t, "subject": { "type": st, "id": id } }).to_string());
    let body = prop_oneof![
        4 => event,
        2 => arb_json().prop_map(|v| v.to_string()),
        1 => any::<String>(),
        1 => (1usize..100_000).prop_map(|n| "a".repeat(n)),
    ];
    (method, path, "[a-z=&.%0-9]{0,40}", body, prop::bool::weighted(0.1)).prop_map(
        |(method, path, query, body, base64)| Request {
            method,
            path,
            query,
            body: if base64 {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(&body)
            } else {
                body
            },
            base64,
        },
    )
}

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

#[test]
fn the_receiver_answers_every_request_with_a_known_status_and_bounded_memory() {
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    });
    let world = rt.block_on(PushWorld::start());
    let receiver = Receiver::new();
    let mut runner = runner();
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::<i64, usize>::new());
    runner
        .run(&requests(), |r| {
            let mut event = PushWorld::function_url_event(&r.method, &r.path, &r.body);
            event.raw_query_string = Some(r.query.clone());
            event.is_base64_encoded = r.base64;
            let response = rt.block_on(focus_octopus::lambda::receiver::handle(
                &receiver,
                &world.deployment,
                &event,
            ));
            let status = response.status_code;
            prop_assert!([200, 400, 404, 413, 503].contains(&status), "{r:?} → {status}");
            let body = response.body.unwrap_or_default();
            prop_assert!(!body.contains(WEBHOOK_SECRET), "the secret is never echoed");
            if r.path.starts_with("/hooks/") && status != 200 && status != 404 {
                let answer: Value = serde_json::from_str(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(answer["code"].is_string(), "a refusal names its code: {body}");
            }
            *seen.lock().unwrap().entry(status).or_default() += 1;
            Ok(())
        })
        .expect("every request gets a known answer");
    let cached = rt.block_on(receiver.cached_connections());
    println!(
        "receiver: {} requests, answers by status {:?}, {cached} connections cached",
        cases(),
        seen.lock().unwrap()
    );
    assert!(
        cached <= MAX_CACHED_CONNECTIONS + 1,
        "made-up connection names do not grow the cache: {cached}"
    );
}
