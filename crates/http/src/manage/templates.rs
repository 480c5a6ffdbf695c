//! `/api/v1/templates`: what the management plane adds to the Cloud plane's template API.
//! `POST /templates/{id}/preview` fills a template with a send's parameters through the same
//! check a send gets, without sending.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_core::content::SendComponents;
use wagate_core::error::ErrorCode;
use wagate_core::ids::TemplateId;
use wagate_core::template::{Rendered, TemplateStatus};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::manage::ErrorBody;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(preview))
}

/// The parameters to fill in: `components` exactly as under `template` in a Cloud API send
/// (`[{"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}, …]`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub components: Value,
}

/// What the user would receive.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    pub template_id: TemplateId,
    pub name: String,
    pub language: String,
    /// Sending needs `APPROVED`; a preview works in any status.
    pub status: TemplateStatus,
    pub rendered: Rendered,
}

/// Fill a template with a send's parameters, checked as a send would be (Meta's 132000,
/// 132005, 132012 and 132018 checks), without sending anything.
#[utoipa::path(post, path = "/templates/{id}/preview", operation_id = "preview_template", tag = "templates", request_body = PreviewRequest,
    params(("id" = String, Path, description = "Template id")),
    responses((status = 200, body = PreviewView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PreviewRequest>,
) -> Result<Json<PreviewView>, ApiError> {
    let template_id = ApiError::known(
        TemplateId::parse(&id),
        ErrorCode::TemplateNotFound,
        "template",
        &id,
    )?;
    let components = match SendComponents::parse(&body.components) {
        Ok(c) => c,
        Err(e) => {
            // An unknown template answers 404 before its components are judged.
            state
                .app
                .get_template(&p, &template_id)
                .await
                .map_err(|e| {
                    ApiError::naming(e, ErrorCode::TemplateNotFound, "template", id.clone())
                })?;
            return Err(e.into());
        }
    };
    let (template, rendered) = state
        .app
        .preview_template(&p, &template_id, &components)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::TemplateNotFound, "template", id.clone()))?;
    Ok(Json(PreviewView {
        template_id: template.id,
        name: template.name.as_str().to_owned(),
        language: template.language.as_str().to_owned(),
        status: template.status,
        rendered,
    }))
}
