//! CAROUSEL: its cards, each like a small template, all alike.

use super::buttons::{self, Scope};
use super::structure::duplicate;
use super::text;
use super::{Ctx, violation};
use crate::template::TemplateErrorKind::*;
use crate::template::button::ButtonType;
use crate::template::component::{Card, Component, ComponentType, HeaderFormat};
use crate::template::error::TemplateError;
use crate::template::limits::{CARD_BODY_TEXT, CAROUSEL_CARDS};

/// 2 to 10 cards; each with one IMAGE, VIDEO or PRODUCT header, an optional body and 1 or 2
/// buttons; every card with the same header format and the same buttons as the first
/// (reference §6.5).
pub(super) fn carousel(cards: &[Card], path: &str, ctx: &Ctx) -> Result<(), TemplateError> {
    let field = format!("{path}.cards");
    if !CAROUSEL_CARDS.contains(&cards.len()) {
        return Err(violation(
            ComponentFormat,
            field,
            format!(
                "a carousel has {} to {} cards (got {})",
                CAROUSEL_CARDS.start(),
                CAROUSEL_CARDS.end(),
                cards.len()
            ),
        ));
    }
    let first = Shape::of(&cards[0]);
    for (k, card) in cards.iter().enumerate() {
        let card_path = format!("{field}[{k}]");
        card_structure(card, &card_path)?;
        let shape = Shape::of(card);
        if shape.header != first.header {
            return Err(violation(
                ComponentFormat,
                format!("{card_path}.components[{}].format", shape.header_index),
                format!(
                    "every card needs the same header format as the first card ({})",
                    format_name(first.header)
                ),
            ));
        }
        if shape.buttons != first.buttons {
            return Err(violation(
                ComponentFormat,
                format!("{card_path}.components[{}].buttons", shape.buttons_index),
                "every card needs the same buttons, in the same order, as the first card",
            ));
        }
        for (m, component) in card.components.iter().enumerate() {
            let at = format!("{card_path}.components[{m}]");
            match component {
                Component::Header(h) => text::header(h, &at, ctx)?,
                Component::Body(b) => text::body(b, &at, ctx, CARD_BODY_TEXT)?,
                Component::Buttons(b) => buttons::buttons(b, &at, ctx, Scope::Card)?,
                _ => {}
            }
        }
    }
    Ok(())
}

/// At most one of each component, a media or product header and buttons.
fn card_structure(card: &Card, card_path: &str) -> Result<(), TemplateError> {
    let mut seen = Vec::new();
    for (m, component) in card.components.iter().enumerate() {
        let at = format!("{card_path}.components[{m}]");
        let kind = component.kind();
        if seen.contains(&kind) {
            return Err(duplicate(kind, &at));
        }
        seen.push(kind);
        if let Component::Header(h) = component
            && !matches!(
                h.format(),
                HeaderFormat::Image | HeaderFormat::Video | HeaderFormat::Product
            )
        {
            return Err(violation(
                HeaderFormat,
                format!("{at}.format"),
                format!(
                    "a card header is IMAGE, VIDEO or PRODUCT, not {}",
                    h.format()
                ),
            ));
        }
    }
    if !seen.contains(&ComponentType::Header) {
        return Err(violation(
            HeaderFormat,
            format!("{card_path}.components"),
            "each card needs a HEADER: an IMAGE, VIDEO or PRODUCT",
        ));
    }
    if !seen.contains(&ComponentType::Buttons) {
        return Err(violation(
            ButtonFormat,
            format!("{card_path}.components"),
            "each card needs a BUTTONS component with 1 or 2 buttons",
        ));
    }
    Ok(())
}

/// What must match between cards.
struct Shape {
    header: Option<HeaderFormat>,
    header_index: usize,
    buttons: Vec<ButtonType>,
    buttons_index: usize,
}

impl Shape {
    fn of(card: &Card) -> Shape {
        let mut shape = Shape {
            header: None,
            header_index: 0,
            buttons: Vec::new(),
            buttons_index: 0,
        };
        for (m, component) in card.components.iter().enumerate() {
            match component {
                Component::Header(h) => (shape.header, shape.header_index) = (Some(h.format()), m),
                Component::Buttons(b) => {
                    (shape.buttons, shape.buttons_index) =
                        (b.iter().map(|b| b.kind()).collect(), m);
                }
                _ => {}
            }
        }
        shape
    }
}

fn format_name(format: Option<HeaderFormat>) -> &'static str {
    format.map_or("none", HeaderFormat::as_str)
}
