//! payment-puller: fired by the EventBridge schedule, or invoked with `{"detail": {"connection": "<id>"}}` for one
//! connection. Setup and `run`; the entry point is `focus_octopus::lambda::puller`.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use focus_octopus::lambda::puller;
use focus_octopus::sync::services::Deployment;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber_with_writer(focus_octopus::logging::Redacting::stdout());
    lambda_runtime::run(service_fn(|event: LambdaEvent<EventBridgeEvent>| async move {
        let deployment = Deployment::shared_from_environment().await?;
        Ok::<_, Error>(puller::handle(&deployment, &event.payload).await?)
    }))
    .await
}
