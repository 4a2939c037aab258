//! A simulated Teamleader Focus, faithful to docs/partners/focus.md and the blueprint, including the unpleasant
//! parts: access tokens that expire after an hour of a controllable clock, **single-use refresh tokens** (a reused one
//! answers 400 `invalid_grant`), 200 requests per sliding minute with 429 and `X-RateLimit-*` headers on every
//! answer, pages without totals, the `status[]` filter rules, payments without ids, and webhooks that can be
//! duplicated, held back, reordered or dropped. In-process for tests ([`FocusSim::start`]) and as the `focus-sim`
//! binary for the demo.

mod routes;
mod state;
pub mod totals;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Days, NaiveDate, Utc};
use focus_octopus::clock::SharedClock;
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub use routes::{ACCESS_TOKEN_LIFETIME, RATE_LIMIT, reset_header};
pub use state::{DocKind, FocusReceived, FocusState, SimLine};
use state::{SimDocument, SimTaxRate};

use crate::http_server::{Served, serve};

pub const CLIENT_ID: &str = "focus-octopus-test-client";
pub const CLIENT_SECRET: &str = "client-secret-do-not-log";
pub const DEPARTMENT: &str = "6a7c1f2e-0b3d-4c5e-8f9a-1b2c3d4e5f60";

/// The tax rates of the standard seed, by id.
pub mod rates {
    pub const VAT_21: &str = "c93ddb52-0af8-47d9-8551-441435be66a7";
    pub const VAT_12: &str = "0a1b2c3d-1111-4a5b-9c8d-000000000012";
    pub const VAT_6: &str = "0a1b2c3d-1111-4a5b-9c8d-000000000006";
    pub const VAT_0_EXEMPT: &str = "0a1b2c3d-1111-4a5b-9c8d-00000000000e";
    pub const VAT_0_COCONTRACTOR: &str = "0a1b2c3d-1111-4a5b-9c8d-00000000000c";
    pub const VAT_0_INTRA_EU: &str = "0a1b2c3d-1111-4a5b-9c8d-00000000000b";
    pub const VAT_0_EXPORT: &str = "0a1b2c3d-1111-4a5b-9c8d-00000000000a";
    /// Every rate of the seed: three percentages and the four 0 % variants.
    pub const ALL: [&str; 7] = [
        VAT_21,
        VAT_12,
        VAT_6,
        VAT_0_EXEMPT,
        VAT_0_COCONTRACTOR,
        VAT_0_INTRA_EU,
        VAT_0_EXPORT,
    ];
}

/// Product categories of the standard seed.
pub mod categories {
    pub const BREAD: &str = "2aa4a6a9-9ce8-4851-a9b3-26aea2ea1401";
    pub const CATERING: &str = "2aa4a6a9-9ce8-4851-a9b3-26aea2ea1402";
}

/// Every event type the portal documents that the simulator accepts in `webhooks.register` (the relevant subset
/// plus a few others).
pub const EVENT_TYPES: [&str; 18] = [
    "invoice.booked",
    "invoice.updated",
    "invoice.deleted",
    "invoice.drafted",
    "invoice.paymentRegistered",
    "invoice.paymentRemoved",
    "invoice.sent",
    "invoice.peppolSubmissionFailed",
    "invoice.peppolSubmissionSucceeded",
    "creditNote.booked",
    "creditNote.updated",
    "creditNote.deleted",
    "creditNote.sent",
    "creditNote.peppolSubmissionFailed",
    "creditNote.peppolSubmissionSucceeded",
    "company.added",
    "company.updated",
    "deal.won",
];

/// A webhook event as Focus delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: String,
    pub subject_type: String,
    pub id: String,
}

impl Event {
    pub fn new(kind: &str, subject_type: &str, id: &str) -> Self {
        Self {
            kind: kind.into(),
            subject_type: subject_type.into(),
            id: id.into(),
        }
    }

    pub fn body(&self) -> Value {
        json!({ "type": self.kind, "subject": { "type": self.subject_type, "id": self.id } })
    }
}

type Hook = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

pub struct Shared {
    pub state: Mutex<FocusState>,
    token_hook: Mutex<Option<Hook>>,
}

/// How webhooks are delivered: extra copies, drops, holding back.
#[derive(Debug)]
pub struct WebhookPlan {
    /// Each delivery is sent this many times.
    pub copies: usize,
    /// The next N deliveries are lost.
    pub drop_next: usize,
    /// A seeded share of deliveries is lost.
    pub drop_ratio: f64,
    rng: fastrand::Rng,
    /// Hold deliveries back until [`FocusSim::release_held`].
    pub hold: bool,
}

impl Default for WebhookPlan {
    fn default() -> Self {
        Self {
            copies: 1,
            drop_next: 0,
            drop_ratio: 0.0,
            rng: fastrand::Rng::with_seed(7),
            hold: false,
        }
    }
}

/// What happened to webhook deliveries, for assertions.
#[derive(Debug, Default, Clone)]
pub struct Deliveries {
    pub sent: Vec<(String, Value, u16)>,
    pub dropped: Vec<Value>,
    /// Extra copies handed out (sent or held) because the plan asked for more than one.
    pub duplicated: usize,
    /// How many held deliveries each [`FocusSim::release_held`] sent.
    pub released: Vec<usize>,
}

/// Focus's own account of our traffic and of the faults that took effect.
#[derive(Debug, Clone, Default)]
pub struct FocusTraffic {
    /// The most requests of ours that reached Focus in one sliding minute, 429s included.
    pub max_sent_in_minute: usize,
    pub throttled: u32,
    /// Requests answered 429 while no other integration had spent the minute.
    pub throttled_outside_storms: u32,
    pub storms: usize,
    /// A storm is armed and has not met a request yet.
    pub storm_armed: bool,
    pub storms_that_refused_us: usize,
    pub expired_token_refusals: u32,
    pub faults_fired: std::collections::BTreeMap<&'static str, usize>,
}

pub struct FocusSim {
    shared: Arc<Shared>,
    served: Served,
    http: reqwest::Client,
    plan: Mutex<WebhookPlan>,
    held: Mutex<Vec<(String, Value)>>,
    deliveries: Mutex<Deliveries>,
}

/// A line to book: quantity × unit price at a tax rate, optionally discounted and categorised.
pub fn line(quantity: Decimal, unit_price: Decimal, tax_rate: &str) -> SimLine {
    SimLine {
        description: "Broodjes".into(),
        quantity,
        unit_price,
        tax_rate: tax_rate.into(),
        discount: None,
        category: None,
    }
}

impl FocusSim {
    pub async fn start(clock: SharedClock) -> Self {
        let sim = Self::start_empty(clock, 0).await;
        sim.seed_standard();
        sim
    }

    pub async fn start_empty(clock: SharedClock, port: u16) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(FocusState::new(clock)),
            token_hook: Mutex::new(None),
        });
        let router = routes::router(shared.clone());
        let served = serve(router, port).await.expect("the simulator binds a loopback port");
        shared.state.lock().unwrap().files_url = format!("{}/files", served.url());
        Self {
            shared,
            served,
            http: reqwest::Client::new(),
            plan: Mutex::new(WebhookPlan::default()),
            held: Mutex::new(Vec::new()),
            deliveries: Mutex::new(Deliveries::default()),
        }
    }

    /// Base URL of both the API and the OAuth host.
    pub fn url(&self) -> String {
        self.served.url()
    }

    pub fn state(&self) -> MutexGuard<'_, FocusState> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One account and user; department "Bakkerij Peeters BV"; tax rates 21, 12, 6 and four 0 % variants that differ
    /// only by id and description; two product categories with ledgers; payment methods; one custom field.
    pub fn seed_standard(&self) {
        let mut s = self.state();
        s.client_id = CLIENT_ID.into();
        s.client_secret = CLIENT_SECRET.into();
        s.account_id = "0fc55513-7f68-4865-aba0-de5da9e4e43d".into();
        s.user_id = "cb8da52a-ce89-4bf6-8f7e-8ee6cb85e3b5".into();
        s.departments.push(json!({
            "id": DEPARTMENT, "name": "Bakkerij Peeters BV", "vat_number": "BE0412345614",
            "currency": "EUR", "emails": [], "status": "active",
        }));
        for (id, description, rate) in [
            (rates::VAT_21, "21%", Decimal::new(21, 2)),
            (rates::VAT_12, "12%", Decimal::new(12, 2)),
            (rates::VAT_6, "6%", Decimal::new(6, 2)),
            (rates::VAT_0_EXEMPT, "0% vrijgesteld", Decimal::ZERO),
            (rates::VAT_0_COCONTRACTOR, "0% medecontractant", Decimal::ZERO),
            (rates::VAT_0_INTRA_EU, "0% intracommunautair", Decimal::ZERO),
            (rates::VAT_0_EXPORT, "0% export", Decimal::ZERO),
        ] {
            s.tax_rates.push(SimTaxRate {
                id: id.into(),
                description: description.into(),
                rate,
                department: DEPARTMENT.into(),
            });
        }
        s.categories = vec![
            json!({ "id": categories::BREAD, "name": "Brood",
                    "ledgers": [{ "department": { "type": "department", "id": DEPARTMENT }, "ledger_account_number": "700000" }] }),
            json!({ "id": categories::CATERING, "name": "Catering",
                    "ledgers": [{ "department": { "type": "department", "id": DEPARTMENT }, "ledger_account_number": "700100" }] }),
        ];
        s.payment_methods = vec![
            json!({ "id": "f0a1b2c3-0000-4000-8000-000000000001", "name": "Overschrijving", "status": "active" }),
            json!({ "id": "f0a1b2c3-0000-4000-8000-000000000002", "name": "Cash", "status": "archived" }),
        ];
        s.custom_fields = vec![json!({
            "id": "bf6765de-56eb-40ec-ad14-9096c5dc5fe1", "context": "company", "type": "single_line",
            "label": "Octopus relatie", "group": "Boekhouding", "required": false,
        })];
    }

    /// The account gains a department (another legal entity, with its own numbering); returns its id.
    pub fn add_department(&self, name: &str, vat_number: &str) -> String {
        let mut s = self.state();
        let id = s.new_id();
        s.departments.push(json!({
            "id": id, "name": name, "vat_number": vat_number, "currency": "EUR", "emails": [], "status": "active",
        }));
        id
    }

    /// A second company of the same account with its own copy of the first department's tax rates (Focus gives each
    /// department its own rate ids). Returns its id and the first department's rate id → its own.
    pub fn add_department_with_rates(&self, name: &str, vat_number: &str) -> (String, Vec<(String, String)>) {
        let department = self.add_department(name, vat_number);
        let mut s = self.state();
        let theirs: Vec<SimTaxRate> = s
            .tax_rates
            .iter()
            .filter(|t| t.department == DEPARTMENT)
            .cloned()
            .collect();
        let mut ids = Vec::new();
        for rate in theirs {
            let id = s.new_id();
            ids.push((rate.id.clone(), id.clone()));
            s.tax_rates.push(SimTaxRate {
                id,
                department: department.clone(),
                ..rate
            });
        }
        (department, ids)
    }

    /// The account gains a tax rate (as when the bookkeeper adds one in Focus's settings).
    pub fn add_tax_rate(&self, id: &str, description: &str, rate: Decimal) {
        self.state().tax_rates.push(SimTaxRate {
            id: id.into(),
            description: description.into(),
            rate,
            department: DEPARTMENT.into(),
        });
    }

    /// Adds a company; returns its id.
    pub fn add_company(&self, name: &str, vat_number: Option<&str>, country: &str) -> String {
        let mut s = self.state();
        let id = s.new_id();
        let now = s.now().to_rfc3339();
        s.companies.push(json!({
            "id": id, "name": name, "status": "active", "vat_number": vat_number,
            "emails": [{ "type": "primary", "email": format!("info@{}.example", name.to_lowercase().replace(' ', "-")) }],
            "telephones": [], "website": null,
            "addresses": [{ "type": "primary", "address": {
                "line_1": "Kerkstraat 1", "postal_code": "9000", "city": "Gent", "country": country } }],
            "iban": null, "bic": null, "language": "nl", "preferred_currency": "EUR", "tags": [],
            "custom_fields": [], "added_at": now, "updated_at": now,
        }));
        id
    }

    /// Someone edits a company in Focus: `edit` gets its `companies.info` JSON.
    pub fn edit_company(&self, id: &str, edit: impl FnOnce(&mut Value)) {
        let mut s = self.state();
        let company = s.companies.iter_mut().find(|c| c["id"] == id).expect("a company");
        edit(company);
    }

    /// Adds a contact (a private person); returns its id.
    pub fn add_contact(&self, first_name: &str, last_name: &str, country: &str) -> String {
        let mut s = self.state();
        let id = s.new_id();
        let now = s.now().to_rfc3339();
        s.contacts.push(json!({
            "id": id, "first_name": first_name, "last_name": last_name, "vat_number": null,
            "emails": [], "addresses": [{ "type": "primary", "address": {
                "line_1": "Dorpsstraat 5", "postal_code": "1000", "city": "Brussel", "country": country } }],
            "language": "nl", "tags": [], "added_at": now, "updated_at": now,
        }));
        id
    }

    /// A draft invoice (no number) for a customer (`("company"|"contact", id)`).
    pub fn draft_invoice(&self, customer: (&str, &str), lines: Vec<SimLine>, discount: Option<Decimal>) -> String {
        let mut s = self.state();
        let id = s.new_id();
        let now = s.now();
        s.documents.push(SimDocument {
            id: id.clone(),
            kind: DocKind::Invoice,
            department: DEPARTMENT.into(),
            number: None,
            date: None,
            due_on: None,
            status: "draft".into(),
            customer: (customer.0.into(), customer.1.into()),
            lines,
            discount,
            payments: Vec::new(),
            invoice: None,
            created_at: now,
            updated_at: now,
            deleted: false,
            peppol_status: None,
        });
        id
    }

    fn next_number(s: &FocusState, kind: DocKind, year: i32) -> String {
        let n = s
            .documents
            .iter()
            .filter(|d| {
                d.kind == kind && d.number.is_some() && d.date.is_some_and(|x| chrono::Datelike::year(&x) == year)
            })
            .count()
            + 1;
        match kind {
            DocKind::Invoice => format!("{year} / {n}"),
            DocKind::CreditNote => format!("{year}/{n}"),
        }
    }

    /// Books a draft on `date`: it gets the next number, is due 30 days later, and `invoice.booked` is delivered.
    pub async fn book_invoice(&self, id: &str, date: NaiveDate) -> String {
        let number = {
            let mut s = self.state();
            let number = Self::next_number(&s, DocKind::Invoice, chrono::Datelike::year(&date));
            let now = s.now();
            let d = s.document_mut(id).expect("a drafted invoice");
            assert_eq!(d.status, "draft", "only drafts can be booked");
            d.number = Some(number.clone());
            d.date = Some(date);
            d.due_on = date.checked_add_days(Days::new(30));
            d.status = "outstanding".into();
            d.updated_at = now;
            number
        };
        self.fire(Event::new("invoice.booked", "invoice", id)).await;
        number
    }

    /// Drafts and books an invoice in one go; returns (id, number).
    pub async fn invoice(&self, customer: (&str, &str), lines: Vec<SimLine>, date: NaiveDate) -> (String, String) {
        let id = self.draft_invoice(customer, lines, None);
        let number = self.book_invoice(&id, date).await;
        (id, number)
    }

    /// Books a credit note (credit notes exist in the API only once booked); `creditNote.booked` is delivered.
    pub async fn credit_note(
        &self,
        customer: (&str, &str),
        lines: Vec<SimLine>,
        date: NaiveDate,
        invoice: Option<&str>,
    ) -> (String, String) {
        let (id, number) = {
            let mut s = self.state();
            let id = s.new_id();
            let now = s.now();
            let number = Self::next_number(&s, DocKind::CreditNote, chrono::Datelike::year(&date));
            s.documents.push(SimDocument {
                id: id.clone(),
                kind: DocKind::CreditNote,
                department: DEPARTMENT.into(),
                number: Some(number.clone()),
                date: Some(date),
                due_on: None,
                status: "booked".into(),
                customer: (customer.0.into(), customer.1.into()),
                lines,
                discount: None,
                payments: Vec::new(),
                invoice: invoice.map(str::to_owned),
                created_at: now,
                updated_at: now,
                deleted: false,
                peppol_status: None,
            });
            (id, number)
        };
        self.fire(Event::new("creditNote.booked", "creditNote", &id)).await;
        (id, number)
    }

    /// Edits a booked document (the account allows editing booked invoices): `*.updated` is delivered.
    pub async fn update_document(&self, id: &str, change: impl FnOnce(&mut SimDocument)) {
        let kind = {
            let mut s = self.state();
            let now = s.now();
            let d = s.document_mut(id).expect("a document");
            change(d);
            d.updated_at = now;
            d.kind
        };
        let (event, subject) = match kind {
            DocKind::Invoice => ("invoice.updated", "invoice"),
            DocKind::CreditNote => ("creditNote.updated", "creditNote"),
        };
        self.fire(Event::new(event, subject, id)).await;
    }

    /// Deletes a document (Focus allows it for the last booked invoice): it disappears from lists and `.info`
    /// answers 404; `*.deleted` is delivered.
    pub async fn delete_document(&self, id: &str) {
        let kind = {
            let mut s = self.state();
            let d = s.document_mut(id).expect("a document");
            d.deleted = true;
            d.kind
        };
        let (event, subject) = match kind {
            DocKind::Invoice => ("invoice.deleted", "invoice"),
            DocKind::CreditNote => ("creditNote.deleted", "creditNote"),
        };
        self.fire(Event::new(event, subject, id)).await;
    }

    /// A user registers a payment in the Focus UI: `invoice.paymentRegistered` is delivered.
    pub async fn pay_in_focus(&self, id: &str, amount: Decimal, at: DateTime<Utc>) {
        {
            let mut s = self.state();
            let rates: std::collections::HashMap<String, Decimal> =
                s.tax_rates.iter().map(|t| (t.id.clone(), t.rate)).collect();
            let now = s.now();
            let d = s.document_mut(id).expect("an invoice");
            d.payments.push((at, amount));
            let (_, payable) = totals::document_totals(d, |r| rates.get(r).copied().unwrap_or_default());
            if d.payments.iter().map(|p| p.1).sum::<Decimal>() >= payable {
                d.status = "matched".into();
            }
            d.updated_at = now;
        }
        self.fire(Event::new("invoice.paymentRegistered", "invoice", id)).await;
    }

    /// The document's payable total as Focus computes it.
    pub fn payable(&self, id: &str) -> Decimal {
        let s = self.state();
        let d = s.document(id).expect("a document");
        totals::document_totals(d, |r| s.tax_rate(r).map_or(Decimal::ZERO, |t| t.rate)).1
    }

    /// Focus sent the document through Peppol and it came back `status` (`sending_failed`, `receiver_rejected`, …);
    /// a failure fires `invoice.peppolSubmissionFailed` / `creditNote.peppolSubmissionFailed`.
    pub async fn peppol_result(&self, id: &str, status: &str) {
        let kind = {
            let mut s = self.state();
            let now = s.now();
            let d = s.document_mut(id).expect("a document");
            d.peppol_status = Some(status.to_owned());
            d.updated_at = now;
            d.kind
        };
        let outcome = if status.ends_with("failed") || status.ends_with("rejected") {
            "peppolSubmissionFailed"
        } else {
            "peppolSubmissionSucceeded"
        };
        let (prefix, subject) = match kind {
            DocKind::Invoice => ("invoice", "invoice"),
            DocKind::CreditNote => ("creditNote", "creditNote"),
        };
        self.fire(Event::new(&format!("{prefix}.{outcome}"), subject, id)).await;
    }

    /// The structured communication Focus gives a booked invoice (what its customer pays with).
    pub fn payment_reference(&self, id: &str) -> Option<String> {
        let s = self.state();
        let d = s.document(id).expect("a document");
        (d.kind == DocKind::Invoice)
            .then(|| {
                d.number
                    .as_deref()
                    .map(|n| routes::documents::structured_communication(d.date, n))
            })
            .flatten()
    }

    /// Payments registered on an invoice: (paid at, amount).
    pub fn payments(&self, id: &str) -> Vec<(DateTime<Utc>, Decimal)> {
        self.state()
            .document(id)
            .map(|d| d.payments.clone())
            .unwrap_or_default()
    }

    pub fn plan(&self) -> MutexGuard<'_, WebhookPlan> {
        self.plan.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Delivers `event` to every URL registered for its type, following the plan.
    pub async fn fire(&self, event: Event) {
        let mut events = std::mem::take(&mut self.state().outbox);
        events.push(event);
        for event in events {
            self.deliver(event).await;
        }
    }

    /// Delivers events caused through the API (such as `invoice.paymentRegistered` after `registerPayment`).
    pub async fn flush_webhooks(&self) {
        let events = std::mem::take(&mut self.state().outbox);
        for event in events {
            self.deliver(event).await;
        }
    }

    async fn deliver(&self, event: Event) {
        let urls: Vec<String> = self
            .state()
            .webhooks
            .iter()
            .filter(|(_, types)| types.contains(&event.kind))
            .map(|(url, _)| url.clone())
            .collect();
        for url in urls {
            let body = event.body();
            let (copies, dropped, hold) = {
                let mut plan = self.plan();
                let dropped = if plan.drop_next > 0 {
                    plan.drop_next -= 1;
                    true
                } else {
                    plan.drop_ratio > 0.0 && plan.rng.f64() < plan.drop_ratio
                };
                (plan.copies, dropped, plan.hold)
            };
            if dropped {
                self.deliveries.lock().unwrap().dropped.push(body);
                continue;
            }
            self.deliveries.lock().unwrap().duplicated += copies.saturating_sub(1);
            for _ in 0..copies {
                if hold {
                    self.held.lock().unwrap().push((url.clone(), body.clone()));
                } else {
                    self.post(&url, &body).await;
                }
            }
        }
    }

    async fn post(&self, url: &str, body: &Value) {
        // Focus's retry policy is undocumented: the simulator does not retry.
        let status = match self.http.post(url).json(body).send().await {
            Ok(r) => r.status().as_u16(),
            Err(_) => 0,
        };
        self.deliveries
            .lock()
            .unwrap()
            .sent
            .push((url.to_owned(), body.clone(), status));
    }

    /// Delivers every held webhook, in reverse order if `reorder`.
    pub async fn release_held(&self, reorder: bool) {
        let mut held = std::mem::take(&mut *self.held.lock().unwrap());
        if reorder {
            held.reverse();
        }
        self.deliveries.lock().unwrap().released.push(held.len());
        for (url, body) in held {
            self.post(&url, &body).await;
        }
    }

    pub fn deliveries(&self) -> Deliveries {
        self.deliveries.lock().unwrap().clone()
    }

    /// A user logged in to another Focus account (`account_id`) authorises the integration: its tokens are that
    /// account's, and `users.me` says so.
    pub fn authorization_code_as(&self, redirect_uri: &str, account_id: &str) -> String {
        let code = self.authorization_code(redirect_uri);
        self.state().other_accounts.insert(code.clone(), account_id.into());
        code
    }

    /// A user authorises the integration: returns the code the redirect would carry.
    pub fn authorization_code(&self, redirect_uri: &str) -> String {
        let mut s = self.state();
        let code = format!("code-{}", s.new_id());
        let now = s.now();
        s.codes.insert(code.clone(), (now, redirect_uri.into()));
        code
    }

    /// A valid (access, refresh) pair, as if an authorisation had just been exchanged.
    pub fn issue_token_pair(&self) -> (String, String) {
        routes::issue_pair(&mut self.state())
    }

    /// The user removes the integration: no refresh token works any more.
    pub fn revoke_refresh_tokens(&self) {
        self.state().refresh_tokens.clear();
    }

    /// Runs `hook` when the next token request arrives, before it is processed (to stage a race).
    pub fn before_next_token_request<F, Fut>(&self, hook: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        *self.shared.token_hook.lock().unwrap() = Some(Box::new(move || Box::pin(hook())));
    }

    /// The next `times` calls of `action` answer `status`.
    pub fn fail_next(&self, action: &str, times: usize, status: u16) {
        self.state()
            .faults
            .entry(action.into())
            .or_default()
            .extend(std::iter::repeat_n(status, times));
    }

    /// The next `times` calls of `action` do their work, then the connection is cut without an answer.
    pub fn commit_then_drop(&self, action: &str, times: usize) {
        self.state()
            .faults
            .entry(action.into())
            .or_default()
            .extend(std::iter::repeat_n(0, times));
    }

    /// The next `times` calls of `action` are cut before Focus does anything (a timeout on the way in).
    pub fn drop_before_commit(&self, action: &str, times: usize) {
        self.state()
            .faults
            .entry(action.into())
            .or_default()
            .extend(std::iter::repeat_n(1, times));
    }

    /// Another integration of the same account spends `requests` of the sliding minute now (a 429 storm for us).
    /// Our requests answered 429 in the next minute count for this storm, not against us.
    pub fn other_client_burst(&self, requests: usize) {
        let mut s = self.state();
        let now = s.now();
        let room = RATE_LIMIT.saturating_sub(s.window.len());
        s.window.extend(std::iter::repeat_n(now, requests.min(room)));
        s.storms.push((now + chrono::Duration::seconds(60), 0));
    }

    /// Another integration of the account spends the whole minute just before our next request reaches Focus: the
    /// storm meets us, whenever we next call.
    pub fn storm_before_next_request(&self) {
        self.state().storm_armed = true;
    }

    /// Every access token issued so far expires now (Focus ends sessions early; refresh tokens still work).
    pub fn expire_access_tokens(&self) {
        let mut s = self.state();
        let now = s.now();
        for expires in s.access_tokens.values_mut() {
            *expires = now;
        }
    }

    /// Every token and secret the simulator ever handed out or knows (for the no-secret-in-logs check).
    pub fn every_secret(&self) -> Vec<String> {
        let s = self.state();
        let mut all: Vec<String> = s.access_tokens.keys().cloned().collect();
        all.extend(s.issued.iter().cloned());
        all.push(CLIENT_SECRET.to_owned());
        all
    }

    pub fn add_latency(&self, action: &str, latency: std::time::Duration) {
        self.state().latency.insert(action.into(), latency);
    }

    /// Resolves when the next request for `action` arrives, before Focus handles it.
    pub fn on_next_request(&self, action: &str) -> tokio::sync::oneshot::Receiver<()> {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        self.state().on_arrival.insert(action.into(), sender);
        receiver
    }

    pub fn received(&self) -> Vec<FocusReceived> {
        self.state().received.clone()
    }

    pub fn count(&self, action: &str) -> usize {
        self.state().received.iter().filter(|r| r.action == action).count()
    }

    /// Upstream refreshes that succeeded, and refresh or code exchanges refused with `invalid_grant`.
    pub fn refreshes(&self) -> (u32, u32) {
        let s = self.state();
        (s.refreshes, s.invalid_grants)
    }

    /// The most API requests counted in any sliding minute so far, and how many were refused with 429.
    pub fn rate_limit_record(&self) -> (usize, u32) {
        let s = self.state();
        (s.max_in_window, s.throttled)
    }

    /// What reached Focus from us, judged by Focus's own count: every request, refused ones included.
    pub fn traffic(&self) -> FocusTraffic {
        let s = self.state();
        FocusTraffic {
            max_sent_in_minute: s.max_sent_in_minute,
            throttled: s.throttled,
            throttled_outside_storms: s.throttled_outside_storms,
            storms: s.storms.len(),
            storm_armed: s.storm_armed,
            storms_that_refused_us: s.storms.iter().filter(|(_, hits)| *hits > 0).count(),
            expired_token_refusals: s.expired_token_refusals,
            faults_fired: s.faults_fired.clone(),
        }
    }
}

/// Building blocks for tests that compute documents the way the simulator does, without running it.
pub mod state_for_tests {
    pub use super::state::SimDocument;
    use super::state::{DocKind, SimLine};
    use rust_decimal::Decimal;

    pub fn doc_for_tests(lines: Vec<SimLine>, discount: Option<Decimal>, credit_note: bool) -> SimDocument {
        let now = chrono::DateTime::<chrono::Utc>::MIN_UTC;
        SimDocument {
            id: "doc".into(),
            kind: if credit_note {
                DocKind::CreditNote
            } else {
                DocKind::Invoice
            },
            department: super::DEPARTMENT.into(),
            number: None,
            date: None,
            due_on: None,
            status: "outstanding".into(),
            customer: ("company".into(), "c".into()),
            lines,
            discount,
            payments: Vec::new(),
            invoice: None,
            created_at: now,
            updated_at: now,
            deleted: false,
            peppol_status: None,
        }
    }
}
