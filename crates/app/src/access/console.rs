//! Console sessions: an API key traded, at the console's sign-in form, for a server-side
//! session (see [`wagate_store::console_sessions`]). The cookie carries a random secret; the
//! store keeps its digest, the key it stands for, the session's CSRF token and its expiry.
//! The key is looked up on every use, so revoking it ends its sessions; signing out deletes
//! the session; an expired one is never found again (and is purged at the next sign-in).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wagate_core::Timestamp;
use wagate_store::console_sessions::StoredConsoleSession;

use crate::error::Result;
use crate::{App, Principal};

/// The console's settings (`[console]` in the TOML file).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Hours a console session lasts from sign-in (default 12).
    pub session_hours: u32,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self { session_hours: 12 }
    }
}

impl ConsoleConfig {
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(u64::from(self.session_hours.max(1)) * 3600)
    }
}

/// A live console session: who it is, and the token its forms carry.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub principal: Principal,
    pub csrf: String,
    pub expires_at: Timestamp,
}

/// A session just opened: the secret for the cookie (shown to nobody else), and the session.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub secret: String,
    pub session: ConsoleSession,
}

/// 32 random bytes, URL-safe base64 (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether two tokens are equal, in time independent of where they differ.
pub fn tokens_match(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl App {
    /// A new session for the API key `presented`, lasting `ttl`; `None` when it is not a live
    /// key (the caller must not say which).
    pub async fn open_console_session(
        &self,
        presented: &str,
        ttl: Duration,
    ) -> Result<Option<OpenedSession>> {
        let Some(principal) = self.authenticate(presented).await? else {
            return Ok(None);
        };
        let Some(key_id) = principal.key_id else {
            return Ok(None);
        };
        let now = self.now();
        let ttl =
            jiff::SignedDuration::try_from(ttl).unwrap_or(jiff::SignedDuration::from_hours(12));
        let expires_at = now.checked_add(ttl).unwrap_or(now);
        self.store.delete_expired_console_sessions(now).await?;
        let secret = random_token();
        let csrf = random_token();
        self.store
            .create_console_session(StoredConsoleSession {
                digest: digest(&secret),
                account_id: principal.account_id,
                key_id,
                csrf: csrf.clone(),
                created_at: now,
                expires_at,
            })
            .await?;
        Ok(Some(OpenedSession {
            secret,
            session: ConsoleSession {
                principal,
                csrf,
                expires_at,
            },
        }))
    }

    /// The live session behind a cookie's secret: `None` when it is unknown, expired, signed
    /// out, or its key was revoked since.
    pub async fn console_session(&self, secret: &str) -> Result<Option<ConsoleSession>> {
        if secret.is_empty() || secret.len() > 128 {
            return Ok(None);
        }
        let Some(stored) = self
            .store
            .console_session(digest(secret), self.now())
            .await?
        else {
            return Ok(None);
        };
        match self
            .store
            .get_api_key(stored.account_id, stored.key_id)
            .await
        {
            Ok(key) if key.is_active() => Ok(Some(ConsoleSession {
                principal: Principal::from_key(&key),
                csrf: stored.csrf,
                expires_at: stored.expires_at,
            })),
            Ok(_) | Err(wagate_store::StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Ends the session behind a cookie's secret (signing out); nothing when there is none.
    pub async fn close_console_session(&self, secret: &str) -> Result<()> {
        if !secret.is_empty() && secret.len() <= 128 {
            self.store.delete_console_session(digest(secret)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "abcd"));
        assert!(!tokens_match("", "a"));
    }

    #[test]
    fn random_tokens_differ_and_are_url_safe() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
