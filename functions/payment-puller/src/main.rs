//! payment-puller: fired by the EventBridge schedule, or invoked with `{"detail": {"connection": "<id>"}}` for one
//! connection. Thin: the behaviour is `focus_octopus::sync::puller`.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use focus_octopus::domain::{ConnectionId, Failure};
use focus_octopus::sync::puller::{run_all, run_puller};
use focus_octopus::sync::services::Deployment;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber_with_writer(focus_octopus::logging::Redacting::stdout());
    lambda_runtime::run(service_fn(|event: LambdaEvent<EventBridgeEvent>| async move {
        let deployment = Deployment::shared_from_environment().await?;
        let one = event.payload.detail["connection"]
            .as_str()
            .map(ConnectionId::new)
            .transpose()?;
        let runs = match one {
            Some(conn) => vec![(conn.clone(), run_puller(&deployment, &conn).await)],
            None => run_all(&deployment).await?,
        };
        let summary: Vec<Value> = runs
            .into_iter()
            .map(|(conn, run)| match run {
                Ok(run) => json!({ "connection": conn, "report": run.report }),
                Err(e) => json!({ "connection": conn, "error": { "code": e.code(), "message": e.to_string() } }),
            })
            .collect();
        Ok::<_, Error>(json!({ "runs": summary }))
    }))
    .await
}
