//! What a function builds once per cold start, the deployment (AWS clients, partner addresses), and the
//! [`Connection`]s it meets (partner clients with their credentials and caches; `connection.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use secrecy::SecretString;
use std::sync::Mutex;

use super::error::SyncError;
use crate::clock::SharedClock;
use crate::config::{Config, Env, MissingVariables};
use crate::domain::Code;
use crate::domain::ConnectionId;
use crate::focus::{FocusClient, FocusEndpoints};
use crate::octopus::{DailyLimits, OctopusClient, OctopusCredentials};
use crate::retry::RetryPolicy;
use crate::store::Store;

pub(super) use super::connection::unknown_connection;
pub use super::connection::{Connection, REFERENCE_TTL, SETTINGS_TTL};

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

pub use super::secrets::SecretKind;
pub(crate) use super::secrets::{OctopusSecret, OctopusSecretProblem};

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
    pub async fn shared_from_environment() -> Result<Arc<Self>, MissingVariables> {
        static DEPLOYMENT: tokio::sync::OnceCell<Arc<Deployment>> = tokio::sync::OnceCell::const_new();
        DEPLOYMENT
            .get_or_try_init(|| async { Ok(Arc::new(Self::from_environment(&Env::from_process()).await?)) })
            .await
            .cloned()
    }

    /// The deployment of `env` ([`Config::from_env`]), AWS from the standard chain.
    pub async fn from_environment(env: &Env) -> Result<Self, MissingVariables> {
        Ok(Self::from_config(&Config::from_env(env)?).await)
    }

    /// The deployment a configuration names: its table, queue, secrets and partners, the system clock.
    pub async fn from_config(config: &Config) -> Self {
        let sdk = crate::config::aws_sdk_config().await;
        let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), config.table_name.clone());
        let topic = config.report_topic_arn.clone();
        let deployment = Self::new(
            store,
            aws_sdk_secretsmanager::Client::new(&sdk),
            aws_sdk_sqs::Client::new(&sdk),
            config.documents_queue_url.clone(),
            config.secrets_prefix.clone(),
            config.focus.clone(),
            config.octopus_api_url.clone(),
            Arc::new(crate::clock::SystemClock),
            RetryPolicy::default(),
        );
        match topic {
            Some(topic) => deployment.with_reports(aws_sdk_sns::Client::new(&sdk), topic),
            None => deployment,
        }
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
                        Code::SECRET_MISSING,
                        format!(
                            "The secret {name} does not exist. The stack creates the first connection's secrets; for \
                             another connection create it: {}.",
                            kind.create_command(&name)
                        ),
                    )
                } else {
                    SyncError::transient(
                        Code::SECRET_UNAVAILABLE,
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

    /// An Octopus client of `conn` for `dossier`, with the login from the connection's secret (refused before any
    /// login while the secret is the stack's placeholder). The settings may not exist yet (`connect` asks first).
    pub async fn octopus_client(
        &self,
        conn: &ConnectionId,
        dossier: i32,
        limits: DailyLimits,
    ) -> Result<OctopusClient, SyncError> {
        let secret = self.read_secret(conn, SecretKind::Octopus).await?;
        let login = OctopusSecret::read(&secret, &self.secret_name(conn, SecretKind::Octopus))?;
        Ok(OctopusClient::with_settings(
            self.octopus_url.clone(),
            OctopusCredentials {
                software_house_uuid: login.software_house_uuid,
                user: login.user,
                password: SecretString::from(login.password),
            },
            dossier,
            conn.clone(),
            self.store.clone(),
            self.clock.clone(),
            limits,
            self.retry,
        ))
    }

    /// Drops the connection's services (after its dossier or credentials changed); the next use builds them anew.
    pub fn forget_connection(&self, conn: &ConnectionId) {
        self.connections().remove(conn);
    }

    fn connections(&self) -> std::sync::MutexGuard<'_, HashMap<ConnectionId, Arc<Connection>>> {
        self.connections.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The services of a connection, built on first use by this instance.
    /// Two callers that meet a new connection at once both build it, without holding the map (its reads are I/O);
    /// the first stored is the one both use, so one Octopus session serves them (a client logs in on its first call).
    pub async fn connection(&self, conn: &ConnectionId) -> Result<Arc<Connection>, SyncError> {
        if let Some(c) = self.connections().get(conn) {
            return Ok(c.clone());
        }
        let config = self
            .store
            .connections()
            .get(conn)
            .await?
            .ok_or_else(|| unknown_connection(conn))?;
        let limits = DailyLimits::with_overrides(config.value.options.octopus_daily_limits.clone());
        let octopus_client = self
            .octopus_client(conn, config.value.octopus_dossier_id, limits)
            .await?;
        let focus_client = self.focus_client(conn);
        let built = Arc::new(Connection::new(
            conn.clone(),
            focus_client,
            octopus_client,
            config.value,
            self.clock.now(),
        ));
        let connection = self.connections().entry(conn.clone()).or_insert(built).clone();
        Ok(connection)
    }
}
