//! What the store answers about itself and the cross-cutting rows no domain owns
//! ([`PlatformStore`]): readiness and shutdown, sealing keys, idempotency keys.

use async_trait::async_trait;
use wagate_core::Timestamp;

use crate::{Result, idempotency, sealing};

/// The backend itself: its name, readiness and shutdown; the data keys secrets are sealed
/// with (see [`sealing`]); and idempotency keys (see
/// [`idempotency`]), stored so they hold across nodes. Part of
/// [`Store`](crate::Store).
#[async_trait]
pub trait PlatformStore: Send + Sync {
    /// `sqlite` or `postgres`, for logs and `/readyz`.
    fn backend(&self) -> &'static str;

    /// The clock the store was opened with. Services take theirs from here, so what they
    /// compare against is the time the store stamps.
    fn clock(&self) -> std::sync::Arc<dyn wagate_core::clock::Clock>;

    /// Cheap round trip to the database (readiness).
    async fn ping(&self) -> Result<()>;
    /// The data keys secrets are sealed with, wrapped by the master key (see [`sealing`]),
    /// oldest first.
    async fn secret_keys(&self) -> Result<Vec<sealing::WrappedKey>>;
    /// Stores a new wrapped data key.
    async fn add_secret_key(&self, key: sealing::WrappedKey) -> Result<()>;
    /// Replaces the wrapping of the named data keys, all in one transaction (a master key
    /// rotation); an id that is not stored is `NotFound`.
    async fn rewrap_secret_keys(&self, keys: Vec<sealing::WrappedKey>) -> Result<()>;
    /// Rewrites every stored secret not sealed under the current data key (a value from
    /// before sealing, or under an older key); returns how many rows changed.
    async fn reseal_secrets(&self) -> Result<u64>;

    /// Finishes queued writes and closes connections. Calls after this fail.
    async fn close(&self);

    // Idempotency keys (see [`idempotency`]): stored, so they hold across nodes.

    /// Reserves `reserve.scope`'s key for `reserve.request`, atomically: inserts it in
    /// progress (held by `reserve.holder` until `reserve.lease_until`) when it is absent or
    /// dead (created 24 h or more before `reserve.now`), or takes over an in-progress row of
    /// the same request whose lease ran out. Otherwise answers what the row holds. Of
    /// concurrent reserves of one key, on any node, exactly one is `Reserved`.
    async fn reserve_idempotency_key(
        &self,
        reserve: idempotency::Reserve,
    ) -> Result<idempotency::Reservation>;
    /// Stores the answer of the request `holder` reserved the key for, making it `Done`.
    /// `Ok(false)`, changing nothing, when `holder` no longer holds it (taken over or dead).
    async fn complete_idempotency_key(
        &self,
        scope: &idempotency::KeyScope,
        holder: uuid::Uuid,
        answer: idempotency::StoredAnswer,
    ) -> Result<bool>;
    /// Forgets the key `holder` reserved and did not complete (its request failed on our
    /// side), so a retry runs afresh. `Ok(false)` when `holder` no longer holds it.
    async fn release_idempotency_key(
        &self,
        scope: &idempotency::KeyScope,
        holder: uuid::Uuid,
    ) -> Result<bool>;
    /// Deletes up to `limit` keys dead at `now` (created 24 h or more before it), done or
    /// not; answers how many.
    async fn collect_idempotency_keys(&self, now: Timestamp, limit: u32) -> Result<u64>;
}
