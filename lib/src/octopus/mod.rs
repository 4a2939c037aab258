//! Octopus API client: dossier tokens, per-operation daily budgets, typed requests and responses
//! (reference/octopus-api.md, reference/octopus/).

pub mod operations;

pub use operations::Operation;
