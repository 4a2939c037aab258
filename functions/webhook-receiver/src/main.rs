//! webhook-receiver: the Function URL Focus calls (`POST /hooks/<connection>/<secret>`), and later the OAuth
//! callback. Until document posting lands (issue #5), a webhook is answered 503 so that Focus retries it later:
//! nothing is accepted that cannot be processed, nothing is lost.

use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};
use lambda_runtime::{Error, LambdaEvent, service_fn};

fn respond(status: i64, code: &str, message: &str) -> LambdaFunctionUrlResponse {
    let mut response = LambdaFunctionUrlResponse::default();
    response.status_code = status;
    response
        .headers
        .insert("content-type", "application/json".parse().expect("static header"));
    response.body = Some(serde_json::json!({ "code": code, "message": message }).to_string());
    response
}

fn handle(request: &LambdaFunctionUrlRequest) -> LambdaFunctionUrlResponse {
    let method = request.request_context.http.method.as_deref().unwrap_or_default();
    let path = request.raw_path.as_deref().unwrap_or_default();
    if method == "POST" && path.starts_with("/hooks/") {
        respond(
            503,
            "NOT_READY",
            "This deployment does not process webhooks yet; Focus will retry.",
        )
    } else {
        respond(404, "NOT_FOUND", "Nothing here.")
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(|event: LambdaEvent<LambdaFunctionUrlRequest>| async move {
        Ok::<_, Error>(handle(&event.payload))
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str) -> LambdaFunctionUrlRequest {
        serde_json::from_value(serde_json::json!({
            "version": "2.0",
            "rawPath": path,
            "rawQueryString": "",
            "headers": {"content-type": "application/json"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "abc", "domainName": "abc.lambda-url.eu-west-1.on.aws",
                "domainPrefix": "abc", "requestId": "r-1", "routeKey": "$default", "stage": "$default",
                "time": "28/Nov/2026:07:00:00 +0000", "timeEpoch": 1795849200000i64,
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                         "userAgent": "Teamleader"}
            },
            "body": "{\"type\":\"invoice.booked\",\"subject\":{\"type\":\"invoice\",\"id\":\"x\"}}",
            "isBase64Encoded": false
        }))
        .expect("a Function URL request")
    }

    #[test]
    fn a_webhook_is_not_accepted_before_the_poster_exists_so_focus_retries_it() {
        assert_eq!(handle(&request("POST", "/hooks/acme/s3cret")).status_code, 503);
    }

    #[test]
    fn other_paths_are_not_found() {
        assert_eq!(handle(&request("GET", "/")).status_code, 404);
    }
}
