//! The transport under every Octopus operation: the shared dossier token, the daily budget guard, retries, and the
//! mapping of status codes to [`OctopusError`].

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::Operation;
use super::budget::{DailyLimits, budget_day, budget_resets_at};
use super::error::{ErrorResult, OctopusError};
use crate::clock::SharedClock;
use crate::domain::ConnectionId;
pub use crate::retry::RetryPolicy;
use crate::store::{OctopusToken, Store, StoreError};

/// Where and as whom to log in. `Debug` never shows the password.
#[derive(Debug, Clone)]
pub struct OctopusCredentials {
    /// The software house identification Octopus issued (header `softwareHouseUuid`).
    pub software_house_uuid: String,
    pub user: String,
    pub password: SecretString,
}

/// Daily limits at or below this are too small to spend on resends (see `send`).
const SCARCE_DAILY_LIMIT: u32 = 10;

/// An Octopus client for one connection's dossier. Cheap to clone; clones share the in-memory token.
#[derive(Clone)]
pub struct OctopusClient {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    http: reqwest::Client,
    base_url: String,
    pub(super) credentials: OctopusCredentials,
    pub(super) dossier: i32,
    pub(super) conn: ConnectionId,
    pub(super) store: Store,
    pub(super) clock: SharedClock,
    limits: DailyLimits,
    retry: RetryPolicy,
    pub(super) token: Mutex<Option<OctopusToken>>,
    /// Lease owner name of this instance.
    pub(super) owner: String,
}

/// One request, rebuilt for every send.
pub(super) struct Call {
    pub op: Operation,
    pub method: Method,
    /// Path below the base URL, such as `/dossiers/12/vatcodes`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
    /// Request headers besides the token (an operation taking its parameters as headers).
    pub headers: Vec<(&'static str, String)>,
    /// Whether sending it again after a lost answer is harmless (reads; bookings, whose numbers are gapless; relation
    /// upserts, which merge on our external id). A balancing sent twice could be booked twice.
    pub resendable: bool,
}

/// A 2xx answer.
pub(super) struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

enum Sent {
    Answer(StatusCode, Vec<u8>),
    Lost(String),
}

impl OctopusClient {
    pub fn new(
        base_url: impl Into<String>,
        credentials: OctopusCredentials,
        dossier: i32,
        conn: ConnectionId,
        store: Store,
        clock: SharedClock,
    ) -> Self {
        Self::with_settings(
            base_url,
            credentials,
            dossier,
            conn,
            store,
            clock,
            DailyLimits::default(),
            RetryPolicy::default(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub fn with_settings(
        base_url: impl Into<String>,
        credentials: OctopusCredentials,
        dossier: i32,
        conn: ConnectionId,
        store: Store,
        clock: SharedClock,
        limits: DailyLimits,
        retry: RetryPolicy,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(retry.timeout)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            inner: Arc::new(Inner {
                http,
                base_url: base_url.into().trim_end_matches('/').to_owned(),
                credentials,
                dossier,
                conn,
                store,
                clock,
                limits,
                retry,
                token: Mutex::new(None),
                owner: format!("octopus-{}", uuid::Uuid::new_v4()),
            }),
        }
    }

    pub fn dossier(&self) -> i32 {
        self.inner.dossier
    }

    /// Sends a dossier-scoped call with the shared dossier token. On 401 the token is dropped, a new one fetched,
    /// and the call sent once more; a second 401 is [`OctopusError::Unauthorized`].
    pub(super) async fn execute(&self, call: &Call) -> Result<Answer, OctopusError> {
        let mut token = self.dossier_token().await?;
        for fresh_login in [false, true] {
            match self.send(call, "dossierToken", &token).await {
                Err(OctopusError::Rejected { status: 401, error, .. }) => {
                    self.forget_token(&token).await?;
                    if fresh_login {
                        return Err(OctopusError::Unauthorized {
                            operation: call.op,
                            details: error.text(),
                        });
                    }
                    token = self.dossier_token().await?;
                }
                other => return other,
            }
        }
        unreachable!("the loop returns on its second pass")
    }

    /// Spends budget, sends, retries 5xx and lost answers with back-off, and maps the final status.
    ///
    /// Operations Octopus allows 10 calls a day or fewer (accounts and VAT codes: 2) are sent once per call: every resend
    /// spends the day's budget, and two retried 5xx answers to `vatcodes` spent the whole day, so that the caller
    /// saw a spent budget instead of Octopus's error. Their callers keep serving the cached data; the next run
    /// tries again.
    pub(super) async fn send(
        &self,
        call: &Call,
        token_header: &str,
        token: &SecretString,
    ) -> Result<Answer, OctopusError> {
        let retry = self.inner.retry;
        let scarce = call.op.daily_limit().is_some_and(|limit| limit <= SCARCE_DAILY_LIMIT);
        let attempts = if scarce { 1 } else { retry.attempts };
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.spend(call.op).await?;
            let sent = self.send_once(call, token_header, token).await;
            let last = attempt >= attempts;
            match sent {
                Sent::Answer(status, body) if status.is_success() => return Ok(Answer { status, body }),
                // A 5xx may come after the work was done: only what is harmless to resend is sent again.
                Sent::Answer(status, _) if status.is_server_error() && !call.resendable => {
                    return Err(OctopusError::OutcomeUnknown { operation: call.op });
                }
                Sent::Answer(status, _) if status.is_server_error() && !last => {}
                Sent::Answer(status, body) => return Err(status_error(call.op, status, &body)),
                Sent::Lost(_) if !call.resendable => return Err(OctopusError::OutcomeUnknown { operation: call.op }),
                Sent::Lost(details) if last => {
                    // Where it was sent: a person running the CLI sees which address did not answer.
                    return Err(OctopusError::Unavailable {
                        operation: call.op,
                        details: format!("{details}, at {}", self.inner.base_url),
                    });
                }
                Sent::Lost(_) => {}
            }
            tokio::time::sleep(retry.delay(attempt)).await;
        }
    }

    async fn send_once(&self, call: &Call, token_header: &str, token: &SecretString) -> Sent {
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), format!("{}{}", self.inner.base_url, call.path))
            .header(token_header, token.expose_secret());
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        for (name, value) in &call.headers {
            request = request.header(*name, value);
        }
        request = match &call.body {
            Some(body) => request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone()),
            None => request.header(reqwest::header::CONTENT_LENGTH, 0),
        };
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    Ok(body) => Sent::Answer(status, body.to_vec()),
                    Err(e) => Sent::Lost(transport_text(&e)),
                }
            }
            Err(e) => Sent::Lost(transport_text(&e)),
        }
    }

    /// Takes one call of `op` from today's budget, or refuses without sending.
    async fn spend(&self, op: Operation) -> Result<(), OctopusError> {
        let Some(limit) = self.inner.limits.of(op) else {
            return Ok(());
        };
        let now = self.inner.clock.now();
        match self
            .inner
            .store
            .budgets()
            .spend(&self.inner.conn, op.budget_name(), budget_day(now), limit, 1)
            .await
        {
            Ok(_) => Ok(()),
            Err(StoreError::BudgetExhausted { .. }) => Err(OctopusError::BudgetExhausted {
                operation: op,
                limit,
                resets_at: budget_resets_at(now),
            }),
            Err(e) => Err(e.into()),
        }
    }

    pub(super) fn dossier_path(&self, rest: &str) -> String {
        format!("/dossiers/{}{}", self.inner.dossier, rest)
    }
}

/// Reads an answer body of `op`; anything unreadable is [`OctopusError::UnexpectedResponse`].
pub fn parse<T: serde::de::DeserializeOwned>(op: Operation, body: &[u8]) -> Result<T, OctopusError> {
    serde_json::from_slice(body).map_err(|e| OctopusError::UnexpectedResponse {
        operation: op,
        details: format!("unreadable body: {e}"),
    })
}

fn status_error(op: Operation, status: StatusCode, body: &[u8]) -> OctopusError {
    match status.as_u16() {
        404 => OctopusError::NotFound { operation: op },
        429 => OctopusError::Throttled { operation: op },
        // Octopus documents its 500 as "invalid elements in the passed object (e.g. wrong date format)".
        500 => OctopusError::InvalidData { operation: op },
        s if s >= 500 => OctopusError::Unavailable {
            operation: op,
            details: format!("HTTP {s}"),
        },
        s => OctopusError::Rejected {
            operation: op,
            status: s,
            error: ErrorResult::parse(body),
        },
    }
}

/// A transport failure in words, without the URL (it holds no secret, but keeps messages short).
fn transport_text(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "the connection was lost before the answer arrived".into()
    }
}
