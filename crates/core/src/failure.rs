//! Why an accepted message did not get through, with Meta's codes and titles (reference §4,
//! §5.5). These reach the API user inside `failed` statuses (`errors[]`), never as an HTTP
//! error of the send call; transient ones are retried by the dispatcher first.

use crate::message::MessageError;

macro_rules! failures {
    ($( $(#[doc = $doc:literal])* $variant:ident => $code:literal, $transient:literal, $title:literal, $details:literal; )*) => {
        /// A delivery failure Meta (or the simulated network) can report.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Failure {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Failure {
            pub const ALL: &'static [Failure] = &[$(Failure::$variant),*];

            pub fn code(self) -> u32 {
                match self { $(Failure::$variant => $code,)* }
            }

            /// Whether trying again later may succeed (the dispatcher retries these).
            pub fn is_transient(self) -> bool {
                match self { $(Failure::$variant => $transient,)* }
            }

            pub fn title(self) -> &'static str {
                match self { $(Failure::$variant => $title,)* }
            }

            fn default_details(self) -> &'static str {
                match self { $(Failure::$variant => $details,)* }
            }
        }
    };
}

failures! {
    /// Too many messages per second from the business number.
    Throughput => 130429, true, "Rate limit hit",
        "Cloud API message throughput has been reached.";
    /// Meta's generic failure.
    Unknown => 131000, true, "Something went wrong",
        "Message failed to send due to an unknown error.";
    /// The upstream is temporarily unavailable.
    ServiceUnavailable => 131016, true, "Service unavailable",
        "A service is temporarily unavailable.";
    /// The recipient is not on WhatsApp (or cannot receive this message).
    Undeliverable => 131026, false, "Message undeliverable",
        "Unable to deliver message. The recipient may not be a WhatsApp user.";
    /// A free-form message outside the 24-hour customer-service window.
    ReEngagement => 131047, false, "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number.";
    /// The user stopped marketing messages from this business.
    MarketingOptOut => 131050, false, "User has stopped marketing messages",
        "Unable to deliver the message. This user has stopped marketing messages from this business.";
    /// Outbound media could not be fetched or uploaded.
    MediaUpload => 131053, false, "Media upload error",
        "Unable to upload the media used in the message.";
    /// Too many messages to one user in a short time.
    PairRateLimit => 131056, true, "(Business Account, Consumer Account) pair rate limit hit",
        "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.";
}

impl Failure {
    pub fn from_code(code: u32) -> Option<Failure> {
        Self::ALL.iter().copied().find(|f| f.code() == code)
    }

    /// The error as a status reports it, with Meta's details.
    pub fn error(self) -> MessageError {
        self.with_details(self.default_details())
    }

    /// The error with details that say what happened in this case.
    pub fn with_details(self, details: impl Into<String>) -> MessageError {
        MessageError {
            code: self.code(),
            title: self.title().to_owned(),
            details: details.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for f in Failure::ALL {
            assert_eq!(Failure::from_code(f.code()), Some(*f));
            assert!(!f.error().details.is_empty());
        }
        assert!(Failure::PairRateLimit.is_transient());
        assert!(!Failure::ReEngagement.is_transient());
        assert_eq!(Failure::from_code(1), None);
    }
}
