//! The sandbox phone (`/console/phone`): chat as a virtual user of a sandbox number.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
