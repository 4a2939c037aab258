//! The payments of a posted document (part of its `DOC#…` item): what Octopus says was paid, what we registered in
//! Focus, and a registration or Focus-payment booking in progress (`Documents::set_payments` replaces it, only for
//! the writer that read it).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The payments of a posted document.
///
/// Octopus balancings have no id: each is keyed by its other side (the payment line) as
/// `<bookyear>/<journal>/<document>/<line>`. Focus payments have no id either, so a registration is written here as
/// `pending` before the call and confirmed after; a pending one found later is checked against Focus first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentState {
    /// Octopus: balanced amount per payment line.
    #[serde(default)]
    pub balanced: std::collections::BTreeMap<String, Decimal>,
    /// Focus: what we registered and saw confirmed.
    #[serde(default)]
    pub registered: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingPayment>,
    /// Focus payments booked in Octopus (the option of docs/DESIGN.md §4.3), in total.
    #[serde(default)]
    pub booked_from_focus: Decimal,
    /// A Focus payment being booked in Octopus: written before the booking, completed after the balancing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus_pending: Option<FocusPaymentBooking>,
    /// Bumped by every write; a write names the version it read.
    #[serde(default)]
    pub version: u64,
}

impl PaymentState {
    /// What Octopus says was paid.
    pub fn paid_in_octopus(&self) -> Decimal {
        self.balanced.values().sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FocusPaymentBooking {
    pub amount: Decimal,
    pub date: chrono::NaiveDate,
    /// The payment journal's booking: bookyear, journal and number reserved.
    pub booking: crate::domain::BookingKey,
    pub period: i32,
    /// The customer's Octopus relation (credited on the payment line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<i32>,
    /// The booking is in Octopus (posted, or found after a lost answer).
    pub booked: bool,
    pub started_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingPayment {
    pub amount: Decimal,
    /// Focus's `paid_at` sent.
    pub paid_at: String,
    pub started_at: DateTime<Utc>,
}
