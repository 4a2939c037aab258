//! admin: JSON commands `{"action": …}` from a direct invoke. Setup and `run`; the entry point is
//! `focus_octopus::lambda::admin`.

use focus_octopus::lambda::admin;
use focus_octopus::sync::services::Deployment;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber_with_writer(focus_octopus::logging::Redacting::stdout());
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        let deployment = Deployment::shared_from_environment().await?;
        Ok::<_, Error>(admin::handle(&deployment, event.payload).await)
    }))
    .await
}
