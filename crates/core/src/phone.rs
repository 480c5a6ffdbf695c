//! Phone numbers in international (E.164) form.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// A phone number in international form, held as its digits (country code first, no `+`),
/// which is how WhatsApp writes `wa_id`s and `display_phone_number` in webhooks.
///
/// Accepts `+1 555-096-7852`, `+15550967852`, `0015550967852` and `15550967852`; rejects
/// anything that is not 8–15 digits once separators (spaces, `-`, `.`, `(`, `)`) are removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "+15550100001")]
pub struct PhoneE164(String);

impl PhoneE164 {
    pub fn parse_field(field: &str, s: &str) -> Result<Self, ValidationError> {
        let bad = || {
            ValidationError::new(
                field,
                "must be a phone number in international format, like +15550100001",
            )
        };
        let s = s.trim();
        if s.len() > 32 {
            return Err(bad());
        }
        let rest = s
            .strip_prefix('+')
            .or_else(|| s.strip_prefix("00"))
            .unwrap_or(s);
        let mut digits = String::with_capacity(15);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(bad()),
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(bad());
        }
        Ok(Self(digits))
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::parse_field("phone_number", s)
    }

    /// Digits only, country code first (`15550967852`).
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneE164 {
    /// `+15550967852`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

impl TryFrom<String> for PhoneE164 {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PhoneE164> for String {
    fn from(p: PhoneE164) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_international_forms() {
        for ok in [
            "+1 555-096-7852",
            "+15550967852",
            "0015550967852",
            "15550967852",
            "+91 (98765) 43210",
        ] {
            let p = PhoneE164::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert!(p.to_string().starts_with('+'));
        }
        assert_eq!(
            PhoneE164::parse("+1 555-096-7852").unwrap().digits(),
            "15550967852"
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "+",
            "12345",
            "+1555abc7852",
            "+1234567890123456",
            "0123456789",
            "+1 555 096 7852 ext 3",
        ] {
            assert!(PhoneE164::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
