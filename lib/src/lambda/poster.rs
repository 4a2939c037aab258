//! document-poster: an SQS batch (FIFO, `ReportBatchItemFailures`) → [`post_batch`] → the records to deliver again.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use crate::sync::poster::{Queued, post_batch};
use crate::sync::services::Deployment;

/// The batch in queue order; a record without a message id cannot be reported back and is left out.
pub async fn handle(deployment: &Deployment, event: &SqsEvent) -> SqsBatchResponse {
    let batch: Vec<Queued> = event
        .records
        .iter()
        .filter_map(|record| {
            Some(Queued {
                id: record.message_id.clone()?,
                group: record.attributes.get("MessageGroupId").cloned().unwrap_or_default(),
                body: record.body.clone().unwrap_or_default(),
            })
        })
        .collect();
    let mut response = SqsBatchResponse::default();
    for id in post_batch(deployment, &batch).await {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}
