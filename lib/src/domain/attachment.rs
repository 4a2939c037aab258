//! The file that goes with a booking: which rendering of a Focus document, and how it is named.

use serde::{Deserialize, Serialize};

use super::DocumentKind;

/// The formats Focus renders a document in. Credit notes have no Peppol BIS 3 rendering; they go as e-FFF then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DocumentFormat {
    #[default]
    #[serde(rename = "pdf")]
    Pdf,
    #[serde(rename = "ubl/e-fff")]
    UblEfff,
    #[serde(rename = "ubl/peppol_bis_3")]
    UblPeppolBis3,
}

impl DocumentFormat {
    /// As Focus and the CLI name it.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentFormat::Pdf => "pdf",
            DocumentFormat::UblEfff => "ubl/e-fff",
            DocumentFormat::UblPeppolBis3 => "ubl/peppol_bis_3",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            DocumentFormat::Pdf => "pdf",
            DocumentFormat::UblEfff | DocumentFormat::UblPeppolBis3 => "xml",
        }
    }

    /// The format asked for a document of `kind`.
    pub fn for_kind(self, kind: DocumentKind) -> Self {
        match (kind, self) {
            (DocumentKind::CreditNote, DocumentFormat::UblPeppolBis3) => DocumentFormat::UblEfff,
            (_, format) => format,
        }
    }
}

impl std::str::FromStr for DocumentFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            DocumentFormat::Pdf,
            DocumentFormat::UblEfff,
            DocumentFormat::UblPeppolBis3,
        ]
        .into_iter()
        .find(|f| f.as_str() == text)
        .ok_or_else(|| format!("`{text}` is no format Focus renders; use pdf, ubl/e-fff or ubl/peppol_bis_3"))
    }
}

/// The attachment's file name: the document's number with each run of spaces and separators as one `-` (a `/`
/// would read as a folder), and the format's extension: `2026/0042` → `2026-0042.pdf`.
pub fn file_name(number: &str, format: DocumentFormat) -> String {
    let words: Vec<&str> = number
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let stem = if words.is_empty() {
        "document".to_owned()
    } else {
        words.join("-")
    };
    format!("{stem}.{}", format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_named_after_its_document_number() {
        assert_eq!(file_name("2026/0042", DocumentFormat::Pdf), "2026-0042.pdf");
        assert_eq!(file_name(" 2026 / 7 ", DocumentFormat::UblEfff), "2026-7.xml");
        assert_eq!(file_name("", DocumentFormat::Pdf), "document.pdf");
        assert_eq!("ubl/peppol_bis_3".parse(), Ok(DocumentFormat::UblPeppolBis3));
        assert!(
            "docx"
                .parse::<DocumentFormat>()
                .unwrap_err()
                .contains("pdf, ubl/e-fff or ubl/peppol_bis_3")
        );
        assert_eq!(
            DocumentFormat::UblPeppolBis3.for_kind(DocumentKind::CreditNote),
            DocumentFormat::UblEfff
        );
    }
}
