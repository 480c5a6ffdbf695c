//! The simulated network's own plane, `/sandbox/…`: what happens on the users' side of a
//! sandbox channel. Errors use the management plane's envelope.
//!
//! # Layout
//! - `inbound`: a virtual user sends a message to a channel.
//! - `quality`: users rate a template (its quality, and Meta's pause ladder).

mod inbound;
mod quality;

use axum::Router;
use axum::routing::post;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sandbox/{phone_number_id}/inbound", post(inbound::inject))
        .route(
            "/sandbox/templates/{template_id}/quality",
            post(quality::rate),
        )
}
