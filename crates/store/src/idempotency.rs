//! Stored idempotency keys (see `wagate_core::idempotency`): one row per key of one API key
//! of one account, holding what the key was first used for (a [`RequestHash`]) and, once the
//! request finished, its answer (status, content type, body) to replay.
//!
//! # Life of a key
//! 1. [`reserve_idempotency_key`] inserts the row *in progress*, held by a
//!    random token and leased until the request's deadline. Exactly one of concurrent
//!    reserves of one key wins, on every node sharing the database; the others learn what
//!    the row holds ([`Reservation`]).
//! 2. The holder either completes it with the answer (`done`) or releases it (the answer was a
//!    5xx, so a retry may run again). A holder that died leaves its row in progress; once its
//!    lease ran out, a retry of the same request takes it over.
//! 3. A row older than [`KEY_TTL`] (24 h) is dead: a reserve treats it as absent, and the
//!    collector deletes it.
//!
//! The decision rules are [`decide`], shared by both backends.
//!
//! [`reserve_idempotency_key`]: crate::PlatformStore::reserve_idempotency_key

use wagate_core::Timestamp;
use wagate_core::idempotency::{IdempotencyKey, KEY_TTL, RequestHash};
use wagate_core::ids::{AccountId, ApiKeyId};

use crate::error::StoreError;

/// Whose key: keys of different accounts or API keys never meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyScope {
    pub account_id: AccountId,
    pub api_key_id: ApiKeyId,
    pub key: IdempotencyKey,
}

/// A request to reserve a key.
#[derive(Debug, Clone)]
pub struct Reserve {
    pub scope: KeyScope,
    pub request: RequestHash,
    /// Identifies this reservation, so only its holder completes or releases it.
    pub holder: uuid::Uuid,
    pub now: Timestamp,
    /// Until when the holder may take to answer; after that a retry takes the key over.
    pub lease_until: Timestamp,
}

impl Reserve {
    /// Rows created at or before this are dead.
    pub fn expired_at_or_before(&self) -> i64 {
        expired_at_or_before(self.now)
    }
}

/// Rows created at or before this instant are dead at `now`.
pub fn expired_at_or_before(now: Timestamp) -> i64 {
    now.as_millisecond() - KEY_TTL.as_millis() as i64
}

/// A finished request's answer, replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// What a reserve found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The caller holds the key: run the request, then complete or release it.
    Reserved,
    /// Another request with this key is running (its lease has not run out).
    InProgress,
    /// The key was used for another request.
    Mismatch,
    /// The same request already finished: this is its answer.
    Done(StoredAnswer),
}

/// The idempotency key columns, in [`IdempotencyRecord`] order.
#[macro_export]
macro_rules! idempotency_columns {
    () => {
        "request_hash, holder, lease_until, status, content_type, body, created_at"
    };
}

/// A stored row, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdempotencyRecord {
    pub request_hash: Vec<u8>,
    pub holder: uuid::Uuid,
    pub lease_until: i64,
    /// `None` while the request is in progress.
    pub status: Option<i32>,
    pub content_type: Option<String>,
    pub body: Option<Vec<u8>>,
    pub created_at: i64,
}

/// What a reserve answers when the key's row is `row` (the insert did not take the key).
/// `None` means the row may be (re)taken: it is dead, or an in-progress row of the same
/// request whose holder's lease ran out. Backends take it with a conditional write of the
/// same rule ([`Reserve::expired_at_or_before`], lease and hash), so the rule is decided
/// once, atomically, in the database; this function reads what the write left.
pub fn decide(row: &IdempotencyRecord, reserve: &Reserve) -> Result<Reservation, StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "idempotency key",
        detail,
    };
    if row.created_at <= reserve.expired_at_or_before() {
        // Dead, yet the conditional write did not take it: a concurrent reserve renewed it
        // meanwhile and holds it.
        return Ok(Reservation::InProgress);
    }
    let stored = RequestHash::from_slice(&row.request_hash)
        .ok_or_else(|| corrupt(format!("hash of {} bytes", row.request_hash.len())))?;
    if stored != reserve.request {
        return Ok(Reservation::Mismatch);
    }
    if row.holder == reserve.holder {
        return Ok(Reservation::Reserved);
    }
    Ok(match row.status {
        None => Reservation::InProgress,
        Some(status) => Reservation::Done(StoredAnswer {
            status: u16::try_from(status).map_err(|_| corrupt(format!("status {status}")))?,
            content_type: row.content_type.clone(),
            body: row.body.clone().unwrap_or_default(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(b: &[u8]) -> RequestHash {
        RequestHash::hasher().part(b).finish()
    }

    fn reserve(now_ms: i64) -> Reserve {
        let now = Timestamp::from_millisecond(now_ms).unwrap();
        Reserve {
            scope: KeyScope {
                account_id: AccountId::generate(),
                api_key_id: ApiKeyId::generate(),
                key: IdempotencyKey::parse("k").unwrap(),
            },
            request: hash(b"a"),
            holder: uuid::Uuid::new_v4(),
            now,
            lease_until: now,
        }
    }

    fn row(created_at: i64, req: &[u8], status: Option<i32>) -> IdempotencyRecord {
        IdempotencyRecord {
            request_hash: hash(req).as_bytes().to_vec(),
            holder: uuid::Uuid::new_v4(),
            lease_until: created_at + 1000,
            status,
            content_type: Some("application/json".into()),
            body: Some(b"{}".to_vec()),
            created_at,
        }
    }

    #[test]
    fn decides_from_the_row() {
        let day = KEY_TTL.as_millis() as i64;
        let r = reserve(10 * day);
        let now = 10 * day;
        assert_eq!(
            decide(&row(now - 5, b"b", Some(200)), &r).unwrap(),
            Reservation::Mismatch
        );
        assert_eq!(
            decide(&row(now - 5, b"a", None), &r).unwrap(),
            Reservation::InProgress
        );
        let Reservation::Done(answer) = decide(&row(now - 5, b"a", Some(201)), &r).unwrap() else {
            panic!("done");
        };
        assert_eq!(answer.status, 201);
        assert_eq!(answer.body, b"{}");
        // The row our own conditional write left.
        let mut mine = row(now, b"a", None);
        mine.holder = r.holder;
        assert_eq!(decide(&mine, &r).unwrap(), Reservation::Reserved);
        // Exactly 24 h old is dead; a dead row left standing is someone else's renewal.
        assert_eq!(r.expired_at_or_before(), now - day);
        assert_eq!(
            decide(&row(now - day, b"b", Some(200)), &r).unwrap(),
            Reservation::InProgress
        );
        let mut bad = row(now, b"a", None);
        bad.request_hash.pop();
        assert!(matches!(decide(&bad, &r), Err(StoreError::Corrupt { .. })));
    }
}
