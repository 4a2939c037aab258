//! What a Focus account is set up with: the user, departments (company entities), tax rates, product categories
//! with their ledger accounts, payment methods and custom fields (docs/partners/focus.md §3.4, §3.5).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::refs::{Page, Ref};
use super::{FocusClient, FocusError};

/// `users.me`: `account.id` is the tenant key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub id: String,
    pub account: Ref,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Department {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub vat_number: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// A tax rate of one department. The 0 % variants (co-contractor, intra-EU, export, exempt) share `rate` 0 and
/// differ only by id and description: map them by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaxRate {
    pub id: String,
    pub description: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub rate: Decimal,
    pub department: Ref,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductCategory {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub ledgers: Vec<CategoryLedger>,
}

/// The ledger account of a product category in one department, such as "700000".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryLedger {
    pub department: Ref,
    pub ledger_account_number: String,
}

impl ProductCategory {
    pub fn ledger_for(&self, department_id: &str) -> Option<&str> {
        self.ledgers
            .iter()
            .find(|l| l.department.id == department_id)
            .map(|l| l.ledger_account_number.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldDefinition {
    pub id: String,
    pub context: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub label: String,
}

#[derive(Serialize)]
struct DepartmentFilter<'a> {
    filter: DepartmentOnly<'a>,
    page: Page,
}

#[derive(Serialize)]
struct DepartmentOnly<'a> {
    department_id: &'a str,
}

#[derive(Serialize)]
struct PageOnly {
    page: Page,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Id<'a> {
    id: &'a str,
}

impl FocusClient {
    pub async fn me(&self) -> Result<Me, FocusError> {
        self.call("users.me", &Empty {})
            .await?
            .ok_or(FocusError::UnexpectedResponse {
                action: "users.me",
                details: "no data".into(),
            })
    }

    /// `departments.list` (not paginated: Focus ignores `page` there).
    pub async fn departments(&self) -> Result<Vec<Department>, FocusError> {
        Ok(self.call("departments.list", &Empty {}).await?.unwrap_or_default())
    }

    pub async fn department(&self, id: &str) -> Result<Department, FocusError> {
        self.call("departments.info", &Id { id })
            .await?
            .ok_or(FocusError::UnexpectedResponse {
                action: "departments.info",
                details: "no data".into(),
            })
    }

    pub async fn tax_rates(&self, department_id: &str) -> Result<Vec<TaxRate>, FocusError> {
        super::paging::all_pages(|page| async move {
            let body = DepartmentFilter {
                filter: DepartmentOnly { department_id },
                page,
            };
            Ok(self.call("taxRates.list", &body).await?.unwrap_or_default())
        })
        .await
    }

    /// `productCategories.list` (not paginated in the documentation).
    pub async fn product_categories(&self, department_id: &str) -> Result<Vec<ProductCategory>, FocusError> {
        #[derive(Serialize)]
        struct Filter<'a> {
            filter: DepartmentOnly<'a>,
        }
        let body = Filter {
            filter: DepartmentOnly { department_id },
        };
        Ok(self.call("productCategories.list", &body).await?.unwrap_or_default())
    }

    pub async fn payment_methods(&self) -> Result<Vec<PaymentMethod>, FocusError> {
        super::paging::all_pages(|page| async move {
            Ok(self
                .call("paymentMethods.list", &PageOnly { page })
                .await?
                .unwrap_or_default())
        })
        .await
    }

    pub async fn custom_field_definitions(&self) -> Result<Vec<CustomFieldDefinition>, FocusError> {
        super::paging::all_pages(|page| async move {
            Ok(self
                .call("customFieldDefinitions.list", &PageOnly { page })
                .await?
                .unwrap_or_default())
        })
        .await
    }
}
