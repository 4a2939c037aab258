//! The whole push flow on one machine: moto (DynamoDB, SQS FIFO from the template, Secrets Manager), both
//! simulators on one manual clock, the real receiver behind a Function URL emulator (the Focus simulator posts its
//! webhooks there), and the SQS event source ([`crate::event_source`]) that feeds the real poster real `SqsEvent`
//! batches and honours `batchItemFailures` the way Lambda's event source mapping does.

use std::sync::Arc;

use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use aws_lambda_events::event::sqs::SqsBatchResponse;
use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::response::IntoResponse;
use focus_octopus::clock::{Clock, ManualClock};
use focus_octopus::domain::{ConnectionId, DocumentKind, DocumentRef, JournalKey};
use focus_octopus::focus::{FocusEndpoints, FocusOAuthSecret};
use focus_octopus::store::{ConnectionConfig, DocumentRecord};
use focus_octopus::sync::receiver::Receiver;
use focus_octopus::sync::services::Deployment;
use serde_json::json;

pub use crate::event_source::{Batch, sqs_event};
use crate::event_source::{EventSource, kept_ids};
use crate::focus_sim::{self, FocusSim, rates};
use crate::http_server::{Served, serve};
use crate::octopus_sim::{self, OctopusSim};
use crate::{LocalAws, fixtures};

pub const WEBHOOK_SECRET: &str = "Zq8v3xKpW2mN7cRt5yHb9LdF4gJs6AeU1oXi0kPwQz";

pub struct PushWorld {
    pub aws: LocalAws,
    pub focus: FocusSim,
    pub octopus: OctopusSim,
    pub clock: ManualClock,
    pub conn: ConnectionId,
    pub deployment: Arc<Deployment>,
    pub receiver: Arc<Receiver>,
    function_url: Served,
}

/// Every Focus tax rate of the standard seed mapped to its Octopus VAT code, ledger 700000 by default.
pub fn push_config() -> ConnectionConfig {
    let mut config = fixtures::connection_config();
    config.focus_department_id = focus_sim::DEPARTMENT.into();
    config.octopus_dossier_id = octopus_sim::DOSSIER;
    config.invoice_journal = JournalKey::new("V1").expect("valid");
    config.credit_note_journal = JournalKey::new("V2").expect("valid");
    config.vat_codes = [
        (rates::VAT_21, "21"),
        (rates::VAT_12, "12"),
        (rates::VAT_6, "06"),
        (rates::VAT_0_EXEMPT, "00"),
        (rates::VAT_0_COCONTRACTOR, "45"),
        (rates::VAT_0_INTRA_EU, "46"),
        (rates::VAT_0_EXPORT, "47"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    config.default_ledger_account = Some("700000".into());
    config
}

/// What one run of the event-source emulator did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pumped {
    pub batches: usize,
    pub records: usize,
    pub kept: usize,
}

impl PushWorld {
    pub async fn start() -> Self {
        Self::start_with(push_config()).await
    }

    pub async fn start_with(config: ConnectionConfig) -> Self {
        Self::start_counting(config).await.0
    }

    /// A world whose DynamoDB operations are counted.
    pub async fn start_counting(config: ConnectionConfig) -> (Self, crate::counting::OperationCounter) {
        let clock = ManualClock::at(fixtures::test_start());
        let shared: focus_octopus::clock::SharedClock = Arc::new(clock.clone());
        let focus = FocusSim::start(shared.clone()).await;
        let octopus = OctopusSim::start(shared.clone()).await;
        let aws = LocalAws::start().await.expect("moto is running");
        let conn = ConnectionId::new("bakkerij").expect("valid id");
        let prefix = aws.table_name.clone();
        create_secrets(&aws, &focus, &conn, clock.now(), WEBHOOK_SECRET).await;
        let (dynamodb, counter) = crate::counting::counted_dynamodb(&aws.config);
        let store = focus_octopus::store::Store::new(dynamodb, aws.table_name.clone());
        store
            .connections()
            .create(&conn, &config, clock.now())
            .await
            .expect("a new connection");
        let deployment = Arc::new(Deployment::new(
            store,
            aws.secrets.clone(),
            aws.sqs.clone(),
            aws.documents_queue_url.clone(),
            prefix,
            FocusEndpoints {
                api: focus.url(),
                oauth: focus.url(),
            },
            octopus.url(),
            shared,
            fixtures::fast_retries(),
        ));
        let receiver = Arc::new(Receiver::new());
        let router = Router::new()
            .fallback(function_url)
            .with_state((deployment.clone(), receiver.clone()));
        let function_url = serve(router, 0).await.expect("a loopback port");
        let world = Self {
            aws,
            focus,
            octopus,
            clock,
            conn,
            deployment,
            receiver,
            function_url,
        };
        let types = focus_octopus::focus::EventType::RELEVANT
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect();
        world.focus.state().webhooks.push((world.webhook_url(), types));
        (world, counter)
    }

    /// The receiver's Function URL address.
    pub fn function_url(&self) -> String {
        self.function_url.url()
    }

    pub fn webhook_url(&self) -> String {
        format!("{}/hooks/{}/{WEBHOOK_SECRET}", self.function_url(), self.conn)
    }

    /// Runs the event-source emulator until the queue is empty (or `max_rounds` receives came back non-empty):
    /// batches of up to 10 in queue order, acknowledged records deleted, `batchItemFailures` made visible again.
    pub async fn pump(&self, max_rounds: usize) -> Pumped {
        self.pump_with(&self.deployment, max_rounds).await
    }

    /// [`Self::pump`] with another poster instance.
    pub async fn pump_with(&self, deployment: &Deployment, max_rounds: usize) -> Pumped {
        let mut pumped = Pumped::default();
        for _ in 0..max_rounds {
            let Some(batch) = self.receive_batch().await else { break };
            let response = focus_octopus::lambda::poster::handle(deployment, &batch.event).await;
            pumped.batches += 1;
            pumped.records += batch.len();
            pumped.kept += response.batch_item_failures.len();
            self.settle(&batch, &response).await;
        }
        pumped
    }

    /// One delivery round as Lambda's event source mapping does it over a few minutes: every message visible now
    /// is received once, in batches of up to 10; acknowledged ones are deleted, and `batchItemFailures` become
    /// visible again only after the round (their visibility timeout), so each counts one receive per round.
    pub async fn deliver_round(&self, deployment: &Deployment) -> Pumped {
        let mut pumped = Pumped::default();
        let mut kept = Vec::new();
        while let Some(batch) = self.receive_batch().await {
            let response = focus_octopus::lambda::poster::handle(deployment, &batch.event).await;
            pumped.batches += 1;
            pumped.records += batch.len();
            pumped.kept += response.batch_item_failures.len();
            self.settle_later(&batch, &response, &mut kept).await;
        }
        self.make_all_visible(&kept).await;
        pumped
    }

    /// The documents queue's event source (the same emulator the demo and the tools use).
    pub fn events(&self) -> EventSource {
        EventSource::new(self.aws.sqs.clone(), &self.aws.documents_queue_url)
    }

    /// The visibility timeout of these messages is over.
    pub async fn make_all_visible(&self, handles: &[String]) {
        self.events().visible_after(handles, 0).await.expect("moto answers");
    }

    /// [`Self::settle`], except that kept messages are only collected (to be made visible later).
    pub async fn settle_later(&self, batch: &Batch, response: &SqsBatchResponse, kept: &mut Vec<String>) {
        let handles = self.events().settle(batch, &kept_ids(response)).await;
        kept.extend(handles.expect("moto answers"));
    }

    /// The stored record of a document (it must have one).
    pub async fn record_of(&self, kind: DocumentKind, id: &str) -> DocumentRecord {
        let doc = DocumentRef::new(kind, id).expect("a Focus id");
        self.deployment
            .store
            .documents()
            .get(&self.conn, &doc)
            .await
            .expect("the table answers")
            .expect("a record")
    }

    /// Receives the next batch and runs the poster on it until it has stored its first booking in Octopus, then
    /// kills it there (before Octopus answers): the batch is returned unsettled.
    pub async fn poster_dies_after_booking(&self) -> Batch {
        let batch = self.receive_batch().await.expect("a message to post");
        let killed = self.octopus.after_next_booking();
        tokio::select! {
            _ = focus_octopus::lambda::poster::handle(&self.deployment, &batch.event) => panic!("the poster was to die"),
            _ = killed => {}
        }
        batch
    }

    /// One receive of up to 10 messages (in queue order) as the SQS event Lambda would deliver; `None` if empty.
    pub async fn receive_batch(&self) -> Option<Batch> {
        self.events().receive().await.expect("moto answers")
    }

    /// What Lambda does with the poster's answer: acknowledged records are deleted, `batchItemFailures` become
    /// visible again (their visibility timeout is over at once: the tests' clock is not SQS's).
    pub async fn settle(&self, batch: &Batch, response: &SqsBatchResponse) {
        let mut kept = Vec::new();
        self.settle_later(batch, response, &mut kept).await;
        self.make_all_visible(&kept).await;
    }

    /// The poster died during `batch`: nothing was acknowledged, every message comes back after its visibility
    /// timeout.
    pub async fn abandon(&self, batch: &Batch) {
        self.events().abandon(batch).await.expect("moto answers");
    }

    /// Another instance of the functions: same stack, its own clients and caches (a second Lambda sandbox).
    pub fn another_instance(&self) -> Arc<Deployment> {
        Arc::new(self.deployment_with_queue(&self.aws.documents_queue_url))
    }

    /// Messages waiting in the queue (visible or not).
    pub async fn queued(&self) -> usize {
        self.aws
            .queued(&self.aws.documents_queue_url)
            .await
            .expect("moto answers")
    }
}

/// A Function URL in front of the receiver: turns an HTTP request into the real event type and back.
async fn function_url(
    State((deployment, receiver)): State<(Arc<Deployment>, Arc<Receiver>)>,
    request: Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    // Lambda accepts bigger payloads than the receiver; let the receiver refuse them.
    let bytes = to_bytes(body, 6 * 1024 * 1024).await.unwrap_or_default();
    let headers: serde_json::Map<String, serde_json::Value> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), json!(v))))
        .collect();
    let event: LambdaFunctionUrlRequest = serde_json::from_value(json!({
        "version": "2.0",
        "rawPath": parts.uri.path(),
        "rawQueryString": parts.uri.query().unwrap_or_default(),
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous", "apiId": "local", "domainName": "localhost", "domainPrefix": "local",
            "requestId": uuid::Uuid::new_v4().to_string(), "routeKey": "$default", "stage": "$default",
            "time": "02/Mar/2026:09:00:00 +0000", "timeEpoch": 1772442000000i64,
            "http": { "method": parts.method.as_str(), "path": parts.uri.path(), "protocol": "HTTP/1.1",
                      "sourceIp": "127.0.0.1", "userAgent": "local" }
        },
        "body": String::from_utf8_lossy(&bytes),
        "isBase64Encoded": false
    }))
    .expect("a Function URL request");
    let response = focus_octopus::lambda::receiver::handle(&receiver, &deployment, &event).await;
    let status =
        axum::http::StatusCode::from_u16(response.status_code as u16).unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
    (status, response.body.unwrap_or_default()).into_response()
}

impl PushWorld {
    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// A connection's three secrets as the stack and an approval leave them: a fresh Focus pair, the Octopus login, the
/// webhook secret.
async fn create_secrets(
    aws: &LocalAws,
    focus: &FocusSim,
    conn: &ConnectionId,
    now: chrono::DateTime<chrono::Utc>,
    webhook_secret: &str,
) {
    let (access, refresh) = focus.issue_token_pair();
    let oauth = FocusOAuthSecret {
        client_id: focus_sim::CLIENT_ID.into(),
        client_secret: focus_sim::CLIENT_SECRET.into(),
        access_token: Some(access),
        refresh_token: Some(refresh),
        expires_at: Some(now + chrono::Duration::seconds(focus_sim::ACCESS_TOKEN_LIFETIME)),
        authorised_at: Some(now),
        account_id: None,
    };
    let octopus_secret = json!({
        "user": octopus_sim::USER, "password": octopus_sim::PASSWORD,
        "software_house_uuid": octopus_sim::SOFTWARE_HOUSE_UUID,
    });
    for (kind, text) in [
        ("focus-oauth", serde_json::to_string(&oauth).expect("serialisable")),
        ("octopus", octopus_secret.to_string()),
        ("webhook", webhook_secret.to_owned()),
    ] {
        aws.secrets
            .create_secret()
            .name(format!("{}/{conn}/{kind}", aws.table_name))
            .secret_string(text)
            .send()
            .await
            .expect("moto creates the secret");
    }
}

impl PushWorld {
    /// A second connection of the same Focus account: its own approval (pair), webhook secret and settings, the
    /// same Octopus login. Its webhook URL is registered too, so Focus sends it every department's events.
    pub async fn add_connection(&self, name: &str, config: &ConnectionConfig, webhook_secret: &str) -> ConnectionId {
        let conn = ConnectionId::new(name).expect("valid id");
        create_secrets(&self.aws, &self.focus, &conn, self.clock.now(), webhook_secret).await;
        self.deployment
            .store
            .connections()
            .create(&conn, config, self.clock.now())
            .await
            .expect("a new connection");
        let types = focus_octopus::focus::EventType::RELEVANT
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect();
        let url = format!("{}/hooks/{conn}/{webhook_secret}", self.function_url());
        self.focus.state().webhooks.push((url, types));
        conn
    }

    /// The same deployment with another queue address (for a queue that is down).
    pub fn deployment_with_queue(&self, queue_url: &str) -> Deployment {
        Deployment::new(
            self.deployment.store.clone(),
            self.aws.secrets.clone(),
            self.aws.sqs.clone(),
            queue_url.to_owned(),
            self.aws.table_name.clone(),
            FocusEndpoints {
                api: self.focus.url(),
                oauth: self.focus.url(),
            },
            self.octopus.url(),
            Arc::new(self.clock.clone()),
            fixtures::fast_retries(),
        )
    }

    /// A Function URL event as Lambda would deliver it.
    pub fn function_url_event(method: &str, path: &str, body: &str) -> LambdaFunctionUrlRequest {
        serde_json::from_value(json!({
            "version": "2.0", "rawPath": path, "rawQueryString": "",
            "headers": { "content-type": "application/json" },
            "requestContext": {
                "accountId": "anonymous", "apiId": "local", "domainName": "localhost", "domainPrefix": "local",
                "requestId": "r-1", "routeKey": "$default", "stage": "$default",
                "time": "02/Mar/2026:09:00:00 +0000", "timeEpoch": 1772442000000i64,
                "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                          "userAgent": "Teamleader" }
            },
            "body": body, "isBase64Encoded": false
        }))
        .expect("a Function URL request")
    }
}

impl PushWorld {
    /// A person changes the connection's settings (as `focus-octopus map` does), and two minutes pass so every
    /// instance has re-read them.
    pub async fn change_settings(&self, change: impl FnOnce(&mut ConnectionConfig)) {
        self.change_settings_now(change).await;
        self.clock.advance(chrono::Duration::minutes(2));
    }

    /// A person changes the connection's settings, and no time passes: running instances still hold the old ones.
    pub async fn change_settings_now(&self, change: impl FnOnce(&mut ConnectionConfig)) {
        let connections = self.deployment.store.connections();
        let current = connections
            .get(&self.conn)
            .await
            .expect("moto answers")
            .expect("a connection");
        let mut config = current.value.clone();
        change(&mut config);
        connections
            .update(&self.conn, &config, current.version, self.clock.now())
            .await
            .expect("no concurrent change");
    }
}
