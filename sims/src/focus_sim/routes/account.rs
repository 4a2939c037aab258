//! What the account holds for every department: who approved (`users.me`), the departments, their tax rates,
//! product categories with ledgers, payment methods and custom field definitions.

use serde_json::{Value, json};

use super::values::{number, paged};
use super::{Action, Reply, data, error};
use crate::focus_sim::state::{FocusState, SimTaxRate};

pub(super) fn actions() -> Vec<(&'static str, Action)> {
    vec![
        ("users.me", users_me),
        ("departments.list", |s, _| data(Value::Array(s.departments.clone()))),
        ("departments.info", |s, body| {
            match s.departments.iter().find(|d| d["id"] == body["id"]) {
                Some(d) => data(d.clone()),
                None => error(404, "Department not found"),
            }
        }),
        ("taxRates.list", tax_rates),
        ("productCategories.list", product_categories),
        ("paymentMethods.list", |s, body| paged(s.payment_methods.clone(), body)),
        ("customFieldDefinitions.list", |s, body| {
            paged(s.custom_fields.clone(), body)
        }),
    ]
}

fn users_me(s: &mut FocusState, _: &Value) -> Reply {
    data(json!({
        "id": s.user_id,
        "account": { "type": "account", "id": s.caller_account.clone().unwrap_or_else(|| s.account_id.clone()) },
        "first_name": "An", "last_name": "Peeters", "email": "an@bakkerij-peeters.be",
        "language": "nl-BE", "time_zone": "Europe/Brussels",
    }))
}

fn tax_rates(s: &mut FocusState, body: &Value) -> Reply {
    let department = body["filter"]["department_id"].as_str();
    let mut rates: Vec<&SimTaxRate> = s
        .tax_rates
        .iter()
        .filter(|t| department.is_none_or(|d| d == t.department))
        .collect();
    rates.sort_by(|a, b| (&a.department, a.rate, &a.description).cmp(&(&b.department, b.rate, &b.description)));
    let items = rates
        .iter()
        .map(|t| {
            json!({ "id": t.id, "description": t.description, "rate": number(t.rate),
                          "department": { "type": "department", "id": t.department } })
        })
        .collect();
    paged(items, body)
}

fn product_categories(s: &mut FocusState, body: &Value) -> Reply {
    let department = body["filter"]["department_id"].as_str();
    let items = s
        .categories
        .iter()
        .filter(|c| {
            department.is_none_or(|d| {
                c["ledgers"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|x| x["department"]["id"] == d))
            })
        })
        .cloned()
        .collect();
    data(Value::Array(items))
}
