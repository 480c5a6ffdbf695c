//! The console's phone section over HTTP (see `crates/http/src/console/phone.rs`).
