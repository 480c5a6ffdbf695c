//! API keys. A key is a random secret (`wag_` + 40 base62 characters, about 238 bits) shown
//! once at creation; wagate stores only its SHA-256 digest and a short display prefix, and
//! looks keys up by digest. A slow KDF would add nothing for secrets this random and would
//! cost CPU on every request.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Timestamp;
use crate::ids::{AccountId, ApiKeyId, ChannelId};
use crate::text::KeyName;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const PREFIX: &str = "wag_";
const RANDOM_CHARS: usize = 40;
/// Characters of the key kept in clear to tell keys apart in listings (`wag_` + 6).
const DISPLAY_PREFIX_CHARS: usize = PREFIX.len() + 6;
/// Longest credential we bother digesting; anything longer is simply unknown.
pub const MAX_PRESENTED_LEN: usize = 512;

/// A key's secret, held only between generation and the one response that shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl ApiKeySecret {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut s = String::with_capacity(PREFIX.len() + RANDOM_CHARS);
        s.push_str(PREFIX);
        for _ in 0..RANDOM_CHARS {
            s.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
        }
        Self(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> ApiKeyDigest {
        ApiKeyDigest::of(&self.0)
    }

    /// `wag_AbC123`: enough to recognise a key, far too little to guess it.
    pub fn display_prefix(&self) -> String {
        self.0.chars().take(DISPLAY_PREFIX_CHARS).collect()
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeySecret({}…)", self.display_prefix())
    }
}

/// SHA-256 of a presented or generated key. The store indexes keys by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiKeyDigest([u8; 32]);

impl ApiKeyDigest {
    /// The digest of whatever credential a client presented.
    pub fn of(presented: &str) -> Self {
        Self(Sha256::digest(presented.as_bytes()).into())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Constant-time comparison, for callers that compare digests themselves.
    pub fn ct_eq(&self, other: &ApiKeyDigest) -> bool {
        use subtle::ConstantTimeEq;
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for ApiKeyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeyDigest({}…)", &hex::encode(self.0)[..8])
    }
}

/// Which channels a key may act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyChannels {
    /// Every channel of the account, present and future; such a key may also manage the
    /// account's channels and keys.
    All,
    /// Only these channels.
    Only(Vec<ChannelId>),
}

impl KeyChannels {
    pub fn allows(&self, channel: ChannelId) -> bool {
        match self {
            KeyChannels::All => true,
            KeyChannels::Only(ids) => ids.contains(&channel),
        }
    }

    pub fn is_account_wide(&self) -> bool {
        matches!(self, KeyChannels::All)
    }

    /// `None` for all channels, else the list (how both backends store it).
    pub fn as_list(&self) -> Option<&[ChannelId]> {
        match self {
            KeyChannels::All => None,
            KeyChannels::Only(ids) => Some(ids),
        }
    }
}

/// A stored key (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub account_id: AccountId,
    pub name: KeyName,
    pub prefix: String,
    pub channels: KeyChannels,
    /// An admin key may also mint admin keys and read the audit log. Always account-wide.
    pub admin: bool,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl ApiKey {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// Command: store a new key. Built by [`NewApiKey::generate`], which also hands back the
/// secret to show once.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    pub account_id: AccountId,
    pub name: KeyName,
    pub prefix: String,
    pub digest: ApiKeyDigest,
    pub channels: KeyChannels,
    /// See [`ApiKey::admin`]; only with [`KeyChannels::All`].
    pub admin: bool,
}

impl NewApiKey {
    pub fn generate(
        account_id: AccountId,
        name: KeyName,
        channels: KeyChannels,
    ) -> (Self, ApiKeySecret) {
        let secret = ApiKeySecret::generate();
        let key = Self {
            id: ApiKeyId::generate(),
            account_id,
            name,
            prefix: secret.display_prefix(),
            digest: secret.digest(),
            channels,
            admin: false,
        };
        (key, secret)
    }

    /// An account-wide admin key (first start's, `wagate key create --admin`, or one an
    /// admin key creates).
    pub fn generate_admin(account_id: AccountId, name: KeyName) -> (Self, ApiKeySecret) {
        let (mut key, secret) = Self::generate(account_id, name, KeyChannels::All);
        key.admin = true;
        (key, secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_long_and_prefixed() {
        let a = ApiKeySecret::generate();
        let b = ApiKeySecret::generate();
        assert_ne!(a, b);
        assert!(a.expose().starts_with("wag_"));
        assert_eq!(a.expose().len(), 44);
        // 40 characters from 62 symbols: log2(62) * 40 ≈ 238 bits ≥ 128.
        assert!((62f64).log2() * RANDOM_CHARS as f64 >= 128.0);
        assert!(a.expose()[4..].bytes().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn digest_is_sha256_of_the_secret() {
        let d = ApiKeyDigest::of("abc");
        assert_eq!(
            hex::encode(d.as_bytes()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(d.ct_eq(&ApiKeyDigest::of("abc")));
        assert!(!d.ct_eq(&ApiKeyDigest::of("abd")));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let s = ApiKeySecret::generate();
        let shown = format!("{s:?}");
        assert!(!shown.contains(s.expose()));
        assert!(shown.contains(&s.display_prefix()));
    }

    #[test]
    fn scope_checks() {
        let a = ChannelId::generate();
        let b = ChannelId::generate();
        assert!(KeyChannels::All.allows(a));
        let only = KeyChannels::Only(vec![a]);
        assert!(only.allows(a));
        assert!(!only.allows(b));
        assert!(!only.is_account_wide());
    }
}
