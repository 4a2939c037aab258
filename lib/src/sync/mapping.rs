//! `map-suggestions`, `map` and `unmap` (docs/DESIGN.md §4.4): Focus tax rates of the connection's department with
//! a suggested Octopus VAT code (0 % variants are never guessed: a person chooses), and the mapping to VAT codes and
//! 70… ledger accounts stored with the settings' version, so two people changing it at once cannot overwrite each
//! other.

use rust_decimal::Decimal;
use serde::Serialize;

use super::error::SyncError;
use super::services::Deployment;
use crate::domain::Code;
use crate::domain::ConnectionId;
use crate::store::ConnectionConfig;

#[derive(Debug, Clone, Serialize)]
pub struct RateSuggestion {
    pub tax_rate_id: String,
    pub description: String,
    pub rate: Decimal,
    pub mapped: Option<String>,
    /// A code whose percentage equals the rate; never for 0 % (co-contractor, intra-EU, export, exempt differ).
    pub suggested: Option<String>,
    pub choices: Vec<String>,
}

/// The department's tax rates with their mapping, a suggestion where one is safe, and the possible codes.
pub async fn map_suggestions(
    deployment: &Deployment,
    conn_id: &ConnectionId,
) -> Result<Vec<RateSuggestion>, SyncError> {
    let conn = deployment.connection(conn_id).await?;
    let config = conn.settings(&deployment.store, deployment.clock.now()).await?;
    let rates = conn.focus.tax_rates(&config.focus_department_id).await?;
    let codes: Vec<_> = conn
        .octopus
        .vat_codes()
        .await?
        .into_iter()
        .filter(|c| c.is_sales())
        .collect();
    Ok(rates
        .into_iter()
        .map(|r| {
            let percent = (r.rate * Decimal::ONE_HUNDRED).normalize();
            let same: Vec<String> = codes
                .iter()
                .filter(|c| c.base_percentage.map(|p| p.normalize()) == Some(percent))
                .map(|c| c.code.clone())
                .collect();
            let suggested = (!percent.is_zero() && same.len() == 1).then(|| same[0].clone());
            RateSuggestion {
                mapped: config.vat_codes.get(&r.id).cloned(),
                tax_rate_id: r.id,
                description: r.description,
                rate: r.rate,
                suggested,
                choices: if same.is_empty() {
                    codes.iter().map(|c| c.code.clone()).collect()
                } else {
                    same
                },
            }
        })
        .collect())
}

/// Stores a mapping: a tax rate's VAT code and/or ledger, or the default ledger. Refused if Octopus lacks the code
/// or account, or the account is not a 70… revenue account.
pub async fn map(
    deployment: &Deployment,
    conn_id: &ConnectionId,
    tax_rate: Option<&str>,
    vat_code: Option<&str>,
    ledger: Option<&str>,
    default_ledger: Option<&str>,
) -> Result<Mapped, SyncError> {
    if (tax_rate.is_none() || (vat_code.is_none() && ledger.is_none())) && default_ledger.is_none() {
        return Err(SyncError::permanent(
            Code::ADMIN_BAD_COMMAND,
            format!(
                "map needs --tax-rate <id> with --vat-code <code> and/or --ledger <account>, or --default-ledger \
                 <account>{}. `focus-octopus map-suggestions` lists the tax rates, their ids and the dossier's codes.",
                if tax_rate.is_some() {
                    " (a tax rate alone changes nothing)"
                } else {
                    ""
                }
            ),
        ));
    }
    let conn = deployment.connection(conn_id).await?;
    let now = deployment.clock.now();
    let current = stored_settings(deployment, conn_id).await?;
    let mut config = current.value.clone();
    if let Some(rate) = tax_rate {
        // Tax rates belong to a department (a legal entity): a rate of another department would book another
        // company's invoices in this dossier. The list is read again once, in case the rate is new.
        let department = config.focus_department_id.clone();
        let mut rates = conn.tax_rates(&department, now).await?;
        if !rates.contains_key(rate) {
            rates = conn.refresh_tax_rates(&department, now).await?;
        }
        if !rates.contains_key(rate) {
            return Err(SyncError::permanent(
                Code::TAX_RATE_NOT_IN_DEPARTMENT,
                format!(
                    "Tax rate {rate} is not a tax rate of this connection's Focus department ({department}). \
                     `focus-octopus map-suggestions` lists the department's rates with their ids."
                ),
            ));
        }
    }
    if let Some(code) = vat_code {
        let known = conn
            .octopus
            .vat_codes()
            .await?
            .into_iter()
            .any(|c| c.is_sales() && c.code == code);
        if !known {
            return Err(SyncError::permanent(
                Code::OCTOPUS_VAT_CODE_MISSING,
                format!("'{code}' is not a sales VAT code of the dossier."),
            ));
        }
    }
    for account in ledger.iter().chain(default_ledger.iter()) {
        let number = account
            .parse::<i32>()
            .ok()
            .filter(|n| (700_000..=709_999).contains(n) && account.len() == 6)
            .ok_or_else(|| {
                SyncError::permanent(
                    Code::LEDGER_INVALID,
                    format!("{account} is not a 70… revenue account number (six digits, 700000 to 709999)."),
                )
            })?;
        // The bookyear of today (or of the start date, if later); in January, before the accountant opens the new
        // year, the latest bookyear stands in for it.
        let day = config.start_date.max(now.date_naive());
        let bookyears = conn.octopus.bookyears().await?;
        let bookyear = bookyears
            .iter()
            .find(|b| b.covers(day))
            .or_else(|| bookyears.iter().max_by_key(|b| b.end_date))
            .ok_or_else(|| {
                SyncError::permanent(
                    Code::OCTOPUS_BOOKYEAR_MISSING,
                    format!(
                        "The Octopus dossier has no bookyear (none covers {day}). Create the bookyear in Octopus, \
                         then map again."
                    ),
                )
            })?;
        let exists = conn
            .octopus
            .accounts(bookyear.id())
            .await?
            .iter()
            .any(|a| a.number == number);
        if !exists {
            return Err(SyncError::permanent(
                Code::OCTOPUS_ACCOUNT_MISSING,
                format!(
                    "Account {account} does not exist in the Octopus dossier's bookyear {} ({} – {}). Create it in \
                     Octopus, or map an account that exists (`focus-octopus map-suggestions` lists them).",
                    bookyear.bookyear_description.as_deref().unwrap_or("?"),
                    bookyear.start_date,
                    bookyear.end_date
                ),
            ));
        }
    }
    let mut changed = Vec::new();
    match (tax_rate, vat_code, ledger) {
        (Some(rate), code, ledger) => {
            if let Some(code) = code {
                let before = config.vat_codes.insert(rate.to_owned(), code.to_owned());
                changed.push(change(&format!("tax rate {rate}: VAT code"), before.as_deref(), code));
            }
            if let Some(ledger) = ledger {
                let before = config.ledger_by_tax_rate.insert(rate.to_owned(), ledger.to_owned());
                changed.push(change(&format!("tax rate {rate}: ledger"), before.as_deref(), ledger));
            }
        }
        (None, Some(_), _) | (None, _, Some(_)) => {
            return Err(SyncError::permanent(
                Code::ADMIN_BAD_COMMAND,
                "A VAT code or ledger needs the tax rate it is for.",
            ));
        }
        _ => {}
    }
    if let Some(default) = default_ledger {
        let before = config.default_ledger_account.replace(default.to_owned());
        changed.push(change("default ledger", before.as_deref(), default));
    }
    let stored = deployment
        .store
        .connections()
        .update(conn_id, &config, current.version, now)
        .await?;
    conn.forget_settings();
    Ok(Mapped::of(changed, &stored.value))
}

/// The connection's settings as stored, with their version (for the optimistic update that follows).
async fn stored_settings(
    deployment: &Deployment,
    conn_id: &ConnectionId,
) -> Result<crate::store::Versioned<ConnectionConfig>, SyncError> {
    deployment
        .store
        .connections()
        .get(conn_id)
        .await?
        .ok_or_else(|| super::services::unknown_connection(conn_id))
}

fn change(what: &str, before: Option<&str>, after: &str) -> String {
    match before {
        Some(before) if before == after => format!("{what} {after} (unchanged)"),
        Some(before) => format!("{what} {before} → {after}"),
        None => format!("{what} → {after}"),
    }
}

/// What `map` or `unmap` changed, and the mapping as it is now.
#[derive(Debug, Clone, Serialize)]
pub struct Mapped {
    pub changed: Vec<String>,
    pub vat_codes: std::collections::BTreeMap<String, String>,
    pub ledger_by_tax_rate: std::collections::BTreeMap<String, String>,
    pub default_ledger_account: Option<String>,
}

impl Mapped {
    fn of(changed: Vec<String>, config: &ConnectionConfig) -> Self {
        Self {
            changed,
            vat_codes: config.vat_codes.clone(),
            ledger_by_tax_rate: config.ledger_by_tax_rate.clone(),
            default_ledger_account: config.default_ledger_account.clone(),
        }
    }
}

/// Removes a tax rate's VAT code and ledger, or the default ledger. Documents that then lack a mapping fail with
/// `VAT_RATE_UNMAPPED` / `LEDGER_UNMAPPED` until mapped again.
pub async fn unmap(
    deployment: &Deployment,
    conn_id: &ConnectionId,
    tax_rate: Option<&str>,
    default_ledger: bool,
) -> Result<Mapped, SyncError> {
    if tax_rate.is_none() && !default_ledger {
        return Err(SyncError::permanent(
            Code::ADMIN_BAD_COMMAND,
            "unmap needs --tax-rate <id> (its VAT code and ledger are removed) or --default-ledger. \
             `focus-octopus map-suggestions` shows what is mapped.",
        ));
    }
    let now = deployment.clock.now();
    let current = stored_settings(deployment, conn_id).await?;
    let mut config = current.value.clone();
    let mut changed = Vec::new();
    if let Some(rate) = tax_rate {
        let code = config.vat_codes.remove(rate);
        let ledger = config.ledger_by_tax_rate.remove(rate);
        if code.is_none() && ledger.is_none() {
            return Err(SyncError::permanent(
                Code::NOT_FOUND,
                format!(
                    "Tax rate {rate} has no mapping; nothing was changed. `focus-octopus map-suggestions` shows what is mapped."
                ),
            ));
        }
        if let Some(code) = code {
            changed.push(format!("tax rate {rate}: VAT code {code} removed"));
        }
        if let Some(ledger) = ledger {
            changed.push(format!("tax rate {rate}: ledger {ledger} removed"));
        }
    }
    if default_ledger {
        match config.default_ledger_account.take() {
            Some(ledger) => changed.push(format!("default ledger {ledger} removed")),
            None => changed.push("default ledger: none was set".into()),
        }
    }
    let stored = deployment
        .store
        .connections()
        .update(conn_id, &config, current.version, now)
        .await?;
    if let Ok(conn) = deployment.connection(conn_id).await {
        conn.forget_settings();
    }
    Ok(Mapped::of(changed, &stored.value))
}
