//! `/{phone_number_id}/message_qrdls`: QR codes with a prefilled message (reference §1.5),
//! and `/qr/{code}.{png,svg}`, their images.
//!
//! - `POST /message_qrdls` with `prefilled_message` (and `generate_qr_image`: `PNG` or `SVG`,
//!   any case) creates a code; with `code` too it updates that code's message. The parameters
//!   come as JSON, as a form, or in the query string (whatsapp-api-js sends them there,
//!   pywa as JSON); a body's value wins over the query's.
//! - `POST /message_qrdls/{code}?prefilled_message=…` updates too (whatsapp-api-js).
//! - `GET /message_qrdls[/]` lists (`limit`, `after`, `fields`), `GET /message_qrdls/{code}`
//!   answers `{"data":[…]}` with one code, `DELETE /message_qrdls/{code}` deletes.
//!
//! A code object is `code`, `prefilled_message`, `deep_link_url`, and `qr_image_url` when an
//! image was asked for (`generate_qr_image`, or `fields=qr_image_url.format(SVG)`). The image
//! URL needs no key, like Meta's CDN URL: see `wagate_app::channels::qr_codes`. An unknown code, or one
//! of another phone number or account, is Graph's 100/33; bad parameters are code 100 naming
//! the parameter.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use wagate_app::channels::qr_codes::qr_image_url;
use wagate_core::channel::Channel;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::qr::{PrefilledMessage, QrCodeId, QrImageFormat};
use wagate_store::Page;
use wagate_store::qr_codes::QrCode;

use super::path::ObjectPath;
use super::phone_number;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::kit::fields::FieldSelection;
use crate::kit::params::{Params, Rules};
use crate::state::AppState;

/// Page size when `limit` is absent (Graph's usual default).
const DEFAULT_LIMIT: u32 = 25;

/// One field of a code object a read may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Code,
    PrefilledMessage,
    DeepLinkUrl,
    QrImageUrl(QrImageFormat),
}

/// What a read answers without `fields`: no image URL (as Meta's reads).
const DEFAULT_FIELDS: &[Field] = &[Field::Code, Field::PrefilledMessage, Field::DeepLinkUrl];

/// `fields=code,prefilled_message,deep_link_url,qr_image_url.format(PNG)`; `qr_image_url`
/// alone is the PNG. `code` comes always, as `id` does for other Graph objects.
fn parse_fields(fields: Option<&str>) -> Result<Vec<Field>, ValidationError> {
    let Some(fields) = FieldSelection::from_param(fields)? else {
        return Ok(DEFAULT_FIELDS.to_vec());
    };
    let mut out = vec![Field::Code];
    for f in &fields {
        let unknown = || {
            ValidationError::new(
                "fields",
                format!(
                    "`{f}` is not a field of a QR code (code, prefilled_message, \
                     deep_link_url, qr_image_url.format(PNG|SVG))"
                ),
            )
        };
        let field = match (f.name.as_str(), f.is_plain()) {
            ("code", true) => Field::Code,
            ("prefilled_message", true) => Field::PrefilledMessage,
            ("deep_link_url", true) => Field::DeepLinkUrl,
            ("qr_image_url", true) => Field::QrImageUrl(QrImageFormat::Png),
            ("qr_image_url", false) => match (&f.argument, &f.modifiers[..], &f.nested) {
                (None, [m], None) if m.name == "format" => {
                    let format = m.argument.as_deref().ok_or_else(unknown)?;
                    Field::QrImageUrl(QrImageFormat::parse("fields", format)?)
                }
                _ => return Err(unknown()),
            },
            _ => return Err(unknown()),
        };
        if !out.contains(&field) {
            out.push(field);
        }
    }
    Ok(out)
}

/// A code object with `fields`.
fn view(qr: &QrCode, fields: &[Field], base_url: &str) -> Value {
    let mut v = Map::new();
    for f in fields {
        let (key, value) = match f {
            Field::Code => ("code", json!(qr.code.as_str())),
            Field::PrefilledMessage => ("prefilled_message", json!(qr.prefilled_message.as_str())),
            Field::DeepLinkUrl => ("deep_link_url", json!(qr.code.deep_link_url())),
            Field::QrImageUrl(format) => (
                "qr_image_url",
                json!(qr_image_url(base_url, &qr.code, *format)),
            ),
        };
        v.insert(key.to_owned(), value);
    }
    Value::Object(v)
}

/// The object a write answers: the three fields, and the image URL when one was asked for.
fn written(qr: &QrCode, image: Option<QrImageFormat>, base_url: &str) -> Value {
    let mut fields = DEFAULT_FIELDS.to_vec();
    fields.extend(image.map(Field::QrImageUrl));
    view(qr, &fields, base_url)
}

/// A write's parameters (see [`crate::kit::params`]).
fn params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Params, ApiError> {
    Params::read(
        uri.query(),
        headers,
        body,
        Rules::GRAPH.not_an_object("the body must be a JSON object with prefilled_message"),
    )
}

/// A string parameter; numbers are taken as their text, `null` as absent.
fn text(params: &Map<String, Value>, key: &str) -> Result<Option<String>, ValidationError> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ValidationError::new(key, "must be a string")),
    }
}

/// A create or update, as parsed from its parameters.
#[derive(Debug)]
struct QrWrite {
    /// The code to update (`None`: create). Kept as sent: any text that is not one of the
    /// caller's codes is "not found".
    code: Option<String>,
    message: PrefilledMessage,
    image: Option<QrImageFormat>,
}

impl TryFrom<&Map<String, Value>> for QrWrite {
    type Error = ValidationError;

    fn try_from(p: &Map<String, Value>) -> Result<Self, ValidationError> {
        let message = text(p, "prefilled_message")?.ok_or_else(|| {
            ValidationError::new("prefilled_message", "is required: the message to prefill")
        })?;
        let image = text(p, "generate_qr_image")?
            .map(|f| QrImageFormat::parse("generate_qr_image", &f))
            .transpose()?;
        Ok(Self {
            code: text(p, "code")?,
            message: PrefilledMessage::parse(&message)?,
            image,
        })
    }
}

/// The caller's code named `code` on `channel`, or Graph's "does not exist".
fn unknown_code(code: &str) -> ApiError {
    ApiError::not_found(ErrorCode::QrCodeNotFound, "QR code", code)
}

fn parse_code(code: &str) -> Result<QrCodeId, ApiError> {
    QrCodeId::parse(code).map_err(|_| unknown_code(code))
}

async fn write(
    state: &AppState,
    p: &wagate_app::Principal,
    channel: &Channel,
    w: QrWrite,
) -> Result<Json<Value>, ApiError> {
    let qr = match &w.code {
        None => state.app.create_qr_code(p, channel, w.message).await?,
        Some(code) => state
            .app
            .update_qr_code(p, channel, &parse_code(code)?, w.message)
            .await
            .map_err(|e| ApiError::naming(e, ErrorCode::QrCodeNotFound, "QR code", code))?,
    };
    Ok(Json(written(&qr, w.image, &state.base_url)))
}

/// `POST /{phone_number_id}/message_qrdls`: create, or update when `code` is given.
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let w = QrWrite::try_from(params(&uri, &headers, &body)?.as_map())?;
    write(&state, &p, &channel, w).await
}

/// `POST /{phone_number_id}/message_qrdls/{code}`: update that code.
pub async fn update(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    Path(path): Path<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let code = path.get("code").cloned().unwrap_or_default();
    let mut w = QrWrite::try_from(params(&uri, &headers, &body)?.as_map())?;
    if w.code.as_ref().is_some_and(|c| *c != code) {
        return Err(ValidationError::new("code", "differs from the code in the path").into());
    }
    w.code = Some(code);
    write(&state, &p, &channel, w).await
}

/// `GET /{phone_number_id}/message_qrdls[?fields=&limit=&after=]`.
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
            .filter(|l| (1..=Page::<QrCodeId>::MAX_LIMIT).contains(l))
            .ok_or_else(|| ValidationError::new("limit", "must be a whole number from 1 to 200"))?,
    };
    let after = q
        .get("after")
        .map(|a| {
            QrCodeId::parse(a)
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
    // One more than asked tells whether there is a next page.
    let mut rows = state
        .app
        .list_qr_codes(&p, &channel, &Page::after(after, limit + 1))
        .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let data: Vec<Value> = rows
        .iter()
        .map(|qr| view(qr, &fields, &state.base_url))
        .collect();
    let mut paging = json!({"cursors": {}});
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        paging["cursors"] = json!({"before": first.code.as_str(), "after": last.code.as_str()});
        if more {
            let mut next = q.clone();
            next.insert("after".into(), last.code.as_str().to_owned());
            next.remove("access_token");
            let query = serde_urlencoded::to_string(&next).unwrap_or_default();
            paging["next"] = json!(format!("{}{}?{query}", state.base_url, uri.path()));
        }
    }
    Ok(Json(json!({"data": data, "paging": paging})))
}

/// `GET /{phone_number_id}/message_qrdls/{code}[?fields=]` → `{"data":[{…}]}`.
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    Path(path): Path<HashMap<String, String>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let code = path.get("code").cloned().unwrap_or_default();
    let fields = parse_fields(q.get("fields").map(String::as_str))?;
    let qr = state
        .app
        .get_qr_code(&p, &channel, &parse_code(&code)?)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::QrCodeNotFound, "QR code", &code))?;
    Ok(Json(json!({"data": [view(&qr, &fields, &state.base_url)]})))
}

/// `DELETE /{phone_number_id}/message_qrdls/{code}` → `{"success":true}`.
pub async fn delete(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    Path(path): Path<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let code = path.get("code").cloned().unwrap_or_default();
    state
        .app
        .delete_qr_code(&p, &channel, &parse_code(&code)?)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::QrCodeNotFound, "QR code", &code))?;
    Ok(Json(json!({"success": true})))
}

/// `GET /qr/{code}.png` or `.svg`: the image of a live code, to anyone (no key), as Meta's
/// CDN serves `qr_image_url`.
pub async fn image(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let (code, format) = file
        .rsplit_once('.')
        .and_then(|(code, ext)| {
            Some((
                QrCodeId::parse(code).ok()?,
                QrImageFormat::from_extension(ext)?,
            ))
        })
        .ok_or_else(|| unknown_code(&file))?;
    let image = state
        .app
        .qr_code_image(&code, format)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::QrCodeNotFound, "QR code", &file))?;
    let mut res = image.bytes.into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn fields() {
        assert_eq!(parse_fields(None).unwrap(), DEFAULT_FIELDS);
        assert_eq!(parse_fields(Some(" ")).unwrap(), DEFAULT_FIELDS);
        assert_eq!(
            parse_fields(Some(
                "code,prefilled_message,deep_link_url,qr_image_url.format(SVG)"
            ))
            .unwrap(),
            [
                Field::Code,
                Field::PrefilledMessage,
                Field::DeepLinkUrl,
                Field::QrImageUrl(QrImageFormat::Svg)
            ]
        );
        assert_eq!(
            parse_fields(Some("prefilled_message,qr_image_url")).unwrap(),
            [
                Field::Code,
                Field::PrefilledMessage,
                Field::QrImageUrl(QrImageFormat::Png)
            ]
        );
        assert_eq!(
            parse_fields(Some("qr_image_url.format(png)")).unwrap(),
            [Field::Code, Field::QrImageUrl(QrImageFormat::Png)]
        );
        for bad in ["id", "qr_image_url.format(GIF)", "qr_image_url.format(PNG"] {
            assert_eq!(
                parse_fields(Some(bad)).unwrap_err().field,
                "fields",
                "{bad}"
            );
        }
    }

    #[test]
    fn writes() {
        let w = QrWrite::try_from(&map(
            json!({"prefilled_message": " Hi ", "generate_qr_image": "svg"}),
        ))
        .unwrap();
        assert_eq!(w.message.as_str(), "Hi");
        assert_eq!(w.image, Some(QrImageFormat::Svg));
        assert_eq!(w.code, None);
        let w = QrWrite::try_from(&map(json!({"prefilled_message": 42, "code": "X"}))).unwrap();
        assert_eq!((w.message.as_str(), w.code.as_deref()), ("42", Some("X")));
        for (body, field) in [
            (json!({}), "prefilled_message"),
            (json!({"prefilled_message": ""}), "prefilled_message"),
            (
                json!({"prefilled_message": "x".repeat(141)}),
                "prefilled_message",
            ),
            (json!({"prefilled_message": ["x"]}), "prefilled_message"),
            (
                json!({"prefilled_message": "x", "generate_qr_image": "GIF"}),
                "generate_qr_image",
            ),
            (json!({"prefilled_message": "x", "code": {}}), "code"),
        ] {
            assert_eq!(
                QrWrite::try_from(&map(body.clone())).unwrap_err().field,
                field,
                "{body}"
            );
        }
    }

    #[test]
    fn parameters_come_from_the_query_a_form_or_json() {
        let uri: Uri =
            "/v23.0/1/message_qrdls?generate_qr_image=png&prefilled_message=Hello%20there"
                .parse()
                .unwrap();
        let none = HeaderMap::new();
        let p = params(&uri, &none, b"").unwrap().as_map().clone();
        assert_eq!(p["prefilled_message"], "Hello there");
        assert_eq!(p["generate_qr_image"], "png");
        let p = params(&uri, &none, br#"{"prefilled_message": "from JSON"}"#)
            .unwrap()
            .as_map()
            .clone();
        assert_eq!(
            (&p["prefilled_message"], &p["generate_qr_image"]),
            (&json!("from JSON"), &json!("png"))
        );
        let mut form = HeaderMap::new();
        form.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        let p = params(&uri, &form, b"prefilled_message=from+a+form")
            .unwrap()
            .as_map()
            .clone();
        assert_eq!(p["prefilled_message"], "from a form");
        let e = params(&uri, &none, b"[1]").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        let e = params(&uri, &none, b"{").unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedJson);
    }
}
