//! `book_focus_payment` (docs/DESIGN.md §4.3, an option: only when the connection names a payment journal): a payment
//! registered in Focus by a person, not by our puller, is booked in Octopus's payment journal (an F or D journal)
//! and balanced against the invoice's sales booking, exactly once.
//!
//! The booking's number is reserved with the journal intent, and the whole step is recorded on the document as
//! `focus_pending` before anything is sent; a lost answer is resolved by reading the journal's recent bookings
//! (`financialdiversbookings/modified`) and Octopus's balancings before sending again. When done, the payment line's
//! balanced amount is recorded and counted as registered, so the puller neither registers it in Focus again nor
//! mistakes our own registration's webhook for a Focus payment.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::Brussels;
use rust_decimal::Decimal;

use super::error::SyncError;
use super::journal::{JournalUse, NumberRefused, bookyear_for, follow_refused_number, reserve};
use super::messages::DocumentMessage;
use super::outcome::PushOutcome;
use super::services::{Connection, Deployment};
use crate::domain::Code;
use crate::domain::{BookingKey, DocumentKind, DocumentState, Failure};
use crate::octopus::{
    Balancing, BalancingKey, BookyearKey, FinancialDiversBooking, FinancialDiversBookingLine, OctopusError,
};
use crate::store::{DocumentRecord, FocusPaymentBooking};

const LOOKBACK: Duration = Duration::minutes(30);

fn line_reference(record: &DocumentRecord) -> String {
    format!("Focus payment {}", record.document.id)
}

pub async fn book_focus_payment(deployment: &Deployment, message: &DocumentMessage) -> Result<PushOutcome, SyncError> {
    let conn = deployment.connection(&message.connection).await?;
    let now = deployment.clock.now();
    let config = conn.settings(&deployment.store, now).await?;
    let Some(journal) = config.options.payment_journal.clone() else {
        return Ok(PushOutcome::Unchanged);
    };
    let doc = &message.document;
    if doc.kind != DocumentKind::Invoice {
        return Ok(PushOutcome::Unchanged);
    }
    let documents = deployment.store.documents();
    let Some(record) = documents.get(&conn.id, doc).await? else {
        return Err(SyncError::transient(
            Code::DOCUMENT_NOT_POSTED_YET,
            format!("The {doc} is paid in Focus but not booked in Octopus yet; the payment follows once it is."),
        ));
    };
    match record.state {
        DocumentState::Posted | DocumentState::NeedsReview => {}
        DocumentState::Pending | DocumentState::Posting => {
            return Err(SyncError::transient(
                Code::DOCUMENT_NOT_POSTED_YET,
                format!("The {doc} is paid in Focus but not booked in Octopus yet; the payment follows once it is."),
            ));
        }
        DocumentState::Failed | DocumentState::Skipped => return Ok(PushOutcome::Unchanged),
    }
    let Some(sales) = record.booking.clone() else {
        return Ok(PushOutcome::Unchanged);
    };
    let mut state = record.payments.clone().unwrap_or_default();
    if state.pending.is_some() {
        return Err(SyncError::transient(
            Code::PAYMENT_REGISTRATION_IN_FLIGHT,
            format!("A payment of the {doc} is being registered in Focus by the puller; retried afterwards."),
        ));
    }
    let mut read = record.payments.clone();
    // Only a step an earlier attempt left unfinished can have reached Octopus already.
    let resumed = state.focus_pending.is_some();
    let pending = match state.focus_pending.clone() {
        Some(pending) => pending,
        None => {
            let invoice = conn.focus.invoice(&doc.id).await?;
            let in_focus: Decimal = invoice.payments.iter().map(|p| p.payment.amount).sum();
            let amount = in_focus - state.registered;
            if amount <= Decimal::ZERO {
                // Our own registration coming back as a webhook, or nothing new.
                return Ok(PushOutcome::Unchanged);
            }
            let date = invoice
                .payments
                .iter()
                .map(|p| p.paid_at.with_timezone(&Brussels).date_naive())
                .max()
                .unwrap_or_else(|| now.with_timezone(&Brussels).date_naive());
            let (bookyear, period) = bookyear_for(&conn, date, now).await?;
            let relation = match super::source::customer_of(&invoice.invoicee.customer) {
                Ok(customer) => deployment
                    .store
                    .customers()
                    .get(&conn.id, &customer)
                    .await?
                    .and_then(|m| m.octopus_relation_id)
                    .map(|r| r.0),
                Err(_) => None,
            };
            let intent = reserve(deployment, &conn, bookyear, &journal, doc, JournalUse::Payments, now).await?;
            let pending = FocusPaymentBooking {
                amount,
                date,
                booking: BookingKey {
                    bookyear,
                    journal: journal.clone(),
                    document_nr: intent.document_nr,
                },
                period,
                relation,
                booked: false,
                started_at: now,
            };
            state.focus_pending = Some(pending.clone());
            state = documents
                .set_payments(&conn.id, doc, read.as_ref(), &state, now)
                .await?;
            read = Some(state.clone());
            pending
        }
    };
    let mut pending = pending;
    if !pending.booked {
        book(deployment, &conn, &record, &pending).await?;
        pending.booked = true;
        state.focus_pending = Some(pending.clone());
        state = documents
            .set_payments(&conn.id, doc, read.as_ref(), &state, now)
            .await?;
        read = Some(state.clone());
    }
    balance(&conn, &sales, &pending, resumed).await?;
    let credit_line = format!(
        "{}/{}/{}/1",
        pending.booking.bookyear, pending.booking.journal, pending.booking.document_nr
    );
    state.balanced.insert(credit_line, pending.amount);
    state.registered += pending.amount;
    state.booked_from_focus += pending.amount;
    state.focus_pending = None;
    documents
        .set_payments(&conn.id, doc, read.as_ref(), &state, now)
        .await?;
    tracing::info!(connection = %conn.id, document = %doc, booking = %pending.booking, amount = %pending.amount,
        "Focus payment booked in Octopus and balanced");
    Ok(PushOutcome::Posted(pending.booking))
}

/// Posts the payment booking, or finds it if an earlier attempt's answer was lost.
async fn book(
    deployment: &Deployment,
    conn: &Connection,
    record: &DocumentRecord,
    pending: &FocusPaymentBooking,
) -> Result<(), SyncError> {
    let key = &pending.booking;
    let booking = FinancialDiversBooking {
        bookyear_key: BookyearKey { id: key.bookyear },
        journal_key: key.journal.as_str().to_owned(),
        document_sequence_nr: key.document_nr as i32,
        bookyear_periode_nr: pending.period,
        document_date: pending.date,
        exchange_rate: Decimal::ONE,
        booking_lines: vec![FinancialDiversBookingLine {
            kind: "C".into(),
            account_key: None,
            relation_id: pending.relation,
            external_relation_id: None,
            reference: Some(line_reference(record)),
            // The customer's account is credited: negative (docs/partners/octopus.md §8).
            amount: -pending.amount,
        }],
    };
    let journals = deployment.store.journals();
    let now = deployment.clock.now();
    match conn.octopus.insert_financial_divers_booking(&booking).await {
        Ok(()) => {}
        Err(OctopusError::IllegalSequence { last_booked, .. }) => {
            let refused = follow_refused_number(
                deployment,
                conn,
                (key, JournalUse::Payments),
                last_booked,
                now,
                async || Ok(found(conn, record, key, pending).await?.then_some(())),
            )
            .await?;
            if let NumberRefused::Taken = refused {
                // The number went to another booking: the counter follows Octopus; the next attempt reserves again.
                return Err(give_back(deployment, conn, record, key, now).await?);
            }
            // Ours: an earlier attempt's booking went in; go on as if this one had.
        }
        Err(e) => return Err(e.into()),
    }
    journals
        .resynchronise(&conn.id, key.bookyear, &key.journal, key.document_nr, now)
        .await?;
    conn.remember_last_booked(key.bookyear, &key.journal, Some(key.document_nr));
    Ok(())
}

/// Forgets the pending payment booking whose number went to another booking, so the next attempt reserves again.
async fn give_back(
    deployment: &Deployment,
    conn: &Connection,
    record: &DocumentRecord,
    key: &BookingKey,
    now: DateTime<Utc>,
) -> Result<SyncError, SyncError> {
    let mut state = record.payments.clone().unwrap_or_default();
    let read = deployment
        .store
        .documents()
        .get(&conn.id, &record.document)
        .await?
        .and_then(|r| r.payments);
    state.focus_pending = None;
    deployment
        .store
        .documents()
        .set_payments(&conn.id, &record.document, read.as_ref(), &state, now)
        .await?;
    Ok(SyncError::transient(
        Code::OCTOPUS_SEQUENCE_MOVING,
        format!(
            "Journal {} received another booking meanwhile; the payment is retried.",
            key.journal
        ),
    ))
}

async fn found(
    conn: &Connection,
    record: &DocumentRecord,
    key: &BookingKey,
    pending: &FocusPaymentBooking,
) -> Result<bool, SyncError> {
    let bookings = conn
        .octopus
        .modified_financial_bookings(
            Some(key.bookyear),
            Some(key.journal.as_str()),
            pending.started_at - LOOKBACK,
        )
        .await?;
    let reference = line_reference(record);
    Ok(bookings.iter().any(|b| {
        b.document_sequence_nr == key.document_nr as i32
            && b.booking_lines
                .iter()
                .any(|l| l.reference.as_deref() == Some(reference.as_str()))
    }))
}

/// Balances the payment line against the sales booking. When resuming an earlier attempt, Octopus's balancings are
/// read first (48 a day), since that attempt's balancing may have gone in; a first attempt spends no such call.
async fn balance(
    conn: &Connection,
    sales: &BookingKey,
    pending: &FocusPaymentBooking,
    resumed: bool,
) -> Result<(), SyncError> {
    let debet = BalancingKey {
        bookyear_key: BookyearKey { id: sales.bookyear },
        journal_key: sales.journal.as_str().to_owned(),
        document_sequence_nr: sales.document_nr as i32,
        line_sequence_nr: -1,
    };
    let credit = BalancingKey {
        bookyear_key: BookyearKey {
            id: pending.booking.bookyear,
        },
        journal_key: pending.booking.journal.as_str().to_owned(),
        document_sequence_nr: pending.booking.document_nr as i32,
        line_sequence_nr: 1,
    };
    if resumed {
        let already = conn.octopus.modified_balancings(pending.started_at - LOOKBACK).await?;
        if already
            .modified_balancings
            .iter()
            .any(|b| b.debet_document.balancing_key == debet && b.credit_document.balancing_key == credit)
        {
            return Ok(());
        }
    }
    let balancing = Balancing {
        debet_key: debet,
        credit_key: credit,
        balance_amount: pending.amount,
    };
    match conn.octopus.insert_balancing(&balancing).await {
        Ok(()) => Ok(()),
        Err(e) if e.is_transient() => Err(e.into()),
        Err(e) => Err(SyncError::permanent(
            e.code(),
            format!(
                "The Focus payment was booked in Octopus as {} but could not be balanced against the invoice: {e}. \
                 Balance it by hand in Octopus.",
                pending.booking
            ),
        )),
    }
}
