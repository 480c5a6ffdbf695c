//! Contacts (`/console/contacts`): the contact book, tags, attributes, opt-in and blocks, imports and exports.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
