//! Teamleader Focus API client (docs/partners/focus.md): OAuth with rotating
//! single-use refresh tokens kept in Secrets Manager, pacing under 200 requests per sliding minute, typed models
//! with `Decimal` amounts, pagination without totals, and the webhook payload.

pub mod client;
pub mod customers;
pub mod documents;
pub mod error;
pub mod files;
pub mod oauth;
mod oauth_secret;
pub mod paging;
pub mod rate_limit;
pub mod refs;
pub mod settings;
pub mod webhooks;

pub use client::{API_VERSION, FocusClient, FocusEndpoints};
pub use customers::{Address, Company, CompanyFilter, CompanyWrite, Contact, ContactFilter, Email, TypedAddress};
pub use documents::{
    CreditNote, CreditNoteFilter, CreditNoteStatus, CreditNoteSummary, Discount, GroupedLines, Invoice, InvoiceFilter,
    InvoiceStatus, InvoiceSummary, Invoicee, LineItem, LineTotal, OneOrMany, Payment, TaxTotal, Totals,
};
pub use error::FocusError;
pub use files::DocumentFile;
pub use oauth_secret::{FocusOAuthSecret, authorize_url};
pub use refs::{Money, PAGE_SIZE, Page, Ref};
pub use settings::{CustomFieldDefinition, Department, Me, PaymentMethod, ProductCategory, TaxRate};
pub use webhooks::{EventType, Webhook, WebhookEvent, WebhookPayloadError, secrets_match};
