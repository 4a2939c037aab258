//! `make demo`: the whole product on one machine, with the real function binaries.
//!
//! moto (DynamoDB, SQS FIFO and its dead-letter queue from `infra/template.yaml`, Secrets Manager) and both
//! simulators run on loopback with the wall clock; the four Lambda binaries run under `cargo lambda watch`, which
//! serves the Lambda runtime API and the receiver's Function URL; a small event-source runner (what Lambda's SQS
//! event source mapping and the EventBridge schedule do in AWS) feeds the poster real SQS events and honours
//! `batchItemFailures`. Onboarding uses the `focus-octopus` CLI and the aws CLI, exactly as the README tells an
//! operator to. Every count in the closing summary is checked against what the demo seeded; the exit code says
//! whether all checks held.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_sqs::types::MessageSystemAttributeName;
use chrono::NaiveDate;
use focus_octopus::clock::{SharedClock, SystemClock};
use focus_octopus::octopus::Operation;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use focus_octopus_tests::aws_local::{self, LocalAws};
use focus_octopus_tests::focus_sim::{self, FocusSim, line, rates};
use focus_octopus_tests::octopus_sim::{self, DOSSIER, OctopusSim, SimBookingKey};

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

/// `cargo lambda watch` with the four functions: stopped (its whole process group) when dropped.
struct Functions {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl Functions {
    fn start(paths: &Paths, env_file: &Path, log: &Path) -> Result<Self> {
        let port = free_port()?;
        let mut command = Command::new(paths.venv_bin.join("cargo-lambda"));
        command
            .args(["lambda", "watch", "--ignore-changes", "-A", "127.0.0.1", "-P"])
            .arg(port.to_string())
            .arg("--env-file")
            .arg(env_file)
            .current_dir(&paths.repo)
            .env("PATH", path_with(&paths.venv_bin))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = command.spawn().with_context(|| {
            format!(
                "cannot start {} (run `make setup`)",
                paths.venv_bin.join("cargo-lambda").display()
            )
        })?;
        let (ready_tx, ready_rx) = mpsc::channel::<()>();
        let log = Arc::new(std::sync::Mutex::new(std::fs::File::create(log)?));
        for stream in [
            Box::new(child.stdout.take().expect("piped")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("piped")),
        ] {
            let (log, ready) = (log.clone(), ready_tx.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if line.contains("starting Runtime server") {
                        let _ = ready.send(());
                    }
                    let _ = writeln!(log.lock().unwrap_or_else(|e| e.into_inner()), "{line}");
                }
            });
        }
        drop(ready_tx);
        let functions = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        ready_rx
            .recv_timeout(Duration::from_secs(600))
            .map_err(|_| anyhow!("cargo lambda watch did not start; its output is in the functions log"))?;
        Ok(functions)
    }

    /// The receiver's Function URL, as `cargo lambda watch` serves it.
    fn receiver_url(&self) -> String {
        format!("{}/lambda-url/webhook-receiver", self.url)
    }

    /// Waits until the functions answer by asking them (an admin `ping` through the invoke API), not by reading
    /// `cargo lambda watch`'s log: on a busy machine it prints "starting" well before it accepts a connection
    /// (found on a fresh clone: the first invoke 1.9 s later was refused).
    async fn until_answering(&self, limit: Duration) -> Result<Value> {
        let deadline = Instant::now() + limit;
        let mut wait = Duration::from_millis(200);
        loop {
            match self.invoke_once("admin", &json!({ "action": "ping" })).await {
                Ok(pong) => return Ok(pong),
                Err(_) if Instant::now() + wait < deadline => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
                Err(e) => bail!(
                    "cargo lambda watch started but the functions did not answer at {} within {} s ({e:#}). The \
                     machine may be too busy: see the functions log, then run `make demo` again.",
                    self.url,
                    limit.as_secs()
                ),
            }
        }
    }

    /// One synchronous invocation through the Lambda invoke API; a connection that is refused or cut before an
    /// answer (the watch starting a function's process) is tried again for up to a minute.
    async fn invoke(&self, function: &str, payload: &Value) -> Result<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match self.invoke_once(function, payload).await {
                Err(e)
                    if e.downcast_ref::<reqwest::Error>()
                        .is_some_and(reqwest::Error::is_connect)
                        && Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                other => return other,
            }
        }
    }

    async fn invoke_once(&self, function: &str, payload: &Value) -> Result<Value> {
        let response = self
            .http
            .post(format!("{}/2015-03-31/functions/{function}/invocations", self.url))
            .json(payload)
            .send()
            .await
            .map_err(anyhow::Error::from)
            .with_context(|| format!("invoking {function} at {}", self.url))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() || body.get("errorType").is_some() {
            bail!("{function} failed ({status}): {body}");
        }
        Ok(body)
    }
}

impl Drop for Functions {
    fn drop(&mut self) {
        // The group holds cargo-lambda, the `cargo run` it started per function and the functions themselves.
        // SAFETY: kill with a negative pid signals the process group we created.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn path_with(dir: &Path) -> String {
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

/// What the event-source runner did.
#[derive(Default)]
struct RunnerStats {
    batches: AtomicUsize,
    records: AtomicUsize,
    kept: AtomicUsize,
    busy: AtomicBool,
}

/// Lambda's SQS event source mapping, locally: receive up to 10 messages, invoke the poster with the SQS event,
/// delete what it acknowledged, let `batchItemFailures` come back after [`RETRY_AFTER_SECONDS`].
async fn event_source(
    aws: Arc<LocalAws>,
    functions: Arc<Functions>,
    stats: Arc<RunnerStats>,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    while !stop.load(Ordering::SeqCst) {
        let received = aws
            .sqs
            .receive_message()
            .queue_url(&aws.documents_queue_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            // moto serves one request at a time: a long poll would hold up everyone else, so poll briefly.
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        // Received messages are in flight (counted by the queue) until settled; busy covers the settling.
        stats.busy.store(true, Ordering::SeqCst);
        let event = focus_octopus_tests::push_world::sqs_event(&messages);
        let failed: Vec<String> = match functions.invoke("document-poster", &event).await {
            Ok(answer) => answer["batchItemFailures"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                .collect(),
            // A failed invocation: Lambda retries the whole batch.
            Err(e) => {
                eprintln!("          (poster invocation failed, the batch comes back: {e:#})");
                messages
                    .iter()
                    .filter_map(|m| m.message_id().map(str::to_owned))
                    .collect()
            }
        };
        stats.batches.fetch_add(1, Ordering::SeqCst);
        stats.records.fetch_add(messages.len(), Ordering::SeqCst);
        stats.kept.fetch_add(failed.len(), Ordering::SeqCst);
        for m in &messages {
            let handle = m.receipt_handle().unwrap_or_default();
            if m.message_id().is_some_and(|id| failed.iter().any(|f| f == id)) {
                aws.sqs
                    .change_message_visibility()
                    .queue_url(&aws.documents_queue_url)
                    .receipt_handle(handle)
                    .visibility_timeout(RETRY_AFTER_SECONDS)
                    .send()
                    .await?;
            } else {
                aws.sqs
                    .delete_message()
                    .queue_url(&aws.documents_queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await?;
            }
        }
        stats.busy.store(false, Ordering::SeqCst);
    }
    Ok(())
}

/// The summary's checks: what was expected, what was seen.
#[derive(Default)]
pub struct Checks(Vec<(String, bool, String)>);

impl Checks {
    fn check(&mut self, name: &str, held: bool, detail: String) {
        self.0.push((name.to_owned(), held, detail));
    }

    fn equal<T: PartialEq + std::fmt::Display>(&mut self, name: &str, expected: T, seen: T) {
        let held = expected == seen;
        self.check(name, held, format!("expected {expected}, saw {seen}"));
    }

    pub fn all_held(&self) -> bool {
        self.0.iter().all(|c| c.1)
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

/// A booked document, as the demo remembers it for the checks.
struct Booked {
    id: String,
    number: String,
    credit_note: bool,
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
    let outcome = walk_through(&mut demo, plan, &stats, &webhook_secret).await;
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

/// Customers of the demo account: those of the chaos run (Belgian, EU and non-EU companies, companies without a
/// VAT number, private persons) and ten more Belgian companies, eight of which the dossier already knows.
fn seed_customers(focus: &FocusSim, octopus: &OctopusSim) -> Vec<(&'static str, String)> {
    let mut customers = crate::chaos::customers(focus);
    for i in 0..10 {
        let name = format!("Bestaande Klant {i} NV");
        let vat = focus_octopus_tests::fixtures::belgian_vat(800 + i);
        customers.push(("company", focus.add_company(&name, Some(&vat), "BE")));
        if i < 8 {
            octopus.add_relation(
                DOSSIER,
                json!({ "name": name, "vatNr": vat.replace(['.', ' '], ""), "country": "BE", "city": "Gent",
                        "streetAndNr": "Kerkstraat 1", "postalCode": "9000" }),
            );
        }
    }
    // Three customers only the dossier knows: `import-relations` brings them into Focus.
    for i in 0..3 {
        octopus.add_relation(
            DOSSIER,
            json!({ "name": format!("Octopus Klant {i} BV"), "vatNr": focus_octopus_tests::fixtures::belgian_vat(900 + i).replace('.', ""),
                    "country": "BE", "city": "Brugge", "streetAndNr": "Markt 1", "postalCode": "8000" }),
        );
    }
    customers
}

async fn walk_through(demo: &mut Demo, plan: Plan, stats: &RunnerStats, webhook_secret: &str) -> Result<Checks> {
    let mut checks = Checks::default();
    let prefix = demo.aws.table_name.clone();
    let receiver = demo.functions.receiver_url();

    demo.narrator
        .step("The admin function answers through the Lambda invoke API");
    let pong = demo.functions.until_answering(Duration::from_secs(300)).await?;
    demo.narrator
        .detail(&format!("admin ping: version {}", pong["version"]));

    demo.narrator
        .step("Onboarding 1/4: fill the secrets the stack created (placeholders)");
    let octopus_login = json!({ "user": octopus_sim::USER, "password": octopus_sim::PASSWORD,
                                "software_house_uuid": octopus_sim::SOFTWARE_HOUSE_UUID })
    .to_string();
    let focus_app = json!({ "client_id": focus_sim::CLIENT_ID, "client_secret": focus_sim::CLIENT_SECRET }).to_string();
    for (kind, value) in [("octopus", &octopus_login), ("focus-oauth", &focus_app)] {
        let id = format!("{prefix}/{CONNECTION}/{kind}");
        demo.aws_cli(
            &[
                "secretsmanager",
                "put-secret-value",
                "--secret-id",
                &id,
                "--secret-string",
                value,
            ],
            &format!("secretsmanager put-secret-value --secret-id {id} --secret-string '{{…}}'"),
        )
        .await?;
    }

    demo.narrator
        .step("Onboarding 2/4: authorise Focus and choose the Octopus dossier and journals");
    let redirect = format!("{receiver}/oauth/callback");
    let link = demo.cli(&["connect-focus", "--redirect-uri", &redirect]).await?;
    let link = reqwest::Url::parse(link["url"].as_str().unwrap_or_default()).context("an authorisation link")?;
    let state = link
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| anyhow!("the link has no state"))?;
    // The bookkeeper opens the link and approves; Focus redirects the browser to the receiver with a code.
    let code = demo.focus.authorization_code(&redirect);
    let callback = reqwest::Client::new()
        .get(&redirect)
        .query(&[("code", code.as_str()), ("state", state.as_str())])
        .send()
        .await?;
    let approved = callback.status().as_u16();
    demo.narrator.detail(&format!(
        "the bookkeeper approves in Focus; the receiver's callback answers {approved}"
    ));
    checks.equal("OAuth callback through the receiver's Function URL", 200, approved);

    let departments = demo.cli(&["departments"]).await?;
    let department = departments[0]["id"].as_str().unwrap_or_default().to_owned();
    demo.narrator.detail(&format!(
        "Focus departments: {}",
        departments
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| format!(
                "{} ({})",
                d["name"].as_str().unwrap_or_default(),
                d["id"].as_str().unwrap_or_default()
            ))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let dossiers = demo.cli(&["dossiers"]).await?;
    demo.narrator.detail(&format!(
        "dossiers: {}",
        dossiers
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| format!("{} {}", d["id"], d["name"].as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let dossier = DOSSIER.to_string();
    let journals = demo
        .cli(&["sales-journals", "--dossier", &dossier, "--date", "2026-11-01"])
        .await?;
    demo.narrator.detail(&format!(
        "sales journals: {}",
        journals
            .as_array()
            .into_iter()
            .flatten()
            .map(|j| format!(
                "{} {}",
                j["key"].as_str().unwrap_or_default(),
                j["name"].as_str().unwrap_or_default()
            ))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    demo.cli_shown(&[
        "connect",
        "--department",
        &department,
        "--dossier",
        &dossier,
        "--invoice-journal",
        "V1",
        "--credit-note-journal",
        "V2",
        "--start-date",
        "2026-11-01",
    ])
    .await?;

    demo.narrator
        .step("Onboarding 3/4: map tax rates to VAT codes (0 % variants by hand) and the default ledger");
    let suggestions = demo.cli(&["map-suggestions"]).await?;
    let mut suggested = 0;
    for s in suggestions.as_array().into_iter().flatten() {
        if let (Some(id), Some(code)) = (s["tax_rate_id"].as_str(), s["suggested"].as_str()) {
            suggested += 1;
            demo.cli(&["map", "--tax-rate", id, "--vat-code", code]).await?;
        }
    }
    checks.equal(
        "VAT codes suggested (21, 12, 6 %; never the 0 % variants)",
        3,
        suggested,
    );
    for (rate, code) in [
        (rates::VAT_0_EXEMPT, "00"),
        (rates::VAT_0_COCONTRACTOR, "45"),
        (rates::VAT_0_INTRA_EU, "46"),
        (rates::VAT_0_EXPORT, "47"),
    ] {
        demo.cli(&["map", "--tax-rate", rate, "--vat-code", code]).await?;
    }
    demo.cli_shown(&["map", "--default-ledger", "700000"]).await?;

    demo.narrator
        .step("Onboarding 4/4: customers, webhooks, and the doctor");
    let customers = seed_customers(&demo.focus, &demo.octopus);
    demo.narrator.detail(&format!(
        "Focus has {} customers; the dossier already has 8 of them and 3 Focus lacks",
        customers.len()
    ));
    demo.cli_shown(&["match-customers"]).await?;
    let matched = demo.cli(&["match-customers", "--apply"]).await?;
    checks.equal(
        "Focus customers paired with the dossier's existing relations",
        8,
        matched["linked"].as_u64().unwrap_or(0),
    );
    demo.cli_shown(&["import-relations", "--dry-run"]).await?;
    let imported = demo.cli(&["import-relations"]).await?;
    checks.equal(
        "Octopus-only customers imported into Focus",
        3,
        imported["created"].as_u64().unwrap_or(0),
    );
    demo.cli(&["register-webhooks", "--receiver-url", &receiver]).await?;
    let (code, doctor) = demo.cli_status(&["doctor", "--receiver-url", &receiver]).await?;
    let failed_checks: Vec<String> = doctor["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["ok"] == false)
        .map(|c| c.to_string())
        .collect();
    demo.narrator.detail(&format!(
        "doctor: {} checks, {} failed {failed_checks:?}",
        doctor["checks"].as_array().map_or(0, Vec::len),
        failed_checks.len()
    ));
    checks.equal("doctor finds nothing to fix (exit code)", 0, code);

    demo.narrator.step(&format!(
        "Booking {} invoices and {} credit notes in Focus: each webhook reaches the receiver, the queue and the poster",
        plan.invoices, plan.credit_notes
    ));
    let mut rng = fastrand::Rng::with_seed(plan.seed);
    let mut booked: Vec<Booked> = Vec::new();
    let first_day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("a date");
    for i in 0..plan.invoices {
        let customer = &customers[rng.usize(..customers.len())];
        let date = first_day + chrono::Days::new((i * 25 / plan.invoices.max(1)) as u64);
        let mut lines = crate::chaos::random_lines(&mut rng);
        let discount = (rng.u8(..8) == 0).then(|| Decimal::new(rng.i64(1..150), 1));
        if discount.is_none() && rng.bool() {
            lines[0].category = Some(focus_sim::categories::CATERING.into());
        }
        let id = demo.focus.draft_invoice((customer.0, &customer.1), lines, discount);
        let number = demo.focus.book_invoice(&id, date).await;
        booked.push(Booked {
            id,
            number,
            credit_note: false,
        });
    }
    for i in 0..plan.credit_notes {
        let customer = &customers[rng.usize(..customers.len())];
        let date = first_day + chrono::Days::new(5 + i as u64);
        let lines = vec![line(Decimal::ONE, Decimal::new(rng.i64(500..20_000), 2), rates::VAT_21)];
        let (id, number) = demo
            .focus
            .credit_note((customer.0, &customer.1), lines, date, None)
            .await;
        booked.push(Booked {
            id,
            number,
            credit_note: true,
        });
    }
    let rejected = demo.focus.deliveries().sent.iter().filter(|d| d.2 != 200).count();
    checks.equal("webhooks refused by the receiver", 0, rejected);
    demo.drained(stats, Duration::from_secs(900)).await?;
    demo.narrator.detail(&format!(
        "poster: {} batches, {} records, {} kept for a retry",
        stats.batches.load(Ordering::SeqCst),
        stats.records.load(Ordering::SeqCst),
        stats.kept.load(Ordering::SeqCst)
    ));

    demo.narrator
        .step("The bookkeeper adds a new 0 % rate in Focus after onboarding and books an invoice with it");
    demo.focus.add_tax_rate(NEW_RATE, "0% verlegd (nieuw)", Decimal::ZERO);
    let customer = &customers[0];
    let (id, number) = demo
        .focus
        .invoice(
            (customer.0, &customer.1),
            vec![line(Decimal::TWO, Decimal::new(12_500, 2), NEW_RATE)],
            NaiveDate::from_ymd_opt(2026, 11, 27).expect("a date"),
        )
        .await;
    booked.push(Booked {
        id,
        number: number.clone(),
        credit_note: false,
    });
    demo.drained(stats, Duration::from_secs(120)).await?;
    let status = demo.status().await?;
    let attention = status["attention"].as_array().cloned().unwrap_or_default();
    for a in &attention {
        demo.narrator.detail(&format!(
            "needs a person: {} ({}) {} [{}] {}",
            a["document"].as_str().unwrap_or_default(),
            a["number"].as_str().unwrap_or("number not read yet").replace(' ', ""),
            a["state"].as_str().unwrap_or_default(),
            a["code"].as_str().unwrap_or_default(),
            a["reason"].as_str().unwrap_or_default()
        ));
    }
    let failed_code = attention
        .iter()
        .find(|a| a["state"] == "failed")
        .and_then(|a| a["code"].as_str())
        .unwrap_or("none")
        .to_owned();
    checks.equal(
        "the invoice with the unmapped rate failed with its reason",
        "VAT_RATE_UNMAPPED",
        failed_code.as_str(),
    );
    demo.narrator
        .detail("the fix the reason names: map the rate, then resync the failed documents");
    demo.cli(&["map", "--tax-rate", NEW_RATE, "--vat-code", "45"]).await?;
    demo.cli(&["resync", "--failed"]).await?;
    demo.drained(stats, Duration::from_secs(120)).await?;

    demo.narrator
        .step("An invoice is edited in Focus after it was posted: the sync flags it for review");
    let edited = booked[1].id.clone();
    demo.focus
        .update_document(&edited, |d| d.lines[0].quantity += Decimal::ONE)
        .await;
    demo.drained(stats, Duration::from_secs(120)).await?;
    let status = demo.status().await?;
    let flagged: Vec<Value> = status["attention"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["state"] == "needs_review")
        .cloned()
        .collect();
    for a in &flagged {
        demo.narrator.detail(&format!(
            "needs review: {} ({}) {}",
            a["document"].as_str().unwrap_or_default(),
            a["number"].as_str().unwrap_or("number not read yet").replace(' ', ""),
            a["reason"].as_str().unwrap_or_default()
        ));
    }
    checks.equal(
        "the edited invoice was flagged for review (named as the commands take it)",
        format!("invoice:{edited}"),
        flagged
            .first()
            .and_then(|a| a["document"].as_str())
            .unwrap_or("none")
            .to_owned(),
    );
    demo.narrator
        .detail("the bookkeeper corrects the booking in Octopus (a credit note) and marks the invoice reviewed");
    demo.cli(&["reviewed", &format!("invoice:{edited}")]).await?;

    demo.narrator.step(&format!(
        "The bookkeeper reconciles {} invoices in Octopus (a quarter half paid); the schedule fires the puller",
        plan.reconciled
    ));
    let sales = demo.octopus.bookings(DOSSIER);
    let mut reconciled: BTreeMap<String, Decimal> = BTreeMap::new();
    for b in booked
        .iter()
        .filter(|b| !b.credit_note && b.id != edited)
        .take(plan.reconciled)
    {
        let Some((key, amount, ..)) = sales
            .iter()
            .find(|(k, _, reference, _)| k.journal == "V1" && reference.as_deref() == Some(b.number.as_str()))
        else {
            continue;
        };
        let paid = if reconciled.len() % 4 == 3 {
            (*amount / Decimal::TWO).round_dp(2)
        } else {
            *amount
        };
        let key = SimBookingKey {
            bookyear: key.bookyear,
            journal: key.journal.clone(),
            document_nr: key.document_nr,
        };
        demo.octopus.reconcile(
            DOSSIER,
            &key,
            paid,
            NaiveDate::from_ymd_opt(2026, 11, 28).expect("a date"),
        );
        reconciled.insert(b.id.clone(), paid);
    }
    let scheduled = json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "Scheduled Event",
        "source": "aws.events", "account": aws_local::ACCOUNT_ID, "time": chrono::Utc::now().to_rfc3339(),
        "region": aws_local::REGION, "resources": ["arn:aws:events:eu-west-1:123456789012:rule/payment-puller"],
        "detail": {}
    });
    let pulled = demo.functions.invoke("payment-puller", &scheduled).await?;
    let report: focus_octopus::store::RunReport = serde_json::from_value(pulled["runs"][0]["report"].clone())
        .with_context(|| format!("the puller's answer holds no run report: {pulled}"))?;
    demo.narrator
        .detail(&format!("the puller's report:\n{}", report.lines().join("\n")));
    // registerPayment makes Focus send invoice.paymentRegistered webhooks: the poster sees and skips them.
    demo.focus.flush_webhooks().await;
    demo.drained(stats, Duration::from_secs(120)).await?;

    demo.narrator.step("Status, through the CLI");
    demo.cli_shown(&["status"]).await?;
    let status = demo.status().await?;

    // The summary and its checks.
    let documents = &status["documents"];
    let count = |state: &str| documents[state].as_u64().unwrap_or(0) as usize;
    let expected_documents = plan.invoices + plan.credit_notes + 1;
    checks.equal("documents posted", expected_documents, count("posted"));
    checks.equal(
        "documents needing review (the edited one was reviewed)",
        0,
        count("needs_review"),
    );
    checks.equal("documents failed", 0, count("failed"));
    let sales: Vec<_> = demo
        .octopus
        .bookings(DOSSIER)
        .into_iter()
        .filter(|(k, ..)| k.journal == "V1" || k.journal == "V2")
        .collect();
    checks.equal("Octopus sales bookings", expected_documents, sales.len());
    let mut wrong = Vec::new();
    for b in &booked {
        let mine: Vec<_> = sales
            .iter()
            .filter(|s| s.2.as_deref() == Some(b.number.as_str()))
            .collect();
        let payable = demo.focus.payable(&b.id);
        let expected = if b.credit_note { -payable } else { payable };
        match mine.as_slice() {
            [one] if one.1 == expected || b.id == edited => {}
            _ => wrong.push(b.number.clone()),
        }
    }
    checks.check(
        "one booking per document, Focus's total to the cent",
        wrong.is_empty(),
        format!(
            "{} documents, {} wrong {:?}",
            booked.len(),
            wrong.len(),
            &wrong[..wrong.len().min(5)]
        ),
    );
    let mut registered = 0;
    let mut unequal = Vec::new();
    for (id, paid) in &reconciled {
        let payments = demo.focus.payments(id);
        registered += payments.len();
        let sum: Decimal = payments.iter().map(|p| p.1).sum();
        if sum != *paid {
            unequal.push(format!("{id}: {sum} ≠ {paid}"));
        }
    }
    checks.equal("payments registered in Focus", reconciled.len(), registered);
    checks.check(
        "registered amounts equal the reconciled amounts",
        unequal.is_empty(),
        format!("{} differ {unequal:?}", unequal.len()),
    );
    let over = demo.octopus.over_limit();
    checks.check("no Octopus daily limit exceeded", over.is_empty(), format!("{over:?}"));
    let (busiest, throttled) = demo.focus.rate_limit_record();
    checks.check(
        "Focus never answered 429",
        throttled == 0,
        format!(
            "busiest minute {busiest}/{} requests, {throttled} refused",
            focus_sim::RATE_LIMIT
        ),
    );
    let dlq = demo.aws.dead_letter_queue_url.clone();
    let depth = demo
        .aws_cli(
            &[
                "sqs",
                "get-queue-attributes",
                "--queue-url",
                &dlq,
                "--attribute-names",
                "ApproximateNumberOfMessages",
            ],
            &format!("sqs get-queue-attributes --queue-url {dlq} --attribute-names ApproximateNumberOfMessages"),
        )
        .await?;
    let depth = depth["Attributes"]["ApproximateNumberOfMessages"]
        .as_str()
        .and_then(|n| n.parse::<usize>().ok())
        .ok_or_else(|| anyhow!("the aws CLI did not give the dead-letter queue's depth: {depth}"))?;
    checks.equal("messages in the dead-letter queue", 0, depth);
    let (lines, leaked) = leaked_secrets(demo, webhook_secret)?;
    checks.check(
        "no secret in the functions' logs",
        leaked.is_empty() && lines > 0,
        format!(
            "{} secrets checked against {lines} log lines, {} found",
            demo.focus.every_secret().len() + demo.octopus.every_secret().len() + 1,
            leaked.len()
        ),
    );

    println!("\nSummary");
    println!(
        "  documents   {} booked in Focus: posted {} · needs review {} · failed {}",
        booked.len(),
        count("posted"),
        count("needs_review"),
        count("failed")
    );
    println!(
        "              fixed on the way: invoice {} failed with {failed_code} until its rate was mapped and resynced;",
        number.replace(' ', "")
    );
    println!(
        "              invoice {} (invoice:{edited}) was edited after posting, flagged for review, corrected and \
         reviewed",
        booked[1].number.replace(' ', "")
    );
    for a in status["attention"].as_array().into_iter().flatten() {
        println!(
            "              {} {}: {}",
            a["document"].as_str().unwrap_or_default(),
            a["state"].as_str().unwrap_or_default(),
            a["reason"].as_str().unwrap_or_default()
        );
    }
    println!(
        "  payments    {} registered in Focus for {} reconciled invoices, {} in total",
        registered,
        reconciled.len(),
        reconciled.values().sum::<Decimal>()
    );
    println!(
        "  Focus       {} API calls (busiest minute {busiest} of {}), {} webhooks delivered",
        demo.focus.received().len(),
        focus_sim::RATE_LIMIT,
        demo.focus.deliveries().sent.len()
    );
    let per_operation = demo.octopus.received_per_operation();
    println!(
        "  Octopus     {} API calls: {}",
        per_operation.values().sum::<usize>(),
        per_operation
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "              bookings today {} of the daily {}",
        demo.octopus.calls_today(Operation::InsertBuySellBooking),
        Operation::InsertBuySellBooking.daily_limit().unwrap_or_default()
    );
    println!(
        "  poster      {} batches, {} records, {} kept for a retry; CLI commands run: {}",
        stats.batches.load(Ordering::SeqCst),
        stats.records.load(Ordering::SeqCst),
        stats.kept.load(Ordering::SeqCst),
        demo.cli_runs
    );
    println!("  elapsed     {:.0} s", demo.narrator.start.elapsed().as_secs_f64());
    Ok(checks)
}

/// The functions' log lines checked, and the secrets the simulators issued (and the webhook secret) found in them.
/// A log that cannot be read, or holds nothing, is an error: no line checked proves nothing.
fn leaked_secrets(demo: &Demo, webhook_secret: &str) -> Result<(usize, Vec<String>)> {
    let path = demo.paths.work.join("functions.log");
    let log = std::fs::read_to_string(&path)
        .map_err(|e| anyhow!("the functions' log {} cannot be read: {e}", path.display()))?;
    let lines = log.lines().filter(|l| !l.trim().is_empty()).count();
    if lines == 0 {
        bail!(
            "the functions' log {} is empty: nothing to check for secrets",
            path.display()
        );
    }
    let mut secrets = demo.focus.every_secret();
    secrets.extend(demo.octopus.every_secret());
    secrets.push(webhook_secret.to_owned());
    let leaked = secrets
        .into_iter()
        .filter(|s| !s.is_empty() && log.contains(s.as_str()))
        .map(|s| format!("{}…", s.chars().take(4).collect::<String>()))
        .collect();
    Ok((lines, leaked))
}
