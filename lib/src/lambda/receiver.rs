//! webhook-receiver: a Function URL request → [`Receiver::handle`] → the Function URL response.

use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};

use crate::sync::receiver::{Receiver, Request};
use crate::sync::services::Deployment;

pub async fn handle(
    receiver: &Receiver,
    deployment: &Deployment,
    event: &LambdaFunctionUrlRequest,
) -> LambdaFunctionUrlResponse {
    let request = Request {
        method: event.request_context.http.method.as_deref().unwrap_or_default(),
        path: event.raw_path.as_deref().unwrap_or_default(),
        query: event.raw_query_string.as_deref().unwrap_or_default(),
        body: event.body.as_deref().unwrap_or_default(),
        base64: event.is_base64_encoded,
    };
    let answer = receiver.handle(deployment, &request).await;
    let mut response = LambdaFunctionUrlResponse::default();
    response.status_code = i64::from(answer.status);
    response.headers.insert(
        "content-type",
        answer.content_type.parse().expect("a static content type"),
    );
    response.body = Some(answer.body);
    response
}
