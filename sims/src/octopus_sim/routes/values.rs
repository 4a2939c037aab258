//! The shapes of values on Octopus's wire: timestamps in Belgian local time, amounts as exact JSON numbers, dates.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Brussels;
use rust_decimal::Decimal;
use serde_json::Value;

use super::{Reply, invalid_elements, technical};

/// `modifiedTimeStamp` in `yyyy-MM-dd HH:mm:ss.SSS`, read as Belgian local time. Malformed → 500; absent → the
/// start of time when the operation allows that, else 400.
pub(super) fn modified_since(query: &HashMap<String, String>, required: bool) -> Result<DateTime<Utc>, Reply> {
    let Some(text) = query.get("modifiedTimeStamp") else {
        return if required {
            Err(technical(400, "Invalid or missing parameters passed"))
        } else {
            Ok(DateTime::<Utc>::MIN_UTC)
        };
    };
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.3f").map_err(|_| invalid_elements())?;
    let at = Brussels
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(invalid_elements)?;
    Ok(at.with_timezone(&Utc))
}

pub fn number(d: Decimal) -> Value {
    serde_json::Number::from_str(&d.normalize().to_string())
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// An amount from a JSON number, exactly as written.
pub(super) fn money(v: &Value) -> Option<Decimal> {
    let n = v.as_number()?;
    let text = n.to_string();
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

pub(super) fn date(v: &Value) -> Result<NaiveDate, Reply> {
    v.as_str()
        .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .ok_or_else(invalid_elements)
}
