//! Each function's entry point (`focus_octopus::lambda`) with the event Lambda gives it: a JSON event from a file,
//! read into the real `aws_lambda_events` type, through the handler, the answer asserted (the pattern of the
//! runtime's examples). The files have the shapes AWS documents for Function URLs, SQS, EventBridge schedules and a
//! direct invoke.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use aws_lambda_events::event::sqs::SqsEvent;
use chrono::NaiveDate;
use focus_octopus::lambda;
use focus_octopus::sync::receiver::Receiver;
use focus_octopus_tests::focus_sim::{line, rates};
use focus_octopus_tests::octopus_sim::DOSSIER;
use focus_octopus_tests::push_world::PushWorld;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

/// A fixture's text; compiling fails when the file is missing.
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/events/", $name))
    };
}

#[tokio::test]
async fn a_function_url_webhook_is_decoded_checked_and_queued() {
    let world = PushWorld::start().await;
    let event: LambdaFunctionUrlRequest = serde_json::from_str(fixture!("function-url-webhook.json")).unwrap();
    assert!(
        event.is_base64_encoded,
        "the fixture carries its body as the Function URL may: base64"
    );

    let response = lambda::receiver::handle(&Receiver::new(), &world.deployment, &event).await;

    assert_eq!(response.status_code, 200, "{:?}", response.body);
    assert_eq!(response.headers["content-type"], "application/json");
    let body: Value = serde_json::from_str(response.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["code"], "QUEUED");
    assert_eq!(world.queued().await, 1);
}

#[tokio::test]
async fn an_sqs_batch_books_its_document_and_drops_a_record_that_is_not_ours() {
    let world = PushWorld::start().await;
    let march_2 = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let two_at_50 = vec![line(dec!(2), dec!(50), rates::VAT_21)];
    let kroon = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    let (invoice, _) = world.focus.invoice(("company", &kroon), two_at_50, march_2).await;
    let event: SqsEvent = serde_json::from_str(&fixture!("sqs-batch.json").replace("INVOICE_ID", &invoice)).unwrap();
    assert_eq!(event.records.len(), 2);

    let response = lambda::poster::handle(&world.deployment, &event).await;

    assert!(
        response.batch_item_failures.is_empty(),
        "nothing to deliver again: the document is booked, the stranger dropped ({:?})",
        response
            .batch_item_failures
            .iter()
            .map(|f| &f.item_identifier)
            .collect::<Vec<_>>()
    );
    let bookings = world.octopus.bookings(DOSSIER);
    assert_eq!(bookings.len(), 1, "{bookings:?}");
    assert_eq!(bookings[0].1, dec!(121.00));
}

#[tokio::test]
async fn the_schedule_runs_every_connection_and_a_named_one_alone() {
    let world = PushWorld::start().await;
    let scheduled: EventBridgeEvent = serde_json::from_str(fixture!("eventbridge-schedule.json")).unwrap();

    let answer = lambda::puller::handle(&world.deployment, &scheduled).await.unwrap();

    assert_eq!(answer["runs"].as_array().unwrap().len(), 1, "{answer}");
    assert_eq!(answer["runs"][0]["connection"], "bakkerij");
    assert_eq!(answer["runs"][0]["report"]["kind"], "pull", "{answer}");

    let mut one = scheduled.clone();
    one.detail = json!({ "connection": "nobody" });
    let answer = lambda::puller::handle(&world.deployment, &one).await.unwrap();
    assert_eq!(answer["runs"][0]["error"]["code"], "CONNECTION_UNKNOWN", "{answer}");

    one.detail = json!({ "connection": "not a#connection" });
    let refused = lambda::puller::handle(&world.deployment, &one).await.unwrap_err();
    assert_eq!(focus_octopus::domain::Failure::code(&refused), "CONNECTION_UNKNOWN");
}

#[tokio::test]
async fn a_direct_invoke_runs_the_admin_command_and_a_bad_one_answers_its_code() {
    let world = PushWorld::start().await;
    let command: Value = serde_json::from_str(fixture!("admin-ping.json")).unwrap();

    let answer = lambda::admin::handle(&world.deployment, command).await;

    assert_eq!(answer["connections"], json!(["bakkerij"]), "{answer}");
    let refused = lambda::admin::handle(&world.deployment, json!({ "action": "launch" })).await;
    assert_eq!(refused["error"]["code"], "ADMIN_BAD_COMMAND", "{refused}");
}
