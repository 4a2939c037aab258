//! `infra/template.yaml` says what the stack is; these tests hold it to least privilege and the queue rules.

use std::collections::BTreeSet;

use focus_octopus::domain::{ConnectionId, DocumentKind, DocumentRef};
use focus_octopus_tests::{LocalAws, Template};
use serde_yaml_ng::Value;

const FUNCTIONS: [(&str, &str); 4] = [
    ("WebhookReceiverFunction", "WebhookReceiverRole"),
    ("DocumentPosterFunction", "DocumentPosterRole"),
    ("PaymentPullerFunction", "PaymentPullerRole"),
    ("AdminFunction", "AdminRole"),
];

fn template() -> Template {
    Template::load().expect("infra/template.yaml")
}

fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Sequence(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// Every (role, action, resource) the template grants; a resource is shown as its YAML (tags included).
fn grants(template: &Template) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (role, resource) in template.resources_of_type("AWS::IAM::Role") {
        for policy in resource["Properties"]["Policies"].as_sequence().into_iter().flatten() {
            for statement in policy["PolicyDocument"]["Statement"]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                assert_eq!(
                    statement["Effect"].as_str(),
                    Some("Allow"),
                    "{role}: only Allow statements"
                );
                for action in list(&statement["Action"]) {
                    for target in list(&statement["Resource"]) {
                        let target = serde_yaml_ng::to_string(target).unwrap().trim().to_owned();
                        out.push((role.to_owned(), action.as_str().unwrap().to_owned(), target));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn no_iam_statement_has_a_wildcard_action_or_resource() {
    let grants = grants(&template());
    assert!(!grants.is_empty());
    for (role, action, resource) in grants {
        assert!(!action.contains('*'), "{role} grants the wildcard action {action}");
        assert_ne!(
            resource.trim_matches(['\'', '"']),
            "*",
            "{role} grants {action} on every resource"
        );
    }
}

#[test]
fn every_function_has_its_own_role_and_no_managed_policies() {
    let template = template();
    for (function, role) in FUNCTIONS {
        let properties = &template.resource(function).unwrap()["Properties"];
        assert_eq!(
            serde_yaml_ng::to_string(&properties["Role"]).unwrap().trim(),
            format!("!GetAtt {role}.Arn"),
            "{function} must use {role}"
        );
        assert!(
            properties.get("Policies").is_none(),
            "{function}: SAM policy templates would add * resources"
        );
        assert!(
            template.resource(role).unwrap()["Properties"]
                .get("ManagedPolicyArns")
                .is_none()
        );
    }
}

#[test]
fn each_role_writes_only_its_own_log_group() {
    let template = template();
    for (function, role) in FUNCTIONS {
        let log_group =
            serde_yaml_ng::to_string(&template.resource(function).unwrap()["Properties"]["LoggingConfig"]["LogGroup"])
                .unwrap()
                .trim()
                .trim_start_matches("!Ref ")
                .to_owned();
        let log_grants: BTreeSet<String> = grants(&template)
            .into_iter()
            .filter(|(r, action, _)| r == role && action.starts_with("logs:"))
            .map(|(_, _, resource)| resource)
            .collect();
        assert_eq!(
            log_grants,
            BTreeSet::from([format!("!GetAtt {log_group}.Arn")]),
            "{role}"
        );
    }
}

#[test]
fn only_the_poster_consumes_the_queue_and_only_the_admin_creates_secrets() {
    let grants = grants(&template());
    let roles_with = |action: &str| -> BTreeSet<String> {
        grants
            .iter()
            .filter(|(_, a, _)| a == action)
            .map(|(r, _, _)| r.clone())
            .collect()
    };
    assert_eq!(
        roles_with("sqs:ReceiveMessage"),
        BTreeSet::from(["DocumentPosterRole".to_owned()])
    );
    assert_eq!(
        roles_with("sqs:DeleteMessage"),
        BTreeSet::from(["DocumentPosterRole".to_owned()])
    );
    assert_eq!(
        roles_with("secretsmanager:CreateSecret"),
        BTreeSet::from(["AdminRole".to_owned()])
    );
    let secret_grants: Vec<_> = grants
        .iter()
        .filter(|(_, a, _)| a.starts_with("secretsmanager:"))
        .collect();
    for (role, action, resource) in secret_grants {
        assert!(
            resource.contains("${AWS::StackName}/"),
            "{role} {action} reaches beyond the stack's secrets: {resource}"
        );
    }
}

#[test]
fn the_queue_gives_the_poster_six_timeouts_and_five_tries_before_the_dead_letter_queue() {
    let template = template();
    let poster_timeout = template
        .function_property("DocumentPosterFunction", "Timeout")
        .unwrap()
        .as_u64()
        .unwrap();
    let queue = &template.resource("DocumentsQueue").unwrap()["Properties"];
    assert!(queue["VisibilityTimeout"].as_u64().unwrap() >= 6 * poster_timeout);
    assert_eq!(queue["FifoQueue"].as_bool(), Some(true));
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"].as_u64(), Some(5));
    let dlq = &template.resource("DocumentsDeadLetterQueue").unwrap()["Properties"];
    assert_eq!(dlq["FifoQueue"].as_bool(), Some(true));
    assert_eq!(dlq["RedriveAllowPolicy"]["redrivePermission"].as_str(), Some("byQueue"));

    let events =
        &template.resource("DocumentPosterFunction").unwrap()["Properties"]["Events"]["Documents"]["Properties"];
    assert_eq!(
        events["FunctionResponseTypes"][0].as_str(),
        Some("ReportBatchItemFailures")
    );
    let cap = serde_yaml_ng::to_string(&events["ScalingConfig"]["MaximumConcurrency"]).unwrap();
    assert_eq!(cap.trim(), "!Ref PosterMaximumConcurrency");
}

#[test]
fn functions_are_al2023_x86_64_by_default_and_built_from_workspace_binaries() {
    let template = template();
    assert_eq!(
        template.parameter_default("Architecture").and_then(Value::as_str),
        Some("x86_64")
    );
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (function, _) in FUNCTIONS {
        assert_eq!(
            template.function_property(function, "Runtime").unwrap().as_str(),
            Some("provided.al2023")
        );
        let metadata = &template.resource(function).unwrap()["Metadata"];
        assert_eq!(metadata["BuildMethod"].as_str(), Some("rust-cargolambda"));
        let binary = metadata["BuildProperties"]["Binary"].as_str().unwrap();
        assert!(
            root.join("functions").join(binary).join("Cargo.toml").exists(),
            "{function}: no crate {binary}"
        );
    }
}

#[test]
fn the_default_pull_schedule_fits_the_48_a_day_modified_feed_budget() {
    let template = template();
    let schedule = template
        .parameter_default("PullSchedule")
        .and_then(Value::as_str)
        .unwrap();
    let minutes: u32 = schedule
        .trim_start_matches("rate(")
        .trim_end_matches(" minutes)")
        .parse()
        .unwrap();
    assert!(24 * 60 / minutes <= 48, "{schedule} runs more than 48 times a day");
}

#[tokio::test]
async fn the_test_stack_follows_the_template_a_changed_key_schema_breaks_the_store() {
    let text = std::fs::read_to_string(Template::path()).unwrap();
    let renamed = text.replace("AttributeName: pk\n", "AttributeName: PK\n");
    assert_ne!(renamed, text);
    let aws = LocalAws::start_with(&Template::parse(&renamed).unwrap()).await.unwrap();
    let doc = DocumentRef::new(DocumentKind::Invoice, "i-1").unwrap();
    let err = aws
        .store()
        .documents()
        .ensure(&ConnectionId::new("acme").unwrap(), &doc, chrono::Utc::now())
        .await;
    assert!(err.is_err(), "the store must not work on a table whose key is not `pk`");
}

#[test]
fn the_receiver_keeps_its_own_concurrency_and_may_delete_only_oauth_states() {
    let template = template();
    assert_eq!(
        serde_yaml_ng::to_string(
            template
                .function_property("WebhookReceiverFunction", "ReservedConcurrentExecutions")
                .expect("a reserved concurrency")
        )
        .unwrap()
        .trim(),
        "!Ref ReceiverReservedConcurrency"
    );
    let default = template
        .parameter_default("ReceiverReservedConcurrency")
        .and_then(Value::as_u64)
        .unwrap();
    assert!((1..=10).contains(&default), "a sane default: {default}");

    let role = &template.resource("WebhookReceiverRole").unwrap()["Properties"]["Policies"][0]["PolicyDocument"];
    let dynamodb: Vec<&Value> = role["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|s| {
            list(&s["Action"])
                .iter()
                .any(|a| a.as_str().unwrap().starts_with("dynamodb:"))
        })
        .collect();
    for statement in &dynamodb {
        for action in list(&statement["Action"]) {
            let action = action.as_str().unwrap();
            assert!(
                ["dynamodb:Query", "dynamodb:DeleteItem"].contains(&action),
                "the receiver has no {action}"
            );
            if action == "dynamodb:DeleteItem" {
                let keys = &statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
                assert_eq!(
                    list(keys).iter().map(|k| k.as_str().unwrap()).collect::<Vec<_>>(),
                    ["OAUTH#*"]
                );
            }
        }
    }
    assert_eq!(
        focus_octopus::store::keys::oauth_state(&ConnectionId::new("bakkerij").unwrap(), "ab12")[..6].to_owned(),
        "OAUTH#",
        "the items the condition names"
    );
}

#[test]
fn only_the_admin_writes_the_octopus_and_webhook_secrets() {
    let grants = grants(&template());
    for (role, action, resource) in grants {
        if action.starts_with("secretsmanager:") && action != "secretsmanager:GetSecretValue" {
            assert!(
                !resource.contains("/octopus-") && !resource.contains("/webhook-") || role == "AdminRole",
                "{role} may {action} on {resource}"
            );
        }
    }
}
