//! Which components a template has: at most one of each, exactly one BODY, and what the
//! category, a carousel or an offer allow next to them.

use super::violation;
use crate::template::TemplateCategory;
use crate::template::TemplateErrorKind::{self, *};
use crate::template::component::{Component, ComponentType};
use crate::template::error::TemplateError;

/// The components at the top of a template.
pub(super) fn top_level(
    components: &[Component],
    category: TemplateCategory,
) -> Result<(), TemplateError> {
    let has = |kind: ComponentType| components.iter().any(|c| c.kind() == kind);
    let carousel = has(ComponentType::Carousel);
    let offer = has(ComponentType::LimitedTimeOffer);
    let mut seen = Vec::new();
    for (i, component) in components.iter().enumerate() {
        let path = format!("components[{i}]");
        let kind = component.kind();
        if seen.contains(&kind) {
            return Err(duplicate(kind, &path));
        }
        seen.push(kind);
        if let Some((rule, message)) = not_allowed(kind, category, carousel, offer) {
            return Err(violation(rule, path, message));
        }
    }
    if !seen.contains(&ComponentType::Body) {
        return Err(violation(
            BodyFormat,
            "components",
            "a template needs exactly one BODY component; add one with the message text",
        ));
    }
    if category == TemplateCategory::Authentication && !seen.contains(&ComponentType::Buttons) {
        return Err(violation(
            ButtonFormat,
            "components",
            "AUTHENTICATION templates need a BUTTONS component with one OTP button",
        ));
    }
    Ok(())
}

/// The error for a second component of `kind` at `path`.
pub(super) fn duplicate(kind: ComponentType, path: &str) -> TemplateError {
    let rule = match kind {
        ComponentType::Header => HeaderFormat,
        ComponentType::Body => BodyFormat,
        ComponentType::Footer => FooterFormat,
        ComponentType::Buttons => ButtonFormat,
        ComponentType::Carousel | ComponentType::LimitedTimeOffer => ComponentFormat,
    };
    violation(
        rule,
        path,
        format!(
            "a template has at most one {kind} component; merge this one into the first or remove it"
        ),
    )
}

/// Why a component of `kind` may not be in this template, if it may not.
fn not_allowed(
    kind: ComponentType,
    category: TemplateCategory,
    carousel: bool,
    offer: bool,
) -> Option<(TemplateErrorKind, String)> {
    use ComponentType as T;
    use TemplateCategory::*;
    Some(match (kind, category) {
        (T::Header, Authentication) => (
            HeaderFormat,
            "AUTHENTICATION templates have no header; remove it".to_owned(),
        ),
        (T::Carousel | T::LimitedTimeOffer, Authentication) => (
            ComponentFormat,
            format!("AUTHENTICATION templates can't have a {kind}; remove it"),
        ),
        // Meta documents limited-time offers for marketing templates only.
        (T::LimitedTimeOffer, Utility) => (
            ComponentFormat,
            "LIMITED_TIME_OFFER is for MARKETING templates; change the category or remove it"
                .to_owned(),
        ),
        // A carousel template is a message bubble (BODY) followed by the cards, which carry
        // their own headers and buttons.
        (T::Header | T::Footer | T::Buttons, _) if carousel => (
            ComponentFormat,
            format!(
                "a carousel template has only a BODY and the CAROUSEL; move the {kind} into the cards or remove it"
            ),
        ),
        // Meta: offers have no footer (the countdown takes its place).
        (T::Footer, _) if offer => (
            FooterFormat,
            "templates with a LIMITED_TIME_OFFER can't have a footer; remove it".to_owned(),
        ),
        _ => return None,
    })
}
