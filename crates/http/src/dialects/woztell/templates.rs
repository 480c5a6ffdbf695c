//! The Message Template APIs: `GET /whatsapp-message-templates` (grouped by name),
//! `PUT /whatsapp-message-template` (create), `PATCH` (edit one language) and `DELETE` (by
//! name), on the same services as the Cloud plane's `/{waba_id}/message_templates` and
//! `POST /{template_id}`: Meta's lint, quotas, review and edit rules.
//!
//! - **List**: `wabaId` and `first` (1–100) are required. The filters are JSON arrays in
//!   the query as the seed writes them (`status=["APPROVED"]`; a bare or comma-separated value
//!   is read too): `status`, `category` (TRANSACTIONAL and OTP are read as UTILITY and
//!   AUTHENTICATION, Meta's current names), `quality_score`, `language`; `name`, `content` and
//!   `name_or_content` (the seed's "name or content") search text. No status filter means
//!   every status. Each item is one template name with its languages, their statuses and each
//!   language's template (`id` included, so the edit's `messageTemplateId` is at hand; the
//!   item's own `id` is the most recent language's, as the seed says). Items are in name
//!   order; `after` and `before` are the opaque cursors of `paging.cursors` (the seed's
//!   `MAZDZD` is Meta's and reads as "from the start").
//! - **Create**: `category` TRANSACTIONAL/MARKETING/OTP or Meta's names; components in any
//!   order (sample 1 puts BODY before HEADER); a `header_handle` that is a URL is fetched
//!   under the media fetcher's guard and replaced by an upload handle (Meta's for a cloud
//!   channel) after Meta's rules passed, and the fetched copy is dropped if the create is
//!   refused. The seed's three samples miss a comma after `"category"`: sent verbatim they
//!   are malformed JSON, answered `INVALID_PARAMETER`; repaired, they are created (all three
//!   name `test_template`, so the second and third are refused as "already exists").
//! - **Edit**: `messageTemplateId` names the language version; `messageTemplateName`,
//!   `messageTemplateLanguage` and `wabaId` must agree with it. Meta's rules: only APPROVED,
//!   REJECTED or PAUSED templates, an approved one once per 24 hours and 10 times per 30 days,
//!   and the edit goes back to review.
//! - **Delete**: every language of `name` on the WABA.
//!
//! Writes need an account-wide token (templates belong to the WABA, shared by its numbers);
//! listing needs only the channel's.
//!
//! **Cloud channels**: the WABA's templates are Meta's, so all four go to Meta through the
//! core's channel template functions (`wagate_app::templates::channel`): the list is Meta's
//! (filtered here by the same rules), a create or an edit is linted by wagate and then
//! submitted to Meta (which reviews it and applies its edit rules), a delete deletes at Meta.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use wagate_app::media::from::{KeepAs, MediaFrom, Source};
use wagate_core::channel::Channel;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{MediaId, TemplateId};
use wagate_core::template::{
    QualityScore, TemplateCategory, TemplateDraft, TemplateEdit, TemplateLanguage, TemplateName,
    TemplateStatus, lint,
};
use wagate_store::{Template, TemplateFilter};

use super::auth::Call;
use super::general::ok;
use crate::error::ApiError;
use crate::state::AppState;

/// The largest page (`first`).
const MAX_FIRST: u32 = 100;

/// Meta's first-page cursor, as the seed's example sends it.
const META_START: &str = "MAZDZD";

/// A list filter: a JSON array, else a comma list, else one value.
pub(super) fn values(call: &Call, key: &str) -> Result<Vec<String>, ApiError> {
    let bad = || ValidationError::new(key, "must be an array of strings, e.g. [\"APPROVED\"]");
    match call.params.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect::<Result<_, _>>()
            .map_err(Into::into),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.starts_with('[') {
                let v: Vec<String> = serde_json::from_str(s).map_err(|_| bad())?;
                Ok(v)
            } else {
                Ok(s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect())
            }
        }
        Some(_) => Err(bad().into()),
    }
}

fn parsed<T>(
    call: &Call,
    key: &str,
    parse: impl Fn(&str) -> Result<T, ValidationError>,
) -> Result<Vec<T>, ApiError> {
    values(call, key)?
        .iter()
        .map(|s| parse(s).map_err(|e| ApiError::from(ValidationError::new(key, e.message))))
        .collect()
}

fn filter(call: &Call) -> Result<TemplateFilter, ApiError> {
    let name_or_content = match call.text("name_or_content")? {
        Some(v) => Some(v),
        None => call.text("name or content")?,
    };
    Ok(TemplateFilter {
        name: call.text("name")?,
        statuses: parsed(call, "status", TemplateStatus::parse)?,
        categories: parsed(call, "category", |s| {
            TemplateCategory::parse_legacy(s, "category")
        })?,
        languages: parsed(call, "language", TemplateLanguage::parse)?,
        content: call.text("content")?,
        name_or_content,
        quality_scores: parsed(call, "quality_score", QualityScore::parse)?,
    })
}

fn encode(name: &str) -> String {
    URL_SAFE_NO_PAD.encode(name)
}

/// A cursor: the name it stands for, `None` for Meta's first-page cursor.
fn decode(key: &str, raw: &str) -> Result<Option<String>, ApiError> {
    if raw == META_START {
        return Ok(None);
    }
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidCursor,
                format!("`{raw}` is not a cursor from paging.cursors"),
            )
            .field(key)
        })
}

/// One language version in a list item.
fn version(t: &Template) -> Value {
    json!({
        "id": t.id.as_str(),
        "language": t.language.as_str(),
        "status": t.status.as_str(),
        "rejected_reason": t.rejected_reason.map_or("NONE", |r| r.as_str()),
        "components": t.components,
        "quality_score": {"score": t.quality_score.map_or("UNKNOWN", |q| q.as_str())},
    })
}

/// The list item of one name's templates.
fn item(ts: &[&Template]) -> Value {
    let newest = ts.iter().max_by_key(|t| t.created_at).expect("a group");
    json!({
        "id": newest.id.as_str(),
        "name": newest.name.as_str(),
        "category": newest.category.as_str(),
        "languages": ts.iter().map(|t| t.language.as_str()).collect::<Vec<_>>(),
        "statuses": ts.iter().map(|t| json!({
            "language": t.language.as_str(),
            "status": t.status.as_str(),
        })).collect::<Vec<_>>(),
        "templates": ts.iter().map(|t| version(t)).collect::<Vec<_>>(),
    })
}

/// The channel of the WABA `wabaId` names (the one the call names, else the caller's first
/// channel on it): where its templates are held.
async fn waba_channel(state: &AppState, call: &Call) -> Result<Channel, ApiError> {
    let waba = call.waba(state).await?;
    let channel = call.channel(state).await?;
    if channel.waba_id != waba {
        return Err(
            ApiError::not_found(ErrorCode::ChannelNotFound, "WABA", waba.as_str()).field("wabaId"),
        );
    }
    Ok(channel)
}

/// `GET /whatsapp-message-templates`.
pub async fn list(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let channel = waba_channel(&state, &call).await?;
    let first = call
        .required("first")?
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_FIRST).contains(n))
        .ok_or_else(|| {
            ValidationError::new(
                "first",
                format!("must be a whole number from 1 to {MAX_FIRST}"),
            )
        })?;
    let after = match call.text("after")? {
        Some(a) => decode("after", &a)?,
        None => None,
    };
    let before = match call.text("before")? {
        Some(b) => decode("before", &b)?,
        None => None,
    };
    if after.is_some() && before.is_some() {
        return Err(ValidationError::new("before", "give after or before, not both").into());
    }
    let f = filter(&call)?;
    let rows = state
        .app
        .channel_templates_matching(&call.principal, &channel, &f)
        .await?;
    let mut names: Vec<&str> = rows.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let total = names.len();
    let (start, end) = super::window(&names, after.as_deref(), before.as_deref(), first as usize);
    let page = &names[start..end];
    let data: Vec<Value> = page
        .iter()
        .map(|name| {
            let mut ts: Vec<&Template> = rows.iter().filter(|t| t.name.as_str() == *name).collect();
            ts.sort_by_key(|t| t.created_at);
            item(&ts)
        })
        .collect();
    let mut paging = json!({"hasNext": end < total, "hasPrevious": start > 0});
    if let (Some(a), Some(b)) = (page.first(), page.last()) {
        paging["cursors"] = json!({"before": encode(a), "after": encode(b)});
    }
    Ok(ok(json!({"data": data, "paging": paging})))
}

/// The order Meta lists a template's components in.
fn rank(c: &Value) -> u8 {
    match c
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
    {
        Some(t) if t == "HEADER" => 0,
        Some(t) if t == "BODY" => 1,
        Some(t) if t == "FOOTER" => 2,
        Some(t) if t == "BUTTONS" => 3,
        _ => 4,
    }
}

/// `(component index, sample index, URL)` of each header sample given as a URL.
fn linked_samples(body: &Value) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let Some(components) = body.get("components").and_then(Value::as_array) else {
        return out;
    };
    for (i, c) in components.iter().enumerate() {
        let handles = c
            .pointer("/example/header_handle")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for (j, h) in handles.enumerate() {
            if let Some(url) = h.as_str().map(str::trim)
                && (url.starts_with("http://") || url.starts_with("https://"))
            {
                out.push((i, j, url.to_owned()));
            }
        }
    }
    out
}

/// `PUT /whatsapp-message-template`.
pub async fn create(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let p = &call.principal;
    p.require_account_wide()?;
    let channel = waba_channel(&state, &call).await?;
    let name = call.required("name")?;
    let language = call.required("language")?;
    let category = TemplateCategory::parse_legacy(&call.required("category")?, "category")?;
    let mut components = match call.params.get("components") {
        Some(Value::Array(a)) => a.clone(),
        None | Some(Value::Null) => {
            return Err(ValidationError::missing("components", "is required").into());
        }
        Some(_) => return Err(ValidationError::new("components", "must be an array").into()),
    };
    components.sort_by_key(rank);
    let mut body = json!({
        "name": name,
        "language": language,
        "category": category.as_str(),
        "components": components,
    });
    for key in [
        "parameter_format",
        "allow_category_change",
        "message_send_ttl_seconds",
    ] {
        if let Some(v) = call.params.get(key) {
            body[key] = v.clone();
        }
    }
    // Meta's rules first: nothing is fetched for a template they refuse.
    let draft = TemplateDraft::parse(&body).map_err(wagate_app::Error::from)?;
    lint(&draft).map_err(wagate_app::Error::from)?;
    let samples = linked_samples(&body);
    let mut kept: Vec<MediaId> = Vec::new();
    let mut draft = draft;
    if !samples.is_empty() {
        for (i, j, url) in samples {
            let got = state
                .app
                .media_from(
                    p,
                    &channel,
                    MediaFrom {
                        source: Source::Link(url),
                        declared: None,
                        filename: None,
                        keep_as: KeepAs::UploadHandle,
                    },
                )
                .await;
            let got = match got {
                Ok(got) => got,
                Err(e) => {
                    forget(&state, &call, &kept).await;
                    return Err(ApiError::from(e)
                        .field(format!("components[{i}].example.header_handle[{j}]")));
                }
            };
            kept.push(got.media.id.clone());
            body["components"][i]["example"]["header_handle"][j] =
                json!(got.handle.unwrap_or_default());
        }
        draft = TemplateDraft::parse(&body).map_err(wagate_app::Error::from)?;
    }
    match state.app.create_channel_template(p, &channel, draft).await {
        Ok(t) => {
            tracing::info!(template_id = %t.id.as_str(), "woztell template created");
            Ok(ok(
                json!({"id": t.id.as_str(), "language": t.language.as_str()}),
            ))
        }
        Err(e) => {
            forget(&state, &call, &kept).await;
            Err(e.into())
        }
    }
}

/// Drops header samples fetched for a template that was not created.
async fn forget(state: &AppState, call: &Call, kept: &[MediaId]) {
    for id in kept {
        let _ = state.app.delete_media(&call.principal, id).await;
    }
}

/// `PATCH /whatsapp-message-template`.
pub async fn edit(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let p = &call.principal;
    p.require_account_wide()?;
    let channel = waba_channel(&state, &call).await?;
    let raw = call.required("messageTemplateId")?;
    let unknown = || ApiError::not_found(ErrorCode::TemplateNotFound, "template", &raw);
    let id = TemplateId::parse(&raw).map_err(|_| unknown().field("messageTemplateId"))?;
    let t =
        state
            .app
            .channel_template(p, &channel, &id)
            .await
            .map_err(|e| {
                match ApiError::naming(e, ErrorCode::TemplateNotFound, "template", &raw) {
                    e if e.code == ErrorCode::TemplateNotFound => e.field("messageTemplateId"),
                    e => e,
                }
            })?;
    if let Some(name) = call.text("messageTemplateName")?
        && name != t.name.as_str()
    {
        return Err(ValidationError::new(
            "messageTemplateName",
            format!("template {raw} is `{}`, not `{name}`", t.name.as_str()),
        )
        .into());
    }
    if let Some(lang) = call.text("messageTemplateLanguage")?
        && lang != t.language.as_str()
    {
        return Err(ValidationError::new(
            "messageTemplateLanguage",
            format!("template {raw} is in {}, not {lang}", t.language.as_str()),
        )
        .into());
    }
    let mut components = match call.params.get("components") {
        Some(Value::Array(a)) => a.clone(),
        None | Some(Value::Null) => {
            return Err(ValidationError::missing("components", "is required").into());
        }
        Some(_) => return Err(ValidationError::new("components", "must be an array").into()),
    };
    components.sort_by_key(rank);
    let edit = TemplateEdit::parse(&json!({ "components": components }))?;
    state
        .app
        .edit_channel_template(p, &channel, t, edit)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::TemplateNotFound, "template", &raw))?;
    Ok(ok(json!({"success": true})))
}

/// `DELETE /whatsapp-message-template` with `{wabaId, name}`.
pub async fn delete(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let p = &call.principal;
    p.require_account_wide()?;
    let channel = waba_channel(&state, &call).await?;
    let raw = call.required("name")?;
    let unknown = || ApiError::not_found(ErrorCode::TemplateNotFound, "template", &raw);
    let name = TemplateName::parse(&raw).map_err(|_| unknown().field("name"))?;
    let deleted = state
        .app
        .delete_channel_templates(p, &channel, &name)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::TemplateNotFound, "template", &raw))?;
    if deleted == 0 {
        return Err(unknown().field("name"));
    }
    Ok(ok(json!({"success": true})))
}
