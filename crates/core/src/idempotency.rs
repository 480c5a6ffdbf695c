//! Idempotency keys (Stripe's semantics): a client sends `Idempotency-Key: <key>` with a
//! creating POST, and the gateway answers a retry with the same key and the same request
//! with the first answer instead of acting twice.
//!
//! [`IdempotencyKey`] is the header value, parsed once at the edge. [`RequestHash`] is the
//! digest of what the key was first used for (method, path, body), so a key reused for
//! another request is told apart from a retry.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::ValidationError;

/// How long a key is remembered after first use; after that it starts fresh.
pub const KEY_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// The longest key accepted, in bytes (Stripe's limit).
pub const MAX_KEY_LEN: usize = 255;

/// A client's idempotency key: 1 to 255 visible ASCII characters (a UUID is typical).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let field = "Idempotency-Key";
        if s.is_empty() {
            return Err(ValidationError::missing(field, "must not be empty"));
        }
        if s.len() > MAX_KEY_LEN {
            return Err(ValidationError::out_of_range(
                field,
                format!("must be at most {MAX_KEY_LEN} characters"),
            ));
        }
        if !s.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(ValidationError::new(
                field,
                "must be visible ASCII characters (a UUID is a good key)",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// SHA-256 of a request: what a key was first used for.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestHash([u8; 32]);

impl RequestHash {
    /// A hasher over a request's parts; feed it the method, path and body in order.
    pub fn hasher() -> RequestHasher {
        RequestHasher(Sha256::new())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Reads a stored digest back; `None` unless it is 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for RequestHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0[..6] {
            write!(f, "{b:02x}")?;
        }
        f.write_str("…")
    }
}

/// Builds a [`RequestHash`]. Each [`RequestHasher::part`] is length-prefixed, so
/// `("ab", "c")` and `("a", "bc")` hash differently.
#[derive(Clone)]
pub struct RequestHasher(Sha256);

impl RequestHasher {
    /// One whole part (method, path…).
    pub fn part(mut self, bytes: &[u8]) -> Self {
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
        self
    }

    /// Part of a streamed body: call [`RequestHasher::end_stream`] with its length after it.
    pub fn stream(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Ends a streamed part of `len` bytes.
    pub fn end_stream(mut self, len: u64) -> Self {
        self.0.update(len.to_be_bytes());
        self
    }

    pub fn finish(self) -> RequestHash {
        RequestHash(self.0.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ValidationKind;

    #[test]
    fn keys_are_one_to_255_visible_characters() {
        assert_eq!(IdempotencyKey::parse("a").unwrap().as_str(), "a");
        let uuid = "0b2a6a4e-6c1f-4c8e-9f3e-2a1d5a6b7c8d";
        assert_eq!(IdempotencyKey::parse(uuid).unwrap().to_string(), uuid);
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());

        let empty = IdempotencyKey::parse("").unwrap_err();
        assert_eq!(empty.kind, ValidationKind::Missing);
        assert_eq!(empty.field, "Idempotency-Key");
        let long = IdempotencyKey::parse(&"k".repeat(256)).unwrap_err();
        assert_eq!(long.kind, ValidationKind::OutOfRange);
        assert!(long.message.contains("255"));
        for bad in ["tab\there", "nl\n", "é", "\u{0}"] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parts_are_delimited() {
        let h = |a: &str, b: &str| {
            RequestHash::hasher()
                .part(a.as_bytes())
                .part(b.as_bytes())
                .finish()
        };
        assert_eq!(h("POST", "/x"), h("POST", "/x"));
        assert_ne!(h("ab", "c"), h("a", "bc"));
        assert_ne!(h("POST", "/x"), h("POST", "/y"));

        let mut s = RequestHash::hasher().part(b"POST");
        s.stream(b"hello ");
        s.stream(b"world");
        let streamed = s.end_stream(11).finish();
        let mut whole = RequestHash::hasher().part(b"POST");
        whole.stream(b"hello world");
        assert_eq!(streamed, whole.end_stream(11).finish());
        assert_eq!(RequestHash::from_slice(streamed.as_bytes()), Some(streamed));
        assert_eq!(RequestHash::from_slice(&[0; 31]), None);
    }
}
