//! A simulated Octopus, faithful to docs/partners/octopus.md and the official OpenAPI document, including the
//! unpleasant parts: 10-minute tokens on a controllable clock, daily limits per operation, gapless document numbers
//! with `-13`, journal locks (403), 404 for "no data", 500 for malformed dates, error bodies with only
//! `technicalInfo`. In-process for tests ([`OctopusSim::start`]) and as the `octopus-sim` binary for the demo.
//!
//! The control methods on [`OctopusSim`] seed data, reconcile invoices, inject faults and expose what was received.

mod coda;
mod routes;
pub mod spec;
mod state;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, NaiveDate, Utc};
use focus_octopus::clock::SharedClock;
use focus_octopus::octopus::Operation;
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub use coda::{Assigned, MatchedBy, SUSPENSE_ACCOUNT};
pub use routes::{Refusal, TOKEN_LIFETIME};
pub use state::{Fault, Received, SimState};
use state::{SimAccount, SimBalancing, SimDossier, SimJournal, SimVatCode, calendar_bookyear};

use crate::http_server::{Served, serve};

/// The login of the standard seed.
pub const SOFTWARE_HOUSE_UUID: &str = "5f0b3c1e-6a8d-4d2e-9c7a-0d1e2f3a4b5c";
pub const USER: &str = "sync@example.be";
pub const PASSWORD: &str = "correct horse battery staple";
/// The dossier of the standard seed, and a second one the same login may open.
pub const DOSSIER: i32 = 1001;
pub const OTHER_DOSSIER: i32 = 1002;

/// A running simulator. Stops when dropped.
pub struct OctopusSim {
    state: Arc<Mutex<SimState>>,
    served: Served,
}

/// A sales booking key, as the control API names bookings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimBookingKey {
    pub bookyear: i32,
    pub journal: String,
    pub document_nr: i32,
}

impl OctopusSim {
    /// An empty simulator (no login, no dossier) on a free loopback port.
    pub async fn start_empty(clock: SharedClock) -> Self {
        Self::start_on(clock, 0).await
    }

    /// A simulator with the standard seed: see [`OctopusSim::seed_standard`].
    pub async fn start(clock: SharedClock) -> Self {
        let sim = Self::start_empty(clock).await;
        sim.seed_standard();
        sim
    }

    pub async fn start_on(clock: SharedClock, port: u16) -> Self {
        let state = Arc::new(Mutex::new(SimState::new(clock)));
        let router = routes::router(state.clone());
        let served = serve(router, port).await.expect("the simulator binds a loopback port");
        Self { state, served }
    }

    /// Base URL, as the client's `base_url` (the real one ends in `/octopus-rest-api/v1`; ours is the root).
    pub fn url(&self) -> String {
        self.served.url()
    }

    /// Direct access to the state, for checks the methods below do not cover.
    pub fn state(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One software house, one user who may open dossiers 1001 ("Bakkerij Peeters BV") and 1002; in 1001:
    /// bookyear 1 = 2026 with monthly periods 202601–202612 (open), journals V1 (sales, bookings), V2 (sales credit
    /// notes, bookings), V3 (sales, invoice module: insertion type 2), A1, F1 (bank), D1; revenue accounts
    /// 700000/700100/701000/704000 and a few others; sales VAT codes 21, 12, 06, 00 and the 0 % variants 45
    /// (co-contractor), 46 (intra-community), 47 (export). The 0 % codes' real keys are unknown
    /// (docs/partners/octopus.md §5); these stand for "a dossier's own codes".
    pub fn seed_standard(&self) {
        let mut s = self.state();
        let now = s.now();
        s.software_house_uuid = SOFTWARE_HOUSE_UUID.into();
        s.users
            .insert(USER.into(), (PASSWORD.into(), vec![DOSSIER, OTHER_DOSSIER]));
        let d = standard_dossier(DOSSIER, "Bakkerij Peeters BV", "BE0412.345.614", now);
        s.dossiers.insert(DOSSIER, d);
        s.dossiers.insert(
            OTHER_DOSSIER,
            SimDossier::new(OTHER_DOSSIER, "Peeters Vastgoed NV", "BE0876.543.270"),
        );
    }

    /// A third (or further) dossier the login may open, set up like the standard one.
    pub fn add_dossier(&self, id: i32, name: &str, vat_nr: &str) {
        let mut s = self.state();
        let now = s.now();
        s.dossiers.insert(id, standard_dossier(id, name, vat_nr, now));
        if let Some((_, dossiers)) = s.users.get_mut(USER) {
            dossiers.push(id);
        }
    }

    fn dossier<R>(&self, dossier: i32, f: impl FnOnce(&mut SimDossier, DateTime<Utc>) -> R) -> R {
        let mut s = self.state();
        let now = s.now();
        f(s.dossiers.get_mut(&dossier).expect("a seeded dossier"), now)
    }

    /// The next `times` calls of `op` answer `status` and do nothing (403 on a booking reads "Journal either closed
    /// or open by other user").
    pub fn fail_next(&self, op: Operation, times: usize, status: u16) {
        let mut s = self.state();
        let queue = s.faults.entry(op).or_default();
        queue.extend(std::iter::repeat_n(Fault::Status(status), times));
    }

    /// The next `times` calls of `op` do their work, then the connection is closed without an answer.
    pub fn commit_then_drop(&self, op: Operation, times: usize) {
        let mut s = self.state();
        s.faults
            .entry(op)
            .or_default()
            .extend(std::iter::repeat_n(Fault::CommitThenDrop, times));
    }

    /// Every answer to `op` is delayed by `latency` (real time).
    /// The next `times` calls of `op` are cut before Octopus does anything (a timeout on the way in).
    pub fn drop_before_commit(&self, op: Operation, times: usize) {
        self.state()
            .faults
            .entry(op)
            .or_default()
            .extend(std::iter::repeat_n(Fault::DropBeforeCommit, times));
    }

    /// Resolves once the next sales booking is stored, before its answer leaves: the moment to kill a poster.
    pub fn after_next_booking(&self) -> tokio::sync::oneshot::Receiver<()> {
        let (signal, fired) = tokio::sync::oneshot::channel();
        self.state().after_next_booking = Some(signal);
        fired
    }

    pub fn add_latency(&self, op: Operation, latency: std::time::Duration) {
        self.state().latency.insert(op, latency);
    }

    /// Someone opens (true) or closes (false) the journal in the Octopus desktop client.
    pub fn lock_journal(&self, dossier: i32, bookyear: i32, journal: &str, locked: bool) {
        self.dossier(dossier, |d, _| {
            d.journal_mut(bookyear, journal).expect("a seeded journal").locked = locked;
        });
    }

    /// Closes the journal for every period up to and including `period`.
    pub fn close_period(&self, dossier: i32, bookyear: i32, journal: &str, period: i32) {
        self.dossier(dossier, |d, _| {
            d.journal_mut(bookyear, journal)
                .expect("a seeded journal")
                .closed_period = Some(period);
        });
    }

    pub fn close_bookyear(&self, dossier: i32, bookyear: i32) {
        self.dossier(dossier, |d, _| {
            d.bookyears
                .iter_mut()
                .find(|b| b.id == bookyear)
                .expect("a seeded bookyear")
                .closed = true;
        });
    }

    /// Adds a sales journal taking bookings (insertion type 1).
    pub fn add_sales_journal(&self, dossier: i32, bookyear: i32, key: &str) {
        self.dossier(dossier, |d, _| {
            d.journals.push(SimJournal {
                bookyear,
                key: key.into(),
                name: format!("Verkopen {key}"),
                insertion_type: Some(1),
                last_booked: 0,
                closed: false,
                locked: false,
                closed_period: None,
            })
        });
    }

    /// Adds a calendar-year bookyear with monthly periods.
    pub fn add_bookyear(&self, dossier: i32, id: i32, year: i32) {
        self.dossier(dossier, |d, _| d.bookyears.push(calendar_bookyear(id, year)));
    }

    /// Adds or renames a ledger account (it appears in `accounts/modified`).
    pub fn put_account(&self, dossier: i32, bookyear: i32, number: i32, description: &str) {
        self.dossier(dossier, |d, now| {
            d.accounts.retain(|a| !(a.bookyear == bookyear && a.number == number));
            d.accounts.push(SimAccount {
                bookyear,
                number,
                description_nl: description.into(),
                modified_at: now,
            });
        });
    }

    /// Removes a ledger account (it appears in the `deleted` list of `accounts/modified`).
    pub fn delete_account(&self, dossier: i32, bookyear: i32, number: i32) {
        self.dossier(dossier, |d, now| {
            if let Some(i) = d
                .accounts
                .iter()
                .position(|a| a.bookyear == bookyear && a.number == number)
            {
                let mut gone = d.accounts.remove(i);
                gone.modified_at = now;
                d.deleted_accounts.push(gone);
            }
        });
    }

    /// Adds a relation as if a bookkeeper created it in Octopus. Returns its relation id.
    pub fn add_relation(&self, dossier: i32, data: Value) -> i32 {
        self.dossier(dossier, |d, now| {
            let id = d.next_relation_id;
            d.next_relation_id += 1;
            let mut full = json!({ "currencyCode": "EUR", "client": true, "active": true, "vatType": 0 });
            for (k, v) in data.as_object().cloned().unwrap_or_default() {
                full[k] = v;
            }
            full["relationIdentificationServiceData"] = json!({ "relationKey": { "id": id }, "externalRelationId": 0 });
            routes::empty_texts_as_octopus_sends(&mut full);
            d.relations.push(state::SimRelation {
                id,
                data: full,
                modified_at: now,
            });
            id
        })
    }

    /// The customer pays: a bank booking in F1 for `amount` on `date` and a balancing of it against the sales
    /// booking, as a bookkeeper reconciling a CODA statement does.
    pub fn reconcile(&self, dossier: i32, booking: &SimBookingKey, amount: Decimal, date: NaiveDate) {
        self.dossier(dossier, |d, now| {
            let relation = d
                .bookings
                .iter()
                .find(|b| {
                    b.bookyear == booking.bookyear
                        && b.journal == booking.journal
                        && b.document_nr == booking.document_nr
                })
                .expect("a booked document")
                .relation_id;
            let bank = d.journal_mut(booking.bookyear, "F1").expect("the seeded bank journal");
            bank.last_booked += 1;
            let nr = bank.last_booked;
            let period = date.format("%Y%m").to_string().parse::<i32>().expect("a period key");
            let data = json!({
                "bookyearKey": { "id": booking.bookyear }, "journalKey": "F1", "documentSequenceNr": nr,
                "bookyearPeriodeNr": period, "documentDate": date.to_string(), "exchangeRate": 1.0,
                "bookingLines": [{ "type": "C", "relationId": relation, "amount": routes::number(-amount) }],
            });
            d.bookings.push(state::SimBooking {
                bookyear: booking.bookyear,
                journal: "F1".into(),
                document_nr: nr,
                amount: -amount,
                relation_id: relation,
                reference: None,
                data,
                modified_at: now,
                attachments: Vec::new(),
            });
            d.balancings.push(SimBalancing {
                debet: (booking.bookyear, booking.journal.clone(), booking.document_nr, -1),
                credit: (booking.bookyear, "F1".into(), nr, 1),
                amount,
                modified_at: now,
                deleted: false,
            });
        });
    }

    /// The bookkeeper undoes every reconciliation of a sales booking.
    pub fn unreconcile(&self, dossier: i32, booking: &SimBookingKey) {
        self.dossier(dossier, |d, now| {
            for b in d.balancings.iter_mut().filter(|b| {
                !b.deleted && b.debet == (booking.bookyear, booking.journal.clone(), booking.document_nr, -1)
            }) {
                b.deleted = true;
                b.modified_at = now;
            }
        });
    }

    /// Every booking of a dossier, as received: (key, amount, reference, data). The purchases the standard dossier
    /// starts with (journals A1 and F2, where the sync never books) are not among them.
    pub fn bookings(&self, dossier: i32) -> Vec<(SimBookingKey, Decimal, Option<String>, Value)> {
        self.dossier(dossier, |d, _| {
            d.bookings
                .iter()
                .filter(|b| !SEEDED_PURCHASE_JOURNALS.contains(&b.journal.as_str()))
                .map(|b| {
                    let key = SimBookingKey {
                        bookyear: b.bookyear,
                        journal: b.journal.clone(),
                        document_nr: b.document_nr,
                    };
                    (key, b.amount, b.reference.clone(), b.data.clone())
                })
                .collect()
        })
    }

    /// A bookkeeper (or an earlier version of the sync) changed a stored booking's text fields: `edit` gets its
    /// service data; the booking's reference and modification time follow.
    pub fn rewrite_booking(&self, dossier: i32, key: &SimBookingKey, edit: impl FnOnce(&mut Value)) {
        self.dossier(dossier, |d, now| {
            let b = d
                .bookings
                .iter_mut()
                .find(|b| b.bookyear == key.bookyear && b.journal == key.journal && b.document_nr == key.document_nr)
                .expect("a stored booking");
            edit(&mut b.data);
            b.reference = b.data["reference"].as_str().map(str::to_owned);
            b.modified_at = now;
        });
    }

    /// Switches a dossier's document storage (Octopus's DMS) on or off; without it, bookings with files are refused.
    pub fn set_document_storage(&self, dossier: i32, on: bool) {
        self.dossier(dossier, |d, _| d.document_storage = on);
    }

    /// The files stored with a booking: (file name, bytes).
    pub fn attachments(&self, dossier: i32, key: &SimBookingKey) -> Vec<(String, Vec<u8>)> {
        self.dossier(dossier, |d, _| {
            d.bookings
                .iter()
                .find(|b| b.bookyear == key.bookyear && b.journal == key.journal && b.document_nr == key.document_nr)
                .map(|b| b.attachments.clone())
                .unwrap_or_default()
        })
    }

    /// Every relation of a dossier, as Octopus would return it.
    pub fn relations(&self, dossier: i32) -> Vec<Value> {
        self.dossier(dossier, |d, _| d.relations.iter().map(|r| r.data.clone()).collect())
    }

    pub fn last_booked(&self, dossier: i32, bookyear: i32, journal: &str) -> i32 {
        self.dossier(dossier, |d, _| {
            d.journal_mut(bookyear, journal).expect("a seeded journal").last_booked
        })
    }

    /// Calls of `op` received today (the simulator's budget day of the simulated clock), refused ones included.
    pub fn calls_today(&self, op: Operation) -> u32 {
        let s = self.state();
        let day = routes::sim_day(s.now());
        s.calls.get(&(day, budget_name(op))).copied().unwrap_or(0)
    }

    /// Octopus grants this software house `limit` calls a day of `op` instead of the documented number.
    pub fn grant(&self, op: Operation, limit: u32) {
        self.state().granted_limits.insert(budget_name(op), limit);
    }

    /// The daily limit the simulator enforces for `op`, read from the official document.
    pub fn documented_limit(op: Operation) -> Option<u32> {
        let (method, path, query) = sample_request(op);
        routes::budget_of(method, path, &query).1
    }

    /// Calls refused because their operation's daily limit was reached. A well-behaved client keeps this empty.
    pub fn over_limit(&self) -> Vec<Operation> {
        self.state().over_limit.clone()
    }

    /// Every call received, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.state().received.clone()
    }

    /// Calls received per operation (all days), for reports.
    pub fn received_per_operation(&self) -> std::collections::BTreeMap<&'static str, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for r in self.state().received.iter() {
            *counts.entry(r.operation.operation_id()).or_default() += 1;
        }
        counts
    }
}

impl OctopusSim {
    /// Octopus forgets every token it issued (as after a restart): the next call with an old token gets 401.
    pub fn revoke_tokens(&self) {
        let mut guard = self.state();
        let s = &mut *guard;
        let logins = s.auth_tokens.drain().map(|(t, _)| t);
        let dossiers = s.dossier_tokens.drain().map(|(t, _)| t);
        s.revoked.extend(logins.chain(dossiers).collect::<Vec<_>>());
    }

    /// Every token and credential the simulator ever handed out or knows (for the no-secret-in-logs check).
    pub fn every_secret(&self) -> Vec<String> {
        let mut all = self.state().issued.clone();
        all.extend([PASSWORD.to_owned(), SOFTWARE_HOUSE_UUID.to_owned()]);
        all
    }

    /// Calls of `op` received so far (all days).
    pub fn count(&self, op: Operation) -> usize {
        self.state().received.iter().filter(|r| r.operation == op).count()
    }
}

/// A dossier with bookyear 2026, the six journals, the accounts and the VAT codes of the standard seed.
fn standard_dossier(id: i32, name: &str, vat_nr: &str, now: DateTime<Utc>) -> SimDossier {
    let mut d = SimDossier::new(id, name, vat_nr);
    d.bookyears.push(calendar_bookyear(1, 2026));
    for (key, name, insertion) in [
        ("V1", "Verkopen", Some(1)),
        ("V2", "Creditnota's verkoop", Some(1)),
        ("V3", "Verkoopsfacturen", Some(2)),
        ("A1", "Aankopen", None),
        ("F1", "Bank KBC", None),
        ("D1", "Diverse", None),
    ] {
        d.journals.push(SimJournal {
            bookyear: 1,
            key: key.into(),
            name: name.into(),
            insertion_type: insertion,
            last_booked: 0,
            closed: false,
            locked: false,
            closed_period: None,
        });
    }
    for (number, name) in [
        (400000, "Handelsdebiteuren"),
        (451000, "Te betalen btw"),
        (550000, "Bank KBC"),
        (604000, "Aankopen handelsgoederen"),
        (700000, "Omzet goederen"),
        (700100, "Omzet diensten"),
        (701000, "Omzet intracommunautair"),
        (704000, "Omzet export"),
        (743000, "Diverse opbrengsten"),
        (499000, "Wachtrekening"),
    ] {
        d.accounts.push(SimAccount {
            bookyear: 1,
            number,
            description_nl: name.into(),
            modified_at: now,
        });
    }
    for (code, description, pct) in [
        ("21", "Verkopen 21%", 21),
        ("12", "Verkopen 12%", 12),
        ("06", "Verkopen 6%", 6),
        ("00", "Verkopen 0%", 0),
        ("45", "Medecontractant", 0),
        ("46", "Intracommunautaire levering", 0),
        ("47", "Export buiten EU", 0),
    ] {
        d.vat_codes.push(SimVatCode {
            code: code.into(),
            description: description.into(),
            kind: 2,
            percentage: Decimal::from(pct),
        });
    }
    // Real dossiers have purchase and import codes beside the sales ones (recorded live).
    for (code, description) in [("D21", "Aankopen 21%"), ("I21", "Invoer 21%")] {
        d.vat_codes.push(SimVatCode {
            code: code.into(),
            description: description.into(),
            kind: 1,
            percentage: Decimal::from(21),
        });
    }
    seed_purchases(&mut d, now);
    d
}

/// The journals of the purchases every standard dossier starts with.
pub const SEEDED_PURCHASE_JOURNALS: [&str; 2] = ["A1", "F2"];

/// What a real dossier's feeds carry beside our sales bookings: a purchase invoice in A1 paid from a second bank
/// journal (F2) and reconciled, and a purchase booking without lines. The client must leave them alone.
fn seed_purchases(d: &mut SimDossier, now: DateTime<Utc>) {
    // Reconciled shortly before the simulation starts: inside the sync's first feed windows.
    let now = now - chrono::Duration::hours(2);
    d.journals.push(SimJournal {
        bookyear: 1,
        key: "F2".into(),
        name: "Bank Belfius".into(),
        insertion_type: None,
        last_booked: 1,
        closed: false,
        locked: false,
        closed_period: None,
    });
    d.journal_mut(1, "A1").expect("seeded above").last_booked = 2;
    let purchase = |nr: i32, amount: f64, lines: Value| {
        json!({
            "bookyearKey": { "id": 1 }, "journalKey": "A1", "documentSequenceNr": nr,
            "relationIdentificationServiceData": { "externalRelationId": 0 },
            "bookyearPeriodeNr": 202601, "documentDate": "2026-01-05", "expiryDate": "2026-02-04",
            "amount": -amount, "currencyCode": "EUR", "exchangeRate": 1.0, "bookingLines": lines,
        })
    };
    let lines = json!([{ "accountKey": 604000, "baseAmount": 100.0, "vatCodeKey": "D21", "vatAmount": 21.0 }]);
    for (nr, amount, lines) in [(1, 121.0, lines), (2, 0.0, json!([]))] {
        d.bookings.push(state::SimBooking {
            bookyear: 1,
            journal: "A1".into(),
            document_nr: nr,
            amount: Decimal::try_from(-amount).expect("a small amount"),
            relation_id: None,
            reference: None,
            data: purchase(nr, amount, lines),
            modified_at: now,
            attachments: Vec::new(),
        });
    }
    d.bookings.push(state::SimBooking {
        bookyear: 1,
        journal: "F2".into(),
        document_nr: 1,
        amount: Decimal::from(121),
        relation_id: None,
        reference: None,
        data: json!({
            "bookyearKey": { "id": 1 }, "journalKey": "F2", "documentSequenceNr": 1, "bookyearPeriodeNr": 202601,
            "documentDate": "2026-01-20", "exchangeRate": 1.0,
            "bookingLines": [{ "type": "S", "amount": 121.0 }],
        }),
        modified_at: now,
        attachments: Vec::new(),
    });
    d.balancings.push(SimBalancing {
        debet: (1, "F2".into(), 1, 1),
        credit: (1, "A1".into(), 1, -1),
        amount: Decimal::from(121),
        modified_at: now,
        deleted: false,
    });
}

/// A request of each operation the client knows, as the simulator would receive it: the simulator names and limits
/// it from the official document by this method and path, so the client's table is judged, not copied.
pub fn sample_request(op: Operation) -> (&'static str, &'static str, HashMap<String, String>) {
    use Operation::*;
    let search = || HashMap::from([("vatNr".to_owned(), "BE0477472701".to_owned())]);
    let (method, path) = match op {
        AuthenticateUser => ("POST", "/authentication"),
        GetDossiers => ("GET", "/dossiers"),
        ConnectDossier => ("POST", "/dossiers"),
        GetBookyears => ("GET", "/dossiers/1/bookyears"),
        GetJournals => ("GET", "/dossiers/1/bookyears/1/journals"),
        GetAccounts => ("GET", "/dossiers/1/accounts"),
        GetModifiedAccounts => ("GET", "/dossiers/1/accounts/modified"),
        GetVatCodes => ("GET", "/dossiers/1/vatcodes"),
        SearchRelations => return ("GET", "/dossiers/1/relations", search()),
        GetAllRelations => ("GET", "/dossiers/1/relations"),
        InsertUpdateRelation => ("PUT", "/dossiers/1/relations"),
        GetModifiedRelations => ("GET", "/dossiers/1/relations/modified"),
        InsertBuySellBooking => ("POST", "/dossiers/1/buysellbookings"),
        AddAttachementToBooking => ("POST", "/dossiers/1/bookyears/1/bookings/attachements"),
        GetBuySellBooking => ("GET", "/dossiers/1/buysellbookings"),
        UpdateBuySellBooking => ("PUT", "/dossiers/1/buysellbookings"),
        GetModifiedBuySellBookings => ("GET", "/dossiers/1/buysellbookings/modified"),
        GetModifiedBalancings => ("GET", "/dossiers/1/balancings/modified"),
        InsertBalancing => ("POST", "/dossiers/1/balancings"),
        InsertFinancialDiversBooking => ("POST", "/dossiers/1/financialdiversbookings"),
        GetModifiedFinancialDiversBookings => ("GET", "/dossiers/1/financialdiversbookings/modified"),
        GetReportOpenClient => ("POST", "/dossiers/1/reports/clients/open"),
    };
    (method, path, HashMap::new())
}

/// The simulator's own name for the daily budget `op` spends.
fn budget_name(op: Operation) -> String {
    let (method, path, query) = sample_request(op);
    routes::budget_of(method, path, &query).0
}

impl OctopusSim {
    /// The operationId the official document gives the request the simulator takes for `op`.
    pub fn spec_operation_id(op: Operation) -> String {
        let (method, path, _) = sample_request(op);
        spec::spec()
            .find(method, path)
            .map(|o| o.operation_id.clone())
            .unwrap_or_default()
    }
}
