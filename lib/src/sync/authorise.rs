//! Connecting Focus: the authorize URL (with a single-use `state` naming the connection) and the OAuth callback the
//! receiver's Function URL serves at `GET /oauth/callback`, which exchanges the code and stores the pair. A wrong,
//! used or expired `state` is refused and nothing is stored.

use serde::Serialize;

use super::error::SyncError;
use super::services::{Deployment, SecretKind};
use crate::domain::Code;
use crate::domain::ConnectionId;
use crate::focus::{EventType, FocusOAuthSecret, authorize_url};

#[derive(Debug, Clone, Serialize)]
pub struct AuthorizeLink {
    pub url: String,
    pub expires_in_minutes: i64,
}

/// `text` as an absolute https URL (http only on this machine's loopback, for local runs), or `URL_INVALID` naming
/// the flag: Focus refuses anything else, and a typo would otherwise surface only when Focus calls.
pub fn absolute_url(text: &str, flag: &str) -> Result<reqwest::Url, SyncError> {
    let invalid = |why: &str| {
        SyncError::permanent(
            Code::URL_INVALID,
            format!(
                "{flag} '{text}' {why}. Give the receiver's address as `sam list stack-outputs` shows it \
                 (WebhookBaseUrl), such as https://abc123.lambda-url.eu-west-1.on.aws."
            ),
        )
    };
    let url = reqwest::Url::parse(text.trim()).map_err(|_| invalid("is not an absolute URL"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(invalid(
                "is not https (http is accepted only for 127.0.0.1 and localhost)",
            ));
        }
        _ => return Err(invalid("is not an https URL")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("has no host"));
    }
    Ok(url)
}

/// The address the user opens to authorise focus-octopus in Focus for `conn`.
pub async fn authorize_link(
    deployment: &Deployment,
    conn: &ConnectionId,
    redirect_uri: &str,
    switch_account: bool,
) -> Result<AuthorizeLink, SyncError> {
    let redirect = absolute_url(redirect_uri, "--redirect-uri")?;
    if !redirect.path().ends_with("/oauth/callback") {
        return Err(SyncError::permanent(
            Code::URL_INVALID,
            format!(
                "--redirect-uri '{redirect_uri}' must be the receiver's address followed by /oauth/callback, as \
                 registered on the Focus Marketplace."
            ),
        ));
    }
    let secret = deployment.read_secret(conn, SecretKind::FocusOAuth).await?;
    let oauth: FocusOAuthSecret =
        serde_json::from_str(secrecy::ExposeSecret::expose_secret(&secret)).map_err(|_| {
            SyncError::permanent(
                Code::FOCUS_SECRET_INVALID,
                "The Focus secret must hold {\"client_id\", \"client_secret\"} of the integration; fill them in first.",
            )
        })?;
    if oauth.client_id.trim().is_empty() {
        return Err(SyncError::permanent(
            Code::FOCUS_CLIENT_MISSING,
            "The Focus secret has no client_id yet: register the integration on the Focus Marketplace and store its \
             client_id and client_secret in the secret.",
        ));
    }
    let state = deployment
        .store
        .oauth_states()
        .create(conn, redirect_uri, switch_account, deployment.clock.now())
        .await?;
    Ok(AuthorizeLink {
        url: authorize_url(
            &deployment.focus_endpoints.oauth,
            &oauth.client_id,
            redirect_uri,
            &state,
        ),
        expires_in_minutes: crate::store::STATE_LIFETIME.num_minutes(),
    })
}

/// What the callback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    Connected(ConnectionId),
    /// Unknown, used or expired state, or no code: nothing stored.
    Refused(&'static str),
}

pub async fn oauth_callback(
    deployment: &Deployment,
    code: Option<&str>,
    state: Option<&str>,
) -> Result<Callback, SyncError> {
    let (Some(code), Some(state)) = (code.filter(|c| !c.is_empty()), state) else {
        return Ok(Callback::Refused("the callback has no code or no state"));
    };
    let Some((conn, redirect_uri, switch_account)) = deployment
        .store
        .oauth_states()
        .take(state, deployment.clock.now())
        .await?
    else {
        return Ok(Callback::Refused("the state is unknown, used or expired"));
    };
    deployment
        .focus_client(&conn)
        .exchange_code(code, &redirect_uri, switch_account)
        .await?;
    Ok(Callback::Connected(conn))
}

/// The receiver URL of a connection's webhooks.
pub async fn webhook_url(
    deployment: &Deployment,
    conn: &ConnectionId,
    receiver_url: &str,
) -> Result<String, SyncError> {
    let secret = deployment.read_secret(conn, SecretKind::Webhook).await?;
    Ok(format!(
        "{}/hooks/{conn}/{}",
        receiver_url.trim_end_matches('/'),
        secrecy::ExposeSecret::expose_secret(&secret)
    ))
}

/// Registers (or unregisters) the connection's webhook URL in Focus for every event type the sync uses.
pub async fn set_webhooks(
    deployment: &Deployment,
    conn: &ConnectionId,
    receiver_url: &str,
    register: bool,
) -> Result<Vec<String>, SyncError> {
    absolute_url(receiver_url, "--receiver-url")?;
    let url = webhook_url(deployment, conn, receiver_url).await?;
    let connection = deployment.connection(conn).await?;
    if register {
        connection.focus.register_webhook(&url, &EventType::RELEVANT).await?;
    } else {
        if !connection.focus.webhooks().await?.iter().any(|w| w.url == url) {
            return Err(SyncError::permanent(
                Code::NOT_FOUND,
                format!(
                    "Focus has no webhooks registered at {}/hooks/{conn}/…; nothing was removed. `focus-octopus \
                     doctor --receiver-url <url>` shows what is registered.",
                    receiver_url.trim_end_matches('/')
                ),
            ));
        }
        connection.focus.unregister_webhook(&url, &EventType::RELEVANT).await?;
    }
    Ok(EventType::RELEVANT.iter().map(|t| t.as_str().to_owned()).collect())
}
