//! The console's webhooks section over HTTP (see `crates/http/src/console/webhooks.rs`).
