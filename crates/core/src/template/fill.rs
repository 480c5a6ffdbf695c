//! Filling a template with a send request's parameters (reference §2.5): the check Meta makes
//! when a `template` message is sent, and the text the user then receives.
//!
//! [`fill`] takes the stored template (its category, [`ParameterFormat`] and typed
//! [`Component`]s) and the `template` object of the send request (already shape-checked and
//! normalised by [`crate::content`]: lowercase `type`/`sub_type`, numeric `index`), and
//! answers either the [`Rendered`] message or the first [`FillError`]:
//!
//! - **132000** ([`ErrorCode::TemplateParamCountMismatch`]): a component gets more or fewer
//!   values than its variables; a media header, dynamic URL, copy-code, OTP or MPM button,
//!   carousel or offer without its parameter; a component the template does not have.
//! - **132012** ([`ErrorCode::TemplateParamFormatMismatch`]): a parameter of the wrong type
//!   (a `video` for an IMAGE header, a `payload` for a URL button), a malformed `currency` or
//!   `date_time`, a button `index` the template lacks or a `sub_type` that is not that
//!   button's, named values for a positional template and the reverse, a card index twice.
//! - **132005** ([`ErrorCode::TemplateTextTooLong`]): the filled header over 60 characters, the
//!   body over 1,024 (a carousel card's over 160).
//! - **132018** ([`ErrorCode::TemplateParamInvalid`]): a text value with a newline, a tab or
//!   more than four spaces in a row.
//!
//! Whether the template exists, is approved, paused or disabled (132001, 132015, 132016) is
//! the caller's: it needs the store.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::button::Button;
use super::category::TemplateCategory;
use super::component::{Body, Card, Component, Footer, Header, HeaderFormat};
use super::limits::{BODY_TEXT, CARD_BODY_TEXT, COPY_CODE, HEADER_TEXT};
use super::variables::{ParameterFormat, Params, Variable, render, variables};
use crate::error::ErrorCode;
use crate::media::MediaKind;

/// Meta's text for an AUTHENTICATION body (the template has none of its own).
const OTP_BODY: &str = "{{1}} is your verification code.";
/// The line `add_security_recommendation` adds.
const SECURITY_LINE: &str = "For your security, do not share this code.";
/// Longest one-time passcode Meta sends.
const OTP_CODE: usize = 15;

/// Why a send does not fit its template: a Graph code of the 132xxx family and what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{details}")]
pub struct FillError {
    pub code: ErrorCode,
    /// Which part is wrong and how (Graph's `error_data.details`).
    pub details: String,
}

impl FillError {
    fn count(details: impl Into<String>) -> Self {
        Self::new(ErrorCode::TemplateParamCountMismatch, details)
    }

    fn format(details: impl Into<String>) -> Self {
        Self::new(ErrorCode::TemplateParamFormatMismatch, details)
    }

    fn new(code: ErrorCode, details: impl Into<String>) -> Self {
        Self {
            code,
            details: details.into(),
        }
    }
}

/// What the user receives: the template's texts with the values filled in. Kept with the
/// message, so its details show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rendered {
    /// The template's id.
    pub template_id: String,
    pub category: TemplateCategory,
    /// A text header, filled; for a media, location or product header its format
    /// (`IMAGE`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// Button labels; a URL button's label with its filled URL (`Track: https://…/42`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<String>,
    /// Carousel cards, in card order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cards: Vec<RenderedCard>,
    /// Media ids the send refers to (header or card media) and the kind each must be, for
    /// the caller to check.
    #[serde(skip)]
    pub media_ids: Vec<(MediaKind, String)>,
}

/// One filled carousel card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RenderedCard {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<String>,
}

/// The stored template a send names.
#[derive(Debug, Clone, Copy)]
pub struct Fillable<'a> {
    pub template_id: &'a str,
    pub category: TemplateCategory,
    pub parameter_format: ParameterFormat,
    pub components: &'a [Component],
}

/// Checks `send` (the send request's `template` object) against `t`; see the module docs.
pub fn fill(t: &Fillable<'_>, send: &Value) -> Result<Rendered, FillError> {
    let sent = Sent::of(send.get("components"), "")?;
    let mut out = Rendered {
        template_id: t.template_id.to_owned(),
        category: t.category,
        header: None,
        body: None,
        footer: None,
        buttons: Vec::new(),
        cards: Vec::new(),
        media_ids: Vec::new(),
    };
    let part = Part {
        t,
        components: t.components,
        card: None,
    };
    let filled = part.fill(&sent, &mut out.media_ids)?;
    out.header = filled.header;
    out.body = filled.body;
    out.footer = filled.footer;
    out.buttons = filled.buttons;

    let carousel = t.components.iter().find_map(|c| match c {
        Component::Carousel(cards) => Some(cards),
        _ => None,
    });
    match (carousel, sent.carousel) {
        (Some(cards), Some(sent_cards)) => {
            out.cards = fill_cards(t, cards, sent_cards, &mut out.media_ids)?;
        }
        (Some(cards), None) => {
            return Err(FillError::count(format!(
                "the template is a carousel of {} cards; add a carousel component with a card for each",
                cards.len()
            )));
        }
        (None, Some(_)) => {
            return Err(FillError::count(
                "the template has no carousel; remove the carousel component",
            ));
        }
        (None, None) => {}
    }

    let offer = t.components.iter().find_map(|c| match c {
        Component::LimitedTimeOffer(o) => Some(o),
        _ => None,
    });
    match (offer, sent.offer) {
        (Some(o), None) if o.has_expiration == Some(true) => {
            return Err(FillError::count(
                "the template's limited-time offer has an expiration; add a limited_time_offer component with expiration_time_ms",
            ));
        }
        (Some(_), Some(params)) => offer_params(params)?,
        (None, Some(_)) => {
            return Err(FillError::count(
                "the template has no limited-time offer; remove the limited_time_offer component",
            ));
        }
        _ => {}
    }
    Ok(out)
}

/// The send request's components, by type.
#[derive(Default)]
struct Sent<'a> {
    header: Option<&'a [Value]>,
    body: Option<&'a [Value]>,
    /// `(index, sub_type, parameters)` of each button component.
    buttons: Vec<(usize, &'a str, &'a [Value])>,
    carousel: Option<&'a [Value]>,
    offer: Option<&'a [Value]>,
}

impl<'a> Sent<'a> {
    /// Sorts `components` by type; `at` names where they are ("" or "card 1: ").
    fn of(components: Option<&'a Value>, at: &str) -> Result<Self, FillError> {
        let mut sent = Sent::default();
        let items = components.and_then(Value::as_array).map_or(&[][..], |v| v);
        for c in items {
            let params = c
                .get("parameters")
                .and_then(Value::as_array)
                .map_or(&[][..], |v| v);
            let kind = c.get("type").and_then(Value::as_str).unwrap_or_default();
            let twice = |what: &str| FillError::format(format!("{at}{what} is sent twice"));
            match kind {
                "header" if sent.header.is_some() => return Err(twice("the header")),
                "header" => sent.header = Some(params),
                "body" if sent.body.is_some() => return Err(twice("the body")),
                "body" => sent.body = Some(params),
                "button" => {
                    let index = c.get("index").and_then(Value::as_u64).unwrap_or_default() as usize;
                    if sent.buttons.iter().any(|(i, _, _)| *i == index) {
                        return Err(twice(&format!("button {index}")));
                    }
                    let sub_type = c
                        .get("sub_type")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    sent.buttons.push((index, sub_type, params));
                }
                "carousel" if sent.carousel.is_some() => return Err(twice("the carousel")),
                "carousel" => {
                    let cards = c.get("cards").and_then(Value::as_array);
                    sent.carousel = Some(cards.map_or(&[][..], |v| v));
                }
                "limited_time_offer" if sent.offer.is_some() => {
                    return Err(twice("the limited_time_offer"));
                }
                "limited_time_offer" => sent.offer = Some(params),
                _ => {}
            }
        }
        Ok(sent)
    }
}

/// Header, body, footer and buttons of the template or of one card.
struct Part<'a> {
    t: &'a Fillable<'a>,
    components: &'a [Component],
    /// `Some(n)` for card `n` of a carousel.
    card: Option<usize>,
}

#[derive(Default)]
struct FilledPart {
    header: Option<String>,
    body: Option<String>,
    footer: Option<String>,
    buttons: Vec<String>,
}

impl Part<'_> {
    /// "header" or "card 1 header": where a problem is, for the details.
    fn at(&self, what: &str) -> String {
        match self.card {
            Some(n) => format!("card {n} {what}"),
            None => what.to_owned(),
        }
    }

    fn fill(
        &self,
        sent: &Sent<'_>,
        media: &mut Vec<(MediaKind, String)>,
    ) -> Result<FilledPart, FillError> {
        let mut out = FilledPart::default();
        let mut has_header = false;
        let mut has_body = false;
        for c in self.components {
            match c {
                Component::Header(h) => {
                    has_header = true;
                    out.header = Some(self.header(h, sent.header.unwrap_or_default(), media)?);
                }
                Component::Body(b) => {
                    has_body = true;
                    out.body = Some(self.body(b, sent.body.unwrap_or_default())?);
                }
                Component::Footer(f) => out.footer = footer(f),
                Component::Buttons(buttons) => out.buttons = self.buttons(buttons, sent)?,
                Component::Carousel(_) | Component::LimitedTimeOffer(_) => {}
            }
        }
        let has_buttons = self
            .components
            .iter()
            .any(|c| matches!(c, Component::Buttons(_)));
        if !has_header && sent.header.is_some_and(|p| !p.is_empty()) {
            return Err(FillError::count(format!(
                "the template has no {}; remove the header component",
                self.at("header")
            )));
        }
        if !has_body && sent.body.is_some_and(|p| !p.is_empty()) {
            return Err(FillError::count(format!(
                "the template has no {}; remove the body component",
                self.at("body")
            )));
        }
        if !has_buttons && let Some((index, _, _)) = sent.buttons.first() {
            return Err(FillError::format(format!(
                "the template has no buttons; remove the {} component",
                self.at(&format!("button {index}"))
            )));
        }
        Ok(out)
    }

    fn header(
        &self,
        h: &Header,
        params: &[Value],
        media: &mut Vec<(MediaKind, String)>,
    ) -> Result<String, FillError> {
        let at = self.at("header");
        let format = match h {
            Header::Text { text, .. } => {
                let filled = self.text(&at, text, params)?;
                if filled.chars().count() > HEADER_TEXT {
                    return Err(FillError::new(
                        ErrorCode::TemplateTextTooLong,
                        format!(
                            "{at}: the filled text is {} characters; at most {HEADER_TEXT}",
                            filled.chars().count()
                        ),
                    ));
                }
                return Ok(filled);
            }
            Header::Media { format, .. } => *format,
            Header::Location => HeaderFormat::Location,
            Header::Product => HeaderFormat::Product,
        };
        let want = match format {
            HeaderFormat::Image => "image",
            HeaderFormat::Video | HeaderFormat::Gif => "video",
            HeaderFormat::Document => "document",
            HeaderFormat::Location => "location",
            HeaderFormat::Product => "product",
            HeaderFormat::Text => unreachable!("text headers are filled above"),
        };
        let [param] = params else {
            return Err(FillError::count(format!(
                "{at}: the template's {format} header takes one `{want}` parameter; {} given",
                params.len()
            )));
        };
        let kind = param_type(param);
        if kind != want {
            return Err(FillError::format(format!(
                "{at}: the template's {format} header takes a `{want}` parameter, not `{kind}`"
            )));
        }
        let object = param.get(want).filter(|v| v.is_object()).ok_or_else(|| {
            FillError::format(format!(
                "{at}: the `{want}` parameter needs a `{want}` object"
            ))
        })?;
        match format {
            HeaderFormat::Location => {
                for key in ["latitude", "longitude"] {
                    if !object.get(key).is_some_and(is_number_like) {
                        return Err(FillError::format(format!(
                            "{at}: location.{key} must be a number"
                        )));
                    }
                }
                for key in ["name", "address"] {
                    non_empty(object, key, &format!("{at}: location.{key}"))?;
                }
            }
            HeaderFormat::Product => {
                for key in ["product_retailer_id", "catalog_id"] {
                    non_empty(object, key, &format!("{at}: product.{key}"))?;
                }
            }
            _ => match (str_of(object, "id"), str_of(object, "link")) {
                (Some(id), _) => {
                    let kind = match format {
                        HeaderFormat::Image => MediaKind::Image,
                        HeaderFormat::Document => MediaKind::Document,
                        _ => MediaKind::Video,
                    };
                    media.push((kind, id.to_owned()));
                }
                (None, Some(link))
                    if link.starts_with("https://") || link.starts_with("http://") => {}
                (None, Some(_)) => {
                    return Err(FillError::format(format!(
                        "{at}: {want}.link must be an http(s) URL"
                    )));
                }
                (None, None) => {
                    return Err(FillError::format(format!(
                        "{at}: the `{want}` parameter needs a media `id` or a `link`"
                    )));
                }
            },
        }
        Ok(format.as_str().to_owned())
    }

    fn body(&self, b: &Body, params: &[Value]) -> Result<String, FillError> {
        let at = self.at("body");
        let authentication = self.t.category == TemplateCategory::Authentication;
        let text = match (&b.text, authentication) {
            (Some(text), _) => text.clone(),
            (None, true) if b.add_security_recommendation == Some(true) => {
                format!("{OTP_BODY} {SECURITY_LINE}")
            }
            (None, true) => OTP_BODY.to_owned(),
            (None, false) => String::new(),
        };
        if authentication {
            let code = params.first().and_then(|p| str_of(p, "text"));
            if code.is_some_and(|c| c.chars().count() > OTP_CODE) {
                return Err(FillError::format(format!(
                    "{at}: a one-time passcode is at most {OTP_CODE} characters"
                )));
            }
        }
        let filled = self.text(&at, &text, params)?;
        let max = if self.card.is_some() {
            CARD_BODY_TEXT
        } else {
            BODY_TEXT
        };
        let len = filled.chars().count();
        if len > max {
            return Err(FillError::new(
                ErrorCode::TemplateTextTooLong,
                format!("{at}: the filled text is {len} characters; at most {max}"),
            ));
        }
        Ok(filled)
    }

    /// `text` filled with `params`: one value per distinct variable, positional in order or
    /// named by `parameter_name`, as the template's format says.
    fn text(&self, at: &str, text: &str, params: &[Value]) -> Result<String, FillError> {
        let vars = variables(text);
        let mut values = Vec::with_capacity(params.len());
        for (i, p) in params.iter().enumerate() {
            values.push(text_value(&format!("{at} parameter {}", i + 1), p)?);
        }
        let names: Vec<Option<&str>> = params
            .iter()
            .map(|p| p.get("parameter_name").and_then(Value::as_str))
            .collect();
        match self.t.parameter_format {
            ParameterFormat::Positional => {
                if names.iter().any(Option::is_some) {
                    return Err(FillError::format(format!(
                        "{at}: the template's parameters are positional; send the values in order without parameter_name"
                    )));
                }
                if values.len() != vars.len() {
                    return Err(FillError::count(format!(
                        "{at}: number of parameters ({}) does not match the expected number of params ({})",
                        values.len(),
                        vars.len()
                    )));
                }
                let refs: Vec<&str> = values.iter().map(String::as_str).collect();
                Ok(render(text, &Params::Positional(&refs)))
            }
            ParameterFormat::Named => {
                let mut pairs = Vec::with_capacity(values.len());
                for (i, (name, value)) in names.iter().zip(&values).enumerate() {
                    let Some(name) = name else {
                        return Err(FillError::format(format!(
                            "{at} parameter {}: the template's parameters are named; add parameter_name",
                            i + 1
                        )));
                    };
                    if pairs.iter().any(|(n, _)| n == name) {
                        return Err(FillError::count(format!(
                            "{at}: parameter {name} is sent twice"
                        )));
                    }
                    if !vars.contains(&Variable::Named(name)) {
                        return Err(FillError::count(format!(
                            "{at}: the template has no parameter named {name}"
                        )));
                    }
                    pairs.push((*name, value.as_str()));
                }
                let missing: Vec<String> = vars
                    .iter()
                    .filter_map(|v| match v {
                        Variable::Named(n) if !pairs.iter().any(|(k, _)| k == n) => {
                            Some(n.to_string())
                        }
                        _ => None,
                    })
                    .collect();
                if !missing.is_empty() {
                    return Err(FillError::count(format!(
                        "{at}: number of parameters ({}) does not match the expected number of params ({}); missing {}",
                        pairs.len(),
                        vars.len(),
                        missing.join(", ")
                    )));
                }
                Ok(render(text, &Params::Named(&pairs)))
            }
        }
    }

    fn buttons(&self, buttons: &[Button], sent: &Sent<'_>) -> Result<Vec<String>, FillError> {
        for (index, _, _) in &sent.buttons {
            if *index >= buttons.len() {
                return Err(FillError::format(format!(
                    "{}: the template has {} button{}; index {index} is not one of them",
                    self.at(&format!("button {index}")),
                    buttons.len(),
                    if buttons.len() == 1 { "" } else { "s" }
                )));
            }
        }
        let mut labels = Vec::with_capacity(buttons.len());
        for (index, button) in buttons.iter().enumerate() {
            let at = self.at(&format!("button {index}"));
            let sent = sent.buttons.iter().find(|(i, _, _)| *i == index);
            labels.push(self.button(&at, button, sent.map(|(_, s, p)| (*s, *p)))?);
        }
        Ok(labels)
    }

    /// Checks the parameter of one button; answers its label as the user sees it.
    fn button(
        &self,
        at: &str,
        button: &Button,
        sent: Option<(&str, &[Value])>,
    ) -> Result<String, FillError> {
        let spec = ButtonSpec::of(button);
        let label = button.label().unwrap_or(spec.default_label).to_owned();
        let Some((sub_type, params)) = sent else {
            if spec.required {
                return Err(FillError::count(format!(
                    "{at}: the template's {} button needs a parameter; add a button component with sub_type {} and index {}",
                    button.kind(),
                    spec.sub_type.unwrap_or_default(),
                    at.rsplit(' ').next().unwrap_or_default()
                )));
            }
            return Ok(label);
        };
        let Some(want) = spec.sub_type else {
            return Err(FillError::format(format!(
                "{at}: the template's {} button takes no parameter; remove this component",
                button.kind()
            )));
        };
        if sub_type != want && !(want == "url" && sub_type == "copy_code" && spec.otp) {
            return Err(FillError::format(format!(
                "{at}: the template's button is a {} button; send sub_type {want}, not {sub_type}",
                button.kind()
            )));
        }
        if params.len() > 1 || (spec.required && params.is_empty()) {
            return Err(FillError::count(format!(
                "{at}: a {want} button takes one parameter; {} given",
                params.len()
            )));
        }
        let Some(param) = params.first() else {
            return Ok(label);
        };
        let kind = param_type(param);
        if kind != spec.param_type {
            return Err(FillError::format(format!(
                "{at}: a {want} button takes a `{}` parameter, not `{kind}`",
                spec.param_type
            )));
        }
        match (button, spec.param_type) {
            (Button::Url { url, .. }, _) => {
                let suffix = non_empty(param, "text", &format!("{at}: text"))?;
                let filled = render(url, &Params::Positional(&[suffix]));
                return Ok(format!("{label}: {filled}"));
            }
            (Button::Otp(_), _) => {
                let code = non_empty(param, "text", &format!("{at}: text"))?;
                if code.chars().count() > OTP_CODE {
                    return Err(FillError::format(format!(
                        "{at}: a one-time passcode is at most {OTP_CODE} characters"
                    )));
                }
            }
            (_, "coupon_code") => {
                let code = non_empty(param, "coupon_code", &format!("{at}: coupon_code"))?;
                if code.chars().count() > COPY_CODE {
                    return Err(FillError::format(format!(
                        "{at}: coupon_code is at most {COPY_CODE} characters"
                    )));
                }
                return Ok(format!("{label}: {code}"));
            }
            (_, "payload") => {
                non_empty(param, "payload", &format!("{at}: payload"))?;
            }
            (_, "action") => {
                let action = param.get("action").filter(|v| v.is_object());
                let Some(action) = action else {
                    return Err(FillError::format(format!(
                        "{at}: the `action` parameter needs an `action` object"
                    )));
                };
                if want == "mpm" {
                    let sections = action.get("sections").and_then(Value::as_array);
                    if sections.is_none_or(Vec::is_empty) {
                        return Err(FillError::format(format!(
                            "{at}: an mpm button's action needs sections of product_items"
                        )));
                    }
                }
            }
            _ => {}
        }
        Ok(label)
    }
}

/// What the send request gives for one template button.
struct ButtonSpec {
    /// The `sub_type` that fills it; `None` for a button that takes no parameter.
    sub_type: Option<&'static str>,
    /// The parameter's `type`.
    param_type: &'static str,
    /// Whether a send must fill it.
    required: bool,
    /// An OTP button (Meta's docs send it as `url`; some SDKs as `copy_code`).
    otp: bool,
    default_label: &'static str,
}

impl ButtonSpec {
    fn of(button: &Button) -> Self {
        let spec = |sub_type, param_type, required, default_label| ButtonSpec {
            sub_type: Some(sub_type),
            param_type,
            required,
            otp: false,
            default_label,
        };
        match button {
            Button::QuickReply { .. } => spec("quick_reply", "payload", false, ""),
            Button::Url { url, .. } => {
                let dynamic = !variables(url).is_empty();
                ButtonSpec {
                    sub_type: dynamic.then_some("url"),
                    ..spec("url", "text", dynamic, "")
                }
            }
            Button::PhoneNumber { .. } => ButtonSpec {
                sub_type: None,
                ..spec("", "", false, "")
            },
            Button::CopyCode { .. } => spec("copy_code", "coupon_code", true, "Copy offer code"),
            Button::Otp(_) => ButtonSpec {
                otp: true,
                ..spec("url", "text", true, "Copy code")
            },
            Button::Flow(_) => spec("flow", "action", false, ""),
            Button::Labelled { kind, .. } => match kind.as_str() {
                "CATALOG" => spec("catalog", "action", false, ""),
                "MPM" => spec("mpm", "action", true, ""),
                "VOICE_CALL" => spec("voice_call", "payload", false, ""),
                _ => ButtonSpec {
                    sub_type: None,
                    ..spec("", "", false, "")
                },
            },
        }
    }
}

/// The cards of a carousel, each filled like a small template of its own.
fn fill_cards(
    t: &Fillable<'_>,
    cards: &[Card],
    sent: &[Value],
    media: &mut Vec<(MediaKind, String)>,
) -> Result<Vec<RenderedCard>, FillError> {
    if sent.len() != cards.len() {
        return Err(FillError::count(format!(
            "carousel: the template has {} cards; {} sent",
            cards.len(),
            sent.len()
        )));
    }
    let mut by_index: Vec<Option<&Value>> = vec![None; cards.len()];
    for (position, card) in sent.iter().enumerate() {
        let index = match card.get("card_index") {
            None => position,
            Some(v) => match v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            {
                Some(i) => i as usize,
                None => {
                    return Err(FillError::format(format!(
                        "carousel card {position}: card_index must be a number"
                    )));
                }
            },
        };
        match by_index.get_mut(index) {
            Some(slot @ None) => *slot = Some(card),
            Some(Some(_)) => {
                return Err(FillError::format(format!(
                    "carousel: card_index {index} is sent twice"
                )));
            }
            None => {
                return Err(FillError::format(format!(
                    "carousel: card_index {index} is out of range; the template has {} cards",
                    cards.len()
                )));
            }
        }
    }
    let mut out = Vec::with_capacity(cards.len());
    for (index, (card, sent)) in cards.iter().zip(by_index).enumerate() {
        let at = format!("card {index}: ");
        let sent = Sent::of(sent.and_then(|c| c.get("components")), &at)?;
        let part = Part {
            t,
            components: &card.components,
            card: Some(index),
        };
        let filled = part.fill(&sent, media)?;
        out.push(RenderedCard {
            header: filled.header,
            body: filled.body,
            buttons: filled.buttons,
        });
    }
    Ok(out)
}

/// A limited-time offer's one `limited_time_offer` parameter with its expiration.
fn offer_params(params: &[Value]) -> Result<(), FillError> {
    let [param] = params else {
        return Err(FillError::count(format!(
            "limited_time_offer: takes one parameter; {} given",
            params.len()
        )));
    };
    let expiration = param
        .get("limited_time_offer")
        .and_then(|o| o.get("expiration_time_ms"))
        .and_then(Value::as_i64);
    if param_type(param) != "limited_time_offer" || expiration.is_none_or(|ms| ms <= 0) {
        return Err(FillError::format(
            "limited_time_offer: the parameter is {\"type\": \"limited_time_offer\", \"limited_time_offer\": {\"expiration_time_ms\": <ms since the epoch>}}",
        ));
    }
    Ok(())
}

/// The value a text parameter shows: `text`, or a currency's or date's `fallback_value`.
fn text_value(at: &str, p: &Value) -> Result<String, FillError> {
    let kind = param_type(p);
    let value = match kind {
        "text" => non_empty(p, "text", &format!("{at}: text"))?,
        "currency" => {
            let c = p.get("currency").unwrap_or(&Value::Null);
            let code = str_of(c, "code").unwrap_or_default();
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(FillError::format(format!(
                    "{at}: currency.code must be an ISO 4217 code such as USD"
                )));
            }
            let amount = c.get("amount_1000").and_then(Value::as_i64);
            if amount.is_none_or(|a| a <= 0) {
                return Err(FillError::format(format!(
                    "{at}: currency.amount_1000 must be a positive integer (the amount times 1000)"
                )));
            }
            non_empty(
                c,
                "fallback_value",
                &format!("{at}: currency.fallback_value"),
            )?
        }
        "date_time" => {
            let d = p.get("date_time").unwrap_or(&Value::Null);
            non_empty(
                d,
                "fallback_value",
                &format!("{at}: date_time.fallback_value"),
            )?
        }
        other => {
            return Err(FillError::format(format!(
                "{at}: a text variable takes a `text`, `currency` or `date_time` parameter, not `{other}`"
            )));
        }
    };
    if value.contains(['\n', '\t']) || value.contains("     ") {
        return Err(FillError::new(
            ErrorCode::TemplateParamInvalid,
            format!(
                "{at}: a parameter must not hold a newline, a tab or more than four spaces in a row"
            ),
        ));
    }
    Ok(value.to_owned())
}

/// A footer as the user sees it.
fn footer(f: &Footer) -> Option<String> {
    match (&f.text, f.code_expiration_minutes) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(minutes)) => Some(format!("This code expires in {minutes} minutes.")),
        (None, None) => None,
    }
}

fn param_type(p: &Value) -> &str {
    p.get("type").and_then(Value::as_str).unwrap_or_default()
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// `v[key]` as a non-empty string, else a 132012 naming `what`.
fn non_empty<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a str, FillError> {
    match str_of(v, key) {
        Some(s) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(FillError::format(format!("{what} must not be empty"))),
        None => Err(FillError::format(format!("{what} must be a string"))),
    }
}

/// A JSON number, or a string holding one (SDKs send coordinates both ways).
fn is_number_like(v: &Value) -> bool {
    v.is_number() || v.as_str().is_some_and(|s| s.trim().parse::<f64>().is_ok())
}

#[cfg(test)]
mod tests;
