//! The one error type every handler and extractor returns. It carries an [`ErrorCode`] and a
//! message written for the API user; turning it into a body is the job of the plane's
//! renderer ([`crate::render`]), which finds it in the response extensions.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wagate_core::error::GraphError;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_store::StoreError;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    /// For the API user. Never holds an internal cause.
    pub message: String,
    /// The request field at fault, when one is.
    pub field: Option<String>,
    /// The id the caller asked for, for "does not exist" errors.
    pub object_id: Option<String>,
    /// Internal cause, logged once by the renderer and never sent.
    pub cause: Option<Arc<anyhow::Error>>,
    /// On the Cloud plane: Graph's code and subcode when they are finer than `code`'s (a
    /// template rule's 2388xxx subcode), with Meta's user-facing title and message.
    pub graph: Option<Box<(GraphError, String, String)>>,
    /// Seconds the client should wait before retrying (`Retry-After`), for rate limits.
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            object_id: None,
            cause: None,
            graph: None,
            retry_after_secs: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn object(mut self, id: impl Into<String>) -> Self {
        self.object_id = Some(id.into());
        self
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            ErrorCode::Internal,
            "something went wrong on our side; try again",
        );
        e.cause = Some(Arc::new(cause.into()));
        e
    }

    /// "<what> not found", the answer for unknown ids and other accounts' ids alike.
    pub fn not_found(code: ErrorCode, what: &str, id: impl Into<String>) -> Self {
        let id = id.into();
        Self::new(code, format!("{what} `{id}` does not exist")).object(id)
    }
}

impl ApiError {
    /// An id as the client wrote it, parsed at the boundary: one that does not parse is
    /// "not found", like one that does not exist (Meta answers both alike).
    pub fn known<T, E>(
        parsed: Result<T, E>,
        code: ErrorCode,
        what: &str,
        raw: &str,
    ) -> Result<T, ApiError> {
        parsed.map_err(|_| ApiError::not_found(code, what, raw))
    }

    /// A service error whose "not found" names the id the caller asked for: a `code` error
    /// becomes "<what> `<id>` does not exist"; anything else converts as usual.
    pub fn naming(
        e: wagate_app::Error,
        code: ErrorCode,
        what: &str,
        id: impl Into<String>,
    ) -> Self {
        if e.code() == code {
            ApiError::not_found(code, what, id)
        } else {
            e.into()
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        ApiError::new(e.code(), e.message).field(e.field)
    }
}

/// What the API user reads for a broken uniqueness rule.
fn conflict_message(kind: wagate_store::Conflict, stored: String) -> String {
    match kind {
        wagate_store::Conflict::MessageId => "a message with this id was already received".into(),
        _ => stored,
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => ApiError::new(e.code(), e.to_string()),
            StoreError::Conflict { kind, message } => match kind.field() {
                Some(field) => {
                    ApiError::new(kind.code(), conflict_message(kind, message)).field(field)
                }
                None if kind.code() == ErrorCode::Internal => {
                    ApiError::internal(StoreError::Conflict { kind, message })
                }
                None => ApiError::new(kind.code(), conflict_message(kind, message)),
            },
            StoreError::Wallet(_) => ApiError::new(e.code(), e.to_string()),
            StoreError::Group(why) => ApiError::new(e.code(), why.message()),
            StoreError::Closed => ApiError::new(ErrorCode::NotReady, "the server is shutting down"),
            other => ApiError::internal(other),
        }
    }
}

impl From<wagate_app::Error> for ApiError {
    fn from(e: wagate_app::Error) -> Self {
        match e {
            wagate_app::Error::Invalid(v) => v.into(),
            wagate_app::Error::Forbidden(m) => ApiError::new(ErrorCode::Forbidden, m),
            wagate_app::Error::Store(s) => s.into(),
            wagate_app::Error::Refused(code, m) => ApiError::new(code, m),
            wagate_app::Error::Failed(code, m) => ApiError::new(code, m),
            wagate_app::Error::Template(t) => {
                let mut e = ApiError::new(t.error_code(), t.message.clone()).field(t.field.clone());
                e.graph = Some(Box::new((
                    t.graph(),
                    t.user_title().to_owned(),
                    t.user_msg(),
                )));
                e
            }
        }
    }
}

/// Marker put in the response extensions; the plane's renderer turns it into a body.
#[derive(Clone)]
pub struct Rendered(pub Arc<ApiError>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = status.into_response();
        res.extensions_mut().insert(Rendered(Arc::new(self)));
        res
    }
}
