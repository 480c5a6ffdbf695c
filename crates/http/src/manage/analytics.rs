//! `/api/v1/analytics/messages` and `/api/v1/analytics/costs`: what the account's messages
//! did and cost, per period and the dimensions asked for, from counters kept with each
//! change (never a scan of messages).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_app::Principal;
use wagate_app::analytics::{AnalyticsQuery, DataPoint, Dimension, Filter};
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
    OpenApiRouter::new()
        .routes(routes!(messages))
        .routes(routes!(costs))
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
    /// Only this direction: `business_initiated` or `user_initiated`.
    #[param(pattern = "^(business_initiated|user_initiated)$")]
    pub direction: Option<String>,
    /// Only this pricing category (`marketing`, `utility`, `authentication`,
    /// `authentication_international`, `service`…).
    #[param(max_length = 64)]
    pub category: Option<String>,
    /// Only this country (ISO 3166 alpha-2; `*` for unknown).
    #[param(pattern = r"^([A-Za-z]{2}|\*)$")]
    pub country: Option<String>,
    /// Only this template (by name).
    #[param(max_length = 512)]
    pub template: Option<String>,
    /// Only this template language.
    #[param(max_length = 16)]
    pub language: Option<String>,
}

/// A data point's period and the dimension values it is split by.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointKeyView {
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
    /// With `template`: its language (empty for other messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl PointKeyView {
    fn of(p: DataPoint) -> (Self, Counts) {
        (
            Self {
                start: p.start,
                end: p.end,
                channel_id: p.channel_id,
                direction: p.direction,
                category: p.category,
                country: p.country,
                template: p.template,
                language: p.language,
            },
            p.counts,
        )
    }
}

/// One data point.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataPointView {
    #[serde(flatten)]
    pub key: PointKeyView,
    #[serde(flatten)]
    pub counts: Counts,
}

impl From<DataPoint> for DataPointView {
    fn from(p: DataPoint) -> Self {
        let (key, counts) = PointKeyView::of(p);
        Self { key, counts }
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

/// Messages sent, delivered, read, failed, received, replied to and charged, and their
/// cost, per period.
#[utoipa::path(get, path = "/analytics/messages", operation_id = "message_analytics", tag = "analytics",
    params(AnalyticsParams),
    responses((status = 200, body = MessageAnalytics), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<AnalyticsParams>,
) -> Result<Json<MessageAnalytics>, ApiError> {
    let (points, meta) = run(&state, &p, q).await?;
    Ok(Json(MessageAnalytics {
        granularity: meta.granularity,
        timezone: meta.timezone,
        unit: meta.unit,
        currency: meta.currency,
        data: points.into_iter().map(DataPointView::from).collect(),
    }))
}

/// One period's spending.
#[derive(Debug, Serialize, ToSchema)]
pub struct CostPointView {
    #[serde(flatten)]
    pub key: PointKeyView,
    /// Messages charged in the period.
    pub charged: i64,
    /// What they cost, in `unit`.
    pub cost: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CostAnalytics {
    pub granularity: Granularity,
    pub timezone: String,
    /// `micros` of `currency`, or `messages` for a quota wallet.
    pub unit: &'static str,
    pub currency: String,
    /// The whole range's charges and cost.
    pub total_charged: i64,
    pub total_cost: i64,
    /// Periods (and dimension values) with a charge.
    pub data: Vec<CostPointView>,
}

/// What the account's messages cost, per period, by the dimensions asked for (category and
/// country are what a rate card prices by).
#[utoipa::path(get, path = "/analytics/costs", operation_id = "cost_analytics", tag = "analytics",
    params(AnalyticsParams),
    responses((status = 200, body = CostAnalytics), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn costs(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<AnalyticsParams>,
) -> Result<Json<CostAnalytics>, ApiError> {
    let (points, meta) = run(&state, &p, q).await?;
    let data: Vec<CostPointView> = points
        .into_iter()
        .filter(|p| p.counts.charged != 0 || p.counts.cost != 0)
        .map(|p| {
            let (key, counts) = PointKeyView::of(p);
            CostPointView {
                key,
                charged: counts.charged,
                cost: counts.cost,
            }
        })
        .collect();
    Ok(Json(CostAnalytics {
        granularity: meta.granularity,
        timezone: meta.timezone,
        unit: meta.unit,
        currency: meta.currency,
        total_charged: data.iter().map(|p| p.charged).sum(),
        total_cost: data.iter().map(|p| p.cost).sum(),
        data,
    }))
}

/// What every answer states beside its points.
struct Meta {
    granularity: Granularity,
    timezone: String,
    unit: &'static str,
    currency: String,
}

/// Parses `q` and runs it.
async fn run(
    state: &AppState,
    p: &Principal,
    q: AnalyticsParams,
) -> Result<(Vec<DataPoint>, Meta), ApiError> {
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
    if let Some(d) = q.direction.as_deref()
        && !matches!(d, "business_initiated" | "user_initiated")
    {
        return Err(bad(
            "direction",
            "must be business_initiated or user_initiated".into(),
        ));
    }
    if let Some(c) = q.country.as_deref()
        && !(c == "*" || (c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic())))
    {
        return Err(bad(
            "country",
            "must be an ISO 3166 alpha-2 code, or * for unknown".into(),
        ));
    }
    for (field, value, max) in [
        ("category", &q.category, 64),
        ("template", &q.template, 512),
        ("language", &q.language, 16),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            return Err(bad(field, format!("is at most {max} characters")));
        }
    }
    let query = AnalyticsQuery {
        start,
        end,
        granularity,
        channel,
        dimensions,
        filter: Filter {
            direction: q.direction,
            category: q.category,
            country: q.country.map(|c| c.to_ascii_uppercase()),
            template: q.template,
            language: q.language,
        },
    };
    let points =
        state
            .app
            .message_analytics(p, &query)
            .await
            .map_err(|e| match ApiError::from(e) {
                err if err.code == ErrorCode::InvalidRequest
                    || err.code == ErrorCode::InvalidParameterValue =>
                {
                    ApiError::new(ErrorCode::InvalidQuery, err.message).field("end")
                }
                err => err,
            })?;
    let wallet = state.app.get_wallet(p).await?;
    let account = state.app.store().get_account(p.account_id).await?;
    Ok((
        points,
        Meta {
            granularity,
            timezone: account.timezone.as_str().to_owned(),
            unit: wallet.unit(),
            currency: wallet.currency.as_str().to_owned(),
        },
    ))
}
