//! Errors of the services, each mapped to one code of the error table.

use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::template::TemplateError;
use wagate_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input parsed as JSON but a value is wrong.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The principal may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Policy refuses the request; the message says why.
    #[error("{1}")]
    Refused(ErrorCode, &'static str),
    /// Something the request depends on failed; the message says what and how to fix it.
    #[error("{1}")]
    Failed(ErrorCode, String),
    /// A template breaks one of Meta's rules (answered with its Graph subcode).
    #[error(transparent)]
    Template(#[from] TemplateError),
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Invalid(e) => e.code(),
            Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::Store(e) => e.code(),
            Error::Refused(code, _) | Error::Failed(code, _) => *code,
            Error::Template(t) => t.error_code(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
