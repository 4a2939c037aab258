//! Test support for focus-octopus: a local AWS on moto whose resources come from `infra/template.yaml`, and
//! (in later modules) the Focus and Octopus simulators.

pub mod aws_local;
pub mod fixtures;
pub mod template;

pub use aws_local::LocalAws;
pub use template::Template;
