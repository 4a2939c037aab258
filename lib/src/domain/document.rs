//! The life of a Focus document in the sync, and the only transitions it may make.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Invoice or credit note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "invoice",
            DocumentKind::CreditNote => "credit_note",
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DocumentKind::Invoice => "invoice",
            DocumentKind::CreditNote => "credit note",
        })
    }
}

/// Sync state of one document (docs/DESIGN.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentState {
    /// Known, not yet attempted (or handed back by a person with `resync`).
    Pending,
    /// A poster is working on it; the journal item holds its intent.
    Posting,
    /// Booked in Octopus exactly once; the booking key is recorded.
    Posted,
    /// Permanent problem that needs a person or a configuration change; carries a code and a sentence.
    Failed,
    /// Deliberately not booked: draft, before the start date, or zero amount by option.
    Skipped,
    /// Changed or deleted in Focus after posting, or a payment was un-reconciled: a person must look.
    NeedsReview,
}

impl DocumentState {
    pub const ALL: [DocumentState; 6] = [
        DocumentState::Pending,
        DocumentState::Posting,
        DocumentState::Posted,
        DocumentState::Failed,
        DocumentState::Skipped,
        DocumentState::NeedsReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentState::Pending => "pending",
            DocumentState::Posting => "posting",
            DocumentState::Posted => "posted",
            DocumentState::Failed => "failed",
            DocumentState::Skipped => "skipped",
            DocumentState::NeedsReview => "needs_review",
        }
    }

    /// The states a document may come from to reach `self`.
    ///
    /// Nothing leaves `posted` except towards `needs_review`: a booking exists in Octopus, so the document can never
    /// be booked again. `posting → posting` is a redelivered message taking over after a transient failure.
    /// `failed`/`skipped → pending` is a person's explicit `resync`, and `needs_review → posted` a person's
    /// `reviewed`, never automatic steps.
    pub fn allowed_predecessors(self) -> &'static [DocumentState] {
        use DocumentState::*;
        match self {
            Pending => &[Failed, Skipped],
            Posting => &[Pending, Posting, Failed],
            Posted => &[Posting, NeedsReview],
            Failed => &[Pending, Posting],
            Skipped => &[Pending, Posting],
            NeedsReview => &[Posted, NeedsReview],
        }
    }

    pub fn can_become(self, next: DocumentState) -> bool {
        next.allowed_predecessors().contains(&self)
    }

    /// Whether the sweep should (re-)enqueue a document in this state.
    pub fn awaits_posting(self) -> bool {
        matches!(self, DocumentState::Pending | DocumentState::Posting)
    }
}

impl fmt::Display for DocumentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::DocumentState::*;
    use super::*;

    #[test]
    fn a_posted_document_can_only_go_to_review() {
        for next in DocumentState::ALL {
            assert_eq!(Posted.can_become(next), next == NeedsReview, "posted → {next}");
        }
    }

    #[test]
    fn only_a_posting_document_or_a_reviewed_one_can_become_posted() {
        for from in DocumentState::ALL {
            assert_eq!(
                from.can_become(Posted),
                matches!(from, Posting | NeedsReview),
                "{from} → posted"
            );
        }
    }

    #[test]
    fn nothing_goes_back_to_pending_but_a_resync_of_failed_or_skipped() {
        for from in DocumentState::ALL {
            assert_eq!(
                from.can_become(Pending),
                matches!(from, Failed | Skipped),
                "{from} → pending"
            );
        }
    }

    #[test]
    fn states_serialise_as_their_names() {
        for state in DocumentState::ALL {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
    }
}
