//! `CONFIG`: the settings of one connection, updated optimistically by version number. `PAUSE`: why the connection
//! stopped reading Focus, while it is stopped.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::error::{is_condition_failure, refused_item};
use super::{Store, StoreError, from_item, keys, to_item};
use crate::domain::{ConnectionId, DocumentFormat, JournalKey};

/// What a bookkeeper chose when connecting Focus to Octopus (docs/DESIGN.md §3, `CONFIG`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionConfig {
    /// Focus account (from `users.me`) whose OAuth pair this connection uses.
    pub focus_account_id: String,
    /// Focus department (company entity) whose documents are synchronised.
    pub focus_department_id: String,
    /// Octopus dossier (`dossierKey.id`) the documents are booked in.
    pub octopus_dossier_id: i32,
    /// Sales journal for invoices, such as `V1`.
    pub invoice_journal: JournalKey,
    /// Sales journal for credit notes, such as `V2`.
    pub credit_note_journal: JournalKey,
    /// Documents dated before this day are skipped.
    pub start_date: NaiveDate,
    /// Focus tax-rate id → Octopus VAT code. Keyed by id: the 0 % variants share a rate and differ only by id.
    #[serde(default)]
    pub vat_codes: BTreeMap<String, String>,
    /// Focus tax-rate id → Octopus ledger account (70…) for lines whose product category has none.
    #[serde(default)]
    pub ledger_by_tax_rate: BTreeMap<String, String>,
    /// Ledger account for lines no other rule maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_ledger_account: Option<String>,
    #[serde(default)]
    pub options: ConnectionOptions,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionOptions {
    /// Skip documents whose total is zero instead of booking them.
    #[serde(default)]
    pub skip_zero_amounts: bool,
    /// Financial or diverse journal for payments registered in Focus (docs/DESIGN.md §4.3); off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_journal: Option<JournalKey>,
    /// Focus payment method used when registering Octopus payments in Focus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus_payment_method_id: Option<String>,
    /// Create Focus companies for Octopus relations on import.
    #[serde(default)]
    pub import_companies: bool,
    /// Octopus daily limits that differ from the documented ones, by budget name (such as `insertBuySellBooking`):
    /// higher if Octopus granted more, lower to keep a reserve for work done by hand.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub octopus_daily_limits: BTreeMap<String, u32>,
    /// The rendering of each document that goes with its booking (PDF unless chosen otherwise); `None`: no file.
    #[serde(default = "default_attachment")]
    pub attachment: Option<DocumentFormat>,
}

fn default_attachment() -> Option<DocumentFormat> {
    Some(DocumentFormat::Pdf)
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        Self {
            skip_zero_amounts: false,
            payment_journal: None,
            focus_payment_method_id: None,
            import_companies: false,
            octopus_daily_limits: BTreeMap::new(),
            attachment: default_attachment(),
        }
    }
}

/// A value together with the version it was read at; pass the version back to update it.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

#[derive(Serialize, Deserialize)]
struct ConfigItem {
    connection: ConnectionId,
    version: u64,
    config: ConnectionConfig,
    updated_at: DateTime<Utc>,
    gsi1pk: String,
    gsi1sk: String,
}

impl ConfigItem {
    fn new(conn: &ConnectionId, config: &ConnectionConfig, version: u64, now: DateTime<Utc>) -> Self {
        Self {
            connection: conn.clone(),
            version,
            config: config.clone(),
            updated_at: now,
            gsi1pk: keys::ALL_CONNECTIONS.to_owned(),
            gsi1sk: conn.to_string(),
        }
    }
}

pub struct Connections<'a> {
    pub(super) store: &'a Store,
}

impl Connections<'_> {
    /// Creates the connection at version 1; refuses if it exists.
    pub async fn create(
        &self,
        conn: &ConnectionId,
        config: &ConnectionConfig,
        now: DateTime<Utc>,
    ) -> Result<Versioned<ConnectionConfig>, StoreError> {
        let item = to_item(
            &ConfigItem::new(conn, config, 1, now),
            keys::connection(conn),
            keys::CONFIG.into(),
        )?;
        if !self.store.put_new(item).await? {
            return Err(StoreError::AlreadyExists {
                what: format!("Connection '{conn}'"),
            });
        }
        Ok(Versioned {
            value: config.clone(),
            version: 1,
        })
    }

    pub async fn get(&self, conn: &ConnectionId) -> Result<Option<Versioned<ConnectionConfig>>, StoreError> {
        let Some(item) = self.store.get_item(keys::connection(conn), keys::CONFIG.into()).await? else {
            return Ok(None);
        };
        let item: ConfigItem = from_item(item)?;
        Ok(Some(Versioned {
            value: item.config,
            version: item.version,
        }))
    }

    /// Replaces the settings if nobody changed them since `expected_version` was read.
    pub async fn update(
        &self,
        conn: &ConnectionId,
        config: &ConnectionConfig,
        expected_version: u64,
        now: DateTime<Utc>,
    ) -> Result<Versioned<ConnectionConfig>, StoreError> {
        let version = expected_version + 1;
        let item = to_item(
            &ConfigItem::new(conn, config, version, now),
            keys::connection(conn),
            keys::CONFIG.into(),
        )?;
        let result = self
            .store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some(item))
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":expected", AttributeValue::N(expected_version.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Versioned {
                value: config.clone(),
                version,
            }),
            Err(e) if is_condition_failure(&e) => {
                let existed = refused_item(e).is_some();
                Err(if existed {
                    StoreError::StaleVersion {
                        connection: conn.to_string(),
                        expected: expected_version,
                    }
                } else {
                    StoreError::NotFound {
                        what: format!("Connection '{conn}'"),
                    }
                })
            }
            Err(e) => Err(StoreError::aws("PutItem", e)),
        }
    }

    /// Every connection of this deployment.
    pub async fn list(&self) -> Result<Vec<ConnectionId>, StoreError> {
        let items = self.store.query_gsi1(keys::ALL_CONNECTIONS.to_owned()).await?;
        let mut ids = items
            .into_iter()
            .map(|item| from_item::<ConfigItem>(item).map(|c| c.connection))
            .collect::<Result<Vec<_>, _>>()?;
        ids.sort();
        Ok(ids)
    }
}

/// A connection stopped because a partner refuses its authorisation: nothing more is asked of that partner until a
/// person authorises again (docs/DESIGN.md §4.5). Documents wait meanwhile, each with this reason on its record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub code: String,
    pub message: String,
    pub since: DateTime<Utc>,
}

impl Connections<'_> {
    /// Pauses the connection. `true` only for the caller that paused it (so one report goes out, not one per
    /// document or run); `false` if it was paused already.
    pub async fn pause(&self, conn: &ConnectionId, pause: &Pause) -> Result<bool, StoreError> {
        let item = to_item(pause, keys::connection(conn), keys::PAUSE.into())?;
        self.store.put_new(item).await
    }

    pub async fn paused(&self, conn: &ConnectionId) -> Result<Option<Pause>, StoreError> {
        self.store
            .get_item(keys::connection(conn), keys::PAUSE.into())
            .await?
            .map(from_item)
            .transpose()
    }

    /// Ends the pause; `true` if the connection was paused.
    pub async fn resume(&self, conn: &ConnectionId) -> Result<bool, StoreError> {
        let out = self
            .store
            .delete_at(conn, keys::PAUSE)
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| StoreError::aws("DeleteItem", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
