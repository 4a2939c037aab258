//! Companies and contacts (docs/partners/focus.md §3.3).

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use super::refs::{Page, Ref};
use super::{FocusClient, FocusError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Email {
    #[serde(rename = "type")]
    pub kind: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default)]
    pub line_1: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    /// ISO 3166 alpha-2.
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub addressee: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypedAddress {
    #[serde(rename = "type")]
    pub kind: String,
    pub address: Address,
}

/// Active or deactivated; later values kept as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    Active,
    Deactivated,
    #[serde(other)]
    Unknown,
}

/// `companies.info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    #[serde(deserialize_with = "super::refs::non_empty")]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub status: Option<RecordStatus>,
    #[serde(default)]
    pub business_type: Option<Ref>,
    /// Formats vary ("BE0899623035", "BE 0899.623.035"): normalise before comparing.
    #[serde(default)]
    pub vat_number: Option<String>,
    #[serde(default)]
    pub national_identification_number: Option<String>,
    #[serde(default)]
    pub emails: Vec<Email>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub addresses: Vec<TypedAddress>,
    /// `companies.list` gives this instead of `addresses`.
    #[serde(default)]
    pub primary_address: Option<Address>,
    #[serde(default)]
    pub iban: Option<String>,
    #[serde(default)]
    pub bic: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub updated_at: Option<DateTime<FixedOffset>>,
}

impl Company {
    /// The invoicing address, else the primary one.
    pub fn invoicing_address(&self) -> Option<&Address> {
        let of = |kind: &str| self.addresses.iter().find(|a| a.kind == kind).map(|a| &a.address);
        of("invoicing")
            .or_else(|| of("primary"))
            .or(self.primary_address.as_ref())
    }
}

/// `contacts.info` (a private person or a contact invoiced directly).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(deserialize_with = "super::refs::non_empty")]
    pub id: String,
    #[serde(default)]
    pub first_name: Option<String>,
    pub last_name: String,
    #[serde(default)]
    pub vat_number: Option<String>,
    #[serde(default)]
    pub emails: Vec<Email>,
    #[serde(default)]
    pub addresses: Vec<TypedAddress>,
    #[serde(default)]
    pub iban: Option<String>,
    #[serde(default)]
    pub bic: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub updated_at: Option<DateTime<FixedOffset>>,
}

/// The body of `companies.add` / `companies.update`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CompanyWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<Email>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<TypedAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CompanyFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "super::refs::with_offset")]
    pub updated_since: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ContactFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "super::refs::with_offset")]
    pub updated_since: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
}

#[derive(Serialize)]
struct Tag<'a> {
    id: &'a str,
    tags: &'a [String],
}

impl FocusClient {
    pub async fn companies_page(&self, filter: &CompanyFilter, page: Page) -> Result<Vec<Company>, FocusError> {
        self.list_page("companies.list", filter, page).await
    }

    pub async fn companies(&self, filter: &CompanyFilter) -> Result<Vec<Company>, FocusError> {
        super::paging::all_pages(|page| self.companies_page(filter, page)).await
    }

    pub async fn company(&self, id: &str) -> Result<Company, FocusError> {
        self.info("companies.info", id).await
    }

    /// `companies.add` → the new company's reference (201; both documented body shapes are read).
    pub async fn add_company(&self, company: &CompanyWrite) -> Result<Ref, FocusError> {
        self.call("companies.add", company)
            .await?
            .ok_or(FocusError::UnexpectedResponse {
                action: "companies.add",
                details: "no reference in the answer".into(),
            })
    }

    /// `companies.update`: collections sent replace the stored ones.
    pub async fn update_company(&self, company: &CompanyWrite) -> Result<(), FocusError> {
        self.call::<_, serde::de::IgnoredAny>("companies.update", company)
            .await
            .map(drop)
    }

    /// `companies.tag`: adds tags by name without touching the others.
    pub async fn tag_company(&self, id: &str, tags: &[String]) -> Result<(), FocusError> {
        self.call::<_, serde::de::IgnoredAny>("companies.tag", &Tag { id, tags })
            .await
            .map(drop)
    }

    pub async fn contacts_page(&self, filter: &ContactFilter, page: Page) -> Result<Vec<Contact>, FocusError> {
        self.list_page("contacts.list", filter, page).await
    }

    pub async fn contacts(&self, filter: &ContactFilter) -> Result<Vec<Contact>, FocusError> {
        super::paging::all_pages(|page| self.contacts_page(filter, page)).await
    }

    pub async fn contact(&self, id: &str) -> Result<Contact, FocusError> {
        self.info("contacts.info", id).await
    }
}
