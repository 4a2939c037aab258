//! Reconciliations ("afpunting") and open items (docs/partners/octopus.md §8).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::keys::{BookyearKey, RelationKey};

/// `BalancingKeyServiceData`: one booking line; a sales invoice as a whole is line -1.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalancingKey {
    pub bookyear_key: BookyearKey,
    pub journal_key: String,
    pub document_sequence_nr: i32,
    pub line_sequence_nr: i32,
}

/// `BalancingDocumentServiceData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalancingDocument {
    pub balancing_key: BalancingKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_date: Option<NaiveDate>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::keys::absent::empty_is_none"
    )]
    pub reference: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::keys::absent::empty_is_none"
    )]
    pub comment: Option<String>,
}

/// `BalancingDetailServiceData`: a debit line matched with a credit line. The matched amount has been seen in
/// `creditBalancedBookingAmount` (observed, not documented: docs/partners/octopus.md §8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalancingDetail {
    pub debet_document: BalancingDocument,
    pub credit_document: BalancingDocument,
    #[serde(default, with = "rust_decimal::serde::float")]
    pub debet_balanced_booking_amount: Decimal,
    #[serde(default, with = "rust_decimal::serde::float")]
    pub credit_balanced_booking_amount: Decimal,
}

/// `SyncBalancings`: the `balancings/modified` feed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncBalancings {
    #[serde(default)]
    pub modified_balancings: Vec<BalancingDetail>,
    #[serde(default)]
    pub deleted_balancings: Vec<BalancingDetail>,
}

/// `BalancingServiceData`: the body of `POST balancings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balancing {
    pub debet_key: BalancingKey,
    pub credit_key: BalancingKey,
    #[serde(with = "rust_decimal::serde::float")]
    pub balance_amount: Decimal,
}

/// `OpenRelationQueryData`: -1 for both relation ids means every relation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenItemsQuery {
    pub from_bookyear_key: BookyearKey,
    pub to_bookyear_key: BookyearKey,
    pub from_bookyear_period_nr: i32,
    pub to_bookyear_period_nr: i32,
    pub relation_id: i32,
    pub external_relation_id: i32,
}

/// `OpenData`: one open item.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenItem {
    pub bookyear_key: BookyearKey,
    pub journal_key: String,
    pub document_sequence_nr: i32,
    #[serde(default)]
    pub relation_key: Option<RelationKey>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default, with = "rust_decimal::serde::float_option")]
    pub open_booking_amount: Option<Decimal>,
}

use super::client::Call;
use super::{OctopusClient, OctopusError, Operation, list_or_empty};
use reqwest::Method;

impl OctopusClient {
    /// `GET balancings/modified?modifiedTimeStamp=` (48 a day). 404 means nothing changed.
    pub async fn modified_balancings(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<SyncBalancings, OctopusError> {
        let call = Call {
            op: Operation::GetModifiedBalancings,
            method: Method::GET,
            path: self.dossier_path("/balancings/modified"),
            query: vec![("modifiedTimeStamp", super::keys::modified_timestamp(since))],
            body: None,
            headers: Vec::new(),
            resendable: true,
        };
        list_or_empty(call.op, self.execute(&call).await)
    }

    /// `POST balancings` (400 a day). Never sent twice on a lost answer: the caller checks first.
    pub async fn insert_balancing(&self, balancing: &Balancing) -> Result<(), OctopusError> {
        let call = Call {
            op: Operation::InsertBalancing,
            method: Method::POST,
            path: self.dossier_path("/balancings"),
            query: Vec::new(),
            body: Some(serde_json::to_vec(balancing).expect("a balancing serialises")),
            headers: Vec::new(),
            resendable: false,
        };
        self.execute(&call).await.map(drop)
    }

    /// `POST reports/clients/open` (24 a day). 404 means nothing is open.
    pub async fn open_items(&self, query: &OpenItemsQuery) -> Result<Vec<OpenItem>, OctopusError> {
        let call = Call {
            op: Operation::GetReportOpenClient,
            method: Method::POST,
            path: self.dossier_path("/reports/clients/open"),
            query: Vec::new(),
            body: Some(serde_json::to_vec(query).expect("a query serialises")),
            headers: Vec::new(),
            resendable: true,
        };
        list_or_empty(call.op, self.execute(&call).await)
    }
}
