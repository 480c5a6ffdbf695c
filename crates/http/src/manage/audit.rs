//! `/api/v1/audit-log`: who did what to which object, and when. Admin keys only.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_core::Timestamp;
use wagate_core::audit::{AuditAction, AuditEntry, AuditFilter};
use wagate_core::error::ErrorCode;
use wagate_core::ids::{ApiKeyId, AuditEntryId};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::manage::ErrorBody;
use crate::manage::paging::{List, ListQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this action (`channel.create`, `api_key.revoke`, `webhook.update`, …).
    #[param(value_type = Option<AuditAction>, inline)]
    pub action: Option<String>,
    /// Only actions taken with this API key.
    #[param(format = Uuid)]
    pub key_id: Option<String>,
    /// At or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Before this time (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// How many entries to return, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The previous page's `next_after`: continues with older entries.
    #[param(format = Uuid)]
    pub after: Option<String>,
}

fn query_error(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, message).field(field)
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, ApiError> {
        let time = |field: &str, v: &Option<String>| {
            v.as_deref()
                .map(|s| {
                    s.parse::<Timestamp>().map_err(|_| {
                        query_error(field, "must be an RFC 3339 time like 2026-11-21T10:00:00Z")
                    })
                })
                .transpose()
        };
        Ok(AuditFilter {
            action: self
                .action
                .as_deref()
                .map(|a| AuditAction::parse(a).map_err(|e| query_error("action", e.message)))
                .transpose()?,
            key_id: self
                .key_id
                .as_deref()
                .map(|k| {
                    k.parse::<ApiKeyId>()
                        .map_err(|_| query_error("key_id", "is not an API key id"))
                })
                .transpose()?,
            since: time("since", &self.since)?,
            until: time("until", &self.until)?,
        })
    }

    fn page(&self) -> Result<(wagate_store::Page<AuditEntryId>, usize), ApiError> {
        ListQuery {
            limit: self.limit,
            after: self.after.clone(),
        }
        .page()
    }
}

/// One management action.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: AuditEntryId,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The API key used; `null` for the operator at the admin CLI, and for a WOZTELL
    /// signed context (whose summary names the channel whose secret signed).
    pub key_id: Option<ApiKeyId>,
    /// `channel.create`, `api_key.revoke`, `webhook.update`, `template.delete`, …
    pub action: &'static str,
    pub target: AuditTargetView,
    /// What changed, briefly: field names and non-secret values, never tokens, secrets,
    /// PINs or message text.
    pub summary: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditTargetView {
    /// `channel`, `api_key`, `webhook`, `template`, `qr_code` or `waba`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            at: e.at,
            key_id: e.key_id,
            action: e.action.as_str(),
            target: AuditTargetView {
                kind: e.target.kind.as_str(),
                id: e.target.id,
            },
            summary: e.summary.as_str().to_owned(),
        }
    }
}

/// The account's audit log, newest first, filtered. Needs an admin key.
#[utoipa::path(get, path = "/audit-log", tag = "audit-log", params(AuditQuery),
    responses((status = 200, body = List<AuditEntryView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<AuditQuery>,
) -> Result<Json<List<AuditEntryView>>, ApiError> {
    let filter = q.filter()?;
    let (page, limit) = q.page()?;
    let rows = state.app.list_audit(&p, &filter, &page).await?;
    Ok(Json(List::from_rows(
        rows,
        limit,
        |e| e.id.to_string(),
        AuditEntryView::from,
    )))
}
