//! Signing in and out, the session guard, and CSRF.
//!
//! - `GET /console/sign-in` shows the form with a sign-in token that is also set as a
//!   short-lived cookie; `POST` checks the two match (so another site cannot sign a browser in
//!   to its own account), trades the API key for a session
//!   ([`App::open_console_session`](wagate_app::App::open_console_session)) and sets the
//!   session cookie: `HttpOnly`, `SameSite=Strict`, `Path=/console`, `Secure` when the
//!   server is reached over HTTPS.
//! - [`guard`] runs before every other console route: no live session → the sign-in page
//!   (or `401` with `HX-Redirect` for htmx); a request that is not GET/HEAD must carry the
//!   session's CSRF token (`X-CSRF-Token`, a `csrf` form field, or `?csrf=` for multipart
//!   forms) → else `403` and nothing runs.
//! - `POST /console/sign-out` ends the session.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use wagate_app::Principal;
use wagate_app::access::console::{ConsoleSession, tokens_match};
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

use super::page;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "wagate_console";
/// The sign-in form's token cookie.
const SIGN_IN_COOKIE: &str = "wagate_console_signin";
/// Largest form body the guard reads to find its `csrf` field.
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The signed-in person of a console request: who they are and their CSRF token.
#[derive(Debug, Clone)]
pub struct Console {
    pub principal: Principal,
    pub csrf: String,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Console>()
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::MissingApiKey, "sign in to use the console"))
    }
}

pub fn open_routes() -> Router<AppState> {
    Router::new().route("/console/sign-in", get(sign_in_form).post(sign_in))
}

pub fn signed_in_routes() -> Router<AppState> {
    Router::new().route("/console/sign-out", post(sign_out))
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Whether cookies should be `Secure`: the server's URL is https, or a proxy says the
/// request came over HTTPS.
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.base_url.starts_with("https://")
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values are URL-safe base64")
}

/// A `next` that stays inside the console (never another site).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/console") && !n.starts_with("//") && !n.contains('\\') => {
            n.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

#[derive(askama::Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage {
    csrf: String,
    next: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn sign_in_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    next: String,
    error: Option<&'static str>,
) -> Result<Response, ApiError> {
    let csrf = wagate_app::access::console::random_token();
    let mut res = page(&SignInPage {
        csrf: csrf.clone(),
        next,
        error,
    })?;
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(
        header::SET_COOKIE,
        set_cookie(SIGN_IN_COOKIE, &csrf, 3600, secure(state, headers)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

async fn sign_in_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, ApiError> {
    sign_in_page(
        &state,
        &headers,
        StatusCode::OK,
        safe_next(q.next.as_deref()),
        None,
    )
}

#[derive(Deserialize)]
struct SignIn {
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Result<Response, ApiError> {
    let next = safe_next(form.next.as_deref());
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !tokens_match(expected, &form.csrf) {
        return sign_in_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            next,
            Some("This form expired or did not come from this console; try again."),
        );
    }
    let ttl = state.config.console.session_ttl();
    let Some(opened) = state
        .app
        .open_console_session(form.api_key.trim(), ttl)
        .await?
    else {
        return sign_in_page(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            next,
            Some("That API key is not valid (unknown or revoked)."),
        );
    };
    let secure = secure(&state, &headers);
    let mut res = Redirect::to(&next).into_response();
    *res.status_mut() = StatusCode::SEE_OTHER;
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &opened.secret, ttl.as_secs(), secure),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(SIGN_IN_COOKIE, "", 0, secure),
    );
    Ok(res)
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        state.app.close_console_session(secret).await?;
    }
    let mut res = Redirect::to("/console/sign-in").into_response();
    *res.status_mut() = StatusCode::SEE_OTHER;
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, secure(&state, &headers)),
    );
    Ok(res)
}

/// Where a request without a live session goes: the sign-in page (coming back here after).
fn to_sign_in(req: &Request) -> Response {
    let here = req
        .uri()
        .path_and_query()
        .map_or("/console", |p| p.as_str())
        .to_owned();
    let target = format!(
        "/console/sign-in?next={}",
        form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()
    );
    if req.headers().contains_key("hx-request") || req.method() != Method::GET {
        let mut res = StatusCode::UNAUTHORIZED.into_response();
        res.headers_mut().insert(
            "HX-Redirect",
            HeaderValue::from_str(&target).expect("URL-encoded"),
        );
        return res;
    }
    Redirect::to(&target).into_response()
}

/// The session and CSRF check of every signed-in console route (see the module docs).
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let session = match cookie(req.headers(), SESSION_COOKIE) {
        Some(secret) => match state.app.console_session(secret).await {
            Ok(s) => s,
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    };
    let Some(ConsoleSession {
        principal, csrf, ..
    }) = session
    else {
        return to_sign_in(&req);
    };
    let req = if matches!(*req.method(), Method::GET | Method::HEAD) {
        req
    } else {
        match csrf_checked(req, &csrf).await {
            Ok(req) => req,
            Err(res) => return res,
        }
    };
    let mut req = req;
    req.extensions_mut().insert(Console { principal, csrf });
    next.run(req).await
}

fn forged() -> Response {
    ApiError::new(
        ErrorCode::Forbidden,
        "this form expired or did not come from this console (its CSRF token does not match); \
         reload the page and try again",
    )
    .into_response()
}

/// The request, if it carries the session's CSRF token: the `X-CSRF-Token` header, `?csrf=`,
/// or a `csrf` field of a urlencoded body (read, then put back for the handler).
async fn csrf_checked(req: Request, csrf: &str) -> Result<Request, Response> {
    if let Some(token) = req.headers().get("x-csrf-token") {
        return if tokens_match(token.to_str().unwrap_or_default(), csrf) {
            Ok(req)
        } else {
            Err(forged())
        };
    }
    if let Some(query) = req.uri().query()
        && let Some((_, token)) =
            form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "csrf")
    {
        return if tokens_match(&token, csrf) {
            Ok(req)
        } else {
            Err(forged())
        };
    }
    let urlencoded = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !urlencoded {
        return Err(forged());
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| {
        ApiError::new(ErrorCode::PayloadTooLarge, "the form is too large").into_response()
    })?;
    let ok = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .is_some_and(|(_, v)| tokens_match(&v, csrf));
    if !ok {
        return Err(forged());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}
