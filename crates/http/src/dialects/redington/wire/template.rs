//! The Project API's template (§8–§10): its simplified create form read into Meta's create
//! body ([`parse`]), and a stored template written back as the seed's object ([`object`]).
//!
//! # The create form, and the Meta components it stands for
//!
//! | seed field | Meta |
//! |---|---|
//! | `name` | `name` (Meta's rules: lower-case letters, digits and `_`) |
//! | `label` | nothing (see the module docs of `templates`) |
//! | `text` | the `BODY` text |
//! | `sample_text` | the `BODY` example: the values in `[brackets]`, one per `{{n}}` |
//! | `type` (`header_type`) | the `HEADER`: `TEXT` (with `header_text`, else none), `IMAGE`, `VIDEO`, `FILE`/`DOCUMENT` (a `DOCUMENT` header), `LOCATION` |
//! | `header_text` | a `TEXT` header |
//! | `footer_text` | the `FOOTER` |
//! | `category` | `category`; `TRANSACTIONAL` → `UTILITY`, `OTP` → `AUTHENTICATION` |
//! | `language` | `language`: Meta's display name (`English (US)` → `en_US`) or the code |
//! | `quick_replies` | `QUICK_REPLY` buttons, first |
//! | `call_to_action` | `PHONE_NUMBER` and `URL` buttons, after them |
//! | `buttons` | Meta's button objects, as they are, last |
//! | `limited_time_Offer` | a `LIMITED_TIME_OFFER` component |
//! | `sample_media` / `header_handle` | the media header's `example.header_handle` |
//!
//! The reverse ([`object`]) reads any stored template, whatever plane created it.

use serde_json::{Map, Value, json};
use wagate_core::error::ValidationError;
use wagate_core::ids::{AccountId, ChannelId, MediaId};
use wagate_core::template::variables::{Params, Variable, placeholders, render, variables};
use wagate_core::template::{Template, TemplateCategory, TemplateLanguage};

/// The longest `label` kept (the seed gives no limit).
pub const LABEL_MAX: usize = 255;

/// The placeholder header handle a media template is linted with before its sample is
/// fetched (not one of wagate's, so nothing looks it up).
const PENDING_HANDLE: &str = "4::c2FtcGxlLXBlbmRpbmc=";

/// Where a media header's sample comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sample {
    /// `header_handle`: a Resumable Upload handle, used as it is.
    Handle,
    /// `sample_media` as a media id the project uploaded (§4).
    Media(MediaId),
    /// `sample_media` as a public URL, fetched.
    Link(String),
    /// None given: refused ([`missing_sample`]) once Meta's rules have passed, so a
    /// template they refuse gets their reason first.
    Missing,
}

/// The error for a media template without a header sample.
pub fn missing_sample() -> ValidationError {
    ValidationError::missing(
        "sample_media",
        "a media template needs a sample of its header for review, as WhatsApp requires: \
         give sample_media (a public URL, or the id the media upload answered) or \
         header_handle (a Resumable Upload handle)",
    )
}

/// `message_action_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionType {
    Cta,
    QuickReplies,
    All,
    None,
}

impl ActionType {
    fn parse(s: &str) -> Option<Self> {
        let key: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .collect::<String>()
            .to_ascii_lowercase();
        match key.as_str() {
            "cta" | "calltoaction" => Some(Self::Cta),
            "quickreplies" | "quickreply" => Some(Self::QuickReplies),
            "all" => Some(Self::All),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cta => "CTA",
            Self::QuickReplies => "QuickReplies",
            Self::All => "All",
            Self::None => "None",
        }
    }

    /// What a template's buttons make it: `All` when it has none, as the seed's examples
    /// answer a template without buttons.
    fn of(cta: bool, replies: bool) -> Self {
        match (cta, replies) {
            (true, false) => Self::Cta,
            (false, true) => Self::QuickReplies,
            _ => Self::All,
        }
    }
}

/// A parsed §8 body.
#[derive(Debug, Clone)]
pub struct Submit {
    pub label: String,
    pub action: ActionType,
    /// Meta's create body (a media header carries a placeholder handle until
    /// [`Submit::set_handle`]).
    pub meta: Value,
    /// The media header's sample, when the template has one.
    pub sample: Option<Sample>,
    /// Meta's paths in [`Submit::meta`] and the seed field each came from, most specific
    /// first, so an error about `components[2].buttons[1].url` names `call_to_action[0]`.
    origins: Vec<(String, String)>,
}

impl Submit {
    /// Puts the sample's upload handle in the media header.
    pub fn set_handle(&mut self, handle: &str) {
        let components = self.meta["components"].as_array_mut();
        for c in components.into_iter().flatten() {
            if c["type"] == "HEADER" && c.get("example").is_some() {
                c["example"] = json!({ "header_handle": [handle] });
            }
        }
    }

    /// The seed field a Meta path (an error's `field`) stands for; paths outside the
    /// components (`name`, `language`…) are the seed's own.
    pub fn field(&self, meta: &str) -> String {
        for (prefix, seed) in &self.origins {
            if meta == prefix
                || meta
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            {
                return seed.clone();
            }
        }
        meta.to_owned()
    }
}

/// A body's fields, with errors naming them.
struct Body<'a>(&'a Map<String, Value>);

impl<'a> Body<'a> {
    /// A string field; `null` is absent.
    fn str(&self, key: &str) -> Result<Option<&'a str>, ValidationError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(wrong_type(key, "a string", other)),
        }
    }

    fn req_str(&self, key: &str) -> Result<&'a str, ValidationError> {
        match self.str(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(ValidationError::missing(key, "is required")),
        }
    }

    /// An array field; `null` is absent (empty).
    fn array(&self, key: &str) -> Result<&'a [Value], ValidationError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(other) => Err(wrong_type(key, "an array", other)),
        }
    }
}

fn wrong_type(field: &str, expected: &str, got: &Value) -> ValidationError {
    let kind = match got {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    ValidationError::new(field, format!("must be {expected}, not {kind}"))
}

/// The header a template's `type` (or `header_type`) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderKind {
    Text,
    Image,
    Video,
    Document,
    Location,
}

impl HeaderKind {
    fn parse(s: &str, field: &str) -> Result<Self, ValidationError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "TEXT" => Ok(Self::Text),
            "IMAGE" => Ok(Self::Image),
            "VIDEO" => Ok(Self::Video),
            "FILE" | "DOCUMENT" => Ok(Self::Document),
            "LOCATION" => Ok(Self::Location),
            "CAROUSEL" | "ORDER_DETAILS" => Err(ValidationError::new(
                field,
                format!(
                    "{s} templates cannot be created with this form; create them on the Cloud \
                     API plane (POST /{{waba_id}}/message_templates)"
                ),
            )),
            _ => Err(ValidationError::new(
                field,
                format!("`{s}` is not a template type; use TEXT, IMAGE, VIDEO, FILE or LOCATION"),
            )),
        }
    }

    fn media(self) -> Option<&'static str> {
        match self {
            Self::Image => Some("IMAGE"),
            Self::Video => Some("VIDEO"),
            Self::Document => Some("DOCUMENT"),
            Self::Text | Self::Location => None,
        }
    }
}

/// `language`: Meta's display name ("English (US)") or the code (`en_US`).
pub fn language(s: &str) -> Result<TemplateLanguage, ValidationError> {
    TemplateLanguage::from_name(s)
        .or_else(|| TemplateLanguage::parse(s.trim()).ok())
        .ok_or_else(|| {
            ValidationError::new(
                "language",
                format!(
                    "`{s}` is not a language Meta supports for templates; use its name in \
                     Meta's table (\"English (US)\", \"Afrikaans\") or its code (en_US, af)"
                ),
            )
        })
}

/// Reads a §8 body into Meta's create body (see the module docs).
pub fn parse(body: &Value) -> Result<Submit, ValidationError> {
    let Some(obj) = body.as_object() else {
        return Err(wrong_type("body", "a JSON object", body));
    };
    let b = Body(obj);
    let name = b.req_str("name")?;
    let label = b.req_str("label")?;
    if label.chars().count() > LABEL_MAX {
        return Err(ValidationError::out_of_range(
            "label",
            format!("must be at most {LABEL_MAX} characters"),
        ));
    }
    let text = b.req_str("text")?;
    let kind = HeaderKind::parse(b.req_str("type")?, "type")?;
    let category = TemplateCategory::parse_legacy(b.req_str("category")?, "category")?;
    let language = language(b.req_str("language")?)?;
    let header_field = if b.str("header_type")?.is_some() {
        "header_type"
    } else {
        "type"
    };
    let header = match b.str("header_type")? {
        Some(h) => {
            let h = HeaderKind::parse(h, "header_type")?;
            if kind != HeaderKind::Text && h != kind {
                return Err(ValidationError::new(
                    "header_type",
                    "disagrees with `type`; give one of them, or the same header in both",
                ));
            }
            h
        }
        None => kind,
    };

    let mut components = Vec::new();
    let mut origins = Vec::new();
    let mut sample = None;
    let header_text = b.str("header_text")?;
    match header {
        HeaderKind::Text => {
            if let Some(h) = header_text {
                origins.push((
                    format!("components[{}]", components.len()),
                    "header_text".into(),
                ));
                components.push(json!({"type": "HEADER", "format": "TEXT", "text": h}));
            }
        }
        HeaderKind::Location => {
            origins.push((
                format!("components[{}]", components.len()),
                header_field.into(),
            ));
            components.push(json!({"type": "HEADER", "format": "LOCATION"}));
        }
        media => {
            if header_text.is_some() {
                return Err(ValidationError::new(
                    "header_text",
                    "a media template's header is its file; header_text is for TEXT templates",
                ));
            }
            let (handle, found) = media_sample(&b)?;
            let at = components.len();
            let sample_field = match found {
                Some(Sample::Handle) => "header_handle",
                _ => "sample_media",
            };
            origins.push((format!("components[{at}].example"), sample_field.into()));
            origins.push((format!("components[{at}]"), header_field.into()));
            components.push(json!({
                "type": "HEADER",
                "format": media.media().unwrap_or("DOCUMENT"),
                "example": {"header_handle": [handle.unwrap_or_else(|| PENDING_HANDLE.to_owned())]},
            }));
            sample = Some(found);
        }
    }

    let (body_component, named) = body_of(text, b.str("sample_text")?)?;
    origins.push((
        format!("components[{}].example", components.len()),
        "sample_text".into(),
    ));
    origins.push((format!("components[{}]", components.len()), "text".into()));
    components.push(body_component);

    if let Some(f) = b.str("footer_text")? {
        origins.push((
            format!("components[{}]", components.len()),
            "footer_text".into(),
        ));
        components.push(json!({"type": "FOOTER", "text": f}));
    }

    let (buttons, button_origins) = buttons(&b)?;
    let action = match b.str("message_action_type")? {
        Some(a) => {
            let a = ActionType::parse(a).ok_or_else(|| {
                ValidationError::new(
                    "message_action_type",
                    format!("`{a}` is not an action type; use CTA, QuickReplies, All or None"),
                )
            })?;
            check_action(a, &b)?;
            a
        }
        None => ActionType::of(
            !b.array("call_to_action")?.is_empty(),
            !b.array("quick_replies")?.is_empty(),
        ),
    };
    if !buttons.is_empty() {
        let at = components.len();
        for (i, seed) in button_origins.into_iter().enumerate() {
            origins.push((format!("components[{at}].buttons[{i}]"), seed));
        }
        let whole = match action {
            ActionType::QuickReplies => "quick_replies",
            ActionType::Cta => "call_to_action",
            _ if b.array("call_to_action")?.is_empty() && b.array("buttons")?.is_empty() => {
                "quick_replies"
            }
            _ if b.array("quick_replies")?.is_empty() && b.array("buttons")?.is_empty() => {
                "call_to_action"
            }
            _ => "buttons",
        };
        origins.push((format!("components[{at}]"), whole.into()));
        components.push(json!({"type": "BUTTONS", "buttons": buttons}));
    }

    if let Some(offer) = offer(&b)? {
        origins.push((
            format!("components[{}]", components.len()),
            "limited_time_Offer".into(),
        ));
        components.push(offer);
    }
    if !b.array("carousel_cards")?.is_empty() {
        return Err(ValidationError::new(
            "carousel_cards",
            "carousel templates cannot be created with this form; create them on the Cloud API \
             plane (POST /{waba_id}/message_templates)",
        ));
    }

    let mut meta = json!({
        "name": name,
        "language": language.as_str(),
        "category": category.as_str(),
        "components": components,
    });
    if named {
        meta["parameter_format"] = json!("NAMED");
    }
    Ok(Submit {
        label: label.to_owned(),
        action,
        meta,
        sample: sample.flatten(),
        origins,
    })
}

/// The media header's sample: `header_handle` (a handle, or an array of one) or
/// `sample_media` (an uploaded media id, or a public URL). The handle when it is known
/// already.
fn media_sample(b: &Body<'_>) -> Result<(Option<String>, Option<Sample>), ValidationError> {
    let handle = match b.0.get("header_handle") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(a)) => match a.as_slice() {
            [Value::String(s)] => Some(s.clone()),
            _ => {
                return Err(ValidationError::new(
                    "header_handle",
                    "must be an upload handle, or an array of one",
                ));
            }
        },
        Some(other) => return Err(wrong_type("header_handle", "a string", other)),
    };
    if let Some(h) = handle.filter(|h| !h.trim().is_empty()) {
        return Ok((Some(h.trim().to_owned()), Some(Sample::Handle)));
    }
    let Some(sample) = b.str("sample_media")?.map(str::trim) else {
        return Ok((None, Some(Sample::Missing)));
    };
    if sample.starts_with("https://") || sample.starts_with("http://") {
        return Ok((None, Some(Sample::Link(sample.to_owned()))));
    }
    match MediaId::parse(sample) {
        Ok(id) => Ok((None, Some(Sample::Media(id)))),
        Err(_) => Err(ValidationError::new(
            "sample_media",
            "must be a public http(s) URL or the id the media upload answered",
        )),
    }
}

/// The `BODY` component of `text`, its example read from `sample_text`; whether its
/// variables are named.
fn body_of(text: &str, sample_text: Option<&str>) -> Result<(Value, bool), ValidationError> {
    let vars = variables(text);
    if vars.is_empty() {
        return Ok((json!({"type": "BODY", "text": text}), false));
    }
    let Some(sample_text) = sample_text else {
        return Err(ValidationError::missing(
            "sample_text",
            "is required when text has variables: the text with each {{n}} replaced by a \
             sample value in [brackets]",
        ));
    };
    let values = sample_values(text, sample_text);
    let occurrences: Vec<Variable<'_>> = placeholders(text)
        .into_iter()
        .filter_map(|p| p.variable)
        .collect();
    if values.len() != occurrences.len() {
        return Err(ValidationError::new(
            "sample_text",
            format!(
                "gives {} sample values in [brackets] for the {} variables of text; write the \
                 text with each {{{{n}}}} replaced by its sample in [brackets]",
                values.len(),
                occurrences.len()
            ),
        ));
    }
    // The first value given for each variable.
    let mut by_var: Vec<(Variable<'_>, String)> = Vec::new();
    for (v, value) in occurrences.into_iter().zip(values) {
        if !by_var.iter().any(|(seen, _)| *seen == v) {
            by_var.push((v, value));
        }
    }
    let named = by_var.iter().any(|(v, _)| matches!(v, Variable::Named(_)));
    let example = if named {
        let params: Vec<Value> = by_var
            .iter()
            .map(|(v, value)| {
                let name = match v {
                    Variable::Named(n) => (*n).to_owned(),
                    Variable::Positional(n) => n.to_string(),
                };
                json!({"param_name": name, "example": value})
            })
            .collect();
        json!({ "body_text_named_params": params })
    } else {
        by_var.sort_by_key(|(v, _)| *v);
        let row: Vec<&str> = by_var.iter().map(|(_, value)| value.as_str()).collect();
        json!({ "body_text": [row] })
    };
    Ok((
        json!({"type": "BODY", "text": text, "example": example}),
        named,
    ))
}

/// The sample values `sample_text` gives for `text`'s variables, in order: the text between
/// `text`'s literal parts, without its `[brackets]`. When `sample_text` does not follow
/// `text` word for word, every `[bracketed]` value in it, in order.
fn sample_values(text: &str, sample_text: &str) -> Vec<String> {
    let unbracket = |s: &str| {
        let t = s.trim();
        t.strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(t)
            .to_owned()
    };
    let marks = placeholders(text);
    let mut literals = Vec::new();
    let mut from = 0;
    for p in &marks {
        literals.push(&text[from..p.start]);
        from = p.end;
    }
    literals.push(&text[from..]);
    let aligned = (|| {
        let mut rest = sample_text.strip_prefix(literals[0])?;
        let mut values = Vec::new();
        for (i, lit) in literals.iter().enumerate().skip(1) {
            let last = i == literals.len() - 1;
            let at = if last {
                let end = rest.len().checked_sub(lit.len())?;
                rest.ends_with(lit).then_some(end)?
            } else if lit.is_empty() {
                // Two adjacent variables: the first value is its bracketed part.
                rest.find(']').map(|i| i + 1)?
            } else {
                rest.find(lit)?
            };
            values.push(unbracket(&rest[..at]));
            rest = &rest[at + lit.len()..];
        }
        Some(values)
    })();
    aligned.unwrap_or_else(|| {
        let mut values = Vec::new();
        let mut rest = sample_text;
        while let Some(open) = rest.find('[') {
            let Some(close) = rest[open..].find(']') else {
                break;
            };
            values.push(rest[open + 1..open + close].to_owned());
            rest = &rest[open + close + 1..];
        }
        values
    })
}

/// The buttons: quick replies, then calls to action, then Meta's own button objects; and
/// the seed field each came from.
fn buttons(b: &Body<'_>) -> Result<(Vec<Value>, Vec<String>), ValidationError> {
    let mut out = Vec::new();
    let mut origins = Vec::new();
    for (i, r) in b.array("quick_replies")?.iter().enumerate() {
        let field = format!("quick_replies[{i}]");
        let title = match r {
            Value::String(s) => s.as_str(),
            Value::Object(o) => match o.get("title").or_else(|| o.get("text")) {
                Some(Value::String(s)) => s.as_str(),
                _ => {
                    return Err(ValidationError::missing(
                        format!("{field}.title"),
                        "is required",
                    ));
                }
            },
            other => return Err(wrong_type(&field, "a string", other)),
        };
        out.push(json!({"type": "QUICK_REPLY", "text": title}));
        origins.push(field);
    }
    for (i, c) in b.array("call_to_action")?.iter().enumerate() {
        let field = format!("call_to_action[{i}]");
        let Some(o) = c.as_object() else {
            return Err(wrong_type(&field, "an object", c));
        };
        let cta = Body(o);
        let within = |e: ValidationError| e.within(&field);
        let kind = cta.req_str("type").map_err(within)?;
        let title = cta.req_str("button_title").map_err(within)?;
        let value = cta.req_str("button_value").map_err(within)?;
        let key: String = kind
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .collect::<String>()
            .to_ascii_lowercase();
        let button = match key.as_str() {
            "phonenumber" | "phone" | "call" => {
                json!({"type": "PHONE_NUMBER", "text": title, "phone_number": value})
            }
            "url" | "website" => {
                let mut button = json!({"type": "URL", "text": title, "url": value});
                if value.contains("{{") {
                    button["example"] = json!([url_example(&cta, value).map_err(within)?]);
                }
                button
            }
            _ => {
                return Err(ValidationError::new(
                    format!("{field}.type"),
                    format!("`{kind}` is not a call to action; use Phone Number or URL"),
                ));
            }
        };
        out.push(button);
        origins.push(field);
    }
    for (i, raw) in b.array("buttons")?.iter().enumerate() {
        out.push(raw.clone());
        origins.push(format!("buttons[{i}]"));
    }
    Ok((out, origins))
}

/// A dynamic URL's sample: the call to action's `example` (a full URL, or the value for
/// `{{1}}`), else the URL with `{{1}}` as `1`.
fn url_example(cta: &Body<'_>, url: &str) -> Result<String, ValidationError> {
    let given = match cta.0.get("example") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(a)) => match a.as_slice() {
            [Value::String(s)] => Some(s.clone()),
            _ => return Err(ValidationError::new("example", "must be one sample URL")),
        },
        Some(other) => return Err(wrong_type("example", "a string", other)),
    };
    let fill = |value: &str| url.replace("{{1}}", value);
    Ok(match given {
        Some(s) if s.starts_with("http://") || s.starts_with("https://") => s,
        Some(s) => fill(&s),
        None => fill("1"),
    })
}

/// `message_action_type` names what the body gives: `CTA` calls to action only,
/// `QuickReplies` quick replies only, `None` no buttons, `All` anything.
fn check_action(a: ActionType, b: &Body<'_>) -> Result<(), ValidationError> {
    let cta = !b.array("call_to_action")?.is_empty();
    let replies = !b.array("quick_replies")?.is_empty();
    let wrong = match a {
        ActionType::Cta if !cta => Some("CTA needs call_to_action"),
        ActionType::Cta if replies => Some("CTA takes no quick_replies; use All for both"),
        ActionType::QuickReplies if !replies => Some("QuickReplies needs quick_replies"),
        ActionType::QuickReplies if cta => {
            Some("QuickReplies takes no call_to_action; use All for both")
        }
        ActionType::None if cta || replies => Some("None takes no call_to_action or quick_replies"),
        _ => None,
    };
    match wrong {
        Some(why) => Err(ValidationError::new("message_action_type", why)),
        None => Ok(()),
    }
}

/// `limited_time_Offer` (`{"has_expiration": true, "text": "…"}`) as Meta's component.
fn offer(b: &Body<'_>) -> Result<Option<Value>, ValidationError> {
    let key = if b.0.contains_key("limited_time_Offer") {
        "limited_time_Offer"
    } else {
        "limited_time_offer"
    };
    match b.0.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => {
            let offer = Body(o);
            let text = offer.req_str("text").map_err(|e| e.within(key))?;
            let mut inner = json!({ "text": text });
            match o.get("has_expiration") {
                None | Some(Value::Null) => {}
                Some(Value::Bool(e)) => inner["has_expiration"] = json!(e),
                Some(other) => {
                    return Err(wrong_type(
                        &format!("{key}.has_expiration"),
                        "a boolean",
                        other,
                    ));
                }
            }
            Ok(Some(
                json!({"type": "LIMITED_TIME_OFFER", "limited_time_offer": inner}),
            ))
        }
        Some(other) => Err(wrong_type(key, "an object", other)),
    }
}

/// What the seed's object shows beside the template.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    /// `project_id`: the channel.
    pub project: ChannelId,
    /// `assistant_name`: the channel's verified name.
    pub assistant_name: &'a str,
    /// `partner_id`: the account.
    pub partner: AccountId,
}

/// The seed's template object (§9) of `t`. `label` and `action` are the create request's
/// (§8's answer), else the name and what the buttons make it. `rejected_reason` is left out
/// of §8's answer, as the seed shows it.
pub fn object(t: &Template, owner: Owner<'_>, created: Option<(&str, ActionType)>) -> Value {
    let mut header = None;
    let mut body_text = String::new();
    let mut example = Value::Null;
    let mut cta = Vec::new();
    let mut replies = Vec::new();
    let mut rendered_buttons = String::new();
    for c in t.components.as_array().into_iter().flatten() {
        match c["type"].as_str().unwrap_or_default() {
            "HEADER" => header = c["format"].as_str().map(str::to_owned),
            "BODY" => {
                body_text = c["text"].as_str().unwrap_or_default().to_owned();
                example = c["example"].clone();
            }
            "BUTTONS" => {
                for button in c["buttons"].as_array().into_iter().flatten() {
                    let title = button["text"].as_str().unwrap_or_default();
                    match button["type"].as_str().unwrap_or_default() {
                        "QUICK_REPLY" => {
                            replies.push(json!(title));
                            rendered_buttons.push_str(&format!(" | [{title}]"));
                        }
                        "URL" => {
                            let url = button["url"].as_str().unwrap_or_default();
                            cta.push(
                                json!({"type": "URL", "button_value": url, "button_title": title}),
                            );
                            rendered_buttons.push_str(&format!(" | [{title},{url}]"));
                        }
                        "PHONE_NUMBER" => {
                            let phone = button["phone_number"].as_str().unwrap_or_default();
                            cta.push(json!({"type": "Phone Number", "button_value": phone, "button_title": title}));
                            rendered_buttons.push_str(&format!(" | [{title},{phone}]"));
                        }
                        _ if !title.is_empty() => {
                            rendered_buttons.push_str(&format!(" | [{title}]"));
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let kind = match header.as_deref() {
        Some("IMAGE") => "IMAGE",
        Some("VIDEO" | "GIF") => "VIDEO",
        Some("DOCUMENT") => "FILE",
        Some("LOCATION") => "LOCATION",
        _ => "TEXT",
    };
    let (label, action) = match created {
        Some((label, action)) => (label.to_owned(), action),
        None => (
            t.name.as_str().to_owned(),
            ActionType::of(!cta.is_empty(), !replies.is_empty()),
        ),
    };
    let mut o = Map::new();
    o.insert("id".into(), json!(t.id.as_str()));
    o.insert("assistant_name".into(), json!(owner.assistant_name));
    o.insert("name".into(), json!(t.name.as_str()));
    o.insert("label".into(), json!(label));
    o.insert("status".into(), json!(t.status.as_str()));
    o.insert("call_to_action".into(), Value::Array(cta));
    o.insert("quick_replies".into(), Value::Array(replies));
    o.insert("type".into(), json!(kind));
    o.insert("language".into(), json!(t.language.name()));
    o.insert(
        "text".into(),
        json!(format!("{body_text}{rendered_buttons}")),
    );
    o.insert(
        "sample_text".into(),
        json!(sample_text(&body_text, &example)),
    );
    o.insert("message_action_type".into(), json!(action.as_str()));
    o.insert(
        "total_parameters".into(),
        json!(variables(&body_text).len()),
    );
    o.insert("project_id".into(), json!(owner.project.to_string()));
    o.insert("business_id".into(), json!(t.waba_id.as_str()));
    o.insert("created_at".into(), json!(t.created_at.as_millisecond()));
    o.insert("updated_at".into(), json!(t.updated_at.as_millisecond()));
    o.insert("partner_id".into(), json!(owner.partner.to_string()));
    o.insert("category".into(), json!(t.category.as_str()));
    if created.is_none() {
        let reason = t.rejected_reason.map_or("NONE", |r| r.as_str());
        o.insert("rejected_reason".into(), json!(reason));
    }
    Value::Object(o)
}

/// The body text with each variable replaced by its example in `[brackets]`.
fn sample_text(text: &str, example: &Value) -> String {
    if let Some(row) = example["body_text"][0].as_array() {
        let values: Vec<String> = row
            .iter()
            .map(|v| format!("[{}]", v.as_str().unwrap_or_default()))
            .collect();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        return render(text, &Params::Positional(&refs));
    }
    if let Some(named) = example["body_text_named_params"].as_array() {
        let pairs: Vec<(String, String)> = named
            .iter()
            .map(|p| {
                (
                    p["param_name"].as_str().unwrap_or_default().to_owned(),
                    format!("[{}]", p["example"].as_str().unwrap_or_default()),
                )
            })
            .collect();
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        return render(text, &Params::Named(&refs));
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample1() -> Value {
        json!({
          "name": "packagedelivered",
          "text": "Hello {{1}}, Your Package Delivered to your address, Thank you {{2}}",
          "type": "TEXT",
          "label": "Package Delivery",
          "category": "UTILITY",
          "language": "English (US)",
          "sample_text": "Hello [Brindha], Your Package Delivered to your address, Thank you [Mam]",
          "header_text": "Package Delivery",
          "footer_text": "from cetas infotech",
          "message_action_type": "All"
        })
    }

    #[test]
    fn sample_1_becomes_metas_components() {
        let s = parse(&sample1()).unwrap();
        assert_eq!(s.label, "Package Delivery");
        assert_eq!(s.action, ActionType::All);
        assert_eq!(s.sample, None);
        assert_eq!(
            s.meta,
            json!({
                "name": "packagedelivered", "language": "en_US", "category": "UTILITY",
                "components": [
                    {"type": "HEADER", "format": "TEXT", "text": "Package Delivery"},
                    {"type": "BODY", "text": "Hello {{1}}, Your Package Delivered to your address, Thank you {{2}}",
                     "example": {"body_text": [["Brindha", "Mam"]]}},
                    {"type": "FOOTER", "text": "from cetas infotech"}
                ]
            })
        );
        assert_eq!(s.field("components[1].example.body_text"), "sample_text");
        assert_eq!(s.field("components[1].text"), "text");
        assert_eq!(s.field("components[0].text"), "header_text");
        assert_eq!(s.field("name"), "name");
    }

    #[test]
    fn legacy_categories_languages_and_buttons() {
        let mut b = sample1();
        b["category"] = json!("TRANSACTIONAL");
        b["language"] = json!("af");
        b["message_action_type"] = json!("all");
        b["quick_replies"] = json!(["Yes", "No"]);
        b["call_to_action"] = json!([
            {"type": "Phone Number", "button_title": "Call Now", "button_value": "910000000000"},
            {"type": "URL", "button_title": "Go to", "button_value": "https://www.sss.com/{{1}}"}
        ]);
        let s = parse(&b).unwrap();
        assert_eq!(s.meta["category"], "UTILITY");
        assert_eq!(s.meta["language"], "af");
        assert_eq!(
            s.meta["components"][3]["buttons"],
            json!([
                {"type": "QUICK_REPLY", "text": "Yes"},
                {"type": "QUICK_REPLY", "text": "No"},
                {"type": "PHONE_NUMBER", "text": "Call Now", "phone_number": "910000000000"},
                {"type": "URL", "text": "Go to", "url": "https://www.sss.com/{{1}}", "example": ["https://www.sss.com/1"]}
            ])
        );
        assert_eq!(s.field("components[3].buttons[3].url"), "call_to_action[1]");
        assert_eq!(s.field("components[3].buttons[0].text"), "quick_replies[0]");
        b["category"] = json!("OTP");
        assert_eq!(parse(&b).unwrap().meta["category"], "AUTHENTICATION");
    }

    #[test]
    fn media_templates_need_a_sample() {
        let b = json!({"name": "temp_name_1", "text": "test", "type": "FILE", "label": "l",
            "category": "MARKETING", "language": "Afrikaans", "sample_text": "test"});
        let s = parse(&b).unwrap();
        assert_eq!(s.sample, Some(Sample::Missing));
        assert_eq!(
            s.field("components[0].example.header_handle"),
            "sample_media"
        );
        assert_eq!(s.field("components[0]"), "type");
        let mut with = b.clone();
        with["sample_media"] = json!("1234567890");
        let s = parse(&with).unwrap();
        assert_eq!(
            s.sample,
            Some(Sample::Media(MediaId::parse("1234567890").unwrap()))
        );
        assert_eq!(s.meta["components"][0]["format"], "DOCUMENT");
        let mut s = s;
        s.set_handle("4::abc");
        assert_eq!(
            s.meta["components"][0]["example"],
            json!({"header_handle": ["4::abc"]})
        );
        with["sample_media"] = json!("https://example.com/a.pdf");
        assert_eq!(
            parse(&with).unwrap().sample,
            Some(Sample::Link("https://example.com/a.pdf".into()))
        );
        let mut handle = b;
        handle["header_handle"] = json!(["4::xyz"]);
        let s = parse(&handle).unwrap();
        assert_eq!(s.sample, Some(Sample::Handle));
        assert_eq!(
            s.meta["components"][0]["example"]["header_handle"],
            json!(["4::xyz"])
        );
    }

    #[test]
    fn bad_bodies_name_the_field() {
        let field = |patch: Value| {
            let mut b = sample1();
            for (k, v) in patch.as_object().unwrap() {
                if v.is_null() {
                    b.as_object_mut().unwrap().remove(k);
                } else {
                    b[k] = v.clone();
                }
            }
            parse(&b).unwrap_err().field
        };
        assert_eq!(field(json!({"name": null})), "name");
        assert_eq!(field(json!({"text": 5})), "text");
        assert_eq!(field(json!({"language": "Klingon"})), "language");
        assert_eq!(field(json!({"category": "PROMO"})), "category");
        assert_eq!(field(json!({"type": "CAROUSEL"})), "type");
        assert_eq!(field(json!({"label": "x".repeat(256)})), "label");
        assert_eq!(
            field(json!({"sample_text": "Hello Brindha"})),
            "sample_text"
        );
        assert_eq!(
            field(json!({"message_action_type": "CTA"})),
            "message_action_type"
        );
        assert_eq!(
            field(
                json!({"call_to_action": [{"type": "Fax", "button_title": "a", "button_value": "b"}]})
            ),
            "call_to_action[0].type"
        );
        assert_eq!(field(json!({"quick_replies": "Yes"})), "quick_replies");
        assert_eq!(parse(&json!([1])).unwrap_err().field, "body");
    }

    #[test]
    fn sample_values_follow_the_text() {
        let text = "Hello {{1}}, Thanks for contacting us";
        assert_eq!(
            sample_values(text, "Hello [Mohamed Sujaludeen], Thanks for contacting us"),
            ["Mohamed Sujaludeen"]
        );
        assert_eq!(sample_values("{{1}} and {{2}}", "[a] and [b]"), ["a", "b"]);
        assert_eq!(
            sample_values("Hi {{1}}, see {{2}}", "something else [x] and [y]"),
            ["x", "y"]
        );
        assert_eq!(sample_values("Hi {{1}}!", "Hi Ann!"), ["Ann"]);
    }

    #[test]
    fn action_types() {
        for (s, a) in [
            ("CTA", ActionType::Cta),
            ("QuickReplies", ActionType::QuickReplies),
            ("quick_replies", ActionType::QuickReplies),
            ("All", ActionType::All),
            ("None", ActionType::None),
        ] {
            assert_eq!(ActionType::parse(s), Some(a), "{s}");
        }
        assert_eq!(ActionType::parse("Both"), None);
    }
}
