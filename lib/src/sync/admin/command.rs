//! The admin commands, defined once: the JSON the admin function takes and, with the `cli` feature, the CLI's
//! subcommands (docs/DESIGN.md §4.4).

use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::ConnectionId;

/// The actions the admin function understands, as JSON `{"action": "<kebab-case name>", "connection": …, …}`
/// (struct variants: serde refuses unknown fields only on those). With the `cli` feature they are also the CLI's
/// subcommands, so the two cannot drift apart: each doc comment below is the subcommand's or option's help.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Subcommand))]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AdminCommand {
    /// Check that the stack answers; list its connections.
    Ping {},
    /// Documents per state, what needs a person (with reason and fix), recent runs, Octopus calls left today.
    Status {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
    },
    /// Check the whole setup; every failed check says how to fix it. Exits 1 if one fails.
    Doctor {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// The receiver's Function URL (WebhookBaseUrl), to check the webhooks point at it.
        #[cfg_attr(feature = "cli", arg(long))]
        #[serde(default)]
        receiver_url: Option<String>,
    },
    /// Hand documents back to the poster: --failed, --since DATE, or named documents (invoice:<id>).
    Resync {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// Every document that failed.
        #[cfg_attr(feature = "cli", arg(long))]
        #[serde(default)]
        failed: bool,
        /// Every document booked in Focus since this day, YYYY-MM-DD.
        #[cfg_attr(feature = "cli", arg(long, value_name = "YYYY-MM-DD"))]
        #[serde(default)]
        since: Option<NaiveDate>,
        /// Documents as `status` prints them: invoice:<id> or credit_note:<id>.
        #[cfg_attr(feature = "cli", arg(value_name = "DOC"))]
        #[serde(default)]
        documents: Vec<String>,
    },
    /// After correcting Octopus for documents that changed in Focus (needs_review): mark them reviewed
    /// (invoice:<id> or credit_note:<id>).
    Reviewed {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// Documents as `status` prints them: invoice:<id> or credit_note:<id>.
        #[cfg_attr(feature = "cli", arg(value_name = "DOC"))]
        documents: Vec<String>,
    },
    /// Print the Focus authorisation link (open it, approve, and the receiver's callback stores the tokens).
    ConnectFocus {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// The receiver's Function URL followed by /oauth/callback, as registered on the Focus Marketplace
        /// (https; http only for 127.0.0.1).
        #[cfg_attr(feature = "cli", arg(long))]
        redirect_uri: String,
        /// Accept an approval by another Focus account than the one that approved before. Without it such an
        /// approval is refused (FOCUS_ACCOUNT_CHANGED), so the source of the books cannot change unnoticed.
        #[cfg_attr(feature = "cli", arg(long))]
        #[serde(default)]
        switch_account: bool,
    },
    /// List the Focus departments the authorisation can see (run `connect-focus` first).
    #[cfg_attr(feature = "cli", command(name = "departments"))]
    FocusDepartments {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
    },
    /// List the Octopus dossiers the login can open.
    #[cfg_attr(feature = "cli", command(name = "dossiers"))]
    OctopusDossiers {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
    },
    /// List the sales journals (booking insertion) of a dossier in the bookyear holding DATE.
    SalesJournals {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// The Octopus dossier id (from `dossiers`).
        #[cfg_attr(feature = "cli", arg(long))]
        dossier: i32,
        /// A date of the bookyear to look in, YYYY-MM-DD.
        #[cfg_attr(feature = "cli", arg(long, value_name = "YYYY-MM-DD"))]
        date: NaiveDate,
    },
    /// Choose the Focus department, Octopus dossier, journals and start date.
    Connect {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// The Focus department (company) id, from `departments`.
        #[cfg_attr(feature = "cli", arg(long = "department"))]
        focus_department_id: String,
        /// The Octopus dossier id, from `dossiers`.
        #[cfg_attr(feature = "cli", arg(long))]
        dossier: i32,
        /// The sales journal for invoices, from `sales-journals` (such as V1).
        #[cfg_attr(feature = "cli", arg(long))]
        invoice_journal: crate::domain::JournalKey,
        /// The sales journal for credit notes (such as V2).
        #[cfg_attr(feature = "cli", arg(long))]
        credit_note_journal: crate::domain::JournalKey,
        /// Documents dated before this day are never booked, YYYY-MM-DD.
        #[cfg_attr(feature = "cli", arg(long, value_name = "YYYY-MM-DD"))]
        start_date: NaiveDate,
    },
    /// Show the Focus tax rates with their Octopus VAT code, or a suggestion (never for the 0 % variants).
    MapSuggestions {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
    },
    /// Map a Focus tax rate to an Octopus VAT code and/or ledger, or set the default ledger.
    Map {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// The Focus tax-rate id (from `map-suggestions`).
        #[cfg_attr(feature = "cli", arg(long))]
        #[serde(default)]
        tax_rate: Option<String>,
        /// The Octopus sales VAT code for that rate (such as 21, 06, 47).
        #[cfg_attr(feature = "cli", arg(long))]
        #[serde(default)]
        vat_code: Option<String>,
        /// The 70… revenue account for that rate's lines.
        #[cfg_attr(feature = "cli", arg(long))]
        #[serde(default)]
        ledger: Option<String>,
        /// The revenue account of lines with no other (six digits, such as 700000).
        #[cfg_attr(feature = "cli", arg(long))]
        #[serde(default)]
        default_ledger: Option<String>,
    },
    /// Remove a tax rate's mapping (its VAT code and ledger), or the default ledger.
    Unmap {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// The Focus tax-rate id whose mapping goes.
        #[cfg_attr(feature = "cli", arg(long))]
        #[serde(default)]
        tax_rate: Option<String>,
        /// Remove the default ledger.
        #[cfg_attr(feature = "cli", arg(long))]
        #[serde(default)]
        default_ledger: bool,
    },
    /// Pair Focus customers with Octopus relations (a dry run unless --apply; nothing is created or deleted).
    MatchCustomers {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// Store the links (without it: only show them).
        #[cfg_attr(feature = "cli", arg(long))]
        #[serde(default)]
        apply: bool,
    },
    /// Add their file to the bookings that went in without it (Octopus refused files for lack of document storage);
    /// run it once document storage is enabled for the dossier. At most the day's 400 attachment calls.
    Attach {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// Every booking recorded without its file (the only scope there is).
        #[cfg_attr(feature = "cli", arg(long))]
        #[serde(default)]
        missing: bool,
    },
    /// Bring Octopus customers Focus lacks into Focus as companies tagged "Octopus Import".
    ImportRelations {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// Only count what would be created and linked.
        #[cfg_attr(feature = "cli", arg(long))]
        #[serde(default)]
        dry_run: bool,
    },
    /// Register the receiver URL in Focus for every event type the sync uses.
    RegisterWebhooks {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// The receiver's Function URL (WebhookBaseUrl), https.
        #[cfg_attr(feature = "cli", arg(long))]
        receiver_url: String,
    },
    /// Remove that registration.
    UnregisterWebhooks {
        #[cfg_attr(feature = "cli", arg(from_global))]
        connection: ConnectionId,
        /// The receiver's Function URL the webhooks were registered with.
        #[cfg_attr(feature = "cli", arg(long))]
        receiver_url: String,
    },
}

impl AdminCommand {
    /// The action's name as the JSON command and the CLI spell it (`match-customers`).
    pub fn action(&self) -> &'static str {
        match self {
            AdminCommand::Ping {} => "ping",
            AdminCommand::Status { .. } => "status",
            AdminCommand::Doctor { .. } => "doctor",
            AdminCommand::Resync { .. } => "resync",
            AdminCommand::Reviewed { .. } => "reviewed",
            AdminCommand::ConnectFocus { .. } => "connect-focus",
            AdminCommand::FocusDepartments { .. } => "focus-departments",
            AdminCommand::OctopusDossiers { .. } => "octopus-dossiers",
            AdminCommand::SalesJournals { .. } => "sales-journals",
            AdminCommand::Connect { .. } => "connect",
            AdminCommand::MapSuggestions { .. } => "map-suggestions",
            AdminCommand::Map { .. } => "map",
            AdminCommand::Unmap { .. } => "unmap",
            AdminCommand::MatchCustomers { .. } => "match-customers",
            AdminCommand::ImportRelations { .. } => "import-relations",
            AdminCommand::Attach { .. } => "attach",
            AdminCommand::RegisterWebhooks { .. } => "register-webhooks",
            AdminCommand::UnregisterWebhooks { .. } => "unregister-webhooks",
        }
    }

    /// The action's name, and the connection of an action that changes data (those get a run report).
    pub(super) fn changes(&self) -> Option<(&'static str, &ConnectionId)> {
        match self {
            AdminCommand::Resync { connection, .. } => Some(("resync", connection)),
            AdminCommand::Reviewed { connection, .. } => Some(("reviewed", connection)),
            AdminCommand::Connect { connection, .. } => Some(("connect", connection)),
            AdminCommand::Map { connection, .. } => Some(("map", connection)),
            AdminCommand::Unmap { connection, .. } => Some(("unmap", connection)),
            AdminCommand::MatchCustomers {
                connection,
                apply: true,
            } => Some(("match-customers --apply", connection)),
            AdminCommand::ImportRelations {
                connection,
                dry_run: false,
            } => Some(("import-relations", connection)),
            AdminCommand::Attach { connection, .. } => Some(("attach --missing", connection)),
            AdminCommand::RegisterWebhooks { connection, .. } => Some(("register-webhooks", connection)),
            AdminCommand::UnregisterWebhooks { connection, .. } => Some(("unregister-webhooks", connection)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names `action()` gives are the ones the JSON commands carry.
    #[test]
    fn every_action_is_named_as_its_json_command() {
        let c = "\"connection\": \"acme\"";
        for (action, rest) in [
            ("ping", String::new()),
            ("status", format!(", {c}")),
            ("doctor", format!(", {c}")),
            ("resync", format!(", {c}, \"failed\": true")),
            ("reviewed", format!(", {c}, \"documents\": []")),
            (
                "connect-focus",
                format!(", {c}, \"redirect_uri\": \"https://x/oauth/callback\""),
            ),
            ("focus-departments", format!(", {c}")),
            ("octopus-dossiers", format!(", {c}")),
            (
                "sales-journals",
                format!(", {c}, \"dossier\": 1, \"date\": \"2026-01-01\""),
            ),
            (
                "connect",
                format!(
                    ", {c}, \"focus_department_id\": \"d\", \"dossier\": 1, \"invoice_journal\": \"V1\", \
                     \"credit_note_journal\": \"V2\", \"start_date\": \"2026-01-01\""
                ),
            ),
            ("map-suggestions", format!(", {c}")),
            ("map", format!(", {c}")),
            ("unmap", format!(", {c}")),
            ("match-customers", format!(", {c}")),
            ("import-relations", format!(", {c}")),
            ("register-webhooks", format!(", {c}, \"receiver_url\": \"https://x\"")),
            ("unregister-webhooks", format!(", {c}, \"receiver_url\": \"https://x\"")),
        ] {
            let json = format!("{{\"action\": \"{action}\"{rest}}}");
            let command: AdminCommand = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(command.action(), action);
        }
    }
}
