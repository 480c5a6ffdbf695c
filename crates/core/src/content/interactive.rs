//! Outbound `interactive` messages (reference §2.4): `{type, header?, body?, footer?, action}`.
//! What the header and body may be depends on the type ([`Rules`]); the action has one
//! shape per type. Flow parameters are normalised: `mode` defaults to `published`, and
//! `flow_id` / `flow_message_version` sent as numbers are stored as strings. The newer
//! types (calls, contact and address requests, media carousels) are in `interactive_extra`.

use std::fmt;

use serde_json::Value;

use super::fields::{Fields, Unique, check_url, integer_to_string, unknown};
use super::interactive_extra as extra;
use super::limits::{
    BODY_TEXT, BUTTON_ID, BUTTON_TITLE, CTA_TEXT, FOOTER_TEXT, HEADER_TEXT, LIST_BODY_TEXT,
    LIST_BUTTON, LIST_ROWS, LIST_SECTIONS, MEDIA_LINK, PRODUCT_SECTIONS, PRODUCTS, REPLY_BUTTONS,
    ROW_DESCRIPTION, ROW_ID, ROW_TITLE, SECTION_TITLE,
};
use super::media;
use crate::error::ValidationError;

/// The interactive types a business can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Button,
    List,
    CtaUrl,
    LocationRequest,
    Product,
    ProductList,
    Catalog,
    Flow,
    VoiceCall,
    CallPermission,
    ContactRequest,
    Address,
    Carousel,
}

impl Kind {
    const ALL: [Kind; 13] = [
        Kind::Button,
        Kind::List,
        Kind::CtaUrl,
        Kind::LocationRequest,
        Kind::Product,
        Kind::ProductList,
        Kind::Catalog,
        Kind::Flow,
        Kind::VoiceCall,
        Kind::CallPermission,
        Kind::ContactRequest,
        Kind::Address,
        Kind::Carousel,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Kind::Button => "button",
            Kind::List => "list",
            Kind::CtaUrl => "cta_url",
            Kind::LocationRequest => "location_request_message",
            Kind::Product => "product",
            Kind::ProductList => "product_list",
            Kind::Catalog => "catalog_message",
            Kind::Flow => "flow",
            Kind::VoiceCall => "voice_call",
            Kind::CallPermission => "call_permission_request",
            Kind::ContactRequest => "request_contact_info",
            Kind::Address => "address_message",
            Kind::Carousel => "carousel",
        }
    }

    fn parse(f: &Fields<'_>) -> Result<Kind, ValidationError> {
        let name = f.req_str("type", usize::MAX)?;
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| unknown(&f.path("type"), name, &Kind::ALL.map(Kind::as_str)))
    }

    fn rules(self) -> Rules {
        use Header::*;
        let (header, body_required, body_max) = match self {
            Kind::Button | Kind::CtaUrl => (TextOrMedia, true, BODY_TEXT),
            Kind::List => (Text, true, LIST_BODY_TEXT),
            Kind::Flow | Kind::VoiceCall | Kind::Address => (Text, true, BODY_TEXT),
            Kind::ProductList => (TextRequired, true, BODY_TEXT),
            Kind::Product => (Forbidden, false, BODY_TEXT),
            Kind::LocationRequest
            | Kind::Catalog
            | Kind::CallPermission
            | Kind::ContactRequest
            | Kind::Carousel => (Forbidden, true, BODY_TEXT),
        };
        Rules {
            header,
            body_required,
            body_max,
            // A carousel is its body and its cards: no header, no footer.
            footer: self != Kind::Carousel,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What header an interactive type takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    Forbidden,
    /// Optional, text only.
    Text,
    /// Required, text only.
    TextRequired,
    /// Optional: text, or an image, video or document.
    TextOrMedia,
}

/// The header and body rules of one interactive type.
struct Rules {
    header: Header,
    body_required: bool,
    body_max: usize,
    /// Whether a footer is allowed.
    footer: bool,
}

pub(super) fn outbound(mut v: Value) -> Result<Value, ValidationError> {
    normalise_flow(&mut v);
    extra::normalise(&mut v);
    let f = Fields::of(&v, "interactive")?;
    let kind = Kind::parse(&f)?;
    let rules = kind.rules();
    header(&f, kind, rules.header)?;
    body(&f, kind, &rules)?;
    if !rules.footer {
        f.forbid("footer", &format!("is not allowed on {kind} messages"))?;
    }
    if let Some(footer) = f.child("footer")? {
        footer.req_str("text", FOOTER_TEXT)?;
    }
    let action = f.req_child("action")?;
    match kind {
        Kind::Button => buttons(&action),
        Kind::List => list(&action),
        Kind::CtaUrl => cta_url(&action),
        Kind::LocationRequest => named(&action, "send_location"),
        Kind::Product => product(&action),
        Kind::ProductList => product_list(&action),
        Kind::Catalog => catalog(&action),
        Kind::Flow => flow(&action),
        Kind::VoiceCall => extra::voice_call(&action),
        Kind::CallPermission => named(&action, "call_permission_request"),
        Kind::ContactRequest => named(&action, "request_contact_info"),
        Kind::Address => extra::address(&action),
        Kind::Carousel => extra::carousel(&action),
    }?;
    Ok(v)
}

fn normalise_flow(v: &mut Value) {
    if v.get("type").and_then(Value::as_str) != Some("flow") {
        return;
    }
    let Some(params) = v
        .pointer_mut("/action/parameters")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    integer_to_string(params, "flow_id");
    integer_to_string(params, "flow_message_version");
    params
        .entry("mode")
        .or_insert_with(|| Value::from("published"));
}

fn header(f: &Fields<'_>, kind: Kind, rule: Header) -> Result<(), ValidationError> {
    let Some(h) = f.child("header")? else {
        if rule == Header::TextRequired {
            return Err(ValidationError::missing(
                f.path("header"),
                format!("is required on {kind} messages (a text header)"),
            ));
        }
        return Ok(());
    };
    if rule == Header::Forbidden {
        return Err(ValidationError::new(
            h.own_path(),
            format!("is not allowed on {kind} messages"),
        ));
    }
    match h.req_enum("type", &["text", "image", "video", "document"])? {
        "text" => h.req_str("text", HEADER_TEXT).map(drop),
        _ if rule != Header::TextOrMedia => Err(ValidationError::new(
            h.path("type"),
            format!("must be text on {kind} messages"),
        )),
        media_type => media::header(&h.req_child(media_type)?).map(drop),
    }
}

fn body(f: &Fields<'_>, kind: Kind, rules: &Rules) -> Result<(), ValidationError> {
    match f.child("body")? {
        Some(body) => body.req_str("text", rules.body_max).map(drop),
        None if rules.body_required => Err(ValidationError::missing(
            f.path("body"),
            format!("is required on {kind} messages"),
        )),
        None => Ok(()),
    }
}

/// `action.name`, which must be `name`.
pub(super) fn named(action: &Fields<'_>, name: &str) -> Result<(), ValidationError> {
    action.req_enum("name", &[name]).map(drop)
}

/// 1 to 3 reply buttons with unique ids and titles.
fn buttons(action: &Fields<'_>) -> Result<(), ValidationError> {
    let (mut ids, mut titles) = (Unique::default(), Unique::default());
    for button in action.req_children("buttons", REPLY_BUTTONS)? {
        button.req_enum("type", &["reply"])?;
        let reply = button.req_child("reply")?;
        ids.check(&reply.path("id"), reply.req_str("id", BUTTON_ID)?)?;
        titles.check(&reply.path("title"), reply.req_str("title", BUTTON_TITLE)?)?;
    }
    Ok(())
}

/// A menu button and 1 to 10 sections holding at most 10 rows in all, with unique row ids.
fn list(action: &Fields<'_>) -> Result<(), ValidationError> {
    action.req_str("button", LIST_BUTTON)?;
    let sections = action.req_children("sections", LIST_SECTIONS)?;
    let mut ids = Unique::default();
    let mut rows_seen = 0;
    for section in &sections {
        section_title(section, sections.len() > 1)?;
        let rows = section.req_children("rows", LIST_ROWS)?;
        rows_seen += rows.len();
        check_total(action, rows_seen, LIST_ROWS, "rows")?;
        for row in rows {
            ids.check(&row.path("id"), row.req_str("id", ROW_ID)?)?;
            row.req_str("title", ROW_TITLE)?;
            row.opt_text("description", ROW_DESCRIPTION)?;
        }
    }
    Ok(())
}

/// A section title: required when there is more than one section.
fn section_title(section: &Fields<'_>, required: bool) -> Result<(), ValidationError> {
    if required {
        section.req_str("title", SECTION_TITLE).map(drop)
    } else {
        section.opt_text("title", SECTION_TITLE).map(drop)
    }
}

/// An `OutOfRange` error on `action.sections` once more than `max` items were seen.
fn check_total(
    action: &Fields<'_>,
    seen: usize,
    max: usize,
    what: &str,
) -> Result<(), ValidationError> {
    if seen > max {
        return Err(ValidationError::out_of_range(
            action.path("sections"),
            format!("must hold at most {max} {what} in all sections together"),
        ));
    }
    Ok(())
}

pub(super) fn cta_url(action: &Fields<'_>) -> Result<(), ValidationError> {
    named(action, "cta_url")?;
    let params = action.req_child("parameters")?;
    params.req_str("display_text", CTA_TEXT)?;
    let url = params.req_str("url", MEDIA_LINK)?;
    check_url(&params.path("url"), url, MEDIA_LINK)
}

fn product(action: &Fields<'_>) -> Result<(), ValidationError> {
    action.req_str("catalog_id", usize::MAX)?;
    action.req_str("product_retailer_id", usize::MAX)?;
    Ok(())
}

/// A catalog and 1 to 10 titled sections holding at most 30 products in all.
fn product_list(action: &Fields<'_>) -> Result<(), ValidationError> {
    action.req_str("catalog_id", usize::MAX)?;
    let mut products_seen = 0;
    for section in action.req_children("sections", PRODUCT_SECTIONS)? {
        section_title(&section, true)?;
        let items = section.req_children("product_items", PRODUCTS)?;
        products_seen += items.len();
        check_total(action, products_seen, PRODUCTS, "products")?;
        for item in items {
            item.req_str("product_retailer_id", usize::MAX)?;
        }
    }
    Ok(())
}

fn catalog(action: &Fields<'_>) -> Result<(), ValidationError> {
    named(action, "catalog_message")?;
    if let Some(params) = action.child("parameters")? {
        params.opt_str("thumbnail_product_retailer_id")?;
    }
    Ok(())
}

fn flow(action: &Fields<'_>) -> Result<(), ValidationError> {
    named(action, "flow")?;
    let params = action.req_child("parameters")?;
    params.req_str("flow_message_version", usize::MAX)?;
    params.opt_str("flow_token")?;
    flow_ref(&params)?;
    flow_cta(&params)?;
    params.opt_enum("mode", &["published", "draft"])?;
    let flow_action = params.opt_enum("flow_action", &["navigate", "data_exchange"])?;
    if let Some(payload) = params.child("flow_action_payload")? {
        flow_payload(&payload, flow_action.unwrap_or("navigate"))?;
    }
    Ok(())
}

/// Exactly one of `flow_id` or `flow_name`.
fn flow_ref(params: &Fields<'_>) -> Result<(), ValidationError> {
    match (params.has("flow_id"), params.has("flow_name")) {
        (true, true) => Err(ValidationError::out_of_range(
            params.own_path(),
            "must have either flow_id or flow_name, not both",
        )),
        (false, false) => Err(ValidationError::missing(
            params.own_path(),
            "must have flow_id or flow_name",
        )),
        (true, false) => params.req_str("flow_id", usize::MAX).map(drop),
        (false, true) => params.req_str("flow_name", usize::MAX).map(drop),
    }
}

/// The flow button label: 1 to 20 characters, no emoji.
fn flow_cta(params: &Fields<'_>) -> Result<(), ValidationError> {
    let cta = params.req_str("flow_cta", CTA_TEXT)?;
    if cta.chars().any(is_emoji) {
        return Err(ValidationError::out_of_range(
            params.path("flow_cta"),
            "must not contain emoji",
        ));
    }
    Ok(())
}

/// Close enough to "is an emoji" without a Unicode table: anything outside the Basic
/// Multilingual Plane, and the Miscellaneous Symbols and Dingbats blocks.
fn is_emoji(c: char) -> bool {
    let c = u32::from(c);
    c > 0xFFFF || (0x2600..=0x27BF).contains(&c)
}

/// Only with `flow_action: navigate`: the first screen, and non-empty `data` if given.
fn flow_payload(payload: &Fields<'_>, flow_action: &str) -> Result<(), ValidationError> {
    if flow_action != "navigate" {
        return Err(ValidationError::new(
            payload.own_path(),
            "is only allowed with flow_action navigate",
        ));
    }
    payload.req_str("screen", usize::MAX)?;
    if let Some(data) = payload.child("data")?
        && data.is_empty()
    {
        return Err(ValidationError::out_of_range(
            data.own_path(),
            "must not be empty when given",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::content::{Content, ReplyOption};
    use crate::error::{ValidationError, ValidationKind};

    const INVALID: ValidationKind = ValidationKind::Invalid;
    const MISSING: ValidationKind = ValidationKind::Missing;
    const RANGE: ValidationKind = ValidationKind::OutOfRange;

    fn send(interactive: &Value) -> Result<Content, ValidationError> {
        Content::outbound(&json!({"type": "interactive", "interactive": interactive}))
    }

    /// Sends `base` with the value at `pointer` replaced (or removed, for `Value::Null`).
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

    fn buttons() -> Value {
        json!({
            "type": "button",
            "header": {"type": "image", "image": {"id": "123"}},
            "body": {"text": "Reschedule?"},
            "footer": {"text": "Lucky Shrub"},
            "action": {"buttons": [
                {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                {"type": "reply", "reply": {"id": "no", "title": "No"}}
            ]}
        })
    }

    fn list() -> Value {
        json!({
            "type": "list",
            "header": {"type": "text", "text": "Menu"},
            "body": {"text": "Pick one"},
            "action": {"button": "Options", "sections": [
                {"title": "Drinks", "rows": [
                    {"id": "tea", "title": "Tea", "description": "Green"},
                    {"id": "coffee", "title": "Coffee"}
                ]},
                {"title": "Food", "rows": [{"id": "cake", "title": "Cake"}]}
            ]}
        })
    }

    fn flow() -> Value {
        json!({
            "type": "flow",
            "header": {"type": "text", "text": "Sign up"},
            "body": {"text": "Join us"},
            "action": {"name": "flow", "parameters": {
                "flow_message_version": 3, "flow_token": "tok", "flow_id": 1234567,
                "flow_cta": "Open", "flow_action": "navigate",
                "flow_action_payload": {"screen": "FIRST", "data": {"k": "v"}}
            }}
        })
    }

    fn product_list() -> Value {
        json!({
            "type": "product_list",
            "header": {"type": "text", "text": "Our picks"},
            "body": {"text": "Have a look"},
            "action": {"catalog_id": "c1", "sections": [
                {"title": "New", "product_items": [{"product_retailer_id": "p1"}]}
            ]}
        })
    }

    #[test]
    fn reply_buttons() {
        let c = send(&buttons()).unwrap();
        assert_eq!(c.preview().as_deref(), Some("Reschedule?"));
        assert_eq!(
            c.reply_options(),
            [
                ReplyOption {
                    id: "yes".into(),
                    title: "Yes".into(),
                    from_list: false
                },
                ReplyOption {
                    id: "no".into(),
                    title: "No".into(),
                    from_list: false
                },
            ]
        );
        let b = buttons();
        let reply = json!({"type": "reply", "reply": {"id": "x", "title": "X"}});
        let four = json!([reply, reply, reply, reply]);
        assert_eq!(
            err_with(&b, "/action/buttons", four),
            ("interactive.action.buttons".into(), RANGE)
        );
        assert_eq!(
            err_with(&b, "/action/buttons", json!([])),
            ("interactive.action.buttons".into(), MISSING)
        );
        assert_eq!(
            err_with(&b, "/action/buttons/1/reply/title", json!("a".repeat(21))),
            ("interactive.action.buttons[1].reply.title".into(), RANGE)
        );
        assert_eq!(
            err_with(&b, "/action/buttons/0/reply/id", json!("a".repeat(257))),
            ("interactive.action.buttons[0].reply.id".into(), RANGE)
        );
        assert_eq!(
            err_with(&b, "/action/buttons/1/reply/id", json!("yes")),
            ("interactive.action.buttons[1].reply.id".into(), RANGE)
        );
        assert_eq!(
            err_with(&b, "/action/buttons/1/reply/title", json!("Yes")),
            ("interactive.action.buttons[1].reply.title".into(), RANGE)
        );
        assert_eq!(
            err_with(&b, "/action/buttons/0/type", json!("url")),
            ("interactive.action.buttons[0].type".into(), INVALID)
        );
        assert_eq!(
            err_with(&b, "/body", Value::Null),
            ("interactive.body".into(), MISSING)
        );
        assert_eq!(
            err_with(&b, "/body/text", json!("a".repeat(1025))),
            ("interactive.body.text".into(), RANGE)
        );
    }

    #[test]
    fn headers_and_footers() {
        let b = buttons();
        assert!(send(&json!({"type": "button", "header": {"type": "video", "video": {"link": "https://x/v.mp4"}},
            "body": {"text": "b"}, "action": b["action"]})).is_ok());
        assert_eq!(
            err_with(
                &b,
                "/header",
                json!({"type": "text", "text": "a".repeat(61)})
            ),
            ("interactive.header.text".into(), RANGE)
        );
        assert_eq!(
            err_with(&b, "/header/image", json!({"id": "1", "caption": "c"})),
            ("interactive.header.image.caption".into(), INVALID)
        );
        assert_eq!(
            err_with(&b, "/header/image", json!({})),
            ("interactive.header.image".into(), MISSING)
        );
        assert_eq!(
            err_with(&b, "/header/type", json!("audio")),
            ("interactive.header.type".into(), INVALID)
        );
        assert_eq!(
            err_with(&b, "/footer/text", json!("a".repeat(61))),
            ("interactive.footer.text".into(), RANGE)
        );
        let l = list();
        assert_eq!(
            err_with(
                &l,
                "/header",
                json!({"type": "image", "image": {"id": "1"}})
            ),
            ("interactive.header.type".into(), INVALID)
        );
    }

    #[test]
    fn lists() {
        let c = send(&list()).unwrap();
        let ids: Vec<_> = c
            .reply_options()
            .into_iter()
            .map(|o| (o.id, o.from_list))
            .collect();
        assert_eq!(
            ids,
            [
                ("tea".into(), true),
                ("coffee".into(), true),
                ("cake".into(), true)
            ]
        );
        let l = list();
        assert!(
            send(
                &json!({"type": "list", "body": {"text": "a".repeat(4096)}, "action": l["action"]})
            )
            .is_ok()
        );
        assert_eq!(
            err_with(&l, "/body/text", json!("a".repeat(4097))),
            ("interactive.body.text".into(), RANGE)
        );
        assert_eq!(
            err_with(&l, "/action/button", json!("a".repeat(21))),
            ("interactive.action.button".into(), RANGE)
        );
        let row = |i: usize| json!({"id": format!("r{i}"), "title": "t"});
        let ten: Vec<Value> = (0..10).map(row).collect();
        assert_eq!(
            err_with(&l, "/action/sections/1/rows", Value::Array(ten)),
            ("interactive.action.sections".into(), RANGE),
            "11 rows in all"
        );
        let section = json!({"title": "s", "rows": [row(0)]});
        let eleven: Vec<Value> = (0..11).map(|_| section.clone()).collect();
        assert_eq!(
            err_with(&l, "/action/sections", Value::Array(eleven)),
            ("interactive.action.sections".into(), RANGE)
        );
        assert_eq!(
            err_with(&l, "/action/sections/1/title", Value::Null),
            ("interactive.action.sections[1].title".into(), MISSING)
        );
        assert_eq!(
            err_with(&l, "/action/sections/0/title", json!("a".repeat(25))),
            ("interactive.action.sections[0].title".into(), RANGE)
        );
        assert_eq!(
            err_with(&l, "/action/sections/0/rows/1/id", json!("a".repeat(201))),
            ("interactive.action.sections[0].rows[1].id".into(), RANGE)
        );
        assert_eq!(
            err_with(&l, "/action/sections/0/rows/1/title", json!("a".repeat(25))),
            ("interactive.action.sections[0].rows[1].title".into(), RANGE)
        );
        assert_eq!(
            err_with(
                &l,
                "/action/sections/0/rows/0/description",
                json!("a".repeat(73))
            ),
            (
                "interactive.action.sections[0].rows[0].description".into(),
                RANGE
            )
        );
        assert_eq!(
            err_with(&l, "/action/sections/1/rows/0/id", json!("tea")),
            ("interactive.action.sections[1].rows[0].id".into(), RANGE)
        );
        let one_section = json!({"type": "list", "body": {"text": "b"},
            "action": {"button": "Go", "sections": [{"rows": [row(1)]}]}});
        assert!(send(&one_section).is_ok(), "a lone section needs no title");
    }

    #[test]
    fn cta_url() {
        let cta = json!({
            "type": "cta_url", "body": {"text": "See"},
            "header": {"type": "document", "document": {"link": "https://x/a.pdf"}},
            "action": {"name": "cta_url", "parameters": {"display_text": "Open", "url": "https://x.example"}}
        });
        assert!(send(&cta).is_ok());
        assert_eq!(
            err_with(&cta, "/action/name", json!("url")),
            ("interactive.action.name".into(), INVALID)
        );
        assert_eq!(
            err_with(
                &cta,
                "/action/parameters/display_text",
                json!("a".repeat(21))
            ),
            ("interactive.action.parameters.display_text".into(), RANGE)
        );
        assert_eq!(
            err_with(&cta, "/action/parameters/url", json!("javascript:alert(1)")),
            ("interactive.action.parameters.url".into(), RANGE)
        );
    }

    #[test]
    fn location_request_product_and_catalog() {
        let loc = json!({"type": "location_request_message", "body": {"text": "Where are you?"},
            "action": {"name": "send_location"}});
        assert!(send(&loc).is_ok());
        assert_eq!(
            err_with(&loc, "/action/name", Value::Null),
            ("interactive.action.name".into(), MISSING)
        );
        assert_eq!(
            err_with(&loc, "/header", json!({"type": "text", "text": "h"})),
            ("interactive.header".into(), INVALID)
        );

        let product =
            json!({"type": "product", "action": {"catalog_id": "c", "product_retailer_id": "p"}});
        let c = send(&product).unwrap();
        assert_eq!(c.preview(), None, "no body, nothing to show");
        assert_eq!(
            err_with(&product, "/action/product_retailer_id", Value::Null),
            ("interactive.action.product_retailer_id".into(), MISSING)
        );
        assert_eq!(
            err_with(&product, "/header", json!({"type": "text", "text": "h"})),
            ("interactive.header".into(), INVALID)
        );

        let catalog = json!({"type": "catalog_message", "body": {"text": "Browse"},
            "action": {"name": "catalog_message", "parameters": {"thumbnail_product_retailer_id": "p"}}});
        assert!(send(&catalog).is_ok());
        assert_eq!(
            err_with(&catalog, "/header", json!({"type": "text", "text": "h"})),
            ("interactive.header".into(), INVALID)
        );
        assert_eq!(
            err_with(
                &catalog,
                "/action/parameters/thumbnail_product_retailer_id",
                json!(5)
            ),
            (
                "interactive.action.parameters.thumbnail_product_retailer_id".into(),
                INVALID
            )
        );
    }

    #[test]
    fn product_lists() {
        let pl = product_list();
        assert!(send(&pl).is_ok());
        assert_eq!(
            err_with(&pl, "/header", Value::Null),
            ("interactive.header".into(), MISSING)
        );
        assert_eq!(
            err_with(
                &pl,
                "/header",
                json!({"type": "image", "image": {"id": "1"}})
            ),
            ("interactive.header.type".into(), INVALID)
        );
        assert_eq!(
            err_with(&pl, "/action/sections/0/title", Value::Null),
            ("interactive.action.sections[0].title".into(), MISSING)
        );
        let items = |n: usize| -> Value {
            (0..n)
                .map(|i| json!({"product_retailer_id": format!("p{i}")}))
                .collect()
        };
        let s = |n: usize| json!({"title": "s", "product_items": items(n)});
        assert!(
            send(
                &json!({"type": "product_list", "header": pl["header"], "body": pl["body"],
            "action": {"catalog_id": "c", "sections": [s(15), s(15)]}})
            )
            .is_ok()
        );
        assert_eq!(
            err_with(&pl, "/action/sections", json!([s(15), s(16)])),
            ("interactive.action.sections".into(), RANGE)
        );
        let eleven: Vec<Value> = (0..11).map(|_| s(1)).collect();
        assert_eq!(
            err_with(&pl, "/action/sections", Value::Array(eleven)),
            ("interactive.action.sections".into(), RANGE)
        );
        assert_eq!(
            err_with(&pl, "/action/catalog_id", Value::Null),
            ("interactive.action.catalog_id".into(), MISSING)
        );
    }

    #[test]
    fn flows_are_normalised() {
        let c = send(&flow()).unwrap();
        let params = &c.body()["action"]["parameters"];
        assert_eq!(params["mode"], "published");
        assert_eq!(params["flow_id"], "1234567");
        assert_eq!(params["flow_message_version"], "3");
        let mut draft = flow();
        draft["action"]["parameters"]["mode"] = json!("draft");
        let c = send(&draft).unwrap();
        assert_eq!(c.body()["action"]["parameters"]["mode"], "draft");
    }

    #[test]
    fn flow_rejections() {
        let f = flow();
        let p = "interactive.action.parameters";
        assert_eq!(
            err_with(&f, "/action/parameters/flow_name", json!("signup")),
            (p.into(), RANGE)
        );
        assert_eq!(
            err_with(&f, "/action/parameters/flow_id", Value::Null),
            (p.into(), MISSING)
        );
        assert_eq!(
            err_with(&f, "/action/parameters/flow_cta", json!("Open 🚀")),
            (format!("{p}.flow_cta"), RANGE)
        );
        assert_eq!(
            err_with(&f, "/action/parameters/flow_cta", json!("Go ✅")),
            (format!("{p}.flow_cta"), RANGE)
        );
        assert_eq!(
            err_with(&f, "/action/parameters/flow_cta", json!("a".repeat(21))),
            (format!("{p}.flow_cta"), RANGE)
        );
        assert_eq!(
            err_with(&f, "/action/parameters/mode", json!("live")),
            (format!("{p}.mode"), INVALID)
        );
        assert_eq!(
            err_with(&f, "/action/parameters/flow_action", json!("data_exchange")),
            (format!("{p}.flow_action_payload"), INVALID)
        );
        assert_eq!(
            err_with(&f, "/action/parameters/flow_action_payload/data", json!({})),
            (format!("{p}.flow_action_payload.data"), RANGE)
        );
        assert_eq!(
            err_with(&f, "/action/parameters/flow_message_version", Value::Null),
            (format!("{p}.flow_message_version"), MISSING)
        );
        assert_eq!(
            err_with(
                &f,
                "/header",
                json!({"type": "image", "image": {"id": "1"}})
            ),
            ("interactive.header.type".into(), INVALID)
        );
        assert_eq!(
            err_with(&f, "/action/name", json!("cta_url")),
            ("interactive.action.name".into(), INVALID)
        );
    }

    #[test]
    fn unknown_type() {
        let e = send(&json!({"type": "poll", "action": {}})).unwrap_err();
        assert_eq!((e.field.as_str(), e.kind), ("interactive.type", INVALID));
        let e = send(&json!({"action": {}})).unwrap_err();
        assert_eq!((e.field.as_str(), e.kind), ("interactive.type", MISSING));
        let e = send(&json!({"type": "button", "body": {"text": "b"}})).unwrap_err();
        assert_eq!((e.field.as_str(), e.kind), ("interactive.action", MISSING));
    }
}
