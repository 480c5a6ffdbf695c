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
//!
//! # Layout
//! - here: [`fill`], the send's components sorted by type, carousel cards, the offer.
//! - `part`: one template or card part (header, body, footer) and its text variables.
//! - `buttons`: each button component matched to the template's button.
//! - `values`: what a parameter shows, and small JSON readers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod buttons;
mod part;
mod values;

use super::category::TemplateCategory;
use super::component::{Card, Component};
use super::variables::ParameterFormat;
use crate::error::ErrorCode;
use crate::media::MediaKind;
use part::Part;
use values::param_type;

/// Meta's text for an AUTHENTICATION body (the template has none of its own).
pub(super) const OTP_BODY: &str = "{{1}} is your verification code.";
/// The line `add_security_recommendation` adds.
pub(super) const SECURITY_LINE: &str = "For your security, do not share this code.";
/// Longest one-time passcode Meta sends.
pub(super) const OTP_CODE: usize = 15;

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
pub(super) struct Sent<'a> {
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

#[cfg(test)]
mod tests;
