//! What Focus says of a document's Peppol delivery (`peppol_status`), summed up as a bookkeeper needs it.

use serde::Serialize;

/// A document's Peppol delivery: sent (or further: acknowledged, accepted, paid), on its way, failed (the send
/// failed or the receiver rejected it), or never sent through Peppol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeppolState {
    Sent,
    Sending,
    Failed,
    NotSent,
}

impl PeppolState {
    /// From Focus's `peppol_status` (absent: never sent through Peppol). A value Focus adds later counts as sent
    /// unless it says rejected or failed.
    pub fn of(status: Option<&str>) -> Self {
        match status {
            None | Some("") => PeppolState::NotSent,
            Some("sending") => PeppolState::Sending,
            Some(s) if s.ends_with("failed") || s.ends_with("rejected") => PeppolState::Failed,
            Some(_) => PeppolState::Sent,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PeppolState::Sent => "sent",
            PeppolState::Sending => "sending",
            PeppolState::Failed => "failed",
            PeppolState::NotSent => "not_sent",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn focus_s_peppol_statuses_sum_up_to_sent_sending_failed_or_not_sent() {
        assert_eq!(PeppolState::of(None), PeppolState::NotSent);
        assert_eq!(PeppolState::of(Some("sending")), PeppolState::Sending);
        for failed in ["sending_failed", "application_rejected", "receiver_rejected"] {
            assert_eq!(PeppolState::of(Some(failed)), PeppolState::Failed, "{failed}");
        }
        for sent in ["sent", "receiver_accepted", "receiver_paid", "application_acknowledged"] {
            assert_eq!(PeppolState::of(Some(sent)), PeppolState::Sent, "{sent}");
        }
    }
}
