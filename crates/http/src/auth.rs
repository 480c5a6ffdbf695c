//! Authentication: a request's credential, in whatever shape its surface uses, resolved to
//! the caller's [`Principal`], then charged to its rate limits — in one place.
//!
//! A [`Scheme`] says where a surface's credential is and how it becomes a principal; the
//! [`authenticate`] does the rest (the rate limits, the `account_id` log field, and
//! reusing the answer when a middleware already authenticated the request). [`Auth`] uses
//! [`Bearer`]: `Authorization: Bearer <key>` (also `OAuth <key>`, as Graph accepts) or
//! `?access_token=<key>`, what the Cloud and management planes use. A dialect writes its own
//! scheme (a header such as `X-Project-API-Pwd`, a `?token=`, a signed JWT) in its
//! `auth.rs`, usually by reading an API key with [`header_key`] or [`query_key`] and calling
//! [`key_principal`]. A missing credential is `missing_api_key`; an unknown, revoked or
//! malformed one is `invalid_api_key` — the same answer for each, rendered by the surface
//! (Graph code 190 on the Cloud plane). Handlers never read credentials themselves.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use wagate_app::Principal;
use wagate_app::access::rate_limit::Limited;
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

/// Where a surface's credential is, and how it becomes a principal.
pub trait Scheme: Send + Sync + 'static {
    /// The caller the request's credential names: `missing_api_key` when there is none,
    /// `invalid_api_key` when it names no live key.
    fn principal(
        parts: &Parts,
        state: &AppState,
    ) -> impl std::future::Future<Output = Result<Principal, ApiError>> + Send;
}

/// The authenticated caller of the Cloud and management planes (a [`Bearer`] API key). A
/// dialect's extractor is the same one-liner over its own scheme: `authenticate::<S>`.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate::<Bearer>(parts, state).await.map(Auth)
    }
}

/// `Authorization: Bearer <key>` (or `OAuth <key>`), else `?access_token=<key>`.
pub struct Bearer;

impl Scheme for Bearer {
    async fn principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
        key_principal(state, &presented_key(parts)?).await
    }
}

/// The principal of API key `key` (`invalid_api_key` if it is not a live key).
pub async fn key_principal(state: &AppState, key: &str) -> Result<Principal, ApiError> {
    state.app.authenticate(key).await?.ok_or_else(invalid)
}

/// A key sent in header `name`, if any (an empty header is `invalid_api_key`).
pub fn header_key(parts: &Parts, name: &str) -> Result<Option<String>, ApiError> {
    let Some(value) = parts.headers.get(name) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| invalid())?.trim();
    if value.is_empty() {
        return Err(invalid());
    }
    Ok(Some(value.to_owned()))
}

/// A key sent as query parameter `name`, if any and not empty.
pub fn query_key(parts: &Parts, name: &str) -> Option<String> {
    let query = parts.uri.query().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// No credential at all, saying where `scheme_help` puts one.
pub fn missing(scheme_help: &str) -> ApiError {
    ApiError::new(ErrorCode::MissingApiKey, scheme_help.to_owned())
}

/// A request already authenticated and charged to its rate limits (a middleware that
/// extracted [`Auth`] before the handler does it again): the second extraction reuses it,
/// so a request costs one token.
#[derive(Clone)]
struct Authenticated(Principal);

/// The caller of a request whose credential scheme is `S`, charged to its rate limits
/// (once per request, however many extractors ask).
pub async fn authenticate<S: Scheme>(
    parts: &mut Parts,
    state: &AppState,
) -> Result<Principal, ApiError> {
    if let Some(Authenticated(p)) = parts.extensions.get::<Authenticated>() {
        return Ok(p.clone());
    }
    let principal = S::principal(parts, state).await?;
    tracing::Span::current().record("account_id", tracing::field::display(principal.account_id));
    // Rate limits: the one place, right after authentication.
    if let Err(limited) = state.app.rate_limits().check(&principal) {
        return Err(rate_limited(limited));
    }
    parts.extensions.insert(Authenticated(principal.clone()));
    Ok(principal)
}

/// The answer to a request over its key's or its account's rate limit.
pub(crate) fn rate_limited(limited: Limited) -> ApiError {
    let (code, message) = match limited {
        Limited::Key { .. } => (
            ErrorCode::KeyRateLimited,
            "this API key made too many requests; retry after the seconds in Retry-After",
        ),
        Limited::Account { .. } => (
            ErrorCode::AccountRateLimited,
            "this account's API keys made too many requests together; retry after the \
             seconds in Retry-After",
        ),
    };
    let mut e = ApiError::new(code, message);
    e.retry_after_secs = Some(limited.retry_after_secs());
    e
}

fn invalid() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidApiKey,
        "the API key is invalid or has been revoked",
    )
}

/// The credential the client sent, from the header or else the query string.
fn presented_key(parts: &Parts) -> Result<String, ApiError> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| invalid())?.trim();
        let (scheme, token) = value.split_once(' ').ok_or_else(invalid)?;
        if !(scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth")) {
            return Err(invalid());
        }
        let token = token.trim();
        return if token.is_empty() {
            Err(invalid())
        } else {
            Ok(token.to_owned())
        };
    }
    query_key(parts, "access_token").ok_or_else(|| {
        missing("send your API key as `Authorization: Bearer <key>` or `?access_token=<key>`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(auth: Option<&str>, uri: &str) -> Parts {
        let mut b = Request::builder().uri(uri);
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn reads_header_or_query() {
        assert_eq!(
            presented_key(&parts(Some("Bearer abc"), "/")).unwrap(),
            "abc"
        );
        assert_eq!(
            presented_key(&parts(Some("bearer  abc "), "/")).unwrap(),
            "abc"
        );
        assert_eq!(
            presented_key(&parts(Some("OAuth abc"), "/")).unwrap(),
            "abc"
        );
        assert_eq!(
            presented_key(&parts(None, "/x?a=1&access_token=k%2B1")).unwrap(),
            "k+1"
        );
    }

    #[test]
    fn header_and_query_keys_for_other_schemes() {
        let mut b = Request::builder().uri("/x?token=q1&other=2");
        b = b.header("X-Project-API-Pwd", " k9 ");
        let p = b.body(()).unwrap().into_parts().0;
        assert_eq!(
            header_key(&p, "x-project-api-pwd").unwrap().as_deref(),
            Some("k9")
        );
        assert_eq!(header_key(&p, "authtoken").unwrap(), None);
        assert_eq!(query_key(&p, "token").as_deref(), Some("q1"));
        assert_eq!(query_key(&p, "access_token"), None);
        let empty = Request::builder()
            .uri("/x?token=")
            .header("authToken", "")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        assert_eq!(query_key(&empty, "token"), None);
        assert_eq!(
            header_key(&empty, "authtoken").unwrap_err().code,
            ErrorCode::InvalidApiKey
        );
    }

    #[test]
    fn missing_and_malformed() {
        assert_eq!(
            presented_key(&parts(None, "/")).unwrap_err().code,
            ErrorCode::MissingApiKey
        );
        assert_eq!(
            presented_key(&parts(None, "/?access_token="))
                .unwrap_err()
                .code,
            ErrorCode::MissingApiKey
        );
        for bad in ["Basic abc", "Bearer", "Bearer ", "abc"] {
            assert_eq!(
                presented_key(&parts(Some(bad), "/")).unwrap_err().code,
                ErrorCode::InvalidApiKey,
                "{bad}"
            );
        }
    }
}
