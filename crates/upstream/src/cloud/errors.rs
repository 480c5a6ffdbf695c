//! Graph error answers as hand-over refusals: which are worth retrying, and the error a
//! failed message keeps (Meta's code, title and details).

use wagate_core::failure::Failure;
use wagate_core::message::MessageError;

use super::CloudError;
use crate::Handover;

/// Graph codes that a later try may get past: Meta's throughput, pair-rate and app/WABA
/// rate limits, its unknown and temporary errors, and an access token Meta does not take
/// (the operator fixes the channel's token; the messages wait for it until the retry
/// horizon).
const TRANSIENT_CODES: &[u32] = &[
    0,      // AuthException
    1,      // API unknown
    2,      // API service (temporarily unavailable)
    4,      // API too many calls
    17,     // API user too many calls
    80007,  // WABA rate limit
    130429, // throughput
    131000, // something went wrong
    131016, // service unavailable
    131056, // pair rate limit
    133004, // server temporarily unavailable
    190,    // access token expired or invalid
];

impl CloudError {
    /// Whether a later try may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            CloudError::Graph {
                http_status, code, ..
            } => TRANSIENT_CODES.contains(code) || *http_status >= 500 || *http_status == 429,
            CloudError::Http { http_status, .. } => {
                *http_status >= 500 || matches!(*http_status, 401 | 408 | 429)
            }
            CloudError::Transport(_) => true,
            // A 2xx that is not Graph's JSON (an intercepting proxy's page): retried, as
            // 131000, the code it fails with, is.
            CloudError::Unreadable { .. } => true,
            // Meta took the call but its answer is unreadable: the message may have gone,
            // so it is not sent a second time.
            CloudError::Malformed(_) => false,
        }
    }

    /// The error the message keeps: Meta's code, its title (wagate's table where the code
    /// is known, else Meta's message) and details.
    pub fn message_error(&self) -> MessageError {
        match self {
            CloudError::Graph {
                code,
                message,
                details,
                ..
            } => MessageError {
                code: *code,
                title: Failure::from_code(*code)
                    .map(|f| f.title().to_owned())
                    .unwrap_or_else(|| message.clone()),
                details: details.clone().unwrap_or_else(|| message.clone()),
            },
            CloudError::Http {
                http_status,
                excerpt,
            } => {
                let failure = if *http_status == 429 {
                    Failure::Throughput
                } else {
                    Failure::ServiceUnavailable
                };
                failure.with_details(format!(
                    "The Graph API answered HTTP {http_status}: {}",
                    excerpt.trim()
                ))
            }
            CloudError::Transport(reason) => {
                Failure::ServiceUnavailable.with_details(format!("{reason}."))
            }
            CloudError::Unreadable {
                http_status,
                excerpt,
            } => Failure::Unknown.with_details(format!(
                "The Graph API answered HTTP {http_status} with a body that is not JSON: {}",
                excerpt.trim()
            )),
            CloudError::Malformed(reason) => Failure::Unknown.with_details(format!(
                "The Graph API's answer could not be read: {reason}."
            )),
        }
    }

    pub fn into_handover(self) -> Handover {
        Handover::Refused {
            error: self.message_error(),
            transient: self.is_transient(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(http_status: u16, code: u32) -> CloudError {
        CloudError::Graph {
            http_status,
            code,
            subcode: None,
            message: format!("(#{code}) Something"),
            details: Some("what Meta says".into()),
        }
    }

    #[test]
    fn rate_limits_and_metas_trouble_are_retried() {
        for code in [130429, 131000, 131016, 131056, 80007, 4, 190] {
            assert!(graph(400, code).is_transient(), "{code}");
        }
        assert!(graph(500, 1234).is_transient(), "any 5xx");
        assert!(CloudError::Transport("timeout".into()).is_transient());
        let unreadable = CloudError::Unreadable {
            http_status: 200,
            excerpt: "<html>Welcome</html>".into(),
        };
        assert!(
            unreadable.is_transient(),
            "a 2xx that is not Graph's answer"
        );
        assert_eq!(unreadable.message_error().code, 131000);
        assert!(
            CloudError::Http {
                http_status: 502,
                excerpt: "<html>".into()
            }
            .is_transient()
        );
    }

    #[test]
    fn metas_refusals_fail_the_message_with_its_code() {
        for code in [131026, 131047, 131051, 100, 132001, 131009] {
            assert!(!graph(400, code).is_transient(), "{code}");
        }
        let e = graph(400, 131026).message_error();
        assert_eq!(e.code, 131026);
        assert_eq!(e.title, "Message undeliverable");
        assert_eq!(e.details, "what Meta says");
        let unknown = graph(400, 131051).message_error();
        assert_eq!(
            unknown.title, "(#131051) Something",
            "Meta's message for codes we lack"
        );
        assert!(!CloudError::Malformed("no id".into()).is_transient());
    }

    #[test]
    fn an_answer_without_a_graph_error_says_what_came() {
        let e = CloudError::Http {
            http_status: 503,
            excerpt: "upstream down ".into(),
        }
        .message_error();
        assert_eq!(e.code, 131016);
        assert_eq!(e.details, "The Graph API answered HTTP 503: upstream down");
    }
}
