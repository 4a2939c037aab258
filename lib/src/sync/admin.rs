//! Admin commands: `{"action": "...", ...}` in, JSON out (DESIGN.md §4.4). The CLI sends the same JSON.

use serde::{Deserialize, Serialize};

use crate::domain::{ConnectionId, ErrorClass, Failure};
use crate::store::{Store, StoreError};

/// The actions the admin function understands; more arrive with the onboarding issue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AdminCommand {
    /// Checks that the function reaches its table; lists the connections.
    /// (A struct variant: serde refuses unknown fields only on those.)
    Ping {},
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pong {
    pub version: &'static str,
    pub connections: Vec<ConnectionId>,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("The command is not understood ({reason}). Send JSON such as {{\"action\": \"ping\"}}.")]
    BadCommand { reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Failure for AdminError {
    fn code(&self) -> &'static str {
        match self {
            AdminError::BadCommand { .. } => "ADMIN_BAD_COMMAND",
            AdminError::Store(e) => e.code(),
        }
    }
    fn class(&self) -> ErrorClass {
        match self {
            AdminError::BadCommand { .. } => ErrorClass::Permanent,
            AdminError::Store(e) => e.class(),
        }
    }
}

/// Parses a command; nothing runs for a command that does not parse.
pub fn parse(command: serde_json::Value) -> Result<AdminCommand, AdminError> {
    serde_json::from_value(command).map_err(|e| AdminError::BadCommand { reason: e.to_string() })
}

pub async fn run(store: &Store, command: AdminCommand) -> Result<serde_json::Value, AdminError> {
    match command {
        AdminCommand::Ping {} => {
            let pong = Pong {
                version: env!("CARGO_PKG_VERSION"),
                connections: store.connections().list().await?,
            };
            Ok(serde_json::to_value(pong).expect("plain data serialises"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_action_is_a_bad_command_naming_the_fix() {
        let err = parse(serde_json::json!({"action": "launch"})).unwrap_err();
        assert_eq!(err.code(), "ADMIN_BAD_COMMAND");
        assert!(err.to_string().contains("\"action\": \"ping\""));
        assert!(parse(serde_json::json!({"no": "action"})).is_err());
    }

    #[test]
    fn ping_parses() {
        assert_eq!(
            parse(serde_json::json!({"action": "ping"})).unwrap(),
            AdminCommand::Ping {}
        );
    }
}
