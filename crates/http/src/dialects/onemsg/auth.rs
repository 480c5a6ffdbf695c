//! 1MSG's credential: `?token=` on every request (the seed's Example 3 of sendTemplate also
//! puts `token` in the JSON body, so a body's `token` is read when the query has none). The
//! token is a wagate API key (one limited to the channel is the natural "channel token");
//! the instance, the path's first segment after `/compat/1msg/`, is a wagate channel (its
//! id or its phone number id). A token that does not reach the instance answers 404, as an
//! unknown instance does: another account's channels are never confirmed to exist.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header;
use axum::http::request::Parts;
use wagate_app::Principal;
use wagate_core::channel::Channel;
use wagate_core::error::ErrorCode;

use crate::auth::{Scheme, authenticate, key_principal, missing, query_key};
use crate::error::ApiError;
use crate::kit::params::{Params, Rules};
use crate::state::AppState;

/// The query (or body) parameter the token travels in.
pub const TOKEN: &str = "token";

/// A `token` read from the request's body, left in the request's extensions for
/// [`QueryToken`] when the query has none.
#[derive(Clone)]
struct BodyToken(String);

/// `?token=<key>` (or a body's `token`).
pub struct QueryToken;

impl Scheme for QueryToken {
    async fn principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
        let key = query_key(parts, TOKEN)
            .or_else(|| parts.extensions.get::<BodyToken>().map(|t| t.0.clone()));
        match key {
            Some(key) => key_principal(state, &key).await,
            None => Err(missing(
                "send the channel's token (a wagate API key) as ?token=<key>",
            )),
        }
    }
}

/// The caller and the instance (channel) its request names.
pub struct Instance {
    pub principal: Principal,
    pub channel: Channel,
}

impl FromRequestParts<AppState> for Instance {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = authenticate::<QueryToken>(parts, state).await?;
        let raw = instance_segment(parts.uri.path())
            .unwrap_or_default()
            .to_owned();
        let channel = resolve(state, &principal, &raw).await?;
        tracing::Span::current().record("channel_id", tracing::field::display(channel.id));
        Ok(Instance { principal, channel })
    }
}

/// A call: its instance, and its parameters from the query with a JSON or form body over
/// them (`token` among them is the credential, never read as a parameter). A multipart
/// body is left to the handler ([`Call::multipart`]), which knows its file's part name.
pub struct Call {
    pub principal: Principal,
    pub channel: Channel,
    pub params: Params,
    pub multipart: Option<Multipart>,
}

fn is_multipart(parts: &Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

impl FromRequest<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        if is_multipart(&parts) {
            let Instance { principal, channel } =
                Instance::from_request_parts(&mut parts, state).await?;
            let params = Params::query(parts.uri.query());
            let multipart = Multipart::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(|e| {
                    ApiError::new(
                        ErrorCode::InvalidRequest,
                        format!("the multipart body is malformed: {e}"),
                    )
                })?;
            return Ok(Call {
                principal,
                channel,
                params,
                multipart: Some(multipart),
            });
        }
        let bytes = axum::body::to_bytes(body, state.config.max_body_bytes)
            .await
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!(
                        "the body is over {} bytes; send a large file as multipart form data",
                        state.config.max_body_bytes
                    ),
                )
            })?;
        let params = read_params(&parts, &bytes);
        if let Ok(p) = &params
            && let Some(token) = p.str(TOKEN).filter(|t| !t.is_empty())
        {
            parts.extensions.insert(BodyToken(token.to_owned()));
        }
        // The credential first: a malformed body from a stranger is an auth error.
        let Instance { principal, channel } =
            Instance::from_request_parts(&mut parts, state).await?;
        Ok(Call {
            principal,
            channel,
            params: params?,
            multipart: None,
        })
    }
}

fn read_params(parts: &Parts, bytes: &Bytes) -> Result<Params, ApiError> {
    Params::read(
        parts.uri.query(),
        &parts.headers,
        bytes,
        Rules::GRAPH.not_an_object("the body must be a JSON object"),
    )
}

/// The `{instance}` segment of a 1MSG path.
fn instance_segment(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(super::BASE)?.strip_prefix('/')?;
    rest.split('/').next().filter(|s| !s.is_empty())
}

/// The principal's channel named `raw` (its id, or its phone number id).
async fn resolve(state: &AppState, p: &Principal, raw: &str) -> Result<Channel, ApiError> {
    state
        .app
        .channel_named(p, raw)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "instance", raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_is_the_first_segment() {
        assert_eq!(
            instance_segment("/compat/1msg/abc/sendMessage"),
            Some("abc")
        );
        assert_eq!(instance_segment("/compat/1msg/abc"), Some("abc"));
        assert_eq!(instance_segment("/compat/1msg/"), None);
        assert_eq!(instance_segment("/compat/redington/x"), None);
    }
}
