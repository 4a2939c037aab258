//! `focus-octopus`: every admin action as a subcommand. It runs the use case in-process against the stack named by
//! the environment (`TABLE_NAME`, `DOCUMENTS_QUEUE_URL`, `SECRETS_PREFIX`, AWS credentials and region; the same
//! variables the functions get), sending exactly the JSON command the admin function takes.
//! Tables by default, `--json` for scripts; exit code 1 when the command fails or `doctor` finds a problem.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use focus_octopus::config::{Env, vars};
use focus_octopus::domain::Failure;
use focus_octopus::sync::admin;
use focus_octopus::sync::progress::Progress;
use focus_octopus::sync::services::Deployment;
use serde_json::{Value, json};

mod render;

#[derive(Parser)]
#[command(
    name = "focus-octopus",
    version,
    about = "Set up and operate the Teamleader Focus ↔ Octopus sync.",
    after_help = "Environment: TABLE_NAME, DOCUMENTS_QUEUE_URL and SECRETS_PREFIX (the stack's outputs TableName, \
DocumentsQueueUrl and SecretsPrefix; `ping` needs only TABLE_NAME), AWS credentials and AWS_REGION (the stack's \
region). Optional: FOCUS_OCTOPUS_CONNECTION, REPORT_TOPIC_ARN."
)]
struct Cli {
    /// Print the answer as JSON (for scripts) instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// The connection to act on.
    #[arg(
        long,
        short,
        global = true,
        env = "FOCUS_OCTOPUS_CONNECTION",
        default_value = "default"
    )]
    connection: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check that the stack answers; list its connections.
    Ping,
    /// Documents per state, recent runs, what needs a person (with reason and fix), Octopus calls left today.
    Status,
    /// Check the whole setup; every failed check says how to fix it. Exits 1 if one fails.
    Doctor {
        /// The receiver's Function URL (WebhookBaseUrl), to check the webhooks point at it.
        #[arg(long)]
        receiver_url: Option<String>,
    },
    /// Print the Focus authorisation link (open it, approve, and the callback stores the tokens).
    ConnectFocus {
        /// The receiver's Function URL followed by /oauth/callback, as registered on the Focus Marketplace
        /// (https; http only for 127.0.0.1).
        #[arg(long)]
        redirect_uri: String,
        /// Accept an approval by another Focus account than the one that approved before. Without it such an
        /// approval is refused (FOCUS_ACCOUNT_CHANGED), so the source of the books cannot change unnoticed.
        #[arg(long)]
        switch_account: bool,
    },
    /// List the Focus departments the authorisation can see (run `connect-focus` first).
    Departments,
    /// List the Octopus dossiers the login can open.
    Dossiers,
    /// List the sales journals (booking insertion) of a dossier in the bookyear holding DATE.
    SalesJournals {
        /// The Octopus dossier id (from `dossiers`).
        #[arg(long)]
        dossier: i32,
        /// A date of the bookyear to look in, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: chrono::NaiveDate,
    },
    /// Choose the Focus department, Octopus dossier, journals and start date.
    Connect {
        /// The Focus department (company) id, from `departments`.
        #[arg(long)]
        department: String,
        /// The Octopus dossier id, from `dossiers`.
        #[arg(long)]
        dossier: i32,
        /// The sales journal for invoices, from `sales-journals` (such as V1).
        #[arg(long)]
        invoice_journal: String,
        /// The sales journal for credit notes (such as V2).
        #[arg(long)]
        credit_note_journal: String,
        /// Documents dated before this day are never booked, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        start_date: chrono::NaiveDate,
    },
    /// Show the Focus tax rates with their Octopus VAT code, or a suggestion (never for the 0 % variants).
    MapSuggestions,
    /// Map a Focus tax rate to an Octopus VAT code and/or ledger, or set the default ledger.
    Map {
        /// The Focus tax-rate id (from `map-suggestions`).
        #[arg(long)]
        tax_rate: Option<String>,
        /// The Octopus sales VAT code for that rate (such as 21, 06, 47).
        #[arg(long)]
        vat_code: Option<String>,
        /// The 70… revenue account for that rate's lines.
        #[arg(long)]
        ledger: Option<String>,
        /// The revenue account of lines with no other (six digits, such as 700000).
        #[arg(long)]
        default_ledger: Option<String>,
    },
    /// Remove a tax rate's mapping (its VAT code and ledger), or the default ledger.
    Unmap {
        /// The Focus tax-rate id whose mapping goes.
        #[arg(long)]
        tax_rate: Option<String>,
        /// Remove the default ledger.
        #[arg(long)]
        default_ledger: bool,
    },
    /// Pair Focus customers with Octopus relations (a dry run unless --apply; nothing is created or deleted).
    MatchCustomers {
        /// Store the links (without it: only show them).
        #[arg(long)]
        apply: bool,
    },
    /// Bring Octopus customers Focus lacks into Focus as companies tagged "Octopus Import".
    ImportRelations {
        /// Only count what would be created and linked.
        #[arg(long)]
        dry_run: bool,
    },
    /// Hand documents back to the poster: --failed, --since DATE, or named documents (invoice:<id>).
    Resync {
        /// Every document that failed.
        #[arg(long)]
        failed: bool,
        /// Every document booked in Focus since this day, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<chrono::NaiveDate>,
        /// Documents as `status` prints them: invoice:<id> or credit_note:<id>.
        #[arg(value_name = "DOC")]
        documents: Vec<String>,
    },
    /// After correcting Octopus for documents that changed in Focus (needs_review): mark them reviewed
    /// (invoice:<id> or credit_note:<id>).
    Reviewed {
        /// Documents as `status` prints them: invoice:<id> or credit_note:<id>.
        #[arg(value_name = "DOC")]
        documents: Vec<String>,
    },
    /// Register the receiver URL in Focus for every event type the sync uses.
    RegisterWebhooks {
        /// The receiver's Function URL (WebhookBaseUrl), https.
        #[arg(long)]
        receiver_url: String,
    },
    /// Remove that registration.
    UnregisterWebhooks {
        /// The receiver's Function URL the webhooks were registered with.
        #[arg(long)]
        receiver_url: String,
    },
}

impl Command {
    /// The admin function's JSON command.
    fn to_json(&self, connection: &str) -> Value {
        let c = connection;
        match self {
            Command::Ping => json!({ "action": "ping" }),
            Command::Status => json!({ "action": "status", "connection": c }),
            Command::Doctor { receiver_url } => {
                json!({ "action": "doctor", "connection": c, "receiver_url": receiver_url })
            }
            Command::ConnectFocus {
                redirect_uri,
                switch_account,
            } => {
                json!({ "action": "connect-focus", "connection": c, "redirect_uri": redirect_uri,
                        "switch_account": switch_account })
            }
            Command::Departments => json!({ "action": "focus-departments", "connection": c }),
            Command::Dossiers => json!({ "action": "octopus-dossiers", "connection": c }),
            Command::SalesJournals { dossier, date } => {
                json!({ "action": "sales-journals", "connection": c, "dossier": dossier, "date": date })
            }
            Command::Connect {
                department,
                dossier,
                invoice_journal,
                credit_note_journal,
                start_date,
            } => json!({ "action": "connect", "connection": c, "focus_department_id": department, "dossier": dossier,
                         "invoice_journal": invoice_journal, "credit_note_journal": credit_note_journal,
                         "start_date": start_date }),
            Command::MapSuggestions => json!({ "action": "map-suggestions", "connection": c }),
            Command::Map {
                tax_rate,
                vat_code,
                ledger,
                default_ledger,
            } => json!({ "action": "map", "connection": c, "tax_rate": tax_rate, "vat_code": vat_code,
                         "ledger": ledger, "default_ledger": default_ledger }),
            Command::Unmap {
                tax_rate,
                default_ledger,
            } => json!({ "action": "unmap", "connection": c, "tax_rate": tax_rate, "default_ledger": default_ledger }),
            Command::MatchCustomers { apply } => {
                json!({ "action": "match-customers", "connection": c, "apply": apply })
            }
            Command::ImportRelations { dry_run } => {
                json!({ "action": "import-relations", "connection": c, "dry_run": dry_run })
            }
            Command::Resync {
                failed,
                since,
                documents,
            } => {
                json!({ "action": "resync", "connection": c, "failed": failed, "since": since, "documents": documents })
            }
            Command::Reviewed { documents } => {
                json!({ "action": "reviewed", "connection": c, "documents": documents })
            }
            Command::RegisterWebhooks { receiver_url } => {
                json!({ "action": "register-webhooks", "connection": c, "receiver_url": receiver_url })
            }
            Command::UnregisterWebhooks { receiver_url } => {
                json!({ "action": "unregister-webhooks", "connection": c, "receiver_url": receiver_url })
            }
        }
    }
}

/// The spinner's message and a line per finished stage (`import-relations: Focus companies created 60/60`),
/// for a person at a terminal; nothing is drawn when stderr is not one.
struct Counts {
    bar: indicatif::ProgressBar,
    action: String,
}

impl Progress for Counts {
    fn update(&self, stage: &str, done: usize, total: usize) {
        self.bar
            .set_message(format!("{} {stage} {done}/{total} …", self.action));
        if done == total {
            self.bar.println(format!("{}: {stage} {done}/{total}", self.action));
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.to_json(&cli.connection);
    let action = command["action"].as_str().unwrap_or_default().to_owned();
    let spinner = (!cli.json).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!("{action} …"));
        // Drawn at once (then every 100 ms), so even a quick command shows what it is doing.
        bar.tick();
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    let env = Env::from_process();
    let needed: &[&'static str] = if matches!(cli.command, Command::Ping) {
        &[vars::TABLE_NAME]
    } else {
        &[vars::TABLE_NAME, vars::DOCUMENTS_QUEUE_URL, vars::SECRETS_PREFIX]
    };
    if let Err(missing) = env.require_all(needed) {
        if let Some(spinner) = &spinner {
            spinner.finish_and_clear();
        }
        let message = format!(
            "{missing} For the CLI, export the stack's outputs: TABLE_NAME=<TableName> \
             DOCUMENTS_QUEUE_URL=<DocumentsQueueUrl> SECRETS_PREFIX=<SecretsPrefix> (`sam list stack-outputs`)."
        );
        if cli.json {
            println!("{}", json!({ "error": { "code": missing.code(), "message": message } }));
        } else {
            eprintln!("{}: {message}", missing.code());
        }
        return ExitCode::FAILURE;
    }
    // `ping` reads only the table; the rest of the deployment is never used by it.
    let env = env.with_defaults(&[
        (vars::DOCUMENTS_QUEUE_URL, "unused-by-ping"),
        (vars::SECRETS_PREFIX, "unused-by-ping"),
    ]);
    let answer = match Deployment::from_environment(&env).await {
        Ok(deployment) => match admin::parse(command) {
            Ok(command) => match &spinner {
                Some(bar) => {
                    let counts = Counts {
                        bar: bar.clone(),
                        action: action.clone(),
                    };
                    admin::run_watched(&deployment, command, &counts).await
                }
                None => admin::run(&deployment, command).await,
            },
            Err(e) => Err(e),
        },
        Err(missing) => {
            if let Some(spinner) = &spinner {
                spinner.finish_and_clear();
            }
            if cli.json {
                println!(
                    "{}",
                    json!({ "error": { "code": missing.code(), "message": missing.to_string() } })
                );
            } else {
                eprintln!("{}: {missing}", missing.code());
            }
            return ExitCode::FAILURE;
        }
    };
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    match answer {
        Ok(value) => {
            if cli.json {
                println!("{value}");
            } else {
                println!("{}", render::answer(&action, &value));
            }
            if value["ok"] == Value::Bool(false) {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            // The functions retry transient failures by themselves; a command run by hand does not.
            let message = if e.is_transient() {
                format!("{e} (This command was not retried: run it again in a moment.)")
            } else {
                e.to_string()
            };
            if cli.json {
                println!("{}", json!({ "error": { "code": e.code(), "message": message } }));
            } else {
                eprintln!("{}: {message}", e.code());
            }
            ExitCode::FAILURE
        }
    }
}
