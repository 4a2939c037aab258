//! The simulated Octopus as a process, for the demo: `octopus-sim [port]` serves the standard seed on
//! `127.0.0.1:<port>` (default 0 = a free port), prints `OCTOPUS_URL=<url>` and runs until interrupted.

use std::sync::Arc;

use focus_octopus::clock::SystemClock;
use focus_octopus_sims::octopus_sim::OctopusSim;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let port = match std::env::args().nth(1) {
        Some(p) => p.parse().map_err(|_| anyhow::anyhow!("usage: octopus-sim [port]"))?,
        None => 0,
    };
    let sim = OctopusSim::start_on(Arc::new(SystemClock), port).await;
    sim.seed_standard();
    println!("OCTOPUS_URL={}", sim.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
