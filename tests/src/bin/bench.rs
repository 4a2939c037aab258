//! `make bench`: measured numbers, printed side by side; never asserted in tests.
//!
//! Push, steady state: customers known, caches warm; per posted document, the Focus calls, Octopus calls and
//! DynamoDB operations the real receiver and poster spend, counted at the simulators and by an SDK interceptor.
//! Simulated time moves 15 seconds per document, so token renewals are amortised as in a busy day.

use std::collections::BTreeMap;
use std::time::Instant;

#[path = "bench/lambda.rs"]
mod lambda;

use chrono::{Duration, NaiveDate};
use focus_octopus_tests::focus_sim::{line, rates};
use focus_octopus_tests::push_world::{PushWorld, push_config};
use rust_decimal::Decimal;

const WARM_UP: usize = 10;
const MEASURED: usize = 200;
const PER_ROUND: usize = 10;

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
            world
                .focus
                .add_company(&format!("Klant {i} BV"), Some(&format!("BE04774727{i:02}")), "BE")
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
async fn backfill() -> anyhow::Result<()> {
    use focus_octopus::octopus::Operation;
    use focus_octopus_tests::octopus_sim::DOSSIER;
    const DOCUMENTS: usize = 1_000;
    let world = PushWorld::start().await;
    book_burst(&world, DOCUMENTS, 20).await?;
    let started = Instant::now();
    let first_day = focus_octopus::octopus::budget_day(world.clock_now());
    let mut rounds = 0;
    while world.octopus.bookings(DOSSIER).len() < DOCUMENTS && rounds < 10 * 24 * 10 {
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
        .filter(|((_, name), _)| *name == Operation::InsertBuySellBooking.budget_name())
        .map(|((day, _), n)| (*day, *n))
        .collect();
    let limit = Operation::InsertBuySellBooking.daily_limit().unwrap_or(400);
    println!();
    println!("## Backfill: {DOCUMENTS} documents against the documented {limit} bookings a day");
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
    let full_days: Vec<&u32> = per_day.values().take(per_day.len().saturating_sub(1)).collect();
    let min_full = full_days
        .iter()
        .map(|n| **n as f64 * 100.0 / limit as f64)
        .fold(f64::INFINITY, f64::min);
    println!();
    println!(
        "{booked} of {DOCUMENTS} booked over **{} Belgian days** (simulated {:.1} h); full days used at least **{:.1} %** of \
         the booking budget (target ≥ 95 %); calls refused past a limit: **{}**; the backlog resumed each day with no \
         person involved. Wall {:.0} s.",
        per_day.len(),
        rounds as f64 * 0.1,
        if full_days.is_empty() { 0.0 } else { min_full },
        world.octopus.over_limit().len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// 1,000 documents in a burst against Focus's 200 requests per minute (the Octopus booking budget raised for the
/// measurement): 429s answered to us, and the throughput against what the limit allows for the calls a document needs.
async fn focus_burst() -> anyhow::Result<()> {
    use focus_octopus::octopus::Operation;
    const DOCUMENTS: usize = 1_000;
    let mut config = push_config();
    config
        .options
        .octopus_daily_limits
        .insert(Operation::InsertBuySellBooking.budget_name().to_owned(), 5_000);
    let world = PushWorld::start_with(config).await;
    // As if Octopus granted this software house more bookings a day: the burst measures Focus, not Octopus.
    world
        .octopus
        .state()
        .granted_limits
        .insert(Operation::InsertBuySellBooking.budget_name(), 5_000);
    book_burst(&world, DOCUMENTS, 20).await?;
    let calls_before = world.focus.received().len();
    let started = Instant::now();
    world.pump(2_000).await;
    let booked = world.octopus.bookings(focus_octopus_tests::octopus_sim::DOSSIER).len();
    let received = world.focus.received();
    let burst = &received[calls_before..];
    let calls = burst.len();
    let (first, last) = (burst[0].at, burst[calls - 1].at);
    let span = (last - first).num_milliseconds() as f64 / 60_000.0;
    // The fastest the limit allows for these calls: 200 at once, then 200 more each minute after.
    let limit = focus_octopus_tests::focus_sim::RATE_LIMIT;
    let fastest = (calls.div_ceil(limit) - 1) as f64;
    let (busiest, throttled) = world.focus.rate_limit_record();
    let per_doc = calls as f64 / booked as f64;
    println!();
    println!("## Burst: {DOCUMENTS} documents against Focus's {limit} requests a minute");
    println!();
    println!(
        "Simulated clock; the Octopus booking limit raised to 5,000 a day on both sides (as if Octopus granted it), so \
         only Focus limits. Throughput share = the fastest time the limit allows for these calls (200 at once, 200 \
         more each minute) ÷ the time taken. Target: no 429, share ≥ 90 %."
    );
    println!();
    println!(
        "| booked | Focus calls (per document) | first → last call | fastest allowed | throughput share | 429 answered to us | busiest minute |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {booked} | {calls} ({per_doc:.3}) | {span:.2} min | {fastest:.2} min | **{:.1} %** | **{throttled}** | {busiest}/{limit} |",
        if span > 0.0 { fastest * 100.0 / span } else { 100.0 }
    );
    println!("Wall {:.0} s.", started.elapsed().as_secs_f64());
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let only = |section: &str| std::env::args().any(|a| a == format!("--{section}"));
    let all = !std::env::args().any(|a| a.starts_with("--"));
    if all || only("lambda") {
        lambda_figures().await?;
    }
    if all || only("push") {
        push_steady_state().await?;
    }
    if all || only("puller") {
        puller_cost().await?;
    }
    if all || only("limits") {
        backfill().await?;
        focus_burst().await?;
    }
    Ok(())
}

async fn puller_cost() -> anyhow::Result<()> {
    let small = puller_run(1_000).await?;
    let large = puller_run(100_000).await?;
    println!();
    println!("## Puller: one run with 100 documents paid, against the history of mapped documents");
    println!();
    println!("| mapped documents | Octopus calls | Focus calls | wall time |");
    println!("|---|---|---|---|");
    for (history, (octopus, focus, wall)) in [(1_000, small), (100_000, large)] {
        println!("| {history} | {octopus} | {focus} | {wall:.0} ms |");
    }
    println!();
    println!(
        "Call counts identical at 1,000 and 100,000: **{}**. Wall-time ratio 100,000 / 1,000: {:.2} (on moto, whose \
         index queries read the whole table; on DynamoDB a query reads only its partition).",
        small.0 == large.0 && small.1 == large.1,
        large.2 / small.2,
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

/// Cold start, package size and peak memory of the release binaries, next to the hello-world baseline.
async fn lambda_figures() -> anyhow::Result<()> {
    use lambda::{BASELINE, Built, FUNCTIONS, RuntimeApi, median};
    const STARTS: usize = 25;
    let built = Built::locate()?;
    let runtime = RuntimeApi::start().await?;
    let offline = function_env(
        "focus-octopus-Table",
        "http://127.0.0.1:9/123456789012/documents.fifo",
        "focus-octopus",
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
    );
    let baseline = runtime.cold_starts(&built.binary(BASELINE)?, &offline, STARTS).await?;
    let baseline_median = median(&baseline);
    let baseline_zip = std::fs::metadata(built.zip(BASELINE)?)?.len();
    println!("## Lambda: cold start and package size (release, x86_64, `cargo lambda build --release`)");
    println!();
    println!(
        "Cold start = process start to its first request for an event at a local runtime API (median of {STARTS} \
         starts each, same machine, same run). Target: ≤ 1.5 × the hello-world; package ≤ 6 MB."
    );
    println!();
    println!("| function | cold start median (min–max) | × hello-world | package | × hello-world |");
    println!("|---|---|---|---|---|");
    let mb = |bytes: u64| bytes as f64 / 1_000_000.0;
    println!(
        "| {BASELINE} (baseline) | {baseline_median:.1} ms ({:.1}–{:.1}) | 1.00 | {:.2} MB | 1.00 |",
        baseline[0],
        baseline[baseline.len() - 1],
        mb(baseline_zip)
    );
    for name in FUNCTIONS {
        let times = runtime.cold_starts(&built.binary(name)?, &offline, STARTS).await?;
        let zip = std::fs::metadata(built.zip(name)?)?.len();
        println!(
            "| {name} | {:.1} ms ({:.1}–{:.1}) | **{:.2}** | {:.2} MB | {:.1} |",
            median(&times),
            times[0],
            times[times.len() - 1],
            median(&times) / baseline_median,
            mb(zip),
            zip as f64 / baseline_zip as f64
        );
    }

    // Peak memory: the poster on a 10-record batch of new customers, the puller over 10,000 mapped documents.
    let (baseline_answer, baseline_peak) = runtime
        .invoke_once(
            &built.binary(BASELINE)?,
            &offline,
            serde_json::json!({ "hello": "bench" }),
        )
        .await?;
    anyhow::ensure!(baseline_answer["hello"] == "world", "{baseline_answer}");
    let (poster_peak, poster_detail) = poster_peak(&runtime, &built).await?;
    let (puller_peak, puller_detail) = puller_peak(&runtime, &built).await?;
    println!();
    println!("## Lambda: peak memory (VmHWM of the release binary after one invocation; target ≤ 64 MB)");
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
    Ok(())
}

/// The release poster, run once on a batch of 10 invoices for 10 customers it has to export first.
async fn poster_peak(runtime: &lambda::RuntimeApi, built: &lambda::Built) -> anyhow::Result<(u64, String)> {
    let world = PushWorld::start().await;
    for i in 0..10 {
        let company = world.focus.add_company(
            &format!("Nieuwe Klant {i} BV"),
            Some(&format!("BE04774727{i:02}")),
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
    let (answer, peak) = runtime
        .invoke_once(
            &built.binary("document-poster")?,
            &env,
            focus_octopus_tests::push_world::sqs_event(&batch.messages),
        )
        .await?;
    let booked = world.octopus.bookings(focus_octopus_tests::octopus_sim::DOSSIER).len();
    anyhow::ensure!(
        booked == 10 && answer["batchItemFailures"].as_array().is_some_and(Vec::is_empty),
        "the poster booked {booked}: {answer}"
    );
    Ok((
        peak,
        "10 records: 10 customers exported, 10 invoices of 4 lines booked".into(),
    ))
}

/// The release puller, run once over a connection with 10,000 mapped documents, 100 of them paid since the last run.
async fn puller_peak(runtime: &lambda::RuntimeApi, built: &lambda::Built) -> anyhow::Result<(u64, String)> {
    const MAPPED: usize = 10_000;
    let world = paid_world(MAPPED).await?;
    world.clock.advance(Duration::minutes(30));
    let env = world_env(&world)?;
    let scheduled = serde_json::json!({
        "version": "0", "id": "bench", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-03-30T10:00:00Z", "region": "eu-west-1", "resources": [],
        "detail": {}
    });
    let (answer, peak) = runtime
        .invoke_once(&built.binary("payment-puller")?, &env, scheduled)
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

async fn push_steady_state() -> anyhow::Result<()> {
    let (world, dynamodb) = PushWorld::start_counting(push_config()).await;
    let customers: Vec<String> = (0..5)
        .map(|i| {
            world
                .focus
                .add_company(&format!("Klant {i} BV"), Some(&format!("BE04774727{i:02}")), "BE")
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
    for _ in 0..MEASURED / PER_ROUND {
        book(PER_ROUND).await;
        kept += world.pump(100).await.kept;
    }
    let elapsed = started.elapsed();
    let focus_after = counts(world.focus.received().iter().map(|r| r.action.as_str()));
    let octopus_after = counts(world.octopus.received().iter().map(|r| r.operation.operation_id()));
    let dynamodb_after = dynamodb.snapshot();
    let posted = world.octopus.bookings(focus_octopus_tests::octopus_sim::DOSSIER).len() - WARM_UP;

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
    println!("## Push, steady state ({posted} documents posted, {kept} records redelivered)");
    println!();
    println!("| per posted document | measured | target |");
    println!("|---|---|---|");
    for (name, items, target) in &sections {
        let total: f64 = items.iter().map(|(_, v)| v).sum();
        let detail: Vec<String> = items.iter().map(|(k, v)| format!("{k} {v:.3}")).collect();
        println!("| {name} | **{total:.3}** ({}) | ≤ {target} |", detail.join(", "));
    }
    println!();
    println!(
        "Wall time: {:.1} ms per document (debug build, moto and simulators on loopback; not a Lambda figure).",
        elapsed.as_secs_f64() * 1000.0 / posted as f64
    );
    Ok(())
}
