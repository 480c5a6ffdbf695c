//! `GET /statistics` and `GET /extendedStatistics`, from wagate's analytics counters (kept
//! as each message changes, never by scanning messages), for the instance's channel.
//!
//! - **statistics** `?date=mm.YYYY` (default: this month, in the account's time zone):
//!   `{date, templates_cost}`, what the month's template messages were charged, in the
//!   wallet's currency.
//! - **extendedStatistics** `?date=mm.YYYY` (same default): the month's days, split by
//!   pricing category: `[{date: "dd.mm.YYYY", category, quantity, price}]`, `quantity` the
//!   messages charged and `price` their cost. 1MSG reports conversations; since Meta's
//!   per-message pricing (2025-07-01) a charge is per delivered template message, so these
//!   figures are derived from wagate's stored charges per message, not Meta's invoices.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use wagate_app::analytics::{AnalyticsQuery, Dimension, Filter};
use wagate_core::Timestamp;
use wagate_core::analytics::Granularity;
use wagate_core::error::ErrorCode;

use super::auth::Instance;
use crate::error::ApiError;
use crate::kit::params::Params;
use crate::state::AppState;

/// Micro-units per unit of the wallet's currency.
const MICROS: f64 = 1_000_000.0;

/// The month `date` names (`mm.YYYY`; this month when absent) as `(label, start, end)` in
/// the account's zone.
async fn month(
    state: &AppState,
    p: &wagate_app::Principal,
    params: &Params,
) -> Result<(String, Timestamp, Timestamp), ApiError> {
    let tz = state.app.account_timezone(p).await?;
    let bad = || {
        ApiError::new(
            ErrorCode::InvalidQuery,
            "must be a month as mm.YYYY, like 03.2022",
        )
        .field("date")
    };
    let (m, y) = match params.str("date").map(str::trim).filter(|s| !s.is_empty()) {
        Some(d) => {
            let (m, y) = d.split_once('.').ok_or_else(bad)?;
            let m: i8 = m.parse().map_err(|_| bad())?;
            let y: i16 = y.parse().map_err(|_| bad())?;
            (m, y)
        }
        None => {
            let now = state.app.now().to_zoned(tz.clone());
            (now.month(), now.year())
        }
    };
    let first = jiff::civil::Date::new(y, m, 1).map_err(|_| bad())?;
    let next = first
        .checked_add(jiff::Span::new().months(1))
        .map_err(|_| bad())?;
    let at = |d: jiff::civil::Date| {
        d.to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| bad())
    };
    Ok((format!("{m:02}.{y:04}"), at(first)?, at(next)?))
}

/// `GET /statistics`.
pub async fn statistics(
    State(state): State<AppState>,
    Instance { principal, channel }: Instance,
    uri: axum::http::Uri,
) -> Result<Json<Value>, ApiError> {
    let params = Params::query(uri.query());
    let (label, start, end) = month(&state, &principal, &params).await?;
    let q = AnalyticsQuery {
        start,
        end,
        granularity: Granularity::Month,
        channel: Some(channel.id),
        dimensions: vec![Dimension::Template],
        filter: Filter::default(),
    };
    let points = state.app.message_analytics(&principal, &q).await?;
    let cost: i64 = points
        .iter()
        .filter(|p| p.template.is_some())
        .map(|p| p.counts.cost)
        .sum();
    Ok(Json(
        json!({"date": label, "templates_cost": cost as f64 / MICROS}),
    ))
}

/// `GET /extendedStatistics`.
pub async fn extended(
    State(state): State<AppState>,
    Instance { principal, channel }: Instance,
    uri: axum::http::Uri,
) -> Result<Json<Value>, ApiError> {
    let params = Params::query(uri.query());
    let (_, start, end) = month(&state, &principal, &params).await?;
    let q = AnalyticsQuery {
        start,
        end,
        granularity: Granularity::Day,
        channel: Some(channel.id),
        dimensions: vec![Dimension::Category],
        filter: Filter::default(),
    };
    let tz = state.app.account_timezone(&principal).await?;
    let points = state.app.message_analytics(&principal, &q).await?;
    let items: Vec<Value> = points
        .iter()
        .filter(|p| p.counts.charged > 0)
        .map(|p| {
            json!({
                "date": p.start.to_zoned(tz.clone()).strftime("%d.%m.%Y").to_string(),
                "category": p.category,
                "quantity": p.counts.charged,
                "price": p.counts.cost as f64 / MICROS,
            })
        })
        .collect();
    Ok(Json(Value::Array(items)))
}
