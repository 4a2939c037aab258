//! The dossiers a login can see: `GET /dossiers` (the login itself and the dossier token are `session.rs`).

use serde::{Deserialize, Serialize};

use super::keys::DossierKey;

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
            headers: Vec::new(),
            resendable: true,
        };
        let answer = self.execute_with_login(&call).await?;
        super::client::parse(call.op, &answer.body)
    }
}
