//! Admin commands as the admin function runs them, against moto.

use chrono::{TimeZone, Utc};
use focus_octopus::domain::{ConnectionId, Failure};
use focus_octopus::sync::admin;
use focus_octopus_tests::LocalAws;
use serde_json::json;

#[tokio::test]
async fn ping_answers_with_the_version_and_the_connections() {
    let aws = LocalAws::start().await.unwrap();
    let store = aws.store();
    let config = focus_octopus_tests::fixtures::connection_config();
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap();
    store
        .connections()
        .create(&ConnectionId::new("acme").unwrap(), &config, now)
        .await
        .unwrap();

    let command = admin::parse(json!({"action": "ping"})).unwrap();
    let answer = admin::run(&store, command).await.unwrap();
    assert_eq!(answer["connections"], json!(["acme"]));
    assert_eq!(answer["version"], json!(env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn a_command_with_unknown_fields_is_refused_before_anything_runs() {
    let err = admin::parse(json!({"action": "ping", "force": true})).unwrap_err();
    assert_eq!(err.code(), "ADMIN_BAD_COMMAND");
}
