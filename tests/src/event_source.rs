//! Lambda's SQS event source mapping, locally — one emulator for the worlds, the chaos run, the bench and the demo:
//! receive up to 10 messages in queue order with their system attributes, hand them over as the `SqsEvent` Lambda
//! delivers, delete what the poster acknowledged, and make its `batchItemFailures` visible again when the caller's
//! clock says their visibility timeout is over.

use anyhow::{Context, Result};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use serde_json::{Value, json};

/// One received batch: the SQS messages, and the event built from them (typed, and as the JSON Lambda sends).
pub struct Batch {
    pub messages: Vec<Message>,
    pub event: SqsEvent,
    pub payload: Value,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Every message id of the batch: what a failed invocation gives back.
    pub fn all_ids(&self) -> Vec<String> {
        self.messages
            .iter()
            .filter_map(|m| m.message_id().map(str::to_owned))
            .collect()
    }
}

/// The message ids the poster asked to keep.
pub fn kept_ids(response: &SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

/// The event source of one queue.
#[derive(Clone)]
pub struct EventSource {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl EventSource {
    pub fn new(sqs: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            sqs,
            queue_url: queue_url.into(),
        }
    }

    /// One receive of up to 10 messages (in queue order); `None` if nothing is visible. Never a long poll: moto
    /// serves one request at a time, so a waiting receive would hold up everyone else.
    pub async fn receive(&self) -> Result<Option<Batch>> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .context("receiving from the documents queue")?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(None);
        }
        let payload = sqs_event(&messages);
        let event: SqsEvent = serde_json::from_value(payload.clone()).context("an SQS event")?;
        Ok(Some(Batch {
            messages,
            event,
            payload,
        }))
    }

    /// What Lambda does with the answer: acknowledged messages are deleted; the receipt handles of the `kept` ones
    /// are returned, still in flight until [`Self::visible_after`].
    pub async fn settle(&self, batch: &Batch, kept: &[String]) -> Result<Vec<String>> {
        let mut handles = Vec::new();
        for m in &batch.messages {
            let handle = m.receipt_handle().unwrap_or_default();
            if m.message_id().is_some_and(|id| kept.iter().any(|k| k == id)) {
                handles.push(handle.to_owned());
            } else {
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .context("deleting an acknowledged message")?;
            }
        }
        Ok(handles)
    }

    /// The visibility timeout of these in-flight messages ends after `seconds` (0: now).
    pub async fn visible_after(&self, handles: &[String], seconds: i32) -> Result<()> {
        for handle in handles {
            self.sqs
                .change_message_visibility()
                .queue_url(&self.queue_url)
                .receipt_handle(handle)
                .visibility_timeout(seconds)
                .send()
                .await
                .context("making a kept message visible again")?;
        }
        Ok(())
    }

    /// The poster died during `batch`: nothing was acknowledged, every message comes back.
    pub async fn abandon(&self, batch: &Batch) -> Result<()> {
        let handles: Vec<String> = batch
            .messages
            .iter()
            .map(|m| m.receipt_handle().unwrap_or_default().to_owned())
            .collect();
        self.visible_after(&handles, 0).await
    }
}

/// The SQS event JSON Lambda's event source mapping delivers for these received messages.
pub fn sqs_event(messages: &[Message]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, Value> = m
                .attributes()
                .map(|a| a.iter().map(|(k, v)| (k.as_str().to_owned(), json!(v))).collect())
                .unwrap_or_default();
            json!({
                "messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                "attributes": attributes, "messageAttributes": {}, "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:000000000000:documents.fifo",
                "awsRegion": "eu-west-1",
            })
        })
        .collect();
    json!({ "Records": records })
}
