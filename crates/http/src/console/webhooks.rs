//! Webhooks (`/console/webhooks`): subscriptions, the delivery log, each attempt, replay.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
