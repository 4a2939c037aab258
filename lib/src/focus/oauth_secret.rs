//! What the `focus-oauth` secret holds (the integration's client id and secret, the token pair, who approved and
//! when), and the address a person opens to approve the integration.

use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Refresh this long before the access token expires.
pub const REFRESH_MARGIN: Duration = Duration::minutes(5);

/// The JSON held in the `focus-oauth` secret. `Debug` hides every credential.
#[derive(Clone, Serialize, Deserialize)]
pub struct FocusOAuthSecret {
    pub client_id: String,
    pub client_secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// When a person last approved the integration (the OAuth callback): a connection paused because Focus refused
    /// its authorisation resumes once this is later than the pause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorised_at: Option<DateTime<Utc>>,
    /// The Focus account (`users.me` → `account.id`) that approved: the source of the books. A later approval by
    /// another account is refused unless the operator asked to switch (`connect-focus --switch-account`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

impl std::fmt::Debug for FocusOAuthSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FocusOAuthSecret")
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl FocusOAuthSecret {
    /// The access token if it is valid beyond the renewal margin and Focus has not refused it.
    pub(super) fn usable_access(&self, now: DateTime<Utc>, refused: Option<&str>) -> Option<SecretString> {
        match (&self.access_token, self.expires_at) {
            (Some(token), Some(expires)) if expires > now + REFRESH_MARGIN && Some(token.as_str()) != refused => {
                Some(SecretString::from(token.clone()))
            }
            _ => None,
        }
    }
}

/// The address a user opens to authorise focus-octopus (`GET /oauth2/authorize`).
pub fn authorize_url(base: &str, client_id: &str, redirect_uri: &str, state: &str) -> String {
    let mut url = reqwest::Url::parse(&format!("{}/oauth2/authorize", base.trim_end_matches('/')))
        .unwrap_or_else(|_| reqwest::Url::parse("https://focus.teamleader.eu/oauth2/authorize").expect("valid"));
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("state", state)
        .append_pair("redirect_uri", redirect_uri);
    url.to_string()
}
