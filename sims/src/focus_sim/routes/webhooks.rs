//! `webhooks`: registered per URL with the event types Focus knows, listed, unregistered per type.

use serde_json::{Value, json};

use super::{Action, Reply, data, error, no_content};
use crate::focus_sim::EVENT_TYPES;
use crate::focus_sim::state::FocusState;

pub(super) fn actions() -> Vec<(&'static str, Action)> {
    vec![
        ("webhooks.register", register),
        ("webhooks.list", |s, _| {
            let mut hooks = s.webhooks.clone();
            hooks.sort();
            data(Value::Array(
                hooks
                    .into_iter()
                    .map(|(url, types)| json!({ "url": url, "types": types }))
                    .collect(),
            ))
        }),
        ("webhooks.unregister", unregister),
    ]
}

fn register(s: &mut FocusState, body: &Value) -> Reply {
    let (Some(url), Some(types)) = (body["url"].as_str(), body["types"].as_array()) else {
        return error(400, "url and types are required");
    };
    if types.is_empty()
        || !types
            .iter()
            .all(|t| t.as_str().is_some_and(|t| EVENT_TYPES.contains(&t)))
    {
        return error(400, "types must be known event types");
    }
    let types: Vec<String> = types.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect();
    match s.webhooks.iter_mut().find(|(u, _)| u == url) {
        Some((_, existing)) => {
            for t in types {
                if !existing.contains(&t) {
                    existing.push(t);
                }
            }
        }
        None => s.webhooks.push((url.to_owned(), types)),
    }
    no_content()
}

fn unregister(s: &mut FocusState, body: &Value) -> Reply {
    let url = body["url"].as_str().unwrap_or_default();
    let types: Vec<&str> = body["types"]
        .as_array()
        .map_or(Vec::new(), |t| t.iter().filter_map(Value::as_str).collect());
    for (_, existing) in s.webhooks.iter_mut().filter(|(u, _)| u == url) {
        existing.retain(|t| !types.contains(&t.as_str()));
    }
    s.webhooks.retain(|(_, t)| !t.is_empty());
    no_content()
}
