//! Platform: what every domain runs on, none of it a feature an API user sees by name.
//!
//! Opening the store and starting for the first time, keeping secrets at rest, the one
//! client every outbound HTTP request goes through, `Idempotency-Key` handling for any
//! request, the cache in front of the two per-request lookups, and the loop that runs the
//! domains' background workers.
//!
//! # Layout
//! - [`database`]: which store backend a `--database` value selects, and opening it.
//! - [`bootstrap`]: first start (account, sandbox channel, admin key, `credentials.env`).
//! - [`secrets`]: the master key of secrets at rest, and the files wagate keeps private.
//! - [`outbound`]: the outbound HTTP client and its private-network guard.
//! - [`idempotency`]: `Idempotency-Key` reservations, replays and their collector.
//! - `cache`: a small time-bounded cache for API keys and phone numbers.
//! - [`workers`]: the [`workers::Worker`] trait every background job implements, the one
//!   loop that runs them, and [`App::drain`](crate::App::drain) for tests.

pub mod bootstrap;
pub(crate) mod cache;
pub mod database;
pub mod idempotency;
pub mod outbound;
pub mod secrets;
pub mod workers;
