//! The webhook receiver (Function URL): `POST /hooks/<connection>/<secret>` → one message on the FIFO queue.
//!
//! Focus signs nothing, so the URL carries the connection's secret, compared in constant time, with the same work
//! done for an unknown connection (404 either way). Whether the connection exists is answered from the connections
//! the table lists, read at most once a minute: a made-up name costs no Secrets Manager call and no table read.
//! Bodies over 64 KiB are refused (413), unreadable ones too (400); other event types are acknowledged and ignored
//! (200). If the queue cannot take the message the answer is
//! 503, so Focus tries again. A refused request writes nothing.

use std::collections::{BTreeSet, HashMap};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::messages::{DocumentMessage, Trigger};
use super::services::{Deployment, SecretKind};
use crate::domain::Code;
use crate::domain::{ConnectionId, DocumentKind, DocumentRef};
use crate::focus::{EventType, WebhookEvent, secrets_match};

pub const MAX_BODY: usize = 64 * 1024;
/// At most this many connections without a secret are remembered (the known ones always are).
pub const MAX_CACHED_CONNECTIONS: usize = 1024;
/// Webhook secrets are re-read this often (a rotated secret takes effect within this time).
const SECRET_TTL: Duration = Duration::minutes(5);
/// The table's list of connections is read again at most this often (a new connection is known within it).
const CONNECTIONS_TTL: Duration = Duration::minutes(1);
/// Compared against when the connection has no secret, so the answer takes as long as a real mismatch.
const DECOY: &str = "decoy-decoy-decoy-decoy-decoy-decoy-decoy-decoy-";

/// A connection's webhook secret (none when it has none) and when it was read.
type CachedSecret = (Option<SecretString>, DateTime<Utc>);

pub struct Receiver {
    secrets: Mutex<HashMap<ConnectionId, CachedSecret>>,
    known: Mutex<Option<(BTreeSet<ConnectionId>, DateTime<Utc>)>>,
}

impl Default for Receiver {
    fn default() -> Self {
        Self::new()
    }
}

/// A request as the receiver's HTTP front end (the Function URL) hands it over.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The path, such as `/hooks/bakkerij/<secret>`.
    pub path: &'a str,
    /// The query string without `?`.
    pub query: &'a str,
    /// The body as sent, base64 when `base64` says so (the Function URL encodes bodies it does not take for text).
    pub body: &'a str,
    pub base64: bool,
}

/// The answer: JSON `{code, message}` for webhooks, a small HTML page for the OAuth callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

/// `code` is a failure's [`Code`] or, for an accepted call, `QUEUED` / `IGNORED`.
fn respond(status: u16, code: impl serde::Serialize, message: &str) -> Response {
    Response {
        status,
        content_type: "application/json",
        body: serde_json::json!({ "code": code, "message": message }).to_string(),
    }
}

fn not_found() -> Response {
    respond(404, Code::NOT_FOUND, "Nothing here.")
}

impl Receiver {
    pub fn new() -> Self {
        Self {
            secrets: Mutex::new(HashMap::new()),
            known: Mutex::new(None),
        }
    }

    pub async fn handle(&self, deployment: &Deployment, request: &Request<'_>) -> Response {
        let (method, path) = (request.method, request.path);
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (connection, presented) = match (method, segments.as_slice()) {
            ("POST", ["hooks", connection, secret]) => (*connection, *secret),
            ("GET", ["oauth", "callback"]) => return self.oauth_callback(deployment, request).await,
            _ => return not_found(),
        };
        let conn = match ConnectionId::new(connection) {
            Ok(conn) => match self.is_known(deployment, &conn).await {
                Ok(true) => Some(conn),
                Ok(false) => None,
                Err(()) => return respond(503, Code::STORE_UNAVAILABLE, "Try again later."),
            },
            Err(_) => None,
        };
        let expected = match &conn {
            Some(conn) => match self.secret(deployment, conn).await {
                Ok(secret) => secret,
                Err(()) => return respond(503, Code::SECRET_UNAVAILABLE, "Try again later."),
            },
            None => None,
        };
        let matches = secrets_match(presented, expected.as_ref().map_or(DECOY, |s| s.expose_secret()));
        let (Some(conn), true, Some(_)) = (conn, matches, expected) else {
            return not_found();
        };
        let body = match read_body(request) {
            Ok(body) => body,
            Err(refused) => return refused.response(),
        };
        let event = match WebhookEvent::parse(&body) {
            Ok(event) => event,
            Err(e) => {
                return respond(
                    400,
                    Code::WEBHOOK_UNREADABLE,
                    &format!("The webhook body is not usable: {e}."),
                );
            }
        };
        let kind = match event.event {
            EventType::InvoiceBooked
            | EventType::InvoiceUpdated
            | EventType::InvoiceDeleted
            | EventType::InvoicePaymentRegistered
            | EventType::InvoicePeppolSubmissionFailed => DocumentKind::Invoice,
            EventType::CreditNoteBooked
            | EventType::CreditNoteUpdated
            | EventType::CreditNoteDeleted
            | EventType::CreditNotePeppolSubmissionFailed => DocumentKind::CreditNote,
            EventType::Other(_) => return respond(200, "IGNORED", "This event type is not synchronised."),
        };
        let Ok(document) = DocumentRef::new(kind, event.subject.id.clone()) else {
            return respond(
                400,
                Code::WEBHOOK_UNREADABLE,
                "The webhook's subject.id is not a Focus id.",
            );
        };
        let message = DocumentMessage::new(conn, document, Trigger::Focus(event.event));
        match super::messages::enqueue(deployment, &message, deployment.clock.now()).await {
            Ok(()) => respond(200, "QUEUED", "Received."),
            Err(e) => {
                tracing::error!(connection = %message.connection, "{e}");
                respond(503, Code::QUEUE_UNAVAILABLE, "Not accepted now; please retry.")
            }
        }
    }

    async fn oauth_callback(&self, deployment: &Deployment, request: &Request<'_>) -> Response {
        let query: HashMap<String, String> = form_urlencoded::parse(request.query.as_bytes()).into_owned().collect();
        let page = |status: u16, title: &str, text: &str| Response {
            status,
            content_type: "text/html; charset=utf-8",
            body: format!("<!doctype html><title>{title}</title><h1>{title}</h1><p>{text}</p>"),
        };
        match super::authorise::oauth_callback(
            deployment,
            query.get("code").map(String::as_str),
            query.get("state").map(String::as_str),
        )
        .await
        {
            Ok(super::authorise::Callback::Connected(conn)) => page(
                200,
                "Focus is connected",
                &format!(
                    "focus-octopus may now read connection '{conn}' in Teamleader Focus. You can close this page."
                ),
            ),
            Ok(super::authorise::Callback::Refused(why)) => page(
                400,
                "Not connected",
                &format!("This link cannot be used ({why}). Run `focus-octopus connect-focus` again for a new one."),
            ),
            Err(e) if crate::domain::Failure::code(&e) == Code::FOCUS_ACCOUNT_CHANGED => {
                tracing::warn!(
                    code = Code::FOCUS_ACCOUNT_CHANGED.as_str(),
                    "OAuth callback refused: {e}"
                );
                // The sentence names both account ids (not secrets) and the flag that allows the switch.
                page(
                    409,
                    "Not connected: another Focus account",
                    &format!("{}: {e}", Code::FOCUS_ACCOUNT_CHANGED),
                )
            }
            Err(e) => {
                tracing::warn!(
                    code = crate::domain::Failure::code(&e).as_str(),
                    "OAuth callback failed: {e}"
                );
                page(
                    502,
                    "Not connected",
                    "Focus did not accept the authorisation. Run `focus-octopus connect-focus` again.",
                )
            }
        }
    }

    /// The connection's webhook secret (cached); `None` when the connection has none. `Err` when Secrets Manager
    /// cannot answer.
    async fn secret(&self, deployment: &Deployment, conn: &ConnectionId) -> Result<Option<SecretString>, ()> {
        let now = deployment.clock.now();
        let mut cache = self.secrets.lock().await;
        if let Some((secret, at)) = cache.get(conn)
            && now - *at < SECRET_TTL
        {
            return Ok(secret.clone());
        }
        let secret = match deployment.read_secret(conn, SecretKind::Webhook).await {
            Ok(s) if !s.expose_secret().trim().is_empty() => Some(s),
            Ok(_) => None,
            Err(e) if crate::domain::Failure::is_transient(&e) => return Err(()),
            Err(_) => None,
        };
        // Bounded whatever the requests: stale entries go, and unknown connections are remembered only while there
        // is room (a flood of made-up connection names must not grow the function's memory).
        cache.retain(|_, (_, at)| now - *at < SECRET_TTL);
        if secret.is_some() || cache.len() < MAX_CACHED_CONNECTIONS {
            cache.insert(conn.clone(), (secret.clone(), now));
        }
        Ok(secret)
    }

    /// Whether the table lists `conn` (the list cached for a minute). `Err` when DynamoDB cannot answer.
    async fn is_known(&self, deployment: &Deployment, conn: &ConnectionId) -> Result<bool, ()> {
        let now = deployment.clock.now();
        let mut known = self.known.lock().await;
        if let Some((list, at)) = known.as_ref()
            && now - *at < CONNECTIONS_TTL
        {
            return Ok(list.contains(conn));
        }
        let list: BTreeSet<ConnectionId> = match deployment.store.connections().list().await {
            Ok(list) => list.into_iter().collect(),
            Err(e) => {
                tracing::warn!("connections not listed: {e}");
                return Err(());
            }
        };
        let found = list.contains(conn);
        *known = Some((list, now));
        Ok(found)
    }

    /// How many connections' secrets (or their absence) are cached.
    pub async fn cached_connections(&self) -> usize {
        self.secrets.lock().await.len()
    }
}

/// Why a body was refused.
enum BodyRefused {
    TooLarge,
    NotBase64,
}

impl BodyRefused {
    fn response(self) -> Response {
        match self {
            BodyRefused::TooLarge => respond(413, Code::WEBHOOK_TOO_LARGE, "The body is larger than 64 KiB."),
            BodyRefused::NotBase64 => respond(400, Code::WEBHOOK_UNREADABLE, "The body is not valid base64."),
        }
    }
}

fn read_body(request: &Request<'_>) -> Result<Vec<u8>, BodyRefused> {
    let raw = request.body;
    let too_large = || BodyRefused::TooLarge;
    if request.base64 {
        if raw.len() > MAX_BODY / 3 * 4 + 4 {
            return Err(too_large());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw)
            .map_err(|_| BodyRefused::NotBase64)?;
        if bytes.len() > MAX_BODY {
            return Err(too_large());
        }
        Ok(bytes)
    } else if raw.len() > MAX_BODY {
        Err(too_large())
    } else {
        Ok(raw.as_bytes().to_vec())
    }
}
