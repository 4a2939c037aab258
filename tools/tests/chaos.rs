//! The contract of docs/DESIGN.md §7 under everything at once (see `focus_octopus_tools::chaos`): the fast variant, on
//! three seeds, one after the other (they share one moto, which answers one request at a time). Every fault kind
//! must have taken effect on at least one of them, or the run proves nothing about it. `make chaos` runs a week of
//! 500 documents (`cargo run --bin chaos`).

use std::collections::BTreeMap;

use focus_octopus_tools::chaos::{Captured, ChaosOutcome, ChaosPlan, FAULT_KINDS, capturing_subscriber, run};

const SEEDS: [u64; 3] = [1, 20261128, 424242];

/// One seed on its own runtime, with its own captured log lines.
fn run_seed(seed: u64) -> ChaosOutcome {
    let captured = Captured::default();
    let _logs = tracing::subscriber::set_default(capturing_subscriber(captured.clone()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(ChaosPlan::fast(seed), captured))
}

#[test]
fn the_contract_holds_under_chaos_and_every_fault_kind_took_effect() {
    let outcomes: Vec<ChaosOutcome> = SEEDS.iter().map(|seed| run_seed(*seed)).collect();
    let mut fired: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for outcome in &outcomes {
        println!("{outcome}");
        assert!(outcome.invoices + outcome.credit_notes >= 200, "{outcome}");
        assert!(outcome.payments > 0, "no payment was made: {outcome}");
        assert!(outcome.log_lines > 0, "no log line was captured: {outcome}");
        assert!(outcome.held(), "{outcome}");
        assert_eq!(outcome.faults.len(), FAULT_KINDS.len(), "{outcome}");
        for (kind, tally) in &outcome.faults {
            let entry = fired.entry(kind).or_default();
            entry.0 += tally.drawn;
            entry.1 += tally.armed;
            entry.2 += tally.fired;
        }
    }
    println!("across the seeds {SEEDS:?}, drawn (faults armed) → fired:");
    for (kind, (drawn, armed, took_effect)) in &fired {
        println!("  {kind:<52} {drawn:>4} ({armed:>3}) → {took_effect:>4}");
    }
    let never: Vec<&&str> = fired.iter().filter(|(_, (_, _, f))| *f == 0).map(|(k, _)| k).collect();
    assert!(
        never.is_empty(),
        "these fault kinds never took effect on any seed, so nothing shows the contract survives them: {never:?}"
    );
}
