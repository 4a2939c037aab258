//! `contacts`: people as customers, listed and read.

use super::values::{filter_records, paged};
use super::{Action, data, error};

pub(super) fn actions() -> Vec<(&'static str, Action)> {
    vec![
        ("contacts.list", |s, body| {
            paged(filter_records(&s.contacts, body), body)
        }),
        ("contacts.info", |s, body| {
            match s.contacts.iter().find(|c| c["id"] == body["id"]) {
                Some(c) => data(c.clone()),
                None => error(404, "Contact not found"),
            }
        }),
    ]
}
