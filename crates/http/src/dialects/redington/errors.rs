//! The Project API's error body. The seed lists HTTP statuses and four codes of its own
//! (§24: 601 invalid parameter, 602 invalid phone number, 603 content too long, 604 invalid
//! message type) but no body; wagate answers every error in one JSON shape:
//!
//! ```json
//! {"status": "failure", "code": 601, "error": "invalid_request",
//!  "message": "text.body: is required", "field": "text.body", "request_id": "…"}
//! ```
//!
//! `code` is one of the four custom codes for a bad parameter, else the HTTP status;
//! `error` is wagate's stable error name (the management plane's), for a program to branch
//! on; `field` names the parameter at fault when there is one. The HTTP status is the
//! management plane's (400 for the custom codes).

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value, json};
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::render::{ErrorFormat, RequestInfo, render};

pub struct ProjectErrors;

pub const FORMAT: &ProjectErrors = &ProjectErrors;

/// The renderer middleware of the Project API's routes.
pub async fn errors(req: Request, next: Next) -> Response {
    render(FORMAT, req, next).await
}

/// 601 Invalid Parameter.
pub const INVALID_PARAMETER: u16 = 601;
/// 602 Invalid Phone Number.
pub const INVALID_PHONE: u16 = 602;
/// 603 Message Content Too Long.
pub const TOO_LONG: u16 = 603;
/// 604 Invalid Message Type.
pub const INVALID_TYPE: u16 = 604;

/// Meta's template subcode for a text over its limit (a template's body, header, button…).
const CHARACTER_LIMIT: u32 = 2388040;

/// Fields that hold a phone number in the Project API's requests.
const PHONE_FIELDS: &[&str] = &["to", "mobile_number", "phone_number", "wa_id"];

/// The seed's code for `err`: one of its four for a bad parameter, else the HTTP status.
pub fn code(err: &ApiError) -> u16 {
    use ErrorCode as C;
    match err.code {
        C::MalformedJson
        | C::InvalidRequest
        | C::InvalidQuery
        | C::MissingParameter
        | C::InvalidParameterValue
        | C::InvalidCursor
        | C::TemplateParamCountMismatch
        | C::TemplateParamFormatMismatch
        | C::TemplateParamInvalid
        | C::MediaTypeMismatch
        | C::MediaEmpty
        | C::MediaUploadError => parameter_code(err),
        C::TemplateTextTooLong => TOO_LONG,
        C::GroupMessageTypeUnsupported => INVALID_TYPE,
        C::MissingApiKey
        | C::InvalidApiKey
        | C::Forbidden
        | C::UnsupportedMediaType
        | C::PayloadTooLarge
        | C::RouteNotFound
        | C::MethodNotAllowed
        | C::AccountNotFound
        | C::ChannelNotFound
        | C::ApiKeyNotFound
        | C::MessageNotFound
        | C::SubscriptionNotFound
        | C::DeliveryNotFound
        | C::TemplateNotFound
        | C::MediaNotFound
        | C::MediaUrlExpired
        | C::PayloadFormatNotFound
        | C::ContactNotFound
        | C::TagNotFound
        | C::ImportNotFound
        | C::CampaignNotFound
        | C::CampaignExists
        | C::CampaignState
        | C::CampaignUnfunded
        | C::ImportInProgress
        | C::ContactBlocked
        | C::ContactExists
        | C::TagExists
        | C::QrCodeNotFound
        | C::FlowNotFound
        | C::FlowNameTaken
        | C::FlowUpdateRefused
        | C::FlowPublishRefused
        | C::FlowDeprecateRefused
        | C::FlowDeleteRefused
        | C::FlowUrlExpired
        | C::CatalogNotFound
        | C::ProductNotFound
        | C::ProductRetailerIdTaken
        | C::CatalogLinked
        | C::GroupNotFound
        | C::GroupCreateLimitReached
        | C::GroupParticipantOverlimit
        | C::GroupDuplicateParticipant
        | C::GroupParticipantNotFound
        | C::GroupSingleMember
        | C::GroupSuspended
        | C::GroupInviteLinkInvalid
        | C::JoinRequestNotFound
        | C::WebhookVerificationFailed
        | C::WebhookSignatureInvalid
        | C::TemplateQuotaExceeded
        | C::TemplateNotApproved
        | C::TemplatePaused
        | C::TemplateDisabled
        | C::MediaTypeNotSupported
        | C::MediaTooLarge
        | C::PhoneNumberIdTaken
        | C::InsufficientBalance
        | C::QuotaExpired
        | C::DailyLimitReached
        | C::ChargeNotFound
        | C::CurrencyMismatch
        | C::WalletInUse
        | C::OutsideServiceWindow
        | C::PhoneNumberNotRegistered
        | C::RegistrationRateLimited
        | C::TwoStepPinMismatch
        | C::PhoneNumberNotVerified
        | C::VerificationCodeRequestRefused
        | C::VerificationCodeIncorrect
        | C::VerificationCodeNotFound
        | C::KeyRateLimited
        | C::AccountRateLimited
        | C::IdempotencyKeyInvalid
        | C::IdempotencyKeyReused
        | C::IdempotencyKeyInProgress
        | C::NotReady
        | C::Internal => err.code.http_status(),
    }
}

/// A bad parameter: 602 for a phone number, 604 for the message type, 603 for a value
/// over its length, else 601.
fn parameter_code(err: &ApiError) -> u16 {
    let field = err.field.as_deref().unwrap_or_default();
    let leaf = field.rsplit('.').next().unwrap_or(field);
    if PHONE_FIELDS.contains(&leaf) {
        INVALID_PHONE
    } else if field == "type" {
        INVALID_TYPE
    } else if (err.code == ErrorCode::InvalidParameterValue && err.message.contains("at most"))
        || err
            .graph
            .as_ref()
            .is_some_and(|g| g.0.subcode == Some(CHARACTER_LIMIT))
    {
        TOO_LONG
    } else {
        INVALID_PARAMETER
    }
}

impl ErrorFormat for ProjectErrors {
    fn status(&self, err: &ApiError) -> u16 {
        err.code.http_status()
    }

    fn body(&self, err: &ApiError, req: &RequestInfo) -> Value {
        let mut e = Map::new();
        e.insert("status".into(), json!("failure"));
        e.insert("code".into(), json!(code(err)));
        e.insert("error".into(), json!(err.code.name()));
        e.insert("message".into(), json!(err.message));
        if let Some(field) = &err.field {
            e.insert("field".into(), json!(field));
        }
        e.insert("request_id".into(), json!(req.request_id));
        Value::Object(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wagate_core::error::ValidationError;

    #[test]
    fn bad_parameters_get_the_seeds_codes() {
        let e = |v: ValidationError| code(&ApiError::from(v));
        assert_eq!(e(ValidationError::new("to", "is not a number")), 602);
        assert_eq!(
            e(ValidationError::missing("mobile_number", "is required")),
            602
        );
        assert_eq!(e(ValidationError::new("type", "`fax` is not a type")), 604);
        assert_eq!(
            e(ValidationError::out_of_range(
                "text.body",
                "must be at most 4096 characters"
            )),
            603
        );
        assert_eq!(e(ValidationError::missing("text.body", "is required")), 601);
        let not_found = ApiError::new(ErrorCode::MessageNotFound, "no such message");
        assert_eq!(code(&not_found), 404);
        assert_eq!(FORMAT.status(&not_found), 404);
    }
}
