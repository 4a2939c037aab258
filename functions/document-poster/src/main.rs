//! document-poster: consumes the FIFO queue of documents (SQS batch with `ReportBatchItemFailures`).
//! Until `sync::push_document` lands (issue #5) every record is reported as failed: SQS keeps it, and after five
//! receives moves it to the alarmed dead-letter queue, from which it can be redriven. Nothing is acknowledged
//! that was not processed.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};

fn handle(event: &SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in &event.records {
        let Some(id) = record.message_id.clone() else { continue };
        tracing::warn!(message_id = %id, "document posting is not available in this build; message kept");
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(handle(&event.payload))
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_is_kept_for_redelivery() {
        let event: SqsEvent = serde_json::from_value(serde_json::json!({"Records": [
            {"messageId": "m-1", "body": "{}", "attributes": {"MessageGroupId": "acme#invoice"},
             "messageAttributes": {}, "eventSource": "aws:sqs"},
            {"messageId": "m-2", "body": "{}", "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs"}
        ]}))
        .unwrap();
        let ids: Vec<_> = handle(&event)
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect();
        assert_eq!(ids, ["m-1", "m-2"]);
    }
}
