//! The Project API's credential: the project id in the path names the channel, and header
//! `X-Project-API-Pwd` carries the key. The key is a wagate API key (one limited to the
//! project's channel is the natural "project password"); the project is the channel's id
//! or its phone number id. A key that does not reach the project answers 404, as an
//! unknown project does: another account's projects are never confirmed to exist.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use wagate_app::Principal;
use wagate_core::channel::Channel;
use wagate_core::error::ErrorCode;

use crate::auth::{Scheme, authenticate, header_key, key_principal, missing};
use crate::error::ApiError;
use crate::state::AppState;

/// The header the key travels in.
pub const HEADER: &str = "x-project-api-pwd";

/// `X-Project-API-Pwd: <key>`.
pub struct ProjectPwd;

impl Scheme for ProjectPwd {
    async fn principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
        match header_key(parts, HEADER)? {
            Some(key) => key_principal(state, &key).await,
            None => Err(missing(
                "send the project's API key in the X-Project-API-Pwd header",
            )),
        }
    }
}

/// The caller and the project (channel) its request names.
pub struct Project {
    pub principal: Principal,
    pub channel: Channel,
}

impl FromRequestParts<AppState> for Project {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = authenticate::<ProjectPwd>(parts, state).await?;
        let raw = project_segment(parts.uri.path())
            .unwrap_or_default()
            .to_owned();
        let channel = resolve(state, &principal, &raw).await?;
        tracing::Span::current().record("channel_id", tracing::field::display(channel.id));
        Ok(Project { principal, channel })
    }
}

/// The `{project_id}` segment of a Project API path.
fn project_segment(path: &str) -> Option<&str> {
    let rest = path.split("/project-apis/v1/project/").nth(1)?;
    rest.split('/').next()
}

/// The principal's channel named `raw` (its id, or its phone number id).
async fn resolve(state: &AppState, p: &Principal, raw: &str) -> Result<Channel, ApiError> {
    state
        .app
        .channel_named(p, raw)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "project", raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_is_the_segment_after_project() {
        assert_eq!(
            project_segment("/compat/redington/project-apis/v1/project/abc/messages/x"),
            Some("abc")
        );
        assert_eq!(
            project_segment("/compat/redington/project-apis/v1/project/abc"),
            Some("abc")
        );
        assert_eq!(project_segment("/compat/redington/other"), None);
    }
}
