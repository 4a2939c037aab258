//! Login and dossier selection: `POST /authentication`, `GET /dossiers`, `POST /dossiers?dossierId=`.

use serde::{Deserialize, Serialize};

use super::keys::DossierKey;

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

/// `DossierServiceData`: one dossier the login can see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dossier {
    pub dossier_key: DossierKey,
    #[serde(default)]
    pub dossier_description: Option<String>,
    #[serde(default)]
    pub vat_nr: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
}

impl super::OctopusClient {
    /// `GET /dossiers`: the dossiers this login can see (150 a day).
    pub async fn dossiers(&self) -> Result<Vec<Dossier>, super::OctopusError> {
        let call = super::client::Call {
            op: super::Operation::GetDossiers,
            method: reqwest::Method::GET,
            path: "/dossiers".into(),
            query: Vec::new(),
            body: None,
            resendable: true,
        };
        let answer = self.execute_with_login(&call).await?;
        super::client::parse(call.op, &answer.body)
    }
}
