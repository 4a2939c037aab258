//! A document's file as Focus renders it (`invoices.download`, `creditNotes.download`; docs/partners/focus.md §3.6):
//! the action answers a temporary URL on another host, and the file is fetched from there — without the access
//! token, which is for the API host only.

use serde::{Deserialize, Serialize};

use super::{FocusClient, FocusError};
use crate::domain::{DocumentFormat, DocumentKind};

/// The largest file fetched: Octopus documents no limit for attachments, and a booking call has to carry it.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

#[derive(Serialize)]
struct DownloadRequest<'a> {
    id: &'a str,
    format: DocumentFormat,
}

#[derive(Deserialize)]
struct Download {
    location: String,
}

/// A document's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFile {
    pub format: DocumentFormat,
    pub bytes: Vec<u8>,
}

impl FocusClient {
    /// The document rendered in `format` (see [`DocumentFormat::for_kind`]): one API call, then the file from the
    /// temporary URL. A file over [`MAX_FILE_BYTES`] is refused.
    pub async fn download(
        &self,
        kind: DocumentKind,
        id: &str,
        format: DocumentFormat,
    ) -> Result<DocumentFile, FocusError> {
        let format = format.for_kind(kind);
        let action = match kind {
            DocumentKind::Invoice => "invoices.download",
            DocumentKind::CreditNote => "creditNotes.download",
        };
        let link: Download =
            self.call(action, &DownloadRequest { id, format })
                .await?
                .ok_or(FocusError::UnexpectedResponse {
                    action,
                    details: "no download link".into(),
                })?;
        let unavailable = |details: String| FocusError::Unavailable { action, details };
        let response = self
            .http()
            .get(&link.location)
            .send()
            .await
            .map_err(|e| unavailable(format!("the file could not be fetched: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            // An expired link answers 403 or 404: the next attempt asks for a new one.
            return Err(unavailable(format!(
                "the file's link answered HTTP {}",
                status.as_u16()
            )));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| unavailable(format!("the file was cut off: {e}")))?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(FocusError::UnexpectedResponse {
                action,
                details: format!(
                    "the file has {} bytes, more than the {MAX_FILE_BYTES} a booking may carry",
                    bytes.len()
                ),
            });
        }
        Ok(DocumentFile {
            format,
            bytes: bytes.to_vec(),
        })
    }
}
