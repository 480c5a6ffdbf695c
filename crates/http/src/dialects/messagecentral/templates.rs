//! Templates: `POST /verification/v3/template` creates one from form fields (see
//! [`create`]); `GET /verification/v3/template` checks a template's status (the seed sends
//! its parameters as multipart form data on a GET; the query string is read too):
//! `phoneNumber` (801), `templateName` and `templateId` (817 when both are missing; one is
//! enough), `templateLang` (optional, as the seed's curl leaves it out). A name that is not
//! the template's is 816. Answers Meta's template object (`name`, `components`,
//! `language`, `status`, `category`, `id`).

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, Uri};
use serde_json::{Value, json};
use wagate_app::Principal;
use wagate_core::channel::Channel;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::TemplateId;
use wagate_core::template::variables::variables;
use wagate_core::template::{Template, TemplateDraft, normalise_name};

use super::auth::{Customer, sender};
use crate::error::ApiError;
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
    let list = state.app.templates_named(p, channel, name).await?;
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

pub async fn status(
    State(state): State<AppState>,
    Customer(p): Customer,
    uri: Uri,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<Value>, ApiError> {
    let params = upload::read_form(&state, uri.query(), &headers, multipart, "file")
        .await?
        .fields;
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

/// Header formats a template takes here.
const MEDIA_FORMATS: &[&str] = &["IMAGE", "VIDEO", "DOCUMENT"];

/// The examples of `bodyValue` for `count` variables: comma-separated when there is a
/// comma, else space-separated (the seed's "Kunal MSGCTL50 20thJune").
fn body_examples(raw: &str, count: usize) -> Result<Vec<String>, ValidationError> {
    let values: Vec<String> = if raw.contains(',') {
        raw.split(',').map(|v| v.trim().to_owned()).collect()
    } else {
        raw.split_whitespace().map(str::to_owned).collect()
    };
    if values.len() != count || values.iter().any(String::is_empty) {
        return Err(ValidationError::new(
            "bodyValue",
            format!(
                "the body has {count} variable{}; give one example each ({} given)",
                if count == 1 { "" } else { "s" },
                values.len()
            ),
        ));
    }
    Ok(values)
}

/// The seed's buttons (a JSON string: `{type, text, value}` or, for URLs, `{type, text,
/// url, example}`) as Meta's.
fn buttons(raw: &str) -> Result<Vec<Value>, ValidationError> {
    let list: Vec<Value> = serde_json::from_str(raw)
        .map_err(|e| ValidationError::new("buttons", format!("must be a JSON array: {e}")))?;
    list.iter()
        .enumerate()
        .map(|(i, b)| {
            let field = format!("buttons[{i}]");
            let text = b["text"].as_str().unwrap_or_default();
            let kind = b["type"].as_str().unwrap_or_default().to_ascii_uppercase();
            let value = b["value"].as_str().or_else(|| b["url"].as_str());
            match kind.as_str() {
                "QUICK_REPLY" => Ok(json!({"type": "QUICK_REPLY", "text": text})),
                "PHONE_NUMBER" => {
                    let number = value.unwrap_or_default();
                    let number = if number.starts_with('+') {
                        number.to_owned()
                    } else {
                        format!("+{number}")
                    };
                    Ok(json!({"type": "PHONE_NUMBER", "text": text, "phone_number": number}))
                }
                "URL" => {
                    let url = value.unwrap_or_default();
                    let mut button = json!({"type": "URL", "text": text, "url": url});
                    if let Some(example) = b["example"].as_str() {
                        button["example"] = json!([example]);
                    }
                    Ok(button)
                }
                _ => Err(ValidationError::new(
                    format!("{field}.type"),
                    "must be QUICK_REPLY, URL or PHONE_NUMBER",
                )),
            }
        })
        .collect()
}

/// `POST /verification/v3/template` (multipart form fields, or the query): `phoneNumber`
/// (801), `name` (normalised: "Abhishek786" → "abhishek_786", and answered so), `language`,
/// `category`, `headerFormat` (TEXT with `header`, or IMAGE / VIDEO / DOCUMENT with the
/// sample as `file`, turned into a Resumable Upload handle in this call), `body`, `footer`,
/// `bodyValue` (the variables' examples) and `buttons` (a JSON string). The same lint and
/// review as the Cloud plane's templates; answers `{responseCode: 200, data: {data: {name,
/// id, status, category}}}` as the seed shows (the seed's envelope has no `message` here).
pub async fn create(
    State(state): State<AppState>,
    Customer(p): Customer,
    uri: Uri,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<Value>, ApiError> {
    let Upload {
        fields: params,
        staged,
        meta,
    } = upload::read_form(&state, uri.query(), &headers, multipart, "file").await?;
    let channel = sender(&state, &p, "phoneNumber", params.str("phoneNumber")).await?;
    let text = |n: &str| params.str(n).map(str::trim).filter(|s| !s.is_empty());
    let required =
        |n: &'static str| text(n).ok_or_else(|| ValidationError::missing(n, "is required"));
    let name = normalise_name(required("name")?);
    let language = required("language")?;
    let category = required("category")?.to_ascii_uppercase();
    let format = required("headerFormat")?.to_ascii_uppercase();
    let body = required("body")?;
    let header = text("header");
    let is_media = MEDIA_FORMATS.contains(&format.as_str());
    if format != "TEXT" && !is_media {
        return Err(
            ValidationError::new("headerFormat", "must be TEXT, IMAGE, VIDEO or DOCUMENT").into(),
        );
    }
    let variables = variables(body).len();
    let examples = match (variables, text("bodyValue")) {
        (0, _) => None,
        (_, None) => {
            return Err(ValidationError::missing(
                "bodyValue",
                "the body has variables: give an example for each",
            )
            .into());
        }
        (n, Some(raw)) => Some(body_examples(raw, n)?),
    };
    let buttons = text("buttons").map(buttons).transpose()?;
    let header_component = match (is_media, header, staged) {
        (false, _, Some(_)) => {
            return Err(ValidationError::new("file", "is not taken with headerFormat TEXT").into());
        }
        (false, None, None) => {
            return Err(
                ValidationError::missing("header", "is required with headerFormat TEXT").into(),
            );
        }
        (false, Some(h), None) => json!({"type": "HEADER", "format": "TEXT", "text": h}),
        (true, Some(_), _) => {
            return Err(ValidationError::new(
                "header",
                "is not taken with a media headerFormat: send the sample as `file`",
            )
            .into());
        }
        (true, None, None) => {
            return Err(ValidationError::missing(
                "file",
                "is required with a media headerFormat: the header's sample",
            )
            .into());
        }
        (true, None, Some(staged)) => {
            let kept = state
                .app
                .upload_as_handle(&p, &channel, staged, meta)
                .await?;
            json!({"type": "HEADER", "format": format,
                "example": {"header_handle": [kept.handle.unwrap_or_default()]}})
        }
    };
    let mut body_component = json!({"type": "BODY", "text": body});
    if let Some(examples) = examples {
        body_component["example"] = json!({"body_text": [examples]});
    }
    let mut components = vec![header_component, body_component];
    if let Some(footer) = text("footer") {
        components.push(json!({"type": "FOOTER", "text": footer}));
    }
    if let Some(buttons) = buttons.filter(|b| !b.is_empty()) {
        components.push(json!({"type": "BUTTONS", "buttons": buttons}));
    }
    let draft = TemplateDraft::parse(&json!({
        "name": name, "language": language, "category": category, "components": components,
    }))
    .map_err(wagate_app::Error::from)?;
    let t = state
        .app
        .create_channel_template(&p, &channel, draft)
        .await?;
    Ok(Json(json!({
        "responseCode": 200,
        "data": {"data": {
            "name": t.name.as_str(),
            "id": t.id.as_str(),
            "status": t.status.as_str(),
            "category": t.category.as_str(),
        }},
    })))
}
