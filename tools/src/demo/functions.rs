//! The functions as Lambda runs them, locally: the four binaries under `cargo lambda watch` (runtime API, invoke
//! endpoint, the receiver's Function URL), and the event source that feeds the poster from the queue.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use focus_octopus_tests::aws_local::LocalAws;
use focus_octopus_tests::event_source::EventSource;

use super::{Paths, RETRY_AFTER_SECONDS};

/// `cargo lambda watch` with the four functions: stopped (its whole process group) when dropped.
pub(super) struct Functions {
    child: Child,
    pub(super) url: String,
    http: reqwest::Client,
}

impl Functions {
    pub(super) fn start(paths: &Paths, env_file: &Path, log: &Path) -> Result<Self> {
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
    pub(super) fn receiver_url(&self) -> String {
        format!("{}/lambda-url/webhook-receiver", self.url)
    }

    /// Waits until the functions answer by asking them (an admin `ping` through the invoke API), not by reading
    /// `cargo lambda watch`'s log: on a busy machine it prints "starting" well before it accepts a connection
    /// (found on a fresh clone: the first invoke 1.9 s later was refused).
    pub(super) async fn until_answering(&self, limit: Duration) -> Result<Value> {
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
    pub(super) async fn invoke(&self, function: &str, payload: &Value) -> Result<Value> {
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
pub(super) struct RunnerStats {
    pub(super) batches: AtomicUsize,
    pub(super) records: AtomicUsize,
    pub(super) kept: AtomicUsize,
    pub(super) busy: AtomicBool,
}

/// Lambda's SQS event source mapping, locally ([`EventSource`], the one the tests use): invoke the poster with each
/// batch, delete what it acknowledged, let `batchItemFailures` come back after [`RETRY_AFTER_SECONDS`].
pub(super) async fn event_source(
    aws: Arc<LocalAws>,
    functions: Arc<Functions>,
    stats: Arc<RunnerStats>,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    let events = EventSource::new(aws.sqs.clone(), &aws.documents_queue_url);
    while !stop.load(Ordering::SeqCst) {
        let Some(batch) = events.receive().await? else {
            // Poll briefly: moto serves one request at a time.
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        // Received messages are in flight (counted by the queue) until settled; busy covers the settling.
        stats.busy.store(true, Ordering::SeqCst);
        let kept: Vec<String> = match functions.invoke("document-poster", &batch.payload).await {
            Ok(answer) => answer["batchItemFailures"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                .collect(),
            // A failed invocation: Lambda retries the whole batch.
            Err(e) => {
                eprintln!("          (poster invocation failed, the batch comes back: {e:#})");
                batch.all_ids()
            }
        };
        stats.batches.fetch_add(1, Ordering::SeqCst);
        stats.records.fetch_add(batch.len(), Ordering::SeqCst);
        stats.kept.fetch_add(kept.len(), Ordering::SeqCst);
        let in_flight = events.settle(&batch, &kept).await?;
        events.visible_after(&in_flight, RETRY_AFTER_SECONDS).await?;
        stats.busy.store(false, Ordering::SeqCst);
    }
    Ok(())
}
