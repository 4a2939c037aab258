//! hello-lambda: the baseline of `make bench`. The smallest `lambda_runtime` function that does the first work of a
//! real one: its first event reads one DynamoDB item (`GetItem` on `TABLE_NAME`), then it answers
//! `{"hello": "world"}`. Built the same way as ours, so cold starts and package sizes compare like for like.
//!
//! Its DynamoDB client is built before `run`, as the runtime's examples do; with `HELLO_LAZY_CLIENT` set, on the
//! first event instead (as our functions do), so the bench can show what the place of client set-up costs.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

async fn client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&aws_config::load_from_env().await)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let built = OnceCell::new();
    if std::env::var_os("HELLO_LAZY_CLIENT").is_none() {
        built.set(client().await).map_err(|_| "set twice")?;
    }
    let (built, table) = (&built, table.as_str());
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async move {
        let dynamodb = built.get_or_init(client).await;
        dynamodb
            .get_item()
            .table_name(table)
            .key("pk", AttributeValue::S("HELLO".into()))
            .key("sk", AttributeValue::S("HELLO".into()))
            .send()
            .await?;
        Ok::<_, Error>(json!({ "hello": "world" }))
    }))
    .await
}
