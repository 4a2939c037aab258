//! The contract of DESIGN.md §7 under everything at once (see `focus_octopus_tests::chaos`): the fast variant, on
//! three seeds. `make chaos` runs a week of 500 documents (`cargo run --bin chaos`).

use focus_octopus_tests::chaos::{Captured, ChaosPlan, capturing_subscriber, run};

async fn holds_on_seed(seed: u64) {
    let captured = Captured::default();
    let _logs = tracing::subscriber::set_default(capturing_subscriber(captured.clone()));
    let outcome = run(ChaosPlan::fast(seed), captured).await;
    println!("{outcome}");
    assert!(outcome.invoices + outcome.credit_notes >= 200, "{outcome}");
    assert!(outcome.faults.len() >= 15, "every fault kind was drawn: {outcome}");
    assert!(outcome.held(), "{outcome}");
}

#[tokio::test]
async fn the_contract_holds_under_chaos_seed_1() {
    holds_on_seed(1).await;
}

#[tokio::test]
async fn the_contract_holds_under_chaos_seed_20261128() {
    holds_on_seed(20261128).await;
}

#[tokio::test]
async fn the_contract_holds_under_chaos_seed_424242() {
    holds_on_seed(424242).await;
}
