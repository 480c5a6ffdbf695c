//! One part of a template, filled: the header, body, footer and buttons of the template or of
//! one carousel card, with the text variables checked and rendered.

use serde_json::Value;

use super::values::{footer, is_number_like, non_empty, param_type, str_of, text_value};
use super::{FillError, Fillable, OTP_BODY, OTP_CODE, SECURITY_LINE, Sent};
use crate::error::ErrorCode;
use crate::media::MediaKind;
use crate::template::category::TemplateCategory;
use crate::template::component::{Body, Component, Header, HeaderFormat};
use crate::template::limits::{BODY_TEXT, CARD_BODY_TEXT, HEADER_TEXT};
use crate::template::variables::{ParameterFormat, Params, Variable, render, variables};

/// Header, body, footer and buttons of the template or of one card.
pub(super) struct Part<'a> {
    pub(super) t: &'a Fillable<'a>,
    pub(super) components: &'a [Component],
    /// `Some(n)` for card `n` of a carousel.
    pub(super) card: Option<usize>,
}

/// What a [`Part`] became.
#[derive(Default)]
pub(super) struct FilledPart {
    pub(super) header: Option<String>,
    pub(super) body: Option<String>,
    pub(super) footer: Option<String>,
    pub(super) buttons: Vec<String>,
}

impl Part<'_> {
    /// "header" or "card 1 header": where a problem is, for the details.
    pub(super) fn at(&self, what: &str) -> String {
        match self.card {
            Some(n) => format!("card {n} {what}"),
            None => what.to_owned(),
        }
    }

    pub(super) fn fill(
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

    pub(super) fn header(
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

    pub(super) fn body(&self, b: &Body, params: &[Value]) -> Result<String, FillError> {
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
    pub(super) fn text(&self, at: &str, text: &str, params: &[Value]) -> Result<String, FillError> {
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
}
