//! The simulated network's own plane, `/sandbox/…`: what happens on the users' side of a
//! sandbox channel. Errors use the management plane's envelope.
//!
//! # Layout
//! - `inbound`: a virtual user sends a message to a channel.
//! - `flows`: a virtual user completes a flow (`nfm_reply`).
//! - `groups`: virtual users join (by invite link), write in and leave groups; groups get
//!   suspended.
//! - `quality`: users rate a template (its quality, and Meta's pause ladder).
//! - `phone_quality`: a number's quality rating and messaging limit, with their webhooks.
//! - `verification`: the verification code the sandbox "sent" to a number.

mod flows;
mod groups;
pub(crate) mod inbound;
mod phone_quality;
mod quality;
mod verification;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sandbox/{phone_number_id}/inbound", post(inbound::inject))
        .route("/sandbox/{phone_number_id}/groups/join", post(groups::join))
        .route(
            "/sandbox/{phone_number_id}/groups/{group_id}/leave",
            post(groups::leave),
        )
        .route(
            "/sandbox/{phone_number_id}/groups/{group_id}/suspend",
            post(groups::suspend),
        )
        .route(
            "/sandbox/{phone_number_id}/groups/{group_id}/inbound",
            post(groups::inbound),
        )
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
