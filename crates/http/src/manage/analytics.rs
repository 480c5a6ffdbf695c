//! `/api/v1/analytics/messages`: what the account's messages did, per period and the
//! dimensions asked for, from counters kept with each change (never a scan of messages).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_app::analytics::{AnalyticsQuery, DataPoint, Dimension};
use wagate_core::Timestamp;
use wagate_core::analytics::{Counts, Granularity};
use wagate_core::error::ErrorCode;
use wagate_core::ids::ChannelId;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::kit::params::query_time;
use crate::manage::ErrorBody;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(messages))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsParams {
    /// From this time (RFC 3339), included.
    #[param(format = DateTime)]
    pub start: String,
    /// To this time (RFC 3339), excluded; at most 400 days after `start` (31 for half-hours).
    #[param(format = DateTime)]
    pub end: String,
    /// `half_hour`, `day` (default) or `month`; days and months in the account's time zone.
    #[param(pattern = "^(half_hour|day|daily|month|monthly)$")]
    pub granularity: Option<String>,
    /// Only this channel.
    #[param(format = Uuid)]
    pub channel_id: Option<String>,
    /// Comma-separated: `channel`, `direction`, `category`, `country`, `template`.
    #[param(
        pattern = r"^((channel|direction|category|country|template)(,(channel|direction|category|country|template))*)?$"
    )]
    pub dimensions: Option<String>,
}

/// One data point.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataPointView {
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
    /// `business_initiated` or `user_initiated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// Meta's pricing category (`service` for free-form messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// ISO 3166 country of the user's number (`*` when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The template's name (empty for other messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
}

impl From<DataPoint> for DataPointView {
    fn from(p: DataPoint) -> Self {
        Self {
            start: p.start,
            end: p.end,
            channel_id: p.channel_id,
            direction: p.direction,
            category: p.category,
            country: p.country,
            template: p.template,
            counts: p.counts,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageAnalytics {
    pub granularity: Granularity,
    /// The account's time zone, which days and months follow.
    pub timezone: String,
    /// `cost` is in this unit of the wallet: `micros` of `currency`, or `messages`.
    pub unit: &'static str,
    pub currency: String,
    pub data: Vec<DataPointView>,
}

/// Messages sent, delivered, read, failed and received, and their cost, per period.
#[utoipa::path(get, path = "/analytics/messages", operation_id = "message_analytics", tag = "analytics",
    params(AnalyticsParams),
    responses((status = 200, body = MessageAnalytics), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<AnalyticsParams>,
) -> Result<Json<MessageAnalytics>, ApiError> {
    let bad = |field: &str, m: String| ApiError::new(ErrorCode::InvalidQuery, m).field(field);
    let start =
        query_time("start", Some(&q.start))?.ok_or_else(|| bad("start", "required".into()))?;
    let end = query_time("end", Some(&q.end))?.ok_or_else(|| bad("end", "required".into()))?;
    let granularity = match q.granularity.as_deref() {
        None => Granularity::Day,
        Some(g) => Granularity::parse(g)
            .ok_or_else(|| bad("granularity", "must be half_hour, day or month".into()))?,
    };
    let channel = match q.channel_id.as_deref() {
        None => None,
        Some(c) => Some(
            c.parse()
                .map_err(|_| bad("channel_id", "is not a channel id".into()))?,
        ),
    };
    let dimensions = match q.dimensions.as_deref() {
        None | Some("") => Vec::new(),
        Some(d) => d
            .split(',')
            .map(|s| Dimension::parse(s).map_err(|e| bad("dimensions", e.message)))
            .collect::<Result<_, _>>()?,
    };
    let query = AnalyticsQuery {
        start,
        end,
        granularity,
        channel,
        dimensions,
    };
    let points =
        state
            .app
            .message_analytics(&p, &query)
            .await
            .map_err(|e| match ApiError::from(e) {
                err if err.code == ErrorCode::InvalidRequest
                    || err.code == ErrorCode::InvalidParameterValue =>
                {
                    ApiError::new(ErrorCode::InvalidQuery, err.message).field("end")
                }
                err => err,
            })?;
    let wallet = state.app.get_wallet(&p).await?;
    let account = state.app.store().get_account(p.account_id).await?;
    Ok(Json(MessageAnalytics {
        granularity,
        timezone: account.timezone.as_str().to_owned(),
        unit: wallet.unit(),
        currency: wallet.currency.as_str().to_owned(),
        data: points.into_iter().map(DataPointView::from).collect(),
    }))
}
