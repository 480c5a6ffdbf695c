//! Provider dialects: the APIs of other WhatsApp providers, served at `/compat/{dialect}/…`
//! so an integration written for one of them works against wagate by changing its base URL.
//!
//! A dialect **translates and does nothing else**: it reads the provider's request shape,
//! calls the same services the Cloud and management planes call (so every rule, limit and
//! guarantee is the same), and writes the provider's answer shape. It never talks to the
//! store, never re-implements a rule, and never reaches the Cloud routes or the passthrough
//! to Meta: everything under `/compat/` is routed here, and a path no dialect serves is a
//! 404 here (tested in `crates/cli/tests/api/dialects.rs`).
//!
//! # Layout of a dialect
//!
//! One folder per dialect, `dialects/<name>/`, named after the provider:
//!
//! - `mod.rs`: what the provider is, its seed document, the routes (`router()`), and what
//!   cannot be real on Meta's Cloud API with the honest answer for each.
//! - `auth.rs`: the provider's credential shape (a header, a query token, a signed JWT…) as
//!   a [`Scheme`](crate::auth::Scheme) resolving to the same `Principal` an API key gives,
//!   and its extractor (`crate::auth::authenticate::<ItsScheme>`: rate limits included).
//! - `errors.rs`: an [`ErrorFormat`](crate::render::ErrorFormat) for the provider's error
//!   bodies, mapping every `ErrorCode` with an exhaustive `match` (no catch-all arm, so a
//!   new code cannot go unanswered); the routes are wrapped with `render(&ITS_FORMAT, …)`.
//! - `wire/`: the provider's request and response types, parsed into core commands at the
//!   boundary (`crate::kit` reads query/form/JSON parameters and `fields=` once for all).
//! - one file of thin handlers per resource (`messages.rs`, `templates.rs`, …).
//! - `webhook.rs`: the provider's callback payloads, a `Renderer` registered under the
//!   dialect's name with `App::register_payload_format` (subscriptions then name it as
//!   their `format`).
//! - tests that replay the seed's own documented examples verbatim.

pub mod redington;

use axum::Router;
use axum::middleware::from_fn;
use axum::routing::any;
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::render::manage_errors;
use crate::state::AppState;

/// Registers every dialect's webhook payload format with `app`.
pub fn register(app: &wagate_app::App) {
    redington::register(app);
}

/// Where dialects are mounted.
pub const PREFIX: &str = "/compat";

/// Every dialect's routes, with their full paths under [`PREFIX`]. A path no dialect
/// serves is answered here (management format, 404), never by the Cloud routes or the
/// passthrough to Meta: the catch-all routes below are more specific than the Cloud
/// plane's `/{object_id}/…`, and a dialect's own routes more specific still.
pub fn router() -> Router<AppState> {
    let unknown = || async {
        ApiError::new(
            ErrorCode::RouteNotFound,
            "no such dialect endpoint; see /docs for what wagate serves",
        )
    };
    Router::new()
        .route(PREFIX, any(unknown))
        .route(&format!("{PREFIX}/"), any(unknown))
        .route(&format!("{PREFIX}/{{*rest}}"), any(unknown))
        .layer(from_fn(manage_errors))
        // After the layer above: each dialect renders its own errors.
        .merge(redington::router())
}
