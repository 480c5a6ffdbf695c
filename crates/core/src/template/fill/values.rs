//! Parameter values: what a text variable shows, and small readers of the send's JSON.

use serde_json::Value;

use super::FillError;
use crate::error::ErrorCode;
use crate::template::component::Footer;

/// The value a text parameter shows: `text`, or a currency's or date's `fallback_value`.
pub(super) fn text_value(at: &str, p: &Value) -> Result<String, FillError> {
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
pub(super) fn footer(f: &Footer) -> Option<String> {
    match (&f.text, f.code_expiration_minutes) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(minutes)) => Some(format!("This code expires in {minutes} minutes.")),
        (None, None) => None,
    }
}

pub(super) fn param_type(p: &Value) -> &str {
    p.get("type").and_then(Value::as_str).unwrap_or_default()
}

pub(super) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// `v[key]` as a non-empty string, else a 132012 naming `what`.
pub(super) fn non_empty<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a str, FillError> {
    match str_of(v, key) {
        Some(s) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(FillError::format(format!("{what} must not be empty"))),
        None => Err(FillError::format(format!("{what} must be a string"))),
    }
}

/// A JSON number, or a string holding one (SDKs send coordinates both ways).
pub(super) fn is_number_like(v: &Value) -> bool {
    v.is_number() || v.as_str().is_some_and(|s| s.trim().parse::<f64>().is_ok())
}
