//! Error rendering, once per surface. Handlers and extractors return one error type,
//! [`ApiError`] (a code from the one table in `wagate_core::error`); a surface's router is
//! wrapped in a middleware that finds it (or notices axum's own bare 404/405/413/415) and
//! writes it in that surface's [`ErrorFormat`]:
//!
//! - management ([`ManageErrors`]): `{"error":{"code":"invalid_request","message":…,"field":…,"request_id":…}}`
//! - Cloud/Graph ([`GraphErrors`]): `{"error":{"message":…,"type":"OAuthException","code":190,"fbtrace_id":…}}`
//!
//! The set is open: a provider dialect implements [`ErrorFormat`] in its own `errors.rs`
//! (mapping every [`ErrorCode`] with an exhaustive `match`, no catch-all arm, so a new code
//! cannot go unanswered) and wraps its routes with `render(&ITS_FORMAT, …)`. Every other
//! layer that answers before the renderer (the idempotency layer) writes through the same
//! format with [`error_response`].
//!
//! 5xx causes are logged here, once, and never sent.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use wagate_core::error::ErrorCode;

use crate::error::{ApiError, Rendered};

/// What an error's rendering may need from its request.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    /// The request's id (`x-request-id`), quoted back so a report can be traced.
    pub request_id: String,
    /// The method, lower-case (Graph names it in some messages).
    pub method: String,
    /// The path (a dialect's codes may depend on the endpoint).
    pub path: String,
}

impl RequestInfo {
    pub fn of(req: &Request) -> Self {
        Self {
            request_id: req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            method: req.method().as_str().to_ascii_lowercase(),
            path: req.uri().path().to_owned(),
        }
    }
}

/// How one surface writes an error: its HTTP status and its JSON body.
pub trait ErrorFormat: Send + Sync + 'static {
    fn status(&self, err: &ApiError) -> u16;
    fn body(&self, err: &ApiError, req: &RequestInfo) -> Value;
}

/// A surface's error format.
pub type Surface = &'static dyn ErrorFormat;

/// wagate's own management plane (`/api/v1`, the sandbox, the console's API).
pub struct ManageErrors;

impl ErrorFormat for ManageErrors {
    fn status(&self, err: &ApiError) -> u16 {
        err.code.http_status()
    }

    fn body(&self, err: &ApiError, req: &RequestInfo) -> Value {
        manage_body(err, &req.request_id)
    }
}

/// Meta's Graph API (the Cloud plane).
pub struct GraphErrors;

impl ErrorFormat for GraphErrors {
    fn status(&self, err: &ApiError) -> u16 {
        err.graph
            .as_ref()
            .map_or(err.code.graph().status, |g| g.0.status)
    }

    fn body(&self, err: &ApiError, req: &RequestInfo) -> Value {
        graph_body(err, &req.request_id, &req.method)
    }
}

pub const MANAGE: Surface = &ManageErrors;
pub const CLOUD: Surface = &GraphErrors;

pub async fn manage_errors(req: Request, next: Next) -> Response {
    render(MANAGE, req, next).await
}

pub async fn cloud_errors(req: Request, next: Next) -> Response {
    render(CLOUD, req, next).await
}

/// `err` as `surface` answers it. `close`: the request's body was left unread, so the
/// connection cannot be reused and the answer says so. 5xx causes are logged here.
pub fn error_response(
    surface: Surface,
    err: &ApiError,
    req: &RequestInfo,
    close: bool,
) -> Response {
    if let Some(cause) = &err.cause {
        tracing::error!(error.code = %err.code, error.cause_chain = ?cause, error.message = %cause, "request failed");
    }
    let mut out = (
        StatusCode::from_u16(surface.status(err)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        surface.body(err, req).to_string(),
    )
        .into_response();
    if close {
        out.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if let Some(secs) = err.retry_after_secs {
        out.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if matches!(
        err.code,
        ErrorCode::MissingApiKey | ErrorCode::InvalidApiKey
    ) {
        out.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    out
}

/// The renderer middleware of a surface (see the module docs).
pub async fn render(surface: Surface, req: Request, next: Next) -> Response {
    let info = RequestInfo::of(&req);
    // A refused request's body may be left unread (an auth or path error comes first); the
    // connection then cannot be reused, so the answer says so instead of the server
    // dropping it under a client that would send its next request there.
    let has_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() != "0")
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    let res = next.run(req).await;
    let err = match res.extensions().get::<Rendered>() {
        Some(Rendered(e)) => e.clone(),
        None if res.status() == StatusCode::NOT_FOUND => Arc::new(ApiError::new(
            ErrorCode::RouteNotFound,
            "no such endpoint; see /docs",
        )),
        None if res.status() == StatusCode::METHOD_NOT_ALLOWED => Arc::new(ApiError::new(
            ErrorCode::MethodNotAllowed,
            "this endpoint does not accept that method",
        )),
        // axum's own rejections (a body over the limit read as raw bytes, say) are plain
        // text: every error of a plane is in its own format.
        None if res.status() == StatusCode::PAYLOAD_TOO_LARGE => Arc::new(ApiError::new(
            ErrorCode::PayloadTooLarge,
            "the request body is too large",
        )),
        None if res.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE => Arc::new(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "this endpoint does not accept that content type",
        )),
        None if res.status().is_client_error() && !is_json(&res) => Arc::new(ApiError::new(
            ErrorCode::InvalidRequest,
            "the request could not be read",
        )),
        None => return res,
    };
    let mut out = error_response(surface, &err, &info, has_body);
    if let Some(allow) = res.headers().get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The management plane's envelope.
pub fn manage_body(err: &ApiError, request_id: &str) -> Value {
    let mut e = Map::new();
    e.insert("code".into(), json!(err.code.name()));
    e.insert("message".into(), json!(err.message));
    if let Some(field) = &err.field {
        e.insert("field".into(), json!(field));
    }
    e.insert("request_id".into(), json!(request_id));
    json!({ "error": e })
}

/// Graph's error object, as Meta's Cloud API answers.
pub fn graph_body(err: &ApiError, request_id: &str, method: &str) -> Value {
    let g = err.graph.as_ref().map_or(err.code.graph(), |g| g.0);
    let message = match err.code {
        ErrorCode::MissingApiKey => {
            "An active access token must be used to query information about the current user."
                .to_owned()
        }
        ErrorCode::InvalidApiKey => {
            "Invalid OAuth access token - Cannot parse access token".to_owned()
        }
        _ if g.subcode == Some(33) => format!(
            "Unsupported {method} request. Object with ID '{}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
            err.object_id.as_deref().unwrap_or("")
        ),
        _ => match (err.code.graph_title(), &err.field) {
            (Some(title), _) => format!("(#{}) {title}", g.code),
            (None, Some(field)) => format!("(#{}) {field}: {}", g.code, err.message),
            (None, None) => format!("(#{}) {}", g.code, err.message),
        },
    };
    let mut e = Map::new();
    e.insert("message".into(), json!(message));
    e.insert("type".into(), json!(g.kind.as_str()));
    e.insert("code".into(), json!(g.code));
    if let Some(sub) = g.subcode {
        e.insert("error_subcode".into(), json!(sub));
    }
    if let Some((_, title, msg)) = err.graph.as_deref() {
        e.insert("error_user_title".into(), json!(title));
        e.insert("error_user_msg".into(), json!(msg));
    }
    if g.code != 190 && g.subcode != Some(33) {
        e.insert(
            "error_data".into(),
            json!({ "messaging_product": "whatsapp", "details": err.message }),
        );
    }
    e.insert("fbtrace_id".into(), json!(request_id));
    json!({ "error": e })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code of the one error table, as each surface answers it (status and body), in
    /// one snapshot: a change to any answer shows up in review.
    #[test]
    fn every_error_code_on_every_surface() {
        let req = RequestInfo {
            request_id: "req-1".into(),
            method: "post".into(),
            path: "/compat/messagecentral/verification/v3/send".into(),
        };
        let surfaces: [(&str, Surface); 7] = [
            ("manage", MANAGE),
            ("cloud", CLOUD),
            ("redington", crate::dialects::redington::errors::FORMAT),
            (
                "messagecentral",
                crate::dialects::messagecentral::errors::FORMAT,
            ),
            ("httpapi", crate::dialects::httpapi::errors::FORMAT),
            ("woztell", crate::dialects::woztell::errors::FORMAT),
            ("1msg", crate::dialects::onemsg::errors::FORMAT),
        ];
        let mut all = Map::new();
        for code in ErrorCode::ALL {
            let err = ApiError::new(*code, "what went wrong").field("a_field");
            let mut answers = Map::new();
            for (name, surface) in surfaces {
                answers.insert(
                    name.into(),
                    json!({"status": surface.status(&err), "body": surface.body(&err, &req)}),
                );
            }
            all.insert(code.name().into(), Value::Object(answers));
        }
        assert_eq!(all.len(), ErrorCode::ALL.len(), "a code name is used twice");
        insta::assert_json_snapshot!(Value::Object(all));
    }

    #[test]
    fn graph_auth_error_is_code_190() {
        let e = ApiError::new(ErrorCode::InvalidApiKey, "x");
        let body = graph_body(&e, "req-1", "get");
        assert_eq!(
            body,
            json!({"error": {
                "message": "Invalid OAuth access token - Cannot parse access token",
                "type": "OAuthException", "code": 190, "fbtrace_id": "req-1"
            }})
        );
    }

    #[test]
    fn graph_unknown_object_is_100_33() {
        let e = ApiError::not_found(ErrorCode::ChannelNotFound, "phone number", "123");
        let body = graph_body(&e, "r", "post");
        assert_eq!(body["error"]["code"], 100);
        assert_eq!(body["error"]["error_subcode"], 33);
        assert_eq!(body["error"]["type"], "GraphMethodException");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Unsupported post request. Object with ID '123'")
        );
    }

    #[test]
    fn manage_envelope_names_the_field() {
        let e = ApiError::new(ErrorCode::InvalidRequest, "must not be empty").field("name");
        assert_eq!(
            manage_body(&e, "r"),
            json!({"error": {"code": "invalid_request", "message": "must not be empty", "field": "name", "request_id": "r"}})
        );
    }
}
