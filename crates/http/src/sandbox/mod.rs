//! The simulated network's own plane, `/sandbox/…`: what happens on the users' side of a
//! sandbox channel. Errors use the management plane's envelope.

mod inbound;

use axum::Router;
use axum::routing::post;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/sandbox/{phone_number_id}/inbound", post(inbound::inject))
}
