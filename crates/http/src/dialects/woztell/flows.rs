//! The ten Flow APIs on the core's flows service (the same as the Cloud plane's
//! `/{waba_id}/flows` and `/{flow_id}…`): the flows of the channel's WABA.
//!
//! - `GET /flow?limit&after&before`: `{label: "NAME (STATUS)", value: id, status (lower
//!   case), assets: one per screen {id, label: "TITLE (ID)", data (the screen's `data` as
//!   JSON text), preview}, triggerMatchingObject: null}` (the seed's UI-picker shape), in id
//!   order; `after`/`before` are the cursors of `paging.cursors`. `limit` is 1–100.
//! - `GET /flow-screen-payload?flowId`: the first screen and every screen, as above.
//! - `GET /flow-preview?flowId`: a signed preview URL (wagate's preview page) and its expiry.
//! - `GET /flow-detail?flowId`: id, name, categories, preview, status, validation_errors,
//!   json_version, the WABA (id, name, currency, timezone, template namespace) and the
//!   application (wagate).
//! - `PUT /create-flow`: the fields at the top level (the table) or under `data` (the
//!   example); `endpoint_url` is Meta's `endpoint_uri`; `clone_flow_id` copies one of the
//!   caller's flows' Flow JSON.
//! - `PATCH /flow-metadata`: `flowId`, and `name`/`categories`/`endpoint_url` under `data` or at
//!   the top level (the example puts `endpoint_url` outside `data`).
//! - `PATCH /flow-json`: `flowId`, and the Flow JSON as `data` (the example) → the
//!   `validation_errors` found in it.
//! - `DELETE /flow`, `POST /publish-flow`, `POST /deprecate-flow`: `flowId`; Meta's lifecycle
//!   (only a draft is deleted or published, only a published flow deprecated; the seed uses
//!   one id for all three, which answers `REFUSED` for the later calls).
//!
//! A flow is looked for on the call's channel's WABA (`channelId`, else the token's only
//! channel). **Cloud channels**: Meta holds the WABA's flows, so every call goes to Meta's
//! Flows API through the core's channel flow functions (`wagate_app::flows::channel`) and
//! Meta's answer is read into the shapes above: the list is Meta's page (its cursors, no
//! `assets`: Meta's list has no Flow JSON), the detail is Meta's flow node, the screen
//! payload reads the Flow JSON asset Meta gives, and Meta's refusals keep their words.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use wagate_app::channels::encryption::Answered;
use wagate_app::flows::channel::{FlowStep, GraphPage};
use wagate_app::flows::{FlowUrl, NewFlow, PREVIEW_TTL_SECS};
use wagate_app::upstream::proxy::ProxyAnswer;
use wagate_core::Timestamp;
use wagate_core::channel::Channel;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::flow::{
    EndpointUri, Flow, FlowCategories, FlowId, FlowMetadataEdit, FlowName, MAX_FLOW_JSON_BYTES,
};
use wagate_core::profile::template_namespace;

use super::auth::Call;
use super::general::{meta_json, ok};
use crate::error::ApiError;
use crate::state::AppState;

fn graph_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

/// A preview URL of `flow` and its expiry (one URL per period, as the Cloud plane answers).
fn preview(state: &AppState, flow: &Flow) -> Value {
    let now = state.app.now().as_second();
    let updated = flow.updated_at.as_second();
    let start = updated + (now - updated) / PREVIEW_TTL_SECS * PREVIEW_TTL_SECS;
    let expires = start + PREVIEW_TTL_SECS;
    let s = state.app.sign_flow_url(flow, FlowUrl::Preview, expires);
    json!({
        "preview_url": format!(
            "{}/flows/{}/preview?account={}&expires={}&signature={}",
            state.base_url.trim_end_matches('/'),
            flow.id,
            s.account,
            s.expires,
            s.signature
        ),
        "expires_at": Timestamp::from_second(expires).map(graph_time).unwrap_or_default(),
    })
}

/// The screens of `flow`, as the seed's assets.
fn screens(state: &AppState, flow: &Flow) -> Vec<Value> {
    screens_of(&flow.json.document(), &preview(state, flow))
}

/// The screens of the Flow JSON `doc`, as the seed's assets, each with `preview`.
fn screens_of(doc: &Value, preview: &Value) -> Vec<Value> {
    doc.get("screens")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|s| {
            let id = s.get("id").and_then(Value::as_str).unwrap_or_default();
            let title = s.get("title").and_then(Value::as_str).unwrap_or(id);
            let data = s.get("data").cloned().unwrap_or_else(|| json!({}));
            json!({
                "id": id,
                "label": format!("{title} ({id})"),
                "data": serde_json::to_string_pretty(&data).unwrap_or_default(),
                "preview": preview,
            })
        })
        .collect()
}

/// "No such flow", naming `raw`.
fn unknown_flow(raw: &str) -> ApiError {
    ApiError::not_found(ErrorCode::FlowNotFound, "flow", raw).field("flowId")
}

/// The call's channel and the flow id `flowId` names.
async fn flow_ref(state: &AppState, call: &Call) -> Result<(Channel, FlowId), ApiError> {
    let raw = call.required("flowId")?;
    let id = FlowId::parse(&raw).map_err(|_| unknown_flow(&raw))?;
    Ok((call.channel(state).await?, id))
}

/// An error of the flows service about the flow `id`, "not found" naming it.
fn about(id: &FlowId) -> impl Fn(wagate_app::Error) -> ApiError + '_ {
    move |e| match ApiError::naming(e, ErrorCode::FlowNotFound, "flow", id.as_str()) {
        e if e.code == ErrorCode::FlowNotFound => e.field("flowId"),
        e => e,
    }
}

/// Meta's answer about the flow `id` (see [`meta_json`]).
fn at_meta(answer: ProxyAnswer, id: &FlowId, refusal: ErrorCode) -> Result<Value, ApiError> {
    meta_json(answer, || unknown_flow(id.as_str()), refusal)
}

/// A flow as the seed's list shows it: `name`, `status` (upper case), its id and assets.
fn list_item(name: &str, status: &str, id: &str, assets: Vec<Value>) -> Value {
    json!({
        "label": format!("{name} ({status})"),
        "value": id,
        "status": status.to_ascii_lowercase(),
        "assets": assets,
        "triggerMatchingObject": null,
    })
}

/// A parameter under `data`, else at the top level.
fn param<'a>(call: &'a Call, key: &str) -> Option<&'a Value> {
    call.params
        .get("data")
        .and_then(|d| d.get(key))
        .filter(|v| !v.is_null())
        .or_else(|| call.params.get(key).filter(|v| !v.is_null()))
}

fn text(call: &Call, key: &str) -> Result<Option<String>, ValidationError> {
    match param(call, key) {
        None => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ValidationError::new(key, "must be a string")),
    }
}

fn categories(call: &Call) -> Result<Option<FlowCategories>, ValidationError> {
    let bad = || ValidationError::new("categories", "must be an array of category names");
    let items: Vec<String> = match param(call, "categories") {
        None => return Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or_else(bad))
            .collect::<Result<_, _>>()?,
        Some(Value::String(s)) if s.trim_start().starts_with('[') => {
            serde_json::from_str(s).map_err(|_| bad())?
        }
        Some(Value::String(s)) => s.split(',').map(|s| s.trim().to_owned()).collect(),
        Some(_) => return Err(bad()),
    };
    FlowCategories::parse(items.iter().map(String::as_str)).map(Some)
}

fn endpoint(call: &Call) -> Result<Option<EndpointUri>, ValidationError> {
    text(call, "endpoint_url")?
        .map(|u| {
            EndpointUri::parse(&u).map_err(|e| ValidationError::new("endpoint_url", e.message))
        })
        .transpose()
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

/// `GET /flow?limit&after&before`. For a cloud channel, Meta's page: its cursors are
/// passed on as they came and its flows have no `assets` (Meta's list carries no Flow JSON;
/// `/flow-screen-payload` reads one).
pub async fn list(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let limit = call
        .required("limit")?
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=100).contains(n))
        .ok_or_else(|| ValidationError::new("limit", "must be a whole number from 1 to 100"))?;
    let (after, before) = (call.text("after")?, call.text("before")?);
    if after.is_some() && before.is_some() {
        return Err(ValidationError::new("before", "give after or before, not both").into());
    }
    let channel = call.channel(&state).await?;
    let page = GraphPage {
        limit,
        after: after.clone(),
        before: before.clone(),
    };
    let mut flows = match state
        .app
        .channel_flows(&call.principal, &channel, &page)
        .await?
    {
        Answered::Wagate(flows) => flows,
        Answered::Meta(answer) => {
            let listed = meta_json(
                answer,
                || ApiError::new(ErrorCode::InvalidCursor, "not a cursor from paging.cursors"),
                ErrorCode::InvalidParameterValue,
            )?;
            let data: Vec<Value> = listed
                .get("data")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|f| {
                    let text = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or_default();
                    list_item(text("name"), text("status"), text("id"), Vec::new())
                })
                .collect();
            let mut paging = json!({
                "hasNext": listed.pointer("/paging/next").is_some(),
                "hasPrevious": listed.pointer("/paging/previous").is_some() || after.is_some(),
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
    flows.sort_by_key(|f| f.id.to_string());
    let ids: Vec<String> = flows.iter().map(|f| f.id.to_string()).collect();
    let total = ids.len();
    let (start, end) = super::window(&ids, after.as_deref(), before.as_deref(), limit as usize);
    let page = &flows[start..end];
    let data: Vec<Value> = page
        .iter()
        .map(|f| {
            list_item(
                f.name.as_str(),
                f.status.as_str(),
                &f.id.to_string(),
                screens(&state, f),
            )
        })
        .collect();
    let mut paging = json!({"hasNext": end < total, "hasPrevious": start > 0});
    if let (Some(a), Some(b)) = (page.first(), page.last()) {
        paging["cursors"] = json!({
            "before": URL_SAFE_NO_PAD.encode(a.id.to_string()),
            "after": URL_SAFE_NO_PAD.encode(b.id.to_string()),
        });
    }
    Ok(ok(json!({"data": data, "paging": paging})))
}

/// `GET /flow-screen-payload?flowId`.
pub async fn screen_payload(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let (channel, id) = flow_ref(&state, &call).await?;
    let p = &call.principal;
    let screens = match state
        .app
        .channel_flow(p, &channel, &id)
        .await
        .map_err(about(&id))?
    {
        Answered::Wagate(f) => screens(&state, &f),
        Answered::Meta(answer) => {
            let flow = at_meta(answer, &id, ErrorCode::InvalidParameterValue)?;
            let preview = flow.get("preview").cloned().unwrap_or(Value::Null);
            let doc = match state
                .app
                .channel_flow_document(p, &channel, &id)
                .await
                .map_err(about(&id))?
            {
                Answered::Wagate(doc) => doc.unwrap_or_else(|| json!({})),
                Answered::Meta(answer) => at_meta(answer, &id, ErrorCode::InvalidParameterValue)?,
            };
            screens_of(&doc, &preview)
        }
    };
    let mut payload = match screens.first() {
        Some(Value::Object(first)) => {
            let mut m = first.clone();
            m.remove("preview");
            m
        }
        _ => Map::new(),
    };
    payload.insert("screens".into(), json!(screens));
    Ok(ok(json!({ "payload": payload })))
}

/// `GET /flow-preview?flowId`.
pub async fn preview_url(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let (channel, id) = flow_ref(&state, &call).await?;
    let data = match state
        .app
        .channel_flow(&call.principal, &channel, &id)
        .await
        .map_err(about(&id))?
    {
        Answered::Wagate(f) => preview(&state, &f),
        Answered::Meta(answer) => at_meta(answer, &id, ErrorCode::InvalidParameterValue)?
            .get("preview")
            .cloned()
            .unwrap_or(Value::Null),
    };
    Ok(ok(json!({ "data": data })))
}

/// `GET /flow-detail?flowId`.
pub async fn detail(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let (channel, id) = flow_ref(&state, &call).await?;
    let f = match state
        .app
        .channel_flow(&call.principal, &channel, &id)
        .await
        .map_err(about(&id))?
    {
        Answered::Wagate(f) => f,
        // Meta's flow node is the seed's detail already.
        Answered::Meta(answer) => {
            return Ok(ok(at_meta(answer, &id, ErrorCode::InvalidParameterValue)?));
        }
    };
    let info = state.app.waba_info(&call.principal, &f.waba_id).await?;
    let mut out = json!({
        "id": f.id.to_string(),
        "name": f.name.as_str(),
        "categories": f.categories.as_slice().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "preview": preview(&state, &f),
        "status": f.status.as_str(),
        "validation_errors": f.json.errors(),
        "whatsapp_business_account": {
            "id": f.waba_id.as_str(),
            "name": info.account.name.as_str(),
            "currency": "USD",
            "timezone_id": "1",
            "message_template_namespace": template_namespace(&f.waba_id),
        },
        "application": {
            "link": state.base_url.to_string(),
            "name": "wagate",
            "id": wagate_app::channels::profile::app_id(call.principal.account_id),
        },
    });
    if let Some(v) = f.json.json_version() {
        out["json_version"] = json!(v);
    }
    Ok(ok(out))
}

/// `PUT /create-flow`.
pub async fn create(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let name = text(&call, "name")?
        .ok_or_else(|| ValidationError::missing("name", "is required: the flow's name"))?;
    let categories = categories(&call)?.ok_or_else(|| {
        ValidationError::missing("categories", "is required: at least one flow category")
    })?;
    let clone_flow_id = text(&call, "clone_flow_id")?
        .map(|id| {
            FlowId::parse(&id).map_err(|_| {
                ApiError::not_found(ErrorCode::FlowNotFound, "flow", &id).field("clone_flow_id")
            })
        })
        .transpose()?;
    let cmd = NewFlow {
        name: FlowName::parse(&name)?,
        categories,
        endpoint_uri: endpoint(&call)?,
        clone_flow_id,
        flow_json: None,
        publish: false,
    };
    let channel = call.channel(&state).await?;
    let id = match state
        .app
        .create_channel_flow(&call.principal, &channel, cmd)
        .await?
    {
        Answered::Wagate(f) => f.id.to_string(),
        Answered::Meta(answer) => {
            let clone = text(&call, "clone_flow_id")?.unwrap_or_default();
            let made = meta_json(
                answer,
                || unknown_flow(&clone).field("clone_flow_id"),
                ErrorCode::InvalidParameterValue,
            )?;
            made.get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::new(ErrorCode::NotReady, "Meta's answer did not name the flow")
                })?
        }
    };
    tracing::info!(flow_id = %id, "woztell flow created");
    Ok(ok(json!({ "id": id })))
}

/// `PATCH /flow-metadata`.
pub async fn metadata(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let (channel, id) = flow_ref(&state, &call).await?;
    let edit = FlowMetadataEdit {
        name: text(&call, "name")?
            .map(|n| FlowName::parse(&n))
            .transpose()?,
        categories: categories(&call)?,
        endpoint_uri: endpoint(&call)?,
    };
    if edit == FlowMetadataEdit::default() {
        return Err(ValidationError::missing(
            "data",
            "nothing to update: give name, categories or endpoint_url",
        )
        .into());
    }
    if let Answered::Meta(answer) = state
        .app
        .update_channel_flow_metadata(&call.principal, &channel, &id, edit)
        .await
        .map_err(about(&id))?
    {
        at_meta(answer, &id, ErrorCode::FlowUpdateRefused)?;
    }
    Ok(ok(json!({"success": true})))
}

/// `PATCH /flow-json`.
pub async fn flow_json(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let (channel, id) = flow_ref(&state, &call).await?;
    let text = match call.params.get("data") {
        Some(Value::String(s)) => s.clone(),
        Some(v @ Value::Object(_)) => serde_json::to_string_pretty(v).unwrap_or_default(),
        None | Some(Value::Null) => {
            return Err(ValidationError::missing("data", "is required: the Flow JSON").into());
        }
        Some(_) => {
            return Err(ValidationError::new("data", "must be the Flow JSON object").into());
        }
    };
    if text.len() > MAX_FLOW_JSON_BYTES {
        return Err(ValidationError::out_of_range(
            "data",
            format!("must be at most {MAX_FLOW_JSON_BYTES} bytes"),
        )
        .into());
    }
    let errors = match state
        .app
        .upload_channel_flow_json(&call.principal, &channel, &id, text)
        .await
        .map_err(about(&id))?
    {
        Answered::Wagate(f) => json!(f.json.errors()),
        Answered::Meta(answer) => at_meta(answer, &id, ErrorCode::FlowUpdateRefused)?
            .get("validation_errors")
            .cloned()
            .unwrap_or_else(|| json!([])),
    };
    Ok(ok(json!({"success": true, "validation_errors": errors})))
}

/// `DELETE /flow`.
pub async fn delete(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    step(
        &state,
        &call,
        FlowStep::Delete,
        ErrorCode::FlowDeleteRefused,
    )
    .await
}

/// `POST /publish-flow`.
pub async fn publish(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    step(
        &state,
        &call,
        FlowStep::Publish,
        ErrorCode::FlowPublishRefused,
    )
    .await
}

/// `POST /deprecate-flow`.
pub async fn deprecate(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    step(
        &state,
        &call,
        FlowStep::Deprecate,
        ErrorCode::FlowDeprecateRefused,
    )
    .await
}

/// A lifecycle step of the flow `flowId` names; Meta's refusal is `refusal`.
async fn step(
    state: &AppState,
    call: &Call,
    step: FlowStep,
    refusal: ErrorCode,
) -> Result<Json<Value>, ApiError> {
    let (channel, id) = flow_ref(state, call).await?;
    if let Answered::Meta(answer) = state
        .app
        .channel_flow_step(&call.principal, &channel, &id, step)
        .await
        .map_err(about(&id))?
    {
        at_meta(answer, &id, refusal)?;
    }
    Ok(ok(json!({"success": true})))
}
