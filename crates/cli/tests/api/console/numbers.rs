//! The console's numbers section over HTTP (see `crates/http/src/console/numbers.rs`).
