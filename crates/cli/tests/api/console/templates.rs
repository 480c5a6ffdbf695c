//! The console's templates section over HTTP (see `crates/http/src/console/templates.rs`).
