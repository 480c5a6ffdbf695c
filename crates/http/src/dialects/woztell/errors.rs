//! WOZTELL's answers are `{"ok": 1, …}`; the seed documents no error body, so wagate answers
//! every error in one shape:
//!
//! ```json
//! {"ok": 0, "error": {"code": "INVALID_PARAMETER", "message": "wabaId: is required",
//!  "type": "missing_parameter", "field": "wabaId", "requestId": "…"}}
//! ```
//!
//! `code` is one of a few stable names (below), `type` wagate's finer error name (the
//! management plane's), `field` the parameter at fault when there is one. The HTTP status is
//! the management plane's (400, 401, 403, 404, 409, 422, 429, 5xx).
//!
//! | code | when |
//! |---|---|
//! | `UNAUTHORIZED` | no `accessToken`, or not a live key (401) |
//! | `FORBIDDEN` | the key may not do this (a channel key writing the WABA's templates) |
//! | `INVALID_PARAMETER` | a malformed body, a missing, mistyped or invalid parameter, a media file refused |
//! | `NOT_FOUND` | an unknown or another account's channel, WABA, template, flow, catalog… |
//! | `REFUSED` | a valid request the rules refuse (a name taken, a template not editable, a flow not a draft) |
//! | `INSUFFICIENT_BALANCE` | the wallet cannot pay |
//! | `RATE_LIMITED` | too many requests, or the hourly template quota |
//! | `INTERNAL_ERROR` | wagate or Meta failed; retry |

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value, json};
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::render::{ErrorFormat, RequestInfo, render};

pub struct WoztellErrors;

pub const FORMAT: &WoztellErrors = &WoztellErrors;

/// The renderer middleware of the dialect's routes.
pub async fn errors(req: Request, next: Next) -> Response {
    render(FORMAT, req, next).await
}

/// The dialect's code for `err`.
pub fn code(err: &ApiError) -> &'static str {
    use ErrorCode as C;
    match err.code {
        C::MissingApiKey | C::InvalidApiKey => "UNAUTHORIZED",
        C::Forbidden => "FORBIDDEN",
        C::MalformedJson
        | C::InvalidRequest
        | C::InvalidQuery
        | C::MissingParameter
        | C::InvalidParameterValue
        | C::InvalidCursor
        | C::TemplateParamCountMismatch
        | C::TemplateParamFormatMismatch
        | C::TemplateParamInvalid
        | C::TemplateTextTooLong
        | C::MediaTypeMismatch
        | C::MediaEmpty
        | C::MediaUploadError
        | C::MediaTypeNotSupported
        | C::MediaTooLarge
        | C::UnsupportedMediaType
        | C::PayloadTooLarge
        | C::IdempotencyKeyInvalid
        | C::GroupMessageTypeUnsupported
        | C::GroupInviteLinkInvalid
        | C::VerificationCodeIncorrect
        | C::TwoStepPinMismatch
        | C::CurrencyMismatch => "INVALID_PARAMETER",
        C::RouteNotFound
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
        | C::QrCodeNotFound
        | C::FlowNotFound
        | C::FlowUrlExpired
        | C::CatalogNotFound
        | C::ProductNotFound
        | C::GroupNotFound
        | C::GroupParticipantNotFound
        | C::JoinRequestNotFound
        | C::ChargeNotFound
        | C::VerificationCodeNotFound => "NOT_FOUND",
        C::MethodNotAllowed
        | C::CampaignExists
        | C::CampaignState
        | C::ImportInProgress
        | C::ContactBlocked
        | C::ContactExists
        | C::TagExists
        | C::FlowNameTaken
        | C::FlowUpdateRefused
        | C::FlowPublishRefused
        | C::FlowDeprecateRefused
        | C::FlowDeleteRefused
        | C::ProductRetailerIdTaken
        | C::CatalogLinked
        | C::GroupCreateLimitReached
        | C::GroupParticipantOverlimit
        | C::GroupDuplicateParticipant
        | C::GroupSingleMember
        | C::GroupSuspended
        | C::WebhookVerificationFailed
        | C::WebhookSignatureInvalid
        | C::TemplateNotApproved
        | C::TemplatePaused
        | C::TemplateDisabled
        | C::PhoneNumberIdTaken
        | C::WalletInUse
        | C::OutsideServiceWindow
        | C::PhoneNumberNotRegistered
        | C::PhoneNumberNotVerified
        | C::VerificationCodeRequestRefused
        | C::IdempotencyKeyReused
        | C::IdempotencyKeyInProgress => "REFUSED",
        C::InsufficientBalance | C::QuotaExpired | C::DailyLimitReached | C::CampaignUnfunded => {
            "INSUFFICIENT_BALANCE"
        }
        C::KeyRateLimited
        | C::AccountRateLimited
        | C::TemplateQuotaExceeded
        | C::RegistrationRateLimited => "RATE_LIMITED",
        C::NotReady | C::Internal => "INTERNAL_ERROR",
    }
}

impl ErrorFormat for WoztellErrors {
    fn status(&self, err: &ApiError) -> u16 {
        err.code.http_status()
    }

    fn body(&self, err: &ApiError, req: &RequestInfo) -> Value {
        let mut e = Map::new();
        e.insert("code".into(), json!(code(err)));
        e.insert("message".into(), json!(err.message));
        e.insert("type".into(), json!(err.code.name()));
        if let Some(field) = &err.field {
            e.insert("field".into(), json!(field));
        }
        e.insert("requestId".into(), json!(req.request_id));
        json!({"ok": 0, "error": Value::Object(e)})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wagate_core::error::ValidationError;

    #[test]
    fn codes_and_statuses() {
        let e = ApiError::from(ValidationError::missing("wabaId", "is required"));
        assert_eq!(code(&e), "INVALID_PARAMETER");
        assert_eq!(FORMAT.status(&e), 400);
        let e = ApiError::new(ErrorCode::InvalidApiKey, "x");
        assert_eq!((code(&e), FORMAT.status(&e)), ("UNAUTHORIZED", 401));
        let e = ApiError::new(ErrorCode::TemplateNotFound, "x");
        assert_eq!((code(&e), FORMAT.status(&e)), ("NOT_FOUND", 404));
    }
}
