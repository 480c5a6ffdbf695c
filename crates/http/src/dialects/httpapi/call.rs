//! One call of the HTTP API: its parameters, its caller and its instance, read once.
//!
//! - **Parameters** as Go's `url.Values`, the seed's echo shows them: the form's
//!   (urlencoded, or the text parts of a multipart body) before the query's, every value
//!   of a repeated name kept (`rows=…&rows=…`). Names match in any case
//!   (`callButtonText` in the URLs, `callbuttontext` in the tables). GET and POST read the
//!   same way.
//! - **Caller**: `token=<API key>` in the query or the form ([`Token`]); missing, wrong or
//!   revoked is the seed's 401 `invalid object id`.
//! - **Instance**: the wagate channel. A key limited to one channel names it (the natural
//!   "instance token"); otherwise `instance=<channel id or phone_number_id>` in the
//!   parameters, or as a path segment (`/compat/httpapi/{instance}/api/sendText`), picks
//!   one; an account with a single channel needs neither. An unknown or foreign instance is
//!   404 `03-Instance id not found`.
//! - **File**: a multipart body's `file` part, staged as it streams.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use wagate_app::Principal;
use wagate_app::media::UploadMeta;
use wagate_app::media::staging::Staged;
use wagate_core::channel::Channel;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{ChannelId, PhoneNumberId};
use wagate_store::Page;

use super::BASE;
use crate::auth::{Scheme, authenticate, key_principal, missing, query_key};
use crate::error::ApiError;
use crate::kit::upload;
use crate::state::AppState;

/// The parameters of a call, in Go's order: the form's, then the query's.
#[derive(Debug, Clone, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// The first value of `name` (any case), trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// The first value of `name` as sent (not trimmed), when present and not blank.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// `name`'s value, or 13-Parameter required naming it.
    pub fn required(&self, name: &str) -> Result<&str, ValidationError> {
        self.get(name)
            .ok_or_else(|| ValidationError::missing(name, "is required"))
    }

    /// Every value of `name` (any case), in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// `token=<API key>` in the query, else in the form (found by [`Call`] and handed over).
pub struct Token;

#[derive(Clone)]
struct FormToken(String);

impl Scheme for Token {
    async fn principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
        let key = query_key(parts, "token")
            .or_else(|| parts.extensions.get::<FormToken>().map(|t| t.0.clone()));
        match key {
            Some(key) => key_principal(state, key.trim()).await,
            None => Err(missing(
                "send your wagate API key as token=… in the query or the form",
            )),
        }
    }
}

/// What one call carries (see the module docs).
pub struct Call {
    pub principal: Principal,
    pub channel: Channel,
    pub form: Form,
    /// The multipart `file` part, if one came.
    pub file: Option<(Staged, UploadMeta)>,
}

/// Whether the body is a form: `application/x-www-form-urlencoded` in any case.
pub fn is_form(headers: &HeaderMap) -> bool {
    content_type(headers)
        .is_some_and(|m| m.eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
}

fn pairs(bytes: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    form_urlencoded::parse(bytes).map(|(k, v)| (k.into_owned(), v.into_owned()))
}

impl FromRequest<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let mut form = Vec::new();
        let mut file = None;
        let multipart = content_type(&parts.headers)
            .is_some_and(|m| m.eq_ignore_ascii_case("multipart/form-data"));
        if multipart {
            let mp = Multipart::from_request(Request::from_parts(parts.clone(), body), state).await;
            let read = upload::read(state, mp, None, "file", None).await?;
            form.extend(read.fields.into_text()?);
            if let Some(staged) = read.staged {
                file = Some((staged, read.meta));
            }
        } else {
            let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
                .await
                .map_err(|e| {
                    ApiError::new(
                        ErrorCode::InvalidRequest,
                        format!("the body could not be read: {e}"),
                    )
                })?;
            // Go reads a form body; a body with no Content-Type is taken as one too.
            if is_form(&parts.headers)
                || (content_type(&parts.headers).is_none() && !bytes.is_empty())
            {
                form.extend(pairs(&bytes));
            }
        }
        form.extend(pairs(parts.uri.query().unwrap_or_default().as_bytes()));
        let form = Form(form);
        if query_key(&parts, "token").is_none()
            && let Some(token) = form.get("token")
        {
            parts.extensions.insert(FormToken(token.to_owned()));
        }
        let principal = authenticate::<Token>(&mut parts, state).await?;
        let named = path_instance(parts.uri.path())
            .map(str::to_owned)
            .or_else(|| form.get("instance").map(str::to_owned));
        let channel = instance(state, &principal, named.as_deref()).await?;
        tracing::Span::current().record("channel_id", tracing::field::display(channel.id));
        Ok(Call {
            principal,
            channel,
            form,
            file,
        })
    }
}

/// `{instance}` in `/compat/httpapi/{instance}/api/…`.
fn path_instance(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(BASE)?.strip_prefix('/')?;
    let first = rest.split('/').next()?;
    (first != "api" && !first.is_empty()).then_some(first)
}

/// The channel a call is about (see the module docs).
async fn instance(
    state: &AppState,
    p: &Principal,
    named: Option<&str>,
) -> Result<Channel, ApiError> {
    if let Some(raw) = named {
        let unknown = || ApiError::not_found(ErrorCode::ChannelNotFound, "instance", raw);
        let found = if let Ok(id) = raw.parse::<ChannelId>() {
            state.app.get_channel(p, id).await
        } else if let Ok(pnid) = PhoneNumberId::parse(raw) {
            state.app.channel_by_phone_number_id(p, &pnid).await
        } else {
            return Err(unknown().field("instance"));
        };
        return found.map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "instance", raw));
    }
    let mut channels = state.app.list_channels(p, &Page::first(2)).await?;
    match channels.len() {
        1 => Ok(channels.remove(0)),
        0 => Err(ApiError::new(
            ErrorCode::ChannelNotFound,
            "this token reaches no instance",
        )),
        _ => Err(ApiError::new(
            ErrorCode::ChannelNotFound,
            "this token reaches several instances: name one with instance=<channel id or \
             phone_number_id>, or use a key limited to one channel",
        )
        .field("instance")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_segment() {
        assert_eq!(path_instance("/compat/httpapi/api/sendText"), None);
        assert_eq!(
            path_instance("/compat/httpapi/abc/api/sendText"),
            Some("abc")
        );
    }

    #[test]
    fn forms_are_url_values() {
        let f = Form::from_pairs(vec![
            ("rows".into(), "a:b:c".into()),
            ("callbuttontext".into(), " Call ".into()),
            ("rows".into(), ":d:".into()),
            ("message".into(), "".into()),
        ]);
        assert_eq!(f.all("rows"), ["a:b:c", ":d:"]);
        assert_eq!(f.get("callButtonText"), Some("Call"));
        assert_eq!(f.get("message"), None);
        assert_eq!(f.required("phone").unwrap_err().field, "phone");
    }
}
