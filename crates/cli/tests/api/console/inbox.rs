//! The console's inbox section over HTTP (see `crates/http/src/console/inbox.rs`).
