//! The newer outbound `interactive` types, whose header, body and footer rules sit with the
//! others in `interactive` and whose actions are checked here:
//! - `voice_call`: a "Call on WhatsApp" button, `parameters` all optional;
//! - `call_permission_request` and `request_contact_info`: the action is only its name
//!   (keys some SDKs add, such as kapso's `phone_number`, are ignored);
//! - `address_message`: an address form for a `country`, optionally prefilled;
//! - `carousel`: 2 to 10 media cards, each with one URL button or quick-reply buttons, all
//!   cards alike.
//!
//! Normalised: a `ttl_minutes` or `card_index` sent as a digit string or a whole float
//! (pywa sends `timedelta` minutes as `10080.0`) is stored as an integer.

use serde_json::{Map, Value};

use super::fields::{Fields, Unique, coerce_integer};
use super::interactive::{cta_url, named};
use super::limits::{
    BUTTON_ID, BUTTON_TITLE, CARD_BODY_LINE_BREAKS, CARD_BODY_TEXT, CAROUSEL_CARDS,
    CAROUSEL_MIN_CARDS, CTA_TEXT, REPLY_BUTTONS, VOICE_CALL_PAYLOAD, VOICE_CALL_TTL_MINUTES,
};
use super::media;
use crate::error::ValidationError;

/// Turns the integers of the newer types into JSON integers, before they are read.
pub(super) fn normalise(v: &mut Value) {
    match v.get("type").and_then(Value::as_str) {
        Some("voice_call") => {
            if let Some(params) = v
                .pointer_mut("/action/parameters")
                .and_then(Value::as_object_mut)
            {
                whole_number(params, "ttl_minutes");
            }
        }
        Some("carousel") => {
            let cards = v.pointer_mut("/action/cards").and_then(Value::as_array_mut);
            for card in cards.into_iter().flatten().filter_map(Value::as_object_mut) {
                whole_number(card, "card_index");
            }
        }
        _ => {}
    }
}

/// A digit string or a float with no fractional part at `key` becomes an integer.
fn whole_number(map: &mut Map<String, Value>, key: &str) {
    coerce_integer(map, key);
    let whole = map
        .get(key)
        .and_then(Value::as_f64)
        .filter(|x| x.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(x));
    if let Some(x) = whole {
        // Exact: a whole, non-negative number within u32 range.
        map.insert(key.to_owned(), Value::from(x as u64));
    }
}

/// `voice_call`: the button label, how long it can be tapped, and a tracking payload; all
/// optional (Meta's defaults are "Call Now" and 7 days).
pub(super) fn voice_call(action: &Fields<'_>) -> Result<(), ValidationError> {
    named(action, "voice_call")?;
    let Some(params) = action.child("parameters")? else {
        return Ok(());
    };
    params.opt_text("display_text", CTA_TEXT)?;
    if params.has("ttl_minutes") {
        params.req_integer("ttl_minutes", 1..=VOICE_CALL_TTL_MINUTES)?;
    }
    params.opt_text("payload", VOICE_CALL_PAYLOAD)?;
    Ok(())
}

/// `address_message`: the form's `country` (Meta offers it in India, and formerly
/// Singapore), with optional prefilled `values`, `saved_addresses` and `validation_errors`.
pub(super) fn address(action: &Fields<'_>) -> Result<(), ValidationError> {
    named(action, "address_message")?;
    let params = action.req_child("parameters")?;
    params.req_enum("country", &["IN", "SG"])?;
    params.child("values")?;
    params.child("validation_errors")?;
    let mut ids = Unique::default();
    for saved in params.opt_children("saved_addresses", usize::MAX)? {
        ids.check(&saved.path("id"), saved.req_str("id", usize::MAX)?)?;
        saved.req_child("value")?;
    }
    Ok(())
}

/// How a card's buttons look; every card of a carousel must have the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CardButtons {
    Url,
    QuickReplies(usize),
}

/// `carousel`: 2 to 10 cards, each a `card_index` (0 to n-1, each once), an image or
/// video header, an optional short body and either one URL button or quick replies, the
/// same kind and number on every card. Quick-reply ids are unique over all cards.
pub(super) fn carousel(action: &Fields<'_>) -> Result<(), ValidationError> {
    let cards = action.req_children("cards", CAROUSEL_CARDS)?;
    if cards.len() < CAROUSEL_MIN_CARDS {
        return Err(ValidationError::out_of_range(
            action.path("cards"),
            format!("must hold {CAROUSEL_MIN_CARDS} to {CAROUSEL_CARDS} cards"),
        ));
    }
    let last_index = u64::try_from(cards.len() - 1).unwrap_or(u64::MAX);
    let (mut indexes, mut reply_ids) = (Unique::default(), Unique::default());
    let mut first = None;
    for card in &cards {
        let index = card.req_integer("card_index", 0..=last_index)?;
        indexes.check(&card.path("card_index"), &index.to_string())?;
        card.opt_str("type")?;
        card_header(&card.req_child("header")?)?;
        if let Some(body) = card.child("body")? {
            card_body(&body)?;
        }
        let action = card.req_child("action")?;
        let shape = card_action(&action, &mut reply_ids)?;
        if *first.get_or_insert(shape) != shape {
            return Err(ValidationError::out_of_range(
                action.own_path(),
                "must have the same buttons as the first card (one URL button, or as many \
                 quick replies)",
            ));
        }
    }
    Ok(())
}

/// An image or video, by id or link.
fn card_header(header: &Fields<'_>) -> Result<(), ValidationError> {
    let media_type = header.req_enum("type", &["image", "video"])?;
    media::header(&header.req_child(media_type)?).map(drop)
}

/// At most 160 characters and 2 line breaks.
fn card_body(body: &Fields<'_>) -> Result<(), ValidationError> {
    let text = body.req_str("text", CARD_BODY_TEXT)?;
    let breaks = text.replace("\r\n", "\n").matches(['\n', '\r']).count();
    if breaks > CARD_BODY_LINE_BREAKS {
        return Err(ValidationError::out_of_range(
            body.path("text"),
            format!("must have at most {CARD_BODY_LINE_BREAKS} line breaks"),
        ));
    }
    Ok(())
}

/// A `cta_url` action, or 1 to 3 quick replies (titles unique on the card, ids over all).
fn card_action(action: &Fields<'_>, ids: &mut Unique) -> Result<CardButtons, ValidationError> {
    if !action.has("buttons") {
        return cta_url(action).map(|()| CardButtons::Url);
    }
    let buttons = action.req_children("buttons", REPLY_BUTTONS)?;
    let mut titles = Unique::default();
    for button in &buttons {
        button.req_enum("type", &["quick_reply"])?;
        let reply = button.req_child("quick_reply")?;
        ids.check(&reply.path("id"), reply.req_str("id", BUTTON_ID)?)?;
        titles.check(&reply.path("title"), reply.req_str("title", BUTTON_TITLE)?)?;
    }
    Ok(CardButtons::QuickReplies(buttons.len()))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::content::Content;
    use crate::error::{ValidationError, ValidationKind};

    const INVALID: ValidationKind = ValidationKind::Invalid;
    const MISSING: ValidationKind = ValidationKind::Missing;
    const RANGE: ValidationKind = ValidationKind::OutOfRange;

    fn send(interactive: &Value) -> Result<Content, ValidationError> {
        Content::outbound(&json!({"type": "interactive", "interactive": interactive}))
    }

    /// Sends `base` with the value at `pointer` replaced (or removed, for `Value::Null`)
    /// and returns the error's field and kind.
    fn err_with(base: &Value, pointer: &str, value: Value) -> (String, ValidationKind) {
        let mut v = base.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = v.pointer_mut(parent).unwrap();
        match (parent, value) {
            (Value::Object(m), Value::Null) => {
                m.remove(key);
            }
            (Value::Object(m), value) => {
                m.insert(key.to_owned(), value);
            }
            (Value::Array(a), value) => a[key.parse::<usize>().unwrap()] = value,
            _ => panic!("bad pointer {pointer}"),
        }
        let e = send(&v).expect_err(pointer);
        (e.field, e.kind)
    }

    fn voice_call() -> Value {
        json!({"type": "voice_call", "body": {"text": "Call us"},
            "action": {"name": "voice_call",
                "parameters": {"display_text": "Call now", "ttl_minutes": 60, "payload": "p"}}})
    }

    fn address() -> Value {
        json!({"type": "address_message", "body": {"text": "Where should we ship?"},
            "action": {"name": "address_message", "parameters": {
                "country": "IN", "values": {"name": "Ana", "phone_number": "+919999999999"},
                "saved_addresses": [{"id": "home", "value": {"name": "Ana", "city": "Pune"}}]}}})
    }

    fn card(index: usize, action: &Value) -> Value {
        json!({"card_index": index, "type": "cta_url",
            "header": {"type": "image", "image": {"link": "https://x.example/a.png"}},
            "body": {"text": format!("Card {index}")}, "action": action})
    }

    fn url_carousel() -> Value {
        let url = |i: usize| {
            json!({"name": "cta_url",
                "parameters": {"display_text": "Buy", "url": format!("https://x.example/{i}")}})
        };
        json!({"type": "carousel", "body": {"text": "Swipe"},
            "action": {"cards": [card(0, &url(0)), card(1, &url(1))]}})
    }

    fn reply_carousel() -> Value {
        let replies = |i: usize| {
            json!({"buttons": [
                {"type": "quick_reply", "quick_reply": {"id": format!("more-{i}"), "title": "More"}},
                {"type": "quick_reply", "quick_reply": {"id": format!("fav-{i}"), "title": "Save"}}
            ]})
        };
        json!({"type": "carousel", "body": {"text": "Swipe"},
            "action": {"cards": [card(0, &replies(0)), card(1, &replies(1))]}})
    }

    #[test]
    fn voice_calls() {
        let c = send(&voice_call()).unwrap();
        assert_eq!(c.preview().as_deref(), Some("Call us"));
        let bare =
            json!({"type": "voice_call", "body": {"text": "b"}, "action": {"name": "voice_call"}});
        assert!(send(&bare).is_ok(), "every parameter is optional");
        let mut float = voice_call();
        float["action"]["parameters"]["ttl_minutes"] = json!(10080.0);
        let c = send(&float).unwrap();
        assert_eq!(
            c.body()["action"]["parameters"]["ttl_minutes"],
            json!(10080)
        );

        let v = voice_call();
        let p = "interactive.action.parameters";
        assert_eq!(
            err_with(&v, "/action/parameters/ttl_minutes", json!(43_201)),
            (format!("{p}.ttl_minutes"), RANGE)
        );
        assert_eq!(
            err_with(&v, "/action/parameters/ttl_minutes", json!(0)),
            (format!("{p}.ttl_minutes"), RANGE)
        );
        assert_eq!(
            err_with(&v, "/action/parameters/ttl_minutes", json!(1.5)),
            (format!("{p}.ttl_minutes"), RANGE)
        );
        assert_eq!(
            err_with(&v, "/action/parameters/display_text", json!("a".repeat(21))),
            (format!("{p}.display_text"), RANGE)
        );
        assert_eq!(
            err_with(&v, "/action/parameters/payload", json!("a".repeat(513))),
            (format!("{p}.payload"), RANGE)
        );
        assert_eq!(
            err_with(&v, "/action/name", json!("call")),
            ("interactive.action.name".into(), INVALID)
        );
        assert_eq!(
            err_with(&v, "/body", Value::Null),
            ("interactive.body".into(), MISSING)
        );
        assert_eq!(
            err_with(
                &v,
                "/header",
                json!({"type": "image", "image": {"id": "1"}})
            ),
            ("interactive.header.type".into(), INVALID)
        );
    }

    #[test]
    fn call_permission_and_contact_requests() {
        for name in ["call_permission_request", "request_contact_info"] {
            let m = json!({"type": name, "body": {"text": "May we?"}, "action": {"name": name}});
            let c = send(&m).unwrap();
            assert_eq!(c.preview().as_deref(), Some("May we?"));
            assert_eq!(
                err_with(&m, "/body", Value::Null),
                ("interactive.body".into(), MISSING),
                "{name}"
            );
            assert_eq!(
                err_with(&m, "/body/text", json!("a".repeat(1025))),
                ("interactive.body.text".into(), RANGE),
                "{name}"
            );
            assert_eq!(
                err_with(&m, "/action/name", json!("voice_call")),
                ("interactive.action.name".into(), INVALID),
                "{name}"
            );
            assert_eq!(
                err_with(&m, "/header", json!({"type": "text", "text": "h"})),
                ("interactive.header".into(), INVALID),
                "{name}"
            );
        }
        let kapso = json!({"type": "call_permission_request", "body": {"text": "b"},
            "action": {"name": "call_permission_request",
                "parameters": {"phone_number": "+15550100001", "call_purpose": "support"}}});
        assert!(send(&kapso).is_ok(), "extra parameters are ignored");
    }

    #[test]
    fn addresses() {
        let c = send(&address()).unwrap();
        assert_eq!(c.preview().as_deref(), Some("Where should we ship?"));
        let a = address();
        let p = "interactive.action.parameters";
        assert_eq!(
            err_with(&a, "/action/parameters/country", Value::Null),
            (format!("{p}.country"), MISSING)
        );
        assert_eq!(
            err_with(&a, "/action/parameters/country", json!("PT")),
            (format!("{p}.country"), INVALID)
        );
        assert_eq!(
            err_with(&a, "/action/parameters", Value::Null),
            (p.into(), MISSING)
        );
        assert_eq!(
            err_with(&a, "/action/parameters/values", json!("Ana")),
            (format!("{p}.values"), INVALID)
        );
        assert_eq!(
            err_with(
                &a,
                "/action/parameters/saved_addresses/0/value",
                Value::Null
            ),
            (format!("{p}.saved_addresses[0].value"), MISSING)
        );
        assert_eq!(
            err_with(&a, "/action/name", json!("address")),
            ("interactive.action.name".into(), INVALID)
        );
        assert_eq!(
            err_with(&a, "/body", Value::Null),
            ("interactive.body".into(), MISSING)
        );
    }

    #[test]
    fn carousels() {
        let c = send(&url_carousel()).unwrap();
        assert_eq!(c.preview().as_deref(), Some("Swipe"));
        assert!(send(&reply_carousel()).is_ok());
        let mut as_strings = reply_carousel();
        as_strings["action"]["cards"][1]["card_index"] = json!("1");
        let c = send(&as_strings).unwrap();
        assert_eq!(c.body()["action"]["cards"][1]["card_index"], json!(1));

        let u = url_carousel();
        let cards = "interactive.action.cards";
        let one = json!([u["action"]["cards"][0]]);
        assert_eq!(err_with(&u, "/action/cards", one), (cards.into(), RANGE));
        let eleven: Vec<Value> = (0..11).map(|_| u["action"]["cards"][0].clone()).collect();
        assert_eq!(
            err_with(&u, "/action/cards", Value::Array(eleven)),
            (cards.into(), RANGE)
        );
        assert_eq!(
            err_with(&u, "/action/cards", json!([])),
            (cards.into(), MISSING)
        );
        assert_eq!(
            err_with(&u, "/action/cards/1/card_index", json!(0)),
            (format!("{cards}[1].card_index"), RANGE)
        );
        assert_eq!(
            err_with(&u, "/action/cards/1/card_index", json!(2)),
            (format!("{cards}[1].card_index"), RANGE)
        );
        assert_eq!(
            err_with(&u, "/action/cards/1/card_index", Value::Null),
            (format!("{cards}[1].card_index"), MISSING)
        );
        assert_eq!(
            err_with(&u, "/action/cards/0/header", Value::Null),
            (format!("{cards}[0].header"), MISSING)
        );
        assert_eq!(
            err_with(
                &u,
                "/action/cards/0/header",
                json!({"type": "document", "document": {"id": "1"}})
            ),
            (format!("{cards}[0].header.type"), INVALID)
        );
        assert_eq!(
            err_with(&u, "/action/cards/0/body/text", json!("a".repeat(161))),
            (format!("{cards}[0].body.text"), RANGE)
        );
        assert_eq!(
            err_with(&u, "/action/cards/0/body/text", json!("a\nb\nc\nd")),
            (format!("{cards}[0].body.text"), RANGE)
        );
        assert!(
            send(&{
                let mut ok = u.clone();
                ok["action"]["cards"][0]["body"]["text"] = json!("a\r\nb\nc");
                ok["action"]["cards"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("body");
                ok
            })
            .is_ok(),
            "two line breaks, and a card without a body"
        );
        assert_eq!(
            err_with(
                &u,
                "/action/cards/1/action/parameters/url",
                json!("ftp://x")
            ),
            (format!("{cards}[1].action.parameters.url"), RANGE)
        );
        assert_eq!(
            err_with(&u, "/header", json!({"type": "text", "text": "h"})),
            ("interactive.header".into(), INVALID)
        );
        assert_eq!(
            err_with(&u, "/footer", json!({"text": "f"})),
            ("interactive.footer".into(), INVALID)
        );
        assert_eq!(
            err_with(&u, "/body", Value::Null),
            ("interactive.body".into(), MISSING)
        );
    }

    #[test]
    fn carousel_buttons() {
        let r = reply_carousel();
        let cards = "interactive.action.cards";
        let url = json!({"name": "cta_url", "parameters": {"display_text": "Go", "url": "https://x.example"}});
        assert_eq!(
            err_with(&r, "/action/cards/1/action", url),
            (format!("{cards}[1].action"), RANGE),
            "cards must be alike"
        );
        assert_eq!(
            err_with(
                &r,
                "/action/cards/1/action/buttons",
                json!([
                    {"type": "quick_reply", "quick_reply": {"id": "x", "title": "X"}}
                ])
            ),
            (format!("{cards}[1].action"), RANGE),
            "as many quick replies on every card"
        );
        assert_eq!(
            err_with(
                &r,
                "/action/cards/1/action/buttons/0/quick_reply/id",
                json!("more-0")
            ),
            (
                format!("{cards}[1].action.buttons[0].quick_reply.id"),
                RANGE
            ),
            "ids are unique over all cards"
        );
        assert_eq!(
            err_with(
                &r,
                "/action/cards/0/action/buttons/1/quick_reply/title",
                json!("More")
            ),
            (
                format!("{cards}[0].action.buttons[1].quick_reply.title"),
                RANGE
            )
        );
        assert_eq!(
            err_with(
                &r,
                "/action/cards/0/action/buttons/0/quick_reply/title",
                json!("a".repeat(21))
            ),
            (
                format!("{cards}[0].action.buttons[0].quick_reply.title"),
                RANGE
            )
        );
        assert_eq!(
            err_with(&r, "/action/cards/0/action/buttons/0/type", json!("reply")),
            (format!("{cards}[0].action.buttons[0].type"), INVALID)
        );
        let b = json!({"type": "quick_reply", "quick_reply": {"id": "z", "title": "Z"}});
        assert_eq!(
            err_with(&r, "/action/cards/0/action/buttons", json!([b, b, b, b])),
            (format!("{cards}[0].action.buttons"), RANGE)
        );
    }
}
