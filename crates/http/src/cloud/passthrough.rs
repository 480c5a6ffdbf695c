//! Middleware of the Cloud plane: a call about a cloud channel's phone number id or WABA id
//! goes to Meta as it is (see `wagate_app::upstream::proxy`), except sending and media,
//! which wagate does itself for every channel. A call about an object by its id alone
//! (`/{template_id}`) that wagate's handlers answer "unknown object" goes to Meta for the
//! caller's cloud WABAs. Anything else (sandbox channels, a key that may not use the
//! channel, a bad key) goes on to wagate's own handlers, which answer it as usual.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use wagate_app::upstream::proxy::ProxyCall;
use wagate_core::channel::is_graph_version;
use wagate_core::error::GraphError;

use crate::auth::Auth;
use crate::error::{ApiError, Rendered};
use crate::state::AppState;

/// Edges wagate serves itself for cloud channels too (`whatsapp_business_encryption` goes
/// to Meta from its handler, which also keeps the key: see `cloud::encryption`).
const OWN_EDGES: &[&str] = &[
    "messages",
    "media",
    "uploads",
    "whatsapp_business_encryption",
];

/// Edges of objects known by their id alone (a flow's assets, a catalog's products), asked
/// of Meta for the caller's cloud WABAs like `/{id}` once wagate has said it does not know
/// the object.
const OBJECT_EDGES: &[&str] = &["assets", "publish", "deprecate", "products"];

/// A path segment passed on as it is: Graph's names and ids, never `.`/`..` or an escape
/// that could make Meta's URL reach another object with the channel's token.
fn plain_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment != "."
        && segment != ".."
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

pub async fn passthrough(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().trim_start_matches('/').to_owned();
    let mut segments = path.split('/');
    let first = segments.next().unwrap_or_default();
    let (version, object) = if is_graph_version(first) {
        (Some(first.to_owned()), segments.next().unwrap_or_default())
    } else {
        (None, first)
    };
    let edge = segments.next();
    // A group id (`/{group_id}` and its edges) may be a cloud number's group at Meta.
    let group = wagate_core::group::GroupId::looks_like(object);
    if object.is_empty()
        || !(group || object.bytes().all(|b| b.is_ascii_digit()))
        || edge.is_some_and(|e| OWN_EDGES.contains(&e))
        || !path.trim_end_matches('/').split('/').all(plain_segment)
    {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let Ok(Auth(principal)) =
        <Auth as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state)
            .await
    else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let channel = match state.app.cloud_object(&principal, object).await {
        Ok(channel) => channel,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let owners = match &channel {
        Some(c) => vec![c.clone()],
        // `/{id}` alone: maybe an object of a cloud WABA (a template), once wagate has said
        // it does not know it.
        None if edge.is_none_or(|e| OBJECT_EDGES.contains(&e)) || group => {
            match state.app.cloud_wabas(&principal).await {
                Ok(owners) => owners,
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
        None => Vec::new(),
    };
    if owners.is_empty() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let Ok(body) = to_bytes(body, state.config.max_body_bytes.max(1)).await else {
        return ApiError::new(
            wagate_core::error::ErrorCode::PayloadTooLarge,
            "the request body is too large",
        )
        .into_response();
    };
    // wagate's own answer first when the object may be wagate's.
    let mut local = None;
    if channel.is_none() {
        let res = next
            .run(Request::from_parts(parts.clone(), Body::from(body.clone())))
            .await;
        // wagate's errors are rendered further out (`render::cloud_errors`); here they
        // are still the error itself.
        let unknown = res
            .extensions()
            .get::<Rendered>()
            .is_some_and(|Rendered(e)| is_unknown_object(e.code.graph()));
        if !unknown {
            return res;
        }
        local = Some(res);
    }
    let call = proxy_call(&parts, &path, version, body.to_vec());
    let mut answer = None;
    for owner in &owners {
        match state.app.forward_to_meta(owner, call.clone()).await {
            Ok(a) => {
                let done = !unknown_object(a.status, &a.body);
                answer = Some(a);
                if done {
                    break;
                }
            }
            // Meta could not be asked about an object wagate does not know: wagate's
            // "unknown object" stands, rather than an outage the caller did not ask about.
            Err(_) if local.is_some() => continue,
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    let answer = match (answer, local) {
        (Some(answer), _) => answer,
        (None, Some(local)) => return local,
        (None, None) => {
            return ApiError::new(
                wagate_core::error::ErrorCode::NotReady,
                "Meta's Graph API could not be reached; try again",
            )
            .into_response();
        }
    };
    let mut res = Response::new(Body::from(answer.body));
    *res.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    if let Some(ct) = answer
        .content_type
        .and_then(|ct| HeaderValue::from_str(&ct).ok())
    {
        res.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    res
}

/// The call as Meta gets it: the path after the version, the query without the caller's
/// `access_token` (a wagate key, not Meta's).
fn proxy_call(
    parts: &axum::http::request::Parts,
    path: &str,
    version: Option<String>,
    body: Vec<u8>,
) -> ProxyCall {
    let rest = match &version {
        Some(v) => path[v.len() + 1..].to_owned(),
        None => path.to_owned(),
    };
    let query = parts.uri.query().map(|q| {
        form_urlencoded::parse(q.as_bytes())
            .filter(|(k, _)| k != "access_token")
            .fold(
                form_urlencoded::Serializer::new(String::new()),
                |mut s, (k, v)| {
                    s.append_pair(&k, &v);
                    s
                },
            )
            .finish()
    });
    ProxyCall {
        method: parts.method.clone(),
        version,
        path: rest,
        query,
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
    }
}

/// Graph's "Unsupported request: object … does not exist, cannot be loaded due to missing
/// permissions, or does not support this operation" (code 100, subcode 33).
fn is_unknown_object(e: GraphError) -> bool {
    (e.code == 100 && e.subcode == Some(33)) || e.code == GROUP_UNKNOWN
}

/// Meta's "Group unknown": a group id no WABA tried so far knows.
const GROUP_UNKNOWN: u32 = 131041;

/// Whether Meta answered [`is_unknown_object`].
fn unknown_object(status: u16, body: &[u8]) -> bool {
    if !(400..500).contains(&status) {
        return false;
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    let number = |p: &str| v.pointer(p).and_then(serde_json::Value::as_u64);
    (number("/error/code") == Some(100) && number("/error/error_subcode") == Some(33))
        || number("/error/code") == Some(u64::from(GROUP_UNKNOWN))
}

#[cfg(test)]
mod tests {
    use super::{is_unknown_object, plain_segment, unknown_object};
    use wagate_core::error::ErrorCode;

    #[test]
    fn unknown_objects_are_graphs_code_100_subcode_33() {
        let unknown = br#"{"error": {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100, "error_subcode": 33}}"#;
        assert!(unknown_object(400, unknown));
        assert!(!unknown_object(200, unknown));
        let other = br#"{"error": {"message": "Invalid parameter", "code": 100}}"#;
        assert!(!unknown_object(400, other));
        assert!(!unknown_object(400, b"not json"));
        assert!(is_unknown_object(ErrorCode::TemplateNotFound.graph()));
        assert!(is_unknown_object(ErrorCode::MediaNotFound.graph()));
        assert!(!is_unknown_object(ErrorCode::RouteNotFound.graph()));
    }

    #[test]
    fn only_plain_segments_are_passed_on() {
        for ok in [
            "v23.0",
            "106540352242922",
            "message_templates",
            "whatsapp_business_profile",
        ] {
            assert!(plain_segment(ok), "{ok}");
        }
        for bad in ["", ".", "..", "%2e%2e", "a%2Fb", "a b", "x?y", "über"] {
            assert!(!plain_segment(bad), "{bad:?}");
        }
    }
}
