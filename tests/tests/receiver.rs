//! The webhook receiver refuses what it must, and a refused request writes nothing.

use focus_octopus_tests::push_world::{PushWorld, WEBHOOK_SECRET};
use serde_json::json;

async fn post(world: &PushWorld, path: &str, body: String) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", world.function_url()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn booked(id: &str) -> String {
    json!({ "type": "invoice.booked", "subject": { "type": "invoice", "id": id } }).to_string()
}

async fn nothing_written(world: &PushWorld) {
    assert_eq!(world.queued().await, 0, "nothing queued");
    assert!(
        world
            .deployment
            .store
            .documents()
            .list(&world.conn)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_good_webhook_is_queued_once_per_document_event() {
    let world = PushWorld::start().await;
    let path = format!("/hooks/bakkerij/{WEBHOOK_SECRET}");
    assert_eq!(
        post(&world, &path, booked("e540fe7e-dce2-459e-bf7e-24e605fc18b3"))
            .await
            .0,
        200
    );
    assert_eq!(
        post(&world, &path, booked("e540fe7e-dce2-459e-bf7e-24e605fc18b3"))
            .await
            .0,
        200
    );
    assert_eq!(world.queued().await, 1, "the FIFO queue drops the duplicate");
}

#[tokio::test]
async fn a_wrong_secret_or_connection_is_not_found() {
    let world = PushWorld::start().await;
    let almost = format!("{}x", &WEBHOOK_SECRET[..WEBHOOK_SECRET.len() - 1]);
    assert_eq!(
        post(&world, &format!("/hooks/bakkerij/{almost}"), booked("a1")).await.0,
        404
    );
    assert_eq!(
        post(&world, &format!("/hooks/other/{WEBHOOK_SECRET}"), booked("a1"))
            .await
            .0,
        404
    );
    assert_eq!(post(&world, "/hooks/bakkerij", booked("a1")).await.0, 404);
    nothing_written(&world).await;
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_with_413() {
    let world = PushWorld::start().await;
    let padding = "x".repeat(65 * 1024);
    let body = json!({ "type": "invoice.booked", "subject": { "type": "invoice", "id": "a1" }, "pad": padding });
    let (status, _) = post(&world, &format!("/hooks/bakkerij/{WEBHOOK_SECRET}"), body.to_string()).await;
    assert_eq!(status, 413);
    nothing_written(&world).await;
}

#[tokio::test]
async fn unreadable_json_or_a_missing_subject_id_is_refused_with_400() {
    let world = PushWorld::start().await;
    let path = format!("/hooks/bakkerij/{WEBHOOK_SECRET}");
    assert_eq!(post(&world, &path, "{not json".into()).await.0, 400);
    let (status, body) = post(
        &world,
        &path,
        json!({ "type": "invoice.booked", "subject": { "type": "invoice" } }).to_string(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("subject.id"), "{body}");
    nothing_written(&world).await;
}

#[tokio::test]
async fn an_event_type_we_do_not_sync_is_acknowledged_and_ignored() {
    let world = PushWorld::start().await;
    let body = json!({ "type": "deal.won", "subject": { "type": "deal", "id": "d1" } }).to_string();
    let (status, answer) = post(&world, &format!("/hooks/bakkerij/{WEBHOOK_SECRET}"), body).await;
    assert_eq!(status, 200);
    assert!(answer.contains("IGNORED"));
    nothing_written(&world).await;
}

#[tokio::test]
async fn a_queue_that_is_down_answers_503_so_focus_retries() {
    let world = PushWorld::start().await;
    let down = world.deployment_with_queue("http://127.0.0.1:9/000000000000/missing.fifo");
    let receiver = focus_octopus::sync::receiver::Receiver::new();
    let event = PushWorld::function_url_event("POST", &format!("/hooks/bakkerij/{WEBHOOK_SECRET}"), &booked("a1"));

    let response = focus_octopus::lambda::receiver::handle(&receiver, &down, &event).await;

    assert_eq!(response.status_code, 503);
    nothing_written(&world).await;
}

/// A request for a connection the table does not list is answered from the receiver's cached list: no Secrets
/// Manager call (each costs money and time, and would tell an attacker which names exist), and a flood of made-up
/// names does not read the table again either.
#[tokio::test]
async fn an_unknown_connection_costs_no_secret_read_and_a_flood_of_names_no_table_read() {
    let world = PushWorld::start().await;
    let (secrets, secret_calls) = focus_octopus_tests::counting::counted_secrets(&world.aws.config);
    let (dynamodb, table_calls) = focus_octopus_tests::counting::counted_dynamodb(&world.aws.config);
    let deployment = focus_octopus::sync::services::Deployment::new(
        focus_octopus::store::Store::new(dynamodb, world.aws.table_name.clone()),
        secrets,
        world.aws.sqs.clone(),
        world.aws.documents_queue_url.clone(),
        world.aws.table_name.clone(),
        focus_octopus::focus::FocusEndpoints {
            api: world.focus.url(),
            oauth: world.focus.url(),
        },
        world.octopus.url(),
        std::sync::Arc::new(world.clock.clone()),
        focus_octopus_tests::fixtures::fast_retries(),
    );
    let receiver = focus_octopus::sync::receiver::Receiver::new();
    let request =
        |conn: &str| PushWorld::function_url_event("POST", &format!("/hooks/{conn}/{WEBHOOK_SECRET}"), &booked("a1"));

    for n in 0..50 {
        let answer =
            focus_octopus::lambda::receiver::handle(&receiver, &deployment, &request(&format!("ghost-{n}"))).await;
        assert_eq!(answer.status_code, 404);
    }

    assert_eq!(secret_calls.total(), 0, "{:?}", secret_calls.snapshot());
    assert_eq!(
        table_calls.snapshot(),
        [("Query".to_owned(), 1)].into(),
        "one listing, then the cache"
    );
    let answer = focus_octopus::lambda::receiver::handle(&receiver, &deployment, &request("bakkerij")).await;
    assert_eq!(answer.status_code, 200, "{:?}", answer.body);
    assert_eq!(secret_calls.snapshot(), [("GetSecretValue".to_owned(), 1)].into());
}
