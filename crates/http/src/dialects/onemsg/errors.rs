//! 1MSG's error body. The seed documents no error shape (only the success ones: `{sent:
//! true, …}` for sends, `{result: "success"}` elsewhere); wagate answers every error in one
//! JSON shape, in the style of 1MSG's (Chat-API's) `{"error": "…"}`:
//!
//! ```json
//! {"error": "chatId: is not a WhatsApp chat id", "kind": "invalid",
//!  "code": "invalid_parameter_value", "field": "chatId", "request_id": "…"}
//! ```
//!
//! `error` is the human message (what 1MSG's clients print); `kind` one of `auth`,
//! `not_found`, `invalid`, `refused`, `limit`, `server` (what a program branches on first);
//! `code` wagate's stable error name; `field` the parameter at fault when there is one. A
//! refused send (`kind: "refused"`) also carries `"sent": false`, as 1MSG's send answers do.
//! The HTTP status is the management plane's.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value, json};
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::render::{ErrorFormat, RequestInfo, render};

pub struct OneMsgErrors;

pub const FORMAT: &OneMsgErrors = &OneMsgErrors;

/// The renderer middleware of the dialect's routes.
pub async fn errors(req: Request, next: Next) -> Response {
    render(FORMAT, req, next).await
}

/// What kind of failure `code` is, for a client to branch on.
pub fn kind(code: ErrorCode) -> &'static str {
    use ErrorCode as C;
    match code {
        C::MissingApiKey | C::InvalidApiKey | C::Forbidden => "auth",
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
        | C::CatalogNotFound
        | C::ProductNotFound
        | C::GroupNotFound
        | C::GroupParticipantNotFound
        | C::JoinRequestNotFound
        | C::ChargeNotFound
        | C::VerificationCodeNotFound => "not_found",
        C::MalformedJson
        | C::InvalidRequest
        | C::InvalidQuery
        | C::MissingParameter
        | C::InvalidParameterValue
        | C::InvalidCursor
        | C::MethodNotAllowed
        | C::UnsupportedMediaType
        | C::PayloadTooLarge
        | C::TemplateParamCountMismatch
        | C::TemplateParamFormatMismatch
        | C::TemplateParamInvalid
        | C::TemplateTextTooLong
        | C::MediaTypeMismatch
        | C::MediaEmpty
        | C::MediaUploadError
        | C::MediaTypeNotSupported
        | C::MediaTooLarge
        | C::GroupMessageTypeUnsupported
        | C::IdempotencyKeyInvalid
        | C::IdempotencyKeyReused
        | C::WebhookVerificationFailed
        | C::WebhookSignatureInvalid
        | C::FlowUrlExpired
        | C::GroupInviteLinkInvalid
        | C::GroupDuplicateParticipant
        | C::GroupSingleMember
        | C::VerificationCodeIncorrect
        | C::TwoStepPinMismatch
        | C::CurrencyMismatch => "invalid",
        C::ContactBlocked
        | C::OutsideServiceWindow
        | C::TemplateNotApproved
        | C::TemplatePaused
        | C::TemplateDisabled
        | C::InsufficientBalance
        | C::QuotaExpired
        | C::PhoneNumberNotRegistered
        | C::PhoneNumberNotVerified
        | C::GroupSuspended
        | C::CampaignExists
        | C::CampaignState
        | C::CampaignUnfunded
        | C::ImportInProgress
        | C::ContactExists
        | C::TagExists
        | C::FlowNameTaken
        | C::FlowUpdateRefused
        | C::FlowPublishRefused
        | C::FlowDeprecateRefused
        | C::FlowDeleteRefused
        | C::ProductRetailerIdTaken
        | C::CatalogLinked
        | C::PhoneNumberIdTaken
        | C::WalletInUse
        | C::VerificationCodeRequestRefused
        | C::IdempotencyKeyInProgress => "refused",
        C::KeyRateLimited
        | C::AccountRateLimited
        | C::DailyLimitReached
        | C::TemplateQuotaExceeded
        | C::RegistrationRateLimited
        | C::GroupCreateLimitReached
        | C::GroupParticipantOverlimit => "limit",
        C::NotReady | C::Internal => "server",
    }
}

impl ErrorFormat for OneMsgErrors {
    fn status(&self, err: &ApiError) -> u16 {
        err.code.http_status()
    }

    fn body(&self, err: &ApiError, req: &RequestInfo) -> Value {
        let kind = kind(err.code);
        let mut e = Map::new();
        if kind == "refused"
            && req
                .path
                .rsplit('/')
                .next()
                .is_some_and(|m| m.starts_with("send"))
        {
            e.insert("sent".into(), json!(false));
        }
        e.insert("error".into(), json!(err.message));
        e.insert("kind".into(), json!(kind));
        e.insert("code".into(), json!(err.code.name()));
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

    #[test]
    fn a_refused_send_says_not_sent() {
        let req = |path: &str| RequestInfo {
            request_id: "r".into(),
            method: "post".into(),
            path: path.into(),
        };
        let e = ApiError::new(ErrorCode::OutsideServiceWindow, "closed");
        let body = FORMAT.body(&e, &req("/compat/1msg/123/sendMessage"));
        assert_eq!(body["sent"], false);
        assert_eq!(body["kind"], "refused");
        let body = FORMAT.body(&e, &req("/compat/1msg/123/settings"));
        assert_eq!(body.get("sent"), None);
        let e = ApiError::new(ErrorCode::InvalidApiKey, "bad");
        assert_eq!(FORMAT.status(&e), 401);
        assert_eq!(FORMAT.body(&e, &req("/x"))["kind"], "auth");
    }
}
