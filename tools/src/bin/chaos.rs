//! `make chaos`: the long chaos run (a simulated week, 500 documents, 200 payments) on one or more seeds.
//! Usage: `chaos [--fast] [--documents N] [seed…]` (default seeds: 1 20261128 424242). Exit 1 if a promise broke.

use focus_octopus_tools::chaos::{Captured, ChaosPlan, capturing_subscriber, run};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut fast = false;
    let mut documents = None;
    let mut seeds = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fast" => fast = true,
            "--documents" => documents = args.next().and_then(|n| n.parse::<usize>().ok()),
            seed => seeds.push(seed.parse::<u64>().expect("a seed is a number")),
        }
    }
    if seeds.is_empty() {
        seeds = vec![1, 20261128, 424242];
    }
    let mut broken = false;
    for seed in seeds {
        let mut plan = if fast {
            ChaosPlan::fast(seed)
        } else {
            ChaosPlan::week(seed)
        };
        if let Some(n) = documents {
            plan.payments = plan.payments * n / plan.documents;
            plan.documents = n;
        }
        let captured = Captured::default();
        let _logs = tracing::subscriber::set_default(capturing_subscriber(captured.clone()));
        let outcome = run(plan, captured).await;
        println!("{outcome}");
        broken |= !outcome.held();
    }
    std::process::exit(i32::from(broken));
}
