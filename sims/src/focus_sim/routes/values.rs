//! The shapes Focus's answers and filters share: numbers and money, pages without totals, `updated_since`, the
//! `ids`/`term` filter of the CRM lists.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Reply, data, error};

pub fn number(d: Decimal) -> Value {
    serde_json::Number::from_str(&d.normalize().to_string())
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

pub(super) fn money(d: Decimal) -> Value {
    json!({ "amount": number(d), "currency": "EUR" })
}

pub(super) fn page_of(body: &Value) -> Result<(usize, usize), Reply> {
    let size = body["page"]["size"].as_u64().unwrap_or(20) as usize;
    let number = body["page"]["number"].as_u64().unwrap_or(1).max(1) as usize;
    if size == 0 || size > 100 {
        return Err(error(400, "page.size must be between 1 and 100"));
    }
    Ok((size, number))
}

/// One page of `items`, without totals.
pub(super) fn paged(items: Vec<Value>, body: &Value) -> Reply {
    match page_of(body) {
        Ok((size, number)) => data(Value::Array(
            items.into_iter().skip((number - 1) * size).take(size).collect(),
        )),
        Err(r) => r,
    }
}

pub(super) fn updated_since(body: &Value) -> Result<Option<DateTime<Utc>>, Reply> {
    match body["filter"]["updated_since"].as_str() {
        None => Ok(None),
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| error(400, "filter.updated_since must be an ISO 8601 date-time")),
    }
}

pub(super) fn filter_records(records: &[Value], body: &Value) -> Vec<Value> {
    let f = &body["filter"];
    let term = f["term"].as_str().map(str::to_lowercase);
    let ids: Option<Vec<&str>> = f["ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let since = updated_since(body).ok().flatten();
    records
        .iter()
        .filter(|r| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&r["id"].as_str().unwrap_or_default()))
        })
        .filter(|r| {
            term.as_ref().is_none_or(|t| {
                let name = format!("{} {} {}", r["name"], r["first_name"], r["last_name"]).to_lowercase();
                name.contains(t) || r["vat_number"].as_str().is_some_and(|v| v.to_lowercase().contains(t))
            })
        })
        .filter(|r| {
            since.is_none_or(|since| {
                r["updated_at"]
                    .as_str()
                    .and_then(|u| DateTime::parse_from_rfc3339(u).ok())
                    .is_some_and(|u| u > since)
            })
        })
        .cloned()
        .collect()
}
