//! Secrets at rest on PostgreSQL: the wrapped data keys, and re-sealing stored secrets (see
//! `wagate_store::sealing`). Each writing function runs in the caller's transaction.

use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;
use wagate_store::records::resealed_upstream;
use wagate_store::sealing::{WrappedKey, resealed};
use wagate_store::{Result, StoreError};

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

pub async fn keys(conn: &mut PgConnection) -> Result<Vec<WrappedKey>> {
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT id, wrapped, created_at FROM secret_keys ORDER BY created_at, id")
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(id, wrapped, created_at)| WrappedKey {
            id,
            wrapped,
            created_at,
        })
        .collect())
}

pub async fn add(conn: &mut PgConnection, key: WrappedKey) -> Result<()> {
    sqlx::query("INSERT INTO secret_keys (id, wrapped, created_at) VALUES ($1, $2, $3)")
        .bind(key.id)
        .bind(key.wrapped)
        .bind(key.created_at)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

pub async fn rewrap(conn: &mut PgConnection, keys: Vec<WrappedKey>) -> Result<()> {
    for key in keys {
        let done = sqlx::query("UPDATE secret_keys SET wrapped = $1 WHERE id = $2")
            .bind(&key.wrapped)
            .bind(&key.id)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::conflict(
                wagate_store::Conflict::DataKey,
                format!("data key {} is not stored", key.id),
            ));
        }
    }
    Ok(())
}

pub async fn reseal(conn: &mut PgConnection) -> Result<u64> {
    let mut changed = 0;
    let channels: Vec<(Uuid, Json<serde_json::Value>)> = sqlx::query_as(
        "SELECT id, upstream FROM channels WHERE upstream_kind = 'cloud' FOR UPDATE",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    for (id, upstream) in channels {
        if let Some(v) = resealed_upstream(upstream.0)? {
            sqlx::query("UPDATE channels SET upstream = $1 WHERE id = $2")
                .bind(Json(v))
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
            changed += 1;
        }
    }
    let subs: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, secret, verify_token FROM webhook_subscriptions FOR UPDATE")
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    for (id, secret, token) in subs {
        let what = "webhook subscription";
        let (s, t) = (resealed(what, &secret)?, resealed(what, &token)?);
        if s.is_some() || t.is_some() {
            sqlx::query(
                "UPDATE webhook_subscriptions SET secret = $1, verify_token = $2 WHERE id = $3",
            )
            .bind(s.unwrap_or(secret))
            .bind(t.unwrap_or(token))
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            changed += 1;
        }
    }
    Ok(changed)
}
