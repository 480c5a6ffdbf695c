//! The HTTP API's envelope, for errors as for success:
//!
//! ```json
//! {"status": "error", "message": "13-Parameter required",
//!  "request": {"message": ["hello"], "phone": ["9193…"], "token": ["wg_live_…***"]},
//!  "responsetime": 0.00049408, "error": "missing_parameter", "detail": "…", "field": "phone"}
//! ```
//!
//! `message` is the seed's `NN-Text` (§9, codes 00–15) where one fits, else a plain
//! sentence as the seed's own `invalid object id` (a wrong token, HTTP 401) and
//! `please check request required …` are; `request` echoes the parameters the call was
//! sent (query and form merged, Go's `url.Values`; the token cut to its prefix);
//! `responsetime` is the seconds the call took. `error`, `detail` and `field` are wagate's
//! additions: the stable error name, what exactly, and the parameter at fault. The
//! middleware [`errors`] adds `request` and `responsetime` to every answer of the dialect.

use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::render::{ErrorFormat, RequestInfo, error_response, render};

pub struct HttpApiErrors;

pub const FORMAT: &HttpApiErrors = &HttpApiErrors;

/// The largest urlencoded body read (the parameters of a send).
const MAX_FORM_BYTES: usize = 256 * 1024;

/// The seed's texts (§9).
pub const NOT_CONNECTED: &str =
    "04-Phone number not registered on whatsapp or your instance not connected";
pub const DATA_NOT_FOUND: &str = "14-Data not found";

/// The seed's HTTP status and `message` for `err`.
pub fn code(err: &ApiError) -> (u16, String) {
    use ErrorCode as C;
    let field = err.field.as_deref().unwrap_or_default();
    let seed = |status: u16, text: &str| (status, text.to_owned());
    match err.code {
        C::MissingApiKey | C::InvalidApiKey => seed(401, "invalid object id"),
        C::Forbidden => seed(403, "01-Access token failed"),
        C::AccountNotFound => seed(404, "02-Client id not found"),
        C::ChannelNotFound => seed(404, "03-Instance id not found"),
        C::PhoneNumberNotRegistered | C::PhoneNumberNotVerified => seed(400, NOT_CONNECTED),
        C::QuotaExpired => seed(400, "05-Quota expiry"),
        C::InsufficientBalance | C::CampaignUnfunded => seed(400, "06-Not enough quota"),
        C::DailyLimitReached => seed(400, "07-Quota limit"),
        C::MediaUploadError if field == "file" => seed(400, "08-Save file / document failed"),
        C::MediaUploadError => seed(400, "10-Download file failed"),
        C::MediaEmpty | C::MediaTooLarge | C::PayloadTooLarge if field == "link" => {
            seed(400, "10-Download file failed")
        }
        C::MediaEmpty | C::MediaTooLarge | C::PayloadTooLarge => {
            seed(400, "08-Save file / document failed")
        }
        C::MediaTypeMismatch | C::MediaTypeNotSupported | C::UnsupportedMediaType => {
            seed(400, "11-Unknown file type")
        }
        C::MissingParameter => seed(400, "13-Parameter required"),
        C::InvalidRequest | C::InvalidParameterValue if field == "link" => {
            seed(400, "09-Link not valid")
        }
        C::MalformedJson
        | C::InvalidRequest
        | C::InvalidQuery
        | C::InvalidParameterValue
        | C::InvalidCursor
        | C::TemplateParamFormatMismatch
        | C::TemplateParamInvalid
        | C::TemplateTextTooLong
        | C::TemplateParamCountMismatch
        | C::IdempotencyKeyInvalid => seed(400, "12-Parsing parameter failed"),
        C::MessageNotFound
        | C::MediaNotFound
        | C::ContactNotFound
        | C::GroupNotFound
        | C::RouteNotFound
        | C::ApiKeyNotFound
        | C::SubscriptionNotFound
        | C::DeliveryNotFound
        | C::MediaUrlExpired
        | C::PayloadFormatNotFound
        | C::TagNotFound
        | C::ImportNotFound
        | C::CampaignNotFound
        | C::QrCodeNotFound
        | C::FlowNotFound
        | C::CatalogNotFound
        | C::ProductNotFound
        | C::JoinRequestNotFound
        | C::ChargeNotFound
        | C::TemplateNotFound
        | C::GroupParticipantNotFound
        | C::VerificationCodeNotFound
        | C::FlowUrlExpired => seed(err.code.http_status(), DATA_NOT_FOUND),
        C::KeyRateLimited | C::AccountRateLimited | C::RegistrationRateLimited => (
            429,
            "too many requests; retry after the seconds in Retry-After".to_owned(),
        ),
        C::MethodNotAllowed
        | C::TemplateNotApproved
        | C::TemplatePaused
        | C::TemplateDisabled
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
        | C::GroupMessageTypeUnsupported
        | C::GroupInviteLinkInvalid
        | C::WebhookVerificationFailed
        | C::WebhookSignatureInvalid
        | C::TemplateQuotaExceeded
        | C::PhoneNumberIdTaken
        | C::CurrencyMismatch
        | C::WalletInUse
        | C::OutsideServiceWindow
        | C::TwoStepPinMismatch
        | C::VerificationCodeRequestRefused
        | C::VerificationCodeIncorrect
        | C::IdempotencyKeyReused
        | C::IdempotencyKeyInProgress
        | C::NotReady
        | C::Internal => (err.code.http_status(), err.message.clone()),
    }
}

impl ErrorFormat for HttpApiErrors {
    fn status(&self, err: &ApiError) -> u16 {
        code(err).0
    }

    fn body(&self, err: &ApiError, _req: &RequestInfo) -> Value {
        let (_, message) = code(err);
        let mut body = json!({
            "status": "error",
            "message": message,
            "error": err.code.name(),
            "detail": err.message,
        });
        if let Some(field) = &err.field {
            body["field"] = json!(field);
        }
        body
    }
}

/// The dialect's answers: errors in [`FORMAT`], then `request` (on a refused call's 400)
/// and `responsetime` on every JSON answer.
pub async fn errors(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let info = RequestInfo::of(&req);
    let (req, echo) = match echo_of(req).await {
        Ok(read) => read,
        Err(e) => return finish(error_response(FORMAT, &e, &info, false), None, started).await,
    };
    let res = render(FORMAT, req, next).await;
    finish(res, Some(echo), started).await
}

/// The request's parameters as Go's `url.Values` (`{"phone": ["91…"]}`): the query's and,
/// for a urlencoded body, the form's (read here and handed on).
async fn echo_of(req: Request) -> Result<(Request, Map<String, Value>), ApiError> {
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let req = if super::call::is_form(req.headers()) {
        let (parts, body) = req.into_parts();
        let bytes = to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, "the form is too large"))?;
        pairs.extend(form_urlencoded::parse(&bytes).map(|(k, v)| (k.into_owned(), v.into_owned())));
        Request::from_parts(parts, Body::from(bytes))
    } else {
        req
    };
    let mut echo = Map::new();
    for (k, v) in pairs {
        let v = if k == "token" { masked(&v) } else { v };
        match echo.entry(k).or_insert_with(|| json!([])) {
            Value::Array(values) => values.push(Value::String(v)),
            _ => unreachable!("only arrays are inserted"),
        }
    }
    Ok((req, echo))
}

/// A credential in an echo: its first characters only.
fn masked(token: &str) -> String {
    let prefix: String = token.chars().take(12).collect();
    format!("{prefix}***")
}

async fn finish(res: Response, echo: Option<Map<String, Value>>, started: Instant) -> Response {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(Value::Object(mut answer)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if parts.status == StatusCode::BAD_REQUEST
        && answer.get("status").and_then(Value::as_str) == Some("error")
        && let Some(echo) = echo.filter(|e| !e.is_empty())
    {
        answer.insert("request".into(), Value::Object(echo));
    }
    answer.insert(
        "responsetime".into(),
        json!(started.elapsed().as_secs_f64()),
    );
    let out = Value::Object(answer).to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(out))
}
