//! The journal numbering protocol (docs/DESIGN.md §7): Octopus wants gapless numbers per journal, so each booking
//! is posted under a number reserved with an intent (last + 1), then completed with the counter in one
//! transaction. A `-13` answer says which number Octopus has; the booking is found by its reference when it was
//! ours, and an intent left by a crashed poster is resolved after [`STALE_INTENT`].

use chrono::{DateTime, Duration, Utc};

use super::error::SyncError;
use super::services::{Connection, Deployment};
use crate::domain::Code;
use crate::domain::{BookingKey, BookyearId, DocumentRef, JournalKey};
use crate::store::{IntentGuard, JournalIntent, PostedAmounts, PostedWith};

/// A stale intent of another document is resolved after this long (its poster crashed and its message is gone).
const STALE_INTENT: Duration = Duration::minutes(10);
/// How far back the `buysellbookings/modified` feed is read to find our own booking.
const CONFIRM_LOOKBACK: Duration = Duration::minutes(30);

/// The open bookyear and period holding `date`, from the cache, then once more from Octopus.
pub(super) async fn bookyear_for(
    conn: &Connection,
    date: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<(BookyearId, i32), SyncError> {
    for refresh in [false, true] {
        let bookyears = if refresh {
            conn.refresh_bookyears(now).await?
        } else {
            conn.bookyears(now).await?
        };
        if let Some(by) = bookyears.iter().find(|b| b.covers(date)) {
            if by.closed {
                return Err(SyncError::permanent(
                    Code::OCTOPUS_BOOKYEAR_CLOSED,
                    format!(
                        "Octopus bookyear {} ({} – {}) is closed, so a document dated {date} cannot be booked. \
                         Book it by hand or reopen the bookyear, then resync.",
                        by.bookyear_description.as_deref().unwrap_or("?"),
                        by.start_date,
                        by.end_date
                    ),
                ));
            }
            let period = by.period_of(date).ok_or_else(|| {
                SyncError::permanent(
                    Code::OCTOPUS_PERIOD_MISSING,
                    format!(
                        "Octopus bookyear {} has no period holding {date}. Check its periods in Octopus.",
                        by.id()
                    ),
                )
            })?;
            return Ok((by.id(), period.bookyear_period));
        }
    }
    Err(SyncError::permanent(
        Code::OCTOPUS_BOOKYEAR_MISSING,
        format!("No Octopus bookyear covers {date}. Create the bookyear in Octopus, then resync the document."),
    ))
}

/// The comment a document's sales booking carries (`Focus invoice <id>`): how a crashed poster's booking is
/// recognised as that document's.
pub(super) fn booking_comment(doc: &DocumentRef) -> String {
    format!("Focus {} {}", doc.kind, doc.id)
}

/// What a journal is used for, so a wrong choice is refused before anything is booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JournalUse {
    /// A sales journal taking `buysellbookings` (V, insertion type 1).
    Sales,
    /// A financial or diverse journal taking Focus payments (F or D).
    Payments,
}

/// Reserves the next number of the journal for `doc`, initialising the counter from Octopus on first use and
/// resolving another document's intent left behind by a crash.
pub(super) async fn reserve(
    deployment: &Deployment,
    conn: &Connection,
    bookyear: BookyearId,
    journal: &JournalKey,
    doc: &DocumentRef,
    journal_use: JournalUse,
    now: DateTime<Utc>,
) -> Result<JournalIntent, SyncError> {
    let journals = deployment.store.journals();
    let guard = match journal_use {
        JournalUse::Sales => IntentGuard::DocumentPosting,
        JournalUse::Payments => IntentGuard::None,
    };
    for _ in 0..3 {
        let attempt = match conn.known_last_booked(bookyear, journal) {
            Some(last) => {
                journals
                    .reserve_after(&conn.id, bookyear, journal, doc, last, guard, now)
                    .await
            }
            None => {
                journals
                    .reserve_guarded(&conn.id, bookyear, journal, doc, guard, now)
                    .await
            }
        };
        match attempt {
            Ok(intent) => return Ok(intent),
            Err(crate::store::StoreError::NotFound { .. }) => {
                let last = last_booked_in_octopus(conn, bookyear, journal, journal_use).await?;
                let counter = journals.initialise(&conn.id, bookyear, journal, last, now).await?;
                conn.remember_last_booked(bookyear, journal, Some(counter.last_booked));
            }
            Err(crate::store::StoreError::IntentHeld { intent, .. })
                if journal_use == JournalUse::Sales && now - intent.started_at >= STALE_INTENT =>
            {
                resolve_stale_intent(deployment, conn, bookyear, journal, &intent, now).await?;
                conn.remember_last_booked(bookyear, journal, None);
            }
            Err(crate::store::StoreError::Contended { .. }) => {
                conn.remember_last_booked(bookyear, journal, None);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(SyncError::transient(
        Code::JOURNAL_BUSY,
        format!("Journal {journal} is being used by another document right now; retried later."),
    ))
}

/// The journal's last booked number as Octopus lists it; the journal must suit its use.
pub(super) async fn last_booked_in_octopus(
    conn: &Connection,
    bookyear: BookyearId,
    journal: &JournalKey,
    journal_use: JournalUse,
) -> Result<u32, SyncError> {
    let journals = conn.octopus.refresh_journals(bookyear).await?;
    let found = journals.iter().find(|j| j.journal_key == journal.as_str()).ok_or_else(|| {
        SyncError::permanent(
            Code::OCTOPUS_JOURNAL_MISSING,
            format!("Octopus has no journal {journal} in bookyear {bookyear}. Choose an existing journal with `focus-octopus connect`."),
        )
    })?;
    match journal_use {
        JournalUse::Sales if !found.takes_sales_bookings() => Err(SyncError::permanent(
            Code::OCTOPUS_JOURNAL_NOT_SALES,
            format!(
                "Octopus journal {journal} is not a sales journal that takes bookings (insertion type 1). Choose one \
                 with `focus-octopus connect`."
            ),
        )),
        JournalUse::Payments if !(found.journal_key.starts_with('F') || found.journal_key.starts_with('D')) => {
            Err(SyncError::permanent(
                Code::OCTOPUS_JOURNAL_NOT_FINANCIAL,
                format!(
                    "Octopus journal {journal} is not a financial or diverse journal, so it cannot take payments. \
                     Choose an F or D journal as the payment journal."
                ),
            ))
        }
        _ => Ok(found.last_booked_document_nr.unwrap_or(0).max(0) as u32),
    }
}

/// What a `-13` refusal of a booking's number turned out to mean.
pub(super) enum NumberRefused<T> {
    /// The number holds our own booking: an earlier attempt went in and its answer was lost.
    Ours { found: T, last: u32 },
    /// Another booking holds it (or Octopus is behind us): the counter now follows Octopus's last number.
    Taken,
}

/// The one answer to `-13`, for sales and payment bookings alike. Octopus's last number is the one its message
/// states, or the journal read again when it states none (never read as 0); when that number covers ours,
/// `find_ours` looks for our own booking; otherwise the counter (stored and remembered) follows Octopus, and the
/// caller tries under the next number.
pub(super) async fn follow_refused_number<T>(
    deployment: &Deployment,
    conn: &Connection,
    (key, journal_use): (&BookingKey, JournalUse),
    stated: Option<i32>,
    now: DateTime<Utc>,
    find_ours: impl AsyncFnOnce() -> Result<Option<T>, SyncError>,
) -> Result<NumberRefused<T>, SyncError> {
    let last = match stated {
        Some(last) if last >= 0 => last as u32,
        _ => last_booked_in_octopus(conn, key.bookyear, &key.journal, journal_use).await?,
    };
    if last >= key.document_nr
        && let Some(found) = find_ours().await?
    {
        return Ok(NumberRefused::Ours { found, last });
    }
    deployment
        .store
        .journals()
        .resynchronise(&conn.id, key.bookyear, &key.journal, last, now)
        .await?;
    conn.remember_last_booked(key.bookyear, &key.journal, Some(last));
    Ok(NumberRefused::Taken)
}

/// Our booking among the journal's recent bookings, by reference and (for a recent intent) number.
pub(super) async fn find_own_booking(
    conn: &Connection,
    bookyear: BookyearId,
    journal: &JournalKey,
    doc: &DocumentRef,
    number: &str,
    intent: &JournalIntent,
) -> Result<Option<u32>, SyncError> {
    let since = intent.started_at - CONFIRM_LOOKBACK;
    let bookings = conn
        .octopus
        .modified_bookings(Some(bookyear), Some(journal.as_str()), since)
        .await?;
    let tag = booking_comment(doc);
    Ok(bookings
        .iter()
        .filter(|b| b.journal_key == journal.as_str() && is_ours(b, &tag, number))
        .map(|b| b.document_sequence_nr.max(0) as u32)
        .min_by_key(|nr| nr.abs_diff(intent.document_nr)))
}

/// Whether a booking Octopus holds is this document's: it carries our comment naming the Focus document (every
/// version wrote it), or — should a bookkeeper have edited the comment — the document's number as its order
/// reference (this version) or as its reference (earlier versions, which wrote the number there), without a comment
/// naming another Focus document.
fn is_ours(booking: &crate::octopus::BuySellBooking, tag: &str, number: &str) -> bool {
    let comment = booking.comment.as_deref().unwrap_or_default();
    if comment == tag {
        return true;
    }
    let names_another = comment.starts_with("Focus ") && comment != tag;
    !names_another
        && (booking.order_reference.as_deref() == Some(number) || booking.reference.as_deref() == Some(number))
}

pub(super) async fn complete(
    deployment: &Deployment,
    conn: &Connection,
    intent: &JournalIntent,
    key: &BookingKey,
    amounts: &PostedAmounts,
    with: PostedWith<'_>,
    now: DateTime<Utc>,
) -> Result<(), SyncError> {
    deployment
        .store
        .journals()
        .complete(&conn.id, intent, key, amounts, with, now)
        .await?;
    conn.remember_last_booked(key.bookyear, &key.journal, Some(key.document_nr));
    Ok(())
}

/// Records a booking Octopus already holds under `found` as the document's, and leaves the counter at `last`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn confirm(
    deployment: &Deployment,
    conn: &Connection,
    intent: &JournalIntent,
    found: u32,
    last: u32,
    key: &BookingKey,
    amounts: &PostedAmounts,
    with: PostedWith<'_>,
    now: DateTime<Utc>,
) -> Result<BookingKey, SyncError> {
    let journals = deployment.store.journals();
    let found_key = BookingKey {
        document_nr: found,
        ..key.clone()
    };
    if found == intent.document_nr {
        complete(deployment, conn, intent, &found_key, amounts, with, now).await?;
    } else {
        // Booked under another number than the intent (the counter was behind): re-point the intent, complete it,
        // then follow Octopus's counter.
        journals
            .resynchronise(&conn.id, key.bookyear, &key.journal, found - 1, now)
            .await?;
        let moved = journals
            .reserve(&conn.id, key.bookyear, &key.journal, &intent.document, now)
            .await?;
        complete(deployment, conn, &moved, &found_key, amounts, with, now).await?;
    }
    if last > found {
        journals
            .resynchronise(&conn.id, key.bookyear, &key.journal, last, now)
            .await?;
        conn.remember_last_booked(key.bookyear, &key.journal, Some(last));
    }
    tracing::info!(connection = %conn.id, document = %intent.document, booking = %found_key,
        "booking found in Octopus after a lost answer; recorded, not posted again");
    Ok(found_key)
}

/// Another document's intent, older than [`STALE_INTENT`]: its poster crashed. If Octopus holds its booking, the
/// document is recorded `posted`; otherwise the intent is dropped and that document is posted when its message
/// comes back.
async fn resolve_stale_intent(
    deployment: &Deployment,
    conn: &Connection,
    bookyear: BookyearId,
    journal: &JournalKey,
    intent: &JournalIntent,
    now: DateTime<Utc>,
) -> Result<(), SyncError> {
    let since = intent.started_at - CONFIRM_LOOKBACK;
    let bookings = conn
        .octopus
        .modified_bookings(Some(bookyear), Some(journal.as_str()), since)
        .await?;
    let comment = booking_comment(&intent.document);
    let booked = bookings.iter().find(|b| {
        b.document_sequence_nr == intent.document_nr as i32 && b.comment.as_deref() == Some(comment.as_str())
    });
    match booked {
        Some(b) => {
            let key = BookingKey {
                bookyear,
                journal: journal.clone(),
                document_nr: intent.document_nr,
            };
            let amounts = PostedAmounts {
                total: b.amount,
                vat: b.booking_lines.iter().map(|l| l.vat_amount).sum(),
                lines_fingerprint: String::new(),
            };
            // The owner is `posting`; completing needs nothing else from it.
            deployment
                .store
                .journals()
                .complete(&conn.id, intent, &key, &amounts, PostedWith::default(), now)
                .await?;
        }
        None => {
            deployment
                .store
                .journals()
                .release(&conn.id, bookyear, journal, &intent.document, now)
                .await?;
        }
    }
    Ok(())
}
