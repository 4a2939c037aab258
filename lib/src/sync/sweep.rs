//! `sweep`: completeness must not depend on webhooks. Every booked Focus document changed since the last sweep
//! (with an overlap) that is not yet `posted`, `failed`, `skipped` or `needs_review` is put on the queue, the same
//! way a webhook would.

use chrono::{Duration, TimeZone, Utc};

use super::error::SyncError;
use super::messages::{DocumentMessage, Trigger};
use super::services::{Connection, Deployment};
use crate::domain::{DocumentKind, DocumentRef};
use crate::focus::{CreditNoteFilter, InvoiceFilter, InvoiceStatus, paging::sweep_since};
use crate::store::{ConnectionConfig, CursorName};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub listed: u32,
    pub enqueued: u32,
    /// Of `enqueued`: documents awaiting posting for a while whose message was lost.
    pub requeued: u32,
}

/// A document awaiting posting is re-enqueued once its last attempt is this old: a message still being retried by
/// SQS (five tries, six minutes apart) is left alone.
const AWAITING_GRACE: Duration = Duration::minutes(45);

pub async fn sweep(deployment: &Deployment, conn: &Connection, config: &ConnectionConfig) -> Result<Swept, SyncError> {
    let store = &deployment.store;
    let started = deployment.clock.now();
    let since = match store.cursors().get(&conn.id, CursorName::FocusSweep).await? {
        Some(last) => sweep_since(last),
        // First sweep: everything since the day before the start date (documents are dated, not timed).
        None => Utc.from_utc_datetime(&config.start_date.and_hms_opt(0, 0, 0).expect("midnight")) - Duration::days(1),
    };
    let department = Some(config.focus_department_id.clone());
    let invoices = conn
        .focus
        .invoices(&InvoiceFilter {
            department_id: department.clone(),
            status: vec![InvoiceStatus::Outstanding, InvoiceStatus::Matched],
            updated_since: Some(since),
            ..Default::default()
        })
        .await?;
    let credit_notes = conn
        .focus
        .credit_notes(&CreditNoteFilter {
            department_id: department,
            updated_since: Some(since),
            ..Default::default()
        })
        .await?;
    let candidates = invoices
        .iter()
        .filter(|i| i.invoice_date.is_some_and(|d| d >= config.start_date))
        .map(|i| (DocumentKind::Invoice, i.id.clone()))
        .chain(
            credit_notes
                .iter()
                .filter(|c| c.credit_note_date.is_some_and(|d| d >= config.start_date))
                .map(|c| (DocumentKind::CreditNote, c.id.clone())),
        );
    let mut swept = Swept::default();
    let mut enqueued = std::collections::HashSet::new();
    for (kind, id) in candidates {
        swept.listed += 1;
        let Ok(document) = DocumentRef::new(kind, id) else {
            continue;
        };
        let known = store.documents().get(&conn.id, &document).await?;
        if known.is_some_and(|r| !r.state.awaits_posting()) {
            continue;
        }
        let message = DocumentMessage {
            connection: conn.id.clone(),
            document,
            trigger: Trigger::Sweep,
        };
        super::messages::enqueue(deployment, &message, started).await?;
        enqueued.insert(message.document);
        swept.enqueued += 1;
    }
    // Documents we know await posting but whose message is gone (dead-lettered after five tries while a journal
    // stayed locked or the day's budget was spent, or a poster killed mid-batch): their Focus `updated_at` does not
    // move, so the listing above would never see them again.
    // Not while today's booking budget is spent: they could not be booked before the reset, and each message would
    // only go round the queue (the first run after the reset brings them all back).
    let booking = crate::octopus::Operation::InsertBuySellBooking;
    let limit = crate::octopus::DailyLimits::with_overrides(config.options.octopus_daily_limits.clone()).of(booking);
    let spent = store
        .budgets()
        .spent(&conn.id, booking.budget_name(), crate::octopus::budget_day(started))
        .await?;
    let awaiting = if limit.is_some_and(|limit| spent >= limit) {
        Vec::new()
    } else {
        store.documents().awaiting(&conn.id).await?
    };
    for record in awaiting {
        if record.updated_at > started - AWAITING_GRACE || enqueued.contains(&record.document) {
            continue;
        }
        let message = DocumentMessage {
            connection: conn.id.clone(),
            document: record.document.clone(),
            trigger: Trigger::Sweep,
        };
        super::messages::enqueue(deployment, &message, started).await?;
        swept.enqueued += 1;
        swept.requeued += 1;
    }
    store
        .cursors()
        .advance(&conn.id, CursorName::FocusSweep, started)
        .await?;
    Ok(swept)
}
