//! `doctor`: every check of docs/DESIGN.md §4.4, each passed or failed with the concrete fix.

use chrono::Duration;
use serde::Serialize;

use super::error::SyncError;
use super::services::Deployment;
use crate::domain::Code;
use crate::domain::ConnectionId;
use crate::octopus::{Operation, budget_day};

mod secrets;
pub use secrets::WEBHOOK_SECRET_MIN_LEN;

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub ok: bool,
    pub checks: Vec<Check>,
}

fn pass(name: &str, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        ok: true,
        detail: detail.into(),
        fix: None,
    }
}

fn fail(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        ok: false,
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

/// Runs every check; a partner that cannot be asked fails its checks with the reason, the others still run.
pub async fn doctor(
    deployment: &Deployment,
    conn_id: &ConnectionId,
    receiver_url: Option<&str>,
) -> Result<Diagnosis, SyncError> {
    // An unknown connection is an answer of its own, not a list of failed checks.
    if deployment.store.connections().get(conn_id).await?.is_none() {
        return Err(super::services::unknown_connection(conn_id));
    }
    // The secrets first: their rows name what to fill in before anything is sent to a partner.
    let (mut checks, octopus_usable) = secrets::checks(deployment, conn_id).await;
    if !octopus_usable {
        checks.push(fail(
            "Focus and Octopus checks",
            "not run: they need the Octopus login",
            "Fill in the secrets above, then run `focus-octopus doctor` again.",
        ));
        return Ok(Diagnosis { ok: false, checks });
    }
    let conn = deployment.connection(conn_id).await?;
    let now = deployment.clock.now();
    // A person runs doctor right after changing something: the settings as stored now, not as cached.
    conn.forget_settings();
    let config = conn.settings(&deployment.store, now).await?;
    let today = now.date_naive();

    // The Focus authorisation works, and the chosen department is one of the account's.
    match conn.focus.departments().await {
        Ok(departments) => match departments.iter().find(|d| d.id == config.focus_department_id) {
            Some(d) => checks.push(pass("Focus authorisation and department", d.name.clone())),
            None => checks.push(fail(
                "Focus authorisation and department",
                format!(
                    "department {} is not one of the account's ({})",
                    config.focus_department_id,
                    departments
                        .iter()
                        .map(|d| d.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "Choose one of `focus-octopus departments` with `focus-octopus connect --department <id>`.",
            )),
        },
        Err(e) => checks.push(fail(
            "Focus authorisation and department",
            e.to_string(),
            if crate::domain::Failure::code(&e) == Code::FOCUS_REAUTHORIZATION_REQUIRED {
                "Run `focus-octopus connect-focus --redirect-uri <receiver-url>/oauth/callback` and approve."
            } else {
                "Check the `focus-oauth` secret (README, Deploy steps 3–4), then `focus-octopus connect-focus`."
            },
        )),
    }

    // Bookyears covering the start date and today, open.
    let bookyears = match conn.octopus.refresh_bookyears().await {
        Ok(b) => b,
        Err(e) => {
            checks.push(fail(
                "Octopus reachable",
                e.to_string(),
                "Check the Octopus credentials and dossier.",
            ));
            Vec::new()
        }
    };
    for (what, date) in [("the start date", config.start_date), ("today", today)] {
        let name = format!("Open Octopus bookyear for {what} ({date})");
        match bookyears.iter().find(|b| b.covers(date)) {
            Some(b) if !b.closed => checks.push(pass(
                &name,
                format!("bookyear {} ({} – {})", b.id(), b.start_date, b.end_date),
            )),
            Some(b) => checks.push(fail(
                &name,
                format!("bookyear {} is closed", b.id()),
                "Reopen it in Octopus or move the start date.",
            )),
            None => checks.push(fail(
                &name,
                "no bookyear covers it",
                format!("Create the bookyear holding {date} in Octopus (Boekjaren)."),
            )),
        }
    }
    let current = bookyears
        .iter()
        .find(|b| b.covers(today))
        .or_else(|| bookyears.iter().find(|b| b.covers(config.start_date)));

    // Journals: sales journals that take bookings.
    if let Some(by) = current {
        match conn.octopus.refresh_journals(by.id()).await {
            Ok(journals) => {
                for (what, key) in [
                    ("invoices", &config.invoice_journal),
                    ("credit notes", &config.credit_note_journal),
                ] {
                    let name = format!("Sales journal for {what} ({key})");
                    match journals.iter().find(|j| j.journal_key == key.as_str()) {
                        Some(j) if j.takes_sales_bookings() => checks.push(pass(&name, j.name.clone())),
                        Some(j) => checks.push(fail(
                            &name,
                            format!("{} is not a sales journal with booking insertion", j.name),
                            "Choose a V journal of type \"bookings\" with `focus-octopus connect`.",
                        )),
                        None => checks.push(fail(
                            &name,
                            "the journal does not exist",
                            "Create a sales journal (V…, insertion: bookings) in Octopus, or choose an existing one with `focus-octopus connect`.",
                        )),
                    }
                }
            }
            Err(e) => checks.push(fail("Octopus journals", e.to_string(), "Retry when Octopus answers.")),
        }
        // Ledger accounts.
        match conn.octopus.accounts(by.id()).await {
            Ok(accounts) => {
                let revenue = accounts.iter().filter(|a| a.is_revenue()).count();
                if revenue > 0 {
                    checks.push(pass("Revenue accounts (70…) in Octopus", format!("{revenue} accounts")));
                } else {
                    checks.push(fail(
                        "Revenue accounts (70…) in Octopus",
                        "none",
                        "Create the 70… accounts in Octopus.",
                    ));
                }
                let numbers: std::collections::HashSet<i32> = accounts.iter().map(|a| a.number).collect();
                match conn.focus.product_categories(&config.focus_department_id).await {
                    Ok(categories) => {
                        let missing: Vec<String> = categories
                            .iter()
                            .filter_map(|c| c.ledger_for(&config.focus_department_id).map(|l| (c, l)))
                            .filter(|(_, l)| {
                                format!("{:0<6}", l.trim())
                                    .parse::<i32>()
                                    .map_or(true, |n| !numbers.contains(&n))
                            })
                            .map(|(c, l)| format!("{} → {l}", c.name))
                            .collect();
                        if missing.is_empty() {
                            checks.push(pass(
                                "Product-category ledgers exist in Octopus",
                                format!("{} categories", categories.len()),
                            ));
                        } else {
                            checks.push(fail(
                                "Product-category ledgers exist in Octopus",
                                missing.join(", "),
                                "Create these accounts in Octopus or correct the ledgers of the categories in Focus.",
                            ));
                        }
                    }
                    Err(e) => checks.push(fail(
                        "Focus product categories",
                        e.to_string(),
                        "Retry when Focus answers.",
                    )),
                }
            }
            Err(e) => checks.push(fail(
                "Octopus accounts",
                e.to_string(),
                "Retry tomorrow if the daily budget is used up.",
            )),
        }
    }

    // Tax rates mapped to existing sales VAT codes.
    let codes = conn.octopus.vat_codes().await.map(|c| {
        c.into_iter()
            .filter(|c| c.is_sales())
            .map(|c| c.code)
            .collect::<std::collections::HashSet<_>>()
    });
    match (conn.focus.tax_rates(&config.focus_department_id).await, codes) {
        (Ok(rates), Ok(codes)) => {
            let problems: Vec<String> = rates
                .iter()
                .filter_map(|r| match config.vat_codes.get(&r.id) {
                    None => Some(format!("'{}' is not mapped", r.description)),
                    Some(code) if !codes.contains(code) => {
                        Some(format!("'{}' → {code}, which Octopus does not have", r.description))
                    }
                    Some(_) => None,
                })
                .collect();
            if problems.is_empty() {
                checks.push(pass(
                    "Every Focus tax rate has an Octopus VAT code",
                    format!("{} rates", rates.len()),
                ));
            } else {
                checks.push(fail(
                    "Every Focus tax rate has an Octopus VAT code",
                    problems.join("; "),
                    "Map them with `focus-octopus map`.",
                ));
            }
        }
        (Err(e), _) => checks.push(fail(
            "Focus tax rates",
            e.to_string(),
            "Check the Focus authorisation (`focus-octopus connect`).",
        )),
        (_, Err(e)) => checks.push(fail(
            "Octopus VAT codes",
            e.to_string(),
            "Retry when the budget allows.",
        )),
    }

    // Webhooks.
    // The whole URL counts, secret included: after the secret was rotated, Focus still calling the old URL gets 404s
    // the receiver answers for a wrong secret, and no document arrives by webhook.
    let secret = deployment
        .read_secret(conn_id, crate::sync::services::SecretKind::Webhook)
        .await
        .map(|s| secrecy::ExposeSecret::expose_secret(&s).to_owned());
    match (conn.focus.webhooks().await, secret) {
        (Ok(hooks), Ok(secret)) => {
            let path = format!("/hooks/{conn_id}/");
            let ours = format!("{path}{secret}");
            let at_receiver = |url: &str| receiver_url.is_none_or(|base| url.starts_with(base.trim_end_matches('/')));
            let registered = hooks
                .iter()
                .filter(|h| h.url.ends_with(&ours) && at_receiver(&h.url))
                .flat_map(|h| h.types.iter().map(|t| t.as_str().to_owned()))
                .collect::<std::collections::HashSet<_>>();
            let stale = hooks.iter().any(|h| h.url.contains(&path) && !h.url.ends_with(&ours));
            let missing: Vec<&str> = crate::focus::EventType::RELEVANT
                .iter()
                .map(|t| t.as_str())
                .filter(|t| !registered.contains(*t))
                .collect();
            if missing.is_empty() && !stale {
                checks.push(pass(
                    "Focus webhooks registered",
                    "all event types, at the current secret",
                ));
            } else if missing.is_empty() {
                checks.push(fail(
                    "Focus webhooks registered",
                    "an older URL of this connection (another secret) is registered too; Focus's calls to it are \
                     refused",
                    "Remove the old registration in Focus, or ignore the 404s it gets.",
                ));
            } else {
                let why = if stale {
                    format!(
                        "registered with an old webhook secret, so Focus's calls are refused (404); missing at the \
                         current one: {}",
                        missing.join(", ")
                    )
                } else {
                    format!("missing: {}", missing.join(", "))
                };
                checks.push(fail(
                    "Focus webhooks registered",
                    why,
                    "Run `focus-octopus register-webhooks` (it registers the URL with the current secret).",
                ));
            }
        }
        (Err(e), _) => checks.push(fail("Focus webhooks", e.to_string(), "Check the Focus authorisation.")),
        (_, Err(e)) => checks.push(fail(
            "Focus webhooks",
            e.to_string(),
            "Check the connection's webhook secret in Secrets Manager.",
        )),
    }

    // Budgets.
    let day = budget_day(now);
    let spent = deployment
        .store
        .budgets()
        .spent(conn_id, Operation::InsertBuySellBooking.budget_name(), day)
        .await?;
    let limit = crate::octopus::DailyLimits::with_overrides(config.options.octopus_daily_limits.clone())
        .of(Operation::InsertBuySellBooking)
        .unwrap_or(0);
    let left = limit.saturating_sub(spent);
    let name = "Octopus bookings left today";
    if left > 0 {
        checks.push(pass(name, format!("{left} of {limit} (resets at midnight in Belgium)")));
    } else {
        checks.push(fail(
            name,
            "none",
            format!(
                "Bookings resume automatically after midnight ({}).",
                day + Duration::days(1)
            ),
        ));
    }
    // Files: bookings that went in without theirs.
    let records = deployment.store.documents().list(conn_id).await?;
    let name = "Bookings carry their document's file";
    match (config.options.attachment, super::status::files_missing(&records)) {
        (None, _) => checks.push(pass(name, "not sent: the connection's option attachment is null")),
        (Some(_), None) => checks.push(pass(name, "every booking made with a file carries it")),
        (Some(_), Some(notice)) => checks.push(fail(name, notice.message, notice.fix)),
    }
    let ok = checks.iter().all(|c| c.ok);
    Ok(Diagnosis { ok, checks })
}
