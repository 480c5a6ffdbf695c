//! The platform's rows: sealing keys and re-sealing stored secrets (see [`crate::sealing`]),
//! idempotency keys (see [`crate::idempotency`]); their statements, and [`PlatformStore`] for
//! every [`Backend`].

use async_trait::async_trait;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;
use wagate_core::Timestamp;

use super::{Backend, Conn, Dialect, query};
use crate::idempotency::{
    IdempotencyRecord, KeyScope, Reservation, Reserve, StoredAnswer, decide, expired_at_or_before,
};
use crate::records::resealed_upstream;
use crate::sealing::{WrappedKey, resealed};
use crate::{Conflict, PlatformStore, Result, StoreError, idempotency_columns};

#[async_trait]
impl<B: Backend> PlatformStore for B {
    fn backend(&self) -> &'static str {
        B::NAME
    }

    fn clock(&self) -> std::sync::Arc<dyn wagate_core::clock::Clock> {
        Backend::clock(self).clone()
    }

    async fn ping(&self) -> Result<()> {
        self.read(move |c| Box::pin(c.ping())).await
    }

    async fn secret_keys(&self) -> Result<Vec<WrappedKey>> {
        self.read(move |c| Box::pin(secret_keys(c))).await
    }

    async fn add_secret_key(&self, key: WrappedKey) -> Result<()> {
        self.write(move |c| Box::pin(add_secret_key(c, key))).await
    }

    async fn rewrap_secret_keys(&self, keys: Vec<WrappedKey>) -> Result<()> {
        self.write(move |c| Box::pin(rewrap_secret_keys(c, keys)))
            .await
    }

    async fn reseal_secrets(&self) -> Result<u64> {
        self.write(move |c| Box::pin(reseal_secrets(c))).await
    }

    async fn close(&self) {
        self.shutdown().await;
    }

    async fn reserve_idempotency_key(&self, reserve: Reserve) -> Result<Reservation> {
        self.write(move |c| Box::pin(reserve_idempotency_key(c, reserve)))
            .await
    }

    async fn complete_idempotency_key(
        &self,
        scope: &KeyScope,
        holder: Uuid,
        answer: StoredAnswer,
    ) -> Result<bool> {
        let scope = scope.clone();
        self.write(move |c| {
            Box::pin(async move { complete_idempotency_key(c, &scope, holder, answer).await })
        })
        .await
    }

    async fn release_idempotency_key(&self, scope: &KeyScope, holder: Uuid) -> Result<bool> {
        let scope = scope.clone();
        self.write(move |c| {
            Box::pin(async move { release_idempotency_key(c, &scope, holder).await })
        })
        .await
    }

    async fn collect_idempotency_keys(&self, now: Timestamp, limit: u32) -> Result<u64> {
        self.write(move |c| Box::pin(collect_idempotency_keys(c, now, limit)))
            .await
    }
}

pub async fn secret_keys<C: Conn>(c: &mut C) -> Result<Vec<WrappedKey>> {
    let rows = c
        .fetch_all::<(String, String, i64)>(query(
            "SELECT id, wrapped, created_at FROM secret_keys ORDER BY created_at, id",
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, wrapped, created_at)| WrappedKey {
            id,
            wrapped,
            created_at,
        })
        .collect())
}

pub async fn add_secret_key<C: Conn>(c: &mut C, key: WrappedKey) -> Result<()> {
    c.execute(
        query("INSERT INTO secret_keys (id, wrapped, created_at) VALUES ($1, $2, $3)")
            .bind(key.id)
            .bind(key.wrapped)
            .bind(key.created_at),
    )
    .await?;
    Ok(())
}

pub async fn rewrap_secret_keys<C: Conn>(c: &mut C, keys: Vec<WrappedKey>) -> Result<()> {
    for key in keys {
        let changed = c
            .execute(
                query("UPDATE secret_keys SET wrapped = $1 WHERE id = $2")
                    .bind(key.wrapped)
                    .bind(&key.id),
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::conflict(
                Conflict::DataKey,
                format!("data key {} is not stored", key.id),
            ));
        }
    }
    Ok(())
}

/// Rewrites every stored secret not sealed under the current data key; how many rows changed.
/// On PostgreSQL the rows read stay locked until the transaction ends.
pub async fn reseal_secrets<C: Conn>(c: &mut C) -> Result<u64> {
    let lock = c.dialect().for_update();
    let mut changed = 0;
    let mut q = query("SELECT id, upstream FROM channels WHERE upstream_kind = 'cloud'");
    q.push(lock);
    for (id, upstream) in c.fetch_all::<(Uuid, Json<Value>)>(q).await? {
        if let Some(v) = resealed_upstream(upstream.0)? {
            c.execute(
                query("UPDATE channels SET upstream = $1 WHERE id = $2")
                    .bind(Json(v))
                    .bind(id),
            )
            .await?;
            changed += 1;
        }
    }
    let mut q = query("SELECT id, secret, verify_token FROM webhook_subscriptions");
    q.push(lock);
    for (id, secret, token) in c.fetch_all::<(Uuid, String, String)>(q).await? {
        let what = "webhook subscription";
        let (s, t) = (resealed(what, &secret)?, resealed(what, &token)?);
        if s.is_some() || t.is_some() {
            c.execute(
                query(
                    "UPDATE webhook_subscriptions SET secret = $1, verify_token = $2 WHERE id = $3",
                )
                .bind(s.unwrap_or(secret))
                .bind(t.unwrap_or(token))
                .bind(id),
            )
            .await?;
            changed += 1;
        }
    }
    let mut q = query("SELECT channel_id, secret FROM woztell_secrets");
    q.push(lock);
    for (id, secret) in c.fetch_all::<(Uuid, String)>(q).await? {
        if let Some(s) = resealed("WOZTELL secret", &secret)? {
            c.execute(
                query("UPDATE woztell_secrets SET secret = $1 WHERE channel_id = $2")
                    .bind(s)
                    .bind(id),
            )
            .await?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Inserts the key, or takes a dead row or an abandoned one of the same request (the rule
/// [`decide`] documents), in one statement; otherwise answers what the row holds. On
/// PostgreSQL the conditional `ON CONFLICT DO UPDATE` waits for a concurrent insert of the
/// same key to commit and decides on the committed row (and locks it), so of two nodes
/// reserving one key at once exactly one takes it; SQLite's one writer runs reserves one
/// after the other.
pub async fn reserve_idempotency_key<C: Conn>(c: &mut C, r: Reserve) -> Result<Reservation> {
    let taken = c
        .execute(
            query(
                "INSERT INTO idempotency_keys (account_id, api_key_id, key, request_hash, holder, \
                 lease_until, status, content_type, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, $7) \
                 ON CONFLICT (account_id, api_key_id, key) DO UPDATE SET \
                 request_hash = excluded.request_hash, holder = excluded.holder, \
                 lease_until = excluded.lease_until, status = NULL, content_type = NULL, \
                 body = NULL, created_at = excluded.created_at \
                 WHERE idempotency_keys.created_at <= $8 \
                 OR (idempotency_keys.status IS NULL AND idempotency_keys.lease_until <= $7 \
                     AND idempotency_keys.request_hash = excluded.request_hash)",
            )
            .bind(r.scope.account_id.as_uuid())
            .bind(r.scope.api_key_id.as_uuid())
            .bind(r.scope.key.as_str())
            .bind(&r.request.as_bytes()[..])
            .bind(r.holder)
            .bind(r.lease_until.as_millisecond())
            .bind(r.now.as_millisecond())
            .bind(r.expired_at_or_before()),
        )
        .await?;
    if taken == 1 {
        return Ok(Reservation::Reserved);
    }
    let row = c
        .fetch_optional::<IdempotencyRecord>(
            query(concat!(
                "SELECT ",
                idempotency_columns!(),
                " FROM idempotency_keys WHERE account_id = $1 AND api_key_id = $2 AND key = $3"
            ))
            .bind(r.scope.account_id.as_uuid())
            .bind(r.scope.api_key_id.as_uuid())
            .bind(r.scope.key.as_str()),
        )
        .await?
        .ok_or_else(|| StoreError::database(sqlx::Error::RowNotFound))?;
    decide(&row, &r)
}

pub async fn complete_idempotency_key<C: Conn>(
    c: &mut C,
    scope: &KeyScope,
    holder: Uuid,
    answer: StoredAnswer,
) -> Result<bool> {
    let changed = c
        .execute(
            query(
                "UPDATE idempotency_keys SET status = $5, content_type = $6, body = $7 \
                 WHERE account_id = $1 AND api_key_id = $2 AND key = $3 AND holder = $4 \
                 AND status IS NULL",
            )
            .bind(scope.account_id.as_uuid())
            .bind(scope.api_key_id.as_uuid())
            .bind(scope.key.as_str())
            .bind(holder)
            .bind(i64::from(answer.status))
            .bind(answer.content_type)
            .bind(answer.body),
        )
        .await?;
    Ok(changed == 1)
}

pub async fn release_idempotency_key<C: Conn>(
    c: &mut C,
    scope: &KeyScope,
    holder: Uuid,
) -> Result<bool> {
    let changed = c
        .execute(
            query(
                "DELETE FROM idempotency_keys \
                 WHERE account_id = $1 AND api_key_id = $2 AND key = $3 AND holder = $4 \
                 AND status IS NULL",
            )
            .bind(scope.account_id.as_uuid())
            .bind(scope.api_key_id.as_uuid())
            .bind(scope.key.as_str())
            .bind(holder),
        )
        .await?;
    Ok(changed == 1)
}

/// Deletes up to `limit` keys dead at `now`, oldest first.
pub async fn collect_idempotency_keys<C: Conn>(
    c: &mut C,
    now: Timestamp,
    limit: u32,
) -> Result<u64> {
    let statement = match c.dialect() {
        Dialect::Sqlite => {
            "DELETE FROM idempotency_keys WHERE rowid IN \
             (SELECT rowid FROM idempotency_keys WHERE created_at <= $1 \
              ORDER BY created_at LIMIT $2)"
        }
        Dialect::Postgres => {
            "DELETE FROM idempotency_keys WHERE (account_id, api_key_id, key) IN \
             (SELECT account_id, api_key_id, key FROM idempotency_keys WHERE created_at <= $1 \
              ORDER BY created_at LIMIT $2)"
        }
    };
    c.execute(
        query(statement)
            .bind(expired_at_or_before(now))
            .bind(i64::from(limit)),
    )
    .await
}
