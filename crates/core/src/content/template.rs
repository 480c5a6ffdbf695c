//! Outbound `template` messages, checked for shape only: which template and language, and
//! well-formed components. Whether the parameters fit the stored template is checked where
//! the templates are.
//!
//! Lenient inputs (reference §9): component `type` and button `sub_type` in any case (pywa
//! sends `QUICK_REPLY`) are stored lowercase; a button `index` sent as a string (`"0"`, as in
//! Meta's docs) is stored as a number.

use serde_json::Value;

use super::fields::{Fields, coerce_integer, lowercase};
use super::limits::{BUTTON_INDEX_MAX, CAROUSEL_CARDS, TEMPLATE_NAME};
use crate::error::ValidationError;

/// Component types of a send request.
const COMPONENTS: &[&str] = &["header", "body", "button", "carousel", "limited_time_offer"];
/// Component types inside a carousel card.
const CARD_COMPONENTS: &[&str] = &["header", "body", "button"];
/// Button `sub_type`s.
const SUB_TYPES: &[&str] = &[
    "quick_reply",
    "url",
    "copy_code",
    "catalog",
    "mpm",
    "flow",
    "voice_call",
];

pub(super) fn outbound(mut v: Value) -> Result<Value, ValidationError> {
    if let Some(components) = v.get_mut("components") {
        normalise(components);
    }
    let f = Fields::of(&v, "template")?;
    name(&f)?;
    language(&f)?;
    components_of(&f, COMPONENTS)?;
    Ok(v)
}

/// The `components` of a template send on their own, checked for shape as in a send: what
/// a preview (and later a campaign's fixed parameters) takes before it knows the template.
#[derive(Debug, Clone, PartialEq)]
pub struct SendComponents(Value);

impl SendComponents {
    /// Errors name fields from `components` (`components[0].type`).
    pub fn parse(components: &Value) -> Result<Self, ValidationError> {
        let mut components = components.clone();
        normalise(&mut components);
        let wrapper = serde_json::json!({ "components": components });
        components_of(&Fields::of(&wrapper, "")?, COMPONENTS)?;
        let serde_json::Value::Object(mut m) = wrapper else {
            unreachable!("built as an object")
        };
        Ok(Self(m.remove("components").unwrap_or(Value::Null)))
    }

    /// As sent (normalised: lowercase types, numeric indexes).
    pub fn as_json(&self) -> &Value {
        &self.0
    }
}

/// Lowercases types and sub_types and turns string indexes into numbers, in carousel cards
/// too.
fn normalise(components: &mut Value) {
    let Some(items) = components.as_array_mut() else {
        return;
    };
    for component in items.iter_mut().filter_map(Value::as_object_mut) {
        lowercase(component, "type");
        lowercase(component, "sub_type");
        coerce_integer(component, "index");
        let cards = component.get_mut("cards").and_then(Value::as_array_mut);
        for card in cards.into_iter().flatten() {
            if let Some(inner) = card.get_mut("components") {
                normalise(inner);
            }
        }
    }
}

/// 1 to 512 characters of `a-z`, `0-9` and `_`.
fn name(f: &Fields<'_>) -> Result<(), ValidationError> {
    let name = f.req_str("name", TEMPLATE_NAME)?;
    let ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        return Err(ValidationError::out_of_range(
            f.path("name"),
            "must hold only lowercase letters, digits and underscores",
        ));
    }
    Ok(())
}

/// `{"code": "en" | "en_US", "policy"?: "deterministic"}`.
fn language(f: &Fields<'_>) -> Result<(), ValidationError> {
    let language = f.req_child("language")?;
    let code = language.req_str("code", 16)?;
    if !is_language_code(code) {
        return Err(ValidationError::out_of_range(
            language.path("code"),
            "must be a language code like en or en_US",
        ));
    }
    language.opt_enum("policy", &["deterministic"])?;
    Ok(())
}

/// `ll`, `lll`, or either with `_` and a 2–4 letter region or variant (`en_US`, `zh_HANS`).
fn is_language_code(code: &str) -> bool {
    let (lang, region) = match code.split_once('_') {
        Some((lang, region)) => (lang, Some(region)),
        None => (code, None),
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok = region
        .is_none_or(|r| (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()));
    lang_ok && region_ok
}

/// The `components` of `f`, each of a type in `allowed`.
fn components_of(f: &Fields<'_>, allowed: &[&str]) -> Result<(), ValidationError> {
    for component in f.opt_children("components", usize::MAX)? {
        match component.req_enum("type", allowed)? {
            "button" => button(&component)?,
            "carousel" => carousel(&component)?,
            _ => {}
        }
        for parameter in component.opt_children("parameters", usize::MAX)? {
            parameter.req_str("type", usize::MAX)?;
        }
    }
    Ok(())
}

/// A button component: its `sub_type` and its 0-based `index` among the template's buttons.
fn button(component: &Fields<'_>) -> Result<(), ValidationError> {
    component.req_enum("sub_type", SUB_TYPES)?;
    component.req_integer("index", 0..=BUTTON_INDEX_MAX)?;
    Ok(())
}

/// 1 to 10 cards, each with its own header, body and buttons.
fn carousel(component: &Fields<'_>) -> Result<(), ValidationError> {
    for card in component.req_children("cards", CAROUSEL_CARDS)? {
        components_of(&card, CARD_COMPONENTS)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::content::Content;
    use crate::error::{ValidationError, ValidationKind};

    fn send(template: Value) -> Result<Content, ValidationError> {
        Content::outbound(&json!({"type": "template", "template": template}))
    }

    fn err(template: Value) -> (String, ValidationKind) {
        let e = send(template).unwrap_err();
        (e.field, e.kind)
    }

    #[test]
    fn full_template_from_the_reference() {
        let t = json!({
            "name": "order_update", "language": {"code": "en_US", "policy": "deterministic"},
            "components": [
                {"type": "header", "parameters": [{"type": "image", "image": {"id": "123"}}]},
                {"type": "body", "parameters": [
                    {"type": "text", "text": "Jessica"},
                    {"type": "currency", "currency": {"fallback_value": "$12.50", "code": "USD", "amount_1000": 12500}}
                ]},
                {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "ORDER-42"}]},
                {"type": "button", "sub_type": "quick_reply", "index": 1, "parameters": [{"type": "payload", "payload": "STOP"}]}
            ]
        });
        let c = send(t).unwrap();
        assert_eq!(c.template_name(), Some(("order_update", "en_US")));
        assert_eq!(
            c.preview().as_deref(),
            Some("template order_update (en_US)")
        );
        assert_eq!(
            c.body()["components"][2]["index"],
            json!(0),
            "string index stored as a number"
        );
        assert_eq!(c.body()["components"][3]["index"], json!(1));
    }

    #[test]
    fn pywa_style_uppercase_is_normalised() {
        let t = json!({
            "name": "promo", "language": {"code": "en"},
            "components": [
                {"type": "BODY", "parameters": [{"type": "text", "text": "x"}]},
                {"type": "BUTTON", "sub_type": "QUICK_REPLY", "index": 0,
                 "parameters": [{"type": "payload", "payload": "p"}]},
                {"type": "CAROUSEL", "cards": [{"card_index": 0, "components": [
                    {"type": "HEADER", "parameters": [{"type": "image", "image": {"id": "1"}}]},
                    {"type": "Button", "sub_type": "Url", "index": "2", "parameters": [{"type": "text", "text": "a"}]}
                ]}]}
            ]
        });
        let c = send(t).unwrap();
        let b = c.body();
        assert_eq!(b["components"][0]["type"], "body");
        assert_eq!(b["components"][1]["type"], "button");
        assert_eq!(b["components"][1]["sub_type"], "quick_reply");
        let card = &b["components"][2]["cards"][0]["components"];
        assert_eq!(card[0]["type"], "header");
        assert_eq!(
            (&card[1]["sub_type"], &card[1]["index"]),
            (&json!("url"), &json!(2))
        );
    }

    #[test]
    fn minimal_template() {
        let c = send(json!({"name": "hello_world", "language": {"code": "en_US"}})).unwrap();
        assert_eq!(c.template_name(), Some(("hello_world", "en_US")));
    }

    #[test]
    fn rejections() {
        let lang = json!({"code": "en"});
        let invalid = ValidationKind::Invalid;
        let missing = ValidationKind::Missing;
        let range = ValidationKind::OutOfRange;
        assert_eq!(
            err(json!({"language": lang})),
            ("template.name".into(), missing)
        );
        assert_eq!(
            err(json!({"name": "Hello", "language": lang})),
            ("template.name".into(), range)
        );
        assert_eq!(
            err(json!({"name": "a".repeat(513), "language": lang})),
            ("template.name".into(), range)
        );
        assert_eq!(
            err(json!({"name": "a"})),
            ("template.language".into(), missing)
        );
        assert_eq!(
            err(json!({"name": "a", "language": {}})),
            ("template.language.code".into(), missing)
        );
        for bad in ["english", "en-US", "EN", "en_"] {
            assert_eq!(
                err(json!({"name": "a", "language": {"code": bad}})),
                ("template.language.code".into(), range),
                "{bad}"
            );
        }
        assert_eq!(
            err(json!({"name": "a", "language": {"code": "en", "policy": "fallback"}})),
            ("template.language.policy".into(), invalid)
        );
        let with =
            |component: Value| json!({"name": "a", "language": lang, "components": [component]});
        assert_eq!(
            err(with(json!({"type": "footer"}))),
            ("template.components[0].type".into(), invalid)
        );
        assert_eq!(
            err(with(
                json!({"type": "button", "sub_type": "phone", "index": 0})
            )),
            ("template.components[0].sub_type".into(), invalid)
        );
        assert_eq!(
            err(with(json!({"type": "button", "sub_type": "url"}))),
            ("template.components[0].index".into(), missing)
        );
        assert_eq!(
            err(with(
                json!({"type": "button", "sub_type": "url", "index": 10})
            )),
            ("template.components[0].index".into(), range)
        );
        assert_eq!(
            err(with(
                json!({"type": "button", "sub_type": "url", "index": "first"})
            )),
            ("template.components[0].index".into(), range)
        );
        assert_eq!(
            err(with(
                json!({"type": "button", "sub_type": "url", "index": true})
            )),
            ("template.components[0].index".into(), invalid)
        );
        assert_eq!(
            err(with(json!({"type": "body", "parameters": [{"text": "x"}]}))),
            ("template.components[0].parameters[0].type".into(), missing)
        );
        assert_eq!(
            err(with(json!({"type": "body", "parameters": ["x"]}))),
            ("template.components[0].parameters[0]".into(), invalid)
        );
        assert_eq!(
            err(json!({"name": "a", "language": lang, "components": {"type": "body"}})),
            ("template.components".into(), invalid)
        );
        let cards: Vec<Value> = (0..11).map(|_| json!({"components": []})).collect();
        assert_eq!(
            err(with(json!({"type": "carousel", "cards": cards}))),
            ("template.components[0].cards".into(), range)
        );
        assert_eq!(
            err(with(
                json!({"type": "carousel", "cards": [{"components": [{"type": "carousel", "cards": []}]}]})
            )),
            (
                "template.components[0].cards[0].components[0].type".into(),
                invalid
            )
        );
    }
}
