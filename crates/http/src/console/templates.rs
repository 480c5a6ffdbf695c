//! Templates (`/console/templates`): the list, the create and edit form with a live preview and the core's lint, status history.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
