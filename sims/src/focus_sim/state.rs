//! What the simulated Focus account holds. Plain data; the rules live in `routes/` (one file per resource), the arithmetic in
//! `totals.rs`.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, NaiveDate, Utc};
use focus_octopus::clock::SharedClock;
use rust_decimal::Decimal;
use serde_json::Value;

pub struct FocusState {
    pub clock: SharedClock,
    pub client_id: String,
    pub client_secret: String,
    pub account_id: String,
    pub user_id: String,
    /// authorisation code → (issued at, redirect URI)
    pub codes: HashMap<String, (DateTime<Utc>, String)>,
    /// access token → expires at
    pub access_tokens: HashMap<String, DateTime<Utc>>,
    /// Codes, access and refresh tokens approved by another account than `account_id` (a user logged in to a
    /// second Focus account when approving): code or token → account id.
    pub other_accounts: HashMap<String, String>,
    /// The account of the request being answered (from its token).
    pub caller_account: Option<String>,
    /// refresh tokens that may still be used (each once)
    pub refresh_tokens: std::collections::HashSet<String>,
    /// Every access and refresh token ever issued.
    pub issued: Vec<String>,
    pub refreshes: u32,
    pub invalid_grants: u32,
    /// Times of the API requests counted in the sliding minute.
    pub window: VecDeque<DateTime<Utc>>,
    pub max_in_window: usize,
    pub throttled: u32,
    /// Times of every API request that reached Focus in the last minute, the ones answered 429 included: what the
    /// client sent, whatever Focus made of it.
    pub sent_window: VecDeque<DateTime<Utc>>,
    pub max_sent_in_minute: usize,
    /// Minutes another integration of the account spent ([`super::FocusSim::other_client_burst`]): until when, and
    /// how many of our requests were answered 429 in it.
    pub storms: Vec<(DateTime<Utc>, u32)>,
    /// Another integration will spend the whole minute just before our next request arrives.
    pub storm_armed: bool,
    /// Our requests answered 429 outside every storm: a client that paces well keeps this at zero.
    pub throttled_outside_storms: u32,
    /// Requests refused with 401 because their access token had expired.
    pub expired_token_refusals: u32,
    /// Injected faults that took effect, by kind (`status`, `answer lost`, `cut`).
    pub faults_fired: std::collections::BTreeMap<&'static str, usize>,
    pub next_id: u64,
    pub departments: Vec<Value>,
    pub tax_rates: Vec<SimTaxRate>,
    pub categories: Vec<Value>,
    pub payment_methods: Vec<Value>,
    pub custom_fields: Vec<Value>,
    pub companies: Vec<Value>,
    pub contacts: Vec<Value>,
    pub documents: Vec<SimDocument>,
    /// (url, types)
    pub webhooks: Vec<(String, Vec<String>)>,
    /// Per action: the next answers' statuses; 0 means "do the work, then cut the connection".
    pub faults: HashMap<String, VecDeque<u16>>,
    pub latency: HashMap<String, std::time::Duration>,
    /// Told when the next request for an action arrives (before its latency and before it is handled).
    pub on_arrival: HashMap<String, tokio::sync::oneshot::Sender<()>>,
    pub received: Vec<FocusReceived>,
    /// Documented as an array; some clients see an object.
    pub credit_note_info_as_array: bool,
    /// Webhook events caused through the API, delivered on the next flush.
    pub outbox: Vec<super::Event>,
    /// Answer 201 with a bare `{type, id}` (the introduction's shape) instead of `{data: {type, id}}`.
    pub created_bare: bool,
    /// Where the temporary download links point (this server's `/files/…`, standing in for Focus's file host).
    pub files_url: String,
    /// Temporary download links: token → (document id, format, expiry).
    pub downloads: HashMap<String, (String, String, DateTime<Utc>)>,
    /// Extra bytes appended to every rendered file (a large PDF, for the bench).
    pub file_padding: usize,
}

#[derive(Debug, Clone)]
pub struct FocusReceived {
    pub action: String,
    pub body: Value,
    pub status: u16,
    pub at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct SimTaxRate {
    pub id: String,
    pub description: String,
    pub rate: Decimal,
    pub department: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Invoice,
    CreditNote,
}

#[derive(Debug, Clone)]
pub struct SimLine {
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub tax_rate: String,
    /// Line discount in percent (0–100).
    pub discount: Option<Decimal>,
    pub category: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SimDocument {
    pub id: String,
    pub kind: DocKind,
    pub department: String,
    pub number: Option<String>,
    pub date: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    /// draft / outstanding / matched (invoices); booked (credit notes)
    pub status: String,
    /// (type, id)
    pub customer: (String, String),
    pub lines: Vec<SimLine>,
    /// Document discount in percent.
    pub discount: Option<Decimal>,
    /// (paid at, amount)
    pub payments: Vec<(DateTime<Utc>, Decimal)>,
    pub invoice: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
    /// Focus's `peppol_status`, once sent through Peppol.
    pub peppol_status: Option<String>,
}

impl FocusState {
    pub fn new(clock: SharedClock) -> Self {
        Self {
            clock,
            client_id: String::new(),
            client_secret: String::new(),
            account_id: String::new(),
            user_id: String::new(),
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            other_accounts: HashMap::new(),
            caller_account: None,
            refresh_tokens: Default::default(),
            issued: Vec::new(),
            refreshes: 0,
            invalid_grants: 0,
            window: VecDeque::new(),
            max_in_window: 0,
            throttled: 0,
            sent_window: VecDeque::new(),
            max_sent_in_minute: 0,
            storms: Vec::new(),
            storm_armed: false,
            throttled_outside_storms: 0,
            expired_token_refusals: 0,
            faults_fired: Default::default(),
            next_id: 0,
            departments: Vec::new(),
            tax_rates: Vec::new(),
            categories: Vec::new(),
            payment_methods: Vec::new(),
            custom_fields: Vec::new(),
            companies: Vec::new(),
            contacts: Vec::new(),
            documents: Vec::new(),
            webhooks: Vec::new(),
            faults: HashMap::new(),
            latency: HashMap::new(),
            on_arrival: HashMap::new(),
            received: Vec::new(),
            credit_note_info_as_array: true,
            outbox: Vec::new(),
            created_bare: false,
            files_url: String::new(),
            downloads: HashMap::new(),
            file_padding: 0,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A fresh UUID-shaped id.
    pub fn new_id(&mut self) -> String {
        self.next_id += 1;
        uuid::Uuid::new_v4().to_string()
    }

    pub fn tax_rate(&self, id: &str) -> Option<&SimTaxRate> {
        self.tax_rates.iter().find(|t| t.id == id)
    }

    pub fn document(&self, id: &str) -> Option<&SimDocument> {
        self.documents.iter().find(|d| d.id == id && !d.deleted)
    }

    pub fn document_mut(&mut self, id: &str) -> Option<&mut SimDocument> {
        self.documents.iter_mut().find(|d| d.id == id && !d.deleted)
    }
}
