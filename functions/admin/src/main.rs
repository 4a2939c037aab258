//! admin: JSON commands `{"action": …}` from the CLI or a direct invoke; one use case each in `sync::admin`.

use focus_octopus::domain::Failure;
use focus_octopus::sync::admin;
use focus_octopus::sync::services::Deployment;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

/// Failures come back as `{"error": {"code", "message"}}` so the CLI can show the sentence and exit non-zero.
async fn handle(deployment: &Deployment, command: Value) -> Value {
    let result = match admin::parse(command) {
        Ok(command) => admin::run(deployment, command).await,
        Err(e) => Err(e),
    };
    result.unwrap_or_else(|e| json!({ "error": { "code": e.code(), "message": e.to_string() } }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber_with_writer(focus_octopus::logging::Redacting::stdout());
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        let deployment = Deployment::shared_from_environment().await?;
        Ok::<_, Error>(handle(&deployment, event.payload).await)
    }))
    .await
}
