//! `make bench`: measured numbers, printed side by side; never asserted in tests.
//!
//! Push, steady state: customers known, caches warm; per posted document, the Focus calls, Octopus calls and
//! DynamoDB operations the real receiver and poster spend, counted at the simulators and by an SDK interceptor.
//! Simulated time moves 15 seconds per document, so token renewals are amortised as in a busy day.

use std::collections::BTreeMap;
use std::time::Instant;

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

/// The puller's cost for one run in which 100 documents were paid, on top of `history` mapped documents.
async fn puller_run(history: usize) -> anyhow::Result<(usize, usize, f64)> {
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
    // A first run settles the cursors; the measured run sees only the day's changes.
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    push_steady_state().await?;
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
        "Wall-time ratio 100,000 / 1,000: **{:.2}** (target ≤ 1.2); call counts identical: **{}**.",
        large.2 / small.2,
        small.0 == large.0 && small.1 == large.1
    );
    Ok(())
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
