//! The partner simulators: Teamleader Focus (`focus_sim`) and Octopus (`octopus_sim`), HTTP servers on loopback
//! (`http_server`) that keep the partners' unpleasant behaviour: expiring and single-use tokens, 429s, daily
//! budgets from the vendored OpenAPI document, gapless numbers, journal locks. They take a clock from the caller
//! (the tests' manual one, or the system's) and never the limits of the code under test.

pub mod bank;
pub mod focus_sim;
pub mod http_server;
pub mod octopus_sim;
