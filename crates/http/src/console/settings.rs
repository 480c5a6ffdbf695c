//! Settings (`/console/settings`, admin keys): channels, API keys, the sandbox template reviewer.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
