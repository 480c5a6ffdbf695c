//! [`Content::inbound`]: the content of a message a user sends (reference §5.4), as the
//! simulated network's inject endpoint receives it. Only `type` and the type's object are
//! read (and `errors`, for `unsupported`); `from`, `id` and `timestamp` are the caller's.

use serde_json::{Map, Value};

use super::fields::{Fields, coerce_integer, coerce_number, drop_nulls, wrong_type};
use super::{Content, MessageType, contacts, location, media, reaction, replies, text};
use crate::error::ValidationError;

/// `system` message kinds.
const SYSTEM_TYPES: &[&str] = &[
    "customer_changed_number",
    "user_changed_number",
    "customer_identity_changed",
    "user_changed_user_id",
];

pub(super) fn parse(message: &Value) -> Result<Content, ValidationError> {
    let Value::Object(map) = message else {
        return Err(wrong_type("message", "a JSON object", message));
    };
    let f = Fields::new("", map);
    let kind = kind(&f)?;
    let body = match kind {
        MessageType::RequestWelcome => Value::Null,
        MessageType::Unsupported => unsupported(&f)?,
        _ => {
            let mut raw = f.req(kind.as_str())?.clone();
            drop_nulls(&mut raw);
            payload(kind, raw)?
        }
    };
    Ok(Content::from_parts(kind, body))
}

/// The message type; `text` when absent and a `text` object is there.
fn kind(f: &Fields<'_>) -> Result<MessageType, ValidationError> {
    let kind = match f.get("type") {
        Some(Value::String(s)) => MessageType::parse(s)?,
        Some(v) => return Err(wrong_type("type", "a string", v)),
        None if f.has("text") => MessageType::Text,
        None => return Err(ValidationError::missing("type", "is required")),
    };
    if !kind.can_receive() {
        return Err(ValidationError::new(
            "type",
            format!("`{kind}` messages are only sent by businesses"),
        ));
    }
    Ok(kind)
}

fn payload(kind: MessageType, raw: Value) -> Result<Value, ValidationError> {
    match kind {
        MessageType::Text => text::inbound(raw),
        k if k.is_media() => media::inbound(k, raw),
        MessageType::Location => location::parse(raw),
        MessageType::Contacts => contacts::parse(raw),
        MessageType::Reaction => reaction::parse(raw, false),
        MessageType::Interactive => replies::parse(raw),
        MessageType::Button => button(raw),
        MessageType::Order => order(raw),
        MessageType::System => system(raw),
        other => Err(ValidationError::new(
            "type",
            format!("`{other}` messages cannot be received"),
        )),
    }
}

/// A template quick-reply tap: the button's `payload` and label `text`.
fn button(v: Value) -> Result<Value, ValidationError> {
    let f = Fields::of(&v, "button")?;
    f.req_str("payload", usize::MAX)?;
    f.req_str("text", usize::MAX)?;
    Ok(v)
}

/// A cart: a catalog and 1 or more items with a whole `quantity` (strings accepted).
fn order(mut v: Value) -> Result<Value, ValidationError> {
    let items = v.get_mut("product_items").and_then(Value::as_array_mut);
    for item in items.into_iter().flatten().filter_map(Value::as_object_mut) {
        coerce_integer(item, "quantity");
        coerce_number(item, "item_price");
    }
    let f = Fields::of(&v, "order")?;
    f.req_str("catalog_id", usize::MAX)?;
    f.opt_str("text")?;
    for item in f.req_children("product_items", usize::MAX)? {
        item.req_str("product_retailer_id", usize::MAX)?;
        item.req_integer("quantity", 1..=u64::from(u32::MAX))?;
        if item.has("item_price") {
            item.req_number("item_price", 0.0..=f64::MAX)?;
        }
        item.opt_str("currency")?;
    }
    Ok(v)
}

/// A change of the user's number or identity.
fn system(v: Value) -> Result<Value, ValidationError> {
    let f = Fields::of(&v, "system")?;
    f.req_str("body", usize::MAX)?;
    f.req_enum("type", SYSTEM_TYPES)?;
    for key in ["wa_id", "user_id", "identity"] {
        f.opt_str(key)?;
    }
    Ok(v)
}

/// The `unsupported` object (`{"type": "poll"}`, may be absent) with the message's
/// `errors` array, if given, kept under `errors` so nothing the caller sent is lost.
fn unsupported(f: &Fields<'_>) -> Result<Value, ValidationError> {
    let mut body = match f.child("unsupported")? {
        Some(u) => {
            u.opt_str("type")?;
            f.get("unsupported").cloned().unwrap_or_default()
        }
        None => Value::Object(Map::new()),
    };
    let errors = f.opt_children("errors", usize::MAX)?;
    for error in &errors {
        error.req_integer("code", 0..=u64::from(u32::MAX))?;
        error.opt_str("title")?;
    }
    if !errors.is_empty() {
        body["errors"] = f.get("errors").cloned().unwrap_or_default();
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::content::ReplyOption;
    use crate::error::ValidationKind;

    const WAMID: &str = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI4MjZGRDA0OUE2OTQ3RkEyMzcA";

    fn parse(v: Value) -> Content {
        Content::inbound(&v).unwrap()
    }

    fn err(v: Value) -> (String, ValidationKind) {
        let e = Content::inbound(&v).unwrap_err();
        (e.field, e.kind)
    }

    #[test]
    fn text() {
        let c = parse(
            json!({"from": "16505551234", "id": "wamid.X", "timestamp": "1749416383",
            "type": "text", "text": {"body": "hi"}}),
        );
        assert_eq!((c.kind(), c.user_text()), (MessageType::Text, Some("hi")));
        assert_eq!(c.body(), &json!({"body": "hi"}), "no preview_url inbound");
        assert_eq!(
            parse(json!({"text": {"body": "x"}})).kind(),
            MessageType::Text,
            "type defaults"
        );
        assert_eq!(
            err(json!({"type": "text", "text": {}})),
            ("text.body".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err(json!({"type": "text", "text": {"body": "a".repeat(4097)}})),
            ("text.body".into(), ValidationKind::OutOfRange)
        );
        assert_eq!(
            err(json!({"from": "1"})),
            ("type".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err(json!({"type": "text"})),
            ("text".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err(json!("hi")),
            ("message".into(), ValidationKind::Invalid)
        );
    }

    #[test]
    fn media_needs_nothing_but_checks_types() {
        let c = parse(json!({"type": "image", "image": {"caption": "Look"}}));
        assert_eq!(c.preview().as_deref(), Some("Look"));
        let c = parse(
            json!({"type": "document", "document": {"filename": "a.pdf", "mime_type": "application/pdf"}}),
        );
        assert_eq!(c.preview().as_deref(), Some("a.pdf"));
        let c = parse(
            json!({"type": "audio", "audio": {"voice": true, "mime_type": "audio/ogg; codecs=opus"}}),
        );
        assert_eq!(c.body()["voice"], true);
        let c = parse(json!({"type": "sticker", "sticker": {"animated": "false"}}));
        assert_eq!(c.body()["animated"], false);
        assert_eq!(
            parse(json!({"type": "video", "video": {}})).kind(),
            MessageType::Video
        );
        assert_eq!(
            err(json!({"type": "sticker", "sticker": {"animated": 1}})),
            ("sticker.animated".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(json!({"type": "image", "image": {"caption": "a".repeat(1025)}})),
            ("image.caption".into(), ValidationKind::OutOfRange)
        );
    }

    #[test]
    fn location_contacts_reaction() {
        let c = parse(
            json!({"type": "location", "location": {"latitude": "1.5", "longitude": "2", "address": "Main St"}}),
        );
        assert_eq!(
            (
                c.body()["latitude"].as_f64(),
                c.body()["longitude"].as_f64()
            ),
            (Some(1.5), Some(2.0))
        );
        assert_eq!(c.preview().as_deref(), Some("📍 Main St"));
        let c = parse(
            json!({"type": "contacts", "contacts": [{"name": {"formatted_name": "Al"},
            "phones": [{"phone": "+1 650", "wa_id": "1650", "type": "CELL"}]}]}),
        );
        assert_eq!(c.preview().as_deref(), Some("👤 Al"));
        let c = parse(json!({"type": "reaction", "reaction": {"message_id": WAMID}}));
        assert_eq!(c.reaction(), Some((WAMID, "")), "absent emoji is a removal");
        let c =
            parse(json!({"type": "reaction", "reaction": {"message_id": WAMID, "emoji": "😮"}}));
        assert_eq!(c.reaction(), Some((WAMID, "😮")));
    }

    #[test]
    fn button_taps() {
        let c = parse(
            json!({"type": "button", "button": {"payload": "STOP", "text": "Stop"},
            "context": {"from": "1", "id": WAMID}}),
        );
        assert_eq!(
            (c.user_text(), c.preview().as_deref()),
            (Some("Stop"), Some("Stop"))
        );
        assert_eq!(
            err(json!({"type": "button", "button": {"text": "Stop"}})),
            ("button.payload".into(), ValidationKind::Missing)
        );
    }

    #[test]
    fn interactive_replies() {
        let c = parse(
            json!({"type": "interactive", "interactive": {"type": "button_reply",
            "button_reply": {"id": "yes", "title": "Yes"}}}),
        );
        assert_eq!(c.preview().as_deref(), Some("Yes"));
        assert_eq!(
            c.reply_options(),
            Vec::<ReplyOption>::new(),
            "a reply offers nothing to tap"
        );
        let c = parse(
            json!({"type": "interactive", "interactive": {"type": "list_reply",
            "list_reply": {"id": "tea", "title": "Tea", "description": "Green"}}}),
        );
        assert_eq!(c.preview().as_deref(), Some("Tea"));
        let c = parse(
            json!({"type": "interactive", "interactive": {"type": "nfm_reply",
            "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"flow_token\":\"t\"}"}}}),
        );
        assert_eq!(c.preview().as_deref(), Some("Sent"));
        assert_eq!(
            err(json!({"type": "interactive", "interactive": {"type": "button"}})),
            ("interactive.type".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(
                json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "y"}}})
            ),
            (
                "interactive.button_reply.title".into(),
                ValidationKind::Missing
            )
        );
        assert_eq!(
            err(
                json!({"type": "interactive", "interactive": {"type": "list_reply",
                "list_reply": {"id": "a", "title": "a".repeat(25)}}})
            ),
            (
                "interactive.list_reply.title".into(),
                ValidationKind::OutOfRange
            )
        );
        assert_eq!(
            err(
                json!({"type": "interactive", "interactive": {"type": "nfm_reply",
                "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "nope"}}})
            ),
            (
                "interactive.nfm_reply.response_json".into(),
                ValidationKind::OutOfRange
            )
        );
    }

    #[test]
    fn orders() {
        let c = parse(
            json!({"type": "order", "order": {"catalog_id": "c1", "text": "Thanks",
            "product_items": [{"product_retailer_id": "p1", "quantity": "2", "item_price": "12.5", "currency": "USD"}]}}),
        );
        assert_eq!(c.body()["product_items"][0]["quantity"], json!(2));
        assert_eq!(c.body()["product_items"][0]["item_price"], json!(12.5));
        assert_eq!(c.preview().as_deref(), Some("Thanks"));
        let c = parse(json!({"type": "order", "order": {"catalog_id": "c1",
            "product_items": [{"product_retailer_id": "p1", "quantity": 1}, {"product_retailer_id": "p2", "quantity": 3}]}}));
        assert_eq!(c.preview().as_deref(), Some("🛒 order of 2 items"));
        assert_eq!(
            err(json!({"type": "order", "order": {"catalog_id": "c1", "product_items": []}})),
            ("order.product_items".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err(json!({"type": "order", "order": {"catalog_id": "c1",
                "product_items": [{"product_retailer_id": "p1", "quantity": 0}]}})),
            (
                "order.product_items[0].quantity".into(),
                ValidationKind::OutOfRange
            )
        );
    }

    #[test]
    fn system_unsupported_and_welcome() {
        let c = parse(
            json!({"type": "system", "system": {"body": "User A changed from 1 to 2",
            "type": "user_changed_number", "wa_id": "2"}}),
        );
        assert_eq!(c.preview().as_deref(), Some("User A changed from 1 to 2"));
        assert_eq!(
            err(json!({"type": "system", "system": {"body": "x", "type": "moved"}})),
            ("system.type".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(json!({"type": "system", "system": {"type": "user_changed_number"}})),
            ("system.body".into(), ValidationKind::Missing)
        );

        let errors = json!([{"code": 131051, "title": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."}}]);
        let c = parse(
            json!({"type": "unsupported", "unsupported": {"type": "poll"}, "errors": errors}),
        );
        assert_eq!(c.body(), &json!({"type": "poll", "errors": errors}));
        assert_eq!(c.preview(), None);
        assert_eq!(parse(json!({"type": "unsupported"})).body(), &json!({}));
        assert_eq!(
            err(json!({"type": "unsupported", "errors": [{"title": "x"}]})),
            ("errors[0].code".into(), ValidationKind::Missing)
        );

        let c = parse(json!({"type": "request_welcome"}));
        assert_eq!(
            (c.kind(), c.body()),
            (MessageType::RequestWelcome, &Value::Null)
        );
    }

    #[test]
    fn templates_are_never_received() {
        assert_eq!(
            err(json!({"type": "template", "template": {"name": "x"}})),
            ("type".into(), ValidationKind::Invalid)
        );
    }
}
