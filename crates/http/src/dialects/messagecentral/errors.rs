//! Message Central's envelope for errors, the same as for success:
//!
//! ```json
//! {"responseCode": 801, "message": "Invalid sender",
//!  "data": {"error": "channel_not_found", "detail": "sender `9199…` does not exist",
//!           "field": "senderId", "requestId": "…"}}
//! ```
//!
//! `responseCode` is the seed's code (800–830) where one fits, else the HTTP status;
//! `message` the seed's text for it; `data` says what exactly, with wagate's stable error
//! name. The HTTP status is the management plane's. Which code depends on the call (the
//! template-status call answers 816/817 where a send answers 802; a template's creation
//! has its own 810–815 and 826–827), so the method and path decide.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::render::{ErrorFormat, RequestInfo, render};

pub struct EnvelopeErrors;

pub const FORMAT: &EnvelopeErrors = &EnvelopeErrors;

pub async fn errors(req: Request, next: Next) -> Response {
    render(FORMAT, req, next).await
}

/// Which call an error answers: its codes differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    TemplateCreate,
    TemplateStatus,
    Other,
}

impl Call {
    pub fn of(method: &str, path: &str) -> Call {
        match (method, path.ends_with("/verification/v3/template")) {
            ("post", true) => Call::TemplateCreate,
            (_, true) => Call::TemplateStatus,
            _ => Call::Other,
        }
    }
}

/// The seed's code and text for `err` in answer to `call`.
pub fn code(err: &ApiError, call: Call) -> (u16, &'static str) {
    use ErrorCode as C;
    let field = err.field.as_deref().unwrap_or_default();
    let status_call = call == Call::TemplateStatus;
    match err.code {
        C::MissingApiKey | C::InvalidApiKey | C::Forbidden => (800, "Invalid Auth"),
        C::ChannelNotFound => (801, "Invalid sender"),
        // An unknown template id is Graph's "unsupported get request", passed through as 800.
        C::TemplateNotFound if status_call && err.object_id.is_some() => (800, "Failed"),
        C::TemplateNotFound | C::TemplateNotApproved | C::TemplatePaused | C::TemplateDisabled
            if status_call =>
        {
            (816, "Provide a correct template name")
        }
        C::TemplateNotFound | C::TemplateNotApproved | C::TemplatePaused | C::TemplateDisabled => {
            (802, "Invalid Template")
        }
        C::TemplateParamCountMismatch => (804, "Number of parameters doesn't match"),
        C::InsufficientBalance | C::QuotaExpired | C::DailyLimitReached | C::CampaignUnfunded => {
            (805, "insufficient credits")
        }
        C::MalformedJson
        | C::InvalidRequest
        | C::InvalidQuery
        | C::MissingParameter
        | C::InvalidParameterValue
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
        | C::InvalidCursor => parameter_code(err.code, field, call),
        C::RouteNotFound
        | C::MethodNotAllowed
        | C::AccountNotFound
        | C::ApiKeyNotFound
        | C::MessageNotFound
        | C::SubscriptionNotFound
        | C::DeliveryNotFound
        | C::MediaNotFound
        | C::MediaUrlExpired
        | C::PayloadFormatNotFound
        | C::ContactNotFound
        | C::TagNotFound
        | C::ImportNotFound
        | C::CampaignNotFound
        | C::CampaignExists
        | C::CampaignState
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
        | C::GroupMessageTypeUnsupported
        | C::GroupInviteLinkInvalid
        | C::JoinRequestNotFound
        | C::WebhookVerificationFailed
        | C::WebhookSignatureInvalid
        | C::TemplateQuotaExceeded
        | C::PhoneNumberIdTaken
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
        | C::Internal => (err.code.http_status(), "Failed"),
    }
}

/// A bad parameter, by the field at fault.
fn parameter_code(code: ErrorCode, field: &str, call: Call) -> (u16, &'static str) {
    let missing = code == ErrorCode::MissingParameter;
    if call == Call::TemplateCreate {
        return match field {
            "phoneNumber" => (801, "Invalid sender"),
            "name" | "category" | "language" | "headerFormat" | "body" if missing => (
                810,
                "Required Parameter is missing. Template name, type, category and language are required",
            ),
            "headerFormat" => (811, "Invalid header_format"),
            "file" if missing => (814, "File is mandatory if header_format is media type"),
            "file" => (812, "File is not allowed in header_format TEXT"),
            "header" if missing => (813, "Header is mandatory if header_format is TEXT"),
            "header" => (815, "Header is not allowed if header_format is file type"),
            "bodyValue" if missing => (826, "Variable template but missing bodyValues field"),
            "bodyValue" => (
                827,
                "bodyValue does not match with number of placeholders/variables used in body",
            ),
            _ => (800, "Invalid parameter"),
        };
    }
    match field {
        "senderId" | "phoneNumber" => (801, "Invalid sender"),
        "templateName" | "templateId" | "templateLang" if call == Call::TemplateStatus => (
            817,
            "Required parameter is missing. Template id and Template name are required",
        ),
        "templateName" | "langId" => (802, "Invalid Template"),
        "file" if code == ErrorCode::MissingParameter => (803, "Contact list not found."),
        f if f.starts_with("file") || f.starts_with("row") => {
            (804, "Number of parameters doesn't match")
        }
        "variables" | "ctaVariables" => (804, "Number of parameters doesn't match"),
        "mobileNumber" | "countryCode" => (829, "mobileNumber is required"),
        "message" => (830, "message is required"),
        _ => (800, "Invalid parameter"),
    }
}

impl ErrorFormat for EnvelopeErrors {
    fn status(&self, err: &ApiError) -> u16 {
        err.code.http_status()
    }

    fn body(&self, err: &ApiError, req: &RequestInfo) -> Value {
        let (code, text) = code(err, Call::of(&req.method, &req.path));
        json!({
            "responseCode": code,
            "message": text,
            "data": {
                "error": err.code.name(),
                "detail": err.message,
                "field": err.field,
                "requestId": req.request_id,
            },
        })
    }
}
