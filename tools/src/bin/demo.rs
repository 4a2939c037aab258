//! `make demo`: the whole sync on one machine (see `focus_octopus_tools::demo`). Exit 0 when every check against
//! the seeded data held, 1 when one did not, 2 when the demo could not run.

use std::process::ExitCode;

use focus_octopus_tools::demo::{Plan, run};

#[tokio::main]
async fn main() -> ExitCode {
    let plan = Plan::default();
    // With KEEP=1 the demo waits for Ctrl-C itself once it is done, and then stops everything it started.
    let keep = std::env::var("KEEP").is_ok_and(|v| !v.is_empty() && v != "0");
    let outcome = if keep {
        run(plan).await
    } else {
        tokio::select! {
            outcome = run(plan) => outcome,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
        }
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("\nThe demo could not finish: {e:#}");
            ExitCode::from(2)
        }
    }
}
