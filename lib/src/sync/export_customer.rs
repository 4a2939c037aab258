//! A document's customer exported to Octopus before its booking: the mapped relation, or one created (merged on a
//! retry) under our external relation id. VAT numbers are checked, never repaired (docs/DESIGN.md §5).

use chrono::{DateTime, Utc};

use super::error::SyncError;
use super::services::{Connection, Deployment};
use crate::domain::Code;
use crate::domain::customer::{clean_text, fact_language, read_bank_account, read_vat, vat_type};
use crate::domain::{CustomerRef, FocusCustomerType, OctopusRelationId};
use crate::octopus::{Relation, RelationIdentification, RelationSearch, RelationUpsert};

/// The customer's Octopus relation: from the mapping, else created (or merged, on a retry) with `PUT relations`
/// carrying our int32 external relation id, then linked.
pub(super) async fn ensure_customer(
    deployment: &Deployment,
    conn: &Connection,
    customer: &CustomerRef,
    now: DateTime<Utc>,
) -> Result<(OctopusRelationId, i32), SyncError> {
    let customers = deployment.store.customers();
    if let Some(mapping) = customers.get(&conn.id, customer).await?
        && let Some(relation) = mapping.octopus_relation_id
    {
        return Ok((relation, mapping.external_relation_id.0));
    }
    let mapping = customers.reserve(&conn.id, customer, now).await?;
    let external = mapping.external_relation_id.0;
    let (relation, cleaned) = relation_from_focus(conn, customer, external).await?;
    let relation_id = match conn.octopus.upsert_relation(&relation).await? {
        RelationUpsert::Created(created) => created.relation_identification_service_data.relation_key.map(|k| k.id),
        RelationUpsert::Updated => None,
    };
    let relation_id = match relation_id {
        Some(id) => id,
        // Merged into the relation an earlier attempt created: look it up by our external id.
        None => conn
            .octopus
            .search_relations(&RelationSearch::ExternalRelationId(external))
            .await?
            .into_iter()
            .find_map(|r| r.relation_identification_service_data.relation_key.map(|k| k.id))
            .ok_or_else(|| {
                SyncError::transient(
                    Code::OCTOPUS_RELATION_NOT_FOUND,
                    format!("Octopus merged {customer} but does not list it yet; retried."),
                )
            })?,
    };
    customers.link(&conn.id, customer, relation_id, None, now).await?;
    if let Some(cleaned) = cleaned {
        tracing::warn!(customer = %customer, "{cleaned}");
        customers.note_cleaned(&conn.id, customer, &cleaned, now).await?;
    }
    Ok((relation_id, external))
}

/// The Octopus relation of a Focus customer. The VAT number is checked, never repaired: an invalid one stops the
/// document with `CUSTOMER_VAT_NUMBER_INVALID` (docs/DESIGN.md §5). Names and address lines lose control and
/// direction-override characters; what was taken out is returned in words for the customer's record.
async fn relation_from_focus(
    conn: &Connection,
    customer: &CustomerRef,
    external: i32,
) -> Result<(Relation, Option<String>), SyncError> {
    // What the two kinds of Focus customer have in common, then one relation.
    let (name, first_name, address, vat_number, email, language, bank) = match customer.kind {
        FocusCustomerType::Company => {
            let c = conn.focus.company(&customer.id).await?;
            let address = c.invoicing_address().cloned();
            (
                c.name,
                None,
                address,
                c.vat_number,
                c.emails.into_iter().next(),
                c.language,
                (c.iban, c.bic),
            )
        }
        FocusCustomerType::Contact => {
            let c = conn.focus.contact(&customer.id).await?;
            let address = c.addresses.into_iter().next().map(|a| a.address);
            (
                c.last_name,
                c.first_name,
                address,
                c.vat_number,
                c.emails.into_iter().next(),
                c.language,
                (c.iban, c.bic),
            )
        }
    };
    let country = address.as_ref().and_then(|a| a.country.clone());
    let vat = read_vat(vat_number.as_deref().unwrap_or_default(), country.as_deref()).map_err(|invalid| {
        SyncError::permanent(
            Code::CUSTOMER_VAT_NUMBER_INVALID,
            format!(
                "The VAT number of {} ({customer}) is refused: {invalid}. Nothing was sent to Octopus. Correct it \
                 on the customer in Focus, then run `focus-octopus resync --failed`.",
                clean_text(&name).0
            ),
        )
    })?;
    let (iban, bic, bank_refused) = read_bank_account(bank.0.as_deref(), bank.1.as_deref());
    let mut cleaned = Vec::new();
    let mut clean = |field: &str, value: Option<String>| {
        value.map(|v| {
            let (text, removed) = clean_text(&v);
            if removed > 0 {
                cleaned.push(format!("{removed} from the {field}"));
            }
            text
        })
    };
    let relation = Relation {
        relation_identification_service_data: RelationIdentification {
            relation_key: None,
            external_relation_id: Some(external),
        },
        name: clean("name", Some(name)),
        first_name: clean("first name", first_name),
        client: Some(true),
        street_and_nr: clean("street", address.as_ref().and_then(|a| a.line_1.clone())),
        postal_code: clean("postal code", address.as_ref().and_then(|a| a.postal_code.clone())),
        city: clean("city", address.as_ref().and_then(|a| a.city.clone())),
        vat_type: Some(vat_type(vat.as_ref(), country.as_deref())),
        country,
        email: email.map(|e| e.email),
        currency_code: "EUR".into(),
        vat_nr: vat.map(|v| v.formatted),
        iban_account_nr: iban,
        bic_code: bic,
        fact_language: Some(fact_language(language.as_deref())),
        active: Some(true),
        ..Default::default()
    };
    let mut notes = Vec::new();
    if !cleaned.is_empty() {
        notes.push(format!(
            "Control or text-direction characters were taken out before export to Octopus: {}.",
            cleaned.join(", ")
        ));
    }
    if !bank_refused.is_empty() {
        notes.push(format!(
            "The customer went to Octopus without its bank account: {} (correct it in Focus; Octopus's bank import \
             then also matches payments by it).",
            bank_refused.join(" and ")
        ));
    }
    let note = (!notes.is_empty()).then(|| notes.join(" "));
    Ok((relation, note))
}
