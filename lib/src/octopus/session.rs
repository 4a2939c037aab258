//! The Octopus session of a connection: `POST /authentication` (the login), `POST /dossiers?dossierId=` (the
//! dossier token, 150 a day), and the token's lifecycle: kept in memory, shared with every instance through the
//! store, fetched by one instance under a lease while the others wait for it, forgotten when Octopus refuses it.
//! The transport (`client.rs`) asks for the token and knows nothing of how it is made.

use std::time::Duration as StdDuration;

use chrono::Duration;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::client::{Answer, Call, parse};
use super::{OctopusClient, OctopusError, Operation};
use crate::store::{OctopusToken, StoreError};

/// Dossier tokens live 10 minutes (docs/partners/octopus.md §1); we stop using one a minute before.
const TOKEN_LIFETIME: Duration = Duration::minutes(10);
const TOKEN_MARGIN: Duration = Duration::minutes(1);
const LOGIN_LEASE: &str = "octopus-login";
const LOGIN_LEASE_DURATION: Duration = Duration::seconds(30);
/// How often, and how long apart, an instance looks for the token another instance is fetching.
const LOGIN_WAIT_POLLS: u32 = 200;
const LOGIN_WAIT_POLL: StdDuration = StdDuration::from_millis(50);

/// `Credentials`: the body of `POST /authentication`.
#[derive(Serialize)]
pub(super) struct Credentials<'a> {
    pub user: &'a str,
    pub password: &'a str,
}

/// `AuthenticationToken`.
#[derive(Deserialize)]
pub(super) struct AuthenticationToken {
    pub token: String,
}

/// `DossierTokenResult`: note the capital D, as in the spec and the live traffic.
#[derive(Deserialize)]
pub(super) struct DossierTokenResult {
    #[serde(rename = "Dossiertoken")]
    pub dossier_token: String,
}

impl OctopusClient {
    /// The dossier token: from memory, else from the store (shared by every instance), else a login under a lease
    /// so that many cold instances spend one `POST /dossiers` between them (150 a day).
    pub(super) async fn dossier_token(&self) -> Result<SecretString, OctopusError> {
        let inner = &self.inner;
        let mut memory = inner.token.lock().await;
        if let Some(t) = memory.as_ref()
            && t.valid_until > inner.clock.now() + TOKEN_MARGIN
        {
            return Ok(t.token.clone());
        }
        *memory = None;
        let tokens = inner.store.tokens();
        for _ in 0..LOGIN_WAIT_POLLS {
            let now = inner.clock.now();
            if let Some(t) = tokens.octopus(&inner.conn, inner.dossier, now, TOKEN_MARGIN).await? {
                crate::logging::register_secret(t.token.expose_secret());
                let token = t.token.clone();
                *memory = Some(t);
                return Ok(token);
            }
            let lease = inner
                .store
                .leases()
                .acquire(&inner.conn, LOGIN_LEASE, &inner.owner, LOGIN_LEASE_DURATION, now)
                .await;
            match lease {
                Ok(_) => {
                    let fetched = match tokens.octopus(&inner.conn, inner.dossier, now, TOKEN_MARGIN).await? {
                        // Another instance finished between our read and our lease.
                        Some(t) => Ok(t),
                        None => self.login_and_connect().await,
                    };
                    let stored = match &fetched {
                        Ok(t) => tokens.put_octopus(&inner.conn, t).await.map_err(OctopusError::from),
                        Err(_) => Ok(()),
                    };
                    inner
                        .store
                        .leases()
                        .release(&inner.conn, LOGIN_LEASE, &inner.owner)
                        .await?;
                    let t = fetched?;
                    stored?;
                    let token = t.token.clone();
                    *memory = Some(t);
                    return Ok(token);
                }
                Err(StoreError::LeaseHeld { .. }) => tokio::time::sleep(LOGIN_WAIT_POLL).await,
                Err(e) => return Err(e.into()),
            }
        }
        Err(OctopusError::LoginBusy)
    }

    pub(super) async fn forget_token(&self, token: &SecretString) -> Result<(), OctopusError> {
        let inner = &self.inner;
        let mut memory = inner.token.lock().await;
        if memory
            .as_ref()
            .is_some_and(|t| t.token.expose_secret() == token.expose_secret())
        {
            *memory = None;
        }
        inner.store.tokens().invalidate_octopus(&inner.conn, token).await?;
        Ok(())
    }

    /// `POST /authentication` then `POST /dossiers?dossierId=`.
    async fn login_and_connect(&self) -> Result<OctopusToken, OctopusError> {
        let issued = self.inner.clock.now();
        let auth = self.login().await?;
        let call = Call {
            op: Operation::ConnectDossier,
            method: Method::POST,
            path: "/dossiers".into(),
            query: vec![("dossierId", self.inner.dossier.to_string())],
            body: None,
            headers: Vec::new(),
            resendable: true,
        };
        let answer = self.send(&call, "Token", &auth).await.map_err(|e| match e {
            OctopusError::Rejected { status: 403, error, .. } => OctopusError::DossierRefused {
                dossier: self.inner.dossier,
                details: error.text(),
            },
            // Must not travel on as NotFound: list operations read that as "no data".
            OctopusError::NotFound { .. } => OctopusError::DossierRefused {
                dossier: self.inner.dossier,
                details: "dossier not found".into(),
            },
            OctopusError::Rejected { status: 401, error, .. } => OctopusError::Unauthorized {
                operation: Operation::ConnectDossier,
                details: error.text(),
            },
            other => other,
        })?;
        let result: DossierTokenResult = parse(Operation::ConnectDossier, &answer.body)?;
        crate::logging::register_secret(&result.dossier_token);
        Ok(OctopusToken {
            token: SecretString::from(result.dossier_token),
            valid_until: issued + TOKEN_LIFETIME,
            dossier: self.inner.dossier,
        })
    }

    /// `POST /authentication`. A refusal is never retried: Octopus counts failed logins towards a lockout.
    pub(super) async fn login(&self) -> Result<SecretString, OctopusError> {
        let c = &self.inner.credentials;
        let body = serde_json::to_vec(&Credentials {
            user: &c.user,
            password: c.password.expose_secret(),
        })
        .map_err(|e| OctopusError::UnexpectedResponse {
            operation: Operation::AuthenticateUser,
            details: e.to_string(),
        })?;
        let call = Call {
            op: Operation::AuthenticateUser,
            method: Method::POST,
            path: "/authentication".into(),
            query: Vec::new(),
            body: Some(body),
            headers: Vec::new(),
            resendable: true,
        };
        let house = SecretString::from(c.software_house_uuid.clone());
        let answer = self
            .send(&call, "softwareHouseUuid", &house)
            .await
            .map_err(|e| match e {
                OctopusError::Rejected { status: 401, error, .. } => {
                    OctopusError::CredentialsRejected { details: error.text() }
                }
                OctopusError::NotFound { operation } => OctopusError::UnexpectedResponse {
                    operation,
                    details: "the login address answered 404; check the Octopus base URL".into(),
                },
                other => other,
            })?;
        let token: AuthenticationToken = parse(Operation::AuthenticateUser, &answer.body)?;
        crate::logging::register_secret(&token.token);
        Ok(SecretString::from(token.token))
    }

    /// Sends a call authorised by a fresh login token (`Token` header): only `GET /dossiers`.
    pub(super) async fn execute_with_login(&self, call: &Call) -> Result<Answer, OctopusError> {
        let auth = self.login().await?;
        self.send(call, "Token", &auth).await
    }
}
