//! [`TemplateName`]: Meta's template name, 1 to 512 of `a-z`, `0-9` and `_`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::content::limits::TEMPLATE_NAME;
use crate::error::ValidationError;

/// A template's name. Not unique on its own: one name has one template per language.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, min_length = 1, max_length = 512, pattern = "^[a-z0-9_]+$", example = "order_update")]
pub struct TemplateName(String);

impl TemplateName {
    pub const MAX_CHARS: usize = TEMPLATE_NAME;

    /// Parses a name as given: no trimming, since Meta matches names exactly.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.is_empty() {
            return Err(ValidationError::missing(
                "name",
                "is required and must not be empty",
            ));
        }
        let len = s.chars().count();
        if len > TEMPLATE_NAME {
            return Err(ValidationError::out_of_range(
                "name",
                format!("must be at most {TEMPLATE_NAME} characters (got {len})"),
            ));
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
        {
            return Err(ValidationError::new(
                "name",
                format!(
                    "may hold only lowercase letters, digits and underscores (found `{bad}`); \
                     for example `order_update_2`"
                ),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name as providers that normalise it write it (Message Central: "Abhishek786" →
/// "abhishek_786"): lower-case, runs of anything but letters and digits become one `_`,
/// and `_` separates letters from the digits after them. What remains must still parse.
pub fn normalise(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 4);
    let mut prev: Option<char> = None;
    for c in raw.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_digit() && prev.is_some_and(|p| p.is_ascii_alphabetic()) {
                out.push('_');
            }
            out.push(c);
            prev = Some(c);
        } else if prev.is_some_and(|p| p != '_') {
            out.push('_');
            prev = Some('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

impl fmt::Display for TemplateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TemplateName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TemplateName {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TemplateName> for String {
    fn from(n: TemplateName) -> String {
        n.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_as_message_central_does() {
        assert_eq!(normalise("Abhishek786"), "abhishek_786");
        assert_eq!(
            normalise("template_without_media_1"),
            "template_without_media_1"
        );
        assert_eq!(normalise("  My Template!! 2 "), "my_template_2");
        assert_eq!(normalise("demo_template"), "demo_template");
    }
    use crate::error::ValidationKind;

    #[test]
    fn metas_charset() {
        for good in [
            "hello_world",
            "order_update_2",
            "a",
            "_",
            "2fa",
            &"x".repeat(512),
        ] {
            assert_eq!(TemplateName::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "Hello",
            "hello-world",
            "hello world",
            "hello#world",
            "héllo",
            " a",
            "a\n",
        ] {
            let e = TemplateName::parse(bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.kind),
                ("name", ValidationKind::Invalid),
                "{bad:?}"
            );
            assert!(
                e.message
                    .contains("lowercase letters, digits and underscores")
            );
        }
    }

    #[test]
    fn length_is_1_to_512() {
        let e = TemplateName::parse("").unwrap_err();
        assert_eq!(e.kind, ValidationKind::Missing);
        let e = TemplateName::parse(&"a".repeat(513)).unwrap_err();
        assert_eq!(e.kind, ValidationKind::OutOfRange);
        assert_eq!(e.message, "must be at most 512 characters (got 513)");
    }

    #[test]
    fn deserialize_goes_through_parse() {
        let n: TemplateName = serde_json::from_str("\"promo_1\"").unwrap();
        assert_eq!(n.to_string(), "promo_1");
        assert!(serde_json::from_str::<TemplateName>("\"Promo\"").is_err());
        assert_eq!(serde_json::to_value(&n).unwrap(), "promo_1");
    }
}
