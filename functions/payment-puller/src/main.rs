//! payment-puller: fired by the EventBridge schedule. Payments, reference data and the sweep arrive with issue #6;
//! for now a run checks the table and reports the connections it would serve.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use focus_octopus::config::Env;
use focus_octopus::store::Store;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let store = Store::from_environment(&Env::from_process()).await?;
    let store = &store;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<EventBridgeEvent>| async move {
        let connections = store.connections().list().await?;
        tracing::info!(schedule = ?event.payload.detail_type, connections = connections.len(), "pull run");
        Ok::<_, Error>(serde_json::json!({ "connections": connections }))
    }))
    .await
}
