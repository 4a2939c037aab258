//! After posting: a document changed or deleted in Focus is flagged `needs_review` (Octopus bookings are never
//! changed automatically), and `reviewed` takes what Focus holds now as the reference.

use chrono::{DateTime, Utc};

use super::draft::{mapping_for, posted_amounts};
use super::error::SyncError;
use super::journal::bookyear_for;
use super::outcome::PushOutcome;
use super::services::{Connection, Deployment};
use super::source::{Fetched, FocusDocument, fetch};
use crate::domain::Code;
use crate::domain::booking::build_booking;
use crate::domain::{DocumentKind, DocumentRef, DocumentState, Failure};
use crate::store::{ConnectionConfig, DocumentRecord, DocumentUpdate, PostedAmounts};

/// What booking the document would give now (amounts and fingerprint), or `None` if it cannot be worked out (an
/// unmapped rate, a missing bookyear): then only Focus's total is compared.
async fn current_amounts(
    conn: &Connection,
    config: &ConnectionConfig,
    document: &FocusDocument,
    now: DateTime<Utc>,
) -> Result<Option<PostedAmounts>, SyncError> {
    let source = &document.source;
    Ok(match bookyear_for(conn, source.date, now).await {
        Ok((bookyear, _)) => match mapping_for(conn, config, &document.department, source, bookyear, now).await {
            Ok(mapping) => build_booking(source, &mapping)
                .ok()
                .map(|d| posted_amounts(&d, &document.customer)),
            Err(e) if e.is_transient() => return Err(e),
            Err(_) => None,
        },
        Err(e) if e.is_transient() => return Err(e),
        Err(_) => None,
    })
}

/// A person corrected the booking in Octopus after the document changed in Focus: `needs_review → posted`. What
/// Focus holds now becomes the reference, so the same change is not flagged again; a later change is.
pub async fn mark_reviewed(
    deployment: &Deployment,
    conn_id: &crate::domain::ConnectionId,
    doc: &DocumentRef,
) -> Result<(), SyncError> {
    let conn = deployment.connection(conn_id).await?;
    let now = deployment.clock.now();
    let config = conn.settings(&deployment.store, now).await?;
    let documents = deployment.store.documents();
    let record = documents.get(conn_id, doc).await?.ok_or_else(|| {
        SyncError::permanent(
            Code::NOT_FOUND,
            format!("The sync has no record of the {doc}; `focus-octopus status` lists those needing review."),
        )
    })?;
    if record.state != DocumentState::NeedsReview {
        return Err(SyncError::permanent(
            Code::DOCUMENT_STATE_REFUSED,
            format!("The {doc} is {}, not needs_review; nothing was changed.", record.state),
        ));
    }
    let fetched = fetch(&conn, doc).await?;
    let posted = match &fetched {
        Fetched::Found(document) => current_amounts(&conn, &config, document, now).await?,
        Fetched::Deleted => None,
    };
    documents
        .transition(conn_id, doc, DocumentUpdate::Reviewed { posted }, now)
        .await?;
    Ok(())
}

/// A posted document changed or disappeared in Focus: Octopus has no delete and few updates, so a person looks.
pub(super) async fn review_after_posting(
    deployment: &Deployment,
    conn: &Connection,
    config: &ConnectionConfig,
    record: &DocumentRecord,
    fetched: &Fetched,
    now: DateTime<Utc>,
) -> Result<PushOutcome, SyncError> {
    let booking = record
        .booking
        .as_ref()
        .map_or_else(|| "its booking".to_owned(), |b| b.to_string());
    let reason = match (fetched, &record.posted) {
        (Fetched::Deleted, _) => Some(format!("Deleted in Focus after it was booked in Octopus as {booking}.")),
        (Fetched::Found(document), Some(posted)) => {
            let source = &document.source;
            let now_booked = current_amounts(conn, config, document, now).await?;
            match now_booked {
                Some(current) if &current == posted => None,
                // Recorded by another document's poster resolving a crashed one's intent: it read the totals from
                // Octopus but could not know the lines or customer. Equal totals are no change (found by the chaos
                // run: such documents were flagged for review when their message came back).
                Some(current)
                    if posted.lines_fingerprint.is_empty()
                        && current.total == posted.total
                        && current.vat == posted.vat =>
                {
                    None
                }
                Some(current) => Some(describe_change(posted, &current, &booking)),
                None => {
                    let total = if record.document.kind == DocumentKind::CreditNote {
                        -source.payable
                    } else {
                        source.payable
                    };
                    (total != posted.total).then(|| {
                        format!(
                            "Changed in Focus after it was booked in Octopus as {booking}: total {} → {}.",
                            posted.total, total
                        )
                    })
                }
            }
        }
        (Fetched::Found(_), None) => None,
    };
    let argument = match record.document.kind {
        DocumentKind::Invoice => format!("invoice:{}", record.document.id),
        DocumentKind::CreditNote => format!("credit_note:{}", record.document.id),
    };
    let reason = reason.map(|reason| {
        format!(
            "{reason} Correct the booking in Octopus (a credit note, or by hand), then run `focus-octopus reviewed \
             {argument}`."
        )
    });
    match reason {
        Some(reason) => {
            deployment
                .store
                .documents()
                .transition_numbered(
                    &conn.id,
                    &record.document,
                    DocumentUpdate::Review { reason: reason.clone() },
                    fetched.number(),
                    now,
                )
                .await?;
            Ok(PushOutcome::NeedsReview(reason))
        }
        None => Ok(PushOutcome::Unchanged),
    }
}

fn describe_change(posted: &PostedAmounts, current: &PostedAmounts, booking: &str) -> String {
    let mut changes = Vec::new();
    if posted.total != current.total {
        changes.push(format!("total {} → {}", posted.total, current.total));
    }
    if posted.vat != current.vat {
        changes.push(format!("VAT {} → {}", posted.vat, current.vat));
    }
    let customer = |p: &PostedAmounts| p.lines_fingerprint.split('#').next().unwrap_or_default().to_owned();
    if customer(posted) != customer(current) {
        changes.push(format!("customer {} → {}", customer(posted), customer(current)));
    }
    if changes.is_empty() {
        changes.push("lines (accounts, VAT codes or amounts)".into());
    }
    format!(
        "Changed in Focus after it was booked in Octopus as {booking}: {}.",
        changes.join(", ")
    )
}
