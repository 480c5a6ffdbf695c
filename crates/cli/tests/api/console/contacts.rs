//! The console's contacts section over HTTP (see `crates/http/src/console/contacts.rs`).
