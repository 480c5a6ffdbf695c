//! Meta's content rules for templates (reference §6.5), checked before a template is stored
//! or forwarded, so a mistake is answered at once and the way Meta answers it: Graph code 100
//! with a 2388xxx subcode ([`TemplateErrorKind`]), the field's path and what to fix.
//!
//! Meta answers one error per request, so [`lint`] returns the first violation, in this
//! order:
//!
//! 1. the set of components (`structure`): no two of a kind, exactly one BODY, what the
//!    category and a carousel or offer allow, the OTP button authentication needs;
//! 2. each component in the order sent: HEADER, BODY and FOOTER (`text`), BUTTONS
//!    (`buttons`), CAROUSEL (`carousel`) and LIMITED_TIME_OFFER (`offer`); inside one, its own
//!    rules from length to variables, examples, placement and density;
//! 3. `message_send_ttl_seconds` for the category.
//!
//! The name and language are checked while parsing ([`TemplateDraft::parse`]); that a name
//! and language are not taken, the quotas and the edit limits need the store and are checked
//! there.

mod buttons;
mod carousel;
mod offer;
mod structure;
mod text;

#[cfg(test)]
mod tests;

use super::component::Component;
use super::error::{TemplateError, TemplateErrorKind};
use super::limits::{AUTHENTICATION_TTL, BODY_TEXT, MARKETING_TTL, TTL_MAXIMUM, UTILITY_TTL};
use super::{ParameterFormat, TemplateCategory, TemplateDraft};

/// Checks `draft` against Meta's rules; the first violation is the error.
pub fn lint(draft: &TemplateDraft) -> Result<(), TemplateError> {
    let ctx = Ctx {
        category: draft.category(),
        format: draft.parameter_format(),
    };
    let components = draft.components();
    structure::top_level(components, ctx.category)?;
    for (i, component) in components.iter().enumerate() {
        let path = format!("components[{i}]");
        match component {
            Component::Header(h) => text::header(h, &path, &ctx)?,
            Component::Body(b) => text::body(b, &path, &ctx, BODY_TEXT)?,
            Component::Footer(f) => text::footer(f, &path, &ctx)?,
            Component::Buttons(b) => buttons::buttons(b, &path, &ctx, buttons::Scope::Template)?,
            Component::Carousel(cards) => carousel::carousel(cards, &path, &ctx)?,
            Component::LimitedTimeOffer(o) => offer::offer(o, &path, components)?,
        }
    }
    ttl(draft)
}

/// What every rule may depend on.
struct Ctx {
    category: TemplateCategory,
    format: ParameterFormat,
}

fn violation(
    kind: TemplateErrorKind,
    field: impl Into<String>,
    message: impl Into<String>,
) -> TemplateError {
    TemplateError::new(kind, field, message)
}

/// A [`TemplateErrorKind::CharacterLimit`] violation if `s` is longer than `max` characters.
fn check_len(field: &str, what: &str, s: &str, max: usize) -> Result<(), TemplateError> {
    let len = s.chars().count();
    if len > max {
        return Err(violation(
            TemplateErrorKind::CharacterLimit,
            field,
            format!("{what} must be at most {max} characters (got {len}); shorten it"),
        ));
    }
    Ok(())
}

/// `message_send_ttl_seconds` within the category's range (reference §6.5). The reference
/// gives no subcode for it; Meta answers a value out of range as a plain invalid parameter.
fn ttl(draft: &TemplateDraft) -> Result<(), TemplateError> {
    let Some(ttl) = draft.message_send_ttl_seconds() else {
        return Ok(());
    };
    let (range, maximum_allowed) = match draft.category() {
        TemplateCategory::Authentication => (AUTHENTICATION_TTL, false),
        TemplateCategory::Utility => (UTILITY_TTL, true),
        TemplateCategory::Marketing => (MARKETING_TTL, true),
    };
    if range.contains(&ttl) || (maximum_allowed && ttl == TTL_MAXIMUM) {
        return Ok(());
    }
    let or_max = if maximum_allowed {
        " (or -1 for the maximum)"
    } else {
        ""
    };
    Err(violation(
        TemplateErrorKind::InvalidParameter,
        "message_send_ttl_seconds",
        format!(
            "for {} templates must be {} to {} seconds{or_max} (got {ttl})",
            draft.category(),
            range.start(),
            range.end()
        ),
    ))
}
