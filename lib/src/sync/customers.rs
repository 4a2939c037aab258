//! Onboarding customers (docs/DESIGN.md §4.4): `match-customers` pairs existing Focus companies
//! and contacts with existing Octopus relations (it creates and deletes nothing); `import-relations` brings Octopus
//! customers that Focus does not have into Focus as companies tagged `Octopus Import`. Both store the links, so the
//! next sync of a linked customer's invoices creates no new relation.
//!
//! Octopus's full relation list may be read only twice a day; the `relations/modified` feed read from long ago gives
//! the same list at 48 a day, so that is what both use.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use serde::Serialize;

use super::error::SyncError;
use super::progress::{Progress, Stage};
use super::services::{Connection, Deployment};
use crate::domain::Code;
use crate::domain::matching::{Party, plan_matches};
use crate::domain::{ConnectionId, CustomerRef, ExternalRelationId, FocusCustomerType, OctopusRelationId};
use crate::focus::{Address, CompanyFilter, CompanyWrite, ContactFilter, Email, TypedAddress};
use crate::octopus::Relation;

pub const IMPORT_TAG: &str = "Octopus Import";

#[derive(Debug, Clone, Default, Serialize)]
pub struct MatchReport {
    pub linked: usize,
    pub would_be_created_on_next_sync: usize,
    pub ambiguous: usize,
    pub already_linked: usize,
    /// Each ambiguous Focus customer with the relations it could be.
    pub ambiguous_pairs: Vec<AmbiguousPair>,
    pub applied: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AmbiguousPair {
    pub focus: String,
    pub focus_name: String,
    pub octopus: Vec<String>,
}

/// Every Octopus client relation (active or not), keyed by relation id.
async fn octopus_clients(conn: &Connection) -> Result<BTreeMap<OctopusRelationId, Relation>, SyncError> {
    let long_ago = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid time");
    let feed = conn.octopus.modified_relations(long_ago).await?;
    Ok(feed
        .modified
        .into_iter()
        .filter(|r| r.client != Some(false))
        .filter_map(|r| r.relation_identification_service_data.relation_key.map(|k| (k.id, r)))
        .collect())
}

fn relation_name(r: &Relation) -> String {
    match (&r.first_name, &r.name) {
        (Some(first), Some(name)) if !first.is_empty() => format!("{first} {name}"),
        (_, Some(name)) => name.clone(),
        _ => String::new(),
    }
}

/// Focus companies and contacts as parties.
async fn focus_parties(
    conn: &Connection,
) -> Result<(Vec<Party<CustomerRef>>, BTreeMap<CustomerRef, String>), SyncError> {
    let mut parties = Vec::new();
    let mut names = BTreeMap::new();
    for c in conn.focus.companies(&CompanyFilter::default()).await? {
        let Ok(key) = CustomerRef::new(FocusCustomerType::Company, c.id.clone()) else {
            continue;
        };
        names.insert(key.clone(), c.name.clone());
        parties.push(Party {
            key,
            name: c.name,
            vat_number: c.vat_number,
            company_number: c.national_identification_number,
        });
    }
    for c in conn.focus.contacts(&ContactFilter::default()).await? {
        let Ok(key) = CustomerRef::new(FocusCustomerType::Contact, c.id.clone()) else {
            continue;
        };
        let name = format!("{} {}", c.first_name.unwrap_or_default(), c.last_name)
            .trim()
            .to_owned();
        names.insert(key.clone(), name.clone());
        parties.push(Party {
            key,
            name,
            vat_number: c.vat_number,
            company_number: None,
        });
    }
    Ok((parties, names))
}

/// Our external relation ids must stay above any Octopus already holds (another tool may have set them).
async fn raise_floor(
    deployment: &Deployment,
    conn: &ConnectionId,
    relations: &BTreeMap<OctopusRelationId, Relation>,
) -> Result<(), SyncError> {
    let max = relations
        .values()
        .filter_map(|r| r.relation_identification_service_data.external_relation_id)
        .max()
        .unwrap_or(0);
    if max > 0 {
        deployment
            .store
            .sequences()
            .raise_floor(conn, ExternalRelationId(max))
            .await?;
    }
    Ok(())
}

async fn link(
    deployment: &Deployment,
    conn: &ConnectionId,
    customer: &CustomerRef,
    relation: OctopusRelationId,
) -> Result<(), SyncError> {
    let now = deployment.clock.now();
    deployment.store.customers().reserve(conn, customer, now).await?;
    deployment
        .store
        .customers()
        .link(conn, customer, relation, None, now)
        .await?;
    Ok(())
}

/// Pairs Focus customers with Octopus relations; with `apply`, stores the links (nothing is created or deleted).
pub async fn match_customers(
    deployment: &Deployment,
    conn_id: &ConnectionId,
    apply: bool,
    progress: &dyn Progress,
) -> Result<MatchReport, SyncError> {
    let conn = deployment.connection(conn_id).await?;
    let relations = octopus_clients(&conn).await?;
    let (focus, names) = focus_parties(&conn).await?;
    let customers = deployment.store.customers();
    let mut report = MatchReport {
        applied: apply,
        ..Default::default()
    };
    // Customers and relations already linked stay as they are.
    let mut open_focus = Vec::new();
    let mut taken = std::collections::BTreeSet::new();
    let mut checking = Stage::start(progress, "Focus customers checked for a link", focus.len());
    for party in focus {
        checking.step();
        match customers
            .get(conn_id, &party.key)
            .await?
            .and_then(|m| m.octopus_relation_id)
        {
            Some(relation) => {
                report.already_linked += 1;
                taken.insert(relation);
            }
            None => open_focus.push(party),
        }
    }
    checking.end();
    let octopus: Vec<Party<OctopusRelationId>> = relations
        .iter()
        .filter(|(id, _)| !taken.contains(id))
        .map(|(id, r)| Party {
            key: *id,
            name: relation_name(r),
            vat_number: r.vat_nr.clone(),
            company_number: None,
        })
        .collect();
    let plan = plan_matches(&open_focus, &octopus);
    report.linked = plan.linked.len();
    report.would_be_created_on_next_sync = plan.unmatched.len();
    report.ambiguous = plan.ambiguous.len();
    report.ambiguous_pairs = plan
        .ambiguous
        .iter()
        .map(|(f, os)| AmbiguousPair {
            focus: f.to_string(),
            focus_name: names.get(f).cloned().unwrap_or_default(),
            octopus: os
                .iter()
                .map(|o| format!("{o} {}", relations.get(o).map(relation_name).unwrap_or_default()))
                .collect(),
        })
        .collect();
    if apply {
        raise_floor(deployment, conn_id, &relations).await?;
        let mut linking = Stage::start(progress, "links stored", plan.linked.len());
        for (customer, relation, _) in &plan.linked {
            link(deployment, conn_id, customer, *relation).await?;
            linking.step();
        }
        linking.end();
    }
    Ok(report)
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub created: usize,
    pub linked_to_existing: usize,
    pub already_linked: usize,
    pub ambiguous: usize,
    pub dry_run: bool,
}

fn company_from(relation: &Relation) -> CompanyWrite {
    let language = match relation.fact_language {
        Some(1) => "fr",
        Some(2) => "en",
        Some(3) => "de",
        _ => "nl",
    };
    CompanyWrite {
        id: None,
        name: relation_name(relation),
        vat_number: relation.vat_nr.clone(),
        emails: relation
            .email
            .iter()
            .map(|e| Email {
                kind: "primary".into(),
                email: e.clone(),
            })
            .collect(),
        addresses: vec![TypedAddress {
            kind: "primary".into(),
            address: Address {
                line_1: relation.street_and_nr.clone(),
                postal_code: relation.postal_code.clone(),
                city: relation.city.clone(),
                country: relation.country.clone(),
                addressee: None,
            },
        }],
        language: Some(language.into()),
        tags: vec![IMPORT_TAG.into()],
    }
}

/// Octopus customers Focus does not have become Focus companies tagged `Octopus Import`; ones Focus has are linked.
pub async fn import_relations(
    deployment: &Deployment,
    conn_id: &ConnectionId,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<ImportReport, SyncError> {
    let conn = deployment.connection(conn_id).await?;
    let relations = octopus_clients(&conn).await?;
    let (focus, _) = focus_parties(&conn).await?;
    let customers = deployment.store.customers();
    let mut report = ImportReport {
        dry_run,
        ..Default::default()
    };
    let mut open = Vec::new();
    let mut checking = Stage::start(progress, "Octopus relations checked for a link", relations.len());
    for (id, relation) in &relations {
        checking.step();
        if customers.find_by_relation(conn_id, *id).await?.is_some() {
            report.already_linked += 1;
        } else {
            open.push(Party {
                key: *id,
                name: relation_name(relation),
                vat_number: relation.vat_nr.clone(),
                company_number: None,
            });
        }
    }
    checking.end();
    // Relations Focus already has (by VAT number, company number or name) are linked, not created again.
    let plan = plan_matches(&open, &focus);
    report.linked_to_existing = plan.linked.len();
    report.ambiguous = plan.ambiguous.len();
    report.created = plan.unmatched.len();
    if dry_run {
        return Ok(report);
    }
    raise_floor(deployment, conn_id, &relations).await?;
    let mut linking = Stage::start(progress, "links to existing Focus customers stored", plan.linked.len());
    for (relation, customer, _) in &plan.linked {
        link(deployment, conn_id, customer, *relation).await?;
        linking.step();
    }
    linking.end();
    let mut creating = Stage::start(progress, "Focus companies created", plan.unmatched.len());
    for relation_id in &plan.unmatched {
        let company = conn.focus.add_company(&company_from(&relations[relation_id])).await?;
        let customer = CustomerRef::new(FocusCustomerType::Company, company.id)
            .map_err(|e| SyncError::permanent(Code::FOCUS_ID_INVALID, e.to_string()))?;
        link(deployment, conn_id, &customer, *relation_id).await?;
        creating.step();
    }
    creating.end();
    Ok(report)
}
