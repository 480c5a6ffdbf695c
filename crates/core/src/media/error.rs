//! [`MediaError`]: why a file or a media value was refused, as a code of the error table and
//! the sentence Graph puts in `error_data.details`.

use crate::error::ErrorCode;

/// Why a file was refused. `code` is the row of the error table (Graph 100 for uploads,
/// 131053 once [`MediaError::on_send`] marks it as met while sending a message); `details`
/// says exactly what is wrong, for the API user ("the file is image/png but `type` says
/// image/jpeg").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{details}")]
pub struct MediaError {
    pub code: ErrorCode,
    /// What is wrong and, where it helps, what would be accepted (Graph's
    /// `error_data.details`).
    pub details: String,
}

impl MediaError {
    pub(super) fn new(code: ErrorCode, details: impl Into<String>) -> Self {
        Self {
            code,
            details: details.into(),
        }
    }

    /// A value that is not what it claims to be: a malformed MIME type or `data:` URI.
    pub(super) fn malformed(details: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameterValue, details)
    }

    /// The same problem met while sending a message rather than on upload: a `link` that
    /// fetched a file of the wrong type, kind or size. Meta reports those as
    /// `(#131053) Media upload error`, keeping the details.
    #[must_use]
    pub fn on_send(self) -> Self {
        Self {
            code: ErrorCode::MediaUploadError,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sending_turns_any_refusal_into_131053() {
        let e = MediaError::new(ErrorCode::MediaTooLarge, "too big").on_send();
        assert_eq!(e.code, ErrorCode::MediaUploadError);
        assert_eq!(e.to_string(), "too big");
        let g = e.code.graph();
        assert_eq!((g.code, g.status), (131053, 400));
        assert_eq!(e.code.graph_title(), Some("Media upload error"));
    }

    #[test]
    fn upload_refusals_are_graph_100() {
        for code in [
            ErrorCode::MediaEmpty,
            ErrorCode::MediaTypeNotSupported,
            ErrorCode::MediaTypeMismatch,
            ErrorCode::MediaTooLarge,
        ] {
            assert_eq!(code.graph().code, 100, "{code}");
            assert_eq!(code.graph_title(), None, "details are the message");
        }
        assert_eq!(ErrorCode::MediaTypeNotSupported.http_status(), 415);
        assert_eq!(ErrorCode::MediaTooLarge.http_status(), 413);
        assert_eq!(ErrorCode::MediaTypeMismatch.http_status(), 400);
    }
}
