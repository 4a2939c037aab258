//! A local AWS for tests: one moto server per test process, and per test a fresh set of the stack's resources
//! created from `infra/template.yaml` under a unique stack name, so tests run in parallel without sharing state.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{OnceLock, mpsc};

use anyhow::{Context, Result, anyhow, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use focus_octopus::store::Store;
use serde_json::Value as Json;

use crate::template::{NotYet, Resolver, Template};

pub const REGION: &str = "eu-west-1";
/// moto's fixed account id.
pub const ACCOUNT_ID: &str = "123456789012";

static MOTO: OnceLock<Result<String, String>> = OnceLock::new();

/// The moto endpoint of this test process: `MOTO_ENDPOINT` when set, else a moto server started on a free
/// loopback port and stopped when the process ends.
pub fn moto_endpoint() -> Result<String> {
    MOTO.get_or_init(|| match std::env::var("MOTO_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => Ok(endpoint),
        _ => start_moto().map_err(|e| format!("{e:#}")),
    })
    .clone()
    .map_err(|e| anyhow!(e))
}

/// The Python that has the pinned moto: `MOTO_PYTHON`, else the project's `.venv` (made by `make setup`).
fn moto_python() -> PathBuf {
    if let Ok(python) = std::env::var("MOTO_PYTHON") {
        return python.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python")
}

/// moto's server with requests handled one at a time (see the script for why).
pub fn moto_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("moto/serial_moto_server.py")
}

/// Starts moto on port 0 and reads the port it bound from its start-up line: no guessing, no waiting loop.
///
/// The server is spawned from a thread that lives as long as the server (it drains the server's output), with
/// `PR_SET_PDEATHSIG`, so the kernel stops moto when the test process exits, however it exits.
fn start_moto() -> Result<String> {
    let binary = moto_python();
    let (ready, started) = mpsc::channel::<Result<String>>();
    std::thread::Builder::new().name("moto".into()).spawn(move || {
        let mut command = Command::new(&binary);
        command
            .arg(moto_script())
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                let _ = ready.send(Err(anyhow!(
                    "cannot start {} ({e}); run `make setup` to install moto into .venv",
                    binary.display()
                )));
                return;
            }
        };
        let stderr = child.stderr.take().expect("piped stderr");
        let mut announced = false;
        let mut early_output = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if !announced {
                if let Some(address) = line.split("Running on http://").nth(1) {
                    let address: String = address
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                        .collect();
                    let _ = ready.send(Ok(format!("http://{address}")));
                    announced = true;
                } else {
                    early_output.push(line);
                }
            }
        }
        if !announced {
            let _ = ready.send(Err(anyhow!(
                "moto exited before listening: {}",
                early_output.join(" | ")
            )));
        }
        let _ = child.wait();
    })?;
    started.recv().context("the moto thread ended")?
}

/// SDK configuration pointing at moto, with dummy credentials and a fixed region (never the metadata service).
pub async fn sdk_config() -> Result<SdkConfig> {
    let endpoint = moto_endpoint()?;
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "moto",
        ))
        .load()
        .await)
}

/// One test's stack: the table and queues of `infra/template.yaml`, created on moto under a unique name.
pub struct LocalAws {
    pub config: SdkConfig,
    pub stack_name: String,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub table_name: String,
    pub documents_queue_url: String,
    pub dead_letter_queue_url: String,
}

impl LocalAws {
    /// The stack of `infra/template.yaml`.
    pub async fn start() -> Result<Self> {
        Self::start_with(&Template::load()?).await
    }

    /// The stack of another template (to prove that the tests follow the template).
    pub async fn start_with(template: &Template) -> Result<Self> {
        let config = sdk_config().await?;
        let stack_name = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let mut resolver = Resolver {
            template,
            stack_name: stack_name.clone(),
            region: REGION.into(),
            account_id: ACCOUNT_ID.into(),
            refs: Default::default(),
            attributes: Default::default(),
        };
        let dynamodb = aws_sdk_dynamodb::Client::new(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);

        let tables: Vec<_> = template.resources_of_type("AWS::DynamoDB::Table").collect();
        let [(table_id, table)] = tables.as_slice() else {
            bail!(
                "the template should declare exactly one DynamoDB table, it declares {}",
                tables.len()
            );
        };
        let table_name = format!("{stack_name}-{table_id}");
        create_table(&dynamodb, &table_name, &resolver.resolve(properties(table)?)?).await?;
        resolver.refs.insert((*table_id).to_owned(), table_name.clone());

        // Queues may name each other (redrive policies): create each once what it names exists.
        let mut waiting: Vec<_> = template.resources_of_type("AWS::SQS::Queue").collect();
        while !waiting.is_empty() {
            let before = waiting.len();
            let mut still_waiting = Vec::new();
            for (id, queue) in waiting {
                match resolver.resolve(properties(queue)?) {
                    Ok(props) => {
                        let (url, arn, name) = create_queue(&sqs, id, &props).await?;
                        resolver.refs.insert(id.to_owned(), url);
                        resolver.attributes.insert(format!("{id}.Arn"), arn);
                        resolver.attributes.insert(format!("{id}.QueueName"), name);
                    }
                    Err(e) if e.downcast_ref::<NotYet>().is_some() => still_waiting.push((id, queue)),
                    Err(e) => return Err(e.context(format!("resolving queue {id}"))),
                }
            }
            if still_waiting.len() == before {
                bail!(
                    "queues refer to each other in a cycle: {:?}",
                    still_waiting.iter().map(|q| q.0).collect::<Vec<_>>()
                );
            }
            waiting = still_waiting;
        }

        let queue_url = |id: &str| {
            resolver
                .refs
                .get(id)
                .cloned()
                .ok_or_else(|| anyhow!("the template has no queue {id}"))
        };
        Ok(Self {
            documents_queue_url: queue_url("DocumentsQueue")?,
            dead_letter_queue_url: queue_url("DocumentsDeadLetterQueue")?,
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            config,
            stack_name,
            dynamodb,
            sqs,
            table_name,
        })
    }

    pub fn store(&self) -> Store {
        Store::new(self.dynamodb.clone(), &self.table_name)
    }

    /// Messages in a queue of this stack, visible or in flight.
    pub async fn queued(&self, queue_url: &str) -> Result<usize> {
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await?
            .attributes
            .unwrap_or_default();
        Ok(attributes.values().map(|v| v.parse::<usize>().unwrap_or(0)).sum())
    }
}

fn properties(resource: &serde_yaml_ng::Value) -> Result<&serde_yaml_ng::Value> {
    resource
        .get("Properties")
        .ok_or_else(|| anyhow!("resource without Properties"))
}

fn text<'a>(value: &'a Json, what: &str) -> Result<&'a str> {
    value
        .as_str()
        .ok_or_else(|| anyhow!("{what} should be text, is {value}"))
}

fn key_schema(value: &Json) -> Result<Vec<KeySchemaElement>> {
    value
        .as_array()
        .ok_or_else(|| anyhow!("KeySchema should be a list"))?
        .iter()
        .map(|k| {
            Ok(KeySchemaElement::builder()
                .attribute_name(text(&k["AttributeName"], "AttributeName")?)
                .key_type(KeyType::from(text(&k["KeyType"], "KeyType")?))
                .build()?)
        })
        .collect()
}

async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str, props: &Json) -> Result<()> {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::from(text(&props["BillingMode"], "BillingMode")?))
        .set_key_schema(Some(key_schema(&props["KeySchema"])?));
    for definition in props["AttributeDefinitions"].as_array().into_iter().flatten() {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(text(&definition["AttributeName"], "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(text(
                    &definition["AttributeType"],
                    "AttributeType",
                )?))
                .build()?,
        );
    }
    for index in props["GlobalSecondaryIndexes"].as_array().into_iter().flatten() {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(text(&index["IndexName"], "IndexName")?)
                .set_key_schema(Some(key_schema(&index["KeySchema"])?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(text(
                            &index["Projection"]["ProjectionType"],
                            "ProjectionType",
                        )?))
                        .build(),
                )
                .build()?,
        );
    }
    request.send().await.with_context(|| format!("creating table {name}"))?;

    if let Some(ttl) = props.get("TimeToLiveSpecification") {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(text(&ttl["AttributeName"], "TTL AttributeName")?)
                    .enabled(ttl["Enabled"].as_bool().unwrap_or(false))
                    .build()?,
            )
            .send()
            .await
            .context("enabling TTL")?;
    }
    if let Some(pitr) = props.get("PointInTimeRecoverySpecification") {
        client
            .update_continuous_backups()
            .table_name(name)
            .point_in_time_recovery_specification(
                PointInTimeRecoverySpecification::builder()
                    .point_in_time_recovery_enabled(pitr["PointInTimeRecoveryEnabled"].as_bool().unwrap_or(false))
                    .build()?,
            )
            .send()
            .await
            .context("enabling point-in-time recovery")?;
    }
    Ok(())
}

/// Creates a queue from its CloudFormation properties (they are named like the SQS attributes). Returns its URL,
/// ARN and name.
async fn create_queue(client: &aws_sdk_sqs::Client, id: &str, props: &Json) -> Result<(String, String, String)> {
    let object = props
        .as_object()
        .ok_or_else(|| anyhow!("queue {id} has no properties"))?;
    let name = object
        .get("QueueName")
        .map(|n| text(n, "QueueName").map(str::to_owned))
        .transpose()?
        .ok_or_else(|| anyhow!("queue {id} needs a QueueName"))?;
    let mut request = client.create_queue().queue_name(&name);
    for (key, value) in object {
        if key == "QueueName" || key == "Tags" {
            continue;
        }
        let value = match value {
            Json::String(s) => s.clone(),
            Json::Bool(b) => b.to_string(),
            Json::Number(n) => n.to_string(),
            other => other.to_string(),
        };
        request = request.attributes(QueueAttributeName::from(key.as_str()), value);
    }
    let url = request
        .send()
        .await
        .with_context(|| format!("creating queue {id}"))?
        .queue_url
        .ok_or_else(|| anyhow!("no URL for queue {id}"))?;
    let arn = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| anyhow!("no ARN for queue {id}"))?;
    Ok((url, arn, name))
}
