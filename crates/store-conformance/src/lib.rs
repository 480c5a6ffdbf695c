//! Test-only crate: see `tests/story.rs`, the conformance story every `Store` backend passes.
