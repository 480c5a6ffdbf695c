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
//!   their `format`; registered in [`register`]). A renderer may ask for more than the
//!   events: the stored messages they are about with their contact and charge
//!   (`wants_messages`, rendered in `render_in` with the attempt's number), one event per
//!   POST (`max_events`), and no `hub.challenge` handshake for receivers that know none
//!   (`verifies_url`).
//! - `OPERATIONS` in `mod.rs`: the provider's operations, listed in the OpenAPI document
//!   under the dialect's tag ([`openapi`]).
//! - tests that replay the seed's own documented examples verbatim
//!   (`crates/cli/tests/api/<dialect>/`).
//!
//! A multipart upload is read by `crate::kit::upload`, a send body by the Cloud plane's
//! parser (`crate::cloud::messages::parse_send`) when the provider's body is Meta's.
//!
//! Dialects: [`redington`] (seed 000), [`messagecentral`] (seed 001), [`httpapi`] (seed 002),
//! [`woztell`] (seed 003), [`onemsg`] (seed 004, at `/compat/1msg`).

pub mod httpapi;
pub mod messagecentral;
pub mod onemsg;
pub mod redington;
pub mod woztell;

use axum::Router;
use axum::middleware::from_fn;
use axum::routing::any;
use serde_json::{Map, Value, json};
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::render::manage_errors;
use crate::state::AppState;

/// Registers every dialect's webhook payload format with `app`.
pub fn register(app: &wagate_app::App) {
    redington::register(app);
    httpapi::register(app);
    onemsg::register(app);
}

/// The dialects' operations for the OpenAPI document: `(tags, paths)` to merge into it,
/// one tag per dialect. Their request and answer bodies are the providers' (see each
/// dialect's seed and README section); the document names each operation, its path, its
/// credential and its error body.
pub fn openapi() -> (Value, Value) {
    let mut paths = Map::new();
    let dialects = [
        (
            "redington",
            "Redington WhatsApp API (AiSensy-style Project API, seed 000): change the base \
             URL to `/compat/redington`; the project is a channel, `X-Project-API-Pwd` an API key",
            redington::BASE,
            redington::OPERATIONS,
            redington::auth::HEADER,
        ),
        (
            "messagecentral",
            "Message Central WhatsApp Now (seed 001): change the base URL to \
             `/compat/messagecentral`; the authToken is a JWT issued for an API key",
            messagecentral::BASE,
            messagecentral::OPERATIONS,
            "authToken",
        ),
        (
            "httpapi",
            "WhatsApp HTTP API v2.0.0 (instance style, seed 002): change the base URL to \
             `/compat/httpapi`; `token=` is an API key (query or form), the instance its \
             channel; every operation is also served as GET",
            httpapi::BASE,
            httpapi::OPERATIONS,
            "query:token",
        ),
        (
            "woztell",
            "WOZTELL Public API for WhatsApp Cloud (seed 003): change the base URL to \
             `/compat/woztell`; `accessToken` (query or JSON body) is an API key; the flow, \
             encryption, analytics, catalog and display-name endpoints also take \
             `X-Woztell-Payload` + `X-Woztell-SignedContext` (HMAC-SHA256 under the channel's \
             WOZTELL secret)",
            woztell::BASE,
            woztell::OPERATIONS,
            "query:accessToken",
        ),
        (
            "1msg",
            "1MSG.IO WhatsApp Business API 2.39 (seed 004): change the base URL to \
             `/compat/1msg`; the instance is a channel, `?token=` an API key",
            onemsg::BASE,
            onemsg::OPERATIONS,
            "query:token",
        ),
    ];
    let mut tags = Vec::new();
    for (tag, description, base, operations, header) in dialects {
        tags.push(json!({"name": tag, "description": description}));
        for (method, path, section, summary) in operations {
            let full = format!("{base}{path}");
            let mut parameters: Vec<Value> = full
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                .map(|name| {
                    json!({"name": name, "in": "path", "required": true,
                        "schema": {"type": "string"}})
                })
                .collect();
            // Every operation but the one that issues a token takes the credential.
            if !path.ends_with("/authentication/token") {
                // `query:<name>` for a credential in the query string.
                let (place, name) = header.split_once(':').unwrap_or(("header", header));
                parameters.push(json!({"name": name, "in": place, "required": true,
                    "schema": {"type": "string"}}));
            }
            let id = format!(
                "{tag}_{method}{}",
                path.replace(['/', '{', '}'], "_").trim_end_matches('_')
            );
            let error = json!({"description": "The dialect's error body",
                "content": {"application/json": {"schema": {"type": "object"}}}});
            let op = json!({
                "tags": [tag],
                "summary": summary,
                "description": format!("Seed {section}: the provider's request and answer shapes."),
                "operationId": id,
                "parameters": parameters,
                "responses": {
                    "200": {"description": "The provider's documented answer",
                        "content": {"application/json": {"schema": {"type": "object"}}}},
                    "400": error, "401": error, "404": error,
                },
            });
            let item = paths.entry(full).or_insert_with(|| json!({}));
            item[*method] = op;
        }
    }
    (Value::Array(tags), Value::Object(paths))
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
        .merge(messagecentral::router())
        .merge(httpapi::router())
        .merge(woztell::router())
        .merge(onemsg::router())
}
