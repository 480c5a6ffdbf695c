//! Numbers and money (`/console/numbers`): per-channel dashboards with SVG charts, the wallet, its ledger and the rate card.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
