//! payment-puller: the EventBridge schedule (every connection), or `{"detail": {"connection": "<id>"}}` for one
//! → [`run_puller`] per connection → one summary line per connection (its run report, or its error).

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde_json::{Value, json};

use crate::domain::Code;
use crate::domain::{ConnectionId, Failure};
use crate::sync::error::SyncError;
use crate::sync::puller::{run_all, run_puller};
use crate::sync::services::Deployment;

/// `Err` only when the connections cannot be listed (or the named one is not a connection id): Lambda then
/// retries the event. A connection's own failure is in its summary and does not stop the others.
pub async fn handle(deployment: &Deployment, event: &EventBridgeEvent) -> Result<Value, SyncError> {
    let one = event.detail["connection"]
        .as_str()
        .map(ConnectionId::new)
        .transpose()
        .map_err(|e| SyncError::permanent(Code::CONNECTION_UNKNOWN, format!("The event names no connection: {e}.")))?;
    let runs = match one {
        Some(conn) => vec![(conn.clone(), run_puller(deployment, &conn).await)],
        None => run_all(deployment).await?,
    };
    let summary: Vec<Value> = runs
        .into_iter()
        .map(|(conn, run)| match run {
            Ok(run) => json!({ "connection": conn, "report": run.report }),
            Err(e) => json!({ "connection": conn, "error": { "code": e.code(), "message": e.to_string() } }),
        })
        .collect();
    Ok(json!({ "runs": summary }))
}
