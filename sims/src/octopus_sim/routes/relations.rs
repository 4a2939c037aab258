//! `relations`: customers and suppliers — searched (the scarce operation), listed whole, created or merged, and the
//! feed of those changed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use focus_octopus::octopus::Operation::{
    self, GetAllRelations, GetModifiedRelations, InsertUpdateRelation, SearchRelations,
};
use serde_json::{Value, json};

use super::values::modified_since;
use super::{
    Call, GET, Op, PUT, RELATION_SEARCH, Reply, Route, bad_parameters, in_dossier, list, not_found, ok, reply,
};
use crate::octopus_sim::state::{SimDossier, SimRelation};

pub(super) fn routes() -> Vec<Route> {
    let upsert = |d: &mut SimDossier, call: &Call| upsert_relation(d, call.body, call.now);
    vec![
        in_dossier("relations", GET, Op::ByQuery(search_or_all), get_relations),
        in_dossier("relations", PUT, InsertUpdateRelation, upsert),
        in_dossier("relations/modified", GET, GetModifiedRelations, modified),
    ]
}

/// With any search parameter `GET relations` is a search, with its own (smaller) daily limit.
fn search_or_all(query: &HashMap<String, String>) -> Operation {
    if RELATION_SEARCH.iter().any(|k| query.contains_key(*k)) {
        SearchRelations
    } else {
        GetAllRelations
    }
}

fn get_relations(d: &mut SimDossier, call: &Call) -> Reply {
    if call.op == SearchRelations {
        return search_relations(d, call.query);
    }
    list(
        d.relations
            .iter()
            .filter(|r| r.data["active"].as_bool() != Some(false))
            .map(|r| r.data.clone())
            .collect(),
        "No relations found",
    )
}

fn modified(d: &mut SimDossier, call: &Call) -> Reply {
    let since: DateTime<Utc> = match modified_since(call.query, false) {
        Ok(since) => since,
        Err(r) => return r,
    };
    let modified: Vec<Value> = d
        .relations
        .iter()
        .filter(|r| r.modified_at >= since)
        .map(|r| r.data.clone())
        .collect();
    if modified.is_empty() {
        return not_found("No modified relations found");
    }
    ok(json!({ "modified": modified, "deleted": [] }))
}

/// The text fields of `RelationServiceData` that Octopus answers with `""` when they are empty.
const RELATION_TEXT_FIELDS: [&str; 11] = [
    "name",
    "firstName",
    "streetAndNr",
    "postalCode",
    "city",
    "country",
    "telephone",
    "email",
    "vatNr",
    "externCustomerNr",
    "remarks",
];

/// Empty text fields of a stored relation become `""`, as Octopus answers them.
pub(in crate::octopus_sim) fn empty_texts_as_octopus_sends(data: &mut Value) {
    for field in RELATION_TEXT_FIELDS {
        if data.get(field).is_none_or(Value::is_null) {
            data[field] = json!("");
        }
    }
}

fn search_relations(d: &SimDossier, query: &HashMap<String, String>) -> Reply {
    let int = |k: &str| query.get(k).and_then(|v| v.parse::<i64>().ok());
    let (id, ext) = (int("relationId"), int("extRelationId"));
    let name = query.get("name").map(|n| n.to_lowercase());
    let vat = query.get("vatNr");
    // Octopus ORs the criteria and returns active and inactive relations. Name and VAT number match exactly
    // (case-insensitive for the name): the real matching rule is unknown, exact is the least forgiving.
    let found = d
        .relations
        .iter()
        .filter(|r| {
            id.is_some_and(|id| i64::from(r.id) == id)
                || ext.is_some_and(|e| r.external_id() == Some(e))
                || name
                    .as_ref()
                    .is_some_and(|n| r.data["name"].as_str().map(str::to_lowercase).as_ref() == Some(n))
                || vat.is_some_and(|v| r.data["vatNr"].as_str() == Some(v.as_str()))
        })
        .map(|r| r.data.clone())
        .collect();
    list(found, "No relations found")
}

fn upsert_relation(d: &mut SimDossier, body: &Value, now: DateTime<Utc>) -> Reply {
    if !body.is_object() {
        return bad_parameters("body");
    }
    let ident = &body["relationIdentificationServiceData"];
    if !ident.is_object() || body["currencyCode"].as_str().is_none() {
        return bad_parameters("currencyCode and relationIdentificationServiceData are required");
    }
    if let Some(ext) = ident.get("externalRelationId").filter(|v| !v.is_null())
        && ext.as_i64().and_then(|e| i32::try_from(e).ok()).is_none()
    {
        return bad_parameters("externalRelationId must be an int32");
    }
    if let Some(Err(r)) = body.get("vatNr").and_then(Value::as_str).map(check_belgian_vat_format) {
        return r;
    }
    let relation_id = ident["relationKey"]["id"].as_i64();
    let external_id = ident["externalRelationId"].as_i64();
    if let Some(i) = d.relation_index(relation_id, external_id) {
        // Merge: the fields sent replace the stored ones; the key stays.
        let existing = &mut d.relations[i];
        let key = existing.data["relationIdentificationServiceData"]["relationKey"].clone();
        for (k, v) in body.as_object().expect("checked above") {
            existing.data[k] = v.clone();
        }
        existing.data["relationIdentificationServiceData"]["relationKey"] = key;
        if existing.external_id().is_none() {
            existing.data["relationIdentificationServiceData"]["externalRelationId"] = json!(external_id.unwrap_or(0));
        }
        empty_texts_as_octopus_sends(&mut existing.data);
        existing.modified_at = now;
        return reply(204, None);
    }
    let id = d.next_relation_id;
    d.next_relation_id += 1;
    let mut data = json!({
        "expirationType": 2, "expirationDays": 30, "vatType": 0, "factLanguage": 0,
        "active": true, "client": true, "supplier": false,
    });
    for (k, v) in body.as_object().expect("checked above") {
        data[k] = v.clone();
    }
    data["relationIdentificationServiceData"] = json!({
        "relationKey": { "id": id },
        "externalRelationId": external_id.unwrap_or(0),
    });
    empty_texts_as_octopus_sends(&mut data);
    d.relations.push(SimRelation {
        id,
        data: data.clone(),
        modified_at: now,
    });
    reply(201, Some(data))
}

/// "In case BE, format should be BE0xxx.xxx.xxx" (spec, `RelationServiceData.vatNr`).
fn check_belgian_vat_format(vat: &str) -> Result<(), Reply> {
    if !vat.starts_with("BE") {
        return Ok(());
    }
    let b = vat.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let shaped = b.len() == 14
        && (2..6).all(digit)
        && b[6] == b'.'
        && (7..10).all(digit)
        && b[10] == b'.'
        && (11..14).all(digit)
        && matches!(b[2], b'0' | b'1');
    if shaped {
        Ok(())
    } else {
        Err(bad_parameters("vatNr: in case BE, format should be BE0xxx.xxx.xxx"))
    }
}
