//! Media messages (image, video, audio, document, sticker) and media headers of interactive
//! messages. Outbound media names its file by exactly one of `id` (an uploaded media id) or
//! `link` (a public http/https URL); inbound media carries the id, MIME type and hash the
//! network fills in.

use serde_json::Value;

use super::MessageType;
use super::fields::{Fields, check_url, coerce_bool, integer_to_string};
use super::limits::{CAPTION, FILENAME, MEDIA_LINK};
use crate::error::ValidationError;

/// Where media comes from in an outbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaRef {
    /// A media id, decimal digits, as sent (an id sent as a JSON number is stored as a string).
    Id(String),
    /// An http or https URL.
    Link(String),
}

/// An outbound media object of type `kind`. Captions are allowed on image, video and
/// document only; `filename` is read on documents, `voice` on audio; other keys are ignored.
pub(super) fn outbound(kind: MessageType, mut v: Value) -> Result<Value, ValidationError> {
    if let Some(map) = v.as_object_mut() {
        integer_to_string(map, "id");
        coerce_bool(map, "voice");
    }
    let f = Fields::of(&v, kind.as_str())?;
    source(&f)?;
    if takes_caption(kind) {
        f.opt_text("caption", CAPTION)?;
    } else {
        f.forbid(
            "caption",
            &format!("is not allowed on {kind}; only image, video and document take a caption"),
        )?;
    }
    if kind == MessageType::Document {
        f.opt_text("filename", FILENAME)?;
    }
    if kind == MessageType::Audio {
        f.opt_bool("voice")?;
    }
    Ok(v)
}

/// An inbound media object: nothing is required (the network adds id, MIME type and hash),
/// but the keys Meta sends must have the right types.
pub(super) fn inbound(kind: MessageType, mut v: Value) -> Result<Value, ValidationError> {
    if let Some(map) = v.as_object_mut() {
        integer_to_string(map, "id");
        coerce_bool(map, "voice");
        coerce_bool(map, "animated");
    }
    let f = Fields::of(&v, kind.as_str())?;
    for key in ["id", "mime_type", "sha256", "url"] {
        f.opt_str(key)?;
    }
    f.opt_text("caption", CAPTION)?;
    f.opt_text("filename", FILENAME)?;
    f.opt_bool("voice")?;
    f.opt_bool("animated")?;
    Ok(v)
}

/// The media object of an interactive header (`header.image`): a source, no caption.
pub(super) fn header(f: &Fields<'_>) -> Result<MediaRef, ValidationError> {
    f.forbid("caption", "is not allowed on a header")?;
    source(f)
}

fn takes_caption(kind: MessageType) -> bool {
    matches!(
        kind,
        MessageType::Image | MessageType::Video | MessageType::Document
    )
}

/// Exactly one of `id` (digits; a JSON number is accepted) or `link` (http/https URL).
fn source(f: &Fields<'_>) -> Result<MediaRef, ValidationError> {
    match (f.get("id"), f.has("link")) {
        (Some(_), true) => Err(ValidationError::out_of_range(
            f.own_path(),
            "must have either `id` or `link`, not both",
        )),
        (None, false) => Err(ValidationError::missing(
            f.own_path(),
            "must have `id` (an uploaded media id) or `link` (an http/https URL)",
        )),
        (Some(Value::Number(n)), false) if n.is_u64() => Ok(MediaRef::Id(n.to_string())),
        (Some(_), false) => media_id(f),
        (None, true) => {
            let link = f.req_str("link", MEDIA_LINK)?;
            check_url(&f.path("link"), link, MEDIA_LINK)?;
            Ok(MediaRef::Link(link.to_owned()))
        }
    }
}

fn media_id(f: &Fields<'_>) -> Result<MediaRef, ValidationError> {
    let id = f.req_str("id", 64)?;
    if id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(MediaRef::Id(id.to_owned()))
    } else {
        Err(ValidationError::out_of_range(
            f.path("id"),
            "must be a media id (decimal digits)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Content;
    use crate::error::ValidationKind;
    use serde_json::json;

    fn send(kind: &str, body: Value) -> Result<Content, ValidationError> {
        Content::outbound(&json!({"type": kind, kind: body}))
    }

    fn err(kind: &str, body: Value) -> (String, ValidationKind) {
        let e = send(kind, body).unwrap_err();
        (e.field, e.kind)
    }

    #[test]
    fn every_media_type_by_id_or_link() {
        let c = send(
            "image",
            json!({"id": "1479537139650973", "caption": "Look"}),
        )
        .unwrap();
        assert_eq!(c.media(), Some(MediaRef::Id("1479537139650973".into())));
        let c = send("video", json!({"link": "https://x.example/y.mp4"})).unwrap();
        assert_eq!(
            c.media(),
            Some(MediaRef::Link("https://x.example/y.mp4".into()))
        );
        let c = send(
            "document",
            json!({"id": "1", "caption": "Invoice", "filename": "invoice.pdf"}),
        )
        .unwrap();
        assert_eq!(c.body()["filename"], "invoice.pdf");
        let c = send("audio", json!({"id": 42, "voice": "true"})).unwrap();
        assert_eq!(c.body(), &json!({"id": "42", "voice": true}), "normalised");
        assert_eq!(c.media(), Some(MediaRef::Id("42".into())));
        assert!(send("sticker", json!({"id": "7"})).is_ok());
    }

    #[test]
    fn exactly_one_source() {
        let range = ValidationKind::OutOfRange;
        assert_eq!(
            err("image", json!({"id": "1", "link": "https://x/y"})),
            ("image".into(), range)
        );
        assert_eq!(
            err("image", json!({"caption": "c"})),
            ("image".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err("image", json!({"id": "abc"})),
            ("image.id".into(), range)
        );
        assert_eq!(
            err("image", json!({"id": true})),
            ("image.id".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err("video", json!({"link": "ftp://x/y"})),
            ("video.link".into(), range)
        );
        let long = format!("https://x.example/{}", "a".repeat(2048));
        assert_eq!(
            err("video", json!({"link": long})),
            ("video.link".into(), range)
        );
    }

    #[test]
    fn captions_and_file_names() {
        let range = ValidationKind::OutOfRange;
        assert!(send("image", json!({"id": "1", "caption": "é".repeat(1024)})).is_ok());
        assert_eq!(
            err("image", json!({"id": "1", "caption": "é".repeat(1025)})),
            ("image.caption".into(), range)
        );
        for kind in ["audio", "sticker"] {
            let (field, k) = err(kind, json!({"id": "1", "caption": "no"}));
            assert_eq!(
                (field, k),
                (format!("{kind}.caption"), ValidationKind::Invalid)
            );
        }
        assert_eq!(
            err("document", json!({"id": "1", "filename": "a".repeat(241)})),
            ("document.filename".into(), range)
        );
        assert_eq!(
            err("audio", json!({"id": "1", "voice": "maybe"})),
            ("audio.voice".into(), ValidationKind::Invalid)
        );
        let c = send("image", json!({"id": "1", "filename": "ignored.png"})).unwrap();
        assert_eq!(c.kind(), MessageType::Image, "unknown keys are ignored");
    }

    #[test]
    fn not_an_object() {
        assert_eq!(
            err("image", json!("1")),
            ("image".into(), ValidationKind::Invalid)
        );
    }
}
