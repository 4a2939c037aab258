//! admin: a JSON command `{"action": …}` (from a direct invoke) → [`admin::run`] → its answer, or
//! `{"error": {"code", "message"}}` so the caller can show the sentence and exit non-zero.

use serde_json::{Value, json};

use crate::domain::Failure;
use crate::sync::admin;
use crate::sync::services::Deployment;

pub async fn handle(deployment: &Deployment, command: Value) -> Value {
    let result = match admin::parse(command) {
        // Boxed: the command futures nest deep enough to overflow the compiler's layout depth in a binary's main.
        Ok(command) => Box::pin(admin::run(deployment, command)).await,
        Err(e) => Err(e),
    };
    result.unwrap_or_else(|e| json!({ "error": { "code": e.code(), "message": e.to_string() } }))
}
