//! webhook-receiver: the Function URL Focus calls (`POST /hooks/<connection>/<secret>`) and the OAuth callback.
//! Setup and `run`; the entry point is `focus_octopus::lambda::receiver`.

use std::sync::Arc;

use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use focus_octopus::lambda::receiver;
use focus_octopus::sync::receiver::Receiver;
use focus_octopus::sync::services::Deployment;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber_with_writer(focus_octopus::logging::Redacting::stdout());
    let state = Arc::new(Receiver::new());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<LambdaFunctionUrlRequest>| {
        let state = state.clone();
        async move {
            let deployment = Deployment::shared_from_environment().await?;
            Ok::<_, Error>(receiver::handle(&state, &deployment, &event.payload).await)
        }
    }))
    .await
}
