//! What the simulated Octopus holds: logins, dossiers and their books. Plain data; the rules live in `routes/`, one file per resource.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use focus_octopus::clock::SharedClock;
use focus_octopus::octopus::Operation;
use rust_decimal::Decimal;
use serde_json::Value;

/// One simulated Octopus service.
pub struct SimState {
    pub clock: SharedClock,
    pub software_house_uuid: String,
    /// user → (password, dossiers this user may open)
    pub users: HashMap<String, (String, Vec<i32>)>,
    pub dossiers: BTreeMap<i32, SimDossier>,
    /// login token → (user, issued at)
    pub auth_tokens: HashMap<String, (String, DateTime<Utc>)>,
    /// dossier token → (dossier, issued at)
    pub dossier_tokens: HashMap<String, (i32, DateTime<Utc>)>,
    pub next_token: u64,
    /// Every login and dossier token ever issued.
    pub issued: Vec<String>,
    /// (budget day, budget name) → calls received
    pub calls: HashMap<(NaiveDate, String), u32>,
    /// Calls refused because the day's limit was reached (our client must keep this at zero).
    pub over_limit: Vec<Operation>,
    /// Daily limits Octopus granted this software house above the documented ones, by budget name (the spec's
    /// operationId; `getRelations-search` / `getRelations-all` for the two limits of `getRelations`).
    pub granted_limits: HashMap<String, u32>,
    pub faults: HashMap<Operation, VecDeque<Fault>>,
    /// Injected faults that took effect, by kind (`status`, `answer lost`, `cut`).
    pub faults_fired: BTreeMap<&'static str, usize>,
    /// Tokens Octopus forgot ([`super::OctopusSim::revoke_tokens`]), and how many calls presented one and got 401.
    pub revoked: std::collections::HashSet<String>,
    pub revoked_token_refusals: u32,
    /// Bookings refused with 403 because their journal was locked, by journal key.
    pub lock_refusals: HashMap<String, u32>,
    pub latency: HashMap<Operation, std::time::Duration>,
    pub received: Vec<Received>,
    /// Fired once the next sales booking is stored (before it is answered): the chaos run kills a poster there.
    pub after_next_booking: Option<tokio::sync::oneshot::Sender<()>>,
}

/// An injected misbehaviour for the next call of an operation.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this status (with an Octopus-shaped body) without doing anything.
    Status(u16),
    /// Do the work, then close the connection without answering.
    CommitThenDrop,
    /// Close the connection without doing anything (a timeout before Octopus got to the request).
    DropBeforeCommit,
}

/// A call as it arrived, for assertions.
#[derive(Debug, Clone)]
pub struct Received {
    pub operation: Operation,
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Value,
    pub status: u16,
}

pub struct SimDossier {
    pub id: i32,
    pub description: String,
    pub vat_nr: String,
    pub bookyears: Vec<SimBookyear>,
    pub journals: Vec<SimJournal>,
    pub accounts: Vec<SimAccount>,
    pub deleted_accounts: Vec<SimAccount>,
    pub vat_codes: Vec<SimVatCode>,
    pub relations: Vec<SimRelation>,
    pub next_relation_id: i32,
    pub bookings: Vec<SimBooking>,
    pub balancings: Vec<SimBalancing>,
    /// Whether the dossier keeps documents (Octopus's DMS); without it a booking with files is refused.
    pub document_storage: bool,
}

pub struct SimBookyear {
    pub id: i32,
    pub description: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub closed: bool,
    /// (period key, start, end)
    pub periods: Vec<(i32, NaiveDate, NaiveDate)>,
}

pub struct SimJournal {
    pub bookyear: i32,
    pub key: String,
    pub name: String,
    pub insertion_type: Option<i32>,
    pub last_booked: i32,
    pub closed: bool,
    /// Someone has it open in the desktop client: every booking gets 403.
    pub locked: bool,
    /// Period key up to which the journal is closed.
    pub closed_period: Option<i32>,
}

#[derive(Clone)]
pub struct SimAccount {
    pub bookyear: i32,
    pub number: i32,
    pub description_nl: String,
    pub modified_at: DateTime<Utc>,
}

pub struct SimVatCode {
    pub code: String,
    pub description: String,
    pub kind: i32,
    pub percentage: Decimal,
}

pub struct SimRelation {
    pub id: i32,
    /// The whole `RelationServiceData` as Octopus would return it.
    pub data: Value,
    pub modified_at: DateTime<Utc>,
}

impl SimRelation {
    pub fn external_id(&self) -> Option<i64> {
        self.data["relationIdentificationServiceData"]["externalRelationId"].as_i64()
    }
}

/// A sales or financial/diverse booking as stored.
pub struct SimBooking {
    pub bookyear: i32,
    pub journal: String,
    pub document_nr: i32,
    pub amount: Decimal,
    pub relation_id: Option<i32>,
    pub reference: Option<String>,
    /// `buySellBookingServiceData` or `financialDiversBookingServiceData`, as received.
    pub data: Value,
    pub modified_at: DateTime<Utc>,
    /// The files sent with the booking: (file name, decoded bytes).
    pub attachments: Vec<(String, Vec<u8>)>,
}

pub struct SimBalancing {
    /// (bookyear, journal, document nr, line nr)
    pub debet: (i32, String, i32, i32),
    pub credit: (i32, String, i32, i32),
    pub amount: Decimal,
    pub modified_at: DateTime<Utc>,
    pub deleted: bool,
}

impl SimState {
    pub fn new(clock: SharedClock) -> Self {
        Self {
            clock,
            software_house_uuid: String::new(),
            users: HashMap::new(),
            dossiers: BTreeMap::new(),
            auth_tokens: HashMap::new(),
            dossier_tokens: HashMap::new(),
            issued: Vec::new(),
            next_token: 0,
            calls: HashMap::new(),
            over_limit: Vec::new(),
            granted_limits: HashMap::new(),
            faults_fired: BTreeMap::new(),
            revoked: Default::default(),
            revoked_token_refusals: 0,
            lock_refusals: HashMap::new(),
            faults: HashMap::new(),
            latency: HashMap::new(),
            received: Vec::new(),
            after_next_booking: None,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn new_token(&mut self, kind: &str) -> String {
        self.next_token += 1;
        // Shaped like a JWT, unique per issue.
        format!("eyJ{kind}.{}.{}", self.next_token, uuid::Uuid::new_v4().simple())
    }
}

impl SimDossier {
    pub fn new(id: i32, description: &str, vat_nr: &str) -> Self {
        Self {
            id,
            description: description.into(),
            vat_nr: vat_nr.into(),
            bookyears: Vec::new(),
            journals: Vec::new(),
            accounts: Vec::new(),
            deleted_accounts: Vec::new(),
            vat_codes: Vec::new(),
            relations: Vec::new(),
            next_relation_id: 1,
            bookings: Vec::new(),
            balancings: Vec::new(),
            document_storage: true,
        }
    }

    pub fn journal_mut(&mut self, bookyear: i32, key: &str) -> Option<&mut SimJournal> {
        self.journals
            .iter_mut()
            .find(|j| j.bookyear == bookyear && j.key == key)
    }

    pub fn relation_index(&self, relation_id: Option<i64>, external_id: Option<i64>) -> Option<usize> {
        if let Some(id) = relation_id.filter(|id| *id != 0) {
            return self.relations.iter().position(|r| i64::from(r.id) == id);
        }
        let ext = external_id.filter(|id| *id != 0)?;
        self.relations.iter().position(|r| r.external_id() == Some(ext))
    }

    /// Σ balanced amounts of a booking line (as debit or credit side), deleted balancings excluded.
    pub fn balanced(&self, key: &(i32, String, i32, i32)) -> Decimal {
        self.balancings
            .iter()
            .filter(|b| !b.deleted && (&b.debet == key || &b.credit == key))
            .map(|b| b.amount)
            .sum()
    }
}

/// A calendar-year bookyear with monthly periods keyed `YYYYMM`, as Belgian dossiers usually have.
pub fn calendar_bookyear(id: i32, year: i32) -> SimBookyear {
    let day = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("valid date");
    let periods = (1..=12)
        .map(|m| {
            let start = day(m, 1);
            let end = if m == 12 {
                day(12, 31)
            } else {
                day(m + 1, 1).pred_opt().expect("valid date")
            };
            (year * 100 + m as i32, start, end)
        })
        .collect();
    SimBookyear {
        id,
        description: year.to_string(),
        start: day(1, 1),
        end: day(12, 31),
        closed: false,
        periods,
    }
}

impl SimBookyear {
    pub fn year(&self) -> i32 {
        self.start.year()
    }
}
