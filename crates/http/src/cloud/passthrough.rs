//! Middleware of the Cloud plane: a call about a cloud channel's phone number id or WABA id
//! goes to Meta as it is (see `wagate_app::upstream_proxy`), except sending and media,
//! which wagate does itself for every channel. Anything else (sandbox channels, unknown
//! ids, a key that may not use the channel, a bad key) goes on to wagate's own handlers,
//! which answer it as usual.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use wagate_app::upstream_proxy::ProxyCall;
use wagate_core::channel::is_graph_version;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;

/// Edges wagate serves itself for cloud channels too.
const OWN_EDGES: &[&str] = &["messages", "media", "uploads"];

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
    if object.is_empty()
        || !object.bytes().all(|b| b.is_ascii_digit())
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
        Ok(Some(channel)) => channel,
        Ok(None) => return next.run(Request::from_parts(parts, body)).await,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Ok(body) = to_bytes(body, state.config.max_body_bytes.max(1)).await else {
        return ApiError::new(
            wagate_core::error::ErrorCode::PayloadTooLarge,
            "the request body is too large",
        )
        .into_response();
    };
    let rest = match &version {
        Some(v) => path[v.len() + 1..].to_owned(),
        None => path.clone(),
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
    let call = ProxyCall {
        method: parts.method.clone(),
        version,
        path: rest,
        query,
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: body.to_vec(),
    };
    match state.app.forward_to_meta(&channel, call).await {
        Ok(answer) => {
            let mut res = Response::new(Body::from(answer.body));
            *res.status_mut() =
                StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
            if let Some(ct) = answer
                .content_type
                .and_then(|ct| HeaderValue::from_str(&ct).ok())
            {
                res.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            res
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::plain_segment;

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
