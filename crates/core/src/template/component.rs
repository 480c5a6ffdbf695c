//! A template's components as the create request sends them (reference §6.5, §7):
//! `{"type": "HEADER", "format": "TEXT", "text": "Hi {{1}}", "example": {"header_text": ["Pablo"]}}`.
//!
//! Parsing checks shape only: required keys, JSON types, known types and formats. Whether the
//! content obeys Meta's rules (lengths, variables, counts, category) is the lint's.

use serde_json::Value;

use super::button::{Button, strings};
use super::wire::wire_enum;
use crate::content::fields::{Fields, unknown, wrong_type};
use crate::error::ValidationError;

wire_enum!(
    /// A component's `type`.
    ComponentType, "type" {
        Header => "HEADER",
        Body => "BODY",
        Footer => "FOOTER",
        Buttons => "BUTTONS",
        /// 2 to 10 cards, each with its own header, body and buttons.
        Carousel => "CAROUSEL",
        /// A marketing offer with an optional countdown.
        LimitedTimeOffer => "LIMITED_TIME_OFFER",
    }
);

wire_enum!(
    /// A header's `format`.
    HeaderFormat, "format" {
        Text => "TEXT",
        Image => "IMAGE",
        Video => "VIDEO",
        /// An mp4 shown as a GIF.
        Gif => "GIF",
        Document => "DOCUMENT",
        /// The location is given when sending (utility and marketing only).
        Location => "LOCATION",
        /// A catalog product (product cards, single-product templates).
        Product => "PRODUCT",
    }
);

/// One component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Component {
    Header(Header),
    Body(Body),
    Footer(Footer),
    Buttons(Vec<Button>),
    Carousel(Vec<Card>),
    LimitedTimeOffer(LimitedTimeOffer),
}

impl Component {
    pub fn kind(&self) -> ComponentType {
        match self {
            Component::Header(_) => ComponentType::Header,
            Component::Body(_) => ComponentType::Body,
            Component::Footer(_) => ComponentType::Footer,
            Component::Buttons(_) => ComponentType::Buttons,
            Component::Carousel(_) => ComponentType::Carousel,
            Component::LimitedTimeOffer(_) => ComponentType::LimitedTimeOffer,
        }
    }
}

/// A `HEADER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    Text {
        text: String,
        /// `example.header_text` or `example.header_text_named_params`.
        example: Example,
    },
    /// IMAGE, VIDEO, GIF or DOCUMENT, with the sample's upload handles
    /// (`example.header_handle`).
    Media {
        format: HeaderFormat,
        handles: Vec<String>,
    },
    Location,
    Product,
}

impl Header {
    pub fn format(&self) -> HeaderFormat {
        match self {
            Header::Text { .. } => HeaderFormat::Text,
            Header::Media { format, .. } => *format,
            Header::Location => HeaderFormat::Location,
            Header::Product => HeaderFormat::Product,
        }
    }
}

/// A `BODY`. Authentication templates send no `text` (Meta supplies it) and may ask for the
/// security recommendation; every other template needs `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub text: Option<String>,
    /// `example.body_text` (its first row) or `example.body_text_named_params`.
    pub example: Example,
    pub add_security_recommendation: Option<bool>,
}

/// A `FOOTER`: text, or for authentication templates `code_expiration_minutes` only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer {
    pub text: Option<String>,
    pub code_expiration_minutes: Option<u64>,
}

/// One carousel card: its own components (HEADER, BODY, BUTTONS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub components: Vec<Component>,
}

/// `LIMITED_TIME_OFFER`: `{"limited_time_offer": {"text": "Expiring offer!", "has_expiration": true}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitedTimeOffer {
    pub text: String,
    pub has_expiration: Option<bool>,
}

/// The sample values of a header or body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Example {
    /// No example given.
    #[default]
    None,
    /// One value per positional variable, in order.
    Positional(Vec<String>),
    /// One value per named variable.
    Named(Vec<NamedExample>),
}

impl Example {
    /// How many values the example holds.
    pub fn len(&self) -> usize {
        match self {
            Example::None => 0,
            Example::Positional(values) => values.len(),
            Example::Named(values) => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `{"param_name": "first_name", "example": "Pablo"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedExample {
    pub param_name: String,
    pub example: String,
}

/// The component types allowed at the top of a template.
pub(super) const TOP_LEVEL: &[ComponentType] = ComponentType::ALL;
/// The component types allowed inside a carousel card.
pub(super) const IN_CARD: &[ComponentType] = &[
    ComponentType::Header,
    ComponentType::Body,
    ComponentType::Buttons,
];

/// A stored template's `components` (as [`super::TemplateDraft::components_json`] kept them)
/// read back into typed components.
pub fn parse_components(components: &Value) -> Result<Vec<Component>, ValidationError> {
    let wrapped = serde_json::json!({ "components": components });
    self::components(&Fields::of(&wrapped, "")?, TOP_LEVEL)
}

/// The `components` array of `f`, each of a type in `allowed`.
pub(super) fn components(
    f: &Fields<'_>,
    allowed: &[ComponentType],
) -> Result<Vec<Component>, ValidationError> {
    f.req_children("components", usize::MAX)?
        .iter()
        .map(|c| component(c, allowed))
        .collect()
}

fn component(c: &Fields<'_>, allowed: &[ComponentType]) -> Result<Component, ValidationError> {
    let field = c.path("type");
    let kind = ComponentType::parse_field(c.req_str("type", usize::MAX)?, &field)?;
    if !allowed.contains(&kind) {
        let names: Vec<&str> = allowed.iter().map(|t| t.as_str()).collect();
        return Err(unknown(&field, kind.as_str(), &names));
    }
    Ok(match kind {
        ComponentType::Header => Component::Header(header(c)?),
        ComponentType::Body => Component::Body(Body {
            text: c.opt_str("text")?.map(str::to_owned),
            example: example(c, "body_text", "body_text_named_params")?,
            add_security_recommendation: c.opt_bool("add_security_recommendation")?,
        }),
        ComponentType::Footer => Component::Footer(Footer {
            text: c.opt_str("text")?.map(str::to_owned),
            code_expiration_minutes: match c.has("code_expiration_minutes") {
                true => Some(c.req_integer("code_expiration_minutes", 0..=u64::from(u32::MAX))?),
                false => None,
            },
        }),
        ComponentType::Buttons => {
            let buttons = c.req_children("buttons", usize::MAX)?;
            Component::Buttons(
                buttons
                    .iter()
                    .map(Button::parse)
                    .collect::<Result<_, _>>()?,
            )
        }
        ComponentType::Carousel => {
            let cards = c.req_children("cards", usize::MAX)?;
            let cards = cards.iter().map(|card| {
                Ok(Card {
                    components: components(card, IN_CARD)?,
                })
            });
            Component::Carousel(cards.collect::<Result<_, ValidationError>>()?)
        }
        ComponentType::LimitedTimeOffer => {
            let offer = c.req_child("limited_time_offer")?;
            Component::LimitedTimeOffer(LimitedTimeOffer {
                text: offer.req_str("text", usize::MAX)?.to_owned(),
                has_expiration: offer.opt_bool("has_expiration")?,
            })
        }
    })
}

fn header(c: &Fields<'_>) -> Result<Header, ValidationError> {
    let format = HeaderFormat::parse_field(c.req_str("format", usize::MAX)?, &c.path("format"))?;
    Ok(match format {
        HeaderFormat::Text => Header::Text {
            text: c.req_str("text", usize::MAX)?.to_owned(),
            example: example(c, "header_text", "header_text_named_params")?,
        },
        HeaderFormat::Image | HeaderFormat::Video | HeaderFormat::Gif | HeaderFormat::Document => {
            let handles = match c.child("example")? {
                Some(example) => strings(
                    example.opt_array("header_handle", usize::MAX)?,
                    &example.path("header_handle"),
                )?,
                None => Vec::new(),
            };
            Header::Media { format, handles }
        }
        HeaderFormat::Location => Header::Location,
        HeaderFormat::Product => Header::Product,
    })
}

/// `example.<positional>` or `example.<named>` of a header or body (not both). A body's
/// positional example is an array of rows (`[["a", "b"]]`) of which Meta reads the first; a
/// header's is one row (`["a"]`).
fn example(c: &Fields<'_>, positional: &str, named: &str) -> Result<Example, ValidationError> {
    let Some(example) = c.child("example")? else {
        return Ok(Example::None);
    };
    if example.has(positional) && example.has(named) {
        return Err(ValidationError::new(
            example.own_path(),
            format!("give either `{positional}` or `{named}`, not both"),
        ));
    }
    if example.has(named) {
        let pairs = example.req_children(named, usize::MAX)?;
        let pairs = pairs.iter().map(|p| {
            Ok(NamedExample {
                param_name: p.req_str("param_name", usize::MAX)?.to_owned(),
                // A blank sample is the lint's to report, as for positional samples.
                example: p.opt_str("example")?.unwrap_or_default().to_owned(),
            })
        });
        return Ok(Example::Named(
            pairs.collect::<Result<_, ValidationError>>()?,
        ));
    }
    if !example.has(positional) {
        return Ok(Example::None);
    }
    let field = example.path(positional);
    let items = example.req_array(positional, usize::MAX)?;
    if positional == "body_text" {
        let row = match &items[0] {
            Value::Array(row) => row,
            v => return Err(wrong_type(&format!("{field}[0]"), "an array of strings", v)),
        };
        return Ok(Example::Positional(strings(row, &format!("{field}[0]"))?));
    }
    Ok(Example::Positional(strings(items, &field)?))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ValidationKind;

    fn parse(components: Value) -> Result<Vec<Component>, ValidationError> {
        let v = json!({ "components": components });
        components_of(&v)
    }

    fn components_of(v: &Value) -> Result<Vec<Component>, ValidationError> {
        components(&Fields::of(v, "").unwrap(), TOP_LEVEL)
    }

    fn err(components: Value) -> (String, ValidationKind) {
        let e = parse(components).unwrap_err();
        (e.field, e.kind)
    }

    #[test]
    fn headers_of_every_format() {
        let c = parse(json!([
            {"type": "HEADER", "format": "TEXT", "text": "Hi {{1}}", "example": {"header_text": ["Pablo"]}},
            {"type": "HEADER", "format": "TEXT", "text": "Hi {{name}}", "example": {"header_text_named_params": [{"param_name": "name", "example": "Ann"}]}},
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW"]}},
            {"type": "HEADER", "format": "DOCUMENT"},
            {"type": "HEADER", "format": "LOCATION"},
            {"type": "HEADER", "format": "PRODUCT"},
        ]))
        .unwrap();
        assert_eq!(
            c[0],
            Component::Header(Header::Text {
                text: "Hi {{1}}".into(),
                example: Example::Positional(vec!["Pablo".into()])
            })
        );
        let Component::Header(Header::Text { example, .. }) = &c[1] else {
            panic!()
        };
        assert_eq!(
            example,
            &Example::Named(vec![NamedExample {
                param_name: "name".into(),
                example: "Ann".into()
            }])
        );
        assert_eq!(
            c[2],
            Component::Header(Header::Media {
                format: HeaderFormat::Image,
                handles: vec!["4::aW".into()]
            })
        );
        let Component::Header(h) = &c[3] else {
            panic!()
        };
        assert_eq!(
            h,
            &Header::Media {
                format: HeaderFormat::Document,
                handles: vec![]
            }
        );
        let formats: Vec<_> = c
            .iter()
            .map(|c| match c {
                Component::Header(h) => h.format(),
                _ => panic!(),
            })
            .collect();
        assert_eq!(
            formats[4..],
            [HeaderFormat::Location, HeaderFormat::Product]
        );
    }

    #[test]
    fn body_footer_offer_carousel() {
        let c = parse(json!([
            {"type": "BODY", "text": "Order {{1}}", "example": {"body_text": [["860198"], ["ignored"]]}},
            {"type": "BODY", "add_security_recommendation": true},
            {"type": "FOOTER", "text": "Lucky Shrub"},
            {"type": "FOOTER", "code_expiration_minutes": 5},
            {"type": "LIMITED_TIME_OFFER", "limited_time_offer": {"text": "Expiring!", "has_expiration": true}},
            {"type": "CAROUSEL", "cards": [{"components": [
                {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["h"]}},
                {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "More"}]}
            ]}]},
        ]))
        .unwrap();
        let kinds: Vec<_> = c.iter().map(Component::kind).collect();
        assert_eq!(
            kinds,
            [
                ComponentType::Body,
                ComponentType::Body,
                ComponentType::Footer,
                ComponentType::Footer,
                ComponentType::LimitedTimeOffer,
                ComponentType::Carousel
            ]
        );
        let Component::Body(body) = &c[0] else {
            panic!()
        };
        assert_eq!(body.example, Example::Positional(vec!["860198".into()]));
        assert_eq!(body.example.len(), 1);
        let Component::Body(auth) = &c[1] else {
            panic!()
        };
        assert_eq!(
            (auth.text.as_deref(), auth.add_security_recommendation),
            (None, Some(true))
        );
        assert!(auth.example.is_empty());
        assert_eq!(
            c[3],
            Component::Footer(Footer {
                text: None,
                code_expiration_minutes: Some(5)
            })
        );
        let Component::Carousel(cards) = &c[5] else {
            panic!()
        };
        assert_eq!(cards[0].components.len(), 2);
    }

    #[test]
    fn shape_errors_carry_paths() {
        use ValidationKind::*;
        assert_eq!(err(json!({})), ("components".into(), Invalid));
        assert_eq!(err(json!([])), ("components".into(), Missing));
        assert_eq!(
            err(json!([{"type": "HEADLINE"}])),
            ("components[0].type".into(), Invalid)
        );
        assert_eq!(
            err(json!([{"type": "HEADER"}])),
            ("components[0].format".into(), Missing)
        );
        assert_eq!(
            err(json!([{"type": "HEADER", "format": "AUDIO"}])),
            ("components[0].format".into(), Invalid)
        );
        assert_eq!(
            err(json!([{"type": "HEADER", "format": "TEXT"}])),
            ("components[0].text".into(), Missing)
        );
        assert_eq!(
            err(json!([{"type": "BODY", "text": "x {{1}}", "example": {"body_text": ["flat"]}}])),
            ("components[0].example.body_text[0]".into(), Invalid)
        );
        assert_eq!(
            err(
                json!([{"type": "BODY", "text": "x", "example": {"body_text": [["a"]], "body_text_named_params": []}}])
            ),
            ("components[0].example".into(), Invalid)
        );
        assert_eq!(
            err(
                json!([{"type": "BODY", "text": "x", "example": {"body_text_named_params": [{"example": "a"}]}}])
            ),
            (
                "components[0].example.body_text_named_params[0].param_name".into(),
                Missing
            )
        );
        assert_eq!(
            err(
                json!([{"type": "HEADER", "format": "TEXT", "text": "x", "example": {"header_text": []}}])
            ),
            ("components[0].example.header_text".into(), Missing)
        );
        assert_eq!(
            err(json!([{"type": "BODY", "text": 5}])),
            ("components[0].text".into(), Invalid)
        );
        assert_eq!(
            err(json!([{"type": "FOOTER", "code_expiration_minutes": "soon"}])),
            ("components[0].code_expiration_minutes".into(), OutOfRange)
        );
        assert_eq!(
            err(json!([{"type": "BUTTONS"}])),
            ("components[0].buttons".into(), Missing)
        );
        assert_eq!(
            err(json!([{"type": "BUTTONS", "buttons": [{"type": "URL", "text": "x"}]}])),
            ("components[0].buttons[0].url".into(), Missing)
        );
        assert_eq!(
            err(json!([{"type": "LIMITED_TIME_OFFER"}])),
            ("components[0].limited_time_offer".into(), Missing)
        );
        assert_eq!(
            err(
                json!([{"type": "CAROUSEL", "cards": [{"components": [{"type": "FOOTER", "text": "x"}]}]}])
            ),
            ("components[0].cards[0].components[0].type".into(), Invalid)
        );
    }
}
