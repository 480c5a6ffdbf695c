//! `POST /sandbox/{phone_number_id}/inbound`: a virtual user sends a message to the channel.
//! The body is an inbound message object as Meta's webhooks carry it (reference §5.4):
//! `from` plus the type's fields; `id`, `timestamp`, `context.id` and `profile.name` are
//! optional. A media message's file is its `link` (fetched like any media link), its `data`
//! (a `data:` URI) or, with neither, a small sample file; it is kept as an inbound media id
//! whose id, type and digest the message carries (see `wagate_app::messaging::sandbox`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;
use wagate_app::messaging::sandbox::{InboundFile, InboundMedia, InjectInbound};
use wagate_core::Timestamp;
use wagate_core::content::Content;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::media::{MediaError, MediaKind, MediaType, data_uri};
use wagate_core::message::Wamid;
use wagate_core::phone::PhoneE164;

use crate::auth::Auth;
use crate::cloud::phone_number;
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::manage::messages::MessageView;
use crate::state::AppState;

fn string<'a>(v: &'a Value, field: &str) -> Result<Option<&'a str>, ValidationError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ValidationError::new(field, "must be a string")),
    }
}

/// The file of an injected media message: its `link`, its `data` (a `data:` URI), or neither
/// (a sample file); `mime_type`, if given, is the type the file must be. An `id` is refused:
/// the network keeps the file as a new media id.
fn media(content: &Content) -> Result<Option<InboundMedia>, ApiError> {
    let Ok(kind) = MediaKind::try_from(content.kind()) else {
        return Ok(None);
    };
    let name = kind.as_str();
    let body = content.body();
    let media_error = |field: &str, e: MediaError| {
        ApiError::new(e.code, e.details).field(format!("{name}.{field}"))
    };
    if body.get("id").is_some() {
        return Err(ValidationError::new(
            format!("{name}.id"),
            "is given by the simulated network, which keeps the file as a new media id; send \
             the file as `link` or `data` (a data: URI), or neither for a sample file",
        )
        .into());
    }
    let declared = string(body, "mime_type")
        .map_err(|e| e.within(name))?
        .map(MediaType::parse)
        .transpose()
        .map_err(|e| media_error("mime_type", e))?;
    let link = string(body, "link").map_err(|e| e.within(name))?;
    let data = string(body, "data").map_err(|e| e.within(name))?;
    let media = match (link, data) {
        (Some(_), Some(_)) => {
            return Err(
                ValidationError::new(name, "must have either `link` or `data`, not both").into(),
            );
        }
        (Some(link), None) => InboundMedia {
            file: InboundFile::Link(link.to_owned()),
            declared,
        },
        (None, Some(data)) => {
            let uri =
                data_uri::parse(data, kind.max_bytes()).map_err(|e| media_error("data", e))?;
            if let Some(d) = &declared
                && d.essence() != uri.media_type.essence()
            {
                return Err(ValidationError::new(
                    format!("{name}.mime_type"),
                    format!("says {d} but the data: URI says {}", uri.media_type),
                )
                .into());
            }
            InboundMedia {
                declared: Some(uri.media_type.clone()),
                file: InboundFile::Data(uri),
            }
        }
        (None, None) => InboundMedia {
            file: InboundFile::Sample,
            declared,
        },
    };
    Ok(Some(media))
}

/// The request field a refused media file is blamed on.
fn media_field(content: &Content, media: &InboundMedia) -> String {
    let name = content.kind().as_str();
    match (&media.file, &media.declared) {
        (InboundFile::Link(_), _) => format!("{name}.link"),
        (InboundFile::Data(_), _) => format!("{name}.data"),
        (InboundFile::Sample, Some(_)) => format!("{name}.mime_type"),
        (InboundFile::Sample, None) => name.to_owned(),
    }
}

pub fn parse(body: &Value, now: Timestamp) -> Result<InjectInbound, ApiError> {
    if !body.is_object() {
        return Err(ValidationError::new("body", "must be a JSON object").into());
    }
    let from = string(body, "from")?
        .ok_or_else(|| ValidationError::missing("from", "is required: the user's number"))?;
    let from = PhoneE164::parse_field("from", from)?;
    let wamid = string(body, "id")?
        .map(|id| Wamid::parse_field("id", id))
        .transpose()?;
    let at = match body.get("timestamp") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let secs = match v {
                Value::String(s) => s.parse::<i64>().ok(),
                Value::Number(n) => n.as_i64(),
                _ => None,
            }
            .ok_or_else(|| ValidationError::new("timestamp", "must be Unix seconds"))?;
            let at = Timestamp::from_second(secs)
                .map_err(|_| ValidationError::new("timestamp", "is out of range"))?;
            if at.as_second() > now.as_second() + MAX_CLOCK_SKEW_SECS {
                return Err(ValidationError::out_of_range(
                    "timestamp",
                    "is in the future: a user's message is dated when it was sent",
                )
                .into());
            }
            Some(at)
        }
    };
    let context = match body.get("context") {
        None | Some(Value::Null) => None,
        Some(ctx) => string(ctx, "id")
            .map_err(|e| e.within("context"))?
            .map(|id| Wamid::parse_field("context.id", id))
            .transpose()?,
    };
    let profile_name = match body.get("profile") {
        None | Some(Value::Null) => None,
        Some(p) => string(p, "name")
            .map_err(|e| e.within("profile"))?
            .map(str::to_owned),
    };
    if profile_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 256)
    {
        return Err(ValidationError::out_of_range(
            "profile.name",
            "must be at most 256 characters",
        )
        .into());
    }
    let content = Content::inbound(body)?;
    let media = media(&content)?;
    Ok(InjectInbound {
        from,
        wamid,
        at,
        content,
        context,
        profile_name,
        media,
    })
}

/// How far ahead of this clock a user's message may be dated.
const MAX_CLOCK_SKEW_SECS: i64 = 60;

pub async fn inject(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(object_id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let cmd = parse(&parse_json(&body)?, state.app.now())?;
    let media_field = cmd.media.as_ref().map(|m| media_field(&cmd.content, m));
    let message = state
        .app
        .inject_inbound(&p, &channel, cmd)
        .await
        .map_err(|e| match e {
            wagate_app::Error::Failed(code, message) if code != ErrorCode::Internal => {
                let e = ApiError::new(code, message);
                match &media_field {
                    Some(field) => e.field(field.clone()),
                    None => e,
                }
            }
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(body: Value) -> String {
        parse(&body, Timestamp::now())
            .unwrap_err()
            .field
            .unwrap_or_default()
    }

    #[test]
    fn inbound_bodies() {
        let cmd = parse(&json!({"from": "16505551234", "type": "text", "text": {"body": "hi"}, "timestamp": "1750000000"}), Timestamp::now()).unwrap();
        assert_eq!(cmd.from.digits(), "16505551234");
        assert_eq!(cmd.at.unwrap().as_second(), 1_750_000_000);
        assert!(cmd.media.is_none());
        assert_eq!(
            field(json!({"type": "text", "text": {"body": "x"}})),
            "from"
        );
        assert_eq!(field(json!({"from": "x", "text": {"body": "x"}})), "from");
        assert_eq!(
            field(json!({"from": "16505551234", "timestamp": "soon", "text": {"body": "x"}})),
            "timestamp"
        );
        assert_eq!(
            field(json!({"from": "16505551234", "type": "text"})),
            "text"
        );
    }

    #[test]
    fn media_files_come_from_a_link_a_data_uri_or_a_sample() {
        let inject = |media: Value| {
            parse(
                &json!({"from": "16505551234", "type": "image", "image": media}),
                Timestamp::now(),
            )
            .map(|cmd| cmd.media.unwrap())
        };
        let sample = inject(json!({"caption": "look"})).unwrap();
        assert!(matches!(sample.file, InboundFile::Sample) && sample.declared.is_none());
        let jpeg = inject(json!({"mime_type": "image/jpg"})).unwrap();
        assert_eq!(jpeg.declared.unwrap(), MediaType::JPEG);
        let link = inject(json!({"link": "https://cdn.example/a.png"})).unwrap();
        assert!(matches!(link.file, InboundFile::Link(l) if l == "https://cdn.example/a.png"));
        let data = inject(json!({"data": "data:image/png;base64,iVBORw0KGgo="})).unwrap();
        assert_eq!(data.declared.unwrap(), MediaType::PNG);
        assert!(matches!(data.file, InboundFile::Data(d) if d.bytes.starts_with(b"\x89PNG")));

        let refused = |media: Value| inject(media).unwrap_err();
        let e = refused(json!({"data": "data:image/png;base64,***"}));
        assert_eq!(e.field.as_deref(), Some("image.data"));
        assert_eq!(e.code, ErrorCode::InvalidParameterValue);
        let e = refused(json!({"data": "image/png;base64,AAAA"}));
        assert!(e.message.contains("not a data: URI"), "{}", e.message);
        let e = refused(json!({"data": "data:image/png;base64,AAAA", "link": "https://x/y"}));
        assert_eq!(e.field.as_deref(), Some("image"));
        let e = refused(json!({"data": "data:image/png;base64,AAAA", "mime_type": "image/jpeg"}));
        assert_eq!(e.field.as_deref(), Some("image.mime_type"));
        let e = refused(json!({"id": "1234567890"}));
        assert_eq!(e.field.as_deref(), Some("image.id"));
        let e = refused(json!({"link": 5}));
        assert_eq!(e.field.as_deref(), Some("image.link"));
    }
}
