//! Registering a business phone number (reference §1.4), for sandbox channels:
//!
//! - `POST /{phone_number_id}/request_code?code_method=SMS|VOICE&language=en` → `{"success":true}`:
//!   the sandbox "sends" a 6-digit code, readable at `GET /sandbox/{phone_number_id}/verification_code`;
//! - `POST /{phone_number_id}/verify_code?code=123456` → `{"success":true}`;
//! - `POST /{phone_number_id}/register` `{"messaging_product":"whatsapp","pin":"123456",
//!   "data_localization_region":"IN"?}` → `{"success":true}`;
//! - `POST /{phone_number_id}/deregister` → `{"success":true}`;
//! - `POST /{phone_number_id}` `{"pin":"123456"}` (two-step PIN) and/or
//!   `{"messaging_product":"whatsapp","new_display_name":"…"}` → `{"success":true}`.
//!
//! Parameters may come in the query string, a JSON body or a form body, as Graph merges them
//! (SDKs send `request_code` and `verify_code` with query parameters and no body). The rules
//! and limits are `wagate_core::registration`'s; refusals carry Meta's codes (133005, 133006,
//! 133016, 136024, 136025), bad or missing parameters Graph's 100.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde_json::{Value, json};
use wagate_app::Principal;
use wagate_app::channels::registration::{CodeRequest, PhoneNumberUpdate, Register};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::registration::{
    CodeLanguage, CodeMethod, DataRegion, TwoStepPin, VerificationCode,
};
use wagate_core::text::VerifiedName;

use super::path::ObjectPath;
use super::phone_number;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::kit::params::{self as kit, Rules};
use crate::state::AppState;

/// A request's parameters as text (see [`crate::kit::params`]): a body's `null` leaves the
/// query's value, numbers and booleans are their text, and an array or object is refused.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// How registration reads its parameters: a body's `null` is absent.
    const RULES: Rules = Rules::GRAPH.body_null_is_absent();

    fn read(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Self, ApiError> {
        Self::text(kit::Params::read(uri.query(), headers, body, Self::RULES)?)
    }

    /// A body's parameters alone.
    fn body(headers: &HeaderMap, body: &[u8]) -> Result<Self, ApiError> {
        Self::text(kit::Params::body(headers, body, Self::RULES)?)
    }

    fn text(params: kit::Params) -> Result<Self, ApiError> {
        Ok(Self(params.into_text()?.into_iter().collect()))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Graph's answer to a missing parameter is code 100, naming it.
    fn required(&self, name: &str, what: &str) -> Result<&str, ValidationError> {
        self.get(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| ValidationError::new(name, format!("is required: {what}")))
    }

    /// `messaging_product`, when given, must be `whatsapp`.
    fn messaging_product(&self) -> Result<(), ValidationError> {
        match self.get("messaging_product") {
            None | Some("whatsapp") => Ok(()),
            Some(_) => Err(ValidationError::new(
                "messaging_product",
                "must be `whatsapp`",
            )),
        }
    }
}

impl TryFrom<Params> for CodeRequest {
    type Error = ValidationError;

    fn try_from(p: Params) -> Result<Self, ValidationError> {
        Ok(Self {
            method: CodeMethod::parse(p.required("code_method", "SMS or VOICE")?)?,
            language: CodeLanguage::parse(
                p.required("language", "the language of the code message, such as `en`")?,
            )?,
        })
    }
}

impl TryFrom<Params> for VerificationCode {
    type Error = ValidationError;

    fn try_from(p: Params) -> Result<Self, ValidationError> {
        VerificationCode::parse(p.required("code", "the 6-digit code sent to the number")?)
    }
}

impl TryFrom<Params> for Register {
    type Error = ValidationError;

    fn try_from(p: Params) -> Result<Self, ValidationError> {
        p.messaging_product()?;
        Ok(Self {
            pin: TwoStepPin::parse(p.required(
                "pin",
                "the number's 6-digit two-step PIN (or the one to set, when it has none)",
            )?)?,
            data_localization_region: p
                .get("data_localization_region")
                .map(DataRegion::parse)
                .transpose()?,
        })
    }
}

impl TryFrom<Params> for PhoneNumberUpdate {
    type Error = ValidationError;

    fn try_from(p: Params) -> Result<Self, ValidationError> {
        p.messaging_product()?;
        let update = Self {
            pin: p.get("pin").map(TwoStepPin::parse).transpose()?,
            new_display_name: p
                .get("new_display_name")
                .map(|n| {
                    VerifiedName::parse(n)
                        .map_err(|e| ValidationError::new("new_display_name", e.message))
                })
                .transpose()?,
        };
        if update.pin.is_none() && update.new_display_name.is_none() {
            return Err(ValidationError::new(
                "pin",
                "is required, or `new_display_name`: give a new two-step PIN or a new display name",
            ));
        }
        Ok(update)
    }
}

fn success() -> Json<Value> {
    Json(json!({"success": true}))
}

/// `POST /{phone_number_id}/request_code?code_method=SMS&language=en`.
pub async fn request_code(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let req = CodeRequest::try_from(Params::read(&uri, &headers, &body)?)?;
    state
        .app
        .request_verification_code(&p, &channel, req, state.app.now())
        .await?;
    Ok(success())
}

/// `POST /{phone_number_id}/verify_code?code=123456`.
pub async fn verify_code(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let code = VerificationCode::try_from(Params::read(&uri, &headers, &body)?)?;
    state
        .app
        .verify_phone_number(&p, &channel, &code, state.app.now())
        .await?;
    Ok(success())
}

/// `POST /{phone_number_id}/register` `{"messaging_product":"whatsapp","pin":"123456"}`.
pub async fn register(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let cmd = Register::try_from(Params::read(&uri, &headers, &body)?)?;
    state
        .app
        .register_phone_number(&p, &channel, cmd, state.app.now())
        .await?;
    Ok(success())
}

/// `POST /{phone_number_id}/deregister`.
pub async fn deregister(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    state
        .app
        .deregister_phone_number(&p, &channel, state.app.now())
        .await?;
    Ok(success())
}

/// `POST /{object_id}` when the id is one of the caller's phone numbers: a new two-step PIN
/// and/or display name (JSON body). `None` when it is not a phone number of the caller's, so
/// the caller tries the other kinds of object.
pub async fn update(
    state: &AppState,
    p: &Principal,
    object_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<Json<Value>>, ApiError> {
    let channel = match phone_number(state, p, object_id).await {
        Ok(c) => c,
        Err(e) if e.code == ErrorCode::ChannelNotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let update = PhoneNumberUpdate::try_from(Params::body(headers, body)?)?;
    state
        .app
        .update_phone_number(p, &channel, update, state.app.now())
        .await?;
    Ok(Some(success()))
}

#[cfg(test)]
mod tests {
    use axum::http::header;

    use super::*;

    fn params(query: &str, content_type: &str, body: &str) -> Result<Params, ApiError> {
        let uri: Uri = format!("/v23.0/1/request_code?{query}").parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
        Params::read(&uri, &headers, body.as_bytes())
    }

    #[test]
    fn parameters_merge_from_query_json_and_form() {
        let p = params("code_method=SMS&language=en", "application/json", "").unwrap();
        let req = CodeRequest::try_from(p).unwrap();
        assert_eq!(req.method, CodeMethod::Sms);
        let p = params(
            "code_method=SMS",
            "application/json",
            r#"{"language":"en_US","code_method":"VOICE"}"#,
        )
        .unwrap();
        let req = CodeRequest::try_from(p).unwrap();
        assert_eq!(
            (req.method, req.language.as_str()),
            (CodeMethod::Voice, "en_US")
        );
        let p = params("", "application/x-www-form-urlencoded", "code=123456").unwrap();
        assert_eq!(VerificationCode::try_from(p).unwrap().as_str(), "123456");
        let p = params("", "application/json", r#"{"pin":123456}"#).unwrap();
        assert!(Register::try_from(p).is_ok(), "a PIN sent as a number");
    }

    #[test]
    fn bad_parameters_name_the_field() {
        let e = CodeRequest::try_from(params("language=en", "", "").unwrap()).unwrap_err();
        assert_eq!(e.field, "code_method");
        let e = CodeRequest::try_from(params("code_method=FAX&language=en", "", "").unwrap())
            .unwrap_err();
        assert_eq!(e.field, "code_method");
        let e = Register::try_from(params("pin=12ab56", "", "").unwrap()).unwrap_err();
        assert_eq!(e.field, "pin");
        let e = Register::try_from(
            params(
                "",
                "application/json",
                r#"{"messaging_product":"sms","pin":"123456"}"#,
            )
            .unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.field, "messaging_product");
        let e =
            PhoneNumberUpdate::try_from(params("", "application/json", "{}").unwrap()).unwrap_err();
        assert_eq!(e.field, "pin");
        assert!(params("", "application/json", r#"{"pin":["1"]}"#).is_err());
        assert!(params("", "application/json", "[1]").is_err());
    }
}
