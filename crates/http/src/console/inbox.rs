//! The inbox (`/console/inbox`): conversations by last activity, the thread, replies and templates, live over Server-Sent Events.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
