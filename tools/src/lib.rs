//! `make demo` (`demo`), `make bench` (the `bench` binary) and the chaos run (`chaos`, also a test in
//! `tests/chaos.rs`): tools on top of the test harness and the simulators, kept apart so the tests do not link them.

pub mod chaos;
pub mod demo;
