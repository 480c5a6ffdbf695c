//! Idempotency keys on SQLite (see `wagate_store::idempotency`). Every write runs on the one
//! writer connection, so a reserve's insert-or-take and its read are one transaction that no
//! other write interleaves with.

use sqlx::SqliteConnection;
use wagate_core::Timestamp;
use wagate_store::idempotency::{
    IdempotencyRecord, KeyScope, Reservation, Reserve, StoredAnswer, decide, expired_at_or_before,
};
use wagate_store::{Result, StoreError, idempotency_columns};

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

pub async fn reserve(conn: &mut SqliteConnection, r: Reserve) -> Result<Reservation> {
    // Insert, or take a dead row or an abandoned one of the same request (the rule `decide`
    // documents), in one statement.
    let taken = sqlx::query(
        "INSERT INTO idempotency_keys (account_id, api_key_id, key, request_hash, holder, \
         lease_until, status, content_type, body, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL, NULL, ?7) \
         ON CONFLICT (account_id, api_key_id, key) DO UPDATE SET \
         request_hash = excluded.request_hash, holder = excluded.holder, \
         lease_until = excluded.lease_until, status = NULL, content_type = NULL, body = NULL, \
         created_at = excluded.created_at \
         WHERE idempotency_keys.created_at <= ?8 \
         OR (idempotency_keys.status IS NULL AND idempotency_keys.lease_until <= ?7 \
             AND idempotency_keys.request_hash = excluded.request_hash)",
    )
    .bind(r.scope.account_id.as_uuid())
    .bind(r.scope.api_key_id.as_uuid())
    .bind(r.scope.key.as_str())
    .bind(&r.request.as_bytes()[..])
    .bind(r.holder)
    .bind(r.lease_until.as_millisecond())
    .bind(r.now.as_millisecond())
    .bind(r.expired_at_or_before())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if taken.rows_affected() == 1 {
        return Ok(Reservation::Reserved);
    }
    let row: IdempotencyRecord = sqlx::query_as(concat!(
        "SELECT ",
        idempotency_columns!(),
        " FROM idempotency_keys WHERE account_id = ?1 AND api_key_id = ?2 AND key = ?3"
    ))
    .bind(r.scope.account_id.as_uuid())
    .bind(r.scope.api_key_id.as_uuid())
    .bind(r.scope.key.as_str())
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    decide(&row, &r)
}

pub async fn complete(
    conn: &mut SqliteConnection,
    scope: &KeyScope,
    holder: uuid::Uuid,
    answer: StoredAnswer,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE idempotency_keys SET status = ?5, content_type = ?6, body = ?7 \
         WHERE account_id = ?1 AND api_key_id = ?2 AND key = ?3 AND holder = ?4 \
         AND status IS NULL",
    )
    .bind(scope.account_id.as_uuid())
    .bind(scope.api_key_id.as_uuid())
    .bind(scope.key.as_str())
    .bind(holder)
    .bind(i32::from(answer.status))
    .bind(answer.content_type)
    .bind(answer.body)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

pub async fn release(
    conn: &mut SqliteConnection,
    scope: &KeyScope,
    holder: uuid::Uuid,
) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM idempotency_keys \
         WHERE account_id = ?1 AND api_key_id = ?2 AND key = ?3 AND holder = ?4 \
         AND status IS NULL",
    )
    .bind(scope.account_id.as_uuid())
    .bind(scope.api_key_id.as_uuid())
    .bind(scope.key.as_str())
    .bind(holder)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

pub async fn collect(conn: &mut SqliteConnection, now: Timestamp, limit: u32) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM idempotency_keys WHERE rowid IN \
         (SELECT rowid FROM idempotency_keys WHERE created_at <= ?1 ORDER BY created_at LIMIT ?2)",
    )
    .bind(expired_at_or_before(now))
    .bind(i64::from(limit))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(done.rows_affected())
}
