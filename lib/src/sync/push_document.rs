//! `push_document`: one Focus invoice or credit note to exactly one Octopus sales booking (docs/DESIGN.md §4.1, §7).
//!
//! The document is read from Focus again (the queue message is only a hint), its customer exported first, the
//! booking built by [`crate::domain::booking`], and posted under a journal number reserved with an intent:
//! last + 1, posted, then `posted` + counter in one transaction. Octopus's `-13` answer says which number it has;
//! if that is ours, our booking went in before a crash and is confirmed by its reference instead of posted again.

use chrono::{DateTime, Utc};

use super::draft::{mapping_for, posted_amounts};
use super::error::SyncError;
use super::export_customer::ensure_customer;
use super::journal::{
    JournalUse, NumberRefused, booking_comment, bookyear_for, complete, confirm, find_own_booking,
    follow_refused_number, reserve,
};
use super::messages::{DocumentMessage, Trigger};
pub use super::outcome::PushOutcome;
use super::review::review_after_posting;
use super::services::{Connection, Deployment};
use super::source::{Fetched, FocusDocument, credited_number, fetch};
use crate::domain::Code;
use crate::domain::PeppolState;
use crate::domain::attachment::file_name;
use crate::domain::booking::build_booking;
use crate::domain::{BookingKey, DocumentKind, DocumentRef, DocumentState, Failure};
use crate::octopus::{Attachment, BuySellBooking, OctopusError};
use crate::store::{Begun, BookingFile, ConnectionConfig, DocumentUpdate, PostedWith, RecordedError, StoreError};

/// Resynchronisations of the journal counter within one attempt before giving up for now.
const SEQUENCE_ATTEMPTS: u32 = 3;

/// Handles one message. `Err` only for transient failures: the caller reports the record so SQS redelivers it.
pub async fn push_document(deployment: &Deployment, message: &DocumentMessage) -> Result<PushOutcome, SyncError> {
    let conn = deployment.connection(&message.connection).await?;
    let now = deployment.clock.now();
    if message.trigger == Trigger::Resync {
        // A person asked for this after changing something (the fix a failure names, most often a mapping): the
        // settings this instance cached up to a minute ago may predate the change (found by `make demo`).
        conn.forget_settings();
    }
    let config = conn.settings(&deployment.store, now).await?;
    let doc = &message.document;
    let documents = deployment.store.documents();

    // The record first (one write, as before): whatever fails from here on, the document is known to await posting,
    // so the sweep brings it back even if every message of it is lost (found by the chaos run: documents whose
    // fetch failed five times had no record, and the dead-lettered message was their only trace).
    let begun = documents.begin_posting(&conn.id, doc, now).await?;
    if let Begun::Started(_) = &begun
        && let Some(pause) = conn.paused(&deployment.store, now).await?
    {
        // Nothing is asked of Focus while its authorisation is refused; the puller brings the document back.
        let recorded = RecordedError {
            code: pause.code,
            message: pause.message.clone(),
            class: crate::domain::ErrorClass::Transient,
            at: now,
        };
        documents
            .transition(&conn.id, doc, DocumentUpdate::RetryLater(recorded), now)
            .await?;
        return Ok(PushOutcome::Paused(pause.message));
    }
    if let Begun::Started(_) = &begun
        && let Some(until) = conn.bookings_closed_until(now)
    {
        // The day's booking budget is spent: no Focus call for a booking that cannot be made before the reset.
        return Err(SyncError::transient(
            Code::OCTOPUS_BUDGET_EXHAUSTED,
            format!("Today's Octopus booking budget is spent; the document is booked after {until} (the reset)."),
        ));
    }
    let fetched = match (fetch(&conn, doc).await, &begun) {
        (Ok(fetched), _) => fetched,
        // A document that cannot be read or understood is parked like one that cannot be booked: the rest of its
        // journal goes on (found trying a real account: one poison document blocked its message group for ever).
        (Err(e), Begun::Started(_)) => return settle_failure(deployment, &conn, doc, None, e, now).await,
        (Err(e), Begun::Current(_)) if e.is_transient() => return Err(e),
        (Err(e), Begun::Current(record)) => {
            // Already settled (posted, parked, skipped): its state stays; the message must not block the group.
            tracing::warn!(connection = %conn.id, document = %doc, state = %record.state, code = e.code().as_str(),
                "a settled document could not be read again: {e}");
            return Ok(PushOutcome::Unchanged);
        }
    };
    if matches!(begun, Begun::Started(_))
        && let Fetched::Found(document) = &fetched
        && document.department != config.focus_department_id
    {
        // Focus delivers every department's webhooks to every registration of the account: another legal entity's
        // document is never booked here, and never gets mapping advice.
        let reason = other_department(&conn, &document.department, &config.focus_department_id).await;
        return skip(deployment, &conn.id, doc, fetched.number(), reason, now).await;
    }

    // A document already settled (posted, parked, skipped) is checked against Focus, not posted again.
    if let Begun::Current(record) = begun {
        return match record.state {
            DocumentState::Posted | DocumentState::NeedsReview => {
                let peppol = follow_peppol(deployment, &conn.id, &record, &fetched, now).await?;
                let outcome = review_after_posting(deployment, &conn, &config, &record, &fetched, now).await?;
                Ok(match (outcome, peppol) {
                    (PushOutcome::Unchanged, Some(note)) => PushOutcome::Reported(note),
                    (outcome, _) => outcome,
                })
            }
            DocumentState::Skipped if matches!(&fetched, Fetched::Found(d) if !d.is_draft) => {
                // A skipped draft was booked since, or a person resynced it: start again.
                documents.transition(&conn.id, doc, DocumentUpdate::Resync, now).await?;
                Box::pin(push_document(deployment, message)).await
            }
            _ => Ok(PushOutcome::Unchanged),
        };
    }

    let skip = |reason: String| skip(deployment, &conn.id, doc, fetched.number(), reason, now);
    let Fetched::Found(document) = &fetched else {
        return skip("Deleted in Focus before it was booked in Octopus.".into()).await;
    };
    let source = &document.source;
    if document.is_draft {
        return skip("A draft in Focus; it is booked once Focus books it.".into()).await;
    }
    if source.date < config.start_date {
        return skip(format!(
            "Dated {} , before the connection's start date {}.",
            source.date, config.start_date
        ))
        .await;
    }
    if config.options.skip_zero_amounts && source.payable.is_zero() {
        return skip("Its total is zero and the connection skips zero amounts.".into()).await;
    }

    match post(deployment, &conn, &config, doc, document, now).await {
        Ok(outcome) => Ok(outcome),
        Err(e) => settle_failure(deployment, &conn, doc, Some(&source.number), e, now).await,
    }
}

/// What a failure at any step does to the document: a transient one is recorded as the reason it waits (so
/// `status` shows why) and handed back for a retry; a permanent one parks the document `failed` with its code and
/// fix, and the message is acknowledged. `number`: Focus's, when the document was read.
async fn settle_failure(
    deployment: &Deployment,
    conn: &Connection,
    doc: &DocumentRef,
    number: Option<&str>,
    e: SyncError,
    now: DateTime<Utc>,
) -> Result<PushOutcome, SyncError> {
    let documents = deployment.store.documents();
    let moved = |e: &SyncError| matches!(e, SyncError::Store(StoreError::TransitionRefused { .. }));
    if moved(&e) {
        // Another poster settled this document first (two instances on one message, after its visibility timeout
        // ran out): it is that poster's to record, and this message has nothing left to do. Found by the chaos run
        // once its "two posters" fault really put two posters on one message group: the loser parked the winner's
        // booked document as failed.
        tracing::info!(connection = %conn.id, document = %doc, "another poster settled the document first: {e}");
        return Ok(PushOutcome::Unchanged);
    }
    let recorded = RecordedError::from_failure(&e, now);
    if super::pause::stops_the_connection(&e) {
        super::pause::pause(deployment, conn, &e, crate::store::RunKind::Push, now).await?;
        let waiting = RecordedError {
            class: crate::domain::ErrorClass::Transient,
            ..recorded
        };
        documents
            .transition_numbered(&conn.id, doc, DocumentUpdate::RetryLater(waiting), number, now)
            .await?;
        return Ok(PushOutcome::Paused(e.to_string()));
    }
    let update = if e.is_transient() {
        if e.code() == Code::OCTOPUS_BUDGET_EXHAUSTED {
            conn.close_bookings_until(crate::octopus::budget_resets_at(now));
        }
        DocumentUpdate::RetryLater(recorded.clone())
    } else {
        DocumentUpdate::Fail(recorded.clone())
    };
    match documents.transition_numbered(&conn.id, doc, update, number, now).await {
        Ok(_) => {}
        Err(refused @ StoreError::TransitionRefused { .. }) => {
            tracing::info!(connection = %conn.id, document = %doc, "another poster settled the document first: {refused}");
            return Ok(PushOutcome::Unchanged);
        }
        Err(other) => return Err(other.into()),
    }
    if e.is_transient() {
        return Err(e);
    }
    tracing::warn!(connection = %conn.id, document = %doc, code = e.code().as_str(), "document parked: {e}");
    Ok(PushOutcome::Failed(recorded))
}

/// Why a document of another department is skipped, with the departments' names where Focus gives them.
async fn other_department(conn: &Connection, theirs: &str, ours: &str) -> String {
    let names = conn.focus.departments().await.unwrap_or_default();
    let name = |id: &str| {
        names
            .iter()
            .find(|d| d.id == id)
            .map_or_else(|| id.to_owned(), |d| format!("{} ({id})", d.name))
    };
    format!(
        "It belongs to Focus department {}, not to this connection's {}: another company's documents are never \
         booked in this dossier.",
        name(theirs),
        name(ours)
    )
}

/// Records a change of the document's Peppol status; a delivery that newly failed is said, with what to do.
async fn follow_peppol(
    deployment: &Deployment,
    conn: &crate::domain::ConnectionId,
    record: &crate::store::DocumentRecord,
    fetched: &Fetched,
    now: DateTime<Utc>,
) -> Result<Option<String>, SyncError> {
    let Fetched::Found(document) = fetched else {
        return Ok(None);
    };
    if document.peppol == record.peppol {
        return Ok(None);
    }
    deployment
        .store
        .documents()
        .set_peppol(conn, &record.document, document.peppol.as_deref(), now)
        .await?;
    let failed = PeppolState::of(document.peppol.as_deref()) == PeppolState::Failed
        && PeppolState::of(record.peppol.as_deref()) != PeppolState::Failed;
    Ok(failed.then(|| peppol_failed(&document.source.number, document.peppol.as_deref().unwrap_or_default())))
}

/// What a bookkeeper reads of a failed Peppol delivery.
pub(super) fn peppol_failed(number: &str, status: &str) -> String {
    format!(
        "Peppol could not deliver {number} ({status}). It stays booked in Octopus as it is; correct it in Focus with \
         a credit note and a new invoice, and both are booked here by themselves."
    )
}

async fn skip(
    deployment: &Deployment,
    conn: &crate::domain::ConnectionId,
    doc: &DocumentRef,
    number: Option<&str>,
    reason: String,
    now: DateTime<Utc>,
) -> Result<PushOutcome, SyncError> {
    deployment
        .store
        .documents()
        .transition_numbered(conn, doc, DocumentUpdate::Skip { reason: reason.clone() }, number, now)
        .await?;
    Ok(PushOutcome::Skipped(reason))
}

async fn post(
    deployment: &Deployment,
    conn: &Connection,
    config: &ConnectionConfig,
    doc: &DocumentRef,
    document: &FocusDocument,
    now: DateTime<Utc>,
) -> Result<PushOutcome, SyncError> {
    let customer = &document.customer;
    let mut source = document.source.clone();
    source.credited_number = credited_number(deployment, conn, document).await?;
    let source = &source;
    let (bookyear, period) = bookyear_for(conn, source.date, now).await?;
    let mapping = mapping_for(conn, config, &document.department, source, bookyear, now).await?;
    let draft = build_booking(source, &mapping)?;
    let journal = match doc.kind {
        DocumentKind::Invoice => config.invoice_journal.clone(),
        DocumentKind::CreditNote => config.credit_note_journal.clone(),
    };
    let (relation, external) = ensure_customer(deployment, conn, customer, now).await?;
    let amounts = posted_amounts(&draft, customer);
    let mut attachments = attachments_of(conn, config, doc, &draft.number, now).await?;
    // What the record says of the file: sent, or (no document storage) the booking went without it.
    let file_of = |attachments: &[Attachment]| {
        config.options.attachment.map(|format| BookingFile {
            name: file_name(&draft.number, format),
            attached: !attachments.is_empty(),
        })
    };

    for _ in 0..SEQUENCE_ATTEMPTS {
        let intent = reserve(deployment, conn, bookyear, &journal, doc, JournalUse::Sales, now).await?;
        let key = BookingKey {
            bookyear,
            journal: journal.clone(),
            document_nr: intent.document_nr,
        };
        let booking = BuySellBooking::sale(&draft, &key, period, (relation, external), booking_comment(doc));
        match conn.octopus.insert_booking(&booking, &attachments).await {
            Ok(()) => {
                let file = file_of(&attachments);
                let with = PostedWith {
                    number: Some(&draft.number),
                    file: file.as_ref(),
                    peppol: document.peppol.as_deref(),
                };
                complete(deployment, conn, &intent, &key, &amounts, with, now).await?;
                tracing::info!(connection = %conn.id, document = %doc, booking = %key, "posted");
                return Ok(PushOutcome::Posted(key));
            }
            Err(OctopusError::IllegalSequence { last_booked, .. }) => {
                let refused = follow_refused_number(
                    deployment,
                    conn,
                    (&key, JournalUse::Sales),
                    last_booked,
                    now,
                    async || find_own_booking(conn, bookyear, &journal, doc, &draft.number, &intent).await,
                )
                .await?;
                if let NumberRefused::Ours { found, last } = refused {
                    let file = file_of(&attachments);
                    let with = PostedWith {
                        number: Some(&draft.number),
                        file: file.as_ref(),
                        peppol: document.peppol.as_deref(),
                    };
                    let confirmed = confirm(deployment, conn, &intent, found, last, &key, &amounts, with, now).await?;
                    return Ok(PushOutcome::Confirmed(confirmed));
                }
                // Someone else's booking holds the number (or Octopus is behind us): retry under the next one.
            }
            Err(OctopusError::NoDocumentStorage { details }) if !attachments.is_empty() => {
                // Nothing was booked: the booking goes in without its file, under the same (still reserved) number.
                tracing::warn!(connection = %conn.id, document = %doc, code = Code::OCTOPUS_NO_DOCUMENT_STORAGE.as_str(),
                    "booking without its file: {details}");
                attachments.clear();
                conn.refuse_files(now);
            }
            Err(e) if e.is_transient() => {
                // The intent stays: the next attempt reuses the number, so a booking that went in is found.
                return Err(e.into());
            }
            Err(e) => {
                deployment
                    .store
                    .journals()
                    .release(&conn.id, bookyear, &journal, doc, now)
                    .await?;
                conn.remember_last_booked(bookyear, &journal, None);
                return Err(e.into());
            }
        }
    }
    Err(SyncError::transient(
        Code::OCTOPUS_SEQUENCE_MOVING,
        format!("Journal {journal} kept receiving other bookings while this document was posted; retried later."),
    ))
}

/// The file that goes with the booking in the format the connection chose, named after the document's number; none
/// when it chose none, or while Octopus refuses files for lack of document storage.
async fn attachments_of(
    conn: &Connection,
    config: &ConnectionConfig,
    doc: &DocumentRef,
    number: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Attachment>, SyncError> {
    let Some(format) = config.options.attachment.filter(|_| !conn.files_refused(now)) else {
        return Ok(Vec::new());
    };
    let file = conn.focus.download(doc.kind, &doc.id, format).await?;
    Ok(vec![Attachment::new(file_name(number, file.format), &file.bytes)])
}
