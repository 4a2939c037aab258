//! Customers: `GET relations` (search), `PUT relations` (create or merge), `relations/modified`
//! (docs/partners/octopus.md §6).

use serde::{Deserialize, Serialize};

use super::keys::RelationIdentification;
use super::keys::absent::empty_is_none;

/// `RelationServiceData`, with the fields the sync reads or writes. Unknown fields are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relation {
    pub relation_identification_service_data: RelationIdentification,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<bool>,
    /// The client's default revenue account (a 7… account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_booking_account_client: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub street_and_nr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub city: Option<String>,
    /// ISO 3166 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub telephone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub email: Option<String>,
    /// Required by Octopus.
    #[serde(default = "euro")]
    pub currency_code: String,
    /// The customer's bank account (IBAN, electronic form): Octopus's bank import matches a payment by it.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub iban_account_nr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub bic_code: Option<String>,
    /// Belgian numbers as `BE0xxx.xxx.xxx`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub vat_nr: Option<String>,
    /// 0 unknown, 1 BE VAT-liable, 4 intra-EU, 6 outside EU, 7/8/9 private BE/EU/non-EU, 10 not liable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_type: Option<i32>,
    /// Invoice language: 0 NL, 1 FR, 2 EN, 3 DE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact_language: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "empty_is_none")]
    pub extern_customer_nr: Option<String>,
}

fn euro() -> String {
    "EUR".into()
}

/// One search criterion of `GET relations` (Octopus ORs several; we send one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelationSearch {
    RelationId(i32),
    ExternalRelationId(i32),
    Name(String),
    VatNr(String),
}

impl RelationSearch {
    pub(super) fn query(&self) -> (&'static str, String) {
        match self {
            RelationSearch::RelationId(id) => ("relationId", id.to_string()),
            RelationSearch::ExternalRelationId(id) => ("extRelationId", id.to_string()),
            RelationSearch::Name(name) => ("name", name.clone()),
            RelationSearch::VatNr(vat) => ("vatNr", vat.clone()),
        }
    }
}

/// What `PUT relations` did: 201 created (with the relation and its new key), or 204 merged into an existing one.
#[derive(Debug, Clone, PartialEq)]
pub enum RelationUpsert {
    Created(Box<Relation>),
    Updated,
}

/// `SyncRelations`: the `relations/modified` feed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SyncRelations {
    #[serde(default)]
    pub modified: Vec<Relation>,
    #[serde(default)]
    pub deleted: Vec<Relation>,
}

use super::client::{Call, parse};
use super::{OctopusClient, OctopusError, Operation, list_or_empty};
use reqwest::Method;

impl OctopusClient {
    /// `GET relations?<criterion>` (400 a day); active and inactive relations. 404 means none.
    pub async fn search_relations(&self, search: &RelationSearch) -> Result<Vec<Relation>, OctopusError> {
        let call = Call {
            op: Operation::SearchRelations,
            method: Method::GET,
            path: self.dossier_path("/relations"),
            query: vec![search.query()],
            body: None,
            headers: Vec::new(),
            resendable: true,
        };
        list_or_empty(call.op, self.execute(&call).await)
    }

    /// `GET relations` without a criterion: every active relation (only 2 a day).
    pub async fn all_relations(&self) -> Result<Vec<Relation>, OctopusError> {
        let call = Call {
            op: Operation::GetAllRelations,
            method: Method::GET,
            path: self.dossier_path("/relations"),
            query: Vec::new(),
            body: None,
            headers: Vec::new(),
            resendable: true,
        };
        list_or_empty(call.op, self.execute(&call).await)
    }

    /// `PUT relations`: creates the relation, or merges it into the one with the same relation key or external
    /// relation id, so sending it again cannot create a twin.
    pub async fn upsert_relation(&self, relation: &Relation) -> Result<RelationUpsert, OctopusError> {
        let call = Call {
            op: Operation::InsertUpdateRelation,
            method: Method::PUT,
            path: self.dossier_path("/relations"),
            query: Vec::new(),
            body: Some(serde_json::to_vec(relation).expect("a relation serialises")),
            headers: Vec::new(),
            resendable: true,
        };
        let answer = self.execute(&call).await?;
        if answer.status.as_u16() == 201 && !answer.body.is_empty() {
            Ok(RelationUpsert::Created(Box::new(parse(call.op, &answer.body)?)))
        } else {
            Ok(RelationUpsert::Updated)
        }
    }

    /// `GET relations/modified?modifiedTimeStamp=` (48 a day). 404 means nothing changed.
    pub async fn modified_relations(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<SyncRelations, OctopusError> {
        let call = Call {
            op: Operation::GetModifiedRelations,
            method: Method::GET,
            path: self.dossier_path("/relations/modified"),
            query: vec![("modifiedTimeStamp", super::keys::modified_timestamp(since))],
            body: None,
            headers: Vec::new(),
            resendable: true,
        };
        list_or_empty(call.op, self.execute(&call).await)
    }
}
