//! Extractors whose rejections are [`ApiError`]s, so a bad body, query or path id is answered
//! in the plane's own format like every other error.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use wagate_core::error::ErrorCode;

use crate::error::ApiError;

/// A JSON body. Requires `Content-Type: application/json`; tells malformed JSON
/// (`malformed_json`) from well-formed JSON of the wrong shape (`invalid_request`, naming the
/// field); over-long bodies are `payload_too_large`.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json")
                    || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::PayloadTooLarge, "the request body is too large")
            } else {
                ApiError::new(
                    ErrorCode::MalformedJson,
                    "the request body could not be read",
                )
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses a JSON document into `T`, with errors that name the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // `Strict`: a struct is an object, never a positional array (see `crate::strict`).
    let value: T =
        serde_path_to_error::deserialize(crate::strict::Strict(&mut de)).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_data() {
                let message = strip_position(&inner.to_string());
                let err = ApiError::new(ErrorCode::InvalidRequest, message);
                if path == "." { err } else { err.field(path) }
            } else {
                ApiError::new(
                    ErrorCode::MalformedJson,
                    format!("the body is not valid JSON: {inner}"),
                )
            }
        })?;
    de.end().map_err(|e| {
        ApiError::new(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    Ok(value)
}

/// serde_json appends " at line 1 column 42"; the field name says more to an API user.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Query-string parameters; a bad one is `invalid_query`.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                let path = e.path().to_string();
                let err = ApiError::new(ErrorCode::InvalidQuery, e.into_inner().to_string());
                if path == "." { err } else { err.field(path) }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        size: Option<u32>,
    }

    #[test]
    fn malformed_and_invalid_are_told_apart() {
        let e = parse_json::<Body>(b"{\"name\": ").unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedJson);
        let e = parse_json::<Body>(b"{\"name\": 5}").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert_eq!(e.field.as_deref(), Some("name"));
        assert!(
            e.message
                .starts_with("invalid type: integer `5`, expected a string"),
            "{}",
            e.message
        );
        let e = parse_json::<Body>(b"{}").unwrap_err();
        assert_eq!(e.message, "missing field `name`");
        let e = parse_json::<Body>(b"{\"name\":\"a\",\"nmae\":1}").unwrap_err();
        assert!(e.message.contains("unknown field `nmae`"));
        let e = parse_json::<Body>(b"{\"name\":\"a\"} trailing").unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedJson);
        assert!(parse_json::<Body>(b"{\"name\":\"a\",\"size\":3}").is_ok());
    }
}
