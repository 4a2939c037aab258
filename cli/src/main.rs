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
use focus_octopus::sync::services::Deployment;
use serde_json::{Value, json};

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

/// A readable rendering of an answer: lists of records as tables, records as `key: value` lines.
fn render(value: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::Object(_) | Value::Array(_) if !is_empty(v) => format!("{pad}{k}:\n{}", render(v, indent + 2)),
                _ => format!("{pad}{k}: {}", scalar(v)),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => table(items, &pad),
        Value::Array(items) => items
            .iter()
            .map(|v| format!("{pad}- {}", scalar(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("{pad}{}", scalar(other)),
    }
}

/// `status` for a person: what needs one first (documents per state, pause, attention), then runs, then budgets.
fn render_status(status: &Value) -> String {
    let mut out = Vec::new();
    out.push(format!("connection {}", scalar(&status["connection"])));
    if let Some(paused) = status.get("paused").filter(|p| !p.is_null()) {
        out.push(format!(
            "PAUSED since {}: {} {}",
            short_time(&paused["since"]),
            scalar(&paused["code"]),
            scalar(&paused["message"])
        ));
    }
    let documents = status["documents"].as_object().cloned().unwrap_or_default();
    let order = ["posted", "pending", "posting", "failed", "needs_review", "skipped"];
    let counts: Vec<String> = order
        .iter()
        .map(|state| format!("{state} {}", documents.get(*state).map_or("0".into(), scalar)))
        .collect();
    out.push(format!("documents: {}", counts.join(" · ")));
    let attention = status["attention"].as_array().cloned().unwrap_or_default();
    if attention.is_empty() {
        out.push("needs a person: nothing".into());
    } else {
        out.push(format!("needs a person ({}):", attention.len()));
        for a in &attention {
            out.push(format!(
                "  {}  {}  {}\n    {}",
                scalar(&a["document"]),
                scalar(&a["state"]),
                a.get("code").map_or(String::new(), scalar),
                scalar(&a["reason"])
            ));
        }
    }
    let runs = status["recent_runs"].as_array().cloned().unwrap_or_default();
    if !runs.is_empty() {
        out.push("recent runs:".into());
        for r in &runs {
            let failed = r["failed"].as_array().map_or(0, Vec::len);
            out.push(format!(
                "  {}  {:<5}  {}  attempted {} · done {} · skipped {} · failed {failed}",
                short_time(&r["started_at"]),
                scalar(&r["kind"]),
                r["id"].as_str().map_or("", |id| id.get(..8).unwrap_or(id)),
                scalar(&r["attempted"]),
                scalar(&r["done"]),
                scalar(&r["skipped"]),
            ));
        }
    }
    if let Some(budgets) = status["budgets_left"].as_object() {
        let left: Vec<String> = budgets.iter().map(|(op, n)| format!("{op} {}", scalar(n))).collect();
        out.push(format!("Octopus calls left today: {}", left.join(", ")));
    }
    out.join("\n")
}

/// `doctor` for a person: one line per check, the detail and the fix in full (never cut mid-word).
fn render_doctor(diagnosis: &Value) -> String {
    let mut out = Vec::new();
    for check in diagnosis["checks"].as_array().into_iter().flatten() {
        let ok = check["ok"] == Value::Bool(true);
        out.push(format!(
            "{}  {} · {}",
            if ok { "ok  " } else { "FAIL" },
            scalar(&check["name"]),
            scalar(&check["detail"])
        ));
        if let Some(fix) = check.get("fix").filter(|f| !f.is_null()) {
            out.push(format!("      fix: {}", scalar(fix)));
        }
    }
    out.push(if diagnosis["ok"] == Value::Bool(true) {
        "doctor: every check passed".into()
    } else {
        "doctor: some checks failed (see fix)".into()
    });
    out.join("\n")
}

/// An RFC 3339 time to the second, in UTC (`2026-03-02 09:00:00`).
fn short_time(v: &Value) -> String {
    v.as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(|| scalar(v), |t| t.to_utc().format("%Y-%m-%d %H:%M:%S").to_string())
}

fn is_empty(v: &Value) -> bool {
    matches!(v, Value::Array(a) if a.is_empty()) || matches!(v, Value::Object(o) if o.is_empty())
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        Value::Array(a) if a.is_empty() => "(none)".into(),
        other => other.to_string(),
    }
}

fn table(rows: &[Value], pad: &str) -> String {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        for k in row.as_object().into_iter().flat_map(|o| o.keys()) {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| scalar(&r[c.as_str()]).replace('\n', " "))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
                .max(c.len())
                .min(60)
        })
        .collect();
    let line = |values: Vec<&str>| {
        let parts: Vec<String> = values
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{:w$}", v.chars().take(*w).collect::<String>(), w = *w))
            .collect();
        format!("{pad}{}", parts.join("  ").trim_end())
    };
    let mut out = vec![line(columns.iter().map(String::as_str).collect())];
    for row in &cells {
        out.push(line(row.iter().map(String::as_str).collect()));
    }
    out.join("\n")
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.to_json(&cli.connection);
    let action = command["action"].as_str().unwrap_or_default().to_owned();
    let spinner = (!cli.json).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!("{} …", command["action"].as_str().unwrap_or_default()));
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
            Ok(command) => admin::run(&deployment, command).await,
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
                let text = match action.as_str() {
                    "status" => render_status(&value),
                    "doctor" => render_doctor(&value),
                    _ => render(&value, 0),
                };
                println!("{text}");
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
