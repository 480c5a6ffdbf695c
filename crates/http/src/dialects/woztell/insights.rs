//! `GET /conversation-analytics`, `GET /catalogs` and `GET /products`: the channel's WABA's
//! conversation figures (the Cloud plane's `conversation_analytics` field, from wagate's
//! message counters) and its linked catalogs and their products (the commerce service).
//!
//! - **Conversation analytics**: `from`, `to` (Unix seconds) and `granularity` (`HALF_HOUR`,
//!   `DAILY`, `MONTHLY`) are required; `numbers`, `metric_types`, `conversation_types`,
//!   `conversation_directions` and `dimensions` are lists (a JSON array, or comma-separated)
//!   in any case. The seed's typos are read as meant: `uesr_initiated` is `USER_INITIATED`,
//!   the dimension `conversation_reaction` is `CONVERSATION_DIRECTION`. **The figures are
//!   derived**: Meta prices per message since July 2025, so a conversation is a delivered
//!   business message (a charged one REGULAR and business-initiated, a free one FREE_TIER and
//!   user-initiated), its cost its charge, as the Cloud plane's module docs explain.
//! - **Catalogs**: the catalogs linked to the channel's WABA → `{id, name}`.
//! - **Products**: `catalogId` (a catalog linked to the WABA; else 404), `limit` (1–100,
//!   default 25), `after`/`before` cursors → `{name, price (formatted as Meta shows it),
//!   image_url, retailer_id, id}` in id order.
//!
//! **Cloud channels**: Meta counts and prices their conversations and holds their catalogs,
//! so the three go to Meta (the core's `channel_waba_analytics`, `channel_catalogs` and
//! `channel_products`): the WABA's `conversation_analytics` field with the same parameters,
//! its `product_catalogs`, and the catalog's `products` page (Meta's cursors passed on),
//! read into the shapes above. Meta's refusal keeps its words.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use wagate_app::channels::encryption::Answered;
use wagate_app::flows::channel::GraphPage;
use wagate_core::commerce::Product;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::CatalogId;

use super::auth::Call;
use super::general::{meta_json, ok};
use super::templates::values;
use crate::error::ApiError;
use crate::kit::fields::FieldSelection;
use crate::state::AppState;

/// A list parameter as Graph's `["A","B"]`, upper-cased, the seed's typos read as meant.
fn list(call: &Call, key: &str) -> Result<Option<String>, ApiError> {
    let items = values(call, key)?;
    if items.is_empty() {
        return Ok(None);
    }
    let items: Vec<String> = items
        .iter()
        .map(|s| match s.trim().to_ascii_uppercase().as_str() {
            "UESR_INITIATED" => "USER_INITIATED".to_owned(),
            "CONVERSATION_REACTION" => "CONVERSATION_DIRECTION".to_owned(),
            other => other.to_owned(),
        })
        .collect();
    Ok(Some(serde_json::to_string(&items).unwrap_or_default()))
}

/// `GET /conversation-analytics`.
pub async fn conversation_analytics(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let channel = call.channel(&state).await?;
    let mut field = String::from("conversation_analytics");
    for (ours, graph) in [("from", "start"), ("to", "end")] {
        let v = call.required(ours)?;
        if !v.chars().all(|c| c.is_ascii_digit()) {
            return Err(ValidationError::new(ours, "must be a Unix timestamp (seconds)").into());
        }
        field.push_str(&format!(".{graph}({v})"));
    }
    let g = call.required("granularity")?.to_ascii_uppercase();
    if !g.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
        return Err(ValidationError::new("granularity", "is HALF_HOUR, DAILY or MONTHLY").into());
    }
    field.push_str(&format!(".granularity({g})"));
    for (ours, graph) in [
        ("numbers", "phone_numbers"),
        ("metric_types", "metric_types"),
        ("conversation_types", "conversation_types"),
        ("conversation_directions", "conversation_directions"),
        ("dimensions", "dimensions"),
    ] {
        if let Some(v) = list(&call, ours)? {
            field.push_str(&format!(".{graph}({v})"));
        }
    }
    let asked = FieldSelection::parse(&field).map_err(|_| {
        ApiError::from(ValidationError::new(
            "dimensions",
            "the lists must hold plain names",
        ))
    })?;
    let f = asked.iter().next().expect("one field");
    if let Some(answer) = state.app.channel_waba_analytics(&channel, &field).await? {
        let got = meta_json(
            answer,
            || ApiError::not_found(ErrorCode::ChannelNotFound, "WABA", channel.waba_id.as_str()),
            ErrorCode::InvalidParameterValue,
        )?;
        return Ok(ok(json!({"conversationAnalytics": {
            "data_points": data_points(got.get("conversation_analytics").unwrap_or(&Value::Null)),
        }})));
    }
    let info = state
        .app
        .waba_info(&call.principal, &channel.waba_id)
        .await?;
    let got = crate::cloud::analytics::field(&state, &call.principal, &info, f).await?;
    Ok(ok(
        json!({"conversationAnalytics": {"data_points": data_points(&got)}}),
    ))
}

/// Every data point of Graph's `conversation_analytics` object (`{data: [{data_points}]}`).
fn data_points(got: &Value) -> Vec<Value> {
    got.get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("data_points").and_then(Value::as_array))
        .flatten()
        .cloned()
        .collect()
}

/// `GET /catalogs`.
pub async fn catalogs(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let channel = call.channel(&state).await?;
    let data: Vec<Value> = match state
        .app
        .channel_catalogs(&call.principal, &channel)
        .await?
    {
        Answered::Wagate(list) => list
            .iter()
            .map(|c| json!({"id": c.id.to_string(), "name": c.name.as_str()}))
            .collect(),
        Answered::Meta(answer) => meta_json(
            answer,
            || ApiError::not_found(ErrorCode::ChannelNotFound, "WABA", channel.waba_id.as_str()),
            ErrorCode::InvalidParameterValue,
        )?
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| json!({"id": c.get("id"), "name": c.get("name")}))
        .collect(),
    };
    Ok(ok(json!({
        "data": data,
        "paging": {"hasPrevious": false, "hasNext": false},
    })))
}

fn product(p: &Product) -> Value {
    json!({
        "name": p.name.as_str(),
        "price": p.price.formatted(),
        "image_url": p.image_url.as_ref().map(|u| u.as_str()),
        "retailer_id": p.retailer_id.as_str(),
        "id": p.id.to_string(),
    })
}

fn decode(key: &str, raw: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidCursor,
                format!("`{raw}` is not a cursor from paging.cursors"),
            )
            .field(key)
        })
}

/// `GET /products?catalogId`. For a cloud channel, Meta's page: its cursors are passed on as
/// they came.
pub async fn products(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let channel = call.channel(&state).await?;
    let raw = call.required("catalogId")?;
    let unknown =
        || ApiError::not_found(ErrorCode::CatalogNotFound, "catalog", &raw).field("catalogId");
    let id = CatalogId::parse(&raw).map_err(|_| unknown())?;
    let limit = match call.text("limit")? {
        None => 25,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| ValidationError::new("limit", "must be a whole number from 1 to 100"))?,
    };
    let (after, before) = (call.text("after")?, call.text("before")?);
    if after.is_some() && before.is_some() {
        return Err(ValidationError::new("before", "give after or before, not both").into());
    }
    let page = GraphPage {
        limit,
        after: after.clone(),
        before: before.clone(),
    };
    let mut all = match state
        .app
        .channel_products(&call.principal, &channel, &id, &page)
        .await
        .map_err(|e| match ApiError::from(e) {
            e if e.code == ErrorCode::CatalogNotFound => unknown(),
            e => e,
        })? {
        Answered::Wagate(all) => all,
        Answered::Meta(answer) => {
            let listed = meta_json(answer, unknown, ErrorCode::InvalidParameterValue)?;
            let data: Vec<Value> = listed
                .get("data")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| {
                    json!({
                        "name": p.get("name"),
                        "price": p.get("price"),
                        "image_url": p.get("image_url"),
                        "retailer_id": p.get("retailer_id"),
                        "id": p.get("id"),
                    })
                })
                .collect();
            let mut paging = json!({
                "hasPrevious": listed.pointer("/paging/previous").is_some() || after.is_some(),
                "hasNext": listed.pointer("/paging/next").is_some(),
            });
            if let Some(c) = listed
                .pointer("/paging/cursors")
                .filter(|c| c.get("after").is_some())
            {
                paging["cursors"] = c.clone();
            }
            return Ok(ok(json!({"data": data, "paging": paging})));
        }
    };
    let after = after.map(|a| decode("after", &a)).transpose()?;
    let before = before.map(|b| decode("before", &b)).transpose()?;
    all.sort_by_key(|p| p.id.to_string());
    let ids: Vec<String> = all.iter().map(|p| p.id.to_string()).collect();
    let total = ids.len();
    let (start, end) = super::window(&ids, after.as_deref(), before.as_deref(), limit as usize);
    let page = &all[start..end];
    let mut paging = json!({"hasPrevious": start > 0, "hasNext": end < total});
    if let (Some(a), Some(b)) = (page.first(), page.last()) {
        paging["cursors"] = json!({
            "before": URL_SAFE_NO_PAD.encode(a.id.to_string()),
            "after": URL_SAFE_NO_PAD.encode(b.id.to_string()),
        });
    }
    Ok(ok(json!({
        "data": page.iter().map(product).collect::<Vec<_>>(),
        "paging": paging,
    })))
}
