//! [`Content::outbound`]: the content of a Cloud API send request.

use serde_json::Value;

use super::fields::{Fields, drop_nulls, wrong_type};
use super::{
    Content, MessageType, contacts, interactive, location, media, reaction, template, text,
};
use crate::error::ValidationError;

/// Reads `type` (default `text`) and the object under that key of a whole send body.
pub(super) fn parse(send_body: &Value) -> Result<Content, ValidationError> {
    let Value::Object(map) = send_body else {
        return Err(wrong_type("body", "a JSON object", send_body));
    };
    let f = Fields::new("", map);
    let kind = kind(&f)?;
    let mut raw = f.req(kind.as_str())?.clone();
    drop_nulls(&mut raw);
    let body = payload(kind, raw)?;
    Ok(Content::from_parts(kind, body))
}

/// The message type; `text` when absent, as Meta does.
fn kind(f: &Fields<'_>) -> Result<MessageType, ValidationError> {
    let kind = match f.get("type") {
        None => MessageType::Text,
        Some(Value::String(s)) => MessageType::parse(s)?,
        Some(v) => return Err(wrong_type("type", "a string", v)),
    };
    if !kind.can_send() {
        return Err(ValidationError::new(
            "type",
            format!("`{kind}` messages are sent by users only; a business cannot send them"),
        ));
    }
    Ok(kind)
}

/// Checks and normalises the type's object.
pub(super) fn payload(kind: MessageType, raw: Value) -> Result<Value, ValidationError> {
    match kind {
        MessageType::Text => text::outbound(raw),
        k if k.is_media() => media::outbound(k, raw),
        MessageType::Location => location::parse(raw),
        MessageType::Contacts => contacts::parse(raw),
        MessageType::Interactive => interactive::outbound(raw),
        MessageType::Reaction => reaction::parse(raw, true),
        MessageType::Template => template::outbound(raw),
        other => Err(ValidationError::new(
            "type",
            format!("`{other}` messages cannot be sent"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ValidationKind;

    fn err(body: Value) -> (String, ValidationKind) {
        let e = Content::outbound(&body).unwrap_err();
        (e.field, e.kind)
    }

    #[test]
    fn text_defaults_and_normalisation() {
        let c = Content::outbound(
            &json!({"messaging_product": "whatsapp", "to": "1", "text": {"body": "hi"}}),
        )
        .unwrap();
        assert_eq!(c.kind(), MessageType::Text, "type defaults to text");
        assert_eq!(c.body(), &json!({"body": "hi", "preview_url": false}));
        let c = Content::outbound(
            &json!({"type": "text", "text": {"body": "x", "preview_url": "true"}}),
        )
        .unwrap();
        assert_eq!(c.body()["preview_url"], true);
        assert_eq!(c, Content::text("x", true).unwrap());
        let c =
            Content::outbound(&json!({"type": "text", "text": {"body": "x", "preview_url": null}}))
                .unwrap();
        assert_eq!(
            c.body(),
            &json!({"body": "x", "preview_url": false}),
            "null is dropped"
        );
    }

    #[test]
    fn text_limits() {
        assert!(
            Content::text(&"é".repeat(4096), false).is_ok(),
            "characters, not bytes"
        );
        let e = Content::text(&"é".repeat(4097), false).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.kind),
            ("text.body", ValidationKind::OutOfRange)
        );
        let e = Content::text("  ", false).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.kind),
            ("text.body", ValidationKind::Missing)
        );
        assert_eq!(
            err(json!({"type": "text", "text": {}})),
            ("text.body".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err(json!({"type": "text", "text": {"body": 5}})),
            ("text.body".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(json!({"type": "text", "text": {"body": "x", "preview_url": "yes"}})),
            ("text.preview_url".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(json!({"type": "text", "text": "hi"})),
            ("text".into(), ValidationKind::Invalid)
        );
    }

    #[test]
    fn types() {
        assert_eq!(
            err(json!({"type": "image"})),
            ("image".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err(json!({"type": "poll", "poll": {}})),
            ("type".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(json!({"type": 1})),
            ("type".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(json!({"type": "order", "order": {"catalog_id": "c"}})),
            ("type".into(), ValidationKind::Invalid),
            "inbound-only"
        );
        assert_eq!(err(json!([])), ("body".into(), ValidationKind::Invalid));
    }

    #[test]
    fn locations() {
        let c = Content::outbound(&json!({"type": "location", "location": {
            "latitude": "37.44", "longitude": -122.16, "name": "Philz", "address": "101 Forest Ave"}}))
        .unwrap();
        assert_eq!(c.body()["latitude"], json!(37.44), "heyoo sends strings");
        assert_eq!(c.preview().as_deref(), Some("📍 Philz"));
        let loc = |lat: Value, long: Value| json!({"type": "location", "location": {"latitude": lat, "longitude": long}});
        let range = ValidationKind::OutOfRange;
        assert_eq!(
            err(loc(json!(90.5), json!(0))),
            ("location.latitude".into(), range)
        );
        assert_eq!(
            err(loc(json!(0), json!("-180.1"))),
            ("location.longitude".into(), range)
        );
        assert_eq!(
            err(loc(json!("north"), json!(0))),
            ("location.latitude".into(), range)
        );
        assert_eq!(
            err(loc(json!(true), json!(0))),
            ("location.latitude".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(json!({"type": "location", "location": {"latitude": 1}})),
            ("location.longitude".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err(
                json!({"type": "location", "location": {"latitude": 1, "longitude": 2, "name": "a".repeat(1001)}})
            ),
            ("location.name".into(), range)
        );
        let c = Content::outbound(&loc(json!(-90), json!(180))).unwrap();
        assert_eq!(c.preview().as_deref(), Some("📍 -90, 180"));
    }

    #[test]
    fn reactions() {
        let wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI4MjZGRDA0OUE2OTQ3RkEyMzcA";
        let c = Content::outbound(
            &json!({"type": "reaction", "reaction": {"message_id": wamid, "emoji": "👍🏽"}}),
        )
        .unwrap();
        assert_eq!(c.reaction(), Some((wamid, "👍🏽")));
        assert_eq!(c.preview().as_deref(), Some("👍🏽"));
        let c = Content::outbound(
            &json!({"type": "reaction", "reaction": {"message_id": wamid, "emoji": ""}}),
        )
        .unwrap();
        assert_eq!(c.reaction(), Some((wamid, "")), "removal");
        assert_eq!(c.preview(), None);
        let react = |id: &str, emoji: Value| json!({"type": "reaction", "reaction": {"message_id": id, "emoji": emoji}});
        assert_eq!(
            err(react("abc", json!("👍"))),
            ("reaction.message_id".into(), ValidationKind::OutOfRange)
        );
        assert_eq!(
            err(react(wamid, json!("a".repeat(11)))),
            ("reaction.emoji".into(), ValidationKind::OutOfRange)
        );
        assert_eq!(
            err(json!({"type": "reaction", "reaction": {"message_id": wamid}})),
            ("reaction.emoji".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err(json!({"type": "reaction", "reaction": {"emoji": "👍"}})),
            ("reaction.message_id".into(), ValidationKind::Missing)
        );
    }
}
