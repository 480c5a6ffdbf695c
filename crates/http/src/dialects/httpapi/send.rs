//! §1 sends: each builds Cloud API content from the seed's parameters (every part is
//! validated before anything is sent), sends it through `App::send_message` (window,
//! block, opt-out and the wallet are the core's: 05/06/07 come from the wallet) and answers
//! `{"data": {"connStatus": true, "messageIDs": […], "messageIds": […]}}` with wagate's
//! message ids (what `campaignStatus` takes; the seed spells the key both ways, so both
//! are there).
//!
//! What WhatsApp Cloud cannot carry in one message is sent as several, each id returned:
//! a text over 2,000 bytes in parts of at most 2,000 bytes (the seed's "1 part"); a
//! location's `url` as a text after the location; `sendLocationButton` as the location,
//! then the buttons; an audio's caption as a text after it. What no Cloud session message
//! can carry is refused naming the limit (12-Parsing parameter failed): a call button, and
//! a URL button mixed with reply buttons (Cloud allows up to 3 reply buttons, or exactly
//! one URL button).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use wagate_app::media::from::{KeepAs, MediaFrom, Source};
use wagate_app::messaging::messages::SendMessage;
use wagate_core::content::Content;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::media::Media;
use wagate_core::message::Recipient;
use wagate_core::phone::PhoneE164;

use super::call::{Call, Form};
use crate::error::ApiError;
use crate::state::AppState;

/// The seed's bytes per text part.
const PART_BYTES: usize = 2000;
/// Most parts one text is sent in.
const MAX_PARTS: usize = 10;

/// `phone`: the number with its country code, no `+`.
fn recipient(form: &Form) -> Result<Recipient, ValidationError> {
    let input = form.required("phone")?;
    let digits = input.trim_start_matches('+');
    Ok(Recipient::Phone {
        wa_id: PhoneE164::parse_field("phone", digits)?,
        input: input.to_owned(),
    })
}

/// A text parameter with the seed's `\n` (written out) as a line break.
fn text(form: &Form, name: &str) -> Option<String> {
    form.raw(name).map(|t| t.replace("\\n", "\n"))
}

fn required_text(form: &Form, name: &str) -> Result<String, ValidationError> {
    text(form, name).ok_or_else(|| ValidationError::missing(name, "is required"))
}

/// `text` cut into parts of at most [`PART_BYTES`] bytes, at a line break or space when
/// one is in the second half of the part.
fn split_text(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > PART_BYTES {
        let mut cut = PART_BYTES;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(i) = rest[..cut].rfind(['\n', ' '])
            && i > PART_BYTES / 2
        {
            cut = i + 1;
        }
        out.push(rest[..cut].to_owned());
        rest = &rest[cut..];
    }
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

fn text_contents(body: &str, field: &str) -> Result<Vec<Content>, ApiError> {
    let parts = split_text(body);
    if parts.len() > MAX_PARTS {
        return Err(ValidationError::out_of_range(
            field,
            format!(
                "at most {} bytes ({MAX_PARTS} parts of {PART_BYTES})",
                MAX_PARTS * PART_BYTES
            ),
        )
        .into());
    }
    parts
        .iter()
        .map(|p| {
            Content::outbound(&json!({"type": "text", "text": {"body": p}})).map_err(|e| {
                ApiError::from(ValidationError {
                    field: field.into(),
                    ..e
                })
            })
        })
        .collect()
}

/// Sends `contents` in order to the call's `phone`; the seed's success answer.
async fn send_all(
    state: &AppState,
    call: &Call,
    contents: Vec<Content>,
) -> Result<Json<Value>, ApiError> {
    let to = recipient(&call.form)?;
    let mut ids = Vec::with_capacity(contents.len());
    for content in contents {
        let m = state
            .app
            .send_message(
                &call.principal,
                &call.channel,
                SendMessage {
                    recipient: to.clone(),
                    content,
                    context: None,
                    biz_opaque_callback_data: None,
                },
            )
            .await?;
        ids.push(m.id.to_string());
    }
    Ok(Json(json!({
        "status": "success",
        "message": "00-Success",
        "data": {"connStatus": true, "messageIDs": ids, "messageIds": ids},
    })))
}

/// The file of a call: the multipart `file`, else the file at `link` (fetched under the
/// SSRF guard; its type read from the bytes, the link's name kept as the file name).
async fn file(state: &AppState, call: &mut Call) -> Result<Media, ApiError> {
    if let Some((staged, meta)) = call.file.take() {
        return state
            .app
            .store_upload(&call.principal, &call.channel, staged, meta)
            .await
            .map_err(|e| ApiError::from(e).field("file"));
    }
    let link = call.form.get("link").ok_or_else(|| {
        ValidationError::missing(
            "link",
            "is required: the file's URL (or a multipart `file`)",
        )
    })?;
    let ok = ["http://", "https://"].iter().any(|scheme| {
        link.get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
            && link.len() > scheme.len()
    }) && !link.contains(char::is_whitespace);
    if !ok {
        return Err(ValidationError::new("link", "must be an http(s) URL").into());
    }
    let obtained = state
        .app
        .media_from(
            &call.principal,
            &call.channel,
            MediaFrom {
                source: Source::Link(link.to_owned()),
                declared: None,
                filename: None,
                keep_as: KeepAs::MediaId,
            },
        )
        .await
        .map_err(|e| ApiError::from(e).field("link"))?;
    Ok(obtained.media)
}

/// The Cloud message type a file is sent as.
fn kind_of(media: &Media) -> &'static str {
    let mime = media.mime_type.as_str();
    if mime.starts_with("image/") {
        "image"
    } else if mime.starts_with("video/") {
        "video"
    } else if mime.starts_with("audio/") {
        "audio"
    } else {
        "document"
    }
}

/// The media object of `media` (`{"id", "filename"?}`).
fn media_object(media: &Media, kind: &str) -> Value {
    let mut object = json!({"id": media.id.as_str()});
    if kind == "document"
        && let Some(name) = &media.filename
    {
        object["filename"] = json!(name);
    }
    object
}

/// The file as a message with `caption`; an audio's caption follows it as a text.
fn file_contents(media: &Media, caption: Option<String>) -> Result<Vec<Content>, ApiError> {
    let kind = kind_of(media);
    let mut object = media_object(media, kind);
    let mut after = Vec::new();
    if let Some(caption) = caption {
        if kind == "audio" {
            after = text_contents(&caption, "message")?;
        } else {
            object["caption"] = json!(caption);
        }
    }
    let first = Content::outbound(&json!({"type": kind, kind: object})).map_err(|e| {
        ApiError::from(ValidationError {
            field: if e.field.ends_with("caption") {
                "message".into()
            } else {
                e.field
            },
            ..e
        })
    })?;
    let mut out = vec![first];
    out.extend(after);
    Ok(out)
}

/// §1.1 sendText.
pub async fn send_text(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    recipient(&call.form)?;
    let message = required_text(&call.form, "message")?;
    let contents = text_contents(&message, "message")?;
    send_all(&state, &call, contents).await
}

/// §1.2 sendFiles (a link, or a multipart `file`).
pub async fn send_files(
    State(state): State<AppState>,
    mut call: Call,
) -> Result<Json<Value>, ApiError> {
    recipient(&call.form)?;
    let media = file(&state, &mut call).await?;
    let contents = file_contents(&media, None)?;
    send_all(&state, &call, contents).await
}

/// §1.3 sendFileWithCaption.
pub async fn send_file_with_caption(
    State(state): State<AppState>,
    mut call: Call,
) -> Result<Json<Value>, ApiError> {
    recipient(&call.form)?;
    let caption = required_text(&call.form, "message")?;
    let media = file(&state, &mut call).await?;
    let contents = file_contents(&media, Some(caption))?;
    send_all(&state, &call, contents).await
}

fn coordinate(form: &Form, name: &str) -> Result<f64, ValidationError> {
    form.required(name)?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| ValidationError::new(name, "must be a number"))
}

/// The location of `degreesLatitude`, `degreesLongitude`, `name` and `address`.
fn location(form: &Form) -> Result<Content, ApiError> {
    let mut object = json!({
        "latitude": coordinate(form, "degreesLatitude")?,
        "longitude": coordinate(form, "degreesLongitude")?,
        "name": form.required("name")?,
    });
    if let Some(address) = form.get("address") {
        object["address"] = json!(address);
    }
    Ok(Content::outbound(
        &json!({"type": "location", "location": object}),
    )?)
}

/// §1.4 sendLocation; a `url` follows the location as a text.
pub async fn send_location(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    recipient(&call.form)?;
    let mut contents = vec![location(&call.form)?];
    if let Some(url) = call.form.get("url") {
        contents.extend(text_contents(url, "url")?);
    }
    send_all(&state, &call, contents).await
}

/// §1.5 sendContact.
pub async fn send_contact(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    recipient(&call.form)?;
    let name = call.form.required("contactName")?;
    let phone = call.form.required("contactPhone")?;
    let mut card = json!({
        "name": {"formatted_name": name, "first_name": name},
        "phones": [{"phone": phone, "type": "CELL"}],
    });
    if let Some(org) = call.form.get("contactOrganization") {
        card["org"] = json!({"company": org});
    }
    let content =
        Content::outbound(&json!({"type": "contacts", "contacts": [card]})).map_err(|e| {
            ApiError::from(ValidationError {
                field: "contactName".into(),
                ..e
            })
        })?;
    send_all(&state, &call, vec![content]).await
}

/// The buttons a call asks for (see the module docs for what is refused).
enum Buttons {
    Reply(Vec<String>),
    Url { text: String, url: String },
}

const BUTTON_LIMIT: &str = "WhatsApp Cloud API session messages carry up to 3 reply buttons \
                            (button1…3) or exactly one URL button";

fn buttons(form: &Form) -> Result<Buttons, ValidationError> {
    let replies: Vec<String> = ["button1", "button2", "button3"]
        .iter()
        .filter_map(|b| form.get(b).map(str::to_owned))
        .collect();
    if form.get("callButtonText").is_some() || form.get("callButtonValue").is_some() {
        return Err(ValidationError::new(
            "callButtonText",
            format!("a call button cannot be sent: {BUTTON_LIMIT}"),
        ));
    }
    let url_text = form.get("urlButtonText");
    let url_value = form.get("urlButtonValue");
    if url_text.is_some() || url_value.is_some() {
        if !replies.is_empty() {
            return Err(ValidationError::new(
                "urlButtonText",
                format!("a URL button cannot be mixed with reply buttons: {BUTTON_LIMIT}"),
            ));
        }
        return Ok(Buttons::Url {
            text: url_text
                .ok_or_else(|| ValidationError::missing("urlButtonText", "is required"))?
                .to_owned(),
            url: url_value
                .ok_or_else(|| ValidationError::missing("urlButtonValue", "is required"))?
                .to_owned(),
        });
    }
    if replies.is_empty() {
        return Err(ValidationError::missing(
            "button1",
            "is required: a reply button (button1…3) or a URL button",
        ));
    }
    Ok(Buttons::Reply(replies))
}

/// The interactive message of `message`, `footer` and the call's buttons, with `header`.
fn buttons_message(form: &Form, header: Option<Value>) -> Result<Content, ApiError> {
    let message = required_text(form, "message")?;
    let buttons = buttons(form)?;
    let mut interactive = match buttons {
        Buttons::Reply(titles) => json!({
            "type": "button",
            "body": {"text": message},
            "action": {"buttons": titles.iter().map(|t| json!({
                "type": "reply", "reply": {"id": t, "title": t}})).collect::<Vec<_>>()},
        }),
        Buttons::Url { text, url } => json!({
            "type": "cta_url",
            "body": {"text": message},
            "action": {"name": "cta_url", "parameters": {"display_text": text, "url": url}},
        }),
    };
    if let Some(footer) = text(form, "footer") {
        interactive["footer"] = json!({"text": footer});
    }
    if let Some(header) = header {
        interactive["header"] = header;
    }
    Ok(Content::outbound(
        &json!({"type": "interactive", "interactive": interactive}),
    )?)
}

/// §1.6 sendTextButton.
pub async fn send_text_button(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    recipient(&call.form)?;
    let content = buttons_message(&call.form, None)?;
    send_all(&state, &call, vec![content]).await
}

/// §1.7 sendFilesButton: the file as the message's header (an image, a video or a
/// document).
pub async fn send_files_button(
    State(state): State<AppState>,
    mut call: Call,
) -> Result<Json<Value>, ApiError> {
    recipient(&call.form)?;
    required_text(&call.form, "message")?;
    buttons(&call.form)?;
    let media = file(&state, &mut call).await?;
    let kind = kind_of(&media);
    if kind == "audio" {
        return Err(ApiError::new(
            ErrorCode::MediaTypeNotSupported,
            "a buttons message's file is an image, a video or a document",
        )
        .field(if call.form.get("link").is_some() {
            "link"
        } else {
            "file"
        }));
    }
    let header = json!({"type": kind, kind: media_object(&media, kind)});
    let content = buttons_message(&call.form, Some(header))?;
    send_all(&state, &call, vec![content]).await
}

/// §1.8 sendLocationButton: the location, then the buttons (Cloud has no location header
/// on session messages).
pub async fn send_location_button(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    recipient(&call.form)?;
    let contents = vec![location(&call.form)?, buttons_message(&call.form, None)?];
    send_all(&state, &call, contents).await
}

/// §1.9 sendList: `rows=section:title:description`, rows of a section together in the
/// order the sections first appear; a row's id is its title.
pub async fn send_list(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    recipient(&call.form)?;
    let form = &call.form;
    let message = required_text(form, "message")?;
    let button = form.required("buttonText")?;
    let rows = form.all("rows");
    if rows.iter().all(|r| r.trim().is_empty()) {
        return Err(ValidationError::missing(
            "rows",
            "is required: at least one row, section:title:description",
        )
        .into());
    }
    let mut sections: Vec<(String, Vec<Value>)> = Vec::new();
    for row in rows.iter().filter(|r| !r.trim().is_empty()) {
        let mut parts = row.splitn(3, ':');
        let (section, title, description) = match (parts.next(), parts.next(), parts.next()) {
            (Some(title), None, _) => ("", title, None),
            (Some(section), Some(title), description) => (section, title, description),
            (None, ..) => unreachable!("splitn yields at least one part"),
        };
        let title = title.trim();
        if title.is_empty() {
            return Err(ValidationError::missing(
                "rows",
                format!("`{row}`: the title (between the colons) is required"),
            )
            .into());
        }
        let mut item = json!({"id": title, "title": title});
        if let Some(d) = description.map(str::trim).filter(|d| !d.is_empty()) {
            item["description"] = json!(d);
        }
        let section = section.trim().to_owned();
        match sections.iter_mut().find(|(s, _)| *s == section) {
            Some((_, items)) => items.push(item),
            None => sections.push((section, vec![item])),
        }
    }
    let sections: Vec<Value> = sections
        .into_iter()
        .map(|(title, rows)| {
            if title.is_empty() {
                json!({"rows": rows})
            } else {
                json!({"title": title, "rows": rows})
            }
        })
        .collect();
    let mut interactive = json!({
        "type": "list",
        "body": {"text": message},
        "action": {"button": button, "sections": sections},
    });
    if let Some(header) = text(form, "header") {
        interactive["header"] = json!({"type": "text", "text": header});
    }
    if let Some(footer) = text(form, "footer") {
        interactive["footer"] = json!({"text": footer});
    }
    let content = Content::outbound(&json!({"type": "interactive", "interactive": interactive}))?;
    send_all(&state, &call, vec![content]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_split_at_2000_bytes() {
        assert_eq!(split_text("hello"), ["hello"]);
        let long = "word ".repeat(900);
        let parts = split_text(&long);
        assert_eq!(parts.concat(), long);
        assert!(parts.iter().all(|p| p.len() <= PART_BYTES));
        assert_eq!(parts.len(), 3);
        let emoji = "😀".repeat(600);
        let parts = split_text(&emoji);
        assert_eq!(parts.concat(), emoji);
        assert!(parts.iter().all(|p| p.len() <= PART_BYTES));
    }
}
