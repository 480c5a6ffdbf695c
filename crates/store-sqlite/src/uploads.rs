//! Resumable upload sessions on SQLite (see `wagate_store::uploads`).

use sqlx::SqliteConnection;
use wagate_core::Timestamp;
use wagate_core::ids::AccountId;
use wagate_store::uploads::UploadSessionRecord;
use wagate_store::{
    CompletedUpload, Entity, Result, StoreError, UploadHandle, UploadSession, UploadSessionId,
    upload_session_columns,
};

fn db(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::conflict(
            wagate_store::Conflict::GeneratedId,
            "the upload session exists",
        ),
        e => StoreError::database(e),
    }
}

fn size(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub async fn create(conn: &mut SqliteConnection, s: UploadSession) -> Result<UploadSession> {
    let r = UploadSessionRecord::from(&s);
    sqlx::query(concat!(
        "INSERT INTO upload_sessions (",
        upload_session_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&r.id)
    .bind(r.account_id)
    .bind(r.channel_id)
    .bind(&r.file_name)
    .bind(r.file_length)
    .bind(&r.file_type)
    .bind(r.file_offset)
    .bind(&r.media_id)
    .bind(&r.handle)
    .bind(r.created_at)
    .bind(r.expires_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(s)
}

fn found(r: Option<UploadSessionRecord>) -> Result<UploadSession> {
    r.ok_or(StoreError::NotFound(Entity::Media))?.try_into()
}

pub async fn get(
    conn: &mut SqliteConnection,
    account: AccountId,
    id: &UploadSessionId,
) -> Result<UploadSession> {
    let r = sqlx::query_as(concat!(
        "SELECT ",
        upload_session_columns!(),
        " FROM upload_sessions WHERE id = ?1 AND account_id = ?2"
    ))
    .bind(id.key())
    .bind(account.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    found(r)
}

pub async fn by_handle(
    conn: &mut SqliteConnection,
    account: AccountId,
    handle: &UploadHandle,
) -> Result<UploadSession> {
    let r = sqlx::query_as(concat!(
        "SELECT ",
        upload_session_columns!(),
        " FROM upload_sessions WHERE handle = ?1 AND account_id = ?2"
    ))
    .bind(handle.as_str())
    .bind(account.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    found(r)
}

/// Whether the session exists: tells "someone else moved it" from "no such session".
async fn exists(
    conn: &mut SqliteConnection,
    account: AccountId,
    id: &UploadSessionId,
) -> Result<()> {
    let seen: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM upload_sessions WHERE id = ?1 AND account_id = ?2")
            .bind(id.key())
            .bind(account.as_uuid())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    seen.map(|_| ()).ok_or(StoreError::NotFound(Entity::Media))
}

pub async fn advance(
    conn: &mut SqliteConnection,
    account: AccountId,
    id: &UploadSessionId,
    from: u64,
    to: u64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE upload_sessions SET file_offset = ?4 \
         WHERE id = ?1 AND account_id = ?2 AND file_offset = ?3 AND media_id IS NULL \
         AND ?4 >= ?3 AND ?4 <= file_length",
    )
    .bind(id.key())
    .bind(account.as_uuid())
    .bind(size(from))
    .bind(size(to))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        exists(conn, account, id).await?;
        return Ok(false);
    }
    Ok(true)
}

pub async fn complete(
    conn: &mut SqliteConnection,
    account: AccountId,
    id: &UploadSessionId,
    c: &CompletedUpload,
    expires_at: Timestamp,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE upload_sessions SET media_id = ?3, handle = ?4, expires_at = ?5 \
         WHERE id = ?1 AND account_id = ?2 AND media_id IS NULL AND file_offset = file_length",
    )
    .bind(id.key())
    .bind(account.as_uuid())
    .bind(c.media_id.as_str())
    .bind(c.handle.as_str())
    .bind(expires_at.as_millisecond())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        exists(conn, account, id).await?;
        return Ok(false);
    }
    Ok(true)
}

pub async fn delete(
    conn: &mut SqliteConnection,
    account: AccountId,
    id: &UploadSessionId,
) -> Result<()> {
    let done = sqlx::query("DELETE FROM upload_sessions WHERE id = ?1 AND account_id = ?2")
        .bind(id.key())
        .bind(account.as_uuid())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(Entity::Media));
    }
    Ok(())
}

pub async fn collect(
    conn: &mut SqliteConnection,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<UploadSessionId>> {
    let dead: Vec<String> = sqlx::query_scalar(
        "DELETE FROM upload_sessions WHERE seq IN ( \
             SELECT seq FROM upload_sessions WHERE expires_at <= ?1 \
             ORDER BY expires_at, seq LIMIT ?2) \
         RETURNING id",
    )
    .bind(now.as_millisecond())
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    dead.into_iter()
        .map(|id| {
            UploadSessionId::parse(&id).ok_or_else(|| StoreError::Corrupt {
                what: "upload session",
                detail: format!("id {id}"),
            })
        })
        .collect()
}
