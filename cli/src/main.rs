//! `focus-octopus`: every admin action as a subcommand. It runs the use case in-process against the stack named by
//! the environment (`TABLE_NAME`, `DOCUMENTS_QUEUE_URL`, `SECRETS_PREFIX`, AWS credentials and region; the same
//! variables the functions get). The subcommands are the admin function's commands themselves
//! (`focus_octopus::sync::admin::AdminCommand`, feature `cli`): one definition for both.
//! Tables by default, `--json` for scripts; exit code 1 when the command fails or `doctor` finds a problem.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use focus_octopus::config::{Config, Env, vars};
use focus_octopus::domain::{ConnectionId, Failure};
use focus_octopus::sync::admin::{self, AdminCommand};
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
    // Global: every subcommand's `connection` field reads it (`from_global` in `AdminCommand`).
    /// The connection to act on.
    #[arg(
        long,
        short,
        global = true,
        env = "FOCUS_OCTOPUS_CONNECTION",
        default_value = "default"
    )]
    connection: ConnectionId,
    #[command(subcommand)]
    command: AdminCommand,
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
    let command = cli.command;
    let action = command.action().to_owned();
    let spinner = (!cli.json).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!("{action} …"));
        // Drawn at once (then every 100 ms), so even a quick command shows what it is doing.
        bar.tick();
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    // `ping` reads only the table; the rest of the deployment is never used by it.
    let mut env = Env::from_process();
    if matches!(command, AdminCommand::Ping {}) {
        env = env.with_defaults(&[
            (vars::DOCUMENTS_QUEUE_URL, "unused-by-ping"),
            (vars::SECRETS_PREFIX, "unused-by-ping"),
        ]);
    }
    let config = match Config::from_env(&env) {
        Ok(config) => config,
        Err(missing) => {
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
    };
    let deployment = Deployment::from_config(&config).await;
    let answer = match &spinner {
        Some(bar) => {
            let counts = Counts {
                bar: bar.clone(),
                action: action.clone(),
            };
            admin::run_watched(&deployment, command, &counts).await
        }
        None => admin::run(&deployment, command).await,
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
