//! The simulated Teamleader Focus as a process, for the demo: `focus-sim [port]` serves the standard seed on
//! `127.0.0.1:<port>` (default 0 = a free port), prints `FOCUS_URL=<url>` and runs until interrupted.

use std::sync::Arc;

use focus_octopus::clock::SystemClock;
use focus_octopus_sims::focus_sim::FocusSim;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let port = match std::env::args().nth(1) {
        Some(p) => p.parse().map_err(|_| anyhow::anyhow!("usage: focus-sim [port]"))?,
        None => 0,
    };
    let sim = FocusSim::start_empty(Arc::new(SystemClock), port).await;
    sim.seed_standard();
    println!("FOCUS_URL={}", sim.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
