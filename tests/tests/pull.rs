//! Pull, end to end: Octopus reconciliations → Focus payments, the sweep for missed webhooks, the daily budgets.

use chrono::{Duration, NaiveDate};
use focus_octopus::domain::{DocumentKind, DocumentRef, DocumentState};
use focus_octopus::octopus::Operation;
use focus_octopus::sync::puller::run_puller;
use focus_octopus_tests::focus_sim::{line, rates};
use focus_octopus_tests::octopus_sim::{DOSSIER, SimBookingKey};
use focus_octopus_tests::push_world::PushWorld;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn march(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
}

fn v1(nr: i32) -> SimBookingKey {
    SimBookingKey {
        bookyear: 1,
        journal: "V1".into(),
        document_nr: nr,
    }
}

/// Books `n` invoices of 100.00 + 21 % and posts them; returns their Focus ids in booking order.
async fn posted_invoices(world: &PushWorld, n: usize) -> Vec<String> {
    let company = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(
            world
                .focus
                .invoice(
                    ("company", &company),
                    vec![line(dec!(1), dec!(100), rates::VAT_21)],
                    march(2),
                )
                .await
                .0,
        );
    }
    world.pump(50).await;
    assert_eq!(world.octopus.bookings(DOSSIER).len(), n);
    ids
}

/// A world that books Focus payments in journal F1, with `n` invoices posted.
async fn with_payment_journal(n: usize) -> (PushWorld, Vec<String>) {
    let mut config = focus_octopus_tests::push_world::push_config();
    config.options.payment_journal = Some(focus_octopus::domain::JournalKey::new("F1").unwrap());
    let world = PushWorld::start_with(config).await;
    let ids = posted_invoices(&world, n).await;
    (world, ids)
}

/// The document numbers booked in `journal` of the standard dossier.
fn numbers_in(world: &PushWorld, journal: &str) -> Vec<i32> {
    world
        .octopus
        .bookings(DOSSIER)
        .into_iter()
        .filter(|b| b.0.journal == journal)
        .map(|b| b.0.document_nr)
        .collect()
}

/// When the payments registered in Focus in these tests were made.
fn focus_paid_at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-03-12T10:00:00+01:00")
        .unwrap()
        .to_utc()
}

async fn run(world: &PushWorld) -> focus_octopus::sync::puller::PullRun {
    world.clock.advance(Duration::minutes(30));
    run_puller(&world.deployment, &world.conn).await.expect("a run")
}

async fn record(world: &PushWorld, id: &str) -> focus_octopus::store::DocumentRecord {
    world.record_of(DocumentKind::Invoice, id).await
}

fn amounts(world: &PushWorld, id: &str) -> Vec<Decimal> {
    world.focus.payments(id).into_iter().map(|p| p.1).collect()
}

#[tokio::test]
async fn full_partial_and_over_payments_reach_focus_exactly_once() {
    let world = PushWorld::start().await;
    let ids = posted_invoices(&world, 3).await;
    world.octopus.reconcile(DOSSIER, &v1(1), dec!(121), march(10));
    world.octopus.reconcile(DOSSIER, &v1(2), dec!(40), march(10));
    world.octopus.reconcile(DOSSIER, &v1(3), dec!(171), march(11));
    run(&world).await;
    world.octopus.reconcile(DOSSIER, &v1(2), dec!(81), march(20));
    run(&world).await;

    assert_eq!(amounts(&world, &ids[0]), [dec!(121)]);
    assert_eq!(amounts(&world, &ids[1]), [dec!(40), dec!(81)]);
    assert_eq!(
        amounts(&world, &ids[2]),
        [dec!(171)],
        "an overpayment is registered as Octopus balanced it"
    );
    let paid_at = world.focus.payments(&ids[1])[1].0;
    assert_eq!(
        paid_at.to_rfc3339(),
        "2026-03-20T11:00:00+00:00",
        "the payment's date, at noon in Belgium"
    );

    for _ in 0..3 {
        run(&world).await;
    }
    assert_eq!(
        world.focus.count("invoices.registerPayment"),
        4,
        "three more runs changed nothing"
    );
    assert!(world.octopus.over_limit().is_empty());
}

#[tokio::test]
async fn a_registration_whose_answer_was_lost_is_checked_in_focus_not_sent_again() {
    let world = PushWorld::start().await;
    let ids = posted_invoices(&world, 1).await;
    world.octopus.reconcile(DOSSIER, &v1(1), dec!(121), march(10));
    world.focus.commit_then_drop("invoices.registerPayment", 1);

    let first = run(&world).await;
    assert_eq!(first.report.unwrap().failed[0].code, "FOCUS_OUTCOME_UNKNOWN");
    run(&world).await;
    run(&world).await;

    assert_eq!(amounts(&world, &ids[0]), [dec!(121)]);
    assert_eq!(world.focus.count("invoices.registerPayment"), 1);
    let record = world
        .deployment
        .store
        .documents()
        .get(
            &world.conn,
            &DocumentRef::new(DocumentKind::Invoice, ids[0].clone()).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let payments = record.payments.unwrap();
    assert_eq!((payments.registered, payments.pending), (dec!(121), None));
}

/// Found by the chaos run (seed 1, "two pullers at once"): a second run saw the first run's pending registration
/// while Focus had not stored it yet, took it for lost and paid again.
#[tokio::test]
async fn a_second_puller_does_not_pay_again_while_the_first_waits_for_focus() {
    let world = PushWorld::start().await;
    let ids = posted_invoices(&world, 1).await;
    world.octopus.reconcile(DOSSIER, &v1(1), dec!(121), march(10));
    // Focus is slow to answer this registration: the second run starts while the first waits.
    world
        .focus
        .add_latency("invoices.registerPayment", std::time::Duration::from_secs(3));
    let arrived = world.focus.on_next_request("invoices.registerPayment");
    world.clock.advance(Duration::minutes(30));
    let first = {
        let deployment = world.deployment.clone();
        let conn = world.conn.clone();
        tokio::spawn(async move { run_puller(&deployment, &conn).await })
    };
    arrived.await.unwrap();
    let second = run_puller(&world.another_instance(), &world.conn).await;
    first.await.unwrap().expect("the first run registers the payment");

    let failed = second.expect("a run").report.unwrap().failed;
    assert_eq!(
        failed.first().map(|f| f.code.as_str()),
        Some("PAYMENT_REGISTRATION_IN_FLIGHT"),
        "{failed:?}; Focus payments {:?}",
        amounts(&world, &ids[0])
    );
    run(&world).await;
    assert_eq!(amounts(&world, &ids[0]), [dec!(121)], "paid once");
}

#[tokio::test]
async fn a_reconciliation_undone_after_focus_was_paid_needs_review_and_is_reported() {
    let world = PushWorld::start().await;
    let ids = posted_invoices(&world, 1).await;
    world.octopus.reconcile(DOSSIER, &v1(1), dec!(121), march(10));
    run(&world).await;

    world.octopus.unreconcile(DOSSIER, &v1(1));
    let undone = run(&world).await;

    let report = undone.report.unwrap();
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("Octopus now shows 0 paid") && n.contains("121")),
        "{:?}",
        report.notes
    );
    let record = world
        .deployment
        .store
        .documents()
        .get(
            &world.conn,
            &DocumentRef::new(DocumentKind::Invoice, ids[0].clone()).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.state, DocumentState::NeedsReview);
    assert_eq!(amounts(&world, &ids[0]), [dec!(121)], "Focus keeps its payment");
    let stored = world.deployment.store.runs().recent(&world.conn, 1).await.unwrap();
    assert_eq!(stored[0].notes, report.notes);
}

#[tokio::test]
async fn the_sweep_posts_every_document_whose_webhook_was_lost() {
    let world = PushWorld::start().await;
    world.focus.plan().drop_ratio = 0.1;
    let company = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    for n in 0..200u32 {
        world
            .focus
            .invoice(
                ("company", &company),
                vec![line(dec!(1), Decimal::from(10 + n), rates::VAT_21)],
                march(1 + n % 28),
            )
            .await;
    }
    world.pump(100).await;
    let lost = world.focus.deliveries().dropped.len();
    assert!(lost >= 10, "about 10 % of 200 webhooks were lost: {lost}");
    assert_eq!(world.octopus.bookings(DOSSIER).len(), 200 - lost);

    let run = run(&world).await;
    world.pump(100).await;

    assert_eq!(run.swept.enqueued as usize, lost);
    assert_eq!(world.octopus.bookings(DOSSIER).len(), 200);
    let posted = world.deployment.store.documents().list(&world.conn).await.unwrap();
    assert!(posted.iter().all(|d| d.state == DocumentState::Posted));
}

#[tokio::test]
async fn a_day_of_scheduled_runs_stays_within_every_octopus_daily_limit() {
    let world = PushWorld::start().await;
    let ids = posted_invoices(&world, 5).await;
    // Make the accounts cache exist, as the poster does, so the runs refresh it through the feed.
    for (i, _) in ids.iter().enumerate() {
        world.octopus.reconcile(DOSSIER, &v1(i as i32 + 1), dec!(10), march(5));
    }
    let mut failures = Vec::new();
    for _ in 0..48 {
        let run = run(&world).await;
        failures.extend(run.report.unwrap().failed);
    }

    assert!(failures.is_empty(), "{failures:?}");
    assert!(world.octopus.over_limit().is_empty());
    let per_operation = world.octopus.received_per_operation();
    assert!(per_operation["getModifiedBalancingRelations"] <= 48);
    assert!(per_operation["getVatCodes"] <= 2);
    println!("Octopus calls over a simulated day of runs: {per_operation:?}");
    for id in &ids {
        assert_eq!(amounts(&world, id), [dec!(10)]);
    }
    let _ = Operation::GetModifiedBalancings;
}

#[tokio::test]
async fn a_payment_made_in_focus_is_booked_and_balanced_in_octopus_once_and_ours_do_not_bounce() {
    let (world, ids) = with_payment_journal(2).await;
    let ours = |id: &str| {
        world
            .octopus
            .bookings(DOSSIER)
            .into_iter()
            .filter(|b| b.0.journal == "F1" && b.3["bookingLines"][0]["reference"] == format!("Focus payment {id}"))
            .count()
    };

    let paid_at = focus_paid_at();
    world.focus.plan().copies = 2;
    world.focus.pay_in_focus(&ids[0], dec!(121), paid_at).await;
    world.pump(20).await;

    assert_eq!(ours(&ids[0]), 1, "one payment booking in F1");
    let balancings: Vec<_> = world.octopus.state().dossiers[&DOSSIER]
        .balancings
        .iter()
        .filter(|b| b.debet.1 == "V1" || b.credit.1 == "V1")
        .map(|b| (b.debet.clone(), b.amount))
        .collect();
    assert_eq!(balancings, [((1, "V1".to_owned(), 1, -1), dec!(121))]);

    // The puller sees that balancing and registers nothing: Focus had the payment first.
    run(&world).await;
    assert_eq!(world.focus.count("invoices.registerPayment"), 0);

    // A payment reconciled in Octopus is registered by the puller; its webhook comes back and books nothing.
    world.octopus.reconcile(DOSSIER, &v1(2), dec!(121), march(13));
    run(&world).await;
    world.focus.flush_webhooks().await;
    world.pump(20).await;
    assert_eq!(amounts(&world, &ids[1]), [dec!(121)]);
    assert_eq!(
        ours(&ids[1]),
        0,
        "our own registration did not bounce back into Octopus"
    );
    assert_eq!(ours(&ids[0]), 1);
}

#[tokio::test]
async fn a_run_with_failures_is_published_to_the_report_topic_with_the_budgets_left() {
    let world = PushWorld::start().await;
    posted_invoices(&world, 1).await;
    let (deployment, inbox_url) = with_report_inbox(&world).await;
    world.octopus.fail_next(Operation::GetModifiedBalancings, 3, 503);
    world.clock.advance(Duration::minutes(30));

    let run = run_puller(&deployment, &world.conn).await.unwrap();

    let report = run.report.unwrap();
    assert_eq!(report.failed[0].code, "OCTOPUS_UNAVAILABLE");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("Octopus calls left today (2026-03-02): insertBuySellBooking 399/400")),
        "{:?}",
        report.notes
    );
    let published = published_reports(&world, &inbox_url).await;
    assert_eq!(published.len(), 1);
    assert!(published[0].contains("OCTOPUS_UNAVAILABLE"));
}

/// A deployment publishing its reports to a topic on moto, and the queue subscribed to it.
async fn with_report_inbox(world: &PushWorld) -> (focus_octopus::sync::services::Deployment, String) {
    let sns = aws_sdk_sns::Client::new(&world.aws.config);
    let topic = sns
        .create_topic()
        .name(format!("{}-reports", world.aws.table_name))
        .send()
        .await
        .unwrap();
    let topic_arn = topic.topic_arn().unwrap().to_owned();
    let inbox = world
        .aws
        .sqs
        .create_queue()
        .queue_name(format!("{}-inbox", world.aws.table_name))
        .send()
        .await
        .unwrap();
    let inbox_url = inbox.queue_url().unwrap().to_owned();
    let inbox_arn = world
        .aws
        .sqs
        .get_queue_attributes()
        .queue_url(&inbox_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(&inbox_arn)
        .send()
        .await
        .unwrap();
    let deployment = world
        .deployment_with_queue(&world.aws.documents_queue_url)
        .with_reports(sns, topic_arn);
    (deployment, inbox_url)
}

/// Every report published so far (the messages' bodies).
async fn published_reports(world: &PushWorld, inbox_url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let messages = world
            .aws
            .sqs
            .receive_message()
            .queue_url(inbox_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            return bodies;
        }
        bodies.extend(messages.iter().filter_map(|m| m.body().map(str::to_owned)));
    }
}

/// The user removed the integration in Focus (or Focus ended the authorisation): every Focus call would be refused.
/// Found trying it as a user would: each document failed on its own, with a report each, and nothing came back
/// after authorising again.
#[tokio::test]
async fn a_refused_focus_authorisation_pauses_the_connection_with_one_report_and_it_resumes_after_connect_focus() {
    let world = PushWorld::start().await;
    let (deployment, inbox_url) = with_report_inbox(&world).await;
    let company = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    world.focus.revoke_refresh_tokens();
    world.focus.expire_access_tokens();
    let mut ids = Vec::new();
    for n in 0..3 {
        let (id, _) = world
            .focus
            .invoice(
                ("company", &company),
                vec![line(dec!(1), Decimal::from(10 + n), rates::VAT_21)],
                march(3),
            )
            .await;
        ids.push(id);
    }

    world.pump_with(&deployment, 10).await;
    let refusals = world.focus.refreshes().1;
    let requests = world.focus.received().len();
    for _ in 0..3 {
        world.clock.advance(Duration::minutes(30));
        run_puller(&deployment, &world.conn).await.unwrap();
        world.pump_with(&deployment, 10).await;
    }

    assert_eq!(refusals, 1, "Focus refused the authorisation once");
    assert_eq!(
        world.focus.refreshes().1,
        refusals,
        "then nothing more was asked of Focus"
    );
    assert_eq!(world.focus.received().len(), requests, "not by the puller either");
    let reports = published_reports(&world, &inbox_url).await;
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].contains("FOCUS_REAUTHORIZATION_REQUIRED") && reports[0].contains("connect-focus"));
    for id in &ids {
        let record = record(&world, id).await;
        assert!(
            record.state.awaits_posting(),
            "{id} waits, not failed: {}",
            record.state
        );
        assert_eq!(record.last_error.unwrap().code, "FOCUS_REAUTHORIZATION_REQUIRED");
    }
    let status = focus_octopus::sync::status::status(&deployment, &world.conn)
        .await
        .unwrap();
    assert_eq!(
        status.paused.expect("status says why").code,
        "FOCUS_REAUTHORIZATION_REQUIRED"
    );
    assert!(world.octopus.bookings(DOSSIER).is_empty());

    // The bookkeeper runs connect-focus and approves: the next puller run resumes and the three are booked.
    world.clock.advance(Duration::minutes(1));
    authorise_again(&world).await;
    world.clock.advance(Duration::minutes(30));
    let resumed = run_puller(&deployment, &world.conn).await.unwrap();
    world.pump_with(&deployment, 10).await;

    assert_eq!(resumed.resumed, Some(3));
    assert_eq!(world.octopus.bookings(DOSSIER).len(), 3);
    for id in &ids {
        assert_eq!(record(&world, id).await.state, DocumentState::Posted);
    }
    assert!(
        published_reports(&world, &inbox_url).await.is_empty(),
        "no report for the resumed run"
    );
}

/// `connect-focus` as a user runs it: the link, approval in Focus, the callback on the receiver.
async fn authorise_again(world: &PushWorld) {
    let redirect = format!("{}/oauth/callback", world.function_url());
    let link = focus_octopus::sync::authorise::authorize_link(&world.deployment, &world.conn, &redirect, false)
        .await
        .unwrap();
    let url = reqwest::Url::parse(&link.url).unwrap();
    let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let code = world.focus.authorization_code(&redirect);
    let answer = reqwest::Client::new()
        .get(&redirect)
        .query(&[("code", code.as_str()), ("state", state.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200, "{}", answer.text().await.unwrap());
}

/// Found by the chaos run: documents whose messages were dead-lettered were lost. The head of a blocked FIFO group
/// (its journal locked for longer than SQS's five tries) kept its Focus `updated_at`, so the sweep's Focus listing
/// never saw it again; the documents queued behind it were kept unread, had no record at all, and died with it.
/// Now every document kept in the queue has a record awaiting posting, and the sweep re-enqueues documents that
/// await posting since well before the run.
#[tokio::test]
async fn documents_whose_messages_were_dead_lettered_are_posted_once_the_journal_opens() {
    let world = PushWorld::start().await;
    run(&world).await;
    world.octopus.lock_journal(DOSSIER, 1, "V1", true);
    let company = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (id, _) = world
            .focus
            .invoice(
                ("company", &company),
                vec![line(dec!(1), dec!(100), rates::VAT_21)],
                march(2),
            )
            .await;
        ids.push(id);
    }
    // Every puller run in the next hour lists them again while they are still retried; then SQS gives up.
    for _ in 0..2 {
        world.pump(20).await;
        run(&world).await;
    }
    world.pump(20).await;
    assert_eq!(world.queued().await, 0, "every message went to the dead-letter queue");
    let documents = world.deployment.store.documents();
    let awaiting = documents.awaiting(&world.conn).await.unwrap();
    assert_eq!(
        awaiting.len(),
        3,
        "the head and the two documents kept unread behind it are known: {awaiting:?}"
    );

    world.octopus.lock_journal(DOSSIER, 1, "V1", false);
    let mut requeued = 0;
    for _ in 0..3 {
        requeued += run(&world).await.swept.requeued;
        world.pump(20).await;
    }

    assert_eq!(requeued, 3);
    for id in &ids {
        let doc = DocumentRef::new(DocumentKind::Invoice, id.as_str()).unwrap();
        let posted = documents.get(&world.conn, &doc).await.unwrap().unwrap();
        assert_eq!(posted.state, DocumentState::Posted);
    }
    assert_eq!(world.octopus.bookings(DOSSIER).len(), 3);
}

/// Found by the chaos run: with the day's booking budget spent, every redelivery still fetched its document from
/// Focus (spending Focus's minute) before failing. Now the documents wait without a Focus call, and the backlog is
/// booked after the reset with no person involved.
#[tokio::test]
async fn once_the_days_booking_budget_is_spent_documents_wait_without_calling_focus() {
    let mut config = focus_octopus_tests::push_world::push_config();
    config
        .options
        .octopus_daily_limits
        .insert(Operation::InsertBuySellBooking.budget_name().to_owned(), 1);
    let world = PushWorld::start_with(config).await;
    let company = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    for _ in 0..3 {
        world
            .focus
            .invoice(
                ("company", &company),
                vec![line(dec!(1), dec!(100), rates::VAT_21)],
                march(2),
            )
            .await;
    }
    world.pump(1).await;
    assert_eq!(world.octopus.bookings(DOSSIER).len(), 1, "the day's one booking");
    let fetched = world.focus.count("invoices.info");

    world.pump(20).await;
    run(&world).await;
    world.pump(20).await;

    assert_eq!(
        world.focus.count("invoices.info"),
        fetched,
        "no Focus call while the budget is spent"
    );
    assert_eq!(world.octopus.bookings(DOSSIER).len(), 1);
    assert!(world.octopus.over_limit().is_empty());

    // The next Belgian day: the puller's sweep brings the backlog back; one more booking fits.
    world.clock.advance(Duration::hours(15));
    run(&world).await;
    world.pump(20).await;
    assert_eq!(world.octopus.bookings(DOSSIER).len(), 2);
}

/// Checked against traffic recorded from the real Octopus: a financial booking's `-13` reads "Last Document : 5"
/// (a colon), not the sales booking's "Last Document = 6". The parser read only the `=` form, so the payment
/// journal's counter was resynchronised to 0 and the next attempt reused number 1.
#[tokio::test]
async fn a_payment_booking_refused_for_its_number_follows_the_number_octopus_states_in_its_own_wording() {
    let (world, ids) = with_payment_journal(2).await;
    let paid_at = focus_paid_at();
    world.focus.pay_in_focus(&ids[0], dec!(121), paid_at).await;
    world.pump(20).await;
    // The bookkeeper books two bank lines in F1 by hand.
    world
        .octopus
        .state()
        .dossiers
        .get_mut(&DOSSIER)
        .unwrap()
        .journal_mut(1, "F1")
        .unwrap()
        .last_booked += 2;

    world.focus.pay_in_focus(&ids[1], dec!(121), paid_at).await;
    for _ in 0..5 {
        world.pump(20).await;
        world.clock.advance(Duration::minutes(6));
    }

    let attempted: Vec<i64> = world
        .octopus
        .received()
        .iter()
        .filter(|r| r.operation == Operation::InsertFinancialDiversBooking)
        .filter_map(|r| r.body["financialDiversBookingServiceData"]["documentSequenceNr"].as_i64())
        .collect();
    assert_eq!(
        attempted,
        [1, 2, 4],
        "after the refusal of 2 the next attempt is 3 + 1, never 1 again"
    );
    let refusal = world
        .octopus
        .received()
        .into_iter()
        .find(|r| r.operation == Operation::InsertFinancialDiversBooking && r.status == 400)
        .expect("the refusal of number 2");
    assert_eq!(refusal.status, 400);
    let booked = numbers_in(&world, "F1");
    assert!(booked.contains(&4), "{booked:?}");
}

/// A real dossier's balancings feed also carries the bookkeeper's purchases: they are not ours and cost nothing.
#[tokio::test]
async fn a_reconciled_purchase_invoice_in_the_same_feed_is_left_alone() {
    let world = PushWorld::start().await;
    let ids = posted_invoices(&world, 1).await;
    world.octopus.reconcile(DOSSIER, &v1(1), dec!(121), march(10));

    let pulled = run(&world).await;

    assert_eq!(pulled.payments.balancings_seen, 2, "ours and the purchase's");
    assert_eq!(pulled.payments.payments_registered, 1);
    assert!(pulled.payments.failed.is_empty(), "{:?}", pulled.payments.failed);
    assert_eq!(amounts(&world, &ids[0]), [dec!(121)]);
    assert_eq!(world.focus.count("invoices.registerPayment"), 1);
}

/// Both booking kinds answer `-13` through one function (`journal::follow_refused_number`): when the refused number
/// holds our own booking, it is found and used, never booked again under the next number.
#[tokio::test]
async fn a_payment_booking_whose_answer_was_lost_is_found_under_its_number_not_booked_twice() {
    let (world, ids) = with_payment_journal(1).await;
    let paid_at = focus_paid_at();
    world
        .octopus
        .commit_then_drop(Operation::InsertFinancialDiversBooking, 1);
    world.focus.pay_in_focus(&ids[0], dec!(121), paid_at).await;
    for _ in 0..5 {
        world.pump(20).await;
        world.clock.advance(Duration::minutes(6));
    }

    let attempts: Vec<(i64, u16)> = world
        .octopus
        .received()
        .iter()
        .filter(|r| r.operation == Operation::InsertFinancialDiversBooking)
        .filter_map(|r| {
            let nr = r.body["financialDiversBookingServiceData"]["documentSequenceNr"].as_i64()?;
            Some((nr, r.status))
        })
        .collect();
    assert_eq!(
        attempts,
        [(1, 201), (1, 400)],
        "the retry under 1 is refused, and nothing is sent under 2"
    );
    let in_f1 = numbers_in(&world, "F1");
    assert_eq!(in_f1, [1]);
    let balanced: Vec<_> = world.octopus.state().dossiers[&DOSSIER]
        .balancings
        .iter()
        .filter(|b| b.debet.1 == "V1")
        .map(|b| (b.credit.1.clone(), b.credit.2, b.amount))
        .collect();
    assert_eq!(
        balanced,
        [("F1".to_owned(), 1, dec!(121))],
        "the found booking is the one balanced"
    );
}

/// The cycle without a person: Focus books, the booking carries the invoice's structured communication, the customer
/// pays with it, Octopus's bank import (a CODA mandate) reconciles the payment by itself, and the puller marks the
/// invoice paid in Focus. The import follows the manual's order — reference, the customer's account, name and
/// amount, amount — and what matches nothing waits on the suspense account, registered nowhere.
#[tokio::test]
async fn a_bank_statement_reconciles_payments_by_the_manual_s_order_and_focus_gets_them_paid() {
    use focus_octopus_tests::bank::{Communication, Statement};
    use focus_octopus_tests::octopus_sim::MatchedBy;
    let world = PushWorld::start().await;
    let company = |name: &str, vat: &str, iban: Option<&str>| {
        let id = world.focus.add_company(name, Some(vat), "BE");
        if let Some(iban) = iban {
            world.focus.edit_company(&id, |c| c["iban"] = serde_json::json!(iban));
        }
        id
    };
    let kroon = company("Brouwerij De Kroon BV", "BE0477472701", None);
    let anker = company("Feestzaal Het Anker BV", "BE0899623035", Some("BE71096123456769"));
    let molen = company("Bakkerij De Molen BV", "BE0403019261", None);
    let zon = company("Hotel De Zon NV", "BE0417497106", None);
    let mut invoices = Vec::new();
    for (customer, price) in [
        (&kroon, dec!(100)),
        (&anker, dec!(200)),
        (&molen, dec!(300)),
        (&zon, dec!(400)),
    ] {
        let (id, _) = world
            .focus
            .invoice(
                ("company", customer),
                vec![line(dec!(1), price, rates::VAT_21)],
                march(2),
            )
            .await;
        invoices.push(id);
    }
    world.pump(20).await;
    assert_eq!(world.octopus.bookings(DOSSIER).len(), 4);

    let communication = world.focus.payment_reference(&invoices[0]).unwrap();
    let statement = Statement::new("BE68539007547034", march(12), 1)
        .credit(
            dec!(121),
            Communication::Structured(communication),
            Some("BE10000000000404"),
            "KROON",
        )
        .credit(
            dec!(242),
            Communication::Free("factuur maart".into()),
            Some("BE71096123456769"),
            "ANKER",
        )
        .credit(
            dec!(363),
            Communication::Free("betaling".into()),
            None,
            "Bakkerij De Molen BV",
        )
        .credit(dec!(484), Communication::Free("".into()), None, "H. DE ZON")
        .credit(dec!(999.99), Communication::Free("voorschot".into()), None, "Onbekend");
    let assigned = world
        .octopus
        .import_coda(DOSSIER, &statement.to_coda())
        .expect("a valid CODA file");

    let rules: Vec<Option<(i32, MatchedBy)>> = assigned
        .iter()
        .map(|a| a.matched.as_ref().map(|(k, rule)| (k.document_nr, *rule)))
        .collect();
    assert_eq!(
        rules,
        [
            Some((1, MatchedBy::Reference)),
            Some((2, MatchedBy::Account)),
            Some((3, MatchedBy::NameAndAmount)),
            Some((4, MatchedBy::Amount)),
            None
        ]
    );
    let statement_booking = world
        .octopus
        .bookings(DOSSIER)
        .into_iter()
        .find(|b| b.0.journal == "F1")
        .unwrap();
    let suspense = &statement_booking.3["bookingLines"][4];
    assert_eq!(
        suspense["accountKey"],
        focus_octopus_tests::octopus_sim::SUSPENSE_ACCOUNT
    );

    let pulled = run(&world).await;

    assert_eq!(pulled.payments.payments_registered, 4, "{:?}", pulled.payments.failed);
    for (id, paid) in invoices.iter().zip([dec!(121), dec!(242), dec!(363), dec!(484)]) {
        assert_eq!(amounts(&world, id), [paid]);
    }
}
