//! Media ids on PostgreSQL (see `wagate_store::media`).

use async_trait::async_trait;
use sqlx::PgConnection;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, MediaId};
use wagate_store::media::MediaRecord;
use wagate_store::{
    CompletedUpload, Entity, Media, MediaStore, Result, StoreError, UploadHandle, UploadSession,
    UploadSessionId, media_columns,
};

use crate::{PgStore, commit, uploads};

fn db(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::conflict(wagate_store::Conflict::GeneratedId, "the media id exists")
        }
        e => StoreError::database(e),
    }
}

pub async fn create_media(conn: &mut PgConnection, m: Media) -> Result<Media> {
    let r = MediaRecord::from(&m);
    sqlx::query(concat!(
        "INSERT INTO media (",
        media_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&r.id)
    .bind(r.account_id)
    .bind(r.channel_id)
    .bind(&r.origin)
    .bind(&r.mime_type)
    .bind(&r.sha256)
    .bind(r.file_size)
    .bind(&r.filename)
    .bind(&r.storage_key)
    .bind(r.created_at)
    .bind(r.expires_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(m)
}

pub async fn get_media(conn: &mut PgConnection, account: AccountId, id: &MediaId) -> Result<Media> {
    let r: Option<MediaRecord> = sqlx::query_as(concat!(
        "SELECT ",
        media_columns!(),
        " FROM media WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL"
    ))
    .bind(id.as_str())
    .bind(account.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    r.ok_or(StoreError::NotFound(Entity::Media))?.try_into()
}

pub async fn delete_media(
    conn: &mut PgConnection,
    account: AccountId,
    id: &MediaId,
    now: Timestamp,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE media SET deleted_at = $3 WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL",
    )
    .bind(id.as_str())
    .bind(account.as_uuid())
    .bind(now.as_millisecond())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(Entity::Media));
    }
    Ok(())
}

pub async fn collect_media(
    conn: &mut PgConnection,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<String>> {
    let dead: Vec<(i64, String)> = sqlx::query_as(
        "SELECT seq, storage_key FROM media \
         WHERE deleted_at IS NOT NULL OR expires_at <= $1 ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(now.as_millisecond())
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut freed: Vec<String> = Vec::new();
    for (seq, _) in &dead {
        sqlx::query("DELETE FROM media WHERE seq = $1")
            .bind(seq)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    for (_, key) in dead {
        if freed.contains(&key) {
            continue;
        }
        let used: Option<i64> =
            sqlx::query_scalar("SELECT 1::int8 FROM media WHERE storage_key = $1 LIMIT 1")
                .bind(&key)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?;
        if used.is_none() {
            freed.push(key);
        }
    }
    Ok(freed)
}

#[async_trait]
impl MediaStore for PgStore {
    async fn create_media(&self, m: Media) -> Result<Media> {
        let mut tx = self.begin().await?;
        let m = create_media(&mut tx, m).await?;
        commit(tx, m).await
    }

    async fn get_media(&self, account: AccountId, id: &MediaId) -> Result<Media> {
        get_media(&mut *self.read().await?, account, id).await
    }

    async fn delete_media(&self, account: AccountId, id: &MediaId, now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        delete_media(&mut tx, account, id, now).await?;
        commit(tx, ()).await
    }

    async fn collect_media(&self, now: Timestamp, limit: u32) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        let keys = collect_media(&mut tx, now, limit).await?;
        commit(tx, keys).await
    }

    async fn create_upload_session(&self, session: UploadSession) -> Result<UploadSession> {
        let mut tx = self.begin().await?;
        let session = uploads::create(&mut tx, session).await?;
        commit(tx, session).await
    }

    async fn get_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
    ) -> Result<UploadSession> {
        uploads::get(&mut *self.read().await?, account, id).await
    }

    async fn find_upload_handle(
        &self,
        account: AccountId,
        handle: &UploadHandle,
    ) -> Result<UploadSession> {
        uploads::by_handle(&mut *self.read().await?, account, handle).await
    }

    async fn advance_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
        from: u64,
        to: u64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let moved = uploads::advance(&mut tx, account, id, from, to).await?;
        commit(tx, moved).await
    }

    async fn complete_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
        done: &CompletedUpload,
        expires_at: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let completed = uploads::complete(&mut tx, account, id, done, expires_at).await?;
        commit(tx, completed).await
    }

    async fn delete_upload_session(&self, account: AccountId, id: &UploadSessionId) -> Result<()> {
        let mut tx = self.begin().await?;
        uploads::delete(&mut tx, account, id).await?;
        commit(tx, ()).await
    }

    async fn collect_upload_sessions(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<UploadSessionId>> {
        let mut tx = self.begin().await?;
        let ids = uploads::collect(&mut tx, now, limit).await?;
        commit(tx, ids).await
    }
}
