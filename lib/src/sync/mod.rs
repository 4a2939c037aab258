//! Use cases: push_document, pull_payments, sweep, import_relations, match_customers, doctor, resync, and the
//! admin command dispatcher. Each is called by one thin Lambda function and tested here without Lambda.

pub mod admin;
pub mod attach;
pub mod authorise;
mod cache;
pub mod connect;
mod connection;
pub mod customers;
pub mod doctor;
mod draft;
pub mod error;
mod export_customer;
pub mod focus_payment;
mod journal;
pub mod mapping;
pub mod messages;
pub mod outcome;
pub mod pause;
pub mod poster;
pub mod progress;
pub mod pull_payments;
pub mod puller;
pub mod push_document;
pub mod receiver;
pub mod resync;
mod review;
mod secrets;
pub mod services;
mod source;
pub mod status;
pub mod sweep;
