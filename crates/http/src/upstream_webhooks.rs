//! `/webhooks/meta`: where Meta (or another wagate acting as the upstream) sends what
//! happens on cloud channels. Configure it as the callback URL of the Meta app, with a
//! verify token and app secret that the cloud channels carry (`upstream.verify_token`,
//! `upstream.app_secret`). See `wagate_app::upstream::ingest` for what a report does.
//!
//! - `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` answers the challenge as
//!   plain text when the token is a cloud channel's; 403 otherwise.
//! - `POST` with `X-Hub-Signature-256` answers `{"success": true}` once the report is
//!   stored; 401 for a body not signed with the app secret, 503 when Meta should send it
//!   again later. Errors use the management envelope.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;

/// Meta sends webhook bodies of up to 3 MiB.
const MAX_REPORT_BYTES: usize = 4 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/meta", get(verify).post(report))
        .layer(DefaultBodyLimit::max(MAX_REPORT_BYTES))
}

async fn verify(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<String, ApiError> {
    Ok(state
        .app
        .verify_meta_webhook(
            q.get("hub.mode").map(String::as_str),
            q.get("hub.verify_token").map(String::as_str),
            q.get("hub.challenge").map(String::as_str),
        )
        .await?)
}

async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    let done = state.app.ingest_meta_webhook(&body, signature).await?;
    tracing::debug!(
        statuses = done.statuses,
        inbound = done.inbound,
        ignored = done.ignored,
        "upstream report applied"
    );
    Ok(Json(json!({"success": true})))
}
