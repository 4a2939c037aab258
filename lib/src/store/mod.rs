//! DynamoDB persistence: one table, one module per item kind (docs/DESIGN.md §3).
//!
//! Every item lives under `pk = CONN#<connection>`. The rules that must hold under concurrency (one lease holder,
//! budgets that never pass their limit, documents that never go back, config versions) are DynamoDB condition
//! expressions, not read-then-write checks, so two Lambda instances cannot break them.

mod budgets;
mod connections;
mod cursors;
mod customers;
mod document_fields;
mod documents;
mod error;
mod journal_complete;
mod journals;
pub mod keys;
mod leases;
mod oauth_states;
mod payments;
mod reference;
mod runs;
mod sequences;
mod tokens;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::domain::ConnectionId;
use serde::de::DeserializeOwned;

pub use budgets::Budgets;
pub use connections::{ConnectionConfig, ConnectionOptions, Connections, Pause, Versioned};
pub use cursors::{CursorName, Cursors};
pub use customers::{CustomerMapping, Customers};
pub use documents::{
    Begun, BookingFile, DocumentRecord, DocumentUpdate, Documents, PostedAmounts, PostedWith, RecordedError,
};
pub use error::StoreError;
pub use journals::{IntentGuard, JournalCounter, JournalIntent, Journals};
pub use leases::{Lease, Leases};
pub use oauth_states::{OAuthStates, STATE_LIFETIME};
pub use payments::{FocusPaymentBooking, PaymentState, PendingPayment};
pub use reference::{Cached, Reference, ReferenceKind};
pub use runs::{RunFailure, RunKind, RunReport, Runs};
pub use sequences::Sequences;
pub use tokens::{OctopusToken, Tokens};

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The table, shared by every connection.
#[derive(Clone, Debug)]
pub struct Store {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl Store {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn connections(&self) -> Connections<'_> {
        Connections { store: self }
    }
    pub fn customers(&self) -> Customers<'_> {
        Customers { store: self }
    }
    pub fn documents(&self) -> Documents<'_> {
        Documents { store: self }
    }
    pub fn journals(&self) -> Journals<'_> {
        Journals { store: self }
    }
    pub fn cursors(&self) -> Cursors<'_> {
        Cursors { store: self }
    }
    pub fn budgets(&self) -> Budgets<'_> {
        Budgets { store: self }
    }
    pub fn leases(&self) -> Leases<'_> {
        Leases { store: self }
    }
    pub fn tokens(&self) -> Tokens<'_> {
        Tokens { store: self }
    }
    pub fn reference(&self) -> Reference<'_> {
        Reference { store: self }
    }
    /// Forgets everything that belongs to the connection's Octopus dossier: the dossier token, the reference-data
    /// caches and the journal counters (they are read again from the new dossier on first use). Refused while a
    /// journal holds an unconfirmed intent: that booking must be settled in the old dossier first.
    pub async fn reset_dossier_state(&self, conn: &ConnectionId) -> Result<(), StoreError> {
        let pk = keys::connection(conn);
        let journals = self.query_prefix(pk.clone(), "JOURNAL#", false, None).await?;
        let mut doomed: Vec<String> = Vec::new();
        for item in journals {
            let counter: JournalCounter = from_item(item)?;
            if let Some(intent) = counter.intent {
                return Err(StoreError::IntentHeld {
                    journal: counter.journal,
                    intent,
                });
            }
            doomed.push(keys::journal(counter.bookyear, &counter.journal));
        }
        doomed.push(keys::OCTOPUS_TOKEN.to_owned());
        for kind in [
            ReferenceKind::Accounts,
            ReferenceKind::VatCodes,
            ReferenceKind::Bookyears,
            ReferenceKind::Journals,
        ] {
            doomed.push(keys::reference(kind.as_str()));
        }
        for sk in doomed {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key(keys::PK, AttributeValue::S(pk.clone()))
                .key(keys::SK, AttributeValue::S(sk))
                .send()
                .await
                .map_err(|e| StoreError::aws("DeleteItem", e))?;
        }
        Ok(())
    }

    pub fn oauth_states(&self) -> OAuthStates<'_> {
        OAuthStates { store: self }
    }

    pub fn runs(&self) -> Runs<'_> {
        Runs { store: self }
    }
    pub fn sequences(&self) -> Sequences<'_> {
        Sequences { store: self }
    }

    /// Writes `item` only if no item has its key: `true` if it was written, `false` if one was there already.
    async fn put_new(&self, item: Item) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if error::is_condition_failure(&e) => Ok(false),
            Err(e) => Err(StoreError::aws("PutItem", e)),
        }
    }

    /// An update of the connection's item `sk` in this table, for the caller to complete.
    fn update_at(
        &self,
        conn: &ConnectionId,
        sk: impl Into<String>,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        let key = item_key(conn, sk);
        self.client.update_item().table_name(&self.table).set_key(Some(key))
    }

    /// A deletion of the connection's item `sk` in this table, for the caller to complete.
    fn delete_at(
        &self,
        conn: &ConnectionId,
        sk: impl Into<String>,
    ) -> aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemFluentBuilder {
        let key = item_key(conn, sk);
        self.client.delete_item().table_name(&self.table).set_key(Some(key))
    }

    /// Strongly consistent read of one item.
    async fn get_item(&self, pk: String, sk: String) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::aws("GetItem", e))?;
        Ok(out.item)
    }

    /// All items of a partition whose sort key starts with `prefix`, following pagination.
    async fn query_prefix(
        &self,
        pk: String,
        prefix: &str,
        newest_first: bool,
        limit: Option<usize>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
                .scan_index_forward(!newest_first)
                .consistent_read(true)
                .set_limit(limit.map(|l| l.min(1000) as i32))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| StoreError::aws("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            if let Some(limit) = limit
                && items.len() >= limit
            {
                items.truncate(limit);
                return Ok(items);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// Items whose `gsi1pk` equals `key` (eventually consistent: GSIs cannot be read consistently).
    async fn query_gsi1(&self, key: String) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::GSI1)
                .key_condition_expression("#g = :g")
                .expression_attribute_names("#g", keys::GSI1PK)
                .expression_attribute_values(":g", AttributeValue::S(key.clone()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| StoreError::aws("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }
}

/// A typed record as a DynamoDB item, with its keys added.
///
/// serde_dynamo writes `None` as a `NULL` attribute, which *exists* for `attribute_not_exists(…)`; our conditions
/// mean "absent", so top-level `NULL`s are dropped.
fn to_item<T: Serialize>(record: &T, pk: String, sk: String) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(record).map_err(|e| StoreError::Corrupt {
        key: format!("{pk} {sk}"),
        reason: e.to_string(),
    })?;
    item.retain(|_, v| !v.is_null());
    item.insert(keys::PK.to_owned(), AttributeValue::S(pk));
    item.insert(keys::SK.to_owned(), AttributeValue::S(sk));
    Ok(item)
}

/// A DynamoDB item as a typed record; key and bookkeeping attributes are ignored by the record's serde.
fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    let key = format!(
        "{} {}",
        item.get(keys::PK).and_then(|v| v.as_s().ok()).map_or("?", |s| s),
        item.get(keys::SK).and_then(|v| v.as_s().ok()).map_or("?", |s| s)
    );
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
        key,
        reason: e.to_string(),
    })
}

fn value<T: Serialize>(v: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(v).map_err(|e| StoreError::Corrupt {
        key: "expression value".into(),
        reason: e.to_string(),
    })
}

/// The key of the connection's item `sk`.
fn item_key(conn: &ConnectionId, sk: impl Into<String>) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (keys::PK.to_owned(), s(keys::connection(conn))),
        (keys::SK.to_owned(), s(sk)),
    ])
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// Timestamps are stored as fixed-width UTC text (`2026-11-28T06:00:00.000Z`) so that they sort as text.
fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// DynamoDB's TTL attribute: epoch seconds.
fn ttl(t: DateTime<Utc>) -> AttributeValue {
    n(t.timestamp())
}

/// Reads a number attribute that an update returned.
fn number_attribute(item: &Item, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}
