//! `Idempotency-Key` on every POST of every plane, in one middleware (Stripe's semantics).
//!
//! A POST without the header passes straight through: the key table is never touched. With
//! it, after authenticating the caller (a request that fails authentication passes through,
//! and the handler refuses it as usual):
//!
//! 1. The body is read (up to [`MAX_BODY`]; past [`IN_MEMORY`] it is spooled to a temporary
//!    file in the data directory) and digested with the method, path and query (without
//!    `access_token`) into a `RequestHash`. A `multipart/form-data` body is digested part by
//!    part (name, file name, content type, bytes), so a client that rebuilds the same form
//!    with a new boundary is retrying, not reusing the key.
//! 2. The key is reserved in the store, scoped by account and API key (see
//!    `wagate_app::platform::idempotency`). The same request finished before → its stored
//!    answer is replayed (status, content type and body, byte for byte) with
//!    `Idempotent-Replayed: true`; the same key running now → `idempotency_key_in_progress`
//!    (409); the key used for another request → `idempotency_key_reused` (422).
//! 3. Otherwise the request runs — in its own task, so a client that hangs up or a timeout
//!    does not cancel it half-way — and its answer is stored before it is sent. A 5xx answer
//!    is not stored: the key is released so a retry runs again. 4xx answers are stored, as
//!    Stripe does.
//!
//! `wagate_idempotent_requests_total{outcome}` counts requests with a key: `run`, `replayed`,
//! `in_progress`, `reused`, `error`.
//!
//! This layer sits outside the plane's error renderer, so what it stores is the rendered
//! body; its own refusals are rendered here with the plane's body functions.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tracing::Instrument;
use wagate_app::platform::idempotency::Begun;
use wagate_core::error::ErrorCode;
use wagate_core::idempotency::{IdempotencyKey, RequestHash, RequestHasher};
use wagate_store::idempotency::StoredAnswer;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::render::{CLOUD, MANAGE, RequestInfo, Surface, error_response};
use crate::state::AppState;

/// The request header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Set to `true` on an answer replayed from the store.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Bodies up to this size are held in memory; larger ones go to a temporary file.
const IN_MEMORY: usize = 1024 * 1024;
/// The largest body of a request with an idempotency key (above the largest media upload).
pub const MAX_BODY: u64 = 128 * 1024 * 1024;
/// The largest answer stored (creating POSTs answer small JSON documents).
const MAX_ANSWER: usize = 16 * 1024 * 1024;
/// How long past the request timeout a running request holds its key before a retry may
/// take it over (its node died).
const LEASE_SLACK: Duration = Duration::from_secs(30);

pub async fn cloud(state: State<AppState>, req: Request, next: Next) -> Response {
    run(CLOUD, state, req, next).await
}

pub async fn manage(state: State<AppState>, req: Request, next: Next) -> Response {
    run(MANAGE, state, req, next).await
}

async fn run(
    surface: Surface,
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get(&IDEMPOTENCY_KEY) else {
        return next.run(req).await;
    };
    let refusal = Refusal::of(surface, &req);
    let key = match raw
        .to_str()
        .map_err(|_| "must be visible ASCII characters (a UUID is a good key)".to_owned())
        .and_then(|s| IdempotencyKey::parse(s).map_err(|e| e.message))
    {
        Ok(key) => key,
        Err(message) => {
            return refusal.send(
                ApiError::new(
                    ErrorCode::IdempotencyKeyInvalid,
                    format!("the Idempotency-Key header {message}"),
                )
                .field("Idempotency-Key"),
                true,
            );
        }
    };
    let (mut parts, body) = req.into_parts();
    let Ok(Auth(principal)) = Auth::from_request_parts(&mut parts, &state).await else {
        // The handler's own `Auth` refuses it, as without the header.
        return next.run(Request::from_parts(parts, body)).await;
    };
    let spool = match Spool::read(body, &state.config.data_dir).await {
        Ok(s) => s,
        Err(e) => return refusal.send(e, false),
    };
    let hash = match digest(&parts, &spool).await {
        Ok(h) => h,
        Err(e) => return refusal.send(ApiError::internal(e), false),
    };
    let lease = Duration::from_secs(state.config.request_timeout_secs) + LEASE_SLACK;
    let begun = state
        .app
        .begin_idempotent(&principal, key, hash, state.app.now(), lease)
        .await;
    let outcome = match &begun {
        Ok(Begun::Run(_)) => "run",
        Ok(Begun::Replay(_)) => "replayed",
        Ok(Begun::InProgress) => "in_progress",
        Ok(Begun::Mismatch) => "reused",
        Err(_) => "error",
    };
    metrics::counter!("wagate_idempotent_requests_total", "outcome" => outcome).increment(1);
    let held = match begun {
        Ok(Begun::Run(held)) => held,
        Ok(Begun::Replay(answer)) => return replay(answer),
        Ok(Begun::InProgress) => {
            return refusal.send(
                ApiError::new(
                    ErrorCode::IdempotencyKeyInProgress,
                    "a request with this Idempotency-Key is still being processed; retry in a moment to get its answer",
                ),
                false,
            );
        }
        Ok(Begun::Mismatch) => {
            return refusal.send(
                ApiError::new(
                    ErrorCode::IdempotencyKeyReused,
                    "this Idempotency-Key was already used for another request (another body or endpoint) in the last 24 hours; use a new key for a new request",
                ),
                false,
            );
        }
        Err(e) => return refusal.send(e.into(), false),
    };
    let body = match spool.body() {
        Ok(b) => b,
        Err(e) => {
            release(&held).await;
            return refusal.send(ApiError::internal(e), false);
        }
    };
    let req = Request::from_parts(parts, body);
    // Its own task: once the key is held, the request runs to its end and its answer is
    // stored even if the client hangs up or the timeout answers first.
    let task = tokio::spawn(
        async move {
            let res = next.run(req).await;
            if res.status().is_server_error() {
                release(&held).await;
                return res;
            }
            let (parts, body) = res.into_parts();
            let bytes = match axum::body::to_bytes(body, MAX_ANSWER).await {
                Ok(b) => b,
                Err(e) => {
                    release(&held).await;
                    return ApiError::internal(anyhow::anyhow!("reading the answer: {e}"))
                        .into_response();
                }
            };
            let answer = StoredAnswer {
                status: parts.status.as_u16(),
                content_type: parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                body: bytes.to_vec(),
            };
            match held.complete(answer).await {
                Ok(true) => {}
                Ok(false) => tracing::warn!("idempotency key taken over before its answer was stored"),
                Err(e) => tracing::error!(error.cause_chain = ?e, error.message = %e, "storing an idempotent answer failed"),
            }
            Response::from_parts(parts, Body::from(bytes))
        }
        .in_current_span(),
    );
    match task.await {
        Ok(res) => res,
        Err(e) => refusal.send(ApiError::internal(e), false),
    }
}

async fn release(held: &wagate_app::platform::idempotency::Held) {
    if let Err(e) = held.release().await {
        tracing::error!(error.cause_chain = ?e, error.message = %e, "releasing an idempotency key failed");
    }
}

/// A stored answer, as first sent.
fn replay(answer: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut res = (status, answer.body).into_response();
    let headers = res.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    if let Some(ct) = answer
        .content_type
        .and_then(|ct| HeaderValue::from_str(&ct).ok())
    {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    res
}

/// This layer's own refusals, in the plane's format (it sits outside the plane's renderer).
struct Refusal {
    surface: Surface,
    info: RequestInfo,
    has_body: bool,
}

impl Refusal {
    fn of(surface: Surface, req: &Request) -> Self {
        Self {
            surface,
            info: RequestInfo::of(req),
            has_body: req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim() != "0")
                || req.headers().contains_key(header::TRANSFER_ENCODING),
        }
    }

    /// `unread`: the body was left unread, so the connection cannot be reused.
    fn send(&self, err: ApiError, unread: bool) -> Response {
        error_response(self.surface, &err, &self.info, unread && self.has_body)
    }
}

/// A request body read whole, so it can be digested and then handed to the handler.
enum Spool {
    Memory(Bytes),
    File(tempfile::NamedTempFile),
}

impl Spool {
    async fn read(body: Body, dir: &std::path::Path) -> Result<Self, ApiError> {
        let unreadable = |_| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                "the request body could not be read",
            )
        };
        let failed = |e: std::io::Error| {
            ApiError::internal(anyhow::Error::new(e).context("spooling a request body"))
        };
        let mut stream = body.into_data_stream();
        let mut memory = Vec::new();
        let mut file: Option<(tempfile::NamedTempFile, tokio::fs::File)> = None;
        let mut len = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(unreadable)?;
            len += chunk.len() as u64;
            if len > MAX_BODY {
                return Err(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!(
                        "a request with an Idempotency-Key has a body of at most {MAX_BODY} bytes"
                    ),
                ));
            }
            if let Some((_, f)) = &mut file {
                f.write_all(&chunk).await.map_err(failed)?;
            } else if memory.len() + chunk.len() > IN_MEMORY {
                let named = tempfile::Builder::new()
                    .prefix(".idempotent-body-")
                    .tempfile_in(dir)
                    .map_err(failed)?;
                let mut f = tokio::fs::File::from_std(named.reopen().map_err(failed)?);
                f.write_all(&memory).await.map_err(failed)?;
                f.write_all(&chunk).await.map_err(failed)?;
                memory = Vec::new();
                file = Some((named, f));
            } else {
                memory.extend_from_slice(&chunk);
            }
        }
        Ok(match file {
            Some((named, mut f)) => {
                f.flush().await.map_err(failed)?;
                Spool::File(named)
            }
            None => Spool::Memory(Bytes::from(memory)),
        })
    }

    /// The body again, from the start (each call reads it anew).
    fn body(&self) -> std::io::Result<Body> {
        Ok(match self {
            Spool::Memory(b) => Body::from(b.clone()),
            Spool::File(named) => {
                let f = tokio::fs::File::from_std(named.reopen()?);
                Body::from_stream(tokio_util::io::ReaderStream::new(f))
            }
        })
    }
}

/// What the key is bound to: method, path, query without `access_token`, and the body (part
/// by part for a well-formed multipart form).
async fn digest(parts: &axum::http::request::Parts, spool: &Spool) -> anyhow::Result<RequestHash> {
    let query: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .filter(|(k, _)| k != "access_token")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let mut h = RequestHash::hasher()
        .part(parts.method.as_str().as_bytes())
        .part(parts.uri.path().as_bytes());
    for (k, v) in &query {
        h = h.part(k.as_bytes()).part(v.as_bytes());
    }
    let content_type = parts.headers.get(header::CONTENT_TYPE);
    let multipart = content_type.and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    });
    if let (true, Some(ct)) = (multipart, content_type)
        && let Some(done) = form_digest(h.clone(), ct.clone(), spool.body()?).await
    {
        return Ok(done);
    }
    let mut h = h.part(b"raw");
    let mut len = 0u64;
    let mut stream = spool.body()?.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        len += chunk.len() as u64;
        h.stream(&chunk);
    }
    Ok(h.end_stream(len).finish())
}

/// A multipart form's digest, part by part; `None` when it does not parse (the raw bytes
/// are digested instead, and the handler refuses the form).
async fn form_digest(
    h: RequestHasher,
    content_type: HeaderValue,
    body: Body,
) -> Option<RequestHash> {
    use tower::{Layer, ServiceExt};
    let req = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .ok()?;
    // The form is as large as the upload it carries: no body limit here (MAX_BODY held).
    let parse = DefaultBodyLimit::disable().layer(tower::service_fn(move |req: Request| {
        let mut h = h.clone().part(b"multipart");
        async move {
            let Ok(mut form) = Multipart::from_request(req, &()).await else {
                return Ok::<_, std::convert::Infallible>(None);
            };
            loop {
                match form.next_field().await {
                    Ok(Some(mut field)) => {
                        h = h
                            .part(field.name().unwrap_or_default().as_bytes())
                            .part(field.file_name().unwrap_or_default().as_bytes())
                            .part(field.content_type().unwrap_or_default().as_bytes());
                        let mut len = 0u64;
                        loop {
                            match field.chunk().await {
                                Ok(Some(chunk)) => {
                                    len += chunk.len() as u64;
                                    h.stream(&chunk);
                                }
                                Ok(None) => break,
                                Err(_) => return Ok(None),
                            }
                        }
                        h = h.end_stream(len);
                    }
                    Ok(None) => return Ok(Some(h.finish())),
                    Err(_) => return Ok(None),
                }
            }
        }
    }));
    parse.oneshot(req).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(surface: Surface) -> Refusal {
        Refusal {
            surface,
            info: RequestInfo {
                request_id: "req-1".into(),
                method: "post".into(),
                ..RequestInfo::default()
            },
            has_body: true,
        }
    }

    async fn body(res: Response) -> (u16, Option<HeaderValue>, serde_json::Value) {
        let status = res.status().as_u16();
        let close = res.headers().get(header::CONNECTION).cloned();
        let bytes = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        (status, close, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn refusals_in_each_planes_format() {
        let busy = || ApiError::new(ErrorCode::IdempotencyKeyInProgress, "still running");
        let (status, close, graph) = body(refusal(CLOUD).send(busy(), false)).await;
        assert_eq!((status, close), (409, None));
        assert_eq!(
            graph,
            serde_json::json!({"error": {
                "message": "(#100) still running", "type": "OAuthException", "code": 100,
                "error_data": {"messaging_product": "whatsapp", "details": "still running"},
                "fbtrace_id": "req-1"
            }})
        );
        let reused = ApiError::new(ErrorCode::IdempotencyKeyReused, "used");
        let (status, _, manage) = body(refusal(MANAGE).send(reused, false)).await;
        assert_eq!(status, 422);
        assert_eq!(
            manage,
            serde_json::json!({"error": {"code": "idempotency_key_reused", "message": "used", "request_id": "req-1"}})
        );
        // A refusal before the body was read closes the connection.
        let bad = ApiError::new(ErrorCode::IdempotencyKeyInvalid, "empty").field("Idempotency-Key");
        let (status, close, graph) = body(refusal(CLOUD).send(bad, true)).await;
        assert_eq!(
            (status, close),
            (400, Some(HeaderValue::from_static("close")))
        );
        assert_eq!(graph["error"]["code"], 100);
    }

    #[test]
    fn replays_status_type_and_bytes() {
        let res = replay(StoredAnswer {
            status: 201,
            content_type: Some("application/json".into()),
            body: b"{\"id\":1}".to_vec(),
        });
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(res.headers()[IDEMPOTENT_REPLAYED], "true");
        let bare = replay(StoredAnswer {
            status: 400,
            content_type: None,
            body: vec![1, 2],
        });
        assert!(bare.headers().get(header::CONTENT_TYPE).is_none());
    }
}
