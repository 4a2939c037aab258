//! `make demo`: the whole product on one machine, with the real function binaries.
//!
//! moto (DynamoDB, SQS FIFO and its dead-letter queue from `infra/template.yaml`, Secrets Manager) and both
//! simulators run on loopback with the wall clock; the four Lambda binaries run under `cargo lambda watch`, which
//! serves the Lambda runtime API and the receiver's Function URL; the tests' SQS event source (what Lambda's event
//! source mapping does in AWS) feeds the poster real SQS events and honours `batchItemFailures`, and the demo fires
//! the EventBridge schedule itself ([`functions`]). Onboarding uses the `focus-octopus` CLI and the aws CLI, exactly
//! as the README tells an operator to, in named steps ([`steps`]); every count in the closing summary is checked
//! against what the demo seeded, all in one place ([`checks`]); the exit code says whether all checks held.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use focus_octopus::clock::{SharedClock, SystemClock};
use serde_json::Value;

use focus_octopus_tests::aws_local::{self, LocalAws};

pub use checks::Checks;
use focus_octopus_tests::focus_sim::FocusSim;
use focus_octopus_tests::octopus_sim::OctopusSim;
use functions::{Functions, RunnerStats, event_source};

mod checks;
mod functions;
mod steps;

/// The connection the demo sets up (the template's default `ConnectionId`).
pub const CONNECTION: &str = "default";
/// A rate the bookkeeper adds in Focus after onboarding: its first invoice fails until it is mapped.
const NEW_RATE: &str = "0a1b2c3d-1111-4a5b-9c8d-0000000000e6";
/// How long a kept message stays invisible in the demo (the template's visibility timeout is minutes; the demo
/// does not wait that long).
const RETRY_AFTER_SECONDS: i32 = 3;

/// What the demo books.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub seed: u64,
    pub invoices: usize,
    pub credit_notes: usize,
    /// Invoices the bookkeeper reconciles in Octopus (a quarter of them half paid).
    pub reconciled: usize,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            seed: 2026,
            invoices: 200,
            credit_notes: 20,
            reconciled: 60,
        }
    }
}

/// Prints a step with the time since the start.
struct Narrator {
    start: Instant,
}

impl Narrator {
    fn step(&self, text: &str) {
        println!("\n[{:>6.1}s] {text}", self.start.elapsed().as_secs_f64());
    }

    fn detail(&self, text: &str) {
        for line in text.lines() {
            println!("          {line}");
        }
    }
}

/// Where the repository and the built binaries are.
struct Paths {
    repo: PathBuf,
    bin_dir: PathBuf,
    venv_bin: PathBuf,
    work: PathBuf,
}

impl Paths {
    fn discover() -> Result<Self> {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .canonicalize()
            .context("the repository")?;
        let bin_dir = std::env::current_exe()?
            .parent()
            .ok_or_else(|| anyhow!("the demo binary has no directory"))?
            .to_owned();
        let work = bin_dir.join("demo-run");
        std::fs::create_dir_all(&work)?;
        Ok(Self {
            venv_bin: repo.join(".venv/bin"),
            repo,
            bin_dir,
            work,
        })
    }
}

/// Everything the demo needs while it runs.
struct Demo {
    narrator: Narrator,
    paths: Paths,
    aws: Arc<LocalAws>,
    focus: FocusSim,
    octopus: OctopusSim,
    functions: Arc<Functions>,
    cli_env: Vec<(String, String)>,
    cli_runs: usize,
}

impl Demo {
    /// Runs `focus-octopus <args> --json`, shows the command, returns the answer; a refusal is an error.
    async fn cli(&mut self, args: &[&str]) -> Result<Value> {
        let (code, answer) = self.cli_status(args).await?;
        if code != 0 {
            bail!("`focus-octopus {}` failed: {answer}", args.join(" "));
        }
        Ok(answer)
    }

    /// Like [`Self::cli`], also returning the exit code (doctor exits 1 when a check fails).
    async fn cli_status(&mut self, args: &[&str]) -> Result<(i32, Value)> {
        let output = self.run_cli(args, true).await?;
        let answer: Value = serde_json::from_slice(&output.stdout).with_context(|| {
            format!(
                "the CLI printed no JSON: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
        Ok((output.status.code().unwrap_or(-1), answer))
    }

    /// Runs the CLI (with `--json` for the demo's checks, without it as a person does), showing the command line.
    async fn run_cli(&mut self, args: &[&str], json: bool) -> Result<std::process::Output> {
        self.cli_runs += 1;
        let started = Instant::now();
        let mut command = Command::new(self.paths.bin_dir.join("focus-octopus"));
        command.args(args).envs(self.cli_env.clone());
        if json {
            command.arg("--json");
        }
        let output = tokio::task::spawn_blocking(move || command.output())
            .await?
            .context("running the focus-octopus CLI (built by `make demo`)")?;
        self.narrator.detail(&format!(
            "$ focus-octopus {}    ({:.1} s)",
            args.join(" "),
            started.elapsed().as_secs_f64()
        ));
        Ok(output)
    }

    /// Runs the CLI as a person does (no `--json`) and shows what it printed; a command that fails is an error.
    async fn cli_shown(&mut self, args: &[&str]) -> Result<()> {
        let output = self.run_cli(args, false).await?;
        let text = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!(
                "`focus-octopus {}` failed: {text}{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        self.narrator.detail(&indented(&text));
        Ok(())
    }

    /// Runs the aws CLI (from `.venv`) against moto, as the README has an operator run it against AWS.
    async fn aws_cli(&self, args: &[&str], shown: &str) -> Result<Value> {
        self.narrator.detail(&format!("$ aws {shown}"));
        let mut command = Command::new(self.paths.venv_bin.join("aws"));
        command
            .arg("--endpoint-url")
            .arg(aws_local::moto_endpoint()?)
            .args(args)
            .arg("--output")
            .arg("json")
            .envs(self.cli_env.clone());
        let output = tokio::task::spawn_blocking(move || command.output())
            .await?
            .context("running the aws CLI (installed by `make setup`)")?;
        if !output.status.success() {
            bail!("aws {shown} failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(serde_json::from_slice(&output.stdout).unwrap_or(Value::Null))
    }

    /// Waits until the queue is empty and the runner idle, or fails after `limit`.
    async fn drained(&self, stats: &RunnerStats, limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        let mut quiet_rounds = 0;
        let mut shown = Instant::now();
        let mut last_records = usize::MAX;
        let mut pause_said = false;
        while quiet_rounds < 3 {
            if shown.elapsed() >= Duration::from_secs(5) {
                shown = Instant::now();
                let left = self.aws.queued(&self.aws.documents_queue_url).await?;
                let records = stats.records.load(Ordering::SeqCst);
                if records != last_records {
                    self.narrator.detail(&format!(
                        "… {records} records through the poster, {} kept for a retry, {left} waiting in the queue",
                        stats.kept.load(Ordering::SeqCst)
                    ));
                    last_records = records;
                    pause_said = false;
                } else if left > 0 && !pause_said {
                    self.narrator.detail(
                        "… the poster waits for Focus's next minute (200 requests a minute per account), then goes on",
                    );
                    pause_said = true;
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "the queue did not drain within {} s ({} messages left)",
                    limit.as_secs(),
                    self.aws.queued(&self.aws.documents_queue_url).await?
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            let empty = self.aws.queued(&self.aws.documents_queue_url).await? == 0;
            quiet_rounds = if empty && !stats.busy.load(Ordering::SeqCst) {
                quiet_rounds + 1
            } else {
                0
            };
        }
        Ok(())
    }

    async fn status(&mut self) -> Result<Value> {
        self.cli(&["status"]).await
    }
}

/// The CLI's output, indented under the command line that printed it.
fn indented(text: &str) -> String {
    text.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}

/// Runs the whole demo; `Ok(true)` when every check held.
pub async fn run(plan: Plan) -> Result<bool> {
    let narrator = Narrator { start: Instant::now() };
    let paths = Paths::discover()?;
    narrator.step("Starting moto (DynamoDB, SQS, Secrets Manager) with the stack of infra/template.yaml");
    let aws = Arc::new(LocalAws::start().await?);
    let prefix = aws.table_name.clone();
    narrator.detail(&format!(
        "moto at {}, table {}, queue {}",
        aws_local::moto_endpoint()?,
        aws.table_name,
        aws.documents_queue_url
    ));

    narrator.step("Starting the Focus and Octopus simulators (wall clock, their real limits)");
    let clock: SharedClock = Arc::new(SystemClock);
    let focus = FocusSim::start(clock.clone()).await;
    let octopus = OctopusSim::start(clock.clone()).await;
    narrator.detail(&format!("Focus at {}, Octopus at {}", focus.url(), octopus.url()));

    // The template's three secrets, as `sam deploy` creates them: placeholders, the webhook secret generated.
    let webhook_secret = uuid::Uuid::new_v4().simple().to_string() + &uuid::Uuid::new_v4().simple().to_string()[..16];
    for (kind, text) in [
        (
            "focus-oauth",
            r#"{"client_id":"","client_secret":"","access_token":"","refresh_token":""}"#.to_owned(),
        ),
        (
            "octopus",
            r#"{"user":"","password":"","software_house_uuid":""}"#.to_owned(),
        ),
        ("webhook", webhook_secret.clone()),
    ] {
        aws.secrets
            .create_secret()
            .name(format!("{prefix}/{CONNECTION}/{kind}"))
            .secret_string(text)
            .send()
            .await?;
    }

    let moto = aws_local::moto_endpoint()?;
    let env: Vec<(String, String)> = [
        ("TABLE_NAME", aws.table_name.clone()),
        ("DOCUMENTS_QUEUE_URL", aws.documents_queue_url.clone()),
        ("SECRETS_PREFIX", prefix.clone()),
        ("FOCUS_API_URL", focus.url()),
        ("FOCUS_OAUTH_URL", focus.url()),
        ("OCTOPUS_API_URL", octopus.url()),
        ("AWS_ENDPOINT_URL", moto.clone()),
        ("AWS_REGION", aws_local::REGION.to_owned()),
        ("AWS_DEFAULT_REGION", aws_local::REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let env_file = paths.work.join("functions.env");
    std::fs::write(
        &env_file,
        env.iter().map(|(k, v)| format!("{k}={v}\n")).collect::<String>(),
    )?;
    let functions_log = paths.work.join("functions.log");
    narrator.step("Starting the four function binaries under `cargo lambda watch` (loopback only)");
    let functions = Arc::new(Functions::start(&paths, &env_file, &functions_log)?);
    narrator.detail(&format!(
        "runtime API and invoke endpoint at {}; receiver Function URL {}; logs in {}",
        functions.url,
        functions.receiver_url(),
        functions_log.display()
    ));

    let mut demo = Demo {
        narrator,
        paths,
        aws: aws.clone(),
        focus,
        octopus,
        functions: functions.clone(),
        cli_env: env,
        cli_runs: 0,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(RunnerStats::default());
    let runner = tokio::spawn(event_source(
        aws.clone(),
        functions.clone(),
        stats.clone(),
        stop.clone(),
    ));
    let outcome = walk_through_and_check(&mut demo, plan, &stats, &webhook_secret).await;
    let keep = std::env::var("KEEP").is_ok_and(|v| !v.is_empty() && v != "0");
    if keep && let Ok(checks) = &outcome {
        // The runner still feeds the poster and fires the puller while a person tries the CLI.
        print_checks(checks);
        keep_running(&demo, &functions).await;
    }
    stop.store(true, Ordering::SeqCst);
    let runner = runner.await;
    let failed = outcome.is_err() || !matches!(runner, Ok(Ok(_))) || outcome.as_ref().is_ok_and(|c| !c.all_held());
    if failed {
        // The next run writes a new functions log: keep this one, it is the one that explains the failure.
        let kept = demo.paths.work.join(format!(
            "functions-failed-{}.log",
            chrono::Utc::now().format("%Y%m%dT%H%M%S")
        ));
        if std::fs::copy(&functions_log, &kept).is_ok() {
            eprintln!("The functions log of this failed run is kept in {}", kept.display());
        }
    }
    let checks = outcome?;
    runner??;
    if !keep {
        print_checks(&checks);
    }
    let held = checks.all_held();
    println!(
        "\n{} in {:.0} s. Stopping cargo lambda watch, the simulators and moto.",
        if held {
            "Demo finished: every check held"
        } else {
            "Demo FAILED: see the checks above"
        },
        demo.narrator.start.elapsed().as_secs_f64()
    );
    drop(demo);
    drop(functions);
    Ok(held)
}

/// The named steps ([`steps`]), then every check in one place ([`checks`]) and the summary.
async fn walk_through_and_check(
    demo: &mut Demo,
    plan: Plan,
    stats: &RunnerStats,
    webhook_secret: &str,
) -> Result<Checks> {
    let seen = steps::walk_through(demo, plan, stats).await?;
    let checks = checks::against_seeded_data(demo, plan, &seen, webhook_secret).await?;
    checks::print_summary(demo, stats, &seen);
    Ok(checks)
}

fn print_checks(checks: &Checks) {
    println!("\nChecks against the seeded data:");
    for (name, held, detail) in &checks.0 {
        println!("  {} {name}: {detail}", if *held { "ok  " } else { "FAIL" });
    }
}

/// `make demo KEEP=1`: everything stays up for trying the CLI by hand, until Ctrl-C.
async fn keep_running(demo: &Demo, functions: &Functions) {
    let cli = demo.paths.bin_dir.join("focus-octopus");
    println!("\nKEEP=1: moto, both simulators and the functions stay up. In another terminal:\n");
    for (name, value) in &demo.cli_env {
        if name != "RUST_LOG" {
            println!("  export {name}={value}");
        }
    }
    println!("  export FOCUS_OCTOPUS_CONNECTION={CONNECTION}");
    println!("\n  {} status", cli.display());
    println!("  {} doctor --receiver-url {}", cli.display(), functions.receiver_url());
    println!("\nThe poster and puller keep running on the queue and schedule. Ctrl-C stops everything.");
    let _ = tokio::signal::ctrl_c().await;
}
