//! Environment configuration of the Lambda functions (the SAM template sets these variables).

use std::collections::HashMap;

use crate::domain::{ErrorClass, Failure};

/// Names of the environment variables, as set by `infra/template.yaml`.
pub mod vars {
    /// DynamoDB table holding every item of every connection.
    pub const TABLE_NAME: &str = "TABLE_NAME";
    /// URL of the FIFO queue of documents to post.
    pub const DOCUMENTS_QUEUE_URL: &str = "DOCUMENTS_QUEUE_URL";
    /// Secrets Manager name prefix: `<prefix>/<connection>/focus-oauth|octopus|webhook`.
    pub const SECRETS_PREFIX: &str = "SECRETS_PREFIX";
    /// SNS topic for run reports and failures.
    pub const REPORT_TOPIC_ARN: &str = "REPORT_TOPIC_ARN";
}

#[derive(Debug, thiserror::Error)]
#[error(
    "The function's environment variable {name} is missing or empty. It is set by infra/template.yaml; redeploy the \
     stack, or set it when running the function locally."
)]
pub struct MissingVariable {
    pub name: &'static str,
}

/// Every variable missing at once, so a person fixes them in one go.
#[derive(Debug, thiserror::Error)]
#[error("The environment variable{} {} {} missing or empty.", if names.len() == 1 { "" } else { "s" }, names.join(", "), if names.len() == 1 { "is" } else { "are" })]
pub struct MissingVariables {
    pub names: Vec<&'static str>,
}

impl Failure for MissingVariables {
    fn code(&self) -> &'static str {
        "CONFIG_ENV_MISSING"
    }
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }
}

impl Failure for MissingVariable {
    fn code(&self) -> &'static str {
        "CONFIG_ENV_MISSING"
    }
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }
}

/// Reads variables from a map, so the rules are tested without touching the process environment.
#[derive(Debug, Clone, Default)]
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
    }

    /// Fails naming every one of `names` that is missing or empty.
    pub fn require_all(&self, names: &[&'static str]) -> Result<(), MissingVariables> {
        let names: Vec<&'static str> = names.iter().copied().filter(|n| self.require(n).is_err()).collect();
        if names.is_empty() {
            Ok(())
        } else {
            Err(MissingVariables { names })
        }
    }

    /// The same variables, with `defaults` for the ones missing or empty.
    pub fn with_defaults(mut self, defaults: &[(&str, &str)]) -> Self {
        for (name, value) in defaults {
            if self.0.get(*name).is_none_or(|v| v.trim().is_empty()) {
                self.0.insert((*name).to_owned(), (*value).to_owned());
            }
        }
        self
    }

    pub fn require(&self, name: &'static str) -> Result<String, MissingVariable> {
        match self.0.get(name) {
            Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
            _ => Err(MissingVariable { name }),
        }
    }
}

/// The AWS SDK configuration: region, credentials and endpoint from the standard environment (in Lambda, the
/// execution role; locally, `AWS_ENDPOINT_URL` pointing at moto).
pub async fn aws_sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_blank_variable_is_named_with_the_fix() {
        let env = Env::from_pairs([("TABLE_NAME", " focus-octopus "), ("DOCUMENTS_QUEUE_URL", " ")]);
        assert_eq!(env.require(vars::TABLE_NAME).unwrap(), "focus-octopus");
        let err = env.require(vars::DOCUMENTS_QUEUE_URL).unwrap_err();
        assert_eq!(err.name, "DOCUMENTS_QUEUE_URL");
        assert_eq!(err.code(), "CONFIG_ENV_MISSING");
        assert!(err.to_string().contains("redeploy"));
        assert!(env.require(vars::SECRETS_PREFIX).is_err());
        let all = env
            .require_all(&[vars::TABLE_NAME, vars::DOCUMENTS_QUEUE_URL, vars::SECRETS_PREFIX])
            .unwrap_err();
        assert_eq!(all.names, ["DOCUMENTS_QUEUE_URL", "SECRETS_PREFIX"]);
        assert_eq!(
            all.to_string(),
            "The environment variables DOCUMENTS_QUEUE_URL, SECRETS_PREFIX are missing or empty."
        );
    }
}
