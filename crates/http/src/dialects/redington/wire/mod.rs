//! The Project API's objects, built from the core's.

pub mod campaign;
pub mod contact;
pub mod message;
pub mod template;
