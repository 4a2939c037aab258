//! Test support for focus-octopus: a local AWS on moto whose resources come from `infra/template.yaml`, and
//! the partner simulators (`octopus_sim`, served by `http_server`).

pub mod aws_local;
pub mod chaos;
pub mod counting;
pub mod demo;
pub mod fixtures;
pub mod focus_sim;
pub mod http_server;
pub mod octopus_sim;
pub mod push_world;
pub mod template;

pub use aws_local::LocalAws;
pub use template::Template;
