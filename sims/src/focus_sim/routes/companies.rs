//! `companies`: listed (with `primary_address` instead of `addresses`), read, added, updated and tagged.

use serde_json::{Value, json};

use super::values::{filter_records, paged, updated_since};
use super::{Action, Reply, data, error, no_content, reply};
use crate::focus_sim::state::FocusState;

pub(super) fn actions() -> Vec<(&'static str, Action)> {
    vec![
        ("companies.list", |s, body| list_companies(s, body)),
        ("companies.info", |s, body| {
            match s.companies.iter().find(|c| c["id"] == body["id"]) {
                Some(c) => data(c.clone()),
                None => error(404, "Company not found"),
            }
        }),
        ("companies.add", add_company),
        ("companies.update", update_company),
        ("companies.tag", tag_company),
    ]
}

fn tag_company(s: &mut FocusState, body: &Value) -> Reply {
    let Some(c) = s.companies.iter_mut().find(|c| c["id"] == body["id"]) else {
        return error(404, "Company not found");
    };
    let mut tags: Vec<Value> = c["tags"].as_array().cloned().unwrap_or_default();
    for t in body["tags"].as_array().cloned().unwrap_or_default() {
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    c["tags"] = Value::Array(tags);
    no_content()
}

fn list_companies(s: &FocusState, body: &Value) -> Reply {
    if let Err(r) = updated_since(body) {
        return r;
    }
    let vat = body["filter"]["vat_number"].as_str();
    let tags: Vec<&str> = body["filter"]["tags"]
        .as_array()
        .map_or(Vec::new(), |t| t.iter().filter_map(Value::as_str).collect());
    let items = filter_records(&s.companies, body)
        .into_iter()
        .filter(|c| vat.is_none_or(|v| c["vat_number"].as_str() == Some(v)))
        .filter(|c| {
            tags.iter()
                .all(|t| c["tags"].as_array().is_some_and(|ct| ct.iter().any(|x| x == t)))
        })
        .map(|mut c| {
            // The list gives `primary_address` instead of `addresses`.
            let primary = c["addresses"]
                .as_array()
                .and_then(|a| a.iter().find(|x| x["type"] == "primary").map(|x| x["address"].clone()))
                .unwrap_or(Value::Null);
            if let Some(o) = c.as_object_mut() {
                o.remove("addresses");
                o.insert("primary_address".into(), primary);
            }
            c
        })
        .collect();
    paged(items, body)
}

fn add_company(s: &mut FocusState, body: &Value) -> Reply {
    let Some(name) = body["name"].as_str().filter(|n| !n.trim().is_empty()) else {
        return error(400, "Company name must not be empty");
    };
    let id = s.new_id();
    let now = s.now().to_rfc3339();
    let mut company = json!({
        "id": id, "name": name, "status": "active", "vat_number": null, "emails": [], "telephones": [],
        "addresses": [], "language": "nl", "tags": [], "custom_fields": [], "added_at": now, "updated_at": now,
    });
    for key in [
        "vat_number",
        "emails",
        "addresses",
        "language",
        "tags",
        "iban",
        "national_identification_number",
    ] {
        if let Some(v) = body.get(key) {
            company[key] = v.clone();
        }
    }
    s.companies.push(company);
    let created = json!({ "type": "company", "id": id });
    reply(
        201,
        Some(if s.created_bare {
            created
        } else {
            json!({ "data": created })
        }),
    )
}

fn update_company(s: &mut FocusState, body: &Value) -> Reply {
    let now = s.now().to_rfc3339();
    let Some(c) = s.companies.iter_mut().find(|c| c["id"] == body["id"]) else {
        return error(404, "Company not found");
    };
    for (k, v) in body.as_object().cloned().unwrap_or_default() {
        if k != "id" {
            c[k] = v;
        }
    }
    c["updated_at"] = json!(now);
    no_content()
}
