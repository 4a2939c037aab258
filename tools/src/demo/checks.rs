//! What the demo expects, in one place: every check against the seeded data, from what the steps saw
//! ([`Seen`]) and what the simulators and the stack hold at the end, and the closing summary.

use std::sync::atomic::Ordering;

use anyhow::{Result, anyhow, bail};
use focus_octopus::domain::DocumentFormat;
use focus_octopus::domain::attachment::file_name;
use focus_octopus::octopus::Operation;
use rust_decimal::Decimal;

use focus_octopus_tests::focus_sim;
use focus_octopus_tests::octopus_sim::DOSSIER;

use super::functions::RunnerStats;
use super::steps::Seen;
use super::{Demo, Plan};

/// The summary's checks: what was expected, what was seen.
#[derive(Default)]
pub struct Checks(pub(super) Vec<(String, bool, String)>);

impl Checks {
    pub(super) fn check(&mut self, name: &str, held: bool, detail: String) {
        self.0.push((name.to_owned(), held, detail));
    }

    pub(super) fn equal<T: PartialEq + std::fmt::Display>(&mut self, name: &str, expected: T, seen: T) {
        let held = expected == seen;
        self.check(name, held, format!("expected {expected}, saw {seen}"));
    }

    pub fn all_held(&self) -> bool {
        self.0.iter().all(|c| c.1)
    }
}

/// Every check of the demo.
pub(super) async fn against_seeded_data(demo: &Demo, plan: Plan, seen: &Seen, webhook_secret: &str) -> Result<Checks> {
    let mut checks = Checks::default();
    checks.equal(
        "OAuth callback through the receiver's Function URL",
        200,
        seen.oauth_callback,
    );
    checks.equal(
        "VAT codes suggested (21, 12, 6 %; never the 0 % variants)",
        3,
        seen.suggested,
    );
    checks.equal(
        "Focus customers paired with the dossier's existing relations",
        8,
        seen.linked,
    );
    checks.equal("Octopus-only customers imported into Focus", 3, seen.imported);
    checks.equal("doctor finds nothing to fix (exit code)", 0, seen.doctor_exit);
    checks.equal("webhooks refused by the receiver", 0, seen.webhooks_refused);
    checks.equal(
        "the invoice with the unmapped rate failed with its reason",
        "VAT_RATE_UNMAPPED",
        seen.failed_code.as_str(),
    );
    checks.equal(
        "the edited invoice was flagged for review (named as the commands take it)",
        format!("invoice:{}", seen.edited),
        seen.flagged.clone(),
    );
    let documents = &seen.status["documents"];
    let count = |state: &str| documents[state].as_u64().unwrap_or(0) as usize;
    let expected_documents = plan.invoices + plan.credit_notes + 1;
    checks.equal("documents posted", expected_documents, count("posted"));
    checks.equal(
        "documents needing review (the edited one was reviewed)",
        0,
        count("needs_review"),
    );
    checks.equal("documents failed", 0, count("failed"));
    let sales: Vec<_> = demo
        .octopus
        .bookings(DOSSIER)
        .into_iter()
        .filter(|(k, ..)| k.journal == "V1" || k.journal == "V2")
        .collect();
    checks.equal("Octopus sales bookings", expected_documents, sales.len());
    let mut wrong = Vec::new();
    for b in &seen.booked {
        let mine: Vec<_> = sales
            .iter()
            .filter(|s| {
                s.0.journal == if b.credit_note { "V2" } else { "V1" } && s.3["orderReference"] == b.number.as_str()
            })
            .collect();
        let payable = demo.focus.payable(&b.id);
        let expected = if b.credit_note { -payable } else { payable };
        match mine.as_slice() {
            [one] if one.1 == expected || b.id == seen.edited => {}
            _ => wrong.push(b.number.clone()),
        }
    }
    checks.check(
        "one booking per document, Focus's total to the cent",
        wrong.is_empty(),
        format!(
            "{} documents, {} wrong {:?}",
            seen.booked.len(),
            wrong.len(),
            &wrong[..wrong.len().min(5)]
        ),
    );
    let with_pdf = sales
        .iter()
        .filter(|(key, _, _, data)| {
            let expected = file_name(data["orderReference"].as_str().unwrap_or_default(), DocumentFormat::Pdf);
            matches!(demo.octopus.attachments(DOSSIER, key).as_slice(), [(name, bytes)]
                if *name == expected && bytes.starts_with(b"%PDF-"))
        })
        .count();
    checks.equal(
        "bookings that carry their document's PDF, named after its number",
        sales.len(),
        with_pdf,
    );
    let mut registered = 0;
    let mut unequal = Vec::new();
    for (id, paid) in &seen.reconciled {
        let payments = demo.focus.payments(id);
        registered += payments.len();
        let sum: Decimal = payments.iter().map(|p| p.1).sum();
        if sum != *paid {
            unequal.push(format!("{id}: {sum} ≠ {paid}"));
        }
    }
    checks.equal(
        "customer payments Octopus's bank import reconciled by reference, to the right invoice",
        seen.customer_payments,
        seen.reconciled.len(),
    );
    checks.equal(
        "statement lines that match no invoice, left on the suspense account",
        seen.bank_lines - seen.customer_payments,
        seen.on_suspense,
    );
    checks.equal("payments registered in Focus", seen.reconciled.len(), registered);
    checks.check(
        "registered amounts equal the reconciled amounts",
        unequal.is_empty(),
        format!("{} differ {unequal:?}", unequal.len()),
    );
    let over = demo.octopus.over_limit();
    checks.check("no Octopus daily limit exceeded", over.is_empty(), format!("{over:?}"));
    let (busiest, throttled) = demo.focus.rate_limit_record();
    checks.check(
        "Focus never answered 429",
        throttled == 0,
        format!(
            "busiest minute {busiest}/{} requests, {throttled} refused",
            focus_sim::RATE_LIMIT
        ),
    );
    let dlq = demo.aws.dead_letter_queue_url.clone();
    let depth = demo
        .aws_cli(
            &[
                "sqs",
                "get-queue-attributes",
                "--queue-url",
                &dlq,
                "--attribute-names",
                "ApproximateNumberOfMessages",
            ],
            &format!("sqs get-queue-attributes --queue-url {dlq} --attribute-names ApproximateNumberOfMessages"),
        )
        .await?;
    let depth = depth["Attributes"]["ApproximateNumberOfMessages"]
        .as_str()
        .and_then(|n| n.parse::<usize>().ok())
        .ok_or_else(|| anyhow!("the aws CLI did not give the dead-letter queue's depth: {depth}"))?;
    checks.equal("messages in the dead-letter queue", 0, depth);
    let (lines, leaked) = leaked_secrets(demo, webhook_secret)?;
    checks.check(
        "no secret in the functions' logs",
        leaked.is_empty() && lines > 0,
        format!(
            "{} secrets checked against {lines} log lines, {} found",
            demo.focus.every_secret().len() + demo.octopus.every_secret().len() + 1,
            leaked.len()
        ),
    );

    Ok(checks)
}

/// The closing summary: what was booked, fixed, paid, and what it cost each partner.
pub(super) fn print_summary(demo: &Demo, stats: &RunnerStats, seen: &Seen) {
    let documents = &seen.status["documents"];
    let count = |state: &str| documents[state].as_u64().unwrap_or(0) as usize;
    let registered: usize = seen.reconciled.keys().map(|id| demo.focus.payments(id).len()).sum();
    let (busiest, _) = demo.focus.rate_limit_record();
    println!("\nSummary");
    println!(
        "  documents   {} booked in Focus: posted {} · needs review {} · failed {}",
        seen.booked.len(),
        count("posted"),
        count("needs_review"),
        count("failed")
    );
    println!(
        "              fixed on the way: invoice {} failed with {} until its rate was mapped and resynced;",
        seen.new_rate_number.replace(' ', ""),
        seen.failed_code
    );
    println!(
        "              invoice {} (invoice:{}) was edited after posting, flagged for review, corrected and \
         reviewed",
        seen.booked[1].number.replace(' ', ""),
        seen.edited
    );
    for a in seen.status["attention"].as_array().into_iter().flatten() {
        println!(
            "              {} {}: {}",
            a["document"].as_str().unwrap_or_default(),
            a["state"].as_str().unwrap_or_default(),
            a["reason"].as_str().unwrap_or_default()
        );
    }
    let sales: Vec<_> = demo
        .octopus
        .bookings(DOSSIER)
        .into_iter()
        .filter(|(key, ..)| key.journal == "V1" || key.journal == "V2")
        .collect();
    let with_file = sales
        .iter()
        .filter(|(key, ..)| !demo.octopus.attachments(DOSSIER, key).is_empty())
        .count();
    println!(
        "  files       {with_file} of {} Octopus bookings carry their document's PDF",
        sales.len()
    );
    println!(
        "  reconciled  automatically: {} of {} customer payments (by their structured communication), {} of {} \
         bank lines on suspense",
        seen.reconciled.len(),
        seen.customer_payments,
        seen.on_suspense,
        seen.bank_lines
    );
    println!(
        "  payments    {} registered in Focus for {} reconciled invoices, {} in total",
        registered,
        seen.reconciled.len(),
        seen.reconciled.values().sum::<Decimal>()
    );
    println!(
        "  Focus       {} API calls (busiest minute {busiest} of {}), {} webhooks delivered",
        demo.focus.received().len(),
        focus_sim::RATE_LIMIT,
        demo.focus.deliveries().sent.len()
    );
    let per_operation = demo.octopus.received_per_operation();
    println!(
        "  Octopus     {} API calls: {}",
        per_operation.values().sum::<usize>(),
        per_operation
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "              bookings today {} of the daily {}",
        demo.octopus.calls_today(Operation::InsertBuySellBooking),
        Operation::InsertBuySellBooking.daily_limit().unwrap_or_default()
    );
    println!(
        "  poster      {} batches, {} records, {} kept for a retry; CLI commands run: {}",
        stats.batches.load(Ordering::SeqCst),
        stats.records.load(Ordering::SeqCst),
        stats.kept.load(Ordering::SeqCst),
        demo.cli_runs
    );
    println!("  elapsed     {:.0} s", demo.narrator.start.elapsed().as_secs_f64());
}

/// The functions' log lines checked, and the secrets the simulators issued (and the webhook secret) found in them.
/// A log that cannot be read, or holds nothing, is an error: no line checked proves nothing.
fn leaked_secrets(demo: &Demo, webhook_secret: &str) -> Result<(usize, Vec<String>)> {
    let path = demo.paths.work.join("functions.log");
    let log = std::fs::read_to_string(&path)
        .map_err(|e| anyhow!("the functions' log {} cannot be read: {e}", path.display()))?;
    let lines = log.lines().filter(|l| !l.trim().is_empty()).count();
    if lines == 0 {
        bail!(
            "the functions' log {} is empty: nothing to check for secrets",
            path.display()
        );
    }
    let mut secrets = demo.focus.every_secret();
    secrets.extend(demo.octopus.every_secret());
    secrets.push(webhook_secret.to_owned());
    let leaked = secrets
        .into_iter()
        .filter(|s| !s.is_empty() && log.contains(s.as_str()))
        .map(|s| format!("{}…", s.chars().take(4).collect::<String>()))
        .collect();
    Ok((lines, leaked))
}
