//! One connection's partner clients and what an instance keeps of it for a while: its settings (re-read at most
//! every [`SETTINGS_TTL`]) and reference data (every [`REFERENCE_TTL`]) that would otherwise cost a read per
//! document, the journal counters as this instance last left them, and whether bookings or the connection are
//! stopped for now.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::cache::TtlCache;
use super::error::SyncError;
use crate::domain::Code;
use crate::domain::booking::TaxRateInfo;
use crate::domain::{BookyearId, ConnectionId, JournalKey};
use crate::focus::FocusClient;
use crate::octopus::{Bookyear, OctopusClient};
use crate::store::{ConnectionConfig, Pause, Store};

/// Settings are re-read at most this often by one instance, so a mapping fixed by a person is used within a minute.
pub const SETTINGS_TTL: Duration = Duration::minutes(1);
/// Focus tax rates and product categories, and Octopus reference data, are re-read this often by one instance.
pub const REFERENCE_TTL: Duration = Duration::minutes(15);

pub struct Connection {
    pub id: ConnectionId,
    pub focus: FocusClient,
    pub octopus: OctopusClient,
    settings: TtlCache<(), ConnectionConfig>,
    /// When the store last said the connection is not paused.
    not_paused: TtlCache<(), ()>,
    /// Focus tax rates by department: id → rate and description.
    tax_rates: TtlCache<String, HashMap<String, TaxRateInfo>>,
    /// Focus product category → ledger, by department.
    category_ledgers: TtlCache<String, HashMap<String, String>>,
    bookyears: TtlCache<(), Vec<Bookyear>>,
    accounts: TtlCache<BookyearId, HashSet<i32>>,
    sales_vat_codes: TtlCache<(), HashSet<String>>,
    /// The journal counters as this instance last left them (for one-write reservations).
    last_booked: Mutex<HashMap<(BookyearId, JournalKey), u32>>,
    /// The day's booking budget was found spent: no booking is tried before this time (the budget reset).
    bookings_closed_until: Mutex<Option<DateTime<Utc>>>,
    /// Octopus refused a booking's file for lack of document storage: for a while bookings go without files, so a
    /// dossier without storage does not spend two booking calls (and a Focus download) on every document.
    no_document_storage: TtlCache<(), ()>,
}

pub(super) fn unknown_connection(conn: &ConnectionId) -> SyncError {
    SyncError::permanent(
        Code::CONNECTION_UNKNOWN,
        format!("Connection '{conn}' is not set up in this deployment. Run `focus-octopus connect` for it first."),
    )
}

/// A plain mutex's value, also after a panic elsewhere (every write here is a whole value).
fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Connection {
    /// The connection's clients, with its settings as just read (at `now`).
    pub fn new(
        id: ConnectionId,
        focus: FocusClient,
        octopus: OctopusClient,
        settings: ConnectionConfig,
        now: DateTime<Utc>,
    ) -> Self {
        let connection = Self {
            id,
            focus,
            octopus,
            settings: TtlCache::new(SETTINGS_TTL),
            not_paused: TtlCache::new(SETTINGS_TTL),
            tax_rates: TtlCache::new(REFERENCE_TTL),
            category_ledgers: TtlCache::new(REFERENCE_TTL),
            bookyears: TtlCache::new(REFERENCE_TTL),
            accounts: TtlCache::new(REFERENCE_TTL),
            sales_vat_codes: TtlCache::new(REFERENCE_TTL),
            last_booked: Mutex::new(HashMap::new()),
            bookings_closed_until: Mutex::new(None),
            no_document_storage: TtlCache::new(REFERENCE_TTL),
        };
        connection.settings.put((), settings, now);
        connection
    }

    /// When the day's booking budget was seen spent by this instance: the reset time, until it has passed.
    pub fn bookings_closed_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        locked(&self.bookings_closed_until).filter(|until| now < *until)
    }

    pub(super) fn close_bookings_until(&self, until: DateTime<Utc>) {
        *locked(&self.bookings_closed_until) = Some(until);
    }

    /// Whether Octopus refused a file for lack of document storage in the last [`REFERENCE_TTL`].
    pub(super) fn files_refused(&self, now: DateTime<Utc>) -> bool {
        self.no_document_storage.get(&(), now).is_some()
    }

    pub(super) fn refuse_files(&self, now: DateTime<Utc>) {
        self.no_document_storage.put((), (), now);
    }

    /// The connection's settings, re-read at most every [`SETTINGS_TTL`].
    pub async fn settings(&self, store: &Store, now: DateTime<Utc>) -> Result<ConnectionConfig, SyncError> {
        if let Some(config) = self.settings.get(&(), now) {
            return Ok(config);
        }
        let config = store
            .connections()
            .get(&self.id)
            .await?
            .ok_or_else(|| unknown_connection(&self.id))?
            .value;
        self.settings.put((), config.clone(), now);
        Ok(config)
    }

    /// Why the connection is paused, if it is (docs/DESIGN.md §4.5). "Not paused" is remembered for
    /// [`SETTINGS_TTL`], so the poster reads the `PAUSE` item once a minute, not once a document; a pause is always
    /// read again, so a resumed connection is seen at once. (Another instance may meet the refusal itself within that
    /// minute: its pause write then finds the item there and sends no second report.)
    pub async fn paused(&self, store: &Store, now: DateTime<Utc>) -> Result<Option<Pause>, SyncError> {
        if self.not_paused.get(&(), now).is_some() {
            return Ok(None);
        }
        let pause = store.connections().paused(&self.id).await?;
        match pause {
            None => self.not_paused.put((), (), now),
            Some(_) => self.not_paused.forget(&()),
        }
        Ok(pause)
    }

    /// This instance paused the connection, or saw it paused: not to be taken for running from the cache.
    pub(super) fn forget_not_paused(&self) {
        self.not_paused.forget(&());
    }

    /// Forgets cached settings (after a person changed them through this instance).
    pub fn forget_settings(&self) {
        self.settings.forget(&());
    }

    pub(super) async fn tax_rates(
        &self,
        department: &str,
        now: DateTime<Utc>,
    ) -> Result<HashMap<String, TaxRateInfo>, SyncError> {
        match self.tax_rates.get(&department.to_owned(), now) {
            Some(rates) => Ok(rates),
            None => self.refresh_tax_rates(department, now).await,
        }
    }

    /// The department's tax rates read from Focus now (one call), replacing the cached list.
    pub(super) async fn refresh_tax_rates(
        &self,
        department: &str,
        now: DateTime<Utc>,
    ) -> Result<HashMap<String, TaxRateInfo>, SyncError> {
        let rates: HashMap<_, _> = self
            .focus
            .tax_rates(department)
            .await?
            .into_iter()
            .map(|r| {
                let info = TaxRateInfo {
                    rate: r.rate,
                    description: r.description,
                };
                (r.id, info)
            })
            .collect();
        self.tax_rates.put(department.to_owned(), rates.clone(), now);
        Ok(rates)
    }

    pub(super) async fn category_ledgers(
        &self,
        department: &str,
        now: DateTime<Utc>,
    ) -> Result<HashMap<String, String>, SyncError> {
        if let Some(ledgers) = self.category_ledgers.get(&department.to_owned(), now) {
            return Ok(ledgers);
        }
        let ledgers: HashMap<_, _> = self
            .focus
            .product_categories(department)
            .await?
            .into_iter()
            .filter_map(|c| c.ledger_for(department).map(|l| (c.id.clone(), l.to_owned())))
            .collect();
        self.category_ledgers.put(department.to_owned(), ledgers.clone(), now);
        Ok(ledgers)
    }

    pub(super) async fn bookyears(&self, now: DateTime<Utc>) -> Result<Vec<Bookyear>, SyncError> {
        match self.bookyears.get(&(), now) {
            Some(bookyears) => Ok(bookyears),
            None => self.refresh_bookyears(now).await,
        }
    }

    /// Reads the bookyears from Octopus again (a date no cached bookyear covers may be in a new one).
    pub(super) async fn refresh_bookyears(&self, now: DateTime<Utc>) -> Result<Vec<Bookyear>, SyncError> {
        let bookyears = self.octopus.refresh_bookyears().await?;
        self.bookyears.put((), bookyears.clone(), now);
        Ok(bookyears)
    }

    pub(super) async fn accounts(&self, bookyear: BookyearId, now: DateTime<Utc>) -> Result<HashSet<i32>, SyncError> {
        if let Some(accounts) = self.accounts.get(&bookyear, now) {
            return Ok(accounts);
        }
        let accounts: HashSet<i32> = self
            .octopus
            .accounts(bookyear)
            .await?
            .into_iter()
            .map(|a| a.number)
            .collect();
        self.accounts.put(bookyear, accounts.clone(), now);
        Ok(accounts)
    }

    pub(super) async fn sales_vat_codes(&self, now: DateTime<Utc>) -> Result<HashSet<String>, SyncError> {
        if let Some(codes) = self.sales_vat_codes.get(&(), now) {
            return Ok(codes);
        }
        let codes: HashSet<String> = self
            .octopus
            .vat_codes()
            .await?
            .into_iter()
            .filter(|c| c.is_sales())
            .map(|c| c.code)
            .collect();
        self.sales_vat_codes.put((), codes.clone(), now);
        Ok(codes)
    }

    pub(super) fn known_last_booked(&self, bookyear: BookyearId, journal: &JournalKey) -> Option<u32> {
        locked(&self.last_booked).get(&(bookyear, journal.clone())).copied()
    }

    pub(super) fn remember_last_booked(&self, bookyear: BookyearId, journal: &JournalKey, last: Option<u32>) {
        let mut last_booked = locked(&self.last_booked);
        match last {
            Some(last) => last_booked.insert((bookyear, journal.clone()), last),
            None => last_booked.remove(&(bookyear, journal.clone())),
        };
    }
}
