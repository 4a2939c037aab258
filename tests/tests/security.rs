//! Security checks beyond the template's least privilege (tests/template.rs): secrets reach the functions only
//! through Secrets Manager, the webhook secret is compared in constant time, and log lines go through a redaction
//! layer that keeps every secret out of them. The OAuth callback's `state` check is in tests/admin.rs
//! (`the_oauth_callback_refuses_a_wrong_state_…`).

use focus_octopus::domain::{DocumentKind, DocumentRef, DocumentState};
use focus_octopus_tests::Template;
use focus_octopus_tests::focus_sim::{line, rates};
use focus_octopus_tests::logs::{Captured, capturing_subscriber};
use focus_octopus_tests::push_world::{PushWorld, WEBHOOK_SECRET};
use rust_decimal_macros::dec;

fn source(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).expect("a source file")
}

#[test]
fn no_secret_reaches_a_function_through_its_environment_or_the_template() {
    let template = Template::load().expect("infra/template.yaml");
    let text = std::fs::read_to_string(Template::path()).unwrap();
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut environments = vec![&yaml["Globals"]["Function"]["Environment"]["Variables"]];
    for (_, function) in template.resources_of_type("AWS::Serverless::Function") {
        environments.push(&function["Properties"]["Environment"]["Variables"]);
    }
    let suspicious = ["PASSWORD", "TOKEN", "SECRET", "KEY", "CREDENTIAL"];
    for variables in environments {
        for (name, _) in variables.as_mapping().into_iter().flatten() {
            let name = name.as_str().unwrap();
            assert!(
                name == "SECRETS_PREFIX" || !suspicious.iter().any(|s| name.contains(s)),
                "{name} looks like a secret in a function's environment"
            );
        }
    }
    // The secrets the template creates hold empty placeholders (filled by the operator or the CLI), or a generated
    // value; no parameter carries a secret into the stack.
    for (id, secret) in template.resources_of_type("AWS::SecretsManager::Secret") {
        if let Some(text) = secret["Properties"]["SecretString"].as_str() {
            let value: serde_json::Value = serde_json::from_str(text).expect("JSON placeholder");
            for (field, v) in value.as_object().into_iter().flatten() {
                assert_eq!(v, "", "{id}.{field} must be an empty placeholder in the template");
            }
        }
    }
    for (name, parameter) in yaml["Parameters"].as_mapping().into_iter().flatten() {
        let name = name.as_str().unwrap().to_ascii_uppercase();
        assert!(
            !suspicious.iter().any(|s| name.contains(s)) || parameter["NoEcho"].as_bool() == Some(true),
            "parameter {name} looks like a secret"
        );
    }
    // The functions read configuration only from these names; secrets come from Secrets Manager by name.
    let config = source("lib/src/config.rs");
    for name in ["TABLE_NAME", "DOCUMENTS_QUEUE_URL", "SECRETS_PREFIX"] {
        assert!(config.contains(name), "config reads {name}");
    }
    assert!(!config.contains("PASSWORD") && !config.contains("ACCESS_TOKEN"));
}

#[test]
fn the_webhook_secret_is_compared_in_constant_time_and_a_decoy_is_compared_for_unknown_connections() {
    let webhooks = source("lib/src/focus/webhooks.rs");
    assert!(
        webhooks.contains("ct_eq("),
        "secrets_match uses subtle's ConstantTimeEq"
    );
    let receiver = source("lib/src/sync/receiver.rs");
    assert!(receiver.contains("secrets_match(presented, expected.as_ref().map_or(DECOY"));
    assert!(
        !receiver.contains("presented =="),
        "no early-exit comparison of the presented secret"
    );
    assert!(focus_octopus::focus::secrets_match(WEBHOOK_SECRET, WEBHOOK_SECRET));
    assert!(!focus_octopus::focus::secrets_match(
        &WEBHOOK_SECRET[..20],
        WEBHOOK_SECRET
    ));
}

#[test]
fn every_function_writes_its_logs_through_the_redacting_writer() {
    for function in ["webhook-receiver", "document-poster", "payment-puller", "admin"] {
        let main = source(&format!("functions/{function}/src/main.rs"));
        assert!(
            main.contains("init_default_subscriber_with_writer(focus_octopus::logging::Redacting::stdout())"),
            "{function} logs through focus_octopus::logging::Redacting"
        );
    }
}

/// The redaction layer, proven on a real flow: the secrets the functions read (Focus tokens, Octopus credentials,
/// the webhook secret) never appear in a log line, even when a careless line prints them.
#[tokio::test]
async fn log_lines_never_show_a_secret_even_when_a_line_prints_one() {
    let captured = Captured::default();
    let _logs = tracing::subscriber::set_default(capturing_subscriber(captured.clone()));
    let world = PushWorld::start().await;
    world
        .octopus
        .fail_next(focus_octopus::octopus::Operation::InsertBuySellBooking, 1, 403);
    let company = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    let (id, _) = world
        .focus
        .invoice(
            ("company", &company),
            vec![line(dec!(1), dec!(100), rates::VAT_21)],
            chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        )
        .await;
    world.pump(10).await;
    let doc = DocumentRef::new(DocumentKind::Invoice, id.as_str()).unwrap();
    let record = world
        .deployment
        .store
        .documents()
        .get(&world.conn, &doc)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.state, DocumentState::Posted);

    let mut secrets = world.focus.every_secret();
    secrets.extend(world.octopus.every_secret());
    secrets.push(WEBHOOK_SECRET.to_owned());
    // Careless lines, as a future change might write them.
    for secret in &secrets {
        tracing::warn!(target: "focus_octopus::careless", "partner answered with {secret} in it");
        tracing::info!(target: "focus_octopus::careless", token = %secret, "field");
    }
    tracing::info!(target: "focus_octopus::careless", "POST /hooks/bakkerij/{WEBHOOK_SECRET}");
    tracing::info!(target: "focus_octopus::careless", r#"body {{"access_token":"never-registered-abc","x":1}}"#);
    tracing::info!(target: "focus_octopus::careless", "Authorization: Bearer never-registered-xyz");

    let lines = captured.lines();
    assert!(lines.len() > 2 * secrets.len(), "the lines were captured");
    for line in &lines {
        for secret in &secrets {
            assert!(!line.contains(secret.as_str()), "a secret in: {line}");
        }
        assert!(!line.contains("never-registered"), "a secret-shaped value in: {line}");
    }
    assert!(lines.iter().filter(|l| l.contains("[redacted]")).count() >= 2 * secrets.len());
}

/// What leaves the process besides logs: document records, run reports (stored, and published to SNS from the same
/// redacted report). A partner's error text that echoes a secret — a long token, a short password, either inside a
/// JSON string — must not carry it there either.
#[tokio::test]
async fn records_and_reports_never_carry_a_secret_a_partner_echoed() {
    let world = PushWorld::start().await;
    let company = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    world
        .focus
        .invoice(
            ("company", &company),
            vec![line(dec!(1), dec!(100), rates::VAT_21)],
            chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        )
        .await;
    world.pump(10).await;
    // A short password, as some Octopus users have.
    focus_octopus::logging::register_secret("pw2026");
    let mut secrets = world.focus.every_secret();
    secrets.extend(world.octopus.every_secret());
    secrets.push(WEBHOOK_SECRET.to_owned());
    secrets.push("pw2026".to_owned());
    let now = world.clock_now();

    let echoed: Vec<String> = secrets
        .iter()
        .map(|s| format!("partner said: invalid {s}; body {}", serde_json::json!({ "token": s })))
        .collect();
    let report = focus_octopus::store::RunReport {
        id: "r1".into(),
        kind: focus_octopus::store::RunKind::Pull,
        started_at: now,
        finished_at: Some(now),
        attempted: 1,
        done: 0,
        skipped: 0,
        failed: echoed
            .iter()
            .map(|m| focus_octopus::store::RunFailure {
                document: None,
                code: "OCTOPUS_REJECTED".into(),
                message: m.clone(),
            })
            .collect(),
        notes: echoed.clone(),
    };
    world.deployment.store.runs().put(&world.conn, &report).await.unwrap();
    let stored = serde_json::to_string(&world.deployment.store.runs().recent(&world.conn, 10).await.unwrap()).unwrap();
    let recorded: Vec<String> = echoed
        .iter()
        .map(|m| {
            let e = focus_octopus::sync::error::SyncError::permanent(
                focus_octopus::domain::Code::OCTOPUS_REJECTED,
                m.clone(),
            );
            focus_octopus::store::RecordedError::from_failure(&e, now).message
        })
        .collect();

    assert!(stored.contains("[redacted]"), "{stored}");
    for secret in &secrets {
        assert!(
            !stored.contains(secret.as_str()),
            "a secret in a stored report: {secret}"
        );
        assert!(
            !report.to_message().contains(secret.as_str()),
            "a secret in the message published to SNS"
        );
        for message in &recorded {
            assert!(
                !message.contains(secret.as_str()),
                "a secret in a document record: {message}"
            );
        }
    }
}
