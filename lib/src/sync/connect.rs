//! `connect` (docs/DESIGN.md §4.4): the Focus departments the authorisation sees, the dossiers the Octopus login
//! can open, only the sales journals that take bookings, and the choice checked against them and stored as the
//! connection's settings. The mapping is `mapping.rs`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::error::SyncError;
use super::services::Deployment;
use crate::domain::Code;
use crate::domain::{BookyearId, ConnectionId, JournalKey};
use crate::octopus::DailyLimits;
use crate::store::{ConnectionConfig, ConnectionOptions};

#[derive(Debug, Clone, Serialize)]
pub struct DossierChoice {
    pub id: i32,
    pub name: String,
    pub vat_number: Option<String>,
}

/// The dossiers the Octopus login can open (checks the credentials too).
pub async fn dossiers(deployment: &Deployment, conn: &ConnectionId) -> Result<Vec<DossierChoice>, SyncError> {
    let client = deployment.octopus_client(conn, 0, DailyLimits::default()).await?;
    Ok(client
        .dossiers()
        .await?
        .into_iter()
        .map(|d| DossierChoice {
            id: d.dossier_key.id,
            name: d.dossier_description.unwrap_or_default(),
            vat_number: d.vat_nr,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct DepartmentChoice {
    pub id: String,
    pub name: String,
    pub vat_number: Option<String>,
}

/// The Focus departments (companies of the account) the stored authorisation can see; archived ones are left out.
pub async fn departments(deployment: &Deployment, conn: &ConnectionId) -> Result<Vec<DepartmentChoice>, SyncError> {
    Ok(deployment
        .focus_client(conn)
        .departments()
        .await?
        .into_iter()
        .filter(|d| d.status.as_deref() != Some("archived"))
        .map(|d| DepartmentChoice {
            id: d.id,
            name: d.name,
            vat_number: d.vat_number,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct JournalChoice {
    pub key: String,
    pub name: String,
    pub bookyear: BookyearId,
}

/// Only sales journals with booking insertion, of the bookyear holding `date`.
pub async fn sales_journals(
    deployment: &Deployment,
    conn: &ConnectionId,
    dossier: i32,
    date: NaiveDate,
) -> Result<Vec<JournalChoice>, SyncError> {
    let client = deployment.octopus_client(conn, dossier, DailyLimits::default()).await?;
    let bookyears = client.refresh_bookyears().await?;
    let by = bookyears.iter().find(|b| b.covers(date)).ok_or_else(|| {
        SyncError::permanent(
            Code::OCTOPUS_BOOKYEAR_MISSING,
            format!("No Octopus bookyear covers {date}. Create it in Octopus first."),
        )
    })?;
    Ok(client
        .refresh_journals(by.id())
        .await?
        .into_iter()
        .filter(|j| j.takes_sales_bookings())
        .map(|j| JournalChoice {
            key: j.journal_key,
            name: j.name,
            bookyear: by.id(),
        })
        .collect())
}

/// What a person chose when connecting.
#[derive(Debug, Clone, Deserialize)]
pub struct Choice {
    pub focus_department_id: String,
    pub dossier: i32,
    pub invoice_journal: JournalKey,
    pub credit_note_journal: JournalKey,
    pub start_date: NaiveDate,
}

impl Choice {
    /// The settings with this choice made (mappings and options stay).
    fn apply_to(&self, config: &mut ConnectionConfig) {
        config.focus_department_id = self.focus_department_id.clone();
        config.octopus_dossier_id = self.dossier;
        config.invoice_journal = self.invoice_journal.clone();
        config.credit_note_journal = self.credit_note_journal.clone();
        config.start_date = self.start_date;
    }
}

/// The settings a [`Choice`] makes, as text, in the order `connect` reports them.
fn choice_of(config: &ConnectionConfig) -> [String; 5] {
    [
        config.focus_department_id.clone(),
        config.octopus_dossier_id.to_string(),
        config.invoice_journal.to_string(),
        config.credit_note_journal.to_string(),
        config.start_date.to_string(),
    ]
}

/// Checks the choice against Octopus and stores it as the connection's settings (created, or updated keeping the
/// mappings).
pub async fn connect(deployment: &Deployment, conn: &ConnectionId, choice: Choice) -> Result<Connected, SyncError> {
    // The department first: a mistyped id would otherwise be stored and every document skipped as another
    // department's.
    let departments = departments(deployment, conn).await?;
    if !departments.iter().any(|d| d.id == choice.focus_department_id) {
        return Err(SyncError::permanent(
            Code::FOCUS_DEPARTMENT_UNKNOWN,
            format!(
                "'{}' is not a department of the authorised Focus account. Its departments: {}. Use one of these \
                 ids with --department (`focus-octopus departments` lists them).",
                choice.focus_department_id,
                departments
                    .iter()
                    .map(|d| format!("{} ({})", d.name, d.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let department_name = departments
        .iter()
        .find(|d| d.id == choice.focus_department_id)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let dossiers = dossiers(deployment, conn).await?;
    let Some(dossier) = dossiers.iter().find(|d| d.id == choice.dossier) else {
        return Err(SyncError::permanent(
            Code::OCTOPUS_DOSSIER_NOT_VISIBLE,
            format!(
                "The Octopus login cannot open dossier {}; choose one of `focus-octopus dossiers`.",
                choice.dossier
            ),
        ));
    };
    let journals = sales_journals(deployment, conn, choice.dossier, choice.start_date).await?;
    for key in [&choice.invoice_journal, &choice.credit_note_journal] {
        if !journals.iter().any(|j| j.key == key.as_str()) {
            return Err(SyncError::permanent(
                Code::OCTOPUS_JOURNAL_NOT_SALES,
                format!(
                    "{key} is not a sales journal with booking insertion in this dossier; choose one of {}.",
                    journals.iter().map(|j| j.key.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    let journal_name = |key: &JournalKey| {
        journals
            .iter()
            .find(|j| j.key == key.as_str())
            .map_or_else(|| key.to_string(), |j| format!("{key} {}", j.name))
    };
    // Each setting as a person reads it (names beside ids).
    let after = [
        (
            "Focus department",
            format!("{department_name} ({})", choice.focus_department_id),
        ),
        ("Octopus dossier", format!("{} {}", dossier.id, dossier.name)),
        ("invoice journal", journal_name(&choice.invoice_journal)),
        ("credit-note journal", journal_name(&choice.credit_note_journal)),
        ("start date", choice.start_date.to_string()),
    ];
    let now = deployment.clock.now();
    let connections = deployment.store.connections();
    let mut changed = Vec::new();
    let stored = match connections.get(conn).await? {
        Some(current) => {
            let mut config = current.value.clone();
            choice.apply_to(&mut config);
            for ((what, shown), (was, is)) in after
                .iter()
                .zip(choice_of(&current.value).iter().zip(&choice_of(&config)))
            {
                changed.push(if was == is {
                    format!("{what}: {shown} (unchanged)")
                } else {
                    format!("{what}: {was} → {shown}")
                });
            }
            if current.value.octopus_dossier_id != config.octopus_dossier_id {
                // Tokens, caches and journal counters of the old dossier must not be used for the new one.
                deployment.store.reset_dossier_state(conn).await?;
                changed.push(
                    "the old dossier's tokens, caches and journal counters were dropped; mappings were kept".into(),
                );
            }
            connections.update(conn, &config, current.version, now).await?.value
        }
        None => {
            let mut config = ConnectionConfig {
                focus_account_id: String::new(),
                focus_department_id: String::new(),
                octopus_dossier_id: 0,
                invoice_journal: choice.invoice_journal.clone(),
                credit_note_journal: choice.credit_note_journal.clone(),
                start_date: choice.start_date,
                vat_codes: Default::default(),
                ledger_by_tax_rate: Default::default(),
                default_ledger_account: None,
                options: ConnectionOptions::default(),
            };
            choice.apply_to(&mut config);
            changed.push(format!("connection {conn} created"));
            changed.extend(after.iter().map(|(what, shown)| format!("{what}: {shown}")));
            connections.create(conn, &config, now).await?.value
        }
    };
    deployment.forget_connection(conn);
    Ok(Connected {
        changed,
        settings: stored,
    })
}

/// What `connect` changed, and the settings as they are now.
#[derive(Debug, Clone, Serialize)]
pub struct Connected {
    pub changed: Vec<String>,
    pub settings: ConnectionConfig,
}
