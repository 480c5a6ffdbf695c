//! LIMITED_TIME_OFFER: its text, and the code an expiring offer needs.

use super::{check_len, violation};
use crate::template::TemplateErrorKind::*;
use crate::template::button::ButtonType;
use crate::template::component::{Component, LimitedTimeOffer};
use crate::template::error::TemplateError;
use crate::template::limits::OFFER_TEXT;

/// The offer's text (at most 16 characters); an offer that expires needs a COPY_CODE button
/// to carry the code (Meta's limited-time-offer documentation).
pub(super) fn offer(
    offer: &LimitedTimeOffer,
    path: &str,
    components: &[Component],
) -> Result<(), TemplateError> {
    let field = format!("{path}.limited_time_offer");
    check_len(
        &format!("{field}.text"),
        "the offer text",
        &offer.text,
        OFFER_TEXT,
    )?;
    let has_copy_code = components.iter().any(|c| {
        matches!(c, Component::Buttons(b) if b.iter().any(|b| b.kind() == ButtonType::CopyCode))
    });
    if offer.has_expiration == Some(true) && !has_copy_code {
        return Err(violation(
            ButtonFormat,
            format!("{field}.has_expiration"),
            "an offer with an expiration needs a COPY_CODE button for the code; add one or set has_expiration to false",
        ));
    }
    Ok(())
}
