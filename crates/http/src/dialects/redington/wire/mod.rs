//! The Project API's objects, built from the core's.

pub mod message;
pub mod template;
