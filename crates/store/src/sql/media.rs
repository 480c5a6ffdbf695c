//! Media ids and resumable upload sessions: their statements, and [`MediaStore`] for every
//! [`Backend`] (see [`crate::media`] and [`crate::uploads`]).
//!
//! Where the backends differ: PostgreSQL's collections take their rows `FOR UPDATE SKIP
//! LOCKED`, so two nodes collecting at once take different rows (SQLite has one writer).

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, MediaId};

use super::{Backend, Conn, Dialect, is_unique_violation, query};
use crate::media::MediaRecord;
use crate::uploads::UploadSessionRecord;
use crate::{
    CompletedUpload, Conflict, Entity, Media, MediaStore, Result, StoreError, UploadHandle,
    UploadSession, UploadSessionId, media_columns, upload_session_columns,
};

#[async_trait]
impl<B: Backend> MediaStore for B {
    async fn create_media(&self, m: Media) -> Result<Media> {
        self.write(move |c| Box::pin(create_media(c, m))).await
    }

    async fn get_media(&self, account: AccountId, id: &MediaId) -> Result<Media> {
        let id = id.clone();
        self.read(move |c| Box::pin(async move { get_media(c, account, &id).await }))
            .await
    }

    async fn delete_media(&self, account: AccountId, id: &MediaId, now: Timestamp) -> Result<()> {
        let id = id.clone();
        self.write(move |c| Box::pin(async move { delete_media(c, account, &id, now).await }))
            .await
    }

    async fn collect_media(&self, now: Timestamp, limit: u32) -> Result<Vec<String>> {
        self.write(move |c| Box::pin(collect_media(c, now, limit)))
            .await
    }

    async fn create_upload_session(&self, session: UploadSession) -> Result<UploadSession> {
        self.write(move |c| Box::pin(create_upload(c, session)))
            .await
    }

    async fn get_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
    ) -> Result<UploadSession> {
        let id = id.clone();
        self.read(move |c| Box::pin(async move { get_upload(c, account, &id).await }))
            .await
    }

    async fn find_upload_handle(
        &self,
        account: AccountId,
        handle: &UploadHandle,
    ) -> Result<UploadSession> {
        let handle = handle.clone();
        self.read(move |c| Box::pin(async move { upload_by_handle(c, account, &handle).await }))
            .await
    }

    async fn advance_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
        from: u64,
        to: u64,
    ) -> Result<bool> {
        let id = id.clone();
        self.write(move |c| {
            Box::pin(async move { advance_upload(c, account, &id, from, to).await })
        })
        .await
    }

    async fn complete_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
        done: &CompletedUpload,
        expires_at: Timestamp,
    ) -> Result<bool> {
        let (id, done) = (id.clone(), done.clone());
        self.write(move |c| {
            Box::pin(async move { complete_upload(c, account, &id, &done, expires_at).await })
        })
        .await
    }

    async fn delete_upload_session(&self, account: AccountId, id: &UploadSessionId) -> Result<()> {
        let id = id.clone();
        self.write(move |c| Box::pin(async move { delete_upload(c, account, &id).await }))
            .await
    }

    async fn collect_upload_sessions(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<UploadSessionId>> {
        self.write(move |c| Box::pin(collect_uploads(c, now, limit)))
            .await
    }
}

/// A unique violation of a write here is a generated id (or upload handle) used already.
fn generated_id(what: &'static str) -> impl FnOnce(StoreError) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::conflict(Conflict::GeneratedId, what)
        } else {
            e
        }
    }
}

const MEDIA_EXISTS: &str = "the media id exists";
const UPLOAD_EXISTS: &str = "the upload session exists";

/// `FOR UPDATE SKIP LOCKED` on PostgreSQL, where another node may be collecting too.
fn skip_locked<C: Conn>(c: &C) -> &'static str {
    match c.dialect() {
        Dialect::Sqlite => "",
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}

fn size(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub async fn create_media<C: Conn>(c: &mut C, m: Media) -> Result<Media> {
    let r = MediaRecord::from(&m);
    c.execute(
        query(concat!(
            "INSERT INTO media (",
            media_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(r.id)
        .bind(r.account_id)
        .bind(r.channel_id)
        .bind(r.origin)
        .bind(r.mime_type)
        .bind(r.sha256)
        .bind(r.file_size)
        .bind(r.filename)
        .bind(r.storage_key)
        .bind(r.created_at)
        .bind(r.expires_at),
    )
    .await
    .map_err(generated_id(MEDIA_EXISTS))?;
    Ok(m)
}

pub async fn get_media<C: Conn>(c: &mut C, account: AccountId, id: &MediaId) -> Result<Media> {
    c.fetch_optional::<MediaRecord>(
        query(concat!(
            "SELECT ",
            media_columns!(),
            " FROM media WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL"
        ))
        .bind(id.as_str())
        .bind(account.as_uuid()),
    )
    .await?
    .ok_or(StoreError::NotFound(Entity::Media))?
    .try_into()
}

pub async fn delete_media<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: &MediaId,
    now: Timestamp,
) -> Result<()> {
    let done = c
        .execute(
            query(
                "UPDATE media SET deleted_at = $3 \
                 WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL",
            )
            .bind(id.as_str())
            .bind(account.as_uuid())
            .bind(now.as_millisecond()),
        )
        .await
        .map_err(generated_id(MEDIA_EXISTS))?;
    if done == 0 {
        return Err(StoreError::NotFound(Entity::Media));
    }
    Ok(())
}

/// Deletes up to `limit` deleted or expired media ids; the storage keys no remaining media
/// id uses (the blobs to delete).
pub async fn collect_media<C: Conn>(c: &mut C, now: Timestamp, limit: u32) -> Result<Vec<String>> {
    let mut q = query(
        "SELECT seq, storage_key FROM media \
         WHERE deleted_at IS NOT NULL OR expires_at <= $1 ORDER BY seq LIMIT $2",
    )
    .bind(now.as_millisecond())
    .bind(i64::from(limit));
    q.push(skip_locked(c));
    let dead = c.fetch_all::<(i64, String)>(q).await?;
    let mut freed: Vec<String> = Vec::new();
    for (seq, _) in &dead {
        c.execute(query("DELETE FROM media WHERE seq = $1").bind(*seq))
            .await?;
    }
    for (_, key) in dead {
        if freed.contains(&key) {
            continue;
        }
        let used = c
            .scalar::<bool>(
                query("SELECT TRUE FROM media WHERE storage_key = $1 LIMIT 1").bind(&key),
            )
            .await?;
        if used.is_none() {
            freed.push(key);
        }
    }
    Ok(freed)
}

pub async fn create_upload<C: Conn>(c: &mut C, s: UploadSession) -> Result<UploadSession> {
    let r = UploadSessionRecord::from(&s);
    c.execute(
        query(concat!(
            "INSERT INTO upload_sessions (",
            upload_session_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(r.id)
        .bind(r.account_id)
        .bind(r.channel_id)
        .bind(r.file_name)
        .bind(r.file_length)
        .bind(r.file_type)
        .bind(r.file_offset)
        .bind(r.media_id)
        .bind(r.handle)
        .bind(r.created_at)
        .bind(r.expires_at),
    )
    .await
    .map_err(generated_id(UPLOAD_EXISTS))?;
    Ok(s)
}

fn found_upload(r: Option<UploadSessionRecord>) -> Result<UploadSession> {
    r.ok_or(StoreError::NotFound(Entity::Media))?.try_into()
}

pub async fn get_upload<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: &UploadSessionId,
) -> Result<UploadSession> {
    let r = c
        .fetch_optional(
            query(concat!(
                "SELECT ",
                upload_session_columns!(),
                " FROM upload_sessions WHERE id = $1 AND account_id = $2"
            ))
            .bind(id.key())
            .bind(account.as_uuid()),
        )
        .await?;
    found_upload(r)
}

pub async fn upload_by_handle<C: Conn>(
    c: &mut C,
    account: AccountId,
    handle: &UploadHandle,
) -> Result<UploadSession> {
    let r = c
        .fetch_optional(
            query(concat!(
                "SELECT ",
                upload_session_columns!(),
                " FROM upload_sessions WHERE handle = $1 AND account_id = $2"
            ))
            .bind(handle.as_str())
            .bind(account.as_uuid()),
        )
        .await?;
    found_upload(r)
}

/// Whether the session exists: tells "someone else moved it" from "no such session".
async fn upload_exists<C: Conn>(c: &mut C, account: AccountId, id: &UploadSessionId) -> Result<()> {
    c.scalar::<bool>(
        query("SELECT TRUE FROM upload_sessions WHERE id = $1 AND account_id = $2")
            .bind(id.key())
            .bind(account.as_uuid()),
    )
    .await?
    .map(|_| ())
    .ok_or(StoreError::NotFound(Entity::Media))
}

pub async fn advance_upload<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: &UploadSessionId,
    from: u64,
    to: u64,
) -> Result<bool> {
    let done = c
        .execute(
            query(
                "UPDATE upload_sessions SET file_offset = $4 \
                 WHERE id = $1 AND account_id = $2 AND file_offset = $3 AND media_id IS NULL \
                 AND $4 >= $3 AND $4 <= file_length",
            )
            .bind(id.key())
            .bind(account.as_uuid())
            .bind(size(from))
            .bind(size(to)),
        )
        .await
        .map_err(generated_id(UPLOAD_EXISTS))?;
    if done == 0 {
        upload_exists(c, account, id).await?;
        return Ok(false);
    }
    Ok(true)
}

pub async fn complete_upload<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: &UploadSessionId,
    done: &CompletedUpload,
    expires_at: Timestamp,
) -> Result<bool> {
    let n = c
        .execute(
            query(
                "UPDATE upload_sessions SET media_id = $3, handle = $4, expires_at = $5 \
                 WHERE id = $1 AND account_id = $2 AND media_id IS NULL \
                 AND file_offset = file_length",
            )
            .bind(id.key())
            .bind(account.as_uuid())
            .bind(done.media_id.as_str())
            .bind(done.handle.as_str())
            .bind(expires_at.as_millisecond()),
        )
        .await
        .map_err(generated_id(UPLOAD_EXISTS))?;
    if n == 0 {
        upload_exists(c, account, id).await?;
        return Ok(false);
    }
    Ok(true)
}

pub async fn delete_upload<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: &UploadSessionId,
) -> Result<()> {
    let done = c
        .execute(
            query("DELETE FROM upload_sessions WHERE id = $1 AND account_id = $2")
                .bind(id.key())
                .bind(account.as_uuid()),
        )
        .await?;
    if done == 0 {
        return Err(StoreError::NotFound(Entity::Media));
    }
    Ok(())
}

/// Deletes up to `limit` expired upload sessions, soonest expired first; their ids.
pub async fn collect_uploads<C: Conn>(
    c: &mut C,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<UploadSessionId>> {
    let mut q = query(
        "DELETE FROM upload_sessions WHERE seq IN ( \
         SELECT seq FROM upload_sessions WHERE expires_at <= $1 \
         ORDER BY expires_at, seq LIMIT $2",
    )
    .bind(now.as_millisecond())
    .bind(i64::from(limit));
    q.push(skip_locked(c)).push(") RETURNING id");
    c.fetch_all::<(String,)>(q)
        .await?
        .into_iter()
        .map(|(id,)| {
            UploadSessionId::parse(&id).ok_or_else(|| StoreError::Corrupt {
                what: "upload session",
                detail: format!("id {id}"),
            })
        })
        .collect()
}
