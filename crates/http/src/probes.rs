//! Probes and Prometheus: `/healthz` (the process answers), `/readyz` (the database answers,
//! within two seconds), `/metrics`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::manage::ErrorBody;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    pub status: &'static str,
    /// `sqlite` or `postgres` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// Liveness: the process is up.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "probes", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        database: None,
    })
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "probes",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let store = state.app.store();
    match tokio::time::timeout(Duration::from_secs(2), store.ping()).await {
        Ok(Ok(())) => Ok(Json(Health {
            status: "ready",
            database: Some(store.backend()),
        })),
        Ok(Err(e)) => {
            tracing::warn!(error.message = %e, "readiness: database unreachable");
            Err(ApiError::new(
                ErrorCode::NotReady,
                "the database is unreachable",
            ))
        }
        Err(_) => Err(ApiError::new(
            ErrorCode::NotReady,
            "the database did not answer within 2 s",
        )),
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "probes", responses((status = 200, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    state.queue_depth.refresh(state.app.store().as_ref()).await;
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
