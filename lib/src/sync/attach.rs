//! `attach --missing`: the bookings that went into Octopus without their file (the dossier had no document storage)
//! get it now, one `addAttachementToBooking` each (400 a day), in the format the connection sends.

use serde::Serialize;

use super::error::SyncError;
use super::services::Deployment;
use crate::domain::attachment::file_name;
use crate::domain::{Code, ConnectionId, Failure};
use crate::octopus::Attachment;

/// What `attach --missing` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Attached {
    /// Bookings that now carry their file: `invoice:<id>` with the file's name.
    pub attached: Vec<String>,
    /// Bookings still without their file.
    pub left: usize,
    /// Why it stopped before the end, with the fix: `CODE: sentence`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

pub async fn attach_missing(deployment: &Deployment, conn_id: &ConnectionId) -> Result<Attached, SyncError> {
    let now = deployment.clock.now();
    let conn = deployment.connection(conn_id).await?;
    let config = conn.settings(&deployment.store, now).await?;
    let Some(format) = config.options.attachment else {
        return Err(SyncError::permanent(
            Code::ATTACH_NO_FORMAT,
            "This connection sends no files with its bookings (its option attachment is null). Set the option to \
             \"pdf\", \"ubl/e-fff\" or \"ubl/peppol_bis_3\" in the connection's settings (README, Configuration), \
             then run `focus-octopus attach --missing`.",
        ));
    };
    let documents = deployment.store.documents();
    let missing: Vec<_> = documents
        .list(conn_id)
        .await?
        .into_iter()
        .filter(|r| r.file.as_ref().is_some_and(|f| !f.attached) && r.booking.is_some())
        .collect();
    let mut done = Attached {
        left: missing.len(),
        ..Attached::default()
    };
    for record in &missing {
        let booking = record.booking.as_ref().expect("filtered on it");
        let number = record.number.as_deref().unwrap_or(record.document.id.as_str());
        let result = async {
            let file = conn
                .focus
                .download(record.document.kind, &record.document.id, format)
                .await?;
            let attachment = Attachment::new(file_name(number, file.format), &file.bytes);
            conn.octopus
                .add_attachment(
                    booking.bookyear,
                    booking.journal.as_str(),
                    booking.document_nr as i32,
                    &attachment,
                )
                .await?;
            Ok::<String, SyncError>(attachment.file_name)
        }
        .await;
        match result {
            Ok(name) => {
                documents.file_attached(conn_id, &record.document, now).await?;
                done.attached.push(format!("{} {name}", record.document.argument()));
                done.left -= 1;
            }
            Err(e) => {
                let fix = match e.code() {
                    Code::OCTOPUS_NO_DOCUMENT_STORAGE => {
                        " Enable document storage (DMS) for the dossier in Octopus, then run `focus-octopus attach \
                         --missing` again."
                    }
                    Code::OCTOPUS_BUDGET_EXHAUSTED => {
                        " Today's attachment calls are spent; run `focus-octopus attach --missing` again tomorrow."
                    }
                    _ => " Run `focus-octopus attach --missing` again; the bookings already done are not repeated.",
                };
                done.stopped = Some(format!("{}: {e}{fix}", e.code()));
                break;
            }
        }
    }
    Ok(done)
}
