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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
