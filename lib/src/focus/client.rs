//! The transport under every Focus action: `POST <api>/<resource>.<action>` with a JSON body, the bearer token from
//! the [`TokenManager`], `X-Api-Version` pinned, paced under the rate limit, 429 waited out, 5xx and lost answers
//! retried with back-off where resending is harmless.

use std::sync::Arc;

use chrono::Duration;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{ErrorBody, FocusError};
use super::oauth::TokenManager;
use super::rate_limit::{Pacer, RateLimitHeaders};
use crate::clock::SharedClock;
use crate::domain::ConnectionId;
use crate::retry::RetryPolicy;
use crate::store::Store;

/// The API version we are written against (docs/partners/focus.md §2.1): pinned so behaviour does not depend on
/// when the OAuth client was registered.
pub const API_VERSION: &str = "2023-09-26";
/// How many 429s in a row one call waits out before giving up (transient).
const MAX_THROTTLED: u32 = 5;

/// Where Focus lives: the API (`https://api.focus.teamleader.eu`) and the OAuth host (`https://focus.teamleader.eu`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FocusEndpoints {
    pub api: String,
    pub oauth: String,
}

impl Default for FocusEndpoints {
    fn default() -> Self {
        Self {
            api: "https://api.focus.teamleader.eu".into(),
            oauth: "https://focus.teamleader.eu".into(),
        }
    }
}

/// A Focus client for one connection. Cheap to clone; clones share the token, the pacer and the HTTP pool.
#[derive(Clone)]
pub struct FocusClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoints: FocusEndpoints,
    tokens: TokenManager,
    pacer: Pacer,
    clock: SharedClock,
    retry: RetryPolicy,
}

impl FocusClient {
    /// `secret_id` names the connection's `focus-oauth` secret.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        endpoints: FocusEndpoints,
        secrets: aws_sdk_secretsmanager::Client,
        secret_id: impl Into<String>,
        conn: ConnectionId,
        store: Store,
        clock: SharedClock,
        retry: RetryPolicy,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(retry.timeout)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let token_url = format!("{}/oauth2/access_token", endpoints.oauth.trim_end_matches('/'));
        let tokens = TokenManager::new(
            http.clone(),
            token_url,
            secrets,
            secret_id.into(),
            store,
            conn,
            clock.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                http,
                endpoints,
                tokens,
                pacer: Pacer::new(clock.clone()),
                clock,
                retry,
            }),
        }
    }

    /// Exchanges the code of the OAuth callback, asks Focus whose account approved (`users.me` with the new token),
    /// and stores the pair with that account. An approval by another account than the one recorded is refused and
    /// nothing is stored, unless `switch_account` (the operator asked for it with `connect-focus --switch-account`).
    /// Returns the approving account.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        switch_account: bool,
    ) -> Result<String, FocusError> {
        let exchanged = self.inner.tokens.exchange_code(code, redirect_uri).await?;
        let me = self.me_with(exchanged.access_token()).await?;
        if let Some(recorded) = exchanged.recorded_account()
            && recorded != me.account.id
            && !switch_account
        {
            return Err(FocusError::AccountChanged {
                recorded: recorded.to_owned(),
                approving: me.account.id,
            });
        }
        let account = me.account.id.clone();
        self.inner.tokens.store_exchanged(exchanged, me.account.id).await?;
        Ok(account)
    }

    /// A Focus API request: JSON both ways, the API version we were written against, the bearer token.
    fn post(&self, url: &str, token: &str, body: Vec<u8>) -> reqwest::RequestBuilder {
        self.inner
            .http
            .post(url)
            .bearer_auth(token)
            .header("X-Api-Version", API_VERSION)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
    }

    /// `users.me` with a token that is not stored yet (one request, no retry: the callback page says what failed).
    async fn me_with(&self, token: &str) -> Result<super::Me, FocusError> {
        const ACTION: &str = "users.me";
        let url = format!("{}/{ACTION}", self.inner.endpoints.api.trim_end_matches('/'));
        self.inner.pacer.acquire().await;
        let response = self.post(&url, token, b"{}".to_vec()).send().await;
        let response = match response {
            Ok(r) => r,
            Err(_) => {
                self.inner.pacer.answered(None).await;
                return Err(FocusError::Unavailable {
                    action: ACTION,
                    details: "no answer".into(),
                });
            }
        };
        self.inner
            .pacer
            .answered(Some(RateLimitHeaders::from_headers(response.headers())))
            .await;
        let status = response.status();
        let body = response.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        if !status.is_success() {
            return Err(FocusError::Unavailable {
                action: ACTION,
                details: format!("HTTP {status}"),
            });
        }
        decode(ACTION, &body)
    }

    /// When a person last approved the integration (the OAuth callback), from the secret.
    pub async fn authorised_at(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, FocusError> {
        self.inner.tokens.authorised_at().await
    }

    /// The HTTP pool, for hosts other than the API (a download's temporary URL); never carries the token.
    pub(super) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Sends `action` and reads the `data` of its answer (`None` for 204).
    pub(super) async fn call<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        action: &'static str,
        body: &Req,
    ) -> Result<Option<Resp>, FocusError> {
        let body = serde_json::to_vec(body).map_err(|e| FocusError::UnexpectedResponse {
            action,
            details: format!("request not serialisable: {e}"),
        })?;
        let (status, answer) = self.send(action, &body).await?;
        if status == StatusCode::NO_CONTENT || answer.is_empty() {
            return Ok(None);
        }
        decode(action, &answer).map(Some)
    }

    async fn send(&self, action: &'static str, body: &[u8]) -> Result<(StatusCode, Vec<u8>), FocusError> {
        let inner = &self.inner;
        let resendable = is_resendable(action);
        let url = format!("{}/{action}", inner.endpoints.api.trim_end_matches('/'));
        let mut attempt = 0;
        let mut throttled = 0;
        let mut reauthorised = false;
        loop {
            let token = inner.tokens.access_token().await?;
            inner.pacer.acquire().await;
            let sent = self.post(&url, token.expose_secret(), body.to_vec()).send().await;
            let response = match sent {
                Ok(r) => r,
                Err(e) => {
                    inner.pacer.answered(None).await;
                    attempt += 1;
                    if !resendable {
                        return Err(FocusError::OutcomeUnknown { action });
                    }
                    if attempt >= inner.retry.attempts {
                        return Err(FocusError::Unavailable {
                            action,
                            details: format!(
                                "{}, at {}",
                                if e.is_timeout() { "timed out" } else { "connection lost" },
                                inner.endpoints.api
                            ),
                        });
                    }
                    tokio::time::sleep(inner.retry.delay(attempt)).await;
                    continue;
                }
            };
            let headers = RateLimitHeaders::from_headers(response.headers());
            inner.pacer.answered(Some(headers)).await;
            let status = response.status();
            let answer = response.bytes().await.map(|b| b.to_vec());
            let answer = match answer {
                Ok(a) => a,
                Err(_) if !resendable => return Err(FocusError::OutcomeUnknown { action }),
                Err(_) => {
                    attempt += 1;
                    if attempt >= inner.retry.attempts {
                        return Err(FocusError::Unavailable {
                            action,
                            details: "the answer was cut off".into(),
                        });
                    }
                    continue;
                }
            };
            match status.as_u16() {
                200..=299 => return Ok((status, answer)),
                429 => {
                    throttled += 1;
                    let until = headers
                        .reset
                        .filter(|r| *r > inner.clock.now())
                        .unwrap_or_else(|| inner.clock.now() + Duration::seconds(60));
                    if throttled > MAX_THROTTLED {
                        return Err(FocusError::RateLimited { until });
                    }
                    // Nothing was done: waiting until the window moves and sending again is safe for any action.
                    inner.pacer.exhausted_until(until).await;
                }
                401 if !reauthorised => {
                    reauthorised = true;
                    inner.tokens.rejected(&token).await;
                }
                401 => {
                    return Err(FocusError::ReauthorizationRequired {
                        details: format!("{action} answered 401 twice: {}", ErrorBody::titles(&answer)),
                    });
                }
                404 => return Err(FocusError::NotFound { action }),
                s @ 500..=599 => {
                    attempt += 1;
                    if !resendable {
                        return Err(FocusError::OutcomeUnknown { action });
                    }
                    if attempt >= inner.retry.attempts {
                        return Err(FocusError::Unavailable {
                            action,
                            details: format!("HTTP {s}"),
                        });
                    }
                    tokio::time::sleep(inner.retry.delay(attempt)).await;
                }
                s => {
                    return Err(FocusError::Rejected {
                        action,
                        status: s,
                        titles: ErrorBody::titles(&answer),
                    });
                }
            }
        }
    }
}

/// Reads and idempotent writes may be sent again after a lost answer. Creating a company or registering a payment
/// may not: Focus payments have no id, so a blind resend double-books (docs/partners/focus.md §5.3).
fn is_resendable(action: &str) -> bool {
    !matches!(action, "invoices.registerPayment" | "companies.add")
}

/// `{"filter": …, "page": …}`, the body of every `.list`.
#[derive(Serialize)]
struct ListRequest<'a, F> {
    filter: &'a F,
    page: super::refs::Page,
}

/// `{"id": …}`, the body of every `.info` and of single-record actions.
#[derive(Serialize)]
pub(super) struct Id<'a> {
    pub id: &'a str,
}

impl FocusClient {
    /// One page of a `.list` action.
    pub(super) async fn list_page<F: Serialize, T: DeserializeOwned>(
        &self,
        action: &'static str,
        filter: &F,
        page: super::refs::Page,
    ) -> Result<Vec<T>, FocusError> {
        Ok(self
            .call(action, &ListRequest { filter, page })
            .await?
            .unwrap_or_default())
    }

    /// A `.info` action's record.
    pub(super) async fn info<T: DeserializeOwned>(&self, action: &'static str, id: &str) -> Result<T, FocusError> {
        self.call(action, &Id { id })
            .await?
            .ok_or(FocusError::UnexpectedResponse {
                action,
                details: "no data".into(),
            })
    }
}

#[derive(serde::Deserialize)]
struct Envelope<T> {
    data: T,
}

/// Reads an answer body of `action`. Answers wrap their result in `data`; the introduction documents 201 bodies
/// without it, so both are read. Anything else is [`FocusError::UnexpectedResponse`] (fuzzed in the tests crate).
pub fn decode<Resp: serde::de::DeserializeOwned>(action: &'static str, answer: &[u8]) -> Result<Resp, FocusError> {
    match serde_json::from_slice::<Envelope<Resp>>(answer) {
        Ok(envelope) => Ok(envelope.data),
        Err(wrapped) => serde_json::from_slice::<Resp>(answer).map_err(|_| FocusError::UnexpectedResponse {
            action,
            details: format!("unreadable answer: {wrapped}"),
        }),
    }
}
