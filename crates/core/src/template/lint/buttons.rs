//! BUTTONS: how many of each type, quick replies grouped, labels, URLs, phone numbers, codes,
//! and the OTP button of authentication templates.

use super::{Ctx, check_len, violation};
use crate::content::fields::is_http_url;
use crate::template::TemplateCategory;
use crate::template::TemplateErrorKind::*;
use crate::template::button::{Button, ButtonType, FlowButton, OtpButton, OtpType};
use crate::template::error::TemplateError;
use crate::template::limits::{
    BUTTON_PHONE, BUTTON_TEXT, BUTTON_URL, BUTTONS, CARD_BUTTONS, COPY_CODE,
};
use crate::template::variables::{Variable, placeholders};

/// Where a BUTTONS component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Template,
    Card,
}

/// How many buttons of `kind` a template may have. The reference gives QUICK_REPLY 10,
/// URL 2, PHONE_NUMBER 1 and COPY_CODE 1; for the others Meta documents one per template.
fn max_of(kind: ButtonType) -> usize {
    match kind {
        ButtonType::QuickReply => 10,
        ButtonType::Url => 2,
        _ => 1,
    }
}

pub(super) fn buttons(
    buttons: &[Button],
    path: &str,
    ctx: &Ctx,
    scope: Scope,
) -> Result<(), TemplateError> {
    let field = format!("{path}.buttons");
    let max = match scope {
        Scope::Template => BUTTONS,
        Scope::Card => CARD_BUTTONS,
    };
    if buttons.len() > max {
        let where_ = if scope == Scope::Card {
            "a carousel card"
        } else {
            "a template"
        };
        return Err(violation(
            ButtonFormat,
            field,
            format!(
                "{where_} has at most {max} buttons (got {}); remove some",
                buttons.len()
            ),
        ));
    }
    let mut quick_replies_closed = false;
    for (j, button) in buttons.iter().enumerate() {
        let at = format!("{field}[{j}]");
        let kind = button.kind();
        category_allows(kind, j, &at, ctx.category)?;
        let before = &buttons[..j];
        if before.iter().filter(|b| b.kind() == kind).count() >= max_of(kind) {
            return Err(violation(
                ButtonFormat,
                at,
                format!(
                    "a template has at most {} {kind} button{}; remove this one",
                    max_of(kind),
                    if max_of(kind) == 1 { "" } else { "s" }
                ),
            ));
        }
        if kind == ButtonType::QuickReply {
            if quick_replies_closed {
                return Err(violation(
                    ButtonFormat,
                    at,
                    "quick replies must be next to each other, all before or all after the other buttons; move this one",
                ));
            }
        } else if before.iter().any(|b| b.kind() == ButtonType::QuickReply) {
            quick_replies_closed = true;
        }
        content(button, &at)?;
    }
    Ok(())
}

/// AUTHENTICATION templates take one OTP button and nothing else; OTP buttons are theirs only.
fn category_allows(
    kind: ButtonType,
    index: usize,
    at: &str,
    category: TemplateCategory,
) -> Result<(), TemplateError> {
    let message = match (category, kind) {
        (TemplateCategory::Authentication, ButtonType::Otp) if index > 0 => {
            "AUTHENTICATION templates take exactly one OTP button; remove this one"
        }
        (TemplateCategory::Authentication, ButtonType::Otp) => return Ok(()),
        (TemplateCategory::Authentication, _) => {
            "AUTHENTICATION templates take only one OTP button; remove this button"
        }
        (_, ButtonType::Otp) => {
            "OTP buttons are for AUTHENTICATION templates; use COPY_CODE or URL, or change the category"
        }
        _ => return Ok(()),
    };
    Err(violation(ButtonFormat, format!("{at}.type"), message))
}

fn content(button: &Button, at: &str) -> Result<(), TemplateError> {
    if let Some(label) = button.label() {
        check_len(&format!("{at}.text"), "a button label", label, BUTTON_TEXT)?;
    }
    match button {
        Button::Url { url, example, .. } => url_button(url, example, at),
        Button::PhoneNumber { phone_number, .. } => {
            let field = format!("{at}.phone_number");
            check_len(&field, "a phone number", phone_number, BUTTON_PHONE)?;
            if !is_phone_number(phone_number) {
                return Err(violation(
                    ButtonFormat,
                    field,
                    "must be a phone number with its country code, such as +15550051310",
                ));
            }
            Ok(())
        }
        Button::CopyCode { example } => match example.as_deref() {
            Some(code) if !code.trim().is_empty() => {
                check_len(&format!("{at}.example"), "the code", code, COPY_CODE)
            }
            _ => Err(violation(
                ButtonFormat,
                format!("{at}.example"),
                format!(
                    "a COPY_CODE button needs `example`, a sample code of at most {COPY_CODE} characters"
                ),
            )),
        },
        Button::Otp(otp) => otp_button(otp, at),
        Button::Flow(flow) => flow_button(flow, at),
        Button::QuickReply { .. } | Button::Labelled { .. } => Ok(()),
    }
}

/// `https://…` of at most 2000 characters, static or with one `{{1}}` at its end (after the
/// host) and a sample for it.
fn url_button(url: &str, example: &[String], at: &str) -> Result<(), TemplateError> {
    let field = format!("{at}.url");
    check_len(&field, "a URL", url, BUTTON_URL)?;
    if !is_http_url(url) {
        return Err(violation(
            ButtonFormat,
            field,
            "must be an http:// or https:// URL",
        ));
    }
    let found = placeholders(url);
    let Some(p) = found.first() else {
        return Ok(());
    };
    let after_host = url[..p.start]
        .split_once("://")
        .is_some_and(|(_, rest)| rest.contains(['/', '?', '#', '=']));
    let trailing_one = found.len() == 1
        && p.variable == Some(Variable::Positional(1))
        && p.end == url.len()
        && after_host;
    if !trailing_one {
        return Err(violation(
            ButtonFormat,
            field,
            "a URL takes at most one variable, {{1}}, at its very end after the host (https://example.com/track/{{1}})",
        ));
    }
    if example.len() != 1 || example[0].trim().is_empty() {
        return Err(violation(
            ButtonFormat,
            format!("{at}.example"),
            "a URL with a variable needs `example`: one sample, such as [\"https://example.com/track/860198\"]",
        ));
    }
    Ok(())
}

/// `+`, then digits, spaces or dashes, with at least one digit.
fn is_phone_number(s: &str) -> bool {
    let rest = s.strip_prefix('+').unwrap_or(s);
    rest.chars().any(|c| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
}

/// ONE_TAP and ZERO_TAP need the Android apps that receive the code; ZERO_TAP also the
/// business's acceptance of its terms (Meta's authentication-template documentation).
fn otp_button(otp: &OtpButton, at: &str) -> Result<(), TemplateError> {
    if let Some(autofill) = &otp.autofill_text {
        check_len(
            &format!("{at}.autofill_text"),
            "autofill_text",
            autofill,
            BUTTON_TEXT,
        )?;
    }
    if otp.otp_type != OtpType::CopyCode && otp.supported_apps.is_empty() {
        return Err(violation(
            ButtonFormat,
            format!("{at}.supported_apps"),
            format!(
                "a {} button needs supported_apps: the package_name and signature_hash of each Android app that receives the code",
                otp.otp_type
            ),
        ));
    }
    if otp.otp_type == OtpType::ZeroTap && otp.zero_tap_terms_accepted != Some(true) {
        return Err(violation(
            ButtonFormat,
            format!("{at}.zero_tap_terms_accepted"),
            "ZERO_TAP buttons need zero_tap_terms_accepted: true",
        ));
    }
    Ok(())
}

/// A FLOW button names its flow once: by `flow_id`, `flow_name` or `flow_json`.
fn flow_button(flow: &FlowButton, at: &str) -> Result<(), TemplateError> {
    let given = [&flow.flow_id, &flow.flow_name, &flow.flow_json]
        .iter()
        .filter(|v| v.is_some())
        .count();
    if given != 1 {
        return Err(violation(
            ButtonFormat,
            at,
            "a FLOW button needs exactly one of flow_id, flow_name or flow_json",
        ));
    }
    Ok(())
}
