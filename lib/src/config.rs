//! Environment configuration of the Lambda functions (the SAM template sets these variables).

use std::collections::HashMap;

use crate::domain::Code;
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
    /// Where the partners live (optional; the demo and the tests point these at the simulators).
    pub const FOCUS_API_URL: &str = "FOCUS_API_URL";
    pub const FOCUS_OAUTH_URL: &str = "FOCUS_OAUTH_URL";
    pub const OCTOPUS_API_URL: &str = "OCTOPUS_API_URL";
}

/// Octopus's production API, used unless `OCTOPUS_API_URL` says otherwise.
pub const OCTOPUS_API_URL: &str = "https://service.inaras.be/octopus-rest-api/v1";

/// Everything a function or the CLI takes from its environment, read in this one place: the names the template
/// sets, and the partners' addresses (the real services unless overridden).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub table_name: String,
    pub documents_queue_url: String,
    pub secrets_prefix: String,
    pub report_topic_arn: Option<String>,
    pub focus: crate::focus::FocusEndpoints,
    pub octopus_api_url: String,
}

impl Config {
    /// The configuration, or every required variable that is missing or empty, named at once.
    pub fn from_env(env: &Env) -> Result<Self, MissingVariables> {
        env.require_all(&[vars::TABLE_NAME, vars::DOCUMENTS_QUEUE_URL, vars::SECRETS_PREFIX])?;
        let optional = |name: &'static str| env.require(name).ok();
        let defaults = crate::focus::FocusEndpoints::default();
        Ok(Self {
            table_name: optional(vars::TABLE_NAME).unwrap_or_default(),
            documents_queue_url: optional(vars::DOCUMENTS_QUEUE_URL).unwrap_or_default(),
            secrets_prefix: optional(vars::SECRETS_PREFIX).unwrap_or_default(),
            report_topic_arn: optional(vars::REPORT_TOPIC_ARN),
            focus: crate::focus::FocusEndpoints {
                api: optional(vars::FOCUS_API_URL).unwrap_or(defaults.api),
                oauth: optional(vars::FOCUS_OAUTH_URL).unwrap_or(defaults.oauth),
            },
            octopus_api_url: optional(vars::OCTOPUS_API_URL).unwrap_or_else(|| OCTOPUS_API_URL.to_owned()),
        })
    }
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
    fn code(&self) -> Code {
        Code::CONFIG_ENV_MISSING
    }
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }
}

impl Failure for MissingVariable {
    fn code(&self) -> Code {
        Code::CONFIG_ENV_MISSING
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
    fn the_config_names_every_missing_variable_at_once_and_defaults_the_partners_to_the_real_services() {
        let missing =
            Config::from_env(&Env::from_pairs([(vars::TABLE_NAME, "t"), (vars::SECRETS_PREFIX, " ")])).unwrap_err();
        assert_eq!(missing.names, [vars::DOCUMENTS_QUEUE_URL, vars::SECRETS_PREFIX]);

        let names = [
            (vars::TABLE_NAME, "t"),
            (vars::DOCUMENTS_QUEUE_URL, "https://sqs/q.fifo"),
            (vars::SECRETS_PREFIX, "stack"),
        ];
        let real = Config::from_env(&Env::from_pairs(names)).unwrap();
        assert_eq!(real.octopus_api_url, OCTOPUS_API_URL);
        assert_eq!(real.focus, crate::focus::FocusEndpoints::default());
        assert_eq!(real.report_topic_arn, None);

        let local = Config::from_env(&Env::from_pairs(names.into_iter().chain([
            (vars::OCTOPUS_API_URL, "http://127.0.0.1:9"),
            (vars::REPORT_TOPIC_ARN, "arn"),
        ])))
        .unwrap();
        assert_eq!(local.octopus_api_url, "http://127.0.0.1:9");
        assert_eq!(local.report_topic_arn.as_deref(), Some("arn"));
        assert_eq!(local.table_name, "t");
    }

    #[test]
    fn a_missing_or_blank_variable_is_named_with_the_fix() {
        let env = Env::from_pairs([("TABLE_NAME", " focus-octopus "), ("DOCUMENTS_QUEUE_URL", " ")]);
        assert_eq!(env.require(vars::TABLE_NAME).unwrap(), "focus-octopus");
        let err = env.require(vars::DOCUMENTS_QUEUE_URL).unwrap_err();
        assert_eq!(err.name, "DOCUMENTS_QUEUE_URL");
        assert_eq!(err.code(), Code::CONFIG_ENV_MISSING);
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
