//! wagate's HTTP surfaces, and the server itself as a library function.
//!
//! [`Server::build`] opens the store, bootstraps an empty database, binds nothing itself (the
//! caller passes a bound listener, so tests use port 0) and returns the server; [`Server::run`]
//! serves until the shutdown future completes, then stops accepting, lets in-flight requests
//! finish (bounded by `shutdown_grace_secs`), stops the background tasks and closes the store.
//!
//! # Planes
//! - `/api/v1/…` — the management plane ([`manage`]): our own REST API, errors in the
//!   `{"error":{"code",…}}` envelope, described by `/openapi.json` and `/docs`.
//! - `/{version}/…` and `/…` — the Cloud-API-compatible plane ([`cloud`]): Meta's paths, JSON
//!   and Graph errors.
//! - `/healthz`, `/readyz`, `/metrics` — probes and Prometheus ([`probes`]).
//! - `/webhooks/meta` — what Meta reports for cloud channels ([`upstream_webhooks`]).
//! - `/compat/{dialect}/…` — other providers' APIs ([`dialects`]), translated onto the same
//!   services; nothing under `/compat/` reaches the Cloud routes.
//!
//! Every handler returns [`error::ApiError`]; each surface renders it in its own
//! [`render::ErrorFormat`] in one place ([`render`]), so no handler builds an error body.
//!
//! # Layout
//! - [`auth`]: the `Auth` extractor (API key → `Principal`).
//! - [`extract`]: `Json`, `Query` and `Path` extractors whose rejections are `ApiError`s.
//! - [`state`]: `AppState`, what every handler can reach.
//! - [`idempotency`]: `Idempotency-Key` on every POST, one middleware per plane.
//! - [`kit`]: reading a request once for every plane and dialect: parameters merged from the
//!   query, a form or JSON, and Graph's `fields=` selection.

#![forbid(unsafe_code)]

pub mod auth;
pub mod cloud;
pub mod console;
pub mod dialects;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod kit;
pub mod manage;
pub mod metrics;
pub mod openapi;
pub mod probes;
pub mod render;
pub mod sandbox;
mod server;
pub mod state;
pub mod strict;
pub mod upstream_webhooks;

pub use server::{Server, router};
