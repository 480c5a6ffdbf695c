//! [`TemplateDraft`]: the body of `POST /{waba_id}/message_templates`, parsed.
//!
//! ```json
//! {"name": "order_update", "language": "en_US", "category": "UTILITY",
//!  "parameter_format": "POSITIONAL", "message_send_ttl_seconds": 3600,
//!  "components": [{"type": "BODY", "text": "Order {{1}} shipped", "example": {"body_text": [["42"]]}}]}
//! ```
//!
//! Parsing takes the shape (required keys, JSON types, known enum values) and Meta's rules on
//! the name and language (they are newtypes); [`lint`](super::lint) then checks the content.
//! `allow_category_change` is kept for review (the sandbox re-categorises instead of
//! rejecting); other keys Meta defines that wagate does not read
//! (`cta_url_link_tracking_opted_out`, `library_template_name`…) are accepted and ignored.

use serde_json::{Map, Value};

use super::component::{self, Component, TOP_LEVEL};
use super::error::TemplateError;
use super::{ParameterFormat, TemplateCategory, TemplateLanguage, TemplateName};
use crate::content::fields::{Fields, drop_nulls, integer_to_string, wrong_type};
use crate::error::ValidationError;

/// A template as a create request describes it: valid in shape, with a valid name and a
/// supported language. Only built by [`TemplateDraft::parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateDraft {
    name: TemplateName,
    language: TemplateLanguage,
    category: TemplateCategory,
    parameter_format: ParameterFormat,
    components: Vec<Component>,
    components_json: Value,
    message_send_ttl_seconds: Option<i64>,
    sub_category: Option<String>,
    allow_category_change: bool,
}

impl TemplateDraft {
    /// Parses a create request body. Errors name the field by its path in the body
    /// (`components[1].buttons[0].url`) and are Graph code 100 without a subcode.
    pub fn parse(body: &Value) -> Result<Self, TemplateError> {
        if !body.is_object() {
            return Err(wrong_type("body", "a JSON object", body).into());
        }
        let mut body = body.clone();
        drop_nulls(&mut body);
        if let Some(components) = body.get_mut("components") {
            normalise(components);
        }
        let f = Fields::of(&body, "")?;
        let name = TemplateName::parse(f.req_str("name", usize::MAX)?)?;
        let language = TemplateLanguage::parse(f.req_str("language", usize::MAX)?)?;
        let category = TemplateCategory::parse(f.req_str("category", usize::MAX)?)?;
        let parameter_format = match f.opt_str("parameter_format")? {
            Some(s) => ParameterFormat::parse(s)?,
            None => ParameterFormat::default(),
        };
        let message_send_ttl_seconds = ttl(&f)?;
        let sub_category = f.opt_str("sub_category")?.map(str::to_owned);
        let allow_category_change = f.opt_bool("allow_category_change")?.unwrap_or(false);
        let components = component::components(&f, TOP_LEVEL)?;
        let components_json = body["components"].take();
        Ok(Self {
            name,
            language,
            category,
            parameter_format,
            components,
            components_json,
            message_send_ttl_seconds,
            sub_category,
            allow_category_change,
        })
    }

    pub fn name(&self) -> &TemplateName {
        &self.name
    }

    pub fn language(&self) -> TemplateLanguage {
        self.language
    }

    pub fn category(&self) -> TemplateCategory {
        self.category
    }

    pub fn parameter_format(&self) -> ParameterFormat {
        self.parameter_format
    }

    /// The components, in the order sent.
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// The `components` array as sent, for the store to keep and `GET` to answer: every key
    /// kept, `null`s dropped, and the enum values Meta answers in uppercase (component `type`
    /// and `format`, button `type`, `otp_type`, `flow_action`) uppercased; numeric `flow_id`s
    /// become strings.
    pub fn components_json(&self) -> &Value {
        &self.components_json
    }

    pub fn message_send_ttl_seconds(&self) -> Option<i64> {
        self.message_send_ttl_seconds
    }

    /// `sub_category` as sent (Meta's utility sub-categories); not interpreted.
    pub fn sub_category(&self) -> Option<&str> {
        self.sub_category.as_deref()
    }

    /// `allow_category_change`: review may give the template the category its content fits
    /// instead of rejecting it as `INCORRECT_CATEGORY` (default `false`).
    pub fn allow_category_change(&self) -> bool {
        self.allow_category_change
    }
}

/// `message_send_ttl_seconds`: a whole number (`-1` is allowed; the lint checks the range).
fn ttl(f: &Fields<'_>) -> Result<Option<i64>, ValidationError> {
    const KEY: &str = "message_send_ttl_seconds";
    match f.get(KEY) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
            ValidationError::new(
                f.path(KEY),
                format!("must be a whole number of seconds (got {n})"),
            )
        }),
        Some(v) => Err(wrong_type(&f.path(KEY), "a whole number of seconds", v)),
    }
}

/// Uppercases the enum values of a `components` array (and of carousel cards' components) and
/// turns numeric flow ids into strings, so the stored JSON reads as Meta's `GET` answers.
fn normalise(components: &mut Value) {
    let Some(items) = components.as_array_mut() else {
        return;
    };
    for component in items.iter_mut().filter_map(Value::as_object_mut) {
        uppercase(component, "type");
        uppercase(component, "format");
        let buttons = component.get_mut("buttons").and_then(Value::as_array_mut);
        for button in buttons
            .into_iter()
            .flatten()
            .filter_map(Value::as_object_mut)
        {
            uppercase(button, "type");
            uppercase(button, "otp_type");
            uppercase(button, "flow_action");
            integer_to_string(button, "flow_id");
        }
        let cards = component.get_mut("cards").and_then(Value::as_array_mut);
        for card in cards.into_iter().flatten() {
            if let Some(inner) = card.get_mut("components") {
                normalise(inner);
            }
        }
    }
}

/// A string at `key` becomes uppercase (the create API takes either case, `GET` answers
/// uppercase).
fn uppercase(map: &mut Map<String, Value>, key: &str) {
    if let Some(Value::String(s)) = map.get_mut(key) {
        s.make_ascii_uppercase();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::template::TemplateErrorKind;
    use crate::template::component::{Body, Example};

    fn utility() -> Value {
        json!({
            "name": "order_update", "language": "en_US", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Your order {{1}} has shipped today.", "example": {"body_text": [["860198"]]}}]
        })
    }

    fn err(body: Value) -> (String, String) {
        let e = TemplateDraft::parse(&body).unwrap_err();
        assert_eq!(e.kind, TemplateErrorKind::InvalidParameter, "{e}");
        assert_eq!(e.subcode(), None);
        (e.field, e.message)
    }

    #[test]
    fn parses_a_minimal_request() {
        let d = TemplateDraft::parse(&utility()).unwrap();
        assert_eq!(d.name().as_str(), "order_update");
        assert_eq!(d.language().as_str(), "en_US");
        assert_eq!(d.category(), TemplateCategory::Utility);
        assert_eq!(d.parameter_format(), ParameterFormat::Positional);
        assert_eq!(d.message_send_ttl_seconds(), None);
        assert_eq!(d.sub_category(), None);
        assert!(!d.allow_category_change());
        assert_eq!(
            d.components(),
            [Component::Body(Body {
                text: Some("Your order {{1}} has shipped today.".into()),
                example: Example::Positional(vec!["860198".into()]),
                add_security_recommendation: None,
            })]
        );
    }

    #[test]
    fn reads_optional_fields_in_any_case() {
        let mut body = utility();
        body["category"] = json!("utility");
        body["parameter_format"] = json!("named");
        body["message_send_ttl_seconds"] = json!(-1);
        body["sub_category"] = json!("ORDER_STATUS");
        body["allow_category_change"] = json!(true);
        body["language"] = json!("en_us");
        let d = TemplateDraft::parse(&body).unwrap();
        assert_eq!(d.category(), TemplateCategory::Utility);
        assert_eq!(d.parameter_format(), ParameterFormat::Named);
        assert_eq!(d.message_send_ttl_seconds(), Some(-1));
        assert_eq!(d.sub_category(), Some("ORDER_STATUS"));
        assert!(d.allow_category_change());
        assert_eq!(d.language().as_str(), "en_US");
    }

    #[test]
    fn keeps_components_json_with_metas_casing() {
        let body = json!({
            "name": "promo", "language": "en", "category": "MARKETING",
            "components": [
                {"type": "header", "format": "text", "text": "Sale", "x_custom": 1},
                {"type": "body", "text": "Shop our sale this week with friends.", "example": null},
                {"type": "buttons", "buttons": [
                    {"type": "quick_reply", "text": "Stop"},
                    {"type": "flow", "text": "Book", "flow_id": 1234, "flow_action": "navigate"}
                ]},
                {"type": "carousel", "cards": [{"components": [{"type": "header", "format": "image"}]}]}
            ]
        });
        let d = TemplateDraft::parse(&body).unwrap();
        assert_eq!(
            d.components_json(),
            &json!([
                {"type": "HEADER", "format": "TEXT", "text": "Sale", "x_custom": 1},
                {"type": "BODY", "text": "Shop our sale this week with friends."},
                {"type": "BUTTONS", "buttons": [
                    {"type": "QUICK_REPLY", "text": "Stop"},
                    {"type": "FLOW", "text": "Book", "flow_id": "1234", "flow_action": "NAVIGATE"}
                ]},
                {"type": "CAROUSEL", "cards": [{"components": [{"type": "HEADER", "format": "IMAGE"}]}]}
            ])
        );
    }

    #[test]
    fn shape_errors() {
        let mut b = utility();
        b.as_object_mut().unwrap().remove("name");
        assert_eq!(err(b).0, "name");
        let mut b = utility();
        b["name"] = json!("Order Update");
        let (field, message) = err(b);
        assert_eq!(field, "name");
        assert!(message.contains("lowercase letters"), "{message}");
        let mut b = utility();
        b["name"] = json!("a".repeat(513));
        assert_eq!(err(b).0, "name");
        let mut b = utility();
        b["language"] = json!("klingon");
        let (field, message) = err(b);
        assert_eq!(field, "language");
        assert!(message.contains("`klingon` is not a language"), "{message}");
        let mut b = utility();
        b["category"] = json!("TRANSACTIONAL");
        assert_eq!(err(b).0, "category");
        let mut b = utility();
        b["parameter_format"] = json!("numbered");
        assert_eq!(err(b).0, "parameter_format");
        let mut b = utility();
        b["message_send_ttl_seconds"] = json!(1.5);
        assert_eq!(err(b).0, "message_send_ttl_seconds");
        let mut b = utility();
        b["message_send_ttl_seconds"] = json!("600");
        assert_eq!(err(b).0, "message_send_ttl_seconds");
        let mut b = utility();
        b["allow_category_change"] = json!("yes");
        assert_eq!(err(b).0, "allow_category_change");
        let mut b = utility();
        b.as_object_mut().unwrap().remove("components");
        assert_eq!(err(b).0, "components");
        assert_eq!(err(json!([])).0, "body");
        let mut b = utility();
        b["components"][0]["type"] = json!("SIGNATURE");
        assert_eq!(err(b).0, "components[0].type");
    }
}
