//! `POST /sandbox/templates/{template_id}/quality`: the template's users rate it. Meta rates
//! an approved template from its users' feedback; the sandbox has no users to complain, so
//! this sets the rating instead, with the webhooks Meta would send:
//!
//! ```json
//! {"score": "RED"}
//! ```
//!
//! - A new rating is a `message_template_quality_update` (previous and new score); the same
//!   rating again changes nothing.
//! - `RED` on an APPROVED template walks Meta's pause ladder: PAUSED for 3 hours
//!   (`other_info.title` FIRST_PAUSE), then 6 hours (SECOND_PAUSE), then DISABLED (with
//!   `disable_info`), each a `message_template_status_update`. A pause ends on its own (the
//!   template is APPROVED again, UNPAUSE).
//!
//! Only APPROVED or PAUSED templates of the caller's account are rated; an account-wide key
//! is needed. The answer is the template's state after the rating.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use wagate_core::Timestamp;
use wagate_core::error::ErrorCode;
use wagate_core::ids::TemplateId;
use wagate_core::template::{QualityScore, TemplateStatus};
use wagate_store::Template;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// The rating to give.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// `GREEN`, `YELLOW` or `RED` (any case).
    pub score: String,
}

impl TryFrom<Rate> for QualityScore {
    type Error = ApiError;

    /// Any of Meta's scores; the service refuses `UNKNOWN` (feedback cannot un-rate).
    fn try_from(r: Rate) -> Result<Self, ApiError> {
        Ok(QualityScore::parse_field(&r.score, "score")?)
    }
}

/// A template's quality and where it is on the pause ladder.
#[derive(Debug, Serialize)]
pub struct QualityView {
    pub id: String,
    pub status: TemplateStatus,
    pub quality_score: QualityScore,
    /// How often a RED rating paused (or disabled) it.
    pub pause_count: u32,
    /// While PAUSED: when the pause ends (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_until: Option<Timestamp>,
}

impl From<Template> for QualityView {
    fn from(t: Template) -> Self {
        Self {
            id: t.id.as_str().to_owned(),
            status: t.status,
            quality_score: t.quality_score.unwrap_or(QualityScore::Unknown),
            pause_count: t.pause_count,
            paused_until: t.paused_until,
        }
    }
}

/// Rates the template; unknown ids and other accounts' templates are `template_not_found`.
pub async fn rate(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(template_id): Path<String>,
    JsonBody(body): JsonBody<Rate>,
) -> Result<Json<QualityView>, ApiError> {
    let score = QualityScore::try_from(body)?;
    let id = ApiError::known(
        TemplateId::parse(&template_id),
        ErrorCode::TemplateNotFound,
        "template",
        &template_id,
    )?;
    let t =
        state.app.rate_template(&p, &id, score).await.map_err(|e| {
            ApiError::naming(e, ErrorCode::TemplateNotFound, "template", &template_id)
        })?;
    Ok(Json(t.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(s: &str) -> Result<QualityScore, String> {
        QualityScore::try_from(Rate {
            score: s.to_owned(),
        })
        .map_err(|e| format!("{}: {}", e.field.unwrap_or_default(), e.message))
    }

    #[test]
    fn scores() {
        assert_eq!(score("red"), Ok(QualityScore::Red));
        assert_eq!(score("GREEN"), Ok(QualityScore::Green));
        let bad = score("BLUE").unwrap_err();
        assert!(bad.starts_with("score: "), "{bad}");
        assert!(bad.contains("GREEN"), "{bad}");
    }
}
