//! `/{waba_id}/message_templates` and `/{template_id}`: Meta's template management
//! (reference §1.3, §7). Create lints with Meta's rules and answers their 2388xxx subcodes;
//! lists take Meta's filters, cursor paging and `summary`.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::Uri;
use serde_json::{Map, Value, json};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::TemplateId;
use wagate_core::template::{
    QualityScore, TemplateCategory, TemplateDraft, TemplateEdit, TemplateLanguage, TemplateName,
    TemplateStatus,
};
use wagate_store::{Page, Template, TemplateFilter};

use super::path::ObjectPath;
use super::waba;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::kit::fields::FieldSelection;
use crate::kit::params::comma_list;
use crate::state::AppState;

/// Page size when `limit` is absent (Meta's default).
const DEFAULT_LIMIT: u32 = 25;

/// Meta's template object (§7).
pub fn view(t: &Template) -> Value {
    let mut v = Map::new();
    v.insert("name".into(), json!(t.name.as_str()));
    v.insert(
        "parameter_format".into(),
        json!(t.parameter_format.as_str()),
    );
    v.insert("language".into(), json!(t.language.as_str()));
    v.insert("status".into(), json!(t.status.as_str()));
    v.insert("category".into(), json!(t.category.as_str()));
    if let Some(s) = &t.sub_category {
        v.insert("sub_category".into(), json!(s));
    }
    v.insert("id".into(), json!(t.id.as_str()));
    v.insert("components".into(), t.components.clone());
    if let Some(r) = t.rejected_reason {
        v.insert("rejected_reason".into(), json!(r.as_str()));
    }
    if let Some(q) = t.quality_score {
        v.insert(
            "quality_score".into(),
            json!({"score": q.as_str(), "date": t.updated_at.as_second()}),
        );
    }
    if let Some(ttl) = t.message_send_ttl_seconds {
        v.insert("message_send_ttl_seconds".into(), json!(ttl));
    }
    Value::Object(v)
}

/// Fields a template read may ask for with `fields=` (Meta's list, §7).
const FIELDS: &[&str] = &[
    "id",
    "name",
    "language",
    "status",
    "category",
    "sub_category",
    "components",
    "parameter_format",
    "previous_category",
    "correct_category",
    "rejected_reason",
    "quality_score",
    "library_template_name",
    "message_send_ttl_seconds",
    "cta_url_link_tracking_opted_out",
    "degrees_of_freedom_spec",
];

/// `view` narrowed to `fields` (`id` always comes), as Graph's `fields=`; a field's nested
/// selection or modifiers narrow nothing here.
fn select(t: &Template, fields: Option<&FieldSelection>) -> Value {
    let full = view(t);
    let Some(fields) = fields else {
        return full;
    };
    let mut out = Map::new();
    for name in fields.names() {
        if let Some(v) = full.get(name) {
            out.insert(name.to_owned(), v.clone());
        }
    }
    out.insert("id".into(), json!(t.id.as_str()));
    Value::Object(out)
}

/// A template read's `fields=`: `None` when absent or blank; a field not in [`FIELDS`] is
/// code 100 naming `fields`.
fn fields(fields: Option<&str>) -> Result<Option<FieldSelection>, ValidationError> {
    let fields = FieldSelection::from_param(fields)?;
    if let Some(f) = fields
        .as_ref()
        .and_then(|s| s.unknown(|name| FIELDS.contains(&name)))
    {
        return Err(ValidationError::new(
            "fields",
            format!("`{f}` is not a field of a message template"),
        ));
    }
    Ok(fields)
}

/// `POST /{waba_id}/message_templates` → `{"id","status","category"}`.
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let draft = TemplateDraft::parse(&parse_json(&body)?).map_err(wagate_app::Error::from)?;
    let t = state.app.create_template(&p, &waba, draft).await?;
    Ok(Json(json!({
        "id": t.id.as_str(),
        "status": t.status.as_str(),
        "category": t.category.as_str(),
    })))
}

/// `GET /{waba_id}/message_templates`: filters, `limit`/`after`, `summary`.
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let filter = filter(&q)?;
    let limit = match q.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=Page::<TemplateId>::MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ApiError::from(ValidationError::new(
                    "limit",
                    "must be a whole number from 1 to 200",
                ))
            })?,
    };
    let after = q
        .get("after")
        .map(|a| {
            TemplateId::parse(a)
                .map_err(|_| ValidationError::new("after", "is not a cursor this list gave"))
        })
        .transpose()?;
    // One more than asked tells whether there is a next page.
    let page = Page::after(after, limit + 1);
    let (mut rows, total) = state.app.list_templates(&p, &waba, &filter, &page).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let mut out = Map::new();
    // `fields` is read once there is a template to narrow: an empty page answers as before,
    // whatever it names.
    let fields = if rows.is_empty() {
        None
    } else {
        fields(q.get("fields").map(String::as_str))?
    };
    let data = rows.iter().map(|t| select(t, fields.as_ref())).collect();
    out.insert("data".into(), Value::Array(data));
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        let mut paging =
            json!({"cursors": {"before": first.id.as_str(), "after": last.id.as_str()}});
        if more {
            let mut next = q.clone();
            next.insert("after".into(), last.id.as_str().to_owned());
            let query = serde_urlencoded::to_string(&next).unwrap_or_default();
            let base = state.config.base_url(state.config.listen);
            paging["next"] = json!(format!("{base}{}?{query}", uri.path()));
        }
        out.insert("paging".into(), paging);
    }
    if let Some(summary) = q.get("summary") {
        let limits = state.app.templates_config();
        let mut s = Map::new();
        for part in comma_list(summary) {
            match part {
                "total_count" => s.insert("total_count".into(), json!(total)),
                "message_template_count" => s.insert("message_template_count".into(), json!(total)),
                "message_template_limit" => {
                    s.insert("message_template_limit".into(), json!(limits.max_templates))
                }
                "are_translations_complete" => {
                    s.insert("are_translations_complete".into(), json!(true))
                }
                _ => None,
            };
        }
        out.insert("summary".into(), Value::Object(s));
    }
    Ok(Json(Value::Object(out)))
}

/// `DELETE /{waba_id}/message_templates?name=…[&hsm_id=…]` → `{"success":true}`.
pub async fn delete(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let name = q
        .get("name")
        .ok_or_else(|| ValidationError::new("name", "is required: the template's name"))
        // Graph answers template parameters with code 100, whatever the fault.
        .and_then(|n| {
            TemplateName::parse(n).map_err(|e| ValidationError::new("name", e.message))
        })?;
    let id = q
        .get("hsm_id")
        .map(|i| {
            TemplateId::parse(i).map_err(|_| ValidationError::new("hsm_id", "is not a template id"))
        })
        .transpose()?;
    state
        .app
        .delete_templates(&p, &waba, &name, id.as_ref())
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::TemplateNotFound, "template", name.as_str()))?;
    Ok(Json(json!({"success": true})))
}

/// `POST /{template_id}` (an edit) → `{"success":true}`. `POST /upload:…` (a Resumable
/// Upload chunk) shares the path and is handed to [`super::uploads::upload`]; so does
/// `POST /{phone_number_id}` (a two-step PIN or display name), to
/// [`super::registration::update`].
pub async fn edit(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<Json<Value>, ApiError> {
    if super::uploads::is_session(&object_id) {
        return super::uploads::upload(&state, &p, &object_id, &headers, body).await;
    }
    // The route lifts the body limit for upload chunks; an edit keeps it.
    let body = axum::body::to_bytes(body, state.config.max_body_bytes)
        .await
        .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, "the request body is too large"))?;
    // A phone number's two-step PIN or display name, else a template edit.
    if let Some(done) = super::registration::update(&state, &p, &object_id, &headers, &body).await?
    {
        return Ok(done);
    }
    // A flow's metadata update.
    if let Some(done) = super::flows::edit(&state, &p, &object_id, &headers, &body).await? {
        return Ok(done);
    }
    // A product update.
    if let Some(done) =
        super::catalogs::edit(&state, &p, &object_id, uri.query(), &headers, &body).await?
    {
        return Ok(done);
    }
    // A group's settings.
    if let Some(done) = super::groups::update(&state, &p, &object_id, &headers, &body).await? {
        return Ok(done);
    }
    let unknown = |e| ApiError::naming(e, ErrorCode::TemplateNotFound, "object", &object_id);
    let id = TemplateId::parse(&object_id)
        .map_err(|_| ApiError::not_found(ErrorCode::TemplateNotFound, "object", &object_id))?;
    let edit = match TemplateEdit::parse(&parse_json(&body)?) {
        Ok(edit) => edit,
        // As on Meta, an unknown object is answered as such whatever the body says.
        Err(invalid) => {
            state.app.get_template(&p, &id).await.map_err(unknown)?;
            return Err(invalid.into());
        }
    };
    let t = state
        .app
        .edit_template(&p, &id, edit)
        .await
        .map_err(unknown)?;
    // Meta's `{"success":true}`, with the template's id, name and category, which pywa reads.
    Ok(Json(json!({
        "success": true,
        "id": t.id.as_str(),
        "name": t.name.as_str(),
        "category": t.category.as_str(),
    })))
}

/// `GET /{waba_id}/message_templates/{template_id}`: one of that WABA's templates.
pub async fn get_in_waba(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    axum::extract::Path(params): axum::extract::Path<HashMap<String, String>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let id = params.get("template_id").cloned().unwrap_or_default();
    let unknown = || ApiError::not_found(ErrorCode::TemplateNotFound, "object", id.clone());
    let Ok(template_id) = TemplateId::parse(&id) else {
        return Err(unknown());
    };
    match state.app.get_template(&p, &template_id).await {
        Ok(t) if t.waba_id == waba => Ok(Json(select(
            &t,
            fields(q.get("fields").map(String::as_str))?.as_ref(),
        ))),
        Ok(_) => Err(unknown()),
        Err(e) if e.code() == ErrorCode::TemplateNotFound => Err(unknown()),
        Err(e) => Err(e.into()),
    }
}

/// `GET /{template_id}`: one template, or `None` when the id is not one of the caller's
/// templates (the caller then tries the other kinds of object).
pub async fn find(
    state: &AppState,
    p: &wagate_app::Principal,
    object_id: &str,
    fields: Option<&str>,
) -> Result<Option<Value>, ApiError> {
    let Ok(id) = TemplateId::parse(object_id) else {
        return Ok(None);
    };
    match state.app.get_template(p, &id).await {
        Ok(t) => Ok(Some(select(&t, self::fields(fields)?.as_ref()))),
        Err(e) if e.code() == ErrorCode::TemplateNotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Meta's list filters: comma lists for status, category, language and quality score.
fn filter(q: &HashMap<String, String>) -> Result<TemplateFilter, ApiError> {
    fn list<T>(
        q: &HashMap<String, String>,
        key: &str,
        parse: impl Fn(&str) -> Result<T, ValidationError>,
    ) -> Result<Vec<T>, ApiError> {
        match q.get(key) {
            None => Ok(Vec::new()),
            Some(v) => comma_list(v)
                .map(|s| parse(s).map_err(|e| ApiError::from(ValidationError::new(key, e.message))))
                .collect(),
        }
    }
    let text = |key: &str| q.get(key).filter(|v| !v.is_empty()).cloned();
    Ok(TemplateFilter {
        name: text("name"),
        statuses: list(q, "status", TemplateStatus::parse)?,
        categories: list(q, "category", TemplateCategory::parse)?,
        languages: list(q, "language", TemplateLanguage::parse)?,
        content: text("content"),
        name_or_content: text("name_or_content"),
        quality_scores: list(q, "quality_score", QualityScore::parse)?,
    })
}
