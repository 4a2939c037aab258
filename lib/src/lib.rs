//! focus-octopus: a self-hosted bridge between Teamleader Focus and Octopus.
//!
//! The whole behaviour lives in this crate; the Lambda functions in `functions/` only parse their event, build their
//! clients once and call one use case here.
//!
//! - [`domain`]: money, documents, customers, VAT and mapping rules: pure, no I/O.
//! - [`focus`], [`octopus`]: the partner API clients.
//! - [`store`]: DynamoDB persistence, one module per item kind.
//! - [`sync`]: the use cases.
//! - [`config`]: environment configuration of the functions; [`clock`]: time as a dependency.

pub mod clock;
pub mod config;
pub mod domain;
pub mod focus;
pub mod lambda;
pub mod logging;
pub mod octopus;
pub mod retry;
pub mod store;
pub mod sync;
