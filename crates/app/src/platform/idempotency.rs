//! Idempotency keys (Stripe's semantics), the service the HTTP layer's middleware calls: a
//! request with an `Idempotency-Key` first [`App::begin_idempotent`]s; the answer says whether
//! to run it ([`Begun::Run`], then [`Held::complete`] with its answer or [`Held::release`]),
//! to replay a stored answer, or to refuse (in progress, or the key was used for another
//! request). Keys are stored (see `wagate_store::idempotency`), so they hold across restarts
//! and across nodes sharing a database.
//!
//! [`IdempotencyCollector::run_once`] deletes keys past their 24 hours; the worker loop calls
//! it, tests step it.

use std::sync::Arc;
use std::time::Duration;

use wagate_core::Timestamp;
use wagate_core::idempotency::{IdempotencyKey, RequestHash};
use wagate_core::ids::ApiKeyId;
use wagate_store::Store;
use wagate_store::idempotency::{KeyScope, Reservation, Reserve, StoredAnswer};

use crate::error::Result;
use crate::{App, Principal};

/// What to do with a request that carries an idempotency key.
#[derive(Debug)]
pub enum Begun {
    /// Run it: this request holds the key.
    Run(Held),
    /// The same request already finished: answer this, byte for byte.
    Replay(StoredAnswer),
    /// The same key is held by a request still running.
    InProgress,
    /// The key was used, within 24 hours, for another request.
    Mismatch,
}

/// A key this request holds until it completes or releases it.
pub struct Held {
    store: Arc<dyn Store>,
    scope: KeyScope,
    holder: uuid::Uuid,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held")
            .field("scope", &self.scope)
            .field("holder", &self.holder)
            .finish()
    }
}

impl Held {
    /// Stores the request's answer for retries. `Ok(false)` when the key was taken from this
    /// request meanwhile (it outlived its lease).
    pub async fn complete(&self, answer: StoredAnswer) -> Result<bool> {
        Ok(self
            .store
            .complete_idempotency_key(&self.scope, self.holder, answer)
            .await?)
    }

    /// Forgets the key (the request failed on our side), so a retry runs afresh.
    pub async fn release(&self) -> Result<bool> {
        Ok(self
            .store
            .release_idempotency_key(&self.scope, self.holder)
            .await?)
    }
}

impl App {
    /// Reserves `key` of the principal's API key for `request` at `now`, for at most `lease`
    /// (how long the request may take; after that a retry may take the key over).
    pub async fn begin_idempotent(
        &self,
        p: &Principal,
        key: IdempotencyKey,
        request: RequestHash,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Begun> {
        let scope = KeyScope {
            account_id: p.account_id,
            // The operator (admin CLI) has no key; its keys form one scope of the account.
            api_key_id: p
                .key_id
                .unwrap_or_else(|| ApiKeyId::from_uuid(uuid::Uuid::nil())),
            key,
        };
        let holder = uuid::Uuid::new_v4();
        let lease_until = now
            .checked_add(jiff::SignedDuration::try_from(lease).unwrap_or(jiff::SignedDuration::MAX))
            .unwrap_or(Timestamp::MAX);
        let found = self
            .store
            .reserve_idempotency_key(Reserve {
                scope: scope.clone(),
                request,
                holder,
                now,
                lease_until,
            })
            .await?;
        Ok(match found {
            Reservation::Reserved => Begun::Run(Held {
                store: self.store.clone(),
                scope,
                holder,
            }),
            Reservation::Done(answer) => Begun::Replay(answer),
            Reservation::InProgress => Begun::InProgress,
            Reservation::Mismatch => Begun::Mismatch,
        })
    }

    /// The collector of expired idempotency keys.
    pub fn idempotency_collector(&self) -> IdempotencyCollector {
        IdempotencyCollector {
            store: self.store.clone(),
        }
    }
}

/// Keys deleted per step.
const PER_STEP: u32 = 1000;

/// Deletes idempotency keys 24 hours after their first use.
pub struct IdempotencyCollector {
    store: Arc<dyn Store>,
}

impl IdempotencyCollector {
    /// Deletes up to one batch of keys dead at `now`; answers how many.
    pub async fn run_once(&self, now: Timestamp) -> anyhow::Result<u64> {
        let n = self.store.collect_idempotency_keys(now, PER_STEP).await?;
        if n > 0 {
            tracing::debug!(keys = n, "expired idempotency keys deleted");
        }
        Ok(n)
    }
}
