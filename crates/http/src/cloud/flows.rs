//! Meta's Flows API on the Cloud plane (each path with and without its version segment):
//!
//! - `POST /{waba_id}/flows` (`name`, `categories`, `clone_flow_id`, `endpoint_uri`,
//!   `flow_json`, `publish`) → `{id, success, validation_errors?}`;
//! - `GET /{waba_id}/flows[?fields=&limit=&after=]` → `{data, paging}`;
//! - `GET /{flow_id}[?fields=…,preview.invalidate(false)]` (in the object chain);
//! - `POST /{flow_id}` (`name`, `categories`, `endpoint_uri`) → `{success: true}`;
//! - `DELETE /{flow_id}` → `{success: true}`;
//! - `POST /{flow_id}/assets` (multipart: `file`, `name`, `asset_type=FLOW_JSON`) →
//!   `{success, validation_errors}`; `GET /{flow_id}/assets` → `{data: [{name, asset_type,
//!   download_url}]}`;
//! - `POST /{flow_id}/publish`, `POST /{flow_id}/deprecate` → `{success: true}`;
//! - `GET /flows/{flow_id}/preview` and `GET /flows/{flow_id}/flow.json` with
//!   `account`, `expires`, `signature`: the preview page and the asset, to anyone holding an
//!   unexpired URL the API gave (like media download URLs).
//!
//! Parameters come as JSON, a form or the query (see [`crate::kit::params`]); `categories`
//! as an array, the text of a JSON array (pywa sends it so in forms) or comma-separated.
//! An unknown flow, or another account's or WABA's, is Graph's 100/33; a lifecycle refusal
//! is Meta's 139001–139004 with the rule in `error_data.details`.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use wagate_app::flows::{ASSET_TTL_SECS, FlowUrl, NewFlow, PREVIEW_TTL_SECS, SignedFlowUrl};
use wagate_core::Timestamp;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::flow::{
    EndpointUri, Flow, FlowCategories, FlowId, FlowMetadataEdit, FlowName, MAX_FLOW_JSON_BYTES,
};
use wagate_store::Page;

use super::path::ObjectPath;
use super::waba;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::kit::fields::FieldSelection;
use crate::kit::params::{Params, Rules};
use crate::state::AppState;

/// Page size when `limit` is absent.
const DEFAULT_LIMIT: u32 = 25;

/// Every field of a flow.
const FIELDS: &[&str] = &[
    "id",
    "name",
    "categories",
    "status",
    "validation_errors",
    "json_version",
    "data_api_version",
    "endpoint_uri",
    "preview",
    "whatsapp_business_account",
    "application",
    "health_status",
    "updated_at",
];

/// `GET /{flow_id}` without `fields`.
const DEFAULT_FIELDS: &str = "id,name,categories,status,validation_errors,json_version,data_api_version,endpoint_uri,whatsapp_business_account,application,health_status";
/// `GET /{waba_id}/flows` without `fields`.
const DEFAULT_LIST_FIELDS: &str = "id,name,categories,status,validation_errors";

fn unknown_flow(id: &str) -> ApiError {
    ApiError::not_found(ErrorCode::FlowNotFound, "object", id)
}

fn parse_id(id: &str) -> Result<FlowId, ApiError> {
    FlowId::parse(id).map_err(|_| unknown_flow(id))
}

/// Meta's time format: `2024-05-01T10:00:00+0000`.
fn graph_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

fn wanted(fields: Option<&str>, default: &str) -> Result<FieldSelection, ApiError> {
    let wanted = match FieldSelection::from_param(fields)? {
        Some(w) => w,
        None => FieldSelection::parse(default)?,
    };
    wanted.check("Flow", |n| FIELDS.contains(&n))?;
    Ok(wanted)
}

/// Whether `wanted` asks for `preview.invalidate(true)`: the preview URLs given so far stop
/// working, and a new one starts a new period.
fn invalidates_preview(wanted: &FieldSelection) -> bool {
    wanted.into_iter().any(|f| {
        f.name == "preview"
            && f.modifier("invalidate")
                .and_then(|m| m.argument.as_deref())
                .is_some_and(|a| a.eq_ignore_ascii_case("true"))
    })
}

/// `flow` narrowed to `wanted` (`id` always comes), as Graph's `fields=`.
fn view(state: &AppState, flow: &Flow, wanted: &FieldSelection, waba: Option<&Value>) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(flow.id.as_str()));
    for f in wanted {
        let v = match f.name.as_str() {
            "id" => continue,
            "name" => json!(flow.name.as_str()),
            "categories" => json!(
                flow.categories
                    .as_slice()
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
            ),
            "status" => json!(flow.status.as_str()),
            "validation_errors" => json!(flow.json.errors()),
            "json_version" => match flow.json.json_version() {
                Some(v) => json!(v),
                None => continue,
            },
            "data_api_version" => match flow.json.data_api_version() {
                Some(v) => json!(v),
                None => continue,
            },
            "endpoint_uri" => match &flow.endpoint_uri {
                Some(u) => json!(u.as_str()),
                None => continue,
            },
            "preview" => {
                let now = state.app.now().as_second();
                // A URL lasts PREVIEW_TTL_SECS; `invalidate(true)` starts a new period from
                // now, else the period is the flow's (so repeated reads answer one URL).
                let start = if invalidates_preview(wanted) {
                    now
                } else {
                    let updated = flow.updated_at.as_second();
                    updated + (now - updated) / PREVIEW_TTL_SECS * PREVIEW_TTL_SECS
                };
                let expires = start + PREVIEW_TTL_SECS;
                let signed = state.app.sign_flow_url(flow, FlowUrl::Preview, expires);
                json!({
                    "preview_url": flow_url(&state.base_url, flow, "preview", &signed),
                    "expires_at": Timestamp::from_second(expires).map(graph_time).unwrap_or_default(),
                })
            }
            "whatsapp_business_account" => waba
                .cloned()
                .unwrap_or_else(|| json!({"id": flow.waba_id.as_str()})),
            "updated_at" => json!(graph_time(flow.updated_at)),
            "application" => {
                json!({"id": "wagate", "name": "wagate", "link": state.base_url.to_string()})
            }
            "health_status" => json!({
                "can_send_message": flow.status.can_send_message(),
                "entities": [
                    {"entity_type": "FLOW", "id": flow.id.as_str(), "can_send_message": flow.status.can_send_message()},
                    {"entity_type": "WABA", "id": flow.waba_id.as_str(), "can_send_message": "AVAILABLE"},
                ],
            }),
            _ => continue,
        };
        out.insert(f.name.clone(), v);
    }
    Value::Object(out)
}

/// The WABA object a read answers for `whatsapp_business_account` (Meta's default WABA
/// fields), when `wanted` asks for it.
async fn waba_view(
    state: &AppState,
    p: &wagate_app::Principal,
    waba: &wagate_core::ids::WabaId,
    wanted: &FieldSelection,
) -> Result<Option<Value>, ApiError> {
    if !wanted.contains("whatsapp_business_account") {
        return Ok(None);
    }
    super::profile::find_waba(state, p, waba.as_str(), None).await
}

fn flow_url(base_url: &str, flow: &Flow, file: &str, s: &SignedFlowUrl) -> String {
    format!(
        "{}/flows/{}/{file}?account={}&expires={}&signature={}",
        base_url.trim_end_matches('/'),
        flow.id,
        s.account,
        s.expires,
        s.signature
    )
}

fn params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Params, ApiError> {
    Params::read(
        uri.query(),
        headers,
        body,
        Rules::GRAPH.not_an_object("the body must be a JSON object"),
    )
}

fn text(p: &Map<String, Value>, key: &str) -> Result<Option<String>, ValidationError> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ValidationError::new(key, "must be a string")),
    }
}

/// `categories`: an array of names, the text of one, or names separated by commas.
fn categories(p: &Map<String, Value>) -> Result<Option<FlowCategories>, ValidationError> {
    let items: Vec<String> = match p.get("categories") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_owned).ok_or_else(|| {
                    ValidationError::new("categories", "must be an array of category names")
                })
            })
            .collect::<Result<_, _>>()?,
        Some(Value::String(s)) if s.trim_start().starts_with('[') => serde_json::from_str::<
            Vec<String>,
        >(s)
        .map_err(|_| ValidationError::new("categories", "must be an array of category names"))?,
        Some(Value::String(s)) => s.split(',').map(str::to_owned).collect(),
        Some(_) => {
            return Err(ValidationError::new(
                "categories",
                "must be an array of category names",
            ));
        }
    };
    FlowCategories::parse(items.iter().map(String::as_str)).map(Some)
}

fn boolean(p: &Map<String, Value>, key: &str) -> Result<bool, ValidationError> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(ValidationError::new(key, "must be true or false")),
    }
}

/// A Flow JSON parameter: the JSON text, or an object (serialised, pretty).
fn flow_json(p: &Map<String, Value>) -> Result<Option<String>, ValidationError> {
    let text = match p.get("flow_json") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(v @ Value::Object(_)) => serde_json::to_string_pretty(v).unwrap_or_default(),
        Some(_) => {
            return Err(ValidationError::new(
                "flow_json",
                "must be the Flow JSON as a string (or an object)",
            ));
        }
    };
    if text.len() > MAX_FLOW_JSON_BYTES {
        return Err(ValidationError::out_of_range(
            "flow_json",
            format!("must be at most {MAX_FLOW_JSON_BYTES} bytes"),
        ));
    }
    Ok(Some(text))
}

struct CreateParams(NewFlow);

impl TryFrom<&Map<String, Value>> for CreateParams {
    type Error = ValidationError;

    fn try_from(p: &Map<String, Value>) -> Result<Self, ValidationError> {
        let name = text(p, "name")?
            .ok_or_else(|| ValidationError::missing("name", "is required: the flow's name"))?;
        let categories = categories(p)?.ok_or_else(|| {
            ValidationError::missing("categories", "is required: at least one flow category")
        })?;
        let clone_flow_id = text(p, "clone_flow_id")?
            .map(|id| {
                FlowId::parse(&id)
                    .map_err(|_| ValidationError::out_of_range("clone_flow_id", "is not a flow id"))
            })
            .transpose()?;
        Ok(Self(NewFlow {
            name: FlowName::parse(&name)?,
            categories,
            endpoint_uri: text(p, "endpoint_uri")?
                .map(|u| EndpointUri::parse(&u))
                .transpose()?,
            clone_flow_id,
            flow_json: flow_json(p)?,
            publish: boolean(p, "publish")?,
        }))
    }
}

struct EditParams(FlowMetadataEdit);

impl TryFrom<&Map<String, Value>> for EditParams {
    type Error = ValidationError;

    fn try_from(p: &Map<String, Value>) -> Result<Self, ValidationError> {
        let edit = FlowMetadataEdit {
            name: text(p, "name")?.map(|n| FlowName::parse(&n)).transpose()?,
            categories: categories(p)?,
            endpoint_uri: text(p, "endpoint_uri")?
                .map(|u| EndpointUri::parse(&u))
                .transpose()?,
        };
        if edit == FlowMetadataEdit::default() {
            return Err(ValidationError::missing(
                "name",
                "nothing to update: give name, categories or endpoint_uri",
            ));
        }
        Ok(Self(edit))
    }
}

/// `POST /{waba_id}/flows`.
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let CreateParams(cmd) = CreateParams::try_from(params(&uri, &headers, &body)?.as_map())?;
    let flow = state.app.create_flow(&p, &waba, cmd).await?;
    let mut out = json!({"id": flow.id.as_str(), "success": true});
    if !flow.json.errors().is_empty() {
        out["validation_errors"] = json!(flow.json.errors());
    }
    Ok(Json(out))
}

/// `GET /{waba_id}/flows`.
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let wanted = wanted(q.get("fields").map(String::as_str), DEFAULT_LIST_FIELDS)?;
    let limit = match q.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=Page::<FlowId>::MAX_LIMIT).contains(l))
            .ok_or_else(|| ValidationError::new("limit", "must be a whole number from 1 to 200"))?,
    };
    let after = q
        .get("after")
        .map(|a| {
            FlowId::parse(a)
                .map_err(|_| ValidationError::new("after", "is not a cursor this list gave"))
        })
        .transpose()?;
    if q.contains_key("before") {
        return Err(ValidationError::new(
            "before",
            "this list pages forwards only; use after (paging.cursors.after, or paging.next)",
        )
        .into());
    }
    let mut rows = state
        .app
        .list_flows(&p, &waba, &Page::after(after, limit + 1))
        .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    if invalidates_preview(&wanted) {
        for flow in &mut rows {
            *flow = state.app.invalidate_flow_preview(&p, &flow.id).await?;
        }
    }
    let waba_json = waba_view(&state, &p, &waba, &wanted).await?;
    let data: Vec<Value> = rows
        .iter()
        .map(|f| view(&state, f, &wanted, waba_json.as_ref()))
        .collect();
    let mut paging = json!({"cursors": {}});
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        paging["cursors"] = json!({"before": first.id.as_str(), "after": last.id.as_str()});
        if more {
            let mut next = q.clone();
            next.insert("after".into(), last.id.as_str().to_owned());
            next.remove("access_token");
            let query = serde_urlencoded::to_string(&next).unwrap_or_default();
            paging["next"] = json!(format!("{}{}?{query}", state.base_url, uri.path()));
        }
    }
    Ok(Json(json!({"data": data, "paging": paging})))
}

/// The caller's flow with id `object_id`, if it is one (for the `/{object_id}` chains).
async fn find(
    state: &AppState,
    p: &wagate_app::Principal,
    object_id: &str,
) -> Result<Option<Flow>, ApiError> {
    let Ok(id) = FlowId::parse(object_id) else {
        return Ok(None);
    };
    match state.app.get_flow(p, &id).await {
        Ok(flow) => Ok(Some(flow)),
        Err(e) if e.code() == ErrorCode::FlowNotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `GET /{flow_id}`: the flow, if `object_id` is one of the caller's (`None`: not a flow).
pub async fn get(
    state: &AppState,
    p: &wagate_app::Principal,
    object_id: &str,
    fields: Option<&str>,
) -> Result<Option<Value>, ApiError> {
    let Some(mut flow) = find(state, p, object_id).await? else {
        return Ok(None);
    };
    let wanted = wanted(fields, DEFAULT_FIELDS)?;
    if invalidates_preview(&wanted) {
        flow = state.app.invalidate_flow_preview(p, &flow.id).await?;
    }
    let waba = waba_view(state, p, &flow.waba_id, &wanted).await?;
    Ok(Some(view(state, &flow, &wanted, waba.as_ref())))
}

/// `POST /{flow_id}`: a metadata update, if `object_id` is one of the caller's flows.
pub async fn edit(
    state: &AppState,
    p: &wagate_app::Principal,
    object_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<Json<Value>>, ApiError> {
    let Some(flow) = find(state, p, object_id).await? else {
        return Ok(None);
    };
    let params = Params::body(headers, body, Rules::GRAPH)?;
    let EditParams(edit) = EditParams::try_from(params.as_map())?;
    state.app.update_flow_metadata(p, &flow.id, edit).await?;
    Ok(Some(Json(json!({"success": true}))))
}

/// `DELETE /{flow_id}`, if `object_id` is one of the caller's flows.
pub async fn delete(
    state: &AppState,
    p: &wagate_app::Principal,
    object_id: &str,
) -> Result<Option<Json<Value>>, ApiError> {
    let Some(flow) = find(state, p, object_id).await? else {
        return Ok(None);
    };
    state.app.delete_flow(p, &flow.id).await?;
    Ok(Some(Json(json!({"success": true}))))
}

/// `POST /{flow_id}/publish`.
pub async fn publish(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&object_id)?;
    state
        .app
        .publish_flow(&p, &id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::FlowNotFound, "object", &object_id))?;
    Ok(Json(json!({"success": true})))
}

/// `POST /{flow_id}/deprecate`.
pub async fn deprecate(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&object_id)?;
    state
        .app
        .deprecate_flow(&p, &id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::FlowNotFound, "object", &object_id))?;
    Ok(Json(json!({"success": true})))
}

fn bad_multipart(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRequest,
        format!("the multipart body is malformed: {e}"),
    )
}

/// `POST /{flow_id}/assets`: multipart `file` (the Flow JSON), `name` and
/// `asset_type=FLOW_JSON`.
pub async fn upload_asset(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&object_id)?;
    // As on Meta, an unknown flow is answered as such whatever the body says.
    state
        .app
        .get_flow(&p, &id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::FlowNotFound, "object", &object_id))?;
    let mut multipart = multipart.map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("upload the Flow JSON as multipart/form-data with a `file` part: {e}"),
        )
    })?;
    let mut fields = Params::default();
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = multipart.next_field().await.map_err(bad_multipart)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let bytes = field.bytes().await.map_err(bad_multipart)?;
            if bytes.len() > MAX_FLOW_JSON_BYTES {
                return Err(ValidationError::out_of_range(
                    "file",
                    format!("must be at most {MAX_FLOW_JSON_BYTES} bytes"),
                )
                .into());
            }
            file = Some(bytes.to_vec());
        } else {
            let value = field.text().await.map_err(bad_multipart)?;
            fields.insert_text(name, value);
        }
    }
    match fields.str("asset_type") {
        Some(t) if t.eq_ignore_ascii_case("FLOW_JSON") => {}
        Some(_) => {
            return Err(ValidationError::new("asset_type", "must be FLOW_JSON").into());
        }
        None => {
            return Err(ValidationError::missing("asset_type", "is required: FLOW_JSON").into());
        }
    }
    match fields.str("name") {
        Some(n) if !n.trim().is_empty() => {}
        _ => {
            return Err(ValidationError::missing(
                "name",
                "is required: the asset's name (flow.json)",
            )
            .into());
        }
    }
    let file = file.ok_or_else(|| {
        ValidationError::missing("file", "is required: a multipart part named `file`")
    })?;
    let text = String::from_utf8(file)
        .map_err(|_| ValidationError::new("file", "must be UTF-8 text (a Flow JSON)"))?;
    let flow = state.app.upload_flow_json(&p, &id, text).await?;
    Ok(Json(
        json!({"success": true, "validation_errors": flow.json.errors()}),
    ))
}

/// `GET /{flow_id}/assets`: the Flow JSON's download URL.
pub async fn assets(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&object_id)?;
    let flow = state
        .app
        .get_flow(&p, &id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::FlowNotFound, "object", &object_id))?;
    let expires = state.app.now().as_second() + ASSET_TTL_SECS;
    let signed = state.app.sign_flow_url(&flow, FlowUrl::Asset, expires);
    let url = flow_url(&state.base_url, &flow, "flow.json", &signed);
    Ok(Json(json!({
        "data": [{"name": "flow.json", "asset_type": "FLOW_JSON", "download_url": url}],
        "paging": {"cursors": {"before": "MAZDZD", "after": "MAZDZD"}},
    })))
}

#[derive(Debug, serde::Deserialize)]
pub struct SignedQuery {
    account: Option<String>,
    expires: Option<i64>,
    signature: Option<String>,
}

async fn open(
    state: &AppState,
    flow_id: &str,
    what: FlowUrl,
    q: SignedQuery,
) -> Result<Flow, ApiError> {
    let expired = || {
        ApiError::new(
            ErrorCode::FlowUrlExpired,
            "this flow URL expired or is not valid; get a new one from the API",
        )
    };
    let (Some(account), Some(expires), Some(signature)) = (q.account, q.expires, q.signature)
    else {
        return Err(expired());
    };
    let id = FlowId::parse(flow_id).map_err(|_| expired())?;
    Ok(state
        .app
        .open_flow_url(&id, what, &account, expires, &signature)
        .await?)
}

fn no_sniff(mut res: Response, content_type: &'static str) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=60"),
    );
    res
}

/// `GET /flows/{flow_id}/preview?account=&expires=&signature=`: the flow's screens as a
/// page, to anyone holding an unexpired preview URL.
pub async fn preview_page(
    State(state): State<AppState>,
    Path(flow_id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SignedQuery>,
) -> Result<Response, ApiError> {
    let flow = open(&state, &flow_id, FlowUrl::Preview, q).await?;
    let html = wagate_core::flow::preview::render(flow.name.as_str(), &flow.json.document());
    let mut res = no_sniff(html.into_response(), "text/html; charset=utf-8");
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    Ok(res)
}

/// `GET /flows/{flow_id}/flow.json?account=&expires=&signature=`: the Flow JSON as uploaded.
pub async fn download_asset(
    State(state): State<AppState>,
    Path(flow_id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SignedQuery>,
) -> Result<Response, ApiError> {
    let flow = open(&state, &flow_id, FlowUrl::Asset, q).await?;
    Ok(no_sniff(
        flow.json.text().to_owned().into_response(),
        "application/json",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn create_parameters() {
        let c = CreateParams::try_from(&map(json!({
            "name": " Sign up ", "categories": "[\"SIGN_UP\", \"OTHER\"]", "publish": "true",
            "endpoint_uri": "https://example.com/e"
        })))
        .unwrap()
        .0;
        assert_eq!(c.name.as_str(), "Sign up");
        assert_eq!(c.categories.to_stored(), "SIGN_UP,OTHER");
        assert!(c.publish);
        let c = CreateParams::try_from(&map(json!({"name": "x", "categories": ["SURVEY"],
            "flow_json": {"version": "6.0"}})))
        .unwrap()
        .0;
        assert!(c.flow_json.unwrap().contains("\"version\": \"6.0\""));
        assert_eq!(
            CreateParams::try_from(&map(json!({"name": "x", "categories": "SURVEY,OTHER"})))
                .unwrap()
                .0
                .categories
                .as_slice()
                .len(),
            2
        );
        for (body, field) in [
            (json!({"categories": ["SURVEY"]}), "name"),
            (json!({"name": "x"}), "categories"),
            (json!({"name": "x", "categories": []}), "categories"),
            (json!({"name": "x", "categories": ["NOPE"]}), "categories"),
            (json!({"name": "x", "categories": [1]}), "categories"),
            (json!({"name": ["x"], "categories": ["SURVEY"]}), "name"),
            (
                json!({"name": "x".repeat(201), "categories": ["SURVEY"]}),
                "name",
            ),
            (
                json!({"name": "x", "categories": ["SURVEY"], "endpoint_uri": "ftp://x"}),
                "endpoint_uri",
            ),
            (
                json!({"name": "x", "categories": ["SURVEY"], "publish": "maybe"}),
                "publish",
            ),
            (
                json!({"name": "x", "categories": ["SURVEY"], "clone_flow_id": "abc"}),
                "clone_flow_id",
            ),
            (
                json!({"name": "x", "categories": ["SURVEY"], "flow_json": 3}),
                "flow_json",
            ),
        ] {
            let Err(e) = CreateParams::try_from(&map(body.clone())) else {
                panic!("{body} accepted");
            };
            assert_eq!(e.field, field, "{body}");
        }
        assert_eq!(
            EditParams::try_from(&map(json!({}))).err().unwrap().field,
            "name"
        );
    }

    #[test]
    fn fields_are_checked() {
        assert!(wanted(Some("id,name,preview.invalidate(true)"), DEFAULT_FIELDS).is_ok());
        let e = wanted(Some("id,colour"), DEFAULT_FIELDS).unwrap_err();
        assert_eq!(e.code.graph().code, 100);
    }
}
