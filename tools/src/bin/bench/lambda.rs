//! The release binaries as Lambda runs them: a local Lambda runtime API (the endpoints a function polls), cold
//! starts timed from process start to the **response to the first event** (and, inside that, to the first
//! `invocation/next`: init only), peak memory (VmHWM) after one invocation, and the package sizes. The baseline is
//! `hello-lambda`, built the same way in the same `make bench`.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use focus_octopus_tests::http_server::{Served, serve};
use serde_json::Value;
use tokio::sync::Notify;

/// One cold start, in milliseconds: process start to the first request for an event (init only), process start to
/// the response to the first event (cold), and the second event's handling in the same process (warm).
#[derive(Debug, Clone, Copy)]
pub struct ColdStart {
    pub init: f64,
    pub cold: f64,
    pub warm: f64,
}

pub const FUNCTIONS: [&str; 4] = ["webhook-receiver", "document-poster", "payment-puller", "admin"];
pub const BASELINE: &str = "hello-lambda";

#[derive(Default)]
struct Runtime {
    events: VecDeque<Value>,
    first_next: Option<Instant>,
    first_answer: Option<Instant>,
    /// When each event was handed out, and when each answer came, in order.
    delivered: Vec<Instant>,
    answered: Vec<Instant>,
    answers: Vec<(String, Value)>,
    next_id: u64,
}

/// The Lambda runtime API on a loopback port. `next` hands out queued events, then waits forever (as Lambda
/// freezes an idle sandbox).
pub struct RuntimeApi {
    served: Served,
    state: Arc<Mutex<Runtime>>,
    changed: Arc<Notify>,
}

type Shared = (Arc<Mutex<Runtime>>, Arc<Notify>);

async fn next(State((state, changed)): State<Shared>) -> axum::response::Response {
    let event = {
        let mut s = state.lock().expect("runtime state");
        s.first_next.get_or_insert_with(Instant::now);
        s.next_id += 1;
        let event = s.events.pop_front().map(|e| (s.next_id, e));
        if event.is_some() {
            s.delivered.push(Instant::now());
        }
        event
    };
    changed.notify_waiters();
    let Some((id, event)) = event else {
        return std::future::pending().await;
    };
    let mut headers = HeaderMap::new();
    let deadline = (chrono::Utc::now() + chrono::Duration::minutes(5)).timestamp_millis();
    for (k, v) in [
        ("lambda-runtime-aws-request-id", format!("request-{id}")),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:eu-west-1:123456789012:function:bench".to_owned(),
        ),
        ("lambda-runtime-trace-id", format!("Root=1-00000000-{id:024x}")),
    ] {
        headers.insert(k, v.parse().expect("a header value"));
    }
    (headers, axum::Json(event)).into_response()
}

async fn answer(
    State((state, changed)): State<Shared>,
    UrlPath((id, kind)): UrlPath<(String, String)>,
    body: String,
) -> &'static str {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let mut s = state.lock().expect("runtime state");
    s.first_answer.get_or_insert_with(Instant::now);
    s.answered.push(Instant::now());
    s.answers.push((format!("{id}/{kind}"), value));
    drop(s);
    changed.notify_waiters();
    ""
}

async fn init_error(State((state, changed)): State<Shared>, body: String) -> &'static str {
    state
        .lock()
        .expect("runtime state")
        .answers
        .push(("init/error".into(), Value::String(body)));
    changed.notify_waiters();
    ""
}

impl RuntimeApi {
    pub async fn start() -> Result<Self> {
        let state = Arc::new(Mutex::new(Runtime::default()));
        let changed = Arc::new(Notify::new());
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answer))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state((state.clone(), changed.clone()));
        Ok(Self {
            served: serve(router, 0).await?,
            state,
            changed,
        })
    }

    fn reset(&self, events: Vec<Value>) {
        let mut s = self.state.lock().expect("runtime state");
        *s = Runtime {
            events: events.into(),
            ..Runtime::default()
        };
    }

    /// Waits (event-driven, with a deadline) until `done` holds for the state.
    async fn until(&self, limit: Duration, done: impl Fn(&Runtime) -> bool) -> Result<()> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.changed.notified();
            if done(&self.state.lock().expect("runtime state")) {
                return Ok(());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                bail!("the function did not get there within {} s", limit.as_secs());
            }
        }
    }

    /// Starts `binary` as Lambda would (runtime API address and function variables, plus `env`).
    fn spawn(&self, binary: &Path, env: &[(String, String)]) -> Result<Child> {
        Command::new(binary)
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", self.served.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("RUST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))
    }

    /// Cold starts as a Lambda user meets them: for each pair of events, a new process that gets the first (cold)
    /// and then the second (warm, the same kind of work). Every answer must be a response, not an error.
    pub async fn cold_starts_to_answer(
        &self,
        binary: &Path,
        env: &[(String, String)],
        pairs: Vec<(Value, Value)>,
    ) -> Result<Vec<ColdStart>> {
        let mut times = Vec::with_capacity(pairs.len());
        for (cold, warm) in pairs {
            self.reset(vec![cold, warm]);
            let spawned = Instant::now();
            let mut child = self.spawn(binary, env)?;
            let answered = self.until(Duration::from_secs(60), |s| s.answered.len() >= 2).await;
            let _ = child.kill();
            let _ = child.wait();
            answered?;
            let s = self.state.lock().expect("runtime state");
            for (kind, answer) in &s.answers {
                if !kind.ends_with("/response") {
                    bail!("{} answered {kind}: {answer}", binary.display());
                }
            }
            let ms = |from: Instant, to: Instant| (to - from).as_secs_f64() * 1000.0;
            times.push(ColdStart {
                init: ms(spawned, s.first_next.expect("asked before answering")),
                cold: ms(spawned, s.answered[0]),
                warm: ms(s.delivered[1], s.answered[1]),
            });
        }
        Ok(times)
    }

    /// Runs one invocation with `event`; returns the answer and the process's peak resident memory in KiB.
    pub async fn invoke_once(&self, binary: &Path, env: &[(String, String)], event: Value) -> Result<(Value, u64)> {
        self.reset(vec![event]);
        let mut child = self.spawn(binary, env)?;
        let answered = self.until(Duration::from_secs(300), |s| !s.answers.is_empty()).await;
        // The function asks for its next event after answering: then it is idle and its peak is final.
        let idle = self.until(Duration::from_secs(10), |s| s.next_id >= 2).await;
        let peak = peak_rss_kib(child.id());
        let _ = child.kill();
        let _ = child.wait();
        answered?;
        idle?;
        let (kind, answer) = self.state.lock().expect("runtime state").answers[0].clone();
        if !kind.ends_with("/response") {
            bail!("the function answered {kind}: {answer}");
        }
        Ok((answer, peak?))
    }
}

/// VmHWM of a running process, in KiB.
fn peak_rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow!("no VmHWM for process {pid}"))
}

/// Where `cargo lambda build --release` left the binaries and zips.
pub struct Built {
    target: PathBuf,
}

impl Built {
    pub fn locate() -> Result<Self> {
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
        let built = Self { target };
        for name in FUNCTIONS.iter().chain([&BASELINE]) {
            built.binary(name)?;
            built.zip(name)?;
        }
        Ok(built)
    }

    pub fn binary(&self, name: &str) -> Result<PathBuf> {
        let path = self.target.join("x86_64-unknown-linux-gnu/release").join(name);
        path.exists().then_some(path.clone()).ok_or_else(|| {
            anyhow!(
                "{} is missing: run `make bench` (it builds the release zips)",
                path.display()
            )
        })
    }

    pub fn zip(&self, name: &str) -> Result<PathBuf> {
        let path = self.target.join("lambda").join(name).join("bootstrap.zip");
        path.exists()
            .then_some(path.clone())
            .ok_or_else(|| anyhow!("{} is missing: run `make bench`", path.display()))
    }
}

/// The median of `values` (any order), or `None` when nothing was measured.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}
