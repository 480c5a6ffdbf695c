//! Templates: `GET /verification/v3/template` checks a template's status (the seed sends
//! its parameters as multipart form data on a GET; the query string is read too):
//! `phoneNumber` (801), `templateName` and `templateId` (817 when both are missing; one is
//! enough), `templateLang` (optional, as the seed's curl leaves it out). A name that is not
//! the template's is 816. Answers Meta's template object (`name`, `components`,
//! `language`, `status`, `category`, `id`).

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, Uri, header};
use serde_json::{Value, json};
use wagate_app::Principal;
use wagate_core::channel::Channel;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::TemplateId;
use wagate_core::template::Template;
use wagate_store::{Page, TemplateFilter};

use super::auth::{Customer, sender};
use crate::error::ApiError;
use crate::kit::params::Params;
use crate::kit::upload::{self, Upload};
use crate::state::AppState;

/// The channel's template `name` (any case) in `language`, or in its only language when
/// none is given: 802 when there is none (or several and no language).
pub async fn find_template(
    state: &AppState,
    p: &Principal,
    channel: &Channel,
    name: &str,
    language: Option<&str>,
) -> Result<Template, ApiError> {
    let unknown = || {
        ApiError::new(
            ErrorCode::TemplateNotFound,
            format!("no template `{name}` in that language on this number's account"),
        )
        .field("templateName")
    };
    let filter = TemplateFilter {
        name: Some(name.to_lowercase()),
        ..TemplateFilter::default()
    };
    let (list, _) = state
        .app
        .list_templates(p, &channel.waba_id, &filter, &Page::first(100))
        .await?;
    let language = language.map(str::trim).filter(|l| !l.is_empty());
    let mut matches = list.into_iter().filter(|t| {
        t.name.as_str().eq_ignore_ascii_case(name)
            && language.is_none_or(|l| t.language.as_str().eq_ignore_ascii_case(l))
    });
    match (matches.next(), matches.next()) {
        (Some(t), None) => Ok(t),
        (Some(_), Some(_)) => Err(ValidationError::missing(
            "langId",
            "the template has several languages: give langId",
        )
        .into()),
        (None, _) => Err(unknown()),
    }
}

/// The request's parameters: a multipart form (the seed's GET with `--form`), over the query.
pub async fn form_params(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Upload, ApiError> {
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        upload::read(state, multipart, uri.query(), "file", None).await
    } else {
        Ok(Upload {
            fields: Params::query(uri.query()),
            staged: None,
            meta: Default::default(),
        })
    }
}

pub async fn status(
    State(state): State<AppState>,
    Customer(p): Customer,
    uri: Uri,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<Value>, ApiError> {
    let params = form_params(&state, &uri, &headers, multipart).await?.fields;
    let channel = sender(&state, &p, "phoneNumber", params.str("phoneNumber")).await?;
    let text = |n: &str| params.str(n).map(str::trim).filter(|s| !s.is_empty());
    let name = text("templateName");
    let template = match (text("templateId"), name) {
        (None, None) => {
            return Err(ValidationError::missing(
                "templateName",
                "templateId and templateName are required",
            )
            .into());
        }
        (Some(id), _) => {
            let unknown = || ApiError::not_found(ErrorCode::TemplateNotFound, "template", id);
            let id = TemplateId::parse(id).map_err(|_| unknown())?;
            let t = state.app.get_template(&p, &id).await.map_err(|e| {
                ApiError::naming(e, ErrorCode::TemplateNotFound, "template", id.as_str())
            })?;
            if t.waba_id != channel.waba_id {
                return Err(unknown());
            }
            if name.is_some_and(|n| !n.eq_ignore_ascii_case(t.name.as_str())) {
                return Err(ApiError::new(
                    ErrorCode::TemplateNotFound,
                    format!(
                        "`{}` is not the name of template {}",
                        name.unwrap_or_default(),
                        t.id.as_str()
                    ),
                )
                .field("templateName"));
            }
            t
        }
        (None, Some(name)) => {
            find_template(&state, &p, &channel, name, text("templateLang")).await?
        }
    };
    Ok(Json(json!({
        "name": template.name.as_str(),
        "components": template.components,
        "language": template.language.as_str(),
        "status": template.status.as_str(),
        "category": template.category.as_str(),
        "id": template.id.as_str(),
    })))
}
