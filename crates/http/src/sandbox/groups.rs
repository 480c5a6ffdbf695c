//! What the simulated network's users do with a sandbox number's groups:
//!
//! - `POST /sandbox/{phone_number_id}/groups/join` with `invite_link` (the link or its code)
//!   and `from` (the user's number): the user joins (`group_participants_update`,
//!   `group_participants_add` with `reason: invite_link`), or asks to join a group that
//!   needs approval (`group_join_request_created`). A link that was reset, of a deleted
//!   group, of another number's group, or of none is refused (`group_invite_link_invalid`);
//!   a full group is refused (`group_participant_overlimit`). Opening the link again once
//!   in changes nothing.
//! - `POST /sandbox/{phone_number_id}/groups/{group_id}/leave` with `from`: the user leaves
//!   (`group_participants_remove`, initiated by the participant).
//! - `POST /sandbox/{phone_number_id}/groups/{group_id}/suspend` with `suspended` (true or
//!   false): the network suspends the group, or lifts it (`group_status_update`).
//! - `POST /sandbox/{phone_number_id}/groups/{group_id}/inbound` with `from` and `text`: a
//!   participant writes in the group (a `messages` webhook with the `group_id`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use wagate_app::groups::network::Joined;
use wagate_core::channel::{Channel, Upstream};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::group::{GroupId, InviteCode};
use wagate_core::phone::PhoneE164;

use crate::auth::Auth;
use crate::cloud::phone_number;
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::state::AppState;

fn string<'a>(v: &'a Value, field: &str) -> Result<Option<&'a str>, ValidationError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ValidationError::new(field, "must be a string")),
    }
}

fn from(body: &Value) -> Result<PhoneE164, ValidationError> {
    let from = string(body, "from")?
        .ok_or_else(|| ValidationError::missing("from", "is required: the user's number"))?;
    PhoneE164::parse_field("from", from)
}

async fn sandbox_channel(
    state: &AppState,
    p: &wagate_app::Principal,
    object_id: &str,
) -> Result<Channel, ApiError> {
    let channel = phone_number(state, p, object_id).await?;
    if !matches!(channel.upstream, Upstream::Sandbox(_)) {
        return Err(ValidationError::new(
            "phone_number_id",
            "only sandbox channels have virtual users; this channel's upstream is cloud",
        )
        .into());
    }
    Ok(channel)
}

fn group_id(id: &str) -> Result<GroupId, ApiError> {
    GroupId::parse(id).map_err(|_| ApiError::not_found(ErrorCode::GroupNotFound, "group", id))
}

fn named(id: &str) -> impl Fn(wagate_app::Error) -> ApiError + '_ {
    move |e| ApiError::naming(e, ErrorCode::GroupNotFound, "group", id)
}

/// `POST /sandbox/{phone_number_id}/groups/join`.
pub async fn join(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(object_id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = sandbox_channel(&state, &p, &object_id).await?;
    let body: Value = parse_json(&body)?;
    let link = string(&body, "invite_link")?
        .or(string(&body, "code")?)
        .ok_or_else(|| ValidationError::missing("invite_link", "is required"))?;
    let code = InviteCode::parse(link)?;
    let wa_id = from(&body)?;
    let out = match state
        .app
        .join_group_by_invite(&p, &channel, &code, &wa_id)
        .await
        .map_err(|e| ApiError::from(e).field("invite_link"))?
    {
        Joined::Joined(g) => json!({"group_id": g.id.as_str(), "status": "joined"}),
        Joined::AlreadyIn(g) => json!({"group_id": g.id.as_str(), "status": "already_joined"}),
        Joined::Requested(g, r) => json!({
            "group_id": g.id.as_str(),
            "status": "requested",
            "join_request_id": r.id.as_str(),
        }),
    };
    Ok(Json(out))
}

/// `POST /sandbox/{phone_number_id}/groups/{group_id}/leave`.
pub async fn leave(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path((object_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = sandbox_channel(&state, &p, &object_id).await?;
    let wa_id = from(&parse_json(&body)?)?;
    state
        .app
        .leave_group(&p, &channel, &group_id(&id)?, &wa_id)
        .await
        .map_err(named(&id))?;
    Ok(Json(json!({"success": true})))
}

/// `POST /sandbox/{phone_number_id}/groups/{group_id}/suspend`.
pub async fn suspend(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path((object_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = sandbox_channel(&state, &p, &object_id).await?;
    let body: Value = parse_json(&body)?;
    let suspended = match body.get("suspended") {
        Some(Value::Bool(b)) => *b,
        None | Some(Value::Null) => true,
        Some(_) => return Err(ValidationError::new("suspended", "must be true or false").into()),
    };
    let g = state
        .app
        .suspend_group(&p, &channel, &group_id(&id)?, suspended)
        .await
        .map_err(named(&id))?;
    Ok(Json(
        json!({"group_id": g.id.as_str(), "suspended": g.suspended}),
    ))
}

/// `POST /sandbox/{phone_number_id}/groups/{group_id}/inbound` with `from` and
/// `text: {"body": …}`: a participant writes in the group (a `messages` webhook carrying
/// the `group_id`). A user who is not in the group is refused
/// (`group_participant_not_found`).
pub async fn inbound(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path((object_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = sandbox_channel(&state, &p, &object_id).await?;
    let body: Value = parse_json(&body)?;
    let wa_id = from(&body)?;
    let text = body
        .get("text")
        .and_then(|t| t.get("body"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ValidationError::missing("text.body", "is required"))?;
    if text.chars().count() > 4096 {
        return Err(
            ValidationError::out_of_range("text.body", "must be at most 4096 characters").into(),
        );
    }
    let wamid = state
        .app
        .group_inbound(&channel, &group_id(&id)?, &wa_id, text)
        .await
        .map_err(named(&id))?;
    Ok(Json(json!({"group_id": id, "id": wamid.as_str()})))
}
