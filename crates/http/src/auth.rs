//! Authentication: the [`Auth`] extractor turns `Authorization: Bearer <key>` (also `OAuth
//! <key>`, as Graph accepts) or `?access_token=<key>` into the caller's [`Principal`]. A
//! missing key is `missing_api_key`; an unknown, revoked or malformed one is
//! `invalid_api_key` — the same answer for each, rendered by the plane (Graph code 190 on the
//! Cloud plane). Handlers never read these headers themselves.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use wagate_app::Principal;
use wagate_app::access::rate_limit::Limited;
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller.
pub struct Auth(pub Principal);

/// A request already authenticated and charged to its rate limits (a middleware that
/// extracted [`Auth`] before the handler does it again): the second extraction reuses it,
/// so a request costs one token.
#[derive(Clone)]
struct Authenticated(Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(Authenticated(p)) = parts.extensions.get::<Authenticated>() {
            return Ok(Auth(p.clone()));
        }
        let presented = presented_key(parts)?;
        let Some(principal) = state.app.authenticate(&presented).await? else {
            return Err(invalid());
        };
        tracing::Span::current()
            .record("account_id", tracing::field::display(principal.account_id));
        // Rate limits: the one place, right after authentication.
        if let Err(limited) = state.app.rate_limits().check(&principal) {
            return Err(rate_limited(limited));
        }
        parts.extensions.insert(Authenticated(principal.clone()));
        Ok(Auth(principal))
    }
}

/// The answer to a request over its key's or its account's rate limit.
fn rate_limited(limited: Limited) -> ApiError {
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
    let query = parts.uri.query().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::MissingApiKey,
                "send your API key as `Authorization: Bearer <key>` or `?access_token=<key>`",
            )
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
