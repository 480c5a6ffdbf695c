//! Console sessions: a person signed in to the web console (`/console`) with an API key holds
//! a session cookie; the server keeps the session (the key it stands for, its CSRF token, its
//! expiry) so that signing out, expiry and the key's revocation end it on every node at once.
//!
//! Only the SHA-256 digest of the cookie's secret is stored: a copy of the table opens no
//! session. The key is looked up on every use, so a revoked key's sessions stop working.

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ApiKeyId};

use crate::Result;
use crate::error::StoreError;

/// A stored console session. `Debug` never shows the CSRF token.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredConsoleSession {
    /// SHA-256 of the cookie's secret.
    pub digest: [u8; 32],
    pub account_id: AccountId,
    pub key_id: ApiKeyId,
    /// The token every form and htmx request of the session must carry.
    pub csrf: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for StoredConsoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredConsoleSession")
            .field("account_id", &self.account_id)
            .field("key_id", &self.key_id)
            .field("csrf", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Console sessions (see [`console_sessions`](self)). Part of [`Store`](crate::Store).
#[async_trait]
pub trait ConsoleSessionStore: Send + Sync {
    /// Stores a new session (its digest is new: 32 random bytes).
    async fn create_console_session(&self, session: StoredConsoleSession) -> Result<()>;
    /// The session whose secret has this digest, if it exists and has not expired at `now`.
    async fn console_session(
        &self,
        digest: [u8; 32],
        now: Timestamp,
    ) -> Result<Option<StoredConsoleSession>>;
    /// Ends a session (signing out); whether there was one.
    async fn delete_console_session(&self, digest: [u8; 32]) -> Result<bool>;
    /// Deletes every session expired at `now`; how many.
    async fn delete_expired_console_sessions(&self, now: Timestamp) -> Result<u64>;
}

/// The session columns, in [`ConsoleSessionRecord`] order.
#[macro_export]
macro_rules! console_session_columns {
    () => {
        "digest, account_id, key_id, csrf, created_at, expires_at"
    };
}

/// A stored row, as both backends read it.
#[derive(Clone, sqlx::FromRow)]
pub struct ConsoleSessionRecord {
    pub digest: Vec<u8>,
    pub account_id: uuid::Uuid,
    pub key_id: uuid::Uuid,
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl From<&StoredConsoleSession> for ConsoleSessionRecord {
    fn from(s: &StoredConsoleSession) -> Self {
        Self {
            digest: s.digest.to_vec(),
            account_id: s.account_id.as_uuid(),
            key_id: s.key_id.as_uuid(),
            csrf: s.csrf.clone(),
            created_at: s.created_at.as_millisecond(),
            expires_at: s.expires_at.as_millisecond(),
        }
    }
}

impl TryFrom<ConsoleSessionRecord> for StoredConsoleSession {
    type Error = StoreError;

    fn try_from(r: ConsoleSessionRecord) -> Result<Self, StoreError> {
        let what = "console session";
        let corrupt = |detail: String| StoreError::Corrupt { what, detail };
        let time =
            |ms: i64| Timestamp::from_millisecond(ms).map_err(|e| corrupt(format!("time: {e}")));
        Ok(Self {
            digest: r
                .digest
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("digest is not 32 bytes".into()))?,
            account_id: AccountId::from_uuid(r.account_id),
            key_id: ApiKeyId::from_uuid(r.key_id),
            csrf: r.csrf,
            created_at: time(r.created_at)?,
            expires_at: time(r.expires_at)?,
        })
    }
}
