//! What a function builds once per cold start (the deployment: AWS clients, partner addresses) and once per
//! connection it meets (partner clients with their credentials, and short-lived caches of settings and reference
//! data that would otherwise cost a read per document).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::error::SyncError;
use crate::clock::SharedClock;
use crate::config::{Env, MissingVariable, vars};
use crate::domain::{BookyearId, ConnectionId, JournalKey};
use crate::focus::{FocusClient, FocusEndpoints};
use crate::octopus::{Bookyear, DailyLimits, OctopusClient, OctopusCredentials};
use crate::retry::RetryPolicy;
use crate::store::{ConnectionConfig, Store};

/// Settings are re-read at most this often by one instance, so a mapping fixed by a person is used within a minute.
pub const SETTINGS_TTL: Duration = Duration::minutes(1);
/// Focus tax rates and product categories, and Octopus reference data, are re-read this often by one instance.
pub const REFERENCE_TTL: Duration = Duration::minutes(15);

/// Where the partners live; the demo and the tests point these at the simulators.
pub mod endpoint_vars {
    pub const FOCUS_API_URL: &str = "FOCUS_API_URL";
    pub const FOCUS_OAUTH_URL: &str = "FOCUS_OAUTH_URL";
    pub const OCTOPUS_API_URL: &str = "OCTOPUS_API_URL";
}

pub const OCTOPUS_API_URL: &str = "https://service.inaras.be/octopus-rest-api/v1";

/// The deployment: shared by every connection a function instance serves.
pub struct Deployment {
    pub store: Store,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub secrets_prefix: String,
    pub focus_endpoints: FocusEndpoints,
    pub octopus_url: String,
    pub clock: SharedClock,
    pub retry: RetryPolicy,
    /// Where run failures are published (the stack's SNS topic), when configured.
    pub reports: Option<(aws_sdk_sns::Client, String)>,
    connections: Mutex<HashMap<ConnectionId, Arc<Connection>>>,
}

/// The three secrets of a connection.
#[derive(Debug, Clone, Copy)]
pub enum SecretKind {
    FocusOAuth,
    Octopus,
    Webhook,
}

impl SecretKind {
    fn suffix(self) -> &'static str {
        match self {
            SecretKind::FocusOAuth => "focus-oauth",
            SecretKind::Octopus => "octopus",
            SecretKind::Webhook => "webhook",
        }
    }

    /// The shape the secret holds, with its values left to fill in (for the message that says how to create it).
    /// The command that creates the secret `name` of this kind (another connection's: the stack creates the first's).
    pub(crate) fn create_command(self, name: &str) -> String {
        format!(
            "`aws secretsmanager create-secret --name {name} --secret-string '{}'`",
            self.placeholder()
        )
    }

    pub(crate) fn placeholder(self) -> &'static str {
        match self {
            SecretKind::FocusOAuth => r#"{"client_id":"…","client_secret":"…"}"#,
            SecretKind::Octopus => r#"{"user":"…","password":"…","software_house_uuid":"…"}"#,
            SecretKind::Webhook => "<a long random string>",
        }
    }
}

/// The Octopus login, as the connection's secret holds it.
#[derive(Deserialize)]
pub(crate) struct OctopusSecret {
    pub user: String,
    pub password: String,
    pub software_house_uuid: String,
}

/// What is wrong with the text of an Octopus secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OctopusSecretProblem {
    /// Not the JSON `{"user", "password", "software_house_uuid"}`.
    NotTheShape,
    /// The stack's placeholder, or partly filled: these fields are empty.
    Unfilled(Vec<&'static str>),
}

impl OctopusSecret {
    /// The login, or what is wrong with the secret's text (nothing is sent anywhere).
    pub(crate) fn parse(text: &str) -> Result<Self, OctopusSecretProblem> {
        let parsed: OctopusSecret = serde_json::from_str(text).map_err(|_| OctopusSecretProblem::NotTheShape)?;
        let empty: Vec<&'static str> = [
            ("user", &parsed.user),
            ("password", &parsed.password),
            ("software_house_uuid", &parsed.software_house_uuid),
        ]
        .into_iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(k, _)| k)
        .collect();
        if empty.is_empty() {
            Ok(parsed)
        } else {
            Err(OctopusSecretProblem::Unfilled(empty))
        }
    }

    /// The command that fills the secret in.
    pub(crate) fn fill_command(name: &str) -> String {
        format!(
            "`aws secretsmanager put-secret-value --secret-id {name} --secret-string '{}'` (README, Deploy step 4)",
            SecretKind::Octopus.placeholder()
        )
    }

    /// Reads the secret, refusing the stack's placeholder (empty fields) before any login is sent: Octopus counts
    /// failed logins against the user.
    pub(crate) fn read(secret: &SecretString, name: &str) -> Result<Self, SyncError> {
        let fix = format!("fill it in: {}. No login was sent to Octopus", Self::fill_command(name));
        Self::parse(secrecy::ExposeSecret::expose_secret(secret)).map_err(|problem| match problem {
            OctopusSecretProblem::NotTheShape => SyncError::permanent(
                "OCTOPUS_SECRET_INVALID",
                format!("The secret {name} must hold {{\"user\", \"password\", \"software_house_uuid\"}}: {fix}."),
            ),
            OctopusSecretProblem::Unfilled(empty) => SyncError::permanent(
                "OCTOPUS_SECRET_UNFILLED",
                format!(
                    "The secret {name} is still the stack's placeholder ({} empty): {fix}.",
                    empty.join(", ")
                ),
            ),
        })
    }
}

impl Deployment {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        secrets: aws_sdk_secretsmanager::Client,
        sqs: aws_sdk_sqs::Client,
        queue_url: String,
        secrets_prefix: String,
        focus_endpoints: FocusEndpoints,
        octopus_url: String,
        clock: SharedClock,
        retry: RetryPolicy,
    ) -> Self {
        Self {
            store,
            secrets,
            sqs,
            queue_url,
            secrets_prefix,
            focus_endpoints,
            octopus_url,
            clock,
            retry,
            reports: None,
            connections: Mutex::new(HashMap::new()),
        }
    }

    /// Publishes run failures to `topic_arn`.
    pub fn with_reports(mut self, sns: aws_sdk_sns::Client, topic_arn: String) -> Self {
        self.reports = Some((sns, topic_arn));
        self
    }

    /// Publishes a run report that has failures or notes to the report topic (if any). Never fails the run.
    pub async fn publish(&self, conn: &ConnectionId, report: &crate::store::RunReport) {
        let Some((sns, topic)) = &self.reports else { return };
        if report.failed.is_empty() && report.notes.is_empty() {
            return;
        }
        let subject = format!(
            "focus-octopus {conn}: {} failed, {} to review",
            report.failed.len(),
            report.notes.len()
        );
        let body = report.to_message();
        if let Err(e) = sns
            .publish()
            .topic_arn(topic)
            .subject(subject)
            .message(body)
            .send()
            .await
        {
            tracing::warn!(connection = %conn, "run report not published: {}", aws_sdk_sns::error::DisplayErrorContext(&e));
        }
    }

    /// This process's deployment, built from the environment on first use and shared afterwards. The functions
    /// call it per event, so their start-up (until they ask Lambda for the first event) sets up no SDK or HTTPS
    /// client; the first event pays that once (`make bench`: cold start).
    pub async fn shared_from_environment() -> Result<Arc<Self>, MissingVariable> {
        static DEPLOYMENT: tokio::sync::OnceCell<Arc<Deployment>> = tokio::sync::OnceCell::const_new();
        DEPLOYMENT
            .get_or_try_init(|| async { Ok(Arc::new(Self::from_environment(&Env::from_process()).await?)) })
            .await
            .cloned()
    }

    /// The deployment of a function: names from the template's environment, AWS from the standard chain,
    /// partner addresses from `FOCUS_API_URL` / `FOCUS_OAUTH_URL` / `OCTOPUS_API_URL` or the real services.
    pub async fn from_environment(env: &Env) -> Result<Self, MissingVariable> {
        let sdk = crate::config::aws_sdk_config().await;
        let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), env.require(vars::TABLE_NAME)?);
        let defaults = FocusEndpoints::default();
        let topic = env.require(vars::REPORT_TOPIC_ARN).ok();
        let deployment = Self::new(
            store,
            aws_sdk_secretsmanager::Client::new(&sdk),
            aws_sdk_sqs::Client::new(&sdk),
            env.require(vars::DOCUMENTS_QUEUE_URL)?,
            env.require(vars::SECRETS_PREFIX)?,
            FocusEndpoints {
                api: env.require(endpoint_vars::FOCUS_API_URL).unwrap_or(defaults.api),
                oauth: env.require(endpoint_vars::FOCUS_OAUTH_URL).unwrap_or(defaults.oauth),
            },
            env.require(endpoint_vars::OCTOPUS_API_URL)
                .unwrap_or_else(|_| OCTOPUS_API_URL.to_owned()),
            Arc::new(crate::clock::SystemClock),
            RetryPolicy::default(),
        );
        Ok(match topic {
            Some(topic) => deployment.with_reports(aws_sdk_sns::Client::new(&sdk), topic),
            None => deployment,
        })
    }

    pub fn secret_name(&self, conn: &ConnectionId, kind: SecretKind) -> String {
        format!("{}/{}/{}", self.secrets_prefix, conn, kind.suffix())
    }

    /// Reads a secret's text. A missing secret is permanent (the connection is not set up); anything else transient.
    pub async fn read_secret(&self, conn: &ConnectionId, kind: SecretKind) -> Result<SecretString, SyncError> {
        let name = self.secret_name(conn, kind);
        let out = self
            .secrets
            .get_secret_value()
            .secret_id(&name)
            .version_stage("AWSCURRENT")
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception())
                {
                    SyncError::permanent(
                        "SECRET_MISSING",
                        format!(
                            "The secret {name} does not exist. The stack creates the first connection's secrets; for \
                             another connection create it: {}.",
                            kind.create_command(&name)
                        ),
                    )
                } else {
                    SyncError::transient(
                        "SECRET_UNAVAILABLE",
                        format!("Secrets Manager could not read {name}; retried."),
                    )
                }
            })?;
        let text = out.secret_string().unwrap_or_default();
        crate::logging::register_secret_text(text);
        Ok(SecretString::from(text.to_owned()))
    }

    /// A Focus client of `conn` alone (the OAuth callback needs no Octopus credentials, and the receiver may not
    /// read them).
    pub fn focus_client(&self, conn: &ConnectionId) -> FocusClient {
        FocusClient::new(
            self.focus_endpoints.clone(),
            self.secrets.clone(),
            self.secret_name(conn, SecretKind::FocusOAuth),
            conn.clone(),
            self.store.clone(),
            self.clock.clone(),
            self.retry,
        )
    }

    /// Drops the connection's services (after its dossier or credentials changed); the next use builds them anew.
    pub async fn forget_connection(&self, conn: &ConnectionId) {
        self.connections.lock().await.remove(conn);
    }

    /// The services of a connection, built on first use by this instance.
    pub async fn connection(&self, conn: &ConnectionId) -> Result<Arc<Connection>, SyncError> {
        let mut connections = self.connections.lock().await;
        if let Some(c) = connections.get(conn) {
            return Ok(c.clone());
        }
        let config = self
            .store
            .connections()
            .get(conn)
            .await?
            .ok_or_else(|| unknown_connection(conn))?;
        let secret = self.read_secret(conn, SecretKind::Octopus).await?;
        let octopus = OctopusSecret::read(&secret, &self.secret_name(conn, SecretKind::Octopus))?;
        let octopus_client = OctopusClient::with_settings(
            self.octopus_url.clone(),
            OctopusCredentials {
                software_house_uuid: octopus.software_house_uuid,
                user: octopus.user,
                password: SecretString::from(octopus.password),
            },
            config.value.octopus_dossier_id,
            conn.clone(),
            self.store.clone(),
            self.clock.clone(),
            DailyLimits::with_overrides(config.value.options.octopus_daily_limits.clone()),
            self.retry,
        );
        let focus_client = self.focus_client(conn);
        let connection = Arc::new(Connection {
            id: conn.clone(),
            focus: focus_client,
            octopus: octopus_client,
            cache: Mutex::new(ConnectionCache {
                settings: Some((config.value, self.clock.now())),
                ..Default::default()
            }),
        });
        connections.insert(conn.clone(), connection.clone());
        Ok(connection)
    }
}

pub(super) fn unknown_connection(conn: &ConnectionId) -> SyncError {
    SyncError::permanent(
        "CONNECTION_UNKNOWN",
        format!("Connection '{conn}' is not set up in this deployment. Run `focus-octopus connect` for it first."),
    )
}

/// One connection's partner clients and caches.
pub struct Connection {
    pub id: ConnectionId,
    pub focus: FocusClient,
    pub octopus: OctopusClient,
    pub(super) cache: Mutex<ConnectionCache>,
}

#[derive(Default)]
pub(super) struct ConnectionCache {
    pub settings: Option<(ConnectionConfig, DateTime<Utc>)>,
    /// Focus tax rates of the department: id → (rate, description).
    pub tax_rates: Option<(HashMap<String, crate::domain::booking::TaxRateInfo>, DateTime<Utc>)>,
    /// Focus product category → ledger for the department.
    pub category_ledgers: Option<(HashMap<String, String>, DateTime<Utc>)>,
    pub bookyears: Option<(Vec<Bookyear>, DateTime<Utc>)>,
    pub accounts: HashMap<BookyearId, (std::collections::HashSet<i32>, DateTime<Utc>)>,
    pub sales_vat_codes: Option<(std::collections::HashSet<String>, DateTime<Utc>)>,
    /// The journal counters as this instance last left them (for one-write reservations).
    pub last_booked: HashMap<(BookyearId, JournalKey), u32>,
    /// The day's booking budget was found spent: no booking is tried before this time (the budget reset).
    pub bookings_closed_until: Option<DateTime<Utc>>,
    /// When the store last said the connection is not paused.
    pub not_paused_at: Option<DateTime<Utc>>,
}

fn fresh<T>(entry: &Option<(T, DateTime<Utc>)>, now: DateTime<Utc>, ttl: Duration) -> Option<&T> {
    entry.as_ref().filter(|(_, at)| now - *at < ttl).map(|(v, _)| v)
}

impl Connection {
    /// When the day's booking budget was seen spent by this instance: the reset time, until it has passed.
    pub async fn bookings_closed_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cache
            .lock()
            .await
            .bookings_closed_until
            .filter(|until| now < *until)
    }

    pub(super) async fn close_bookings_until(&self, until: DateTime<Utc>) {
        self.cache.lock().await.bookings_closed_until = Some(until);
    }

    /// The connection's settings, re-read at most every [`SETTINGS_TTL`].
    pub async fn settings(&self, store: &Store, now: DateTime<Utc>) -> Result<ConnectionConfig, SyncError> {
        let mut cache = self.cache.lock().await;
        if let Some(config) = fresh(&cache.settings, now, SETTINGS_TTL) {
            return Ok(config.clone());
        }
        let config = store
            .connections()
            .get(&self.id)
            .await?
            .ok_or_else(|| unknown_connection(&self.id))?
            .value;
        cache.settings = Some((config.clone(), now));
        Ok(config)
    }

    /// Why the connection is paused, if it is (docs/DESIGN.md §4.5). "Not paused" is remembered for
    /// [`SETTINGS_TTL`], so the poster reads the `PAUSE` item once a minute, not once a document; a pause is always
    /// read again, so a resumed connection is seen at once. (Another instance may meet the refusal itself within that
    /// minute: its pause write then finds the item there and sends no second report.)
    pub async fn paused(&self, store: &Store, now: DateTime<Utc>) -> Result<Option<crate::store::Pause>, SyncError> {
        if let Some(at) = self.cache.lock().await.not_paused_at
            && now - at < SETTINGS_TTL
        {
            return Ok(None);
        }
        let pause = store.connections().paused(&self.id).await?;
        self.cache.lock().await.not_paused_at = pause.is_none().then_some(now);
        Ok(pause)
    }

    /// This instance paused the connection, or saw it paused: not to be taken for running from the cache.
    pub(super) async fn forget_not_paused(&self) {
        self.cache.lock().await.not_paused_at = None;
    }

    /// Forgets cached settings (after a person changed them through this instance).
    pub async fn forget_settings(&self) {
        self.cache.lock().await.settings = None;
    }

    pub(super) async fn tax_rates(
        &self,
        department: &str,
        now: DateTime<Utc>,
    ) -> Result<HashMap<String, crate::domain::booking::TaxRateInfo>, SyncError> {
        if let Some(rates) = fresh(&self.cache.lock().await.tax_rates, now, REFERENCE_TTL) {
            return Ok(rates.clone());
        }
        self.refresh_tax_rates(department, now).await
    }

    /// The department's tax rates read from Focus now (one call), replacing the cached list.
    pub(super) async fn refresh_tax_rates(
        &self,
        department: &str,
        now: DateTime<Utc>,
    ) -> Result<HashMap<String, crate::domain::booking::TaxRateInfo>, SyncError> {
        let rates: HashMap<_, _> = self
            .focus
            .tax_rates(department)
            .await?
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    crate::domain::booking::TaxRateInfo {
                        rate: r.rate,
                        description: r.description,
                    },
                )
            })
            .collect();
        self.cache.lock().await.tax_rates = Some((rates.clone(), now));
        Ok(rates)
    }

    pub(super) async fn category_ledgers(
        &self,
        department: &str,
        now: DateTime<Utc>,
    ) -> Result<HashMap<String, String>, SyncError> {
        if let Some(ledgers) = fresh(&self.cache.lock().await.category_ledgers, now, REFERENCE_TTL) {
            return Ok(ledgers.clone());
        }
        let ledgers: HashMap<_, _> = self
            .focus
            .product_categories(department)
            .await?
            .into_iter()
            .filter_map(|c| c.ledger_for(department).map(|l| (c.id.clone(), l.to_owned())))
            .collect();
        self.cache.lock().await.category_ledgers = Some((ledgers.clone(), now));
        Ok(ledgers)
    }

    pub(super) async fn bookyears(&self, now: DateTime<Utc>) -> Result<Vec<Bookyear>, SyncError> {
        if let Some(b) = fresh(&self.cache.lock().await.bookyears, now, REFERENCE_TTL) {
            return Ok(b.clone());
        }
        let bookyears = self.octopus.bookyears().await?;
        self.cache.lock().await.bookyears = Some((bookyears.clone(), now));
        Ok(bookyears)
    }

    /// Reads the bookyears from Octopus again (a date no cached bookyear covers may be in a new one).
    pub(super) async fn refresh_bookyears(&self, now: DateTime<Utc>) -> Result<Vec<Bookyear>, SyncError> {
        let bookyears = self.octopus.refresh_bookyears().await?;
        self.cache.lock().await.bookyears = Some((bookyears.clone(), now));
        Ok(bookyears)
    }

    pub(super) async fn accounts(
        &self,
        bookyear: BookyearId,
        now: DateTime<Utc>,
    ) -> Result<std::collections::HashSet<i32>, SyncError> {
        {
            let cache = self.cache.lock().await;
            if let Some((accounts, at)) = cache.accounts.get(&bookyear)
                && now - *at < REFERENCE_TTL
            {
                return Ok(accounts.clone());
            }
        }
        let accounts: std::collections::HashSet<i32> = self
            .octopus
            .accounts(bookyear)
            .await?
            .into_iter()
            .map(|a| a.number)
            .collect();
        self.cache
            .lock()
            .await
            .accounts
            .insert(bookyear, (accounts.clone(), now));
        Ok(accounts)
    }

    pub(super) async fn sales_vat_codes(
        &self,
        now: DateTime<Utc>,
    ) -> Result<std::collections::HashSet<String>, SyncError> {
        if let Some(codes) = fresh(&self.cache.lock().await.sales_vat_codes, now, REFERENCE_TTL) {
            return Ok(codes.clone());
        }
        let codes: std::collections::HashSet<String> = self
            .octopus
            .vat_codes()
            .await?
            .into_iter()
            .filter(|c| c.is_sales())
            .map(|c| c.code)
            .collect();
        self.cache.lock().await.sales_vat_codes = Some((codes.clone(), now));
        Ok(codes)
    }

    pub(super) async fn known_last_booked(&self, bookyear: BookyearId, journal: &JournalKey) -> Option<u32> {
        self.cache
            .lock()
            .await
            .last_booked
            .get(&(bookyear, journal.clone()))
            .copied()
    }

    pub(super) async fn remember_last_booked(&self, bookyear: BookyearId, journal: &JournalKey, last: Option<u32>) {
        let mut cache = self.cache.lock().await;
        match last {
            Some(last) => cache.last_booked.insert((bookyear, journal.clone()), last),
            None => cache.last_booked.remove(&(bookyear, journal.clone())),
        };
    }
}
