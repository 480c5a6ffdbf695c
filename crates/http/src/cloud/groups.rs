//! Meta's Groups API (reference: developers.facebook.com/documentation/business-messaging/
//! whatsapp/groups), for sandbox numbers; a cloud number's calls go to Meta
//! ([`super::passthrough`]).
//!
//! - `POST /{phone_number_id}/groups` (`subject` ≤ 128, `description` ≤ 2048,
//!   `join_approval_mode`) → `{"messaging_product":"whatsapp","request_id":…}`; the group's
//!   id and invite link come in the `group_lifecycle_update` webhook, as on Meta.
//! - `GET /{phone_number_id}/groups[?limit=&after=]` → the number's groups,
//!   `{"data":{"groups":[{"id","subject","creation_timestamp"}]},"paging":{"cursors":…}}`.
//! - `GET /{group_id}[?fields=]`, `POST /{group_id}` (subject, description),
//!   `DELETE /{group_id}`: reached through the `/{object_id}` chains
//!   ([`find`], [`update`], [`delete`]).
//! - `GET|POST /{group_id}/invite_link`: the link, or a new one (the old stops working).
//! - `DELETE /{group_id}/participants` with `participants: [{"user": wa_id}]` (1 to 8).
//! - `GET|POST|DELETE /{group_id}/join_requests`: pending requests; approve or reject
//!   `join_requests: [id…]`.
//!
//! A group id of another account, of a number the key may not use, of a deleted group, or
//! of no group answers Meta's "Group unknown" (131041).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde_json::{Map, Value, json};
use wagate_app::Principal;
use wagate_app::groups::{Decision, participant_user_id};
use wagate_core::channel::Channel;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::group::{
    GroupDescription, GroupId, GroupInfo, GroupPatch, GroupSubject, JoinApprovalMode, JoinRequest,
    JoinRequestId, MAX_REMOVALS, NewGroup,
};
use wagate_core::phone::PhoneE164;
use wagate_store::Page;

use super::path::ObjectPath;
use super::phone_number;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::kit::params::{Params, Rules};
use crate::state::AppState;

/// Page size when `limit` is absent.
const DEFAULT_LIMIT: u32 = 25;

/// The fields of a group a read may ask for (`id` comes always).
const FIELDS: &[&str] = &[
    "subject",
    "description",
    "suspended",
    "creation_timestamp",
    "participants",
    "total_participant_count",
    "join_approval_mode",
];

fn params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    Ok(Params::read(uri.query(), headers, body, Rules::GRAPH)?
        .as_map()
        .clone())
}

fn text(p: &Map<String, Value>, key: &str) -> Result<Option<String>, ValidationError> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ValidationError::new(key, "must be a string")),
    }
}

/// `messaging_product` must be `whatsapp` when sent (Meta requires it on writes; SDKs send it).
fn product(p: &Map<String, Value>) -> Result<(), ValidationError> {
    match text(p, "messaging_product")?.as_deref() {
        None | Some("whatsapp") => Ok(()),
        Some(_) => Err(ValidationError::new(
            "messaging_product",
            "must be \"whatsapp\"",
        )),
    }
}

fn parse_new(p: &Map<String, Value>) -> Result<NewGroup, ValidationError> {
    product(p)?;
    let subject = text(p, "subject")?
        .ok_or_else(|| ValidationError::missing("subject", "is required: the group's name"))?;
    Ok(NewGroup {
        subject: GroupSubject::parse(&subject)?,
        description: GroupDescription::parse(&text(p, "description")?.unwrap_or_default())?,
        join_approval_mode: text(p, "join_approval_mode")?
            .map(|m| JoinApprovalMode::parse(&m))
            .transpose()?
            .unwrap_or_default(),
    })
}

fn parse_patch(p: &Map<String, Value>) -> Result<GroupPatch, ValidationError> {
    product(p)?;
    let patch = GroupPatch {
        subject: text(p, "subject")?
            .map(|s| GroupSubject::parse(&s))
            .transpose()?,
        description: text(p, "description")?
            .map(|d| GroupDescription::parse(&d))
            .transpose()?,
    };
    if patch.is_empty() {
        return Err(ValidationError::missing(
            "subject",
            "is required, or description: what to change",
        ));
    }
    Ok(patch)
}

/// `participants: [{"user": "<wa_id>"}]`, 1 to 8, no user twice: each as sent and parsed.
fn parse_participants(p: &Map<String, Value>) -> Result<Vec<(String, PhoneE164)>, ApiError> {
    product(p)?;
    let list = match p.get("participants") {
        None | Some(Value::Null) => {
            return Err(ValidationError::missing("participants", "is required").into());
        }
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(
                ValidationError::new("participants", "must be an array of {\"user\": …}").into(),
            );
        }
    };
    if list.is_empty() || list.len() > MAX_REMOVALS {
        return Err(ValidationError::out_of_range(
            "participants",
            format!("must name 1 to {MAX_REMOVALS} users"),
        )
        .into());
    }
    let mut out: Vec<(String, PhoneE164)> = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let field = format!("participants[{i}].user");
        let user = item
            .as_object()
            .map(|o| text(o, "user"))
            .transpose()
            .map_err(|e| ValidationError::new(field.clone(), e.message))?
            .flatten()
            .ok_or_else(|| ValidationError::missing(field.clone(), "is required"))?;
        let wa_id = PhoneE164::parse_field(&field, &user)?;
        if out.iter().any(|(_, w)| *w == wa_id) {
            return Err(ApiError::new(
                ErrorCode::GroupDuplicateParticipant,
                format!("`{user}` is named twice in participants"),
            )
            .field(field));
        }
        out.push((user, wa_id));
    }
    Ok(out)
}

/// `join_requests: ["<id>", …]`, at least one.
fn parse_join_requests(p: &Map<String, Value>) -> Result<Vec<JoinRequestId>, ValidationError> {
    product(p)?;
    let list = match p.get("join_requests") {
        None | Some(Value::Null) => {
            return Err(ValidationError::missing("join_requests", "is required"));
        }
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(_) => {
            return Err(ValidationError::new(
                "join_requests",
                "must be a non-empty array of join request ids",
            ));
        }
    };
    list.iter()
        .map(|v| match v {
            Value::String(s) => JoinRequestId::parse(s),
            Value::Number(n) => JoinRequestId::parse(&n.to_string()),
            _ => Err(ValidationError::new(
                "join_requests",
                "must hold ids (strings)",
            )),
        })
        .collect()
}

fn parse_fields(fields: Option<&str>) -> Result<Vec<&'static str>, ValidationError> {
    let Some(fields) = fields.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(FIELDS.to_vec());
    };
    let mut out = Vec::new();
    for f in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if f == "id" {
            continue;
        }
        let known = FIELDS.iter().find(|k| **k == f).ok_or_else(|| {
            ValidationError::new(
                "fields",
                format!("`{f}` is not a field of a group ({})", FIELDS.join(", ")),
            )
        })?;
        if !out.contains(known) {
            out.push(*known);
        }
    }
    Ok(out)
}

fn view(info: &GroupInfo, channel: &Channel, fields: &[&str]) -> Value {
    let g = &info.group;
    let mut v = Map::new();
    v.insert("messaging_product".into(), "whatsapp".into());
    v.insert("id".into(), g.id.as_str().into());
    for f in fields {
        let value = match *f {
            "subject" => json!(g.subject.as_str()),
            "description" => json!(g.description.as_str()),
            "suspended" => json!(g.suspended),
            "creation_timestamp" => json!(g.created_at.as_second()),
            "participants" => info
                .participants
                .iter()
                .map(|p| {
                    json!({
                        "wa_id": p.wa_id.digits(),
                        "user_id": participant_user_id(channel, &p.wa_id),
                    })
                })
                .collect(),
            "total_participant_count" => json!(info.participants.len()),
            "join_approval_mode" => json!(g.join_approval_mode.as_str()),
            _ => continue,
        };
        v.insert((*f).to_owned(), value);
    }
    Value::Object(v)
}

/// What an accepted group operation answers: Meta reports its outcome by webhook, under
/// this request id.
fn done(request_id: String) -> Value {
    json!({"messaging_product": "whatsapp", "success": true, "request_id": request_id})
}

fn unknown(id: &str) -> ApiError {
    ApiError::not_found(ErrorCode::GroupNotFound, "group", id)
}

fn parse_id(id: &str) -> Result<GroupId, ApiError> {
    GroupId::parse(id).map_err(|_| unknown(id))
}

/// The app's error, with an unknown group named as such.
fn named(id: &str) -> impl Fn(wagate_app::Error) -> ApiError + '_ {
    move |e| ApiError::naming(e, ErrorCode::GroupNotFound, "group", id)
}

/// `POST /{phone_number_id}/groups`: create a group.
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let new = parse_new(&params(&uri, &headers, &body)?)?;
    let (request_id, group) = state.app.create_group(&p, &channel, new).await?;
    tracing::Span::current().record("group_id", tracing::field::display(&group.id));
    Ok(Json(
        json!({"messaging_product": "whatsapp", "request_id": request_id}),
    ))
}

/// `GET /{phone_number_id}/groups[?limit=&after=&fields=]`: the number's groups, each
/// with the fields a read of one gives.
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let fields = parse_fields(q.get("fields").map(String::as_str))?;
    let limit = match q.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=Page::<GroupId>::MAX_LIMIT).contains(l))
            .ok_or_else(|| ValidationError::new("limit", "must be a whole number from 1 to 200"))?,
    };
    let bad_cursor = |field: &str| {
        ApiError::new(
            ErrorCode::InvalidCursor,
            "the cursor is not one this list gave; start from the first page",
        )
        .field(field)
    };
    if q.contains_key("before") {
        return Err(bad_cursor("before"));
    }
    let after = q
        .get("after")
        .map(|a| GroupId::parse(a).map_err(|_| bad_cursor("after")))
        .transpose()?;
    let mut rows = state
        .app
        .list_groups(&p, &channel, &Page::after(after, limit + 1))
        .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let data: Vec<Value> = rows
        .iter()
        .map(|info| {
            let mut v = view(info, &channel, &fields);
            if let Some(o) = v.as_object_mut() {
                o.remove("messaging_product");
            }
            v
        })
        .collect();
    let mut paging = json!({"cursors": {}});
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        paging["cursors"] =
            json!({"before": first.group.id.as_str(), "after": last.group.id.as_str()});
        if more {
            let mut next = q.clone();
            next.insert("after".into(), last.group.id.as_str().to_owned());
            next.remove("access_token");
            let query = serde_urlencoded::to_string(&next).unwrap_or_default();
            paging["next"] = json!(format!("{}{}?{query}", state.base_url, uri.path()));
        }
    }
    Ok(Json(json!({"data": data, "paging": paging})))
}

/// `GET /{group_id}[?fields=]`, from the `/{object_id}` chain: `None` when `object_id` is
/// not a group id at all (the chain goes on).
pub async fn find(
    state: &AppState,
    p: &Principal,
    object_id: &str,
    fields: Option<&str>,
) -> Result<Option<Value>, ApiError> {
    if !GroupId::looks_like(object_id) {
        return Ok(None);
    }
    let fields = parse_fields(fields)?;
    let (info, channel) = state
        .app
        .get_group(p, &parse_id(object_id)?)
        .await
        .map_err(named(object_id))?;
    Ok(Some(view(&info, &channel, &fields)))
}

/// `POST /{group_id}` (subject, description), from the `/{object_id}` chain.
pub async fn update(
    state: &AppState,
    p: &Principal,
    object_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<Json<Value>>, ApiError> {
    if !GroupId::looks_like(object_id) {
        return Ok(None);
    }
    let id = parse_id(object_id)?;
    let patch = Params::read(None, headers, body, Rules::GRAPH)
        .and_then(|m| parse_patch(m.as_map()).map_err(ApiError::from));
    let patch = match patch {
        Ok(patch) => patch,
        // An unknown group is answered as such whatever the body says.
        Err(invalid) => {
            state
                .app
                .get_group(p, &id)
                .await
                .map_err(named(object_id))?;
            return Err(invalid);
        }
    };
    let request_id = state
        .app
        .update_group(p, &id, patch)
        .await
        .map_err(named(object_id))?;
    Ok(Some(Json(done(request_id))))
}

/// `DELETE /{group_id}`, from the `/{object_id}` chain.
pub async fn delete(
    state: &AppState,
    p: &Principal,
    object_id: &str,
) -> Result<Option<Json<Value>>, ApiError> {
    if !GroupId::looks_like(object_id) {
        return Ok(None);
    }
    let request_id = state
        .app
        .delete_group(p, &parse_id(object_id)?)
        .await
        .map_err(named(object_id))?;
    Ok(Some(Json(done(request_id))))
}

/// `GET /{group_id}/invite_link`.
pub async fn invite_link(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
) -> Result<Json<Value>, ApiError> {
    let (info, _) = state
        .app
        .get_group(&p, &parse_id(&object_id)?)
        .await
        .map_err(named(&object_id))?;
    Ok(Json(json!({
        "messaging_product": "whatsapp",
        "invite_link": info.group.invite_code.link(),
    })))
}

/// `POST /{group_id}/invite_link`: a new link; the old one stops working.
pub async fn reset_invite_link(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&object_id)?;
    product(&params(&uri, &headers, &body)?)?;
    let group = state
        .app
        .reset_group_invite(&p, &id)
        .await
        .map_err(named(&object_id))?;
    Ok(Json(json!({
        "messaging_product": "whatsapp",
        "invite_link": group.invite_code.link(),
    })))
}

/// `DELETE /{group_id}/participants` with `participants: [{"user": …}]`.
pub async fn remove_participants(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&object_id)?;
    let users = match parse_participants(&params(&uri, &headers, &body)?) {
        Ok(users) => users,
        Err(invalid) => {
            state
                .app
                .get_group(&p, &id)
                .await
                .map_err(named(&object_id))?;
            return Err(invalid);
        }
    };
    let request_id = state
        .app
        .remove_group_participants(&p, &id, users)
        .await
        .map_err(named(&object_id))?;
    Ok(Json(done(request_id)))
}

fn request_view(r: &JoinRequest, channel: &Channel) -> Value {
    json!({
        "join_request_id": r.id.as_str(),
        "wa_id": r.wa_id.digits(),
        "user_id": participant_user_id(channel, &r.wa_id),
        "creation_timestamp": r.created_at.as_second().to_string(),
    })
}

/// `GET /{group_id}/join_requests`: pending requests, oldest first.
pub async fn join_requests(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
) -> Result<Json<Value>, ApiError> {
    let (requests, channel) = state
        .app
        .list_join_requests(&p, &parse_id(&object_id)?)
        .await
        .map_err(named(&object_id))?;
    let data: Vec<Value> = requests.iter().map(|r| request_view(r, &channel)).collect();
    let mut cursors = Map::new();
    if let (Some(first), Some(last)) = (requests.first(), requests.last()) {
        cursors.insert("before".into(), first.id.as_str().into());
        cursors.insert("after".into(), last.id.as_str().into());
    }
    Ok(Json(json!({"data": data, "paging": {"cursors": cursors}})))
}

async fn decide(
    state: AppState,
    p: Principal,
    object_id: String,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    decision: Decision,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&object_id)?;
    let requests = match parse_join_requests(&params(&uri, &headers, &body)?) {
        Ok(r) => r,
        Err(invalid) => {
            state
                .app
                .get_group(&p, &id)
                .await
                .map_err(named(&object_id))?;
            return Err(invalid.into());
        }
    };
    let decided = state
        .app
        .decide_join_requests(&p, &id, &requests, decision)
        .await
        .map_err(named(&object_id))?;
    let key = match decision {
        Decision::Approve => "approved_join_requests",
        Decision::Reject => "rejected_join_requests",
    };
    let ids: Vec<&str> = decided.iter().map(|r| r.id.as_str()).collect();
    let mut out = done(wagate_app::groups::request_id());
    out[key] = json!(ids);
    Ok(Json(out))
}

/// `POST /{group_id}/join_requests` with `join_requests: [id…]`: approve them.
pub async fn approve_join_requests(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    decide(state, p, object_id, uri, headers, body, Decision::Approve).await
}

/// `DELETE /{group_id}/join_requests` with `join_requests: [id…]`: reject them.
pub async fn reject_join_requests(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    decide(state, p, object_id, uri, headers, body, Decision::Reject).await
}

/// The routes, each with and without the version segment.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{delete, get};
    let mut r = axum::Router::new();
    for prefix in ["/{version}/{object_id}", "/{object_id}"] {
        r = r
            .route(&format!("{prefix}/groups"), get(list).post(create))
            .route(
                &format!("{prefix}/invite_link"),
                get(invite_link).post(reset_invite_link),
            )
            .route(
                &format!("{prefix}/participants"),
                delete(remove_participants),
            )
            .route(
                &format!("{prefix}/join_requests"),
                get(join_requests)
                    .post(approve_join_requests)
                    .delete(reject_join_requests),
            );
    }
    r
}

/// `POST /{phone_number_id}/messages` with `recipient_type: "group"`, from the send handler:
/// `None` for any other send. A cloud number's group message goes to Meta as it is; a
/// sandbox number's is checked and handed over (see `wagate_app::groups::messages`).
pub async fn send(
    state: &AppState,
    channel: &wagate_core::channel::Channel,
    body: &Value,
) -> Result<Option<axum::response::Response>, ApiError> {
    use axum::response::IntoResponse;
    if body.get("recipient_type").and_then(Value::as_str) != Some("group") {
        return Ok(None);
    }
    if matches!(channel.upstream, wagate_core::channel::Upstream::Cloud(_)) {
        let call = wagate_app::upstream::proxy::ProxyCall {
            method: axum::http::Method::POST,
            version: None,
            path: format!("{}/messages", channel.phone_number_id),
            query: None,
            content_type: Some("application/json".to_owned()),
            body: serde_json::to_vec(body).unwrap_or_default(),
        };
        let answer = state.app.forward_to_meta(channel, call).await?;
        let mut res = axum::response::Response::new(axum::body::Body::from(answer.body));
        *res.status_mut() = axum::http::StatusCode::from_u16(answer.status)
            .unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
        res.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        );
        return Ok(Some(res));
    }
    let p = body.as_object().cloned().unwrap_or_default();
    match text(&p, "messaging_product")?.as_deref() {
        Some("whatsapp") => {}
        Some(_) => {
            return Err(ValidationError::new("messaging_product", "must be \"whatsapp\"").into());
        }
        None => return Err(ValidationError::missing("messaging_product", "is required").into()),
    }
    let to = text(&p, "to")?
        .ok_or_else(|| ValidationError::missing("to", "is required: the group id"))?;
    let group_id = parse_id(&to)?;
    let content = wagate_core::content::Content::outbound(body)?;
    let biz_opaque_callback_data = text(&p, "biz_opaque_callback_data")?
        .map(|s| {
            wagate_core::message::CallbackData::parse(&s)
                .map(wagate_core::message::CallbackData::into_string)
        })
        .transpose()?;
    let wamid = state
        .app
        .send_group_message(
            channel,
            wagate_app::groups::messages::GroupSend {
                group_id,
                content,
                biz_opaque_callback_data,
            },
        )
        .await
        .map_err(named(&to))?;
    Ok(Some(
        Json(json!({
            "messaging_product": "whatsapp",
            // As Meta answers a group send (pywa reads the chat's id from `wa_id`).
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid.as_str(), "message_status": "accepted"}],
        }))
        .into_response(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn creates_and_patches() {
        let n = parse_new(&map(
            json!({"messaging_product": "whatsapp", "subject": " Club "}),
        ))
        .unwrap();
        assert_eq!(n.subject.as_str(), "Club");
        assert_eq!(n.join_approval_mode, JoinApprovalMode::AutoApprove);
        for (body, field) in [
            (json!({}), "subject"),
            (json!({"subject": "x".repeat(129)}), "subject"),
            (
                json!({"subject": "x", "description": "d".repeat(2049)}),
                "description",
            ),
            (
                json!({"subject": "x", "join_approval_mode": "open"}),
                "join_approval_mode",
            ),
            (
                json!({"subject": "x", "messaging_product": "sms"}),
                "messaging_product",
            ),
        ] {
            assert_eq!(
                parse_new(&map(body.clone())).unwrap_err().field,
                field,
                "{body}"
            );
        }
        assert_eq!(parse_patch(&map(json!({}))).unwrap_err().field, "subject");
        assert!(
            parse_patch(&map(json!({"description": ""})))
                .unwrap()
                .description
                .is_some()
        );
    }

    #[test]
    fn participants_rules() {
        let ok = parse_participants(&map(json!({"participants": [{"user": "+1 555 000 1111"}]})))
            .unwrap();
        assert_eq!(ok[0].1.digits(), "15550001111");
        let dup = parse_participants(&map(
            json!({"participants": [{"user": "15550001111"}, {"user": "+15550001111"}]}),
        ))
        .unwrap_err();
        assert_eq!(dup.code, ErrorCode::GroupDuplicateParticipant);
        let many: Vec<Value> = (0..9)
            .map(|i| json!({"user": format!("1555000111{i}")}))
            .collect();
        let e = parse_participants(&map(json!({ "participants": many }))).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameterValue);
        assert_eq!(
            parse_participants(&map(json!({}))).unwrap_err().code,
            ErrorCode::MissingParameter
        );
    }

    #[test]
    fn fields() {
        assert_eq!(parse_fields(None).unwrap(), FIELDS);
        assert_eq!(parse_fields(Some("id,subject")).unwrap(), ["subject"]);
        assert!(parse_fields(Some("owner")).is_err());
    }
}
