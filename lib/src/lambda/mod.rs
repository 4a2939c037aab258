//! The functions' entry points: each translates its Lambda event into the plain input of a use case in `sync/`
//! and the answer back into what Lambda expects. Only this module knows Lambda's event types; every function's
//! `main.rs` is the runtime's setup and a call to one `handle` here.

pub mod admin;
pub mod poster;
pub mod puller;
pub mod receiver;
