//! `make bench`: measured numbers, printed as Markdown; never asserted in tests. Every figure printed is one this
//! run measured; what a figure means is written in the Makefile's header (it heads BENCHMARKS.md), and every target
//! ends in the closing table as met or not met. `BENCH_QUICK=1` runs every section at a smaller scale (a few
//! minutes), to check a change cheaply; the full run is the reference.
//!
//! Push, steady state: customers known, caches warm; per posted document, the Focus calls, Octopus calls and
//! DynamoDB operations the real receiver and poster spend, counted at the simulators and by an SDK interceptor.
//! Simulated time moves 15 seconds per document, so token renewals are amortised as in a busy day.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{Context, anyhow};

#[path = "bench/lambda.rs"]
mod lambda;

use chrono::{Duration, NaiveDate};
use focus_octopus_tests::focus_sim::{line, rates};
use focus_octopus_tests::push_world::{PushWorld, push_config};
use rust_decimal::Decimal;

const WARM_UP: usize = 10;
const PER_ROUND: usize = 10;

/// How big each section is: the reference run, or the quick one (`BENCH_QUICK=1`).
#[derive(Debug, Clone, Copy)]
struct Scale {
    quick: bool,
    /// Cold starts per function.
    starts: usize,
    /// Documents measured in the push steady state.
    measured: usize,
    /// Mapped documents of the small and the large puller history.
    histories: (usize, usize),
    /// Documents of the backfill, and the daily booking limit it runs against (`None`: the documented one).
    backfill: (usize, Option<u32>),
    burst: usize,
}

impl Scale {
    fn from_environment() -> Self {
        if std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0") {
            Self {
                quick: true,
                starts: 5,
                measured: 50,
                histories: (1_000, 10_000),
                backfill: (100, Some(40)),
                burst: 200,
            }
        } else {
            Self {
                quick: false,
                starts: 25,
                measured: 200,
                histories: (1_000, 100_000),
                backfill: (1_000, None),
                burst: 1_000,
            }
        }
    }
}

/// One target and what this run measured against it.
struct Target {
    figure: String,
    measured: String,
    target: String,
    met: bool,
}

#[derive(Default)]
struct Targets(Vec<Target>);

impl Targets {
    fn add(&mut self, figure: impl Into<String>, measured: impl Into<String>, target: &str, met: bool) {
        self.0.push(Target {
            figure: figure.into(),
            measured: measured.into(),
            target: target.to_owned(),
            met,
        });
    }

    fn print(&self) {
        let met = self.0.iter().filter(|t| t.met).count();
        println!();
        println!("## Targets: {met} of {} met", self.0.len());
        println!();
        println!("| figure | measured | target | met? |");
        println!("|---|---|---|---|");
        for t in &self.0 {
            println!(
                "| {} | {} | {} | {} |",
                t.figure,
                t.measured,
                t.target,
                if t.met { "met" } else { "**not met**" }
            );
        }
    }
}

fn per_document(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>, documents: usize) -> Vec<(String, f64)> {
    after
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                (v - before.get(k).copied().unwrap_or(0)) as f64 / documents as f64,
            )
        })
        .filter(|(_, v)| *v > 0.0)
        .collect()
}

fn counts<'a>(names: impl Iterator<Item = &'a str>) -> BTreeMap<String, u64> {
    let mut map = BTreeMap::new();
    for name in names {
        *map.entry(name.to_owned()).or_default() += 1;
    }
    map
}

/// Writes `count` posted-document records (with their booking index) that no run will touch: the history a
/// mature connection has.
async fn add_history(world: &PushWorld, count: usize) -> anyhow::Result<()> {
    use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
    use focus_octopus::domain::{BookingKey, BookyearId, DocumentKind, DocumentRef, JournalKey};
    use focus_octopus::store::keys;
    let s = |v: String| AttributeValue::S(v);
    let mut batch = Vec::new();
    for i in 0..count {
        let doc = DocumentRef::new(DocumentKind::Invoice, format!("history-{i}"))?;
        let booking = BookingKey {
            bookyear: BookyearId(1),
            journal: JournalKey::new("V9")?,
            document_nr: i as u32 + 1,
        };
        let item = [
            (keys::PK, s(keys::connection(&world.conn))),
            (keys::SK, s(keys::document(&doc))),
            (keys::GSI1PK, s(keys::booking_index(&world.conn, &booking))),
            (keys::GSI1SK, s(keys::document(&doc))),
            ("state", s("posted".into())),
            ("updated_at", s("2026-01-15T09:00:00Z".into())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        batch.push(
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item)).build()?)
                .build(),
        );
        let pointer = [
            (keys::PK, s(keys::connection(&world.conn))),
            (keys::SK, s(keys::booking(&booking))),
            (
                "document",
                AttributeValue::M(
                    [
                        ("kind".to_owned(), s("invoice".into())),
                        ("id".to_owned(), s(doc.id.clone())),
                    ]
                    .into(),
                ),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        batch.push(
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(pointer)).build()?)
                .build(),
        );
        if batch.len() >= 24 || i + 1 == count {
            world
                .aws
                .dynamodb
                .batch_write_item()
                .request_items(world.deployment.store.table(), std::mem::take(&mut batch))
                .send()
                .await?;
        }
    }
    Ok(())
}

/// A connection with `history` mapped documents, 100 of them posted this month and paid in Octopus since the
/// puller's last run (which settled the cursors).
async fn paid_world(history: usize) -> anyhow::Result<PushWorld> {
    use focus_octopus_tests::octopus_sim::{DOSSIER, SimBookingKey};
    let world = PushWorld::start().await;
    let company = world.focus.add_company("Klant BV", Some("BE0477472701"), "BE");
    for n in 0..100u32 {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1 + n % 28).expect("a March day");
        world
            .focus
            .invoice(
                ("company", &company),
                vec![line(Decimal::ONE, Decimal::from(100 + n), rates::VAT_21)],
                day,
            )
            .await;
    }
    world.pump(100).await;
    add_history(&world, history.saturating_sub(100)).await?;
    world.clock.advance(Duration::minutes(30));
    focus_octopus::sync::puller::run_puller(&world.deployment, &world.conn).await?;
    for nr in 1..=100 {
        let key = SimBookingKey {
            bookyear: 1,
            journal: "V1".into(),
            document_nr: nr,
        };
        world.octopus.reconcile(
            DOSSIER,
            &key,
            Decimal::from(50),
            NaiveDate::from_ymd_opt(2026, 3, 30).expect("a day"),
        );
    }
    Ok(world)
}

/// The puller's cost for one run in which 100 documents were paid, on top of `history` mapped documents.
async fn puller_run(history: usize) -> anyhow::Result<(usize, usize, f64)> {
    let world = paid_world(history).await?;
    world.clock.advance(Duration::minutes(30));
    let (focus_before, octopus_before) = (world.focus.received().len(), world.octopus.received().len());
    let started = Instant::now();
    let run = focus_octopus::sync::puller::run_puller(&world.deployment, &world.conn).await?;
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(run.payments.payments_registered == 100, "{:?}", run.report);
    Ok((
        world.octopus.received().len() - octopus_before,
        world.focus.received().len() - focus_before,
        wall,
    ))
}

/// Invoices for `customers` known customers, booked in Focus at once (webhooks delivered).
async fn book_burst(world: &PushWorld, documents: usize, customers: usize) -> anyhow::Result<()> {
    let ids: Vec<String> = (0..customers)
        .map(|i| {
            world.focus.add_company(
                &format!("Klant {i} BV"),
                Some(&focus_octopus_tests::fixtures::belgian_vat(i as u32)),
                "BE",
            )
        })
        .collect();
    for n in 0..documents {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("a March day");
        world
            .focus
            .invoice(
                ("company", &ids[n % ids.len()]),
                vec![line(Decimal::ONE, Decimal::new(10_000 + n as i64, 2), rates::VAT_21)],
                day,
            )
            .await;
    }
    Ok(())
}

/// A backlog of 1,000 documents against the documented 400 bookings a day: the poster books until the budget is
/// spent, the rest waits (dead-lettered messages included) and the sweep brings it back after the reset. Rounds of
/// six simulated minutes (the queue's visibility timeout), the puller every 30 minutes.
async fn backfill(scale: &Scale, targets: &mut Targets) -> anyhow::Result<()> {
    use focus_octopus::octopus::Operation;
    use focus_octopus_tests::octopus_sim::DOSSIER;
    let (documents, lowered) = scale.backfill;
    let mut config = push_config();
    if let Some(limit) = lowered {
        // The quick run keeps the shape with fewer documents: the connection lowers its own booking limit.
        config
            .options
            .octopus_daily_limits
            .insert(Operation::InsertBuySellBooking.budget_name().to_owned(), limit);
    }
    let world = PushWorld::start_with(config).await;
    book_burst(&world, documents, 20).await?;
    let started = Instant::now();
    let first_day = focus_octopus::octopus::budget_day(world.clock_now());
    let mut rounds = 0;
    while world.octopus.bookings(DOSSIER).len() < documents && rounds < 10 * 24 * 10 {
        world.deliver_round(&world.deployment).await;
        if rounds % 5 == 4 {
            focus_octopus::sync::puller::run_puller(&world.deployment, &world.conn).await?;
        }
        world.clock.advance(Duration::minutes(6));
        rounds += 1;
        if rounds % 40 == 0 {
            eprintln!(
                "  backfill: simulated {:>5.1} h, {} booked, {} queued, wall {:.0} s",
                rounds as f64 * 0.1,
                world.octopus.bookings(DOSSIER).len(),
                world.queued().await,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let per_day: BTreeMap<NaiveDate, u32> = world
        .octopus
        .state()
        .calls
        .iter()
        .filter(|((_, name), _)| name.as_str() == Operation::InsertBuySellBooking.budget_name())
        .map(|((day, _), n)| (*day, *n))
        .collect();
    let limit = match lowered {
        Some(limit) => limit,
        None => Operation::InsertBuySellBooking
            .daily_limit()
            .ok_or_else(|| anyhow!("the booking operation has no daily limit to measure against"))?,
    };
    println!();
    println!(
        "## Backfill: {documents} documents against {limit} bookings a day ({})",
        if lowered.is_some() {
            "the connection's lowered limit"
        } else {
            "the documented limit"
        }
    );
    println!();
    println!("| Belgian day | bookings | budget used |");
    println!("|---|---|---|");
    for (day, n) in &per_day {
        println!(
            "| {day} (day {}) | {n} | {:.1} % |",
            (*day - first_day).num_days() + 1,
            *n as f64 * 100.0 / limit as f64
        );
    }
    let booked = world.octopus.bookings(DOSSIER).len();
    // Every day but the last had more waiting than the budget: those are the days that should be full.
    let full_days: Vec<u32> = per_day
        .values()
        .take(per_day.len().saturating_sub(1))
        .copied()
        .collect();
    let least_used = full_days
        .iter()
        .map(|n| *n as f64 * 100.0 / limit as f64)
        .min_by(f64::total_cmp);
    let refused = world.octopus.over_limit().len();
    println!();
    println!("| booked | Belgian days | simulated hours | least-used full day | refused past a limit | wall |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| {booked} of {documents} | {} | {:.1} | {} | {refused} | {:.0} s |",
        per_day.len(),
        rounds as f64 * 0.1,
        least_used.map_or("none (one day was enough)".to_owned(), |p| format!("{p:.1} %")),
        started.elapsed().as_secs_f64()
    );
    targets.add(
        format!("backfill of {documents}: budget used on full days"),
        least_used.map_or("no full day".to_owned(), |p| format!("{p:.1} %")),
        "≥ 95 %",
        least_used.is_some_and(|p| p >= 95.0),
    );
    targets.add(
        format!("backfill of {documents}: booked, resumed by itself after each reset, no refusal"),
        format!("{booked} booked over {} days, {refused} refused", per_day.len()),
        "all booked, 0 refused",
        booked == documents && refused == 0,
    );
    Ok(())
}

/// 1,000 documents in a burst against Focus's 200 requests per minute (the Octopus booking budget raised for the
/// measurement): 429s answered to us, and the throughput against what the limit allows for the calls a document needs.
async fn focus_burst(scale: &Scale, targets: &mut Targets) -> anyhow::Result<()> {
    use focus_octopus::octopus::Operation;
    let documents = scale.burst;
    let mut config = push_config();
    config
        .options
        .octopus_daily_limits
        .insert(Operation::InsertBuySellBooking.budget_name().to_owned(), 5_000);
    let world = PushWorld::start_with(config).await;
    // As if Octopus granted this software house more bookings a day: the burst measures Focus, not Octopus.
    world.octopus.grant(Operation::InsertBuySellBooking, 5_000);
    book_burst(&world, documents, 20).await?;
    let calls_before = world.focus.received().len();
    let started = Instant::now();
    world.pump(2_000).await;
    let booked = world.octopus.bookings(focus_octopus_tests::octopus_sim::DOSSIER).len();
    let received = world.focus.received();
    let burst = &received[calls_before..];
    let calls = burst.len();
    anyhow::ensure!(
        calls > 0 && booked > 0,
        "the burst made no Focus call or booked nothing"
    );
    let (first, last) = (burst[0].at, burst[calls - 1].at);
    let span = (last - first).num_milliseconds() as f64 / 60_000.0;
    // The fastest the limit allows for these calls: 200 at once, then 200 more each minute after.
    let limit = focus_octopus_tests::focus_sim::RATE_LIMIT;
    let fastest = (calls.div_ceil(limit) - 1) as f64;
    // With fewer calls than one minute's limit there is nothing to pace: no share to report.
    let share = (fastest > 0.0 && span > 0.0).then(|| fastest * 100.0 / span);
    let traffic = world.focus.traffic();
    let per_doc = calls as f64 / booked as f64;
    println!();
    println!("## Burst: {documents} documents against Focus's {limit} requests a minute");
    println!();
    println!(
        "| booked | Focus calls (per document) | first → last call | fastest allowed | throughput share | 429 answered to us | most sent in a minute |"
    );
    println!("|---|---|---|---|---|---|---|");
    let share_text = share.map_or("not measurable (one minute's calls)".to_owned(), |p| {
        format!("**{p:.1} %**")
    });
    println!(
        "| {booked} | {calls} ({per_doc:.3}) | {span:.2} min | {fastest:.2} min | {share_text} | **{}** | {}/{limit} |",
        traffic.throttled, traffic.max_sent_in_minute
    );
    println!();
    println!("Wall {:.0} s.", started.elapsed().as_secs_f64());
    targets.add(
        format!("burst of {documents}: 429 answered to us"),
        traffic.throttled.to_string(),
        "0",
        traffic.throttled == 0,
    );
    targets.add(
        format!("burst of {documents}: throughput share of what Focus's limit allows"),
        share.map_or("not measurable".to_owned(), |p| format!("{p:.1} %")),
        "≥ 90 %",
        share.is_some_and(|p| p >= 90.0),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let only = |section: &str| std::env::args().any(|a| a == format!("--{section}"));
    let all = !std::env::args().any(|a| a.starts_with("--"));
    let scale = Scale::from_environment();
    let mut targets = Targets::default();
    if scale.quick {
        println!("**Quick run** (`BENCH_QUICK=1`): every section at a smaller scale; the full run is the reference.");
        println!();
    }
    if all || only("lambda") {
        lambda_figures(&scale, &mut targets).await?;
    }
    if all || only("push") {
        push_steady_state(&scale, &mut targets).await?;
    }
    if all || only("puller") {
        puller_cost(&scale, &mut targets).await?;
    }
    if all || only("limits") {
        backfill(&scale, &mut targets).await?;
        focus_burst(&scale, &mut targets).await?;
    }
    targets.print();
    Ok(())
}

async fn puller_cost(scale: &Scale, targets: &mut Targets) -> anyhow::Result<()> {
    let (few, many) = scale.histories;
    let small = puller_run(few).await?;
    let large = puller_run(many).await?;
    println!();
    println!("## Puller: one run with 100 documents paid, against the history of mapped documents");
    println!();
    println!("| mapped documents | Octopus calls | Focus calls | wall time (moto) |");
    println!("|---|---|---|---|");
    for (history, (octopus, focus, wall)) in [(few, small), (many, large)] {
        println!("| {history} | {octopus} | {focus} | {wall:.0} ms |");
    }
    println!();
    println!("Wall-time ratio {many} / {few}: {:.2}.", large.2 / small.2);
    targets.add(
        format!("puller: partner calls at {few} and {many} mapped documents"),
        format!("Octopus {} / {}, Focus {} / {}", small.0, large.0, small.1, large.1),
        "equal",
        small.0 == large.0 && small.1 == large.1,
    );
    Ok(())
}

/// The environment our functions need; the AWS endpoint is a closed port, so any network use during start-up would
/// show as a failure.
fn function_env(
    table: &str,
    queue: &str,
    prefix: &str,
    endpoint: &str,
    focus: &str,
    octopus: &str,
) -> Vec<(String, String)> {
    [
        ("TABLE_NAME", table),
        ("DOCUMENTS_QUEUE_URL", queue),
        ("SECRETS_PREFIX", prefix),
        ("AWS_ENDPOINT_URL", endpoint),
        ("FOCUS_API_URL", focus),
        ("FOCUS_OAUTH_URL", focus),
        ("OCTOPUS_API_URL", octopus),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The environment of a function of `world`'s stack (moto and the simulators).
fn world_env(world: &PushWorld) -> anyhow::Result<Vec<(String, String)>> {
    Ok(function_env(
        &world.aws.table_name,
        &world.aws.documents_queue_url,
        &world.aws.table_name,
        &focus_octopus_tests::aws_local::moto_endpoint()?,
        &world.focus.url(),
        &world.octopus.url(),
    ))
}

/// The events of `starts` cold starts of a function, two each: the first (cold) and a second of the same kind
/// (warm). Each is the function's real work: the receiver reads its connection and secret and enqueues; the poster
/// fetches the document from Focus and books it in Octopus; the puller runs the connection; admin answers `status`
/// from the table.
async fn first_events(
    world: &PushWorld,
    name: &str,
    starts: usize,
) -> anyhow::Result<Vec<(serde_json::Value, serde_json::Value)>> {
    use focus_octopus_tests::push_world::WEBHOOK_SECRET;
    let events: Vec<serde_json::Value> = match name {
        "webhook-receiver" => (0..2 * starts)
            .map(|_| {
                let body = serde_json::json!({ "type": "invoice.booked",
                    "subject": { "type": "invoice", "id": uuid::Uuid::new_v4().to_string() } });
                let path = format!("/hooks/{}/{WEBHOOK_SECRET}", world.conn);
                serde_json::to_value(PushWorld::function_url_event("POST", &path, &body.to_string()))
                    .context("a Function URL event")
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
        "document-poster" => {
            let company = world.focus.add_company("Koude Start BV", Some("BE0477472701"), "BE");
            for n in 0..2 * starts {
                let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("a day");
                let lines = vec![line(Decimal::from(2), Decimal::new(12_50 + n as i64, 2), rates::VAT_21)];
                world.focus.invoice(("company", &company), lines, day).await;
            }
            // One record per event, in queue order; taken off the queue so the next receive sees the next ones.
            let mut events = Vec::new();
            while events.len() < 2 * starts {
                let batch = world
                    .receive_batch()
                    .await
                    .ok_or_else(|| anyhow!("only {} of {} invoices reached the queue", events.len(), 2 * starts))?;
                for m in &batch.messages {
                    events.push(focus_octopus_tests::push_world::sqs_event(std::slice::from_ref(m)));
                    world
                        .aws
                        .sqs
                        .delete_message()
                        .queue_url(&world.aws.documents_queue_url)
                        .receipt_handle(m.receipt_handle().unwrap_or_default())
                        .send()
                        .await?;
                }
            }
            events
        }
        "payment-puller" => vec![scheduled_event(); 2 * starts],
        "admin" => vec![serde_json::json!({ "action": "status", "connection": world.conn.to_string() }); 2 * starts],
        other => anyhow::bail!("no first event for {other}"),
    };
    let mut events = events.into_iter();
    Ok((0..starts)
        .filter_map(|_| Some((events.next()?, events.next()?)))
        .collect())
}

fn scheduled_event() -> serde_json::Value {
    serde_json::json!({
        "version": "0", "id": "bench", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-03-30T10:00:00Z", "region": "eu-west-1", "resources": [],
        "detail": {}
    })
}

/// Median and range of one column of cold starts.
fn spread(values: &[f64]) -> (f64, f64, f64) {
    let median = lambda::median(values).unwrap_or(f64::NAN);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (median, min, max)
}

/// The medians of a function's cold starts: init only, cold, warm, and what the cold start added (cold − warm).
struct Medians {
    init: f64,
    cold: (f64, f64, f64),
    warm: f64,
    added: f64,
}

fn medians(times: &[lambda::ColdStart]) -> Medians {
    let column = |f: fn(&lambda::ColdStart) -> f64| times.iter().map(f).collect::<Vec<f64>>();
    Medians {
        init: spread(&column(|t| t.init)).0,
        cold: spread(&column(|t| t.cold)),
        warm: spread(&column(|t| t.warm)).0,
        added: spread(&column(|t| t.cold - t.warm)).0,
    }
}

/// Cold start, package size and peak memory of the release binaries, next to the hello-world baseline.
async fn lambda_figures(scale: &Scale, targets: &mut Targets) -> anyhow::Result<()> {
    use lambda::{BASELINE, Built, FUNCTIONS, RuntimeApi};
    let starts = scale.starts;
    let built = Built::locate()?;
    let runtime = RuntimeApi::start().await?;
    let world = PushWorld::start().await;
    let env = world_env(&world)?;
    let mb = |bytes: u64| bytes as f64 / 1_000_000.0;
    let baseline_zip = std::fs::metadata(built.zip(BASELINE)?)?.len();
    let hello = serde_json::json!({ "hello": "bench" });
    let hello_events = vec![(hello.clone(), hello.clone()); starts];
    let eager = medians(
        &runtime
            .cold_starts_to_answer(&built.binary(BASELINE)?, &env, hello_events.clone())
            .await?,
    );
    let mut lazy_env = env.clone();
    lazy_env.push(("HELLO_LAZY_CLIENT".into(), "1".into()));
    let lazy = medians(
        &runtime
            .cold_starts_to_answer(&built.binary(BASELINE)?, &lazy_env, hello_events)
            .await?,
    );
    println!("## Lambda: cold start and package size (release, x86_64, `cargo lambda build --release`)");
    println!();
    println!("Medians of {starts} cold starts each (min–max of the cold response).");
    println!();
    println!(
        "| function | first event | cold: to its response | warm: the same work | added by the cold start | × hello-world's | init only | package | × hello-world |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let row = |name: &str, work: &str, m: &Medians, zip: u64| {
        println!(
            "| {name} | {work} | {:.1} ms ({:.1}–{:.1}) | {:.1} ms | {:.1} ms | **{:.2}** | {:.1} ms | {:.2} MB | {:.1} |",
            m.cold.0,
            m.cold.1,
            m.cold.2,
            m.warm,
            m.added,
            m.added / eager.added,
            m.init,
            mb(zip),
            zip as f64 / baseline_zip as f64
        );
    };
    row(
        &format!("{BASELINE}, client built before `run`"),
        "one DynamoDB GetItem",
        &eager,
        baseline_zip,
    );
    row(
        &format!("{BASELINE}, client built on the first event"),
        "one DynamoDB GetItem",
        &lazy,
        baseline_zip,
    );
    let work = |name: &str| match name {
        "webhook-receiver" => "a webhook: connection, secret, enqueue",
        "document-poster" => "one SQS record: Focus fetch, Octopus booking",
        "payment-puller" => "the schedule: one connection's run",
        _ => "`status`: the table",
    };
    for name in FUNCTIONS {
        let events = first_events(&world, name, starts).await?;
        let m = medians(
            &runtime
                .cold_starts_to_answer(&built.binary(name)?, &env, events)
                .await?,
        );
        let zip = std::fs::metadata(built.zip(name)?)?.len();
        row(name, work(name), &m, zip);
        targets.add(
            format!("{name}: what a cold start adds to its first response, × hello-world's"),
            format!(
                "{:.2} ({:.1} ms against {:.1} ms)",
                m.added / eager.added,
                m.added,
                eager.added
            ),
            "≤ 1.5",
            m.added / eager.added <= 1.5,
        );
        targets.add(
            format!("{name}: package"),
            format!("{:.2} MB", mb(zip)),
            "≤ 6 MB",
            mb(zip) <= 6.0,
        );
    }
    println!();
    println!(
        "Where clients are built, on the baseline: before `run` {:.1} ms to the first response ({:.1} ms init), on the \
         first event {:.1} ms ({:.1} ms init).",
        eager.cold.0, eager.init, lazy.cold.0, lazy.init
    );

    // Peak memory: the poster on a 10-record batch of new customers, the puller over 10,000 mapped documents.
    let (baseline_answer, baseline_peak) = runtime
        .invoke_once(&built.binary(BASELINE)?, &env, serde_json::json!({ "hello": "bench" }))
        .await?;
    anyhow::ensure!(baseline_answer["hello"] == "world", "{baseline_answer}");
    let mut with_files = Vec::new();
    for (label, padding) in [
        ("no file", None),
        ("200 KB", Some(200 * 1024)),
        ("5 MB", Some(5 * 1024 * 1024)),
    ] {
        with_files.push((label, poster_peak(&runtime, &built, padding).await?));
    }
    let (poster_peak, poster_detail, _) = with_files[0].1.clone();
    let (puller_peak, puller_detail) = puller_peak(&runtime, &built).await?;
    println!();
    println!("## Lambda: peak memory (VmHWM of the release binary after one invocation)");
    println!();
    println!("| function | work | peak RSS |");
    println!("|---|---|---|");
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!("| {BASELINE} | one event | {:.1} MiB |", mib(baseline_peak));
    println!(
        "| document-poster | {poster_detail} | **{:.1} MiB** |",
        mib(poster_peak)
    );
    println!("| payment-puller | {puller_detail} | **{:.1} MiB** |", mib(puller_peak));
    for (name, peak) in [("document-poster", poster_peak), ("payment-puller", puller_peak)] {
        targets.add(
            format!("{name}: peak memory"),
            format!("{:.1} MiB", mib(peak)),
            "≤ 64 MB",
            mib(peak) * 1.048_576 <= 64.0,
        );
    }
    println!();
    println!("## Lambda: the poster with each document's file (a 10-record batch, release binary)");
    println!();
    println!("| file with each booking | peak RSS | invocation | per document |");
    println!("|---|---|---|---|");
    for (label, (peak, _, elapsed)) in &with_files {
        println!(
            "| {label} | **{:.1} MiB** | {:.0} ms | {:.1} ms |",
            mib(*peak),
            elapsed * 1000.0,
            elapsed * 100.0
        );
    }
    let (largest_peak, ..) = with_files.last().expect("three sizes").1;
    targets.add(
        "document-poster, 10 × 5 MB files: peak memory",
        format!("{:.1} MiB", mib(largest_peak)),
        "≤ 128 MB (the template's memory)",
        mib(largest_peak) * 1.048_576 <= 128.0,
    );
    Ok(())
}

/// The release poster, run once on a batch of 10 invoices for 10 customers it has to export first; with `file` bytes
/// of padding in each document's PDF (Focus simulator), or with no file at all. Peak RSS (KiB), what it did, and the
/// invocation's wall time in seconds (process start included).
async fn poster_peak(
    runtime: &lambda::RuntimeApi,
    built: &lambda::Built,
    file: Option<usize>,
) -> anyhow::Result<(u64, String, f64)> {
    let mut config = focus_octopus_tests::push_world::push_config();
    if file.is_none() {
        config.options.attachment = None;
    }
    let world = PushWorld::start_with(config).await;
    world.focus.state().file_padding = file.unwrap_or(0);
    for i in 0..10 {
        let company = world.focus.add_company(
            &format!("Nieuwe Klant {i} BV"),
            Some(&focus_octopus_tests::fixtures::belgian_vat(i as u32)),
            "BE",
        );
        let lines = (0..4)
            .map(|n| {
                line(
                    Decimal::from(1 + n),
                    Decimal::new(1250 + i * 100 + n, 2),
                    rates::ALL[(i + n) as usize % 7],
                )
            })
            .collect();
        world
            .focus
            .invoice(
                ("company", &company),
                lines,
                NaiveDate::from_ymd_opt(2026, 3, 2).expect("a day"),
            )
            .await;
    }
    let batch = world.receive_batch().await.ok_or_else(|| anyhow::anyhow!("no batch"))?;
    anyhow::ensure!(batch.len() == 10, "a batch of {}", batch.len());
    let env = world_env(&world)?;
    let started = std::time::Instant::now();
    let (answer, peak) = runtime
        .invoke_once(
            &built.binary("document-poster")?,
            &env,
            focus_octopus_tests::push_world::sqs_event(&batch.messages),
        )
        .await?;
    let elapsed = started.elapsed().as_secs_f64();
    let bookings = world.octopus.bookings(focus_octopus_tests::octopus_sim::DOSSIER);
    anyhow::ensure!(
        bookings.len() == 10 && answer["batchItemFailures"].as_array().is_some_and(Vec::is_empty),
        "the poster booked {}: {answer}",
        bookings.len()
    );
    // What was measured is what Octopus received: each booking carries a file of the size asked, or none.
    for (key, ..) in &bookings {
        let files = world
            .octopus
            .attachments(focus_octopus_tests::octopus_sim::DOSSIER, key);
        match file {
            None => anyhow::ensure!(files.is_empty(), "a file went with {key:?}"),
            Some(padding) => anyhow::ensure!(
                matches!(files.as_slice(), [(_, bytes)] if bytes.len() >= padding),
                "booking {key:?} lacks its {padding}-byte file"
            ),
        }
    }
    Ok((
        peak,
        "10 records: 10 customers exported, 10 invoices of 4 lines booked".into(),
        elapsed,
    ))
}

/// The release puller, run once over a connection with 10,000 mapped documents, 100 of them paid since the last run.
async fn puller_peak(runtime: &lambda::RuntimeApi, built: &lambda::Built) -> anyhow::Result<(u64, String)> {
    const MAPPED: usize = 10_000;
    let world = paid_world(MAPPED).await?;
    world.clock.advance(Duration::minutes(30));
    let env = world_env(&world)?;
    let (answer, peak) = runtime
        .invoke_once(&built.binary("payment-puller")?, &env, scheduled_event())
        .await?;
    anyhow::ensure!(answer["runs"][0].get("error").is_none(), "the puller failed: {answer}");
    let payments = world
        .focus
        .state()
        .documents
        .iter()
        .filter(|d| !d.payments.is_empty())
        .count();
    Ok((
        peak,
        format!("{MAPPED} mapped documents; 100 balancings → {payments} invoices paid in Focus"),
    ))
}

async fn push_steady_state(scale: &Scale, targets: &mut Targets) -> anyhow::Result<()> {
    let (world, dynamodb) = PushWorld::start_counting(push_config()).await;
    let customers: Vec<String> = (0..5)
        .map(|i| {
            world.focus.add_company(
                &format!("Klant {i} BV"),
                Some(&focus_octopus_tests::fixtures::belgian_vat(i as u32)),
                "BE",
            )
        })
        .collect();
    let rate_ids = [rates::VAT_21, rates::VAT_6, rates::VAT_0_INTRA_EU];
    let mut booked = 0usize;
    let mut book = async |n: usize| {
        for _ in 0..n {
            let customer = &customers[booked % customers.len()];
            let lines = vec![
                line(
                    Decimal::from(1 + booked as i64 % 3),
                    Decimal::new(1250 + booked as i64, 2),
                    rate_ids[booked % 3],
                ),
                line(Decimal::ONE, Decimal::new(399, 2), rates::VAT_21),
            ];
            let day = NaiveDate::from_ymd_opt(2026, 3, 2 + (booked % 20) as u32).expect("a March day");
            world.focus.invoice(("company", customer), lines, day).await;
            world.clock.advance(Duration::seconds(15));
            booked += 1;
        }
    };
    book(WARM_UP).await;
    world.pump(100).await;

    let focus_before = counts(world.focus.received().iter().map(|r| r.action.as_str()));
    let octopus_before = counts(world.octopus.received().iter().map(|r| r.operation.operation_id()));
    let dynamodb_before = dynamodb.snapshot();
    let started = Instant::now();
    let mut kept = 0;
    for _ in 0..scale.measured / PER_ROUND {
        book(PER_ROUND).await;
        kept += world.pump(100).await.kept;
    }
    let elapsed = started.elapsed();
    let focus_after = counts(world.focus.received().iter().map(|r| r.action.as_str()));
    let octopus_after = counts(world.octopus.received().iter().map(|r| r.operation.operation_id()));
    let dynamodb_after = dynamodb.snapshot();
    let posted = world
        .octopus
        .bookings(focus_octopus_tests::octopus_sim::DOSSIER)
        .len()
        .saturating_sub(WARM_UP);
    anyhow::ensure!(posted > 0, "nothing was posted in the measured rounds");

    let sections = [
        ("Focus calls", per_document(&focus_before, &focus_after, posted), 2.0),
        (
            "Octopus calls",
            per_document(&octopus_before, &octopus_after, posted),
            1.05,
        ),
        (
            "DynamoDB operations",
            per_document(&dynamodb_before, &dynamodb_after, posted),
            6.0,
        ),
    ];
    println!();
    println!("## Push, steady state ({posted} documents posted, {kept} records redelivered)");
    println!();
    println!("| per posted document | measured | target |");
    println!("|---|---|---|");
    for (name, items, target) in &sections {
        let total: f64 = items.iter().map(|(_, v)| v).sum();
        let detail: Vec<String> = items.iter().map(|(k, v)| format!("{k} {v:.3}")).collect();
        println!("| {name} | **{total:.3}** ({}) | ≤ {target} |", detail.join(", "));
        targets.add(
            format!("{name} per posted document"),
            format!("{total:.3}"),
            &format!("≤ {target}"),
            posted > 0 && total <= *target,
        );
    }
    println!();
    println!(
        "Wall time: {:.1} ms per document (debug build on moto and the simulators).",
        elapsed.as_secs_f64() * 1000.0 / posted as f64
    );
    Ok(())
}
