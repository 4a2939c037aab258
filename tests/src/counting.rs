//! Counts the AWS operations a client sends, by name, through an SDK interceptor: `make bench` reports the
//! DynamoDB operations per posted document with it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::Intercept;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Debug, Clone, Default)]
pub struct OperationCounter(Arc<Mutex<BTreeMap<String, u64>>>);

impl OperationCounter {
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }
}

impl Intercept for OperationCounter {
    fn name(&self) -> &'static str {
        "OperationCounter"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg.load::<Metadata>().map_or("unknown", |m| m.name()).to_owned();
        *self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(name)
            .or_default() += 1;
        Ok(())
    }
}

/// A DynamoDB client on `config` whose operations are counted.
pub fn counted_dynamodb(config: &aws_config::SdkConfig) -> (aws_sdk_dynamodb::Client, OperationCounter) {
    let counter = OperationCounter::default();
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(config)
            .interceptor(counter.clone())
            .build(),
    );
    (client, counter)
}

/// A Secrets Manager client on `config` whose operations are counted.
pub fn counted_secrets(config: &aws_config::SdkConfig) -> (aws_sdk_secretsmanager::Client, OperationCounter) {
    let counter = OperationCounter::default();
    let client = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(config)
            .interceptor(counter.clone())
            .build(),
    );
    (client, counter)
}
