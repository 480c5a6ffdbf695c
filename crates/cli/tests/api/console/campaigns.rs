//! The console's campaigns section over HTTP (see `crates/http/src/console/campaigns.rs`).
