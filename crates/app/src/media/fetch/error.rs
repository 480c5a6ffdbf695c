//! Why a media link could not be fetched, in words for the API user: the message fails
//! with 131053 and these words as its `error_data.details`.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::StatusCode;
use wagate_core::failure::Failure;
use wagate_core::message::MessageError;

use super::guard::AddressClass;

/// A failed fetch. `Display` is [`FetchError::details`]; no variant carries the cause of a
/// transport error (the fetcher logs it), so the words never leak wagate's internals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("the media link is not an absolute http or https URL")]
    InvalidUrl,
    #[error("the media link uses {0}:, but wagate fetches only http and https links")]
    Scheme(String),
    #[error("the media link carries a user name or password, which wagate does not send")]
    Userinfo,
    #[error(
        "the media link resolves to {addr}, {class}; wagate does not fetch from private networks"
    )]
    Blocked { addr: IpAddr, class: AddressClass },
    #[error("the media link's host {0} does not resolve")]
    Unresolvable(String),
    #[error("the media link's server did not accept a connection within {}", secs(*.0))]
    ConnectTimeout(Duration),
    #[error("could not connect to the media link's server")]
    Connect,
    #[error("the media link timed out after {}", secs(*.0))]
    Timeout(Duration),
    #[error("the media link answered {}", status_line(*.0))]
    Status(StatusCode),
    #[error("the media link answered a redirect without a valid Location")]
    BadRedirect,
    #[error("the media link redirected more than {0} times")]
    TooManyRedirects(u32),
    #[error("the media file is over {}", size(*.max))]
    TooLarge { max: u64 },
    #[error("the media link answered with an empty file")]
    Empty,
    #[error("the media link's server broke off the download")]
    Transfer,
}

impl FetchError {
    /// What went wrong, written for the API user.
    pub fn details(&self) -> String {
        self.to_string()
    }

    /// Meta's code for every failed fetch: 131053, "Media upload error".
    pub fn code(&self) -> u32 {
        Failure::MediaUpload.code()
    }

    /// The error a `failed` status carries.
    pub fn failure(&self) -> MessageError {
        Failure::MediaUpload.with_details(self.details())
    }
}

/// `15 s`, `0.25 s`.
fn secs(d: Duration) -> String {
    format!("{} s", d.as_millis() as f64 / 1000.0)
}

/// `404 Not Found`, or the bare number for a code without a reason phrase.
fn status_line(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// A cap as Meta writes its media limits: `16 MB`, `500 KB` (binary units).
fn size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    } else if bytes >= KB && bytes.is_multiple_of(KB) {
        format!("{} KB", bytes / KB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_131053_with_its_details() {
        let err = FetchError::Status(StatusCode::NOT_FOUND);
        assert_eq!(err.code(), 131053);
        let failure = err.failure();
        assert_eq!(failure.code, 131053);
        assert_eq!(failure.title, "Media upload error");
        assert_eq!(failure.details, "the media link answered 404 Not Found");
    }

    #[test]
    fn details_read_well() {
        let cases = [
            (
                FetchError::Blocked {
                    addr: "127.0.0.1".parse().unwrap(),
                    class: AddressClass::Loopback,
                },
                "the media link resolves to 127.0.0.1, a loopback address; \
                 wagate does not fetch from private networks",
            ),
            (
                FetchError::TooLarge {
                    max: 16 * 1024 * 1024,
                },
                "the media file is over 16 MB",
            ),
            (
                FetchError::TooLarge { max: 500 * 1024 },
                "the media file is over 500 KB",
            ),
            (
                FetchError::TooLarge { max: 1_500_000 },
                "the media file is over 1.4 MB",
            ),
            (
                FetchError::TooLarge { max: 10 },
                "the media file is over 10 bytes",
            ),
            (
                FetchError::Timeout(Duration::from_secs(15)),
                "the media link timed out after 15 s",
            ),
            (
                FetchError::Timeout(Duration::from_millis(250)),
                "the media link timed out after 0.25 s",
            ),
            (
                FetchError::Status(StatusCode::from_u16(599).unwrap()),
                "the media link answered 599",
            ),
            (
                FetchError::Scheme("ftp".to_owned()),
                "the media link uses ftp:, but wagate fetches only http and https links",
            ),
        ];
        for (err, details) in cases {
            assert_eq!(err.details(), details);
        }
    }
}
