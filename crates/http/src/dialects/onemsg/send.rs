//! The session sends (`sendMessage`, `sendFile`, `sendLocation`, `sendContact`, `sendList`,
//! `sendButton`, `sendLocationRequest`, `sendReaction`) and `readMessage`.
//!
//! Each reads its parameters from a JSON body, a form (sendReaction's sample) or, for
//! sendFile, multipart form data; builds the Cloud API send body they stand for; and sends
//! it through the Cloud plane's parser and `App::send_message`, so every rule (types,
//! limits, the 24-hour window the seed warns about, blocks, the wallet) is the core's. The
//! recipient is `chatId` or `phone` ([`wire::recipient`]); `quotedMsgId` becomes the
//! message's `context`. The answer is `{sent: true, id, message, description}`, `id` the
//! message's `wamid.…`.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};
use wagate_app::media::from::{KeepAs, MediaFrom, Obtained, Source};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::message::Wamid;

use super::auth::Call;
use super::wire::{self, Sent, text_or_number};
use crate::cloud::messages::parse_send;
use crate::error::ApiError;
use crate::kit::params::Params;
use crate::kit::upload::{self, Upload};
use crate::state::AppState;

/// A required text parameter (a number is taken as its text).
pub(super) fn required(params: &Params, name: &str) -> Result<String, ValidationError> {
    text_or_number(params, name)?.ok_or_else(|| ValidationError::missing(name, "is required"))
}

/// An optional text parameter, non-empty.
pub(super) fn optional(params: &Params, name: &str) -> Result<Option<String>, ValidationError> {
    text_or_number(params, name)
}

/// A parameter holding JSON: the value itself from a JSON body, or its text from a form.
pub(super) fn json_param(params: &Params, name: &str) -> Result<Option<Value>, ValidationError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map(Some)
            .map_err(|_| ValidationError::new(name, "must be JSON")),
        Some(v) => Ok(Some(v.clone())),
    }
}

/// Sends `object` (a Cloud API send body without `messaging_product` and `to`) to the
/// call's recipient, quoting `quotedMsgId` when given.
pub(super) async fn send(
    state: &AppState,
    call: &Call,
    object: Value,
) -> Result<Json<Sent>, ApiError> {
    let to = wire::recipient(&call.params)?;
    let mut body = json!({"messaging_product": "whatsapp", "to": to.digits()});
    if let Value::Object(fields) = object {
        for (k, v) in fields {
            body[k] = v;
        }
    }
    if let Some(quoted) = optional(&call.params, "quotedMsgId")? {
        Wamid::parse_field("quotedMsgId", &quoted)?;
        body["context"] = json!({"message_id": quoted});
    }
    let cmd = parse_send(&body)?;
    let m = state
        .app
        .send_message(&call.principal, &call.channel, cmd)
        .await?;
    tracing::Span::current().record("message_id", tracing::field::display(m.id));
    Ok(Json(Sent::of(&m)))
}

/// `POST /sendMessage`: `body` as a text message.
pub async fn message(State(state): State<AppState>, call: Call) -> Result<Json<Sent>, ApiError> {
    let text = required(&call.params, "body")?;
    send(
        &state,
        &call,
        json!({"type": "text", "text": {"body": text}}),
    )
    .await
}

/// `POST /sendLocation`: `lat`, `lng` (strings or numbers), `name`, `address`.
pub async fn location(State(state): State<AppState>, call: Call) -> Result<Json<Sent>, ApiError> {
    let coordinate = |name: &str| -> Result<f64, ValidationError> {
        required(&call.params, name)?
            .parse::<f64>()
            .map_err(|_| ValidationError::new(name, "must be a number like 45.018337"))
    };
    let mut location = json!({"latitude": coordinate("lat")?, "longitude": coordinate("lng")?});
    for field in ["name", "address"] {
        if let Some(v) = optional(&call.params, field)? {
            location[field] = json!(v);
        }
    }
    send(
        &state,
        &call,
        json!({"type": "location", "location": location}),
    )
    .await
}

/// `POST /sendContact`: `contacts`, the Cloud API's contact objects.
pub async fn contact(State(state): State<AppState>, call: Call) -> Result<Json<Sent>, ApiError> {
    let contacts = json_param(&call.params, "contacts")?
        .ok_or_else(|| ValidationError::missing("contacts", "is required"))?;
    let contacts = match contacts {
        Value::Object(_) => json!([contacts]),
        Value::Array(_) => contacts,
        _ => return Err(ValidationError::new("contacts", "must be an array of contacts").into()),
    };
    send(
        &state,
        &call,
        json!({"type": "contacts", "contacts": contacts}),
    )
    .await
}

/// The interactive message's header, footer and body from `header`, `footer` and `body`.
fn interactive(params: &Params, kind: &str) -> Result<Map<String, Value>, ValidationError> {
    let mut i = Map::new();
    i.insert("type".into(), json!(kind));
    i.insert("body".into(), json!({"text": required(params, "body")?}));
    match json_param_or_text(params, "header")? {
        None => {}
        Some(Value::String(text)) => {
            i.insert("header".into(), json!({"type": "text", "text": text}));
        }
        Some(header @ Value::Object(_)) => {
            i.insert("header".into(), header);
        }
        Some(_) => {
            return Err(ValidationError::new(
                "header",
                "must be a text or an object",
            ));
        }
    }
    if let Some(footer) = optional(params, "footer")? {
        i.insert("footer".into(), json!({"text": footer}));
    }
    Ok(i)
}

/// A parameter that is text, or an object (as JSON, or as JSON text in a form).
fn json_param_or_text(params: &Params, name: &str) -> Result<Option<Value>, ValidationError> {
    match params.get(name) {
        Some(Value::String(s)) if !s.trim_start().starts_with('{') => Ok(Some(s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .map(Value::String)),
        _ => json_param(params, name),
    }
}

/// Object keys trimmed (the seed's reply-button example has a key `"id "`).
fn trim_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k.trim().to_owned(), trim_keys(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(trim_keys).collect()),
        other => other,
    }
}

/// `POST /sendList`: `body`, `header`, `footer`, `action` (the list button's text) and
/// `sections` (the Cloud API's sections, as JSON or JSON text).
pub async fn list(State(state): State<AppState>, call: Call) -> Result<Json<Sent>, ApiError> {
    let mut i = interactive(&call.params, "list")?;
    let button = required(&call.params, "action")?;
    let sections = json_param(&call.params, "sections")?
        .ok_or_else(|| ValidationError::missing("sections", "is required"))?;
    i.insert(
        "action".into(),
        json!({"button": button, "sections": trim_keys(sections)}),
    );
    send(
        &state,
        &call,
        json!({"type": "interactive", "interactive": i}),
    )
    .await
}

/// `POST /sendButton`: `body`, `header`, `footer` and up to 3 reply buttons. The seed
/// leaves the array's name blank and its example calls it `sections`; `buttons` is taken
/// too. Each is `{"type": "reply", "reply": {"id", "title"}}` (or just `{"id", "title"}`).
pub async fn button(State(state): State<AppState>, call: Call) -> Result<Json<Sent>, ApiError> {
    let mut i = interactive(&call.params, "button")?;
    let (field, buttons) = match json_param(&call.params, "buttons")? {
        Some(b) => ("buttons", b),
        None => (
            "sections",
            json_param(&call.params, "sections")?.ok_or_else(|| {
                ValidationError::missing("buttons", "is required (or `sections`)")
            })?,
        ),
    };
    let Value::Array(items) = trim_keys(buttons) else {
        return Err(ValidationError::new(field, "must be an array of reply buttons").into());
    };
    let buttons: Vec<Value> = items
        .into_iter()
        .map(|b| {
            if b.get("reply").is_some() {
                b
            } else {
                json!({"type": "reply", "reply": b})
            }
        })
        .collect();
    i.insert("action".into(), json!({"buttons": buttons}));
    send(
        &state,
        &call,
        json!({"type": "interactive", "interactive": i}),
    )
    .await
}

/// `POST /sendLocationRequest`: `body` with a "send location" button.
pub async fn location_request(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Sent>, ApiError> {
    let text = required(&call.params, "body")?;
    let i = json!({"type": "location_request_message", "body": {"text": text},
        "action": {"name": "send_location"}});
    send(
        &state,
        &call,
        json!({"type": "interactive", "interactive": i}),
    )
    .await
}

/// `POST /sendReaction`: `body` one emoji (empty removes the reaction) on `quotedMsgId`.
pub async fn reaction(State(state): State<AppState>, call: Call) -> Result<Json<Sent>, ApiError> {
    let emoji = match call.params.get("body") {
        None | Some(Value::Null) => {
            return Err(ValidationError::missing(
                "body",
                "is required: an emoji, or empty to remove the reaction",
            )
            .into());
        }
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(_) => return Err(ValidationError::new("body", "must be a string").into()),
    };
    let quoted = required(&call.params, "quotedMsgId")?;
    Wamid::parse_field("quotedMsgId", &quoted)?;
    // The reaction names its message itself; it is not a quote.
    let to = wire::recipient(&call.params)?;
    let body = json!({"messaging_product": "whatsapp", "to": to.digits(), "type": "reaction",
        "reaction": {"message_id": quoted, "emoji": emoji}});
    let cmd = parse_send(&body)?;
    let m = state
        .app
        .send_message(&call.principal, &call.channel, cmd)
        .await?;
    Ok(Json(Sent::of(&m)))
}

/// A file from parameter (and multipart part) `name`: a link, a `data:` URI (or bare
/// base64), or a form-data file; kept as a media id of the channel's (and, with
/// [`KeepAs::UploadHandle`], an upload handle). The form's other fields join the call's
/// parameters. `None` when the request has no such file and `name` is absent.
pub async fn keep_file(
    state: &AppState,
    call: &mut Call,
    name: &str,
    keep_as: KeepAs,
) -> Result<Option<Obtained>, ApiError> {
    if let Some(multipart) = call.multipart.take() {
        let Upload {
            fields,
            staged,
            mut meta,
        } = upload::read(state, Ok(multipart), None, name, None).await?;
        for (k, v) in fields.as_map() {
            if let Value::String(s) = v {
                call.params.insert_text(k.clone(), s.clone());
            }
        }
        if let Some(staged) = staged {
            if let Some(filename) = optional(&call.params, "filename")? {
                meta.filename = Some(filename);
            }
            let media = state
                .app
                .store_upload(&call.principal, &call.channel, staged, meta)
                .await?;
            let handle = match keep_as {
                KeepAs::MediaId => None,
                KeepAs::UploadHandle => Some(
                    state
                        .app
                        .upload_handle_for_media(&call.principal, &call.channel, &media.id)
                        .await
                        .map_err(|e| ApiError::from(e).field(name.to_owned()))?,
                ),
            };
            return Ok(Some(Obtained { media, handle }));
        }
    }
    let Some(body) = optional(&call.params, name)? else {
        return Ok(None);
    };
    let source = if body.starts_with("http://") || body.starts_with("https://") {
        Source::Link(body)
    } else {
        Source::Inline(body)
    };
    let kept = state
        .app
        .media_from(
            &call.principal,
            &call.channel,
            MediaFrom {
                source,
                declared: None,
                filename: optional(&call.params, "filename")?,
                keep_as,
            },
        )
        .await
        .map_err(|e| ApiError::from(e).field(name.to_owned()))?;
    Ok(Some(kept))
}

/// The file of `body` (sendFile, uploadMedia), kept as a media id; required.
pub async fn file_of(state: &AppState, call: &mut Call) -> Result<wagate_store::Media, ApiError> {
    match keep_file(state, call, "body", KeepAs::MediaId).await? {
        Some(kept) => Ok(kept.media),
        None => {
            Err(ValidationError::missing("body", "is required: a link, base64 or a file").into())
        }
    }
}

/// `POST /sendFile`: `body` (a link, base64 with its mime data, or a form-data file),
/// `filename`, `caption`. An image, video or audio file is sent as such, anything else
/// as a document named `filename`; audio carries no caption on WhatsApp.
pub async fn file(State(state): State<AppState>, mut call: Call) -> Result<Json<Sent>, ApiError> {
    let media = file_of(&state, &mut call).await?;
    let filename = required(&call.params, "filename")?;
    let caption = optional(&call.params, "caption")?;
    let mime = media.mime_type.as_str();
    let kind = if mime == "image/webp" {
        "sticker"
    } else if mime.starts_with("image/") {
        "image"
    } else if mime.starts_with("video/") {
        "video"
    } else if mime.starts_with("audio/") {
        "audio"
    } else {
        "document"
    };
    let mut object = json!({"id": media.id.as_str()});
    if kind == "document" {
        object["filename"] = json!(filename);
    }
    if let Some(caption) = caption
        && matches!(kind, "image" | "video" | "document")
    {
        object["caption"] = json!(caption);
    }
    send(&state, &call, json!({"type": kind, kind: object})).await
}

/// `POST /readMessage`: `messageId`, an inbound message of the instance's → `{result:
/// "success"}` (a read receipt the user sees as blue ticks).
pub async fn read(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let id = required(&call.params, "messageId")?;
    let unknown = || ApiError::not_found(ErrorCode::MessageNotFound, "message", id.clone());
    let wamid = Wamid::parse_field("messageId", &id).map_err(|_| unknown())?;
    state
        .app
        .mark_read(&call.principal, &call.channel, &wamid)
        .await
        .map_err(|_| unknown())?;
    Ok(Json(json!({"result": "success"})))
}

/// `POST /sendProduct`: `action` (`catalog_id` with `product_retailer_id` for one product,
/// or `sections` of `product_items` for several), `body`, `footer`, and `header` (required
/// with sections, as WhatsApp's product lists need one). Checked against the catalog linked
/// to the WABA by the core (unknown products, duplicates across sections…).
pub async fn product(State(state): State<AppState>, call: Call) -> Result<Json<Sent>, ApiError> {
    let action = match json_param(&call.params, "action")? {
        Some(a @ Value::Object(_)) => a,
        Some(_) => return Err(ValidationError::new("action", "must be an object").into()),
        None => return Err(ValidationError::missing("action", "is required").into()),
    };
    let list = action.get("sections").is_some();
    let mut i = Map::new();
    i.insert(
        "type".into(),
        json!(if list { "product_list" } else { "product" }),
    );
    if let Some(body) = optional(&call.params, "body")? {
        i.insert("body".into(), json!({"text": body}));
    }
    if let Some(footer) = optional(&call.params, "footer")? {
        i.insert("footer".into(), json!({"text": footer}));
    }
    match optional(&call.params, "header")? {
        Some(header) if list => {
            i.insert("header".into(), json!({"type": "text", "text": header}));
        }
        None if list => {
            return Err(ValidationError::missing(
                "header",
                "is required when sending several products",
            )
            .into());
        }
        _ => {}
    }
    i.insert("action".into(), action);
    send(
        &state,
        &call,
        json!({"type": "interactive", "interactive": i}),
    )
    .await
}
