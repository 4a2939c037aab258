//! The demo's walk through the product, one named step after another, as an operator and a bookkeeper would take
//! it. Steps only act and note what they saw in [`Seen`]; what was expected of it is checked in one place,
//! [`super::checks`].

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use focus_octopus_tests::aws_local;
use focus_octopus_tests::bank::{Communication, Statement};
use focus_octopus_tests::focus_sim::{self, FocusSim, line, rates};
use focus_octopus_tests::octopus_sim::{self, DOSSIER, OctopusSim, SimBookingKey};

use super::functions::RunnerStats;
use super::{CONNECTION, Demo, NEW_RATE, Plan};

/// A booked document, as the demo remembers it for the checks.
pub(super) struct Booked {
    pub id: String,
    pub number: String,
    pub credit_note: bool,
}

/// What the steps saw, for the checks and the summary.
#[derive(Default)]
pub(super) struct Seen {
    pub oauth_callback: u16,
    pub suggested: usize,
    pub linked: u64,
    pub imported: u64,
    pub doctor_exit: i32,
    pub customers: Vec<(&'static str, String)>,
    pub booked: Vec<Booked>,
    pub webhooks_refused: usize,
    /// The invoice booked with the rate added after onboarding, and the code it failed with.
    pub new_rate_number: String,
    pub failed_code: String,
    pub edited: String,
    /// The first document `status` flagged for review after the edit.
    pub flagged: String,
    /// Invoices Octopus's import reconciled by their reference, with the amount paid.
    pub reconciled: BTreeMap<String, Decimal>,
    /// Lines of the bank statement, payments of customers among them, lines left on the suspense account.
    pub bank_lines: usize,
    pub customer_payments: usize,
    pub on_suspense: usize,
    pub status: Value,
}

/// Every step, in order.
pub(super) async fn walk_through(demo: &mut Demo, plan: Plan, stats: &RunnerStats) -> Result<Seen> {
    let mut seen = Seen::default();
    admin_answers(demo).await?;
    fill_secrets(demo).await?;
    authorise_focus_and_connect(demo, &mut seen).await?;
    map_vat_codes_and_ledger(demo, &mut seen).await?;
    customers_webhooks_and_doctor(demo, &mut seen).await?;
    book_documents(demo, plan, stats, &mut seen).await?;
    a_rate_added_after_onboarding(demo, stats, &mut seen).await?;
    an_invoice_edited_after_posting(demo, stats, &mut seen).await?;
    reconcile_and_pull_payments(demo, plan, stats, &mut seen).await?;
    final_status(demo, &mut seen).await?;
    Ok(seen)
}

async fn admin_answers(demo: &mut Demo) -> Result<()> {
    demo.narrator
        .step("The admin function answers through the Lambda invoke API");
    let pong = demo.functions.until_answering(Duration::from_secs(300)).await?;
    demo.narrator
        .detail(&format!("admin ping: version {}", pong["version"]));
    Ok(())
}

async fn fill_secrets(demo: &mut Demo) -> Result<()> {
    demo.narrator
        .step("Onboarding 1/4: fill the secrets the stack created (placeholders)");
    let prefix = demo.aws.table_name.clone();
    let octopus_login = json!({ "user": octopus_sim::USER, "password": octopus_sim::PASSWORD,
                                "software_house_uuid": octopus_sim::SOFTWARE_HOUSE_UUID })
    .to_string();
    let focus_app = json!({ "client_id": focus_sim::CLIENT_ID, "client_secret": focus_sim::CLIENT_SECRET }).to_string();
    for (kind, value) in [("octopus", &octopus_login), ("focus-oauth", &focus_app)] {
        let id = format!("{prefix}/{CONNECTION}/{kind}");
        demo.aws_cli(
            &[
                "secretsmanager",
                "put-secret-value",
                "--secret-id",
                &id,
                "--secret-string",
                value,
            ],
            &format!("secretsmanager put-secret-value --secret-id {id} --secret-string '{{…}}'"),
        )
        .await?;
    }

    Ok(())
}

async fn authorise_focus_and_connect(demo: &mut Demo, seen: &mut Seen) -> Result<()> {
    demo.narrator
        .step("Onboarding 2/4: authorise Focus and choose the Octopus dossier and journals");
    let receiver = demo.functions.receiver_url();
    let redirect = format!("{receiver}/oauth/callback");
    let link = demo.cli(&["connect-focus", "--redirect-uri", &redirect]).await?;
    let link = reqwest::Url::parse(link["url"].as_str().unwrap_or_default()).context("an authorisation link")?;
    let state = link
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| anyhow!("the link has no state"))?;
    // The bookkeeper opens the link and approves; Focus redirects the browser to the receiver with a code.
    let code = demo.focus.authorization_code(&redirect);
    let callback = reqwest::Client::new()
        .get(&redirect)
        .query(&[("code", code.as_str()), ("state", state.as_str())])
        .send()
        .await?;
    let approved = callback.status().as_u16();
    demo.narrator.detail(&format!(
        "the bookkeeper approves in Focus; the receiver's callback answers {approved}"
    ));
    seen.oauth_callback = approved;

    let departments = demo.cli(&["departments"]).await?;
    let department = departments[0]["id"].as_str().unwrap_or_default().to_owned();
    demo.narrator.detail(&format!(
        "Focus departments: {}",
        listed(&departments, |d| format!("{} ({})", text(&d["name"]), text(&d["id"])))
    ));
    let dossiers = demo.cli(&["dossiers"]).await?;
    demo.narrator.detail(&format!(
        "dossiers: {}",
        listed(&dossiers, |d| format!("{} {}", d["id"], text(&d["name"])))
    ));
    let dossier = DOSSIER.to_string();
    let journals = demo
        .cli(&["sales-journals", "--dossier", &dossier, "--date", "2026-11-01"])
        .await?;
    demo.narrator.detail(&format!(
        "sales journals: {}",
        listed(&journals, |j| format!("{} {}", text(&j["key"]), text(&j["name"])))
    ));
    demo.cli_shown(&[
        "connect",
        "--department",
        &department,
        "--dossier",
        &dossier,
        "--invoice-journal",
        "V1",
        "--credit-note-journal",
        "V2",
        "--start-date",
        "2026-11-01",
    ])
    .await?;

    Ok(())
}

/// The items of a CLI answer's list, each as `show` draws it, on one line.
fn listed(items: &Value, show: impl Fn(&Value) -> String) -> String {
    items
        .as_array()
        .into_iter()
        .flatten()
        .map(show)
        .collect::<Vec<_>>()
        .join(", ")
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

async fn map_vat_codes_and_ledger(demo: &mut Demo, seen: &mut Seen) -> Result<()> {
    demo.narrator
        .step("Onboarding 3/4: map tax rates to VAT codes (0 % variants by hand) and the default ledger");
    let suggestions = demo.cli(&["map-suggestions"]).await?;
    let mut suggested = 0;
    for s in suggestions.as_array().into_iter().flatten() {
        if let (Some(id), Some(code)) = (s["tax_rate_id"].as_str(), s["suggested"].as_str()) {
            suggested += 1;
            demo.cli(&["map", "--tax-rate", id, "--vat-code", code]).await?;
        }
    }
    seen.suggested = suggested;
    for (rate, code) in [
        (rates::VAT_0_EXEMPT, "00"),
        (rates::VAT_0_COCONTRACTOR, "45"),
        (rates::VAT_0_INTRA_EU, "46"),
        (rates::VAT_0_EXPORT, "47"),
    ] {
        demo.cli(&["map", "--tax-rate", rate, "--vat-code", code]).await?;
    }
    demo.cli_shown(&["map", "--default-ledger", "700000"]).await?;

    Ok(())
}

async fn customers_webhooks_and_doctor(demo: &mut Demo, seen: &mut Seen) -> Result<()> {
    demo.narrator
        .step("Onboarding 4/4: customers, webhooks, and the doctor");
    let receiver = demo.functions.receiver_url();
    let customers = seed_customers(&demo.focus, &demo.octopus);
    demo.narrator.detail(&format!(
        "Focus has {} customers; the dossier already has 8 of them and 3 Focus lacks",
        customers.len()
    ));
    demo.cli_shown(&["match-customers"]).await?;
    let matched = demo.cli(&["match-customers", "--apply"]).await?;
    seen.linked = matched["linked"].as_u64().unwrap_or(0);
    demo.cli_shown(&["import-relations", "--dry-run"]).await?;
    let imported = demo.cli(&["import-relations"]).await?;
    seen.imported = imported["created"].as_u64().unwrap_or(0);
    demo.cli(&["register-webhooks", "--receiver-url", &receiver]).await?;
    let (code, doctor) = demo.cli_status(&["doctor", "--receiver-url", &receiver]).await?;
    let failed_checks: Vec<String> = doctor["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["ok"] == false)
        .map(|c| c.to_string())
        .collect();
    demo.narrator.detail(&format!(
        "doctor: {} checks, {} failed {failed_checks:?}",
        doctor["checks"].as_array().map_or(0, Vec::len),
        failed_checks.len()
    ));
    seen.doctor_exit = code;

    seen.customers = customers;
    Ok(())
}

async fn book_documents(demo: &mut Demo, plan: Plan, stats: &RunnerStats, seen: &mut Seen) -> Result<()> {
    demo.narrator.step(&format!(
        "Booking {} invoices and {} credit notes in Focus: each webhook reaches the receiver, the queue and the poster",
        plan.invoices, plan.credit_notes
    ));
    let mut rng = fastrand::Rng::with_seed(plan.seed);
    let first_day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("a date");
    for i in 0..plan.invoices {
        let customer = &seen.customers[rng.usize(..seen.customers.len())];
        let date = first_day + chrono::Days::new((i * 25 / plan.invoices.max(1)) as u64);
        let mut lines = crate::chaos::random_lines(&mut rng);
        let discount = (rng.u8(..8) == 0).then(|| Decimal::new(rng.i64(1..150), 1));
        if discount.is_none() && rng.bool() {
            lines[0].category = Some(focus_sim::categories::CATERING.into());
        }
        let id = demo.focus.draft_invoice((customer.0, &customer.1), lines, discount);
        let number = demo.focus.book_invoice(&id, date).await;
        seen.booked.push(Booked {
            id,
            number,
            credit_note: false,
        });
    }
    for i in 0..plan.credit_notes {
        let customer = &seen.customers[rng.usize(..seen.customers.len())];
        let date = first_day + chrono::Days::new(5 + i as u64);
        let lines = vec![line(Decimal::ONE, Decimal::new(rng.i64(500..20_000), 2), rates::VAT_21)];
        let (id, number) = demo
            .focus
            .credit_note((customer.0, &customer.1), lines, date, None)
            .await;
        seen.booked.push(Booked {
            id,
            number,
            credit_note: true,
        });
    }
    let rejected = demo.focus.deliveries().sent.iter().filter(|d| d.2 != 200).count();
    seen.webhooks_refused = rejected;
    demo.drained(stats, Duration::from_secs(900)).await?;
    demo.narrator.detail(&format!(
        "poster: {} batches, {} records, {} kept for a retry",
        stats.batches.load(Ordering::SeqCst),
        stats.records.load(Ordering::SeqCst),
        stats.kept.load(Ordering::SeqCst)
    ));

    Ok(())
}

async fn a_rate_added_after_onboarding(demo: &mut Demo, stats: &RunnerStats, seen: &mut Seen) -> Result<()> {
    demo.narrator
        .step("The bookkeeper adds a new 0 % rate in Focus after onboarding and books an invoice with it");
    demo.focus.add_tax_rate(NEW_RATE, "0% verlegd (nieuw)", Decimal::ZERO);
    let customer = &seen.customers[0];
    let (id, number) = demo
        .focus
        .invoice(
            (customer.0, &customer.1),
            vec![line(Decimal::TWO, Decimal::new(12_500, 2), NEW_RATE)],
            NaiveDate::from_ymd_opt(2026, 11, 27).expect("a date"),
        )
        .await;
    seen.booked.push(Booked {
        id,
        number: number.clone(),
        credit_note: false,
    });
    demo.drained(stats, Duration::from_secs(120)).await?;
    let status = demo.status().await?;
    let attention = status["attention"].as_array().cloned().unwrap_or_default();
    for a in &attention {
        demo.narrator.detail(&format!(
            "needs a person: {} ({}) {} [{}] {}",
            a["document"].as_str().unwrap_or_default(),
            a["number"].as_str().unwrap_or("number not read yet").replace(' ', ""),
            a["state"].as_str().unwrap_or_default(),
            a["code"].as_str().unwrap_or_default(),
            a["reason"].as_str().unwrap_or_default()
        ));
    }
    seen.failed_code = attention
        .iter()
        .find(|a| a["state"] == "failed")
        .and_then(|a| a["code"].as_str())
        .unwrap_or("none")
        .to_owned();
    demo.narrator
        .detail("the fix the reason names: map the rate, then resync the failed documents");
    demo.cli(&["map", "--tax-rate", NEW_RATE, "--vat-code", "45"]).await?;
    demo.cli(&["resync", "--failed"]).await?;
    demo.drained(stats, Duration::from_secs(120)).await?;

    seen.new_rate_number = number;
    Ok(())
}

async fn an_invoice_edited_after_posting(demo: &mut Demo, stats: &RunnerStats, seen: &mut Seen) -> Result<()> {
    demo.narrator
        .step("An invoice is edited in Focus after it was posted: the sync flags it for review");
    let edited = seen.booked[1].id.clone();
    demo.focus
        .update_document(&edited, |d| d.lines[0].quantity += Decimal::ONE)
        .await;
    demo.drained(stats, Duration::from_secs(120)).await?;
    let status = demo.status().await?;
    let flagged: Vec<Value> = status["attention"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["state"] == "needs_review")
        .cloned()
        .collect();
    for a in &flagged {
        demo.narrator.detail(&format!(
            "needs review: {} ({}) {}",
            a["document"].as_str().unwrap_or_default(),
            a["number"].as_str().unwrap_or("number not read yet").replace(' ', ""),
            a["reason"].as_str().unwrap_or_default()
        ));
    }
    seen.flagged = flagged
        .first()
        .and_then(|a| a["document"].as_str())
        .unwrap_or("none")
        .to_owned();
    demo.narrator
        .detail("the bookkeeper corrects the booking in Octopus (a credit note) and marks the invoice reviewed");
    demo.cli(&["reviewed", &format!("invoice:{edited}")]).await?;

    seen.edited = edited;
    Ok(())
}

async fn reconcile_and_pull_payments(demo: &mut Demo, plan: Plan, stats: &RunnerStats, seen: &mut Seen) -> Result<()> {
    demo.narrator.step(&format!(
        "{} customers pay with their invoice's structured communication (a quarter pay half), two strangers pay \
         too; the bank's CODA statement reaches Octopus, which reconciles by itself; the schedule fires the puller",
        plan.reconciled
    ));
    let mut statement = Statement::new(
        "BE68539007547034",
        NaiveDate::from_ymd_opt(2026, 11, 28).expect("a date"),
        1,
    );
    let mut paying: Vec<(String, Decimal)> = Vec::new();
    for b in seen
        .booked
        .iter()
        .filter(|b| !b.credit_note && b.id != seen.edited)
        .take(plan.reconciled)
    {
        let Some(communication) = demo.focus.payment_reference(&b.id) else {
            continue;
        };
        let payable = demo.focus.payable(&b.id);
        let paid = if paying.len() % 4 == 3 {
            (payable / Decimal::TWO).round_dp(2)
        } else {
            payable
        };
        statement = statement.credit(paid, Communication::Structured(communication), None, "KLANT");
        paying.push((b.id.clone(), paid));
    }
    statement = statement
        .credit(
            Decimal::new(100_001, 2),
            Communication::Free("voorschot".into()),
            None,
            "ONBEKEND",
        )
        .credit(Decimal::new(777, 2), Communication::Free("".into()), None, "ONBEKEND");
    let assigned = demo
        .octopus
        .import_coda(DOSSIER, &statement.to_coda())
        .map_err(|e| anyhow!("the simulated Octopus refused the CODA file: {e}"))?;
    let sales = demo.octopus.bookings(DOSSIER);
    let number_of = |key: &SimBookingKey| {
        sales
            .iter()
            .find(|(k, ..)| k == key)
            .and_then(|(_, _, _, data)| data["orderReference"].as_str().map(str::to_owned))
    };
    let mut reconciled: BTreeMap<String, Decimal> = BTreeMap::new();
    for ((id, paid), a) in paying.iter().zip(&assigned) {
        let number = seen.booked.iter().find(|b| &b.id == id).map(|b| b.number.clone());
        if let Some((key, octopus_sim::MatchedBy::Reference)) = &a.matched
            && number_of(key) == number
        {
            reconciled.insert(id.clone(), *paid);
        }
    }
    seen.bank_lines = assigned.len();
    seen.customer_payments = paying.len();
    seen.on_suspense = assigned.iter().filter(|a| a.matched.is_none()).count();
    demo.narrator.detail(&format!(
        "Octopus's import: {} of {} customer payments reconciled by their reference, {} lines on the suspense account",
        reconciled.len(),
        paying.len(),
        seen.on_suspense
    ));
    let scheduled = json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "Scheduled Event",
        "source": "aws.events", "account": aws_local::ACCOUNT_ID, "time": chrono::Utc::now().to_rfc3339(),
        "region": aws_local::REGION, "resources": ["arn:aws:events:eu-west-1:123456789012:rule/payment-puller"],
        "detail": {}
    });
    let pulled = demo.functions.invoke("payment-puller", &scheduled).await?;
    let report: focus_octopus::store::RunReport = serde_json::from_value(pulled["runs"][0]["report"].clone())
        .with_context(|| format!("the puller's answer holds no run report: {pulled}"))?;
    demo.narrator
        .detail(&format!("the puller's report:\n{}", report.lines().join("\n")));
    // registerPayment makes Focus send invoice.paymentRegistered webhooks: the poster sees and skips them.
    demo.focus.flush_webhooks().await;
    demo.drained(stats, Duration::from_secs(120)).await?;

    seen.reconciled = reconciled;
    Ok(())
}

async fn final_status(demo: &mut Demo, seen: &mut Seen) -> Result<()> {
    demo.narrator.step("Status, through the CLI");
    demo.cli_shown(&["status"]).await?;
    seen.status = demo.status().await?;

    Ok(())
}

fn seed_customers(focus: &FocusSim, octopus: &OctopusSim) -> Vec<(&'static str, String)> {
    let mut customers = crate::chaos::customers(focus);
    for i in 0..10 {
        let name = format!("Bestaande Klant {i} NV");
        let vat = focus_octopus_tests::fixtures::belgian_vat(800 + i);
        customers.push(("company", focus.add_company(&name, Some(&vat), "BE")));
        if i < 8 {
            octopus.add_relation(
                DOSSIER,
                json!({ "name": name, "vatNr": vat.replace(['.', ' '], ""), "country": "BE", "city": "Gent",
                        "streetAndNr": "Kerkstraat 1", "postalCode": "9000" }),
            );
        }
    }
    // Three customers only the dossier knows: `import-relations` brings them into Focus.
    for i in 0..3 {
        octopus.add_relation(
            DOSSIER,
            json!({ "name": format!("Octopus Klant {i} BV"), "vatNr": focus_octopus_tests::fixtures::belgian_vat(900 + i).replace('.', ""),
                    "country": "BE", "city": "Brugge", "streetAndNr": "Markt 1", "postalCode": "8000" }),
        );
    }
    customers
}
