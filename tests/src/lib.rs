//! The test harness of focus-octopus: a local AWS on moto whose resources come from `infra/template.yaml`, the
//! worlds that wire the real functions to the partner simulators (crate `focus-octopus-sims`, re-exported here),
//! and the capture of log lines. The demo, the bench and the chaos run are tools of their own (`tools/`).

pub mod aws_local;
pub mod counting;
pub mod event_source;
pub mod fixtures;
pub mod logs;
pub mod push_world;
pub mod template;

pub use aws_local::LocalAws;
/// The simulators live in their own crate; the tests reach them here as before.
pub use focus_octopus_sims::{bank, focus_sim, http_server, octopus_sim};
pub use template::Template;
