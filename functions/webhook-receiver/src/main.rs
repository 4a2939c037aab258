//! webhook-receiver: the Function URL Focus calls (`POST /hooks/<connection>/<secret>`). Thin: the behaviour is
//! `focus_octopus::sync::receiver`.

use std::sync::Arc;

use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use focus_octopus::sync::receiver::Receiver;
use focus_octopus::sync::services::Deployment;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber_with_writer(focus_octopus::logging::Redacting::stdout());
    let receiver = Arc::new(Receiver::new());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<LambdaFunctionUrlRequest>| {
        let receiver = receiver.clone();
        async move {
            let deployment = Deployment::shared_from_environment().await?;
            Ok::<_, Error>(receiver.handle(&deployment, &event.payload).await)
        }
    }))
    .await
}
