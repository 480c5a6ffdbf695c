//! Message content: what a message carries, for every Cloud API message type.
//!
//! # Model
//! A [`Content`] is a [`MessageType`] and the JSON object Meta puts under that type's key
//! (`{"type": "image", "image": {...}}` → `Image` and `{...}`; for `contacts`, the array).
//! It is kept in the Cloud API's own spelling, so it can be stored, rendered into webhooks and
//! forwarded to Meta without translation, and Meta's documentation describes it.
//!
//! A `Content` is only built by a validating constructor: [`Content::outbound`] for a send
//! request, [`Content::inbound`] for a message a user sends, [`Content::text`] for code that
//! sends text. So a `Content` in hand is valid, and readers ([`Content::preview`],
//! [`Content::reply_options`], …) never re-check it. [`Content::from_parts`] is the one
//! trusted door, for code that assembles content itself.
//!
//! # Validation
//! Each failure is a [`ValidationError`] whose field is a dotted path from the top of the
//! request (`interactive.action.buttons[1].reply.title`) and whose
//! [`kind`](crate::error::ValidationKind) picks Meta's error code: a wrong JSON type, an
//! unknown enum value or a field that is not allowed is `Invalid` (Graph 100); an absent or
//! empty required field is `Missing` (131008); a value past a limit or malformed (a bad URL
//! or date, duplicate button ids) is `OutOfRange` (131009). The limits are in [`limits`].
//!
//! # Leniency
//! What real SDKs send (reference §9) is accepted and stored in Meta's documented shape:
//! `null`s are dropped; contact cards may come as a JSON string and lose their empty
//! fields; coordinates may be strings; template component types and button `sub_type`s may
//! be uppercase; button `index`es may be strings; `preview_url` may be `"true"`. Keys Meta
//! does not define are ignored: kept as sent, never read.
//!
//! # Layout
//! - `kind`: [`MessageType`].
//! - `outbound` / `inbound`: the two entry points, dispatching on the type.
//! - `text`, `media`, `location`, `contacts`, `reaction`, `interactive` (sent),
//!   `replies` (received interactive), `template`: one file per type.
//! - `fields`: reading JSON field by field with paths and error kinds.
//! - `view`: previews and accessors.

mod contacts;
pub(crate) mod fields;
mod inbound;
mod interactive;
mod interactive_extra;
mod kind;
pub mod limits;
mod location;
mod media;
mod outbound;
mod reaction;
mod replies;
mod template;
mod text;
mod view;

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::error::ValidationError;
use crate::template::Rendered;

pub use kind::MessageType;
pub use media::MediaRef;
pub use template::SendComponents;
pub use view::ReplyOption;

/// What a message carries: its type and the JSON object under that type's key, exactly as
/// the Cloud API spells it (for `contacts`, the array; for `request_welcome`, `null`). Only
/// built through the validating constructors (see the module docs), so a `Content` in hand
/// is always valid.
///
/// Serialises as the Cloud API fragment `{"type": "<t>", "<t>": <body>}` (`request_welcome`
/// has no body key). A template message checked against its stored template also keeps what
/// the user receives, under `"rendered"` ([`Rendered`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    kind: MessageType,
    body: Value,
    rendered: Option<Box<Rendered>>,
}

impl Content {
    /// The validated content of a Cloud API send body: the whole request object, of which
    /// `type` (default `text`) and the object under that key are read. The result is
    /// normalised (see the module docs). Types only users send are `Invalid`.
    pub fn outbound(send_body: &Value) -> Result<Content, ValidationError> {
        outbound::parse(send_body)
    }

    /// A text message of 1 to 4096 characters.
    pub fn text(body: &str, preview_url: bool) -> Result<Content, ValidationError> {
        let body = text::outbound(json!({"body": body, "preview_url": preview_url}))?;
        Ok(Content {
            kind: MessageType::Text,
            body,
            rendered: None,
        })
    }

    /// The validated content of an inbound message object as Meta sends it in webhooks
    /// (reference §5.4). `from`, `id` and `timestamp` are not read here, only `type`
    /// (default `text` when a `text` object is there), the type's object, and for
    /// `unsupported` the `errors`. Media needs no id yet: the caller adds it.
    pub fn inbound(message: &Value) -> Result<Content, ValidationError> {
        inbound::parse(message)
    }

    /// What a user's media message becomes when its file cannot be had: Meta's
    /// `unsupported` message with error 131052 ("Media download error"), the shape Meta
    /// reports a message in that it cannot deliver. Never a media object without its `id`,
    /// which no SDK expects.
    pub fn media_unavailable(details: &str) -> Content {
        let details: String = details.chars().take(512).collect();
        Content::from_parts(
            MessageType::Unsupported,
            serde_json::json!({"errors": [{
                "code": 131052,
                "title": "Media download error",
                "message": "Media download error",
                "error_data": {"details": details},
            }]}),
        )
    }

    /// Content from parts the caller vouches for, without any check: for code that builds
    /// content itself (the simulated network after it generated media ids, the store
    /// reading its own rows). `body` must have the shape [`Content::inbound`] or
    /// [`Content::outbound`] would produce. For `request_welcome` the body is ignored.
    pub fn from_parts(kind: MessageType, body: Value) -> Content {
        let body = if kind == MessageType::RequestWelcome {
            Value::Null
        } else {
            body
        };
        Content {
            kind,
            body,
            rendered: None,
        }
    }

    pub fn kind(&self) -> MessageType {
        self.kind
    }

    /// The type's object in Cloud API shape.
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// The body, to fill in what the network generates (media ids, hashes). The caller keeps
    /// it valid.
    pub fn body_mut(&mut self) -> &mut Value {
        &mut self.body
    }

    /// A template message's text as the user receives it, once checked against the template.
    pub fn rendered(&self) -> Option<&Rendered> {
        self.rendered.as_deref()
    }

    /// Keeps what [`crate::template::fill`] made of this template message.
    pub fn with_rendered(mut self, rendered: Rendered) -> Content {
        debug_assert_eq!(self.kind, MessageType::Template);
        self.rendered = Some(Box::new(rendered));
        self
    }
}

impl Serialize for Content {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let has_body = self.kind != MessageType::RequestWelcome;
        let entries = 1 + usize::from(has_body) + usize::from(self.rendered.is_some());
        let mut map = serializer.serialize_map(Some(entries))?;
        map.serialize_entry("type", self.kind.as_str())?;
        if has_body {
            map.serialize_entry(self.kind.as_str(), &self.body)?;
        }
        if let Some(rendered) = &self.rendered {
            map.serialize_entry("rendered", rendered)?;
        }
        map.end()
    }
}

/// Reads back what [`Serialize`] wrote (our own stored rows): the shape is trusted, but the
/// type must be known and its body key present.
impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = Map::deserialize(deserializer)?;
        let name = match map.get("type") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(D::Error::missing_field("type")),
        };
        let kind = MessageType::parse(&name).map_err(D::Error::custom)?;
        if kind == MessageType::RequestWelcome {
            return Ok(Content::from_parts(kind, Value::Null));
        }
        let body = map
            .remove(kind.as_str())
            .ok_or_else(|| D::Error::custom(format!("missing field `{name}`")))?;
        let rendered = match map.remove("rendered") {
            Some(v) => Some(Box::new(
                serde_json::from_value::<Rendered>(v).map_err(D::Error::custom)?,
            )),
            None => None,
        };
        Ok(Content {
            kind,
            body,
            rendered,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(c: &Content) -> Value {
        let json = serde_json::to_value(c).unwrap();
        let back: Content = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(&back, c);
        json
    }

    #[test]
    fn serde_is_the_cloud_api_fragment() {
        let c = Content::text("hi", true).unwrap();
        assert_eq!(
            round_trip(&c),
            json!({"type": "text", "text": {"body": "hi", "preview_url": true}})
        );
        let contacts = json!([{"name": {"formatted_name": "Jane"}}]);
        let c = Content::outbound(&json!({"type": "contacts", "contacts": contacts})).unwrap();
        assert_eq!(
            round_trip(&c),
            json!({"type": "contacts", "contacts": contacts})
        );
        let c = Content::inbound(&json!({"type": "request_welcome"})).unwrap();
        assert_eq!(round_trip(&c), json!({"type": "request_welcome"}));
        let c =
            Content::inbound(&json!({"type": "button", "button": {"payload": "p", "text": "t"}}))
                .unwrap();
        assert_eq!(round_trip(&c)["button"]["payload"], "p");
    }

    #[test]
    fn deserialising_rejects_unknown_types_and_missing_bodies() {
        for bad in [
            json!({"type": "poll", "poll": {}}),
            json!({"type": "text"}),
            json!({"text": {"body": "x"}}),
            json!({"type": 3, "text": {}}),
        ] {
            assert!(
                serde_json::from_value::<Content>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn from_parts_and_body_mut() {
        let mut c = Content::inbound(&json!({"type": "image", "image": {"caption": "c"}})).unwrap();
        assert_eq!(c.media(), None, "no id yet");
        c.body_mut()["id"] = json!("998877");
        assert_eq!(c.media(), Some(MediaRef::Id("998877".into())));
        let c = Content::from_parts(MessageType::Sticker, json!({"id": "5", "animated": true}));
        assert_eq!(
            (c.kind(), &c.body()["animated"]),
            (MessageType::Sticker, &json!(true))
        );
    }
}
