//! A connection's three secrets in Secrets Manager (`<prefix>/<connection>/<kind>`): their names, how to create or
//! fill one in, and the Octopus login read from its text (refused while it is the stack's placeholder).

use secrecy::SecretString;
use serde::Deserialize;

use super::error::SyncError;
use crate::domain::Code;

/// The three secrets of a connection.
#[derive(Debug, Clone, Copy)]
pub enum SecretKind {
    FocusOAuth,
    Octopus,
    Webhook,
}

impl SecretKind {
    pub(super) fn suffix(self) -> &'static str {
        match self {
            SecretKind::FocusOAuth => "focus-oauth",
            SecretKind::Octopus => "octopus",
            SecretKind::Webhook => "webhook",
        }
    }

    /// The command that creates the secret `name` of this kind (another connection's: the stack creates the first's).
    pub(crate) fn create_command(self, name: &str) -> String {
        format!(
            "`aws secretsmanager create-secret --name {name} --secret-string {}`",
            self.value_to_fill()
        )
    }

    /// The command that fills in (or replaces) the value of the existing secret `name`.
    pub(crate) fn fill_command(self, name: &str) -> String {
        format!(
            "`aws secretsmanager put-secret-value --secret-id {name} --secret-string {}`",
            self.value_to_fill()
        )
    }

    /// The value to put in, quoted for a shell: the shape with its values left to fill in, or, for the webhook
    /// secret, a command that makes a good one.
    fn value_to_fill(self) -> &'static str {
        match self {
            SecretKind::FocusOAuth => r#"'{"client_id":"…","client_secret":"…"}'"#,
            SecretKind::Octopus => r#"'{"user":"…","password":"…","software_house_uuid":"…"}'"#,
            SecretKind::Webhook => r#""$(openssl rand -hex 24)""#,
        }
    }
}

/// The Octopus login, as the connection's secret holds it.
#[derive(Deserialize)]
pub(crate) struct OctopusSecret {
    pub user: String,
    pub password: String,
    pub software_house_uuid: String,
}

/// What is wrong with the text of an Octopus secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OctopusSecretProblem {
    /// Not the JSON `{"user", "password", "software_house_uuid"}`.
    NotTheShape,
    /// The stack's placeholder, or partly filled: these fields are empty.
    Unfilled(Vec<&'static str>),
}

impl OctopusSecret {
    /// The login, or what is wrong with the secret's text (nothing is sent anywhere).
    pub(crate) fn parse(text: &str) -> Result<Self, OctopusSecretProblem> {
        let parsed: OctopusSecret = serde_json::from_str(text).map_err(|_| OctopusSecretProblem::NotTheShape)?;
        let empty: Vec<&'static str> = [
            ("user", &parsed.user),
            ("password", &parsed.password),
            ("software_house_uuid", &parsed.software_house_uuid),
        ]
        .into_iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(k, _)| k)
        .collect();
        if empty.is_empty() {
            Ok(parsed)
        } else {
            Err(OctopusSecretProblem::Unfilled(empty))
        }
    }

    /// Reads the secret, refusing the stack's placeholder (empty fields) before any login is sent: Octopus counts
    /// failed logins against the user.
    pub(crate) fn read(secret: &SecretString, name: &str) -> Result<Self, SyncError> {
        let fix = format!(
            "fill it in: {} (README, Deploy step 4). No login was sent to Octopus",
            SecretKind::Octopus.fill_command(name)
        );
        Self::parse(secrecy::ExposeSecret::expose_secret(secret)).map_err(|problem| match problem {
            OctopusSecretProblem::NotTheShape => SyncError::permanent(
                Code::OCTOPUS_SECRET_INVALID,
                format!("The secret {name} must hold {{\"user\", \"password\", \"software_house_uuid\"}}: {fix}."),
            ),
            OctopusSecretProblem::Unfilled(empty) => SyncError::permanent(
                Code::OCTOPUS_SECRET_UNFILLED,
                format!(
                    "The secret {name} is still the stack's placeholder ({} empty): {fix}.",
                    empty.join(", ")
                ),
            ),
        })
    }
}
