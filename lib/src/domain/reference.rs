//! What a sales booking's `reference` says, so that Octopus's bank-statement import can match the payment by itself
//! (docs/partners/octopus.md §12): an invoice's Belgian structured communication, a credit note's credited invoice.

use std::fmt;

use super::DocumentKind;

/// A Belgian structured communication (OGM/VCS): ten digits and a check number, the ten digits modulo 97 (97 when
/// that is 0), written `+++123/4567/89002+++`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StructuredReference([u8; 12]);

impl StructuredReference {
    /// Reads `+++123/4567/89002+++`, `***123/4567/89002***` or the twelve digits alone; `None` when the text is not
    /// one or its check number is wrong.
    pub fn parse(text: &str) -> Option<Self> {
        let trimmed = text.trim();
        let inner = ["+++", "***"]
            .iter()
            .find_map(|m| trimmed.strip_prefix(m).and_then(|t| t.strip_suffix(m)))
            .unwrap_or(trimmed);
        let digits: Vec<u8> = inner.bytes().filter(|b| *b != b'/' && *b != b' ').collect();
        if digits.len() != 12 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut out = [0u8; 12];
        for (o, d) in out.iter_mut().zip(&digits) {
            *o = d - b'0';
        }
        let base = out[..10].iter().fold(0u64, |n, d| n * 10 + u64::from(*d));
        let check = u64::from(out[10]) * 10 + u64::from(out[11]);
        let expected = match base % 97 {
            0 => 97,
            r => r,
        };
        (check == expected).then_some(StructuredReference(out))
    }

    /// The twelve digits, as a bank statement carries them.
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }
}

impl fmt::Display for StructuredReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "+++{}/{}/{}+++", &d[..3], &d[3..7], &d[7..])
    }
}

/// The booking's `reference`: an invoice's structured communication when Focus gives a valid one (in Focus's
/// `+++…+++` form, the form Octopus's own invoicing writes), a credit note's credited invoice number when it has
/// one, and otherwise the document's own number (what earlier versions always wrote).
pub fn booking_reference(
    kind: DocumentKind,
    number: &str,
    payment_reference: Option<&str>,
    credited_number: Option<&str>,
) -> String {
    match kind {
        DocumentKind::Invoice => payment_reference
            .and_then(StructuredReference::parse)
            .map(|r| r.to_string()),
        DocumentKind::CreditNote => credited_number.filter(|n| !n.trim().is_empty()).map(str::to_owned),
    }
    .unwrap_or_else(|| number.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_is_what_pays_the_document_and_the_number_where_there_is_none() {
        let ogm = Some("+++084/2613/66074+++");
        assert_eq!(
            booking_reference(DocumentKind::Invoice, "2026 / 17", ogm, None),
            "+++084/2613/66074+++"
        );
        assert_eq!(
            booking_reference(DocumentKind::Invoice, "2026 / 17", Some("084261366075"), None),
            "2026 / 17"
        );
        assert_eq!(
            booking_reference(DocumentKind::Invoice, "2026 / 17", None, None),
            "2026 / 17"
        );
        assert_eq!(
            booking_reference(DocumentKind::CreditNote, "2026 / 3", None, Some("2026 / 17")),
            "2026 / 17"
        );
        assert_eq!(
            booking_reference(DocumentKind::CreditNote, "2026 / 3", ogm, None),
            "2026 / 3"
        );
    }

    #[test]
    fn a_structured_communication_is_read_in_every_written_form_and_checked() {
        let r = StructuredReference::parse("+++084/2613/66074+++");
        // 0842613660 mod 97 = 74
        assert_eq!(r.map(|r| r.to_string()).as_deref(), Some("+++084/2613/66074+++"));
        assert_eq!(StructuredReference::parse("***084/2613/66074***"), r);
        assert_eq!(StructuredReference::parse("084261366074"), r);
        assert_eq!(r.map(|r| r.digits()).as_deref(), Some("084261366074"));
        assert_eq!(
            StructuredReference::parse("+++084/2613/66075+++"),
            None,
            "wrong check number"
        );
        assert_eq!(StructuredReference::parse("+++084/2613/6607+++"), None, "eleven digits");
        assert_eq!(StructuredReference::parse("2026 / 17"), None);
        // A base that is a multiple of 97 has check number 97.
        assert!(StructuredReference::parse("000000009797").is_some());
        assert!(StructuredReference::parse("000000009700").is_none());
    }
}
