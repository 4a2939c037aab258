//! The payment puller's run for one connection (EventBridge schedule): payments back to Focus, ledger accounts and
//! VAT codes kept fresh, and the sweep for missed webhooks; then a run report, published if something failed.
//!
//! Octopus calls per run (at the default 30-minute schedule, 48 runs a day): `balancings/modified` 1 (limit 48),
//! `accounts/modified` 1 (48), `vatcodes` at most once a day (2), plus a login and connect when the token expired
//! (150). The sweep costs Focus calls only.

use chrono::Duration;

use super::error::SyncError;
use super::pause::PauseCheck;
use super::pull_payments::{PaymentsPulled, pull_payments};
use super::services::Deployment;
use super::sweep::{Swept, sweep};
use crate::domain::{ConnectionId, Failure};
use crate::store::{CursorName, RunFailure, RunKind, RunReport};

/// VAT codes have no `modified` feed and only 2 full reads a day: refreshed once a day.
const VAT_CODES_EVERY: Duration = Duration::hours(24);

#[derive(Debug, Default, Clone)]
pub struct PullRun {
    pub payments: PaymentsPulled,
    pub swept: Swept,
    pub report: Option<RunReport>,
    /// Set when the run found the connection paused, or paused it (docs/DESIGN.md §4.5): then nothing else ran.
    pub paused: Option<crate::store::Pause>,
    /// Set when the run resumed the connection: the waiting documents it put back on the queue.
    pub resumed: Option<u32>,
}

/// One run for `conn`. Each step runs even if an earlier one failed; failures land in the report.
pub async fn run_puller(deployment: &Deployment, conn_id: &ConnectionId) -> Result<PullRun, SyncError> {
    let conn = deployment.connection(conn_id).await?;
    let started = deployment.clock.now();
    let config = conn.settings(&deployment.store, started).await?;
    let mut run = PullRun::default();
    match super::pause::check(deployment, &conn).await? {
        PauseCheck::Paused(pause) => {
            // Reported once, when it was paused; a run that can do nothing says nothing.
            tracing::info!(connection = %conn_id, code = %pause.code, since = %pause.since, "connection paused");
            run.paused = Some(pause);
            return Ok(run);
        }
        PauseCheck::Resumed(enqueued) => run.resumed = Some(enqueued),
        PauseCheck::Running => {}
    }
    // Focus refusing the authorisation pauses the connection (one report) and ends the run.
    macro_rules! or_pause {
        ($result:expr) => {
            match $result {
                Err(e) if super::pause::stops_the_connection(&e) => {
                    super::pause::pause(deployment, &conn, &e, RunKind::Pull, started).await?;
                    run.paused = deployment.store.connections().paused(conn_id).await?;
                    return Ok(run);
                }
                other => other,
            }
        };
    }
    let mut failures: Vec<RunFailure> = Vec::new();
    let mut fail = |e: SyncError| {
        tracing::warn!(connection = %conn_id, code = e.code().as_str(), "puller step failed: {e}");
        failures.push(RunFailure {
            document: None,
            code: e.code().to_string(),
            message: e.to_string(),
        });
    };
    match or_pause!(pull_payments(deployment, &conn, &config).await) {
        Ok(pulled) => run.payments = pulled,
        Err(e) => fail(e),
    }
    if let Err(e) = conn.octopus.refresh_accounts().await {
        fail(e.into());
    }
    let vat_codes_due = match deployment.store.cursors().get(conn_id, CursorName::VatCodes).await {
        Ok(last) => last.is_none_or(|last| started - last >= VAT_CODES_EVERY),
        Err(e) => {
            fail(e.into());
            false
        }
    };
    if vat_codes_due {
        match conn.octopus.refresh_vat_codes().await {
            Ok(_) => {
                if let Err(e) = deployment
                    .store
                    .cursors()
                    .advance(conn_id, CursorName::VatCodes, started)
                    .await
                {
                    fail(e.into());
                }
            }
            Err(e) => fail(e.into()),
        }
    }
    match or_pause!(sweep(deployment, &conn, &config).await) {
        Ok(swept) => run.swept = swept,
        Err(e) => fail(e),
    }
    let mut report = RunReport {
        id: uuid::Uuid::new_v4().to_string(),
        kind: RunKind::Pull,
        started_at: started,
        finished_at: Some(deployment.clock.now()),
        attempted: run.payments.balancings_seen + run.swept.listed,
        done: run.payments.payments_registered + run.swept.enqueued,
        skipped: 0,
        failed: run.payments.failed.clone(),
        notes: run.payments.flagged.clone(),
    };
    report.failed.extend(failures);
    report
        .notes
        .push(budgets_left(deployment, conn_id, &config, started).await);
    report.notes.push(format!(
        "{} payment(s) registered in Focus for {}; {} document(s) listed by the sweep, {} enqueued.",
        run.payments.payments_registered, run.payments.amount_registered, run.swept.listed, run.swept.enqueued
    ));
    deployment.store.runs().put(conn_id, &report).await?;
    if !report.failed.is_empty() || !run.payments.flagged.is_empty() {
        deployment.publish(conn_id, &report).await;
    }
    run.report = Some(report);
    Ok(run)
}

/// Runs every connection of the deployment (the scheduled event carries none).
pub async fn run_all(deployment: &Deployment) -> Result<Vec<(ConnectionId, Result<PullRun, SyncError>)>, SyncError> {
    let connections = deployment.store.connections().list().await?;
    let mut runs = Vec::new();
    for conn in connections {
        let result = run_puller(deployment, &conn).await;
        runs.push((conn, result));
    }
    Ok(runs)
}

/// "Octopus calls left today: …" for the operations the sync spends most on.
async fn budgets_left(
    deployment: &Deployment,
    conn: &ConnectionId,
    config: &crate::store::ConnectionConfig,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    use crate::octopus::{DailyLimits, Operation, budget_day};
    let limits = DailyLimits::with_overrides(config.options.octopus_daily_limits.clone());
    let day = budget_day(now);
    let mut parts = Vec::new();
    for op in [
        Operation::InsertBuySellBooking,
        Operation::InsertUpdateRelation,
        Operation::GetModifiedBalancings,
        Operation::GetModifiedAccounts,
        Operation::ConnectDossier,
    ] {
        let Some(limit) = limits.of(op) else { continue };
        match deployment.store.budgets().spent(conn, op.budget_name(), day).await {
            Ok(spent) => parts.push(format!("{} {}/{limit}", op.operation_id(), limit.saturating_sub(spent))),
            Err(_) => parts.push(format!("{} ?/{limit}", op.operation_id())),
        }
    }
    format!("Octopus calls left today ({day}): {}.", parts.join(", "))
}
