//! `pull_payments`: Octopus reconciliations become Focus payments (docs/DESIGN.md §4.2).
//!
//! The `balancings/modified` feed (48 a day) says which payment lines were matched with which sales bookings, and
//! which matches were undone. Each document keeps, per payment line, the amount Octopus balanced; the paid amount is
//! their sum. Focus gets only the part not registered yet, guarded by a `pending` record written before the call and
//! checked against `invoices.info` if its outcome is unknown (Focus payments have no id: a blind retry would pay
//! twice). An undone match after we registered → `needs_review` with the amounts; Focus keeps "paid".

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Brussels;
use rust_decimal::Decimal;

use super::error::SyncError;
use super::services::{Connection, Deployment};
use crate::domain::Code;
use crate::domain::{BookingKey, BookyearId, DocumentKind, DocumentState, Failure, JournalKey};
use crate::focus::{FocusError, Money};
use crate::octopus::{BalancingDetail, BalancingKey};
use crate::store::{ConnectionConfig, CursorName, DocumentRecord, DocumentUpdate, PendingPayment, RunFailure};

/// How far back each run reads the feed before its last start: the feed's time zone is undocumented.
pub const FEED_OVERLAP: Duration = Duration::minutes(10);

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PaymentsPulled {
    pub balancings_seen: u32,
    pub payments_registered: u32,
    pub amount_registered: Decimal,
    pub flagged: Vec<String>,
    pub failed: Vec<RunFailure>,
}

fn line_key(key: &BalancingKey) -> String {
    format!(
        "{}/{}/{}/{}",
        key.bookyear_key.id, key.journal_key, key.document_sequence_nr, key.line_sequence_nr
    )
}

fn booking_of(key: &BalancingKey) -> Option<BookingKey> {
    Some(BookingKey {
        bookyear: BookyearId(key.bookyear_key.id.0),
        journal: JournalKey::new(key.journal_key.clone()).ok()?,
        document_nr: u32::try_from(key.document_sequence_nr).ok()?,
    })
}

/// Focus's `paid_at` for a payment dated `date`: noon in Belgium, so the day never shifts.
fn paid_at(date: NaiveDate) -> DateTime<chrono::FixedOffset> {
    Brussels
        .from_local_datetime(&date.and_hms_opt(12, 0, 0).expect("valid time"))
        .earliest()
        .map(|t| t.fixed_offset())
        .unwrap_or_else(|| {
            Utc.from_utc_datetime(&date.and_hms_opt(12, 0, 0).expect("valid time"))
                .fixed_offset()
        })
}

pub async fn pull_payments(
    deployment: &Deployment,
    conn: &Connection,
    config: &ConnectionConfig,
) -> Result<PaymentsPulled, SyncError> {
    let store = &deployment.store;
    let started = deployment.clock.now();
    let start_of_sync = Utc.from_utc_datetime(&config.start_date.and_hms_opt(0, 0, 0).expect("midnight"));
    let cursor = store
        .cursors()
        .get(&conn.id, CursorName::Balancings)
        .await?
        .unwrap_or(start_of_sync);
    let feed = conn.octopus.modified_balancings(cursor - FEED_OVERLAP).await?;
    let mut pulled = PaymentsPulled::default();

    // Per document (by its sales booking), what changed on which payment line.
    let mut changes: BTreeMap<BookingKey, Vec<LineChange>> = BTreeMap::new();
    let mut collect = |b: &BalancingDetail, deleted: bool| {
        for (ours, other) in [
            (&b.debet_document, &b.credit_document),
            (&b.credit_document, &b.debet_document),
        ] {
            if !ours.balancing_key.journal_key.starts_with('V') {
                continue;
            }
            let Some(booking) = booking_of(&ours.balancing_key) else {
                continue;
            };
            let amount = b.credit_balanced_booking_amount.max(b.debet_balanced_booking_amount);
            changes.entry(booking).or_default().push(LineChange {
                line: line_key(&other.balancing_key),
                amount: (!deleted).then_some(amount),
                date: other.document_date,
            });
        }
    };
    for b in &feed.modified_balancings {
        collect(b, false);
    }
    for b in &feed.deleted_balancings {
        collect(b, true);
    }
    pulled.balancings_seen = (feed.modified_balancings.len() + feed.deleted_balancings.len()) as u32;

    for (booking, lines) in changes {
        let Some(record) = store.documents().find_by_booking(&conn.id, &booking).await? else {
            // Not a booking of ours (typed in Octopus, or before the start date).
            continue;
        };
        match settle(deployment, conn, config, &record, &lines).await {
            Ok(Settled::Registered(amount)) => {
                pulled.payments_registered += 1;
                pulled.amount_registered += amount;
            }
            Ok(Settled::Flagged(reason)) => pulled.flagged.push(format!("{}: {reason}", record.document)),
            Ok(Settled::Nothing) => {}
            Err(e) if e.is_transient() => return Err(e),
            Err(e) => pulled.failed.push(RunFailure {
                document: Some(record.document.clone()),
                code: e.code().to_string(),
                message: e.to_string(),
            }),
        }
    }
    // Only after every document is settled: a run that stops half-way reads the same window again.
    store
        .cursors()
        .advance(&conn.id, CursorName::Balancings, started)
        .await?;
    Ok(pulled)
}

/// How long a `pending` registration may still be waiting for Focus's answer in another run (the client's
/// attempts and the rate limit's waits fit well inside); older ones are settled by asking Focus.
const PENDING_IN_FLIGHT: Duration = Duration::minutes(5);

/// A payment line matched with a document (`amount`), or un-matched (`None`).
struct LineChange {
    line: String,
    amount: Option<Decimal>,
    date: Option<NaiveDate>,
}

enum Settled {
    Registered(Decimal),
    Flagged(String),
    Nothing,
}

async fn settle(
    deployment: &Deployment,
    conn: &Connection,
    config: &ConnectionConfig,
    record: &DocumentRecord,
    lines: &[LineChange],
) -> Result<Settled, SyncError> {
    let documents = deployment.store.documents();
    let now = deployment.clock.now();
    let read = record.payments.clone();
    let mut state = read.clone().unwrap_or_default();
    let mut latest: Option<NaiveDate> = None;
    for change in lines {
        match change.amount {
            Some(amount) => {
                state.balanced.insert(change.line.clone(), amount);
                latest = latest.max(change.date);
            }
            None => {
                state.balanced.remove(&change.line);
            }
        }
    }
    let paid = state.paid_in_octopus();
    let doc = &record.document;
    if doc.kind == DocumentKind::CreditNote {
        // Focus has no payment endpoint for credit notes: recorded only.
        if Some(&state) != read.as_ref() {
            documents
                .set_payments(&conn.id, doc, read.as_ref(), &state, now)
                .await?;
        }
        return Ok(Settled::Nothing);
    }
    // An earlier registration whose answer was lost: Focus says whether it went in. Not while it may still be in
    // flight in another run (two pullers at once): Focus would not show it yet and it would be sent twice (found by
    // the chaos run, seed 1: one invoice paid twice in Focus).
    if let Some(pending) = state.pending.clone() {
        if now - pending.started_at < PENDING_IN_FLIGHT {
            return Err(SyncError::transient(
                Code::PAYMENT_REGISTRATION_IN_FLIGHT,
                format!("A payment of the {doc} is being registered in Focus by another run; checked on the next run."),
            ));
        }
        let in_focus: Decimal = conn
            .focus
            .invoice(&doc.id)
            .await?
            .payments
            .iter()
            .map(|p| p.payment.amount)
            .sum();
        if in_focus >= state.registered + pending.amount {
            state.registered += pending.amount;
        }
        state.pending = None;
    }
    let due = paid - state.registered;
    if due < Decimal::ZERO {
        let reason = format!(
            "Octopus now shows {paid} paid (a reconciliation was undone), but {} was registered in Focus. Check the \
             payment in Focus; it was left as it is.",
            state.registered
        );
        if Some(&state) != read.as_ref() {
            documents
                .set_payments(&conn.id, doc, read.as_ref(), &state, now)
                .await?;
        }
        if matches!(record.state, DocumentState::Posted | DocumentState::NeedsReview)
            && record.note.as_deref() != Some(reason.as_str())
        {
            documents
                .transition(&conn.id, doc, DocumentUpdate::Review { reason: reason.clone() }, now)
                .await?;
        }
        return Ok(Settled::Flagged(reason));
    }
    if due.is_zero() {
        if Some(&state) != read.as_ref() {
            documents
                .set_payments(&conn.id, doc, read.as_ref(), &state, now)
                .await?;
        }
        return Ok(Settled::Nothing);
    }
    let at = paid_at(latest.unwrap_or_else(|| now.with_timezone(&Brussels).date_naive()));
    state.pending = Some(PendingPayment {
        amount: due,
        paid_at: at.to_rfc3339(),
        started_at: now,
    });
    let written = documents
        .set_payments(&conn.id, doc, read.as_ref(), &state, now)
        .await?;
    let sent = conn
        .focus
        .register_payment(
            &doc.id,
            &Money::eur(due),
            at,
            config.options.focus_payment_method_id.as_deref(),
        )
        .await;
    match sent {
        Ok(()) => {
            let mut confirmed = written.clone();
            confirmed.registered += due;
            confirmed.pending = None;
            documents
                .set_payments(&conn.id, doc, Some(&written), &confirmed, now)
                .await?;
            tracing::info!(connection = %conn.id, document = %doc, amount = %due, "payment registered in Focus");
            Ok(Settled::Registered(due))
        }
        // The pending record stays; the next run asks Focus before sending anything again.
        Err(e @ FocusError::OutcomeUnknown { .. }) => Err(e.into()),
        Err(e) => {
            let mut undone = written.clone();
            undone.pending = None;
            documents
                .set_payments(&conn.id, doc, Some(&written), &undone, now)
                .await?;
            Err(e.into())
        }
    }
}
