//! `POST /sandbox/{phone_number_id}/quality`: sets a sandbox number's quality rating and/or
//! messaging limit, as Meta's rating and growth would, with the webhooks Meta would send:
//!
//! ```json
//! {"quality_rating": "RED", "messaging_limit_tier": "TIER_2K"}
//! ```
//!
//! - `quality_rating`: `GREEN`, `YELLOW` or `RED`; `messaging_limit_tier`: `TIER_250`,
//!   `TIER_2K`, `TIER_10K`, `TIER_100K` or `TIER_UNLIMITED` (Meta's spelling). At least one.
//! - Each move Meta reports is a `phone_number_quality_update`: a higher tier is `UPGRADE`, a
//!   lower one `DOWNGRADE` (both with `old_limit`); falling to RED is `FLAGGED`, leaving it
//!   `UNFLAGGED`. GREEN ↔ YELLOW changes the rating without a webhook.
//! - Setting what is already set changes nothing (`"changed": false`, no events).
//!
//! Only the caller's sandbox numbers: another account's id is `channel_not_found`, a cloud
//! channel's is `invalid_request` (Meta rates it). The answer is the number's standing after
//! the change and the webhook values recorded.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wagate_app::channels::quality::{QualityChange, QualityOutcome};
use wagate_core::channel::{MessagingLimitTier, QualityRating};

use crate::auth::Auth;
use crate::cloud::phone_number;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// The standing to set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetQuality {
    /// `GREEN`, `YELLOW` or `RED`.
    pub quality_rating: Option<String>,
    /// `TIER_250`, `TIER_2K`, `TIER_10K`, `TIER_100K` or `TIER_UNLIMITED`.
    pub messaging_limit_tier: Option<String>,
}

impl TryFrom<SetQuality> for QualityChange {
    type Error = ApiError;

    fn try_from(b: SetQuality) -> Result<Self, ApiError> {
        Ok(QualityChange {
            quality_rating: b
                .quality_rating
                .as_deref()
                .map(QualityRating::parse)
                .transpose()?,
            messaging_limit_tier: b
                .messaging_limit_tier
                .as_deref()
                .map(MessagingLimitTier::parse)
                .transpose()?,
        })
    }
}

/// A number's standing after the change.
#[derive(Debug, Serialize)]
pub struct QualityView {
    pub phone_number_id: String,
    pub quality_rating: QualityRating,
    pub messaging_limit_tier: MessagingLimitTier,
    /// The rating or the limit moved.
    pub changed: bool,
    /// The `phone_number_quality_update` values recorded, in the order subscribers get them.
    pub events: Vec<Value>,
}

impl From<QualityOutcome> for QualityView {
    fn from(o: QualityOutcome) -> Self {
        Self {
            phone_number_id: o.channel.phone_number_id.as_str().to_owned(),
            quality_rating: o.channel.quality_rating,
            messaging_limit_tier: o.channel.messaging_limit_tier,
            changed: o.changed,
            events: o.updates.iter().map(|u| u.value()).collect(),
        }
    }
}

/// Sets the number's quality and/or limit; unknown ids and other accounts' numbers are
/// `channel_not_found`.
pub async fn set(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(object_id): Path<String>,
    JsonBody(body): JsonBody<SetQuality>,
) -> Result<Json<QualityView>, ApiError> {
    let change = QualityChange::try_from(body)?;
    let channel = phone_number(&state, &p, &object_id).await?;
    let outcome = state
        .app
        .set_number_quality(&p, &channel, change, state.app.now())
        .await?;
    Ok(Json(outcome.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(quality: Option<&str>, tier: Option<&str>) -> Result<QualityChange, String> {
        QualityChange::try_from(SetQuality {
            quality_rating: quality.map(str::to_owned),
            messaging_limit_tier: tier.map(str::to_owned),
        })
        .map_err(|e| format!("{}: {}", e.field.unwrap_or_default(), e.message))
    }

    #[test]
    fn parses_meta_spellings() {
        assert_eq!(
            change(Some("RED"), Some("TIER_2K")),
            Ok(QualityChange {
                quality_rating: Some(QualityRating::Red),
                messaging_limit_tier: Some(MessagingLimitTier::Tier2K),
            })
        );
        assert_eq!(change(None, None), Ok(QualityChange::default()));
        let bad = change(None, Some("TIER_1M")).unwrap_err();
        assert!(bad.starts_with("messaging_limit_tier: "), "{bad}");
        assert!(bad.contains("TIER_UNLIMITED"), "{bad}");
        let bad = change(Some("BLUE"), None).unwrap_err();
        assert!(bad.starts_with("quality_rating: "), "{bad}");
    }
}
