//! Bounded text. Each newtype here is a string that has been trimmed, checked for length (in
//! characters, as Meta counts them) and for control characters. The only way to build one is
//! `parse`, which names the field in its error.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// Checks `s` against `min..=max` characters after trimming; rejects control characters
/// (other than newlines where `multiline`).
pub fn bounded(
    field: &str,
    s: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Result<String, ValidationError> {
    let s = s.trim();
    let len = s.chars().count();
    if len < min {
        return Err(ValidationError::new(
            field,
            if min == 1 {
                "must not be empty".to_owned()
            } else {
                format!("must be at least {min} characters")
            },
        ));
    }
    if len > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && !(multiline && c == '\n'))
    {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, $field:literal, $min:tt ..= $max:tt, $multiline:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String, min_length = $min, max_length = $max)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(s: &str) -> Result<Self, ValidationError> {
                bounded($field, s, $min, $max, $multiline).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

bounded_text!(
    /// An account's display name.
    AccountName, "name", 1..=100, false
);
bounded_text!(
    /// The business name WhatsApp users see (Meta's "display name").
    VerifiedName, "verified_name", 1..=256, false
);
bounded_text!(
    /// A label for an API key, so its owner can tell keys apart.
    KeyName, "name", 1..=100, false
);
bounded_text!(
    /// Business profile "about" text (Meta: 1–139 characters).
    ProfileAbout, "about", 1..=139, false
);
bounded_text!(
    /// Business profile address (Meta: at most 256 characters).
    ProfileAddress, "address", 1..=256, false
);
bounded_text!(
    /// Business profile description (Meta: at most 512 characters).
    ProfileDescription, "description", 1..=512, true
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds_by_characters() {
        assert_eq!(ProfileAbout::parse("  hi  ").unwrap().as_str(), "hi");
        assert!(ProfileAbout::parse(&"é".repeat(139)).is_ok());
        let err = ProfileAbout::parse(&"é".repeat(140)).unwrap_err();
        assert_eq!(err.to_string(), "about: must be at most 139 characters");
        assert_eq!(
            AccountName::parse("   ").unwrap_err().message,
            "must not be empty"
        );
    }

    #[test]
    fn control_characters_rejected_except_newlines_in_multiline() {
        assert!(VerifiedName::parse("a\u{0}b").is_err());
        assert!(VerifiedName::parse("a\nb").is_err());
        assert!(ProfileDescription::parse("line one\nline two").is_ok());
    }

    #[test]
    fn deserialize_goes_through_parse() {
        let r: Result<KeyName, _> = serde_json::from_str(&format!("\"{}\"", "x".repeat(101)));
        assert!(r.is_err());
        let ok: KeyName = serde_json::from_str("\"ci key\"").unwrap();
        assert_eq!(ok.as_str(), "ci key");
    }
}
