//! A template's buttons, filled: each button component of the send matched to the
//! template's button at its `index`, by `sub_type` and parameter type.

use serde_json::Value;

use super::part::Part;
use super::values::{non_empty, param_type};
use super::{FillError, OTP_CODE, Sent};
use crate::template::button::Button;
use crate::template::limits::COPY_CODE;
use crate::template::variables::{Params, render, variables};

impl Part<'_> {
    pub(super) fn buttons(
        &self,
        buttons: &[Button],
        sent: &Sent<'_>,
    ) -> Result<Vec<String>, FillError> {
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
pub(super) struct ButtonSpec {
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
