//! The simulated network's own plane, `/sandbox/…`: what happens on the users' side of a
//! sandbox channel. Errors use the management plane's envelope.
//!
//! # Layout
//! - `inbound`: a virtual user sends a message to a channel.
//! - `flows`: a virtual user completes a flow (`nfm_reply`).
//! - `quality`: users rate a template (its quality, and Meta's pause ladder).
//! - `phone_quality`: a number's quality rating and messaging limit, with their webhooks.
//! - `verification`: the verification code the sandbox "sent" to a number.

mod flows;
mod inbound;
mod phone_quality;
mod quality;
mod verification;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sandbox/{phone_number_id}/inbound", post(inbound::inject))
        .route(
            "/sandbox/{phone_number_id}/flows/complete",
            post(flows::complete),
        )
        .route(
            "/sandbox/{phone_number_id}/quality",
            post(phone_quality::set),
        )
        .route(
            "/sandbox/{phone_number_id}/verification_code",
            get(verification::get),
        )
        .route(
            "/sandbox/templates/{template_id}/quality",
            post(quality::rate),
        )
}
