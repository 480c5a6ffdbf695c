//! The console's settings section over HTTP (see `crates/http/src/console/settings.rs`).
