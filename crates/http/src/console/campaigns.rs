//! Campaigns (`/console/campaigns`): the wizard, live progress, pause, resume, cancel, the audience and daily analytics.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
