//! document-poster: consumes the FIFO queue of documents (SQS batch with `ReportBatchItemFailures`). Setup and
//! `run`; the entry point is `focus_octopus::lambda::poster`.

use aws_lambda_events::event::sqs::SqsEvent;
use focus_octopus::lambda::poster;
use focus_octopus::sync::services::Deployment;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber_with_writer(focus_octopus::logging::Redacting::stdout());
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        let deployment = Deployment::shared_from_environment().await?;
        Ok::<_, Error>(poster::handle(&deployment, &event.payload).await)
    }))
    .await
}
