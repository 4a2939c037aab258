//! Builders for the values tests arrange from.

use chrono::NaiveDate;
use focus_octopus::domain::JournalKey;
use focus_octopus::store::ConnectionConfig;

/// A connection booking invoices in V1 and credit notes in V2 since 1 January 2026, with 21 % mapped.
pub fn connection_config() -> ConnectionConfig {
    ConnectionConfig {
        focus_account_id: "acc-1".into(),
        focus_department_id: "dep-1".into(),
        octopus_dossier_id: 1001,
        invoice_journal: JournalKey::new("V1").expect("valid key"),
        credit_note_journal: JournalKey::new("V2").expect("valid key"),
        start_date: NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date"),
        vat_codes: [("tax-21".to_owned(), "21".to_owned())].into(),
        ledger_by_tax_rate: Default::default(),
        default_ledger_account: Some("700000".into()),
        options: Default::default(),
    }
}
