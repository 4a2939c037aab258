//! The Focus OAuth pair: kept in Secrets Manager (`<prefix>/<connection>/focus-oauth`), renewed before it expires by
//! one instance at a time (a store lease), written back **before** the new access token is used, and with a
//! version-safe write so a concurrent writer is never overwritten silently.
//!
//! Refresh tokens are single-use (docs/partners/focus.md §1): a second refresh with the same token answers 400
//! `invalid_grant`. When that happens the secret is read again — a sibling may have won the race — and only if it
//! still holds the refused token is the connection reported as needing a new authorisation.

use std::time::Duration as StdDuration;

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::error::FocusError;
use super::oauth_secret::FocusOAuthSecret;
use crate::clock::SharedClock;
use crate::domain::ConnectionId;
use crate::store::{Store, StoreError};

const REFRESH_LEASE: &str = "focus-refresh";
const REFRESH_LEASE_DURATION: Duration = Duration::seconds(30);
const REFRESH_WAIT_POLLS: u32 = 200;
const REFRESH_WAIT_POLL: StdDuration = StdDuration::from_millis(50);

/// The token endpoint's answer: `{"token_type":"Bearer","expires_in":3600,"access_token":…,"refresh_token":…}`.
#[derive(Deserialize)]
pub(super) struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    #[serde(default = "an_hour")]
    pub expires_in: i64,
}

fn an_hour() -> i64 {
    3600
}

/// A secret as read, with the version it was read at (for the version-safe write).
#[derive(Clone)]
struct Read {
    secret: FocusOAuthSecret,
    version: String,
}

pub(super) struct TokenManager {
    http: reqwest::Client,
    token_url: String,
    secrets: aws_sdk_secretsmanager::Client,
    secret_id: String,
    store: Store,
    conn: ConnectionId,
    clock: SharedClock,
    owner: String,
    cached: Mutex<Option<Read>>,
    /// The last access token Focus answered 401 to: never used again, whatever its expiry says.
    refused: std::sync::Mutex<Option<String>>,
}

/// A pair just exchanged for an authorisation code, not stored yet.
pub(super) struct ExchangedPair {
    read: Read,
    pair: TokenResponse,
    issued: DateTime<Utc>,
}

impl ExchangedPair {
    pub(super) fn access_token(&self) -> &str {
        &self.pair.access_token
    }

    /// The account the stored authorisation was approved by, if one is recorded.
    pub(super) fn recorded_account(&self) -> Option<&str> {
        self.read.secret.account_id.as_deref()
    }
}

enum Refreshed {
    Pair(TokenResponse),
    InvalidGrant(String),
}

impl TokenManager {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        http: reqwest::Client,
        token_url: String,
        secrets: aws_sdk_secretsmanager::Client,
        secret_id: String,
        store: Store,
        conn: ConnectionId,
        clock: SharedClock,
    ) -> Self {
        Self {
            http,
            token_url,
            secrets,
            secret_id,
            store,
            conn,
            clock,
            owner: format!("focus-{}", uuid::Uuid::new_v4()),
            cached: Mutex::new(None),
            refused: std::sync::Mutex::new(None),
        }
    }

    fn usable(&self, secret: &FocusOAuthSecret) -> Option<SecretString> {
        let refused = self.refused.lock().unwrap_or_else(|e| e.into_inner()).clone();
        secret.usable_access(self.clock.now(), refused.as_deref())
    }

    /// A valid access token, renewed first if it expires within [`REFRESH_MARGIN`].
    pub(super) async fn access_token(&self) -> Result<SecretString, FocusError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().and_then(|r| self.usable(&r.secret)) {
            return Ok(token);
        }
        let read = self.read().await?;
        if let Some(token) = self.usable(&read.secret) {
            *cached = Some(read);
            return Ok(token);
        }
        let (read, token) = self.renew().await?;
        *cached = Some(read);
        Ok(token)
    }

    /// Called after Focus answered 401 to `rejected`: it is never used again, so the next call renews.
    pub(super) async fn rejected(&self, rejected: &SecretString) {
        *self.refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(rejected.expose_secret().to_owned());
    }

    /// Renews under the lease, or waits for the instance that holds it.
    async fn renew(&self) -> Result<(Read, SecretString), FocusError> {
        let leases = self.store.leases();
        for _ in 0..REFRESH_WAIT_POLLS {
            let now = self.clock.now();
            match leases
                .acquire(&self.conn, REFRESH_LEASE, &self.owner, REFRESH_LEASE_DURATION, now)
                .await
            {
                Ok(_) => {
                    let result = self.renew_holding_lease().await;
                    leases.release(&self.conn, REFRESH_LEASE, &self.owner).await?;
                    return result;
                }
                Err(StoreError::LeaseHeld { .. }) => {
                    tokio::time::sleep(REFRESH_WAIT_POLL).await;
                    let read = self.read().await?;
                    if let Some(token) = self.usable(&read.secret) {
                        return Ok((read, token));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(FocusError::RefreshBusy)
    }

    async fn renew_holding_lease(&self) -> Result<(Read, SecretString), FocusError> {
        // A sibling may have renewed between our read and our lease.
        let mut read = self.read().await?;
        let mut recovered = false;
        loop {
            if let Some(token) = self.usable(&read.secret) {
                return Ok((read, token));
            }
            // Without the integration's client id Focus answers `invalid_client`, which would read as a revoked
            // authorisation; the fix is to fill in the secret, not to approve again.
            if read.secret.client_id.trim().is_empty() || read.secret.client_secret.trim().is_empty() {
                return Err(FocusError::SecretInvalid {
                    secret: self.secret_id.clone(),
                    details: "it has no client_id or client_secret yet: register the integration on the Focus \
                              Marketplace and fill both in (README, Deploy steps 3–4)"
                        .into(),
                });
            }
            let Some(refresh_token) = read.secret.refresh_token.clone().filter(|t| !t.trim().is_empty()) else {
                return Err(FocusError::ReauthorizationRequired {
                    details: "no refresh token is stored yet".into(),
                });
            };
            let issued = self.clock.now();
            match self.refresh(&read.secret, &refresh_token).await? {
                Refreshed::Pair(pair) => {
                    let mut secret = read.secret.clone();
                    secret.access_token = Some(pair.access_token);
                    secret.refresh_token = Some(pair.refresh_token);
                    secret.expires_at = Some(issued + Duration::seconds(pair.expires_in));
                    return match self.write(&secret, &read.version).await? {
                        Some(version) => {
                            let token = SecretString::from(secret.access_token.clone().unwrap_or_default());
                            Ok((Read { secret, version }, token))
                        }
                        // Someone stored another pair meanwhile (a new authorisation): theirs wins.
                        None => {
                            let theirs = self.read().await?;
                            match self.usable(&theirs.secret) {
                                Some(token) => Ok((theirs, token)),
                                None => Err(FocusError::RefreshBusy),
                            }
                        }
                    };
                }
                Refreshed::InvalidGrant(details) => {
                    let again = self.read().await?;
                    if recovered || again.secret.refresh_token.as_deref() == Some(refresh_token.as_str()) {
                        return Err(FocusError::ReauthorizationRequired { details });
                    }
                    // A sibling rotated the pair: use theirs (renewing once more if needed).
                    recovered = true;
                    read = again;
                }
            }
        }
    }

    async fn refresh(&self, secret: &FocusOAuthSecret, refresh_token: &str) -> Result<Refreshed, FocusError> {
        let form = [
            ("client_id", secret.client_id.as_str()),
            ("client_secret", secret.client_secret.as_str()),
            ("refresh_token", refresh_token),
            ("grant_type", "refresh_token"),
        ];
        self.token_request(&form).await
    }

    /// Exchanges an authorisation code (the OAuth callback) for a pair, without storing it yet: the caller checks
    /// whose account approved first. Returns the access token and the pair to store.
    pub(super) async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<ExchangedPair, FocusError> {
        let read = self.read().await?;
        let form = [
            ("client_id", read.secret.client_id.as_str()),
            ("client_secret", read.secret.client_secret.as_str()),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect_uri),
        ];
        let issued = self.clock.now();
        match self.token_request(&form).await? {
            Refreshed::Pair(pair) => Ok(ExchangedPair { read, pair, issued }),
            Refreshed::InvalidGrant(details) => Err(FocusError::ReauthorizationRequired { details }),
        }
    }

    /// Stores an exchanged pair with the account that approved it.
    pub(super) async fn store_exchanged(&self, exchanged: ExchangedPair, account_id: String) -> Result<(), FocusError> {
        let ExchangedPair { read, pair, issued } = exchanged;
        let mut secret = read.secret.clone();
        secret.access_token = Some(pair.access_token);
        secret.refresh_token = Some(pair.refresh_token);
        secret.expires_at = Some(issued + Duration::seconds(pair.expires_in));
        secret.authorised_at = Some(issued);
        secret.account_id = Some(account_id);
        self.write(&secret, &read.version)
            .await?
            .ok_or(FocusError::RefreshBusy)?;
        *self.cached.lock().await = None;
        Ok(())
    }

    /// When a person last approved the integration, as the secret records it.
    pub(super) async fn authorised_at(&self) -> Result<Option<DateTime<Utc>>, FocusError> {
        Ok(self.read().await?.secret.authorised_at)
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<Refreshed, FocusError> {
        const ACTION: &str = "oauth2/access_token";
        let response =
            self.http
                .post(&self.token_url)
                .form(form)
                .send()
                .await
                .map_err(|e| FocusError::Unavailable {
                    action: ACTION,
                    details: if e.is_timeout() {
                        "timed out".into()
                    } else {
                        "connection failed".into()
                    },
                })?;
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap_or_default();
        match status {
            200 | 201 => serde_json::from_slice::<serde_json::Value>(&body)
                .and_then(|value| {
                    crate::logging::register_secret_text(&value.to_string());
                    serde_json::from_value(value)
                })
                .map(Refreshed::Pair)
                .map_err(|e| FocusError::UnexpectedResponse {
                    action: ACTION,
                    details: format!("unreadable token answer: {e}"),
                }),
            400 | 401 => {
                // The body names the error ("invalid_grant"); it never holds a token, but we keep only its code.
                let error: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let code = error["error"].as_str().unwrap_or("refused").to_owned();
                Ok(Refreshed::InvalidGrant(format!(
                    "the token endpoint answered {status} {code}"
                )))
            }
            s => Err(FocusError::Unavailable {
                action: ACTION,
                details: format!("HTTP {s}"),
            }),
        }
    }

    async fn read(&self) -> Result<Read, FocusError> {
        // AWSCURRENT named explicitly: the default means the same on AWS, but moto keeps serving the version that was
        // current before an UpdateSecretVersionStage.
        let out = self
            .secrets
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_stage("AWSCURRENT")
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception())
                {
                    FocusError::SecretInvalid {
                        secret: self.secret_id.clone(),
                        details: "it does not exist".into(),
                    }
                } else {
                    FocusError::SecretUnavailable {
                        operation: "read",
                        details: DisplayErrorContext(&e).to_string(),
                    }
                }
            })?;
        let text = out.secret_string().unwrap_or_default();
        crate::logging::register_secret_text(text);
        let secret: FocusOAuthSecret = serde_json::from_str(text).map_err(|e| FocusError::SecretInvalid {
            secret: self.secret_id.clone(),
            // serde's message names the field, never the value.
            details: format!("it is not the expected JSON ({})", e.classify_text()),
        })?;
        Ok(Read {
            secret,
            version: out.version_id().unwrap_or_default().to_owned(),
        })
    }

    /// Writes `secret` as a new version and makes it current only if the current version is still `read_version`.
    /// `None` when another writer moved it meanwhile (nothing of ours became current).
    async fn write(&self, secret: &FocusOAuthSecret, read_version: &str) -> Result<Option<String>, FocusError> {
        let unavailable =
            |operation: &'static str, details: String| FocusError::SecretUnavailable { operation, details };
        let text = serde_json::to_string(secret).map_err(|e| unavailable("write", e.to_string()))?;
        let put = self
            .secrets
            .put_secret_value()
            .secret_id(&self.secret_id)
            .secret_string(text)
            .client_request_token(uuid::Uuid::new_v4().to_string())
            .version_stages("AWSPENDING")
            .send()
            .await
            .map_err(|e| unavailable("write", DisplayErrorContext(&e).to_string()))?;
        let version = put.version_id().unwrap_or_default().to_owned();
        let moved = self
            .secrets
            .update_secret_version_stage()
            .secret_id(&self.secret_id)
            .version_stage("AWSCURRENT")
            .move_to_version_id(&version)
            .remove_from_version_id(read_version)
            .send()
            .await;
        match moved {
            Ok(_) => Ok(Some(version)),
            // AWSCURRENT is no longer on the version we read: someone else wrote first.
            Err(e) if e.code() == Some("InvalidParameterException") => Ok(None),
            Err(e) => Err(unavailable("write", DisplayErrorContext(&e).to_string())),
        }
    }
}

trait ClassifyText {
    fn classify_text(&self) -> &'static str;
}

impl ClassifyText for serde_json::Error {
    fn classify_text(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "a field is missing or of the wrong kind",
            serde_json::error::Category::Eof => "cut short",
        }
    }
}
