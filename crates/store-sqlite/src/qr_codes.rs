//! QR codes on SQLite (see `wagate_store::qr_codes`).

use async_trait::async_trait;
use sqlx::SqliteConnection;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::qr::{PrefilledMessage, QrCodeId};
use wagate_store::qr_codes::{QrCode, QrCodeRecord};
use wagate_store::{Entity, Page, QrCodeStore, Result, StoreError, qr_code_columns};

use crate::SqliteStore;

fn db(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::conflict(wagate_store::Conflict::GeneratedId, "the QR code exists")
        }
        e => StoreError::database(e),
    }
}

fn found(r: Option<QrCodeRecord>) -> Result<QrCode> {
    r.ok_or(StoreError::NotFound(Entity::QrCode))?.try_into()
}

pub async fn create(conn: &mut SqliteConnection, q: QrCode) -> Result<QrCode> {
    let r = QrCodeRecord::from(&q);
    sqlx::query(concat!(
        "INSERT INTO qr_codes (",
        qr_code_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?)"
    ))
    .bind(&r.code)
    .bind(r.account_id)
    .bind(r.channel_id)
    .bind(&r.prefilled_message)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(q)
}

pub async fn get(
    conn: &mut SqliteConnection,
    account: AccountId,
    channel: ChannelId,
    code: &QrCodeId,
) -> Result<QrCode> {
    let r: Option<QrCodeRecord> = sqlx::query_as(concat!(
        "SELECT ",
        qr_code_columns!(),
        " FROM qr_codes WHERE code = ?1 AND account_id = ?2 AND channel_id = ?3"
    ))
    .bind(code.as_str())
    .bind(account.as_uuid())
    .bind(channel.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    found(r)
}

pub async fn find(conn: &mut SqliteConnection, code: &QrCodeId) -> Result<QrCode> {
    let r: Option<QrCodeRecord> = sqlx::query_as(concat!(
        "SELECT ",
        qr_code_columns!(),
        " FROM qr_codes WHERE code = ?1"
    ))
    .bind(code.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    found(r)
}

pub async fn list(
    conn: &mut SqliteConnection,
    account: AccountId,
    channel: ChannelId,
    page: &Page<QrCodeId>,
) -> Result<Vec<QrCode>> {
    let rows: Vec<QrCodeRecord> = sqlx::query_as(concat!(
        "SELECT ",
        qr_code_columns!(),
        " FROM qr_codes WHERE channel_id = ?1 AND account_id = ?2 AND code > ?3 \
         ORDER BY code LIMIT ?4"
    ))
    .bind(channel.as_uuid())
    .bind(account.as_uuid())
    .bind(page.after.as_ref().map_or("", QrCodeId::as_str))
    .bind(page.sql_limit())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.into_iter().map(QrCode::try_from).collect()
}

pub async fn update(
    conn: &mut SqliteConnection,
    account: AccountId,
    channel: ChannelId,
    code: &QrCodeId,
    message: &PrefilledMessage,
    at: Timestamp,
) -> Result<QrCode> {
    let r: Option<QrCodeRecord> = sqlx::query_as(concat!(
        "UPDATE qr_codes SET prefilled_message = ?4, updated_at = ?5 \
         WHERE code = ?1 AND account_id = ?2 AND channel_id = ?3 RETURNING ",
        qr_code_columns!()
    ))
    .bind(code.as_str())
    .bind(account.as_uuid())
    .bind(channel.as_uuid())
    .bind(message.as_str())
    .bind(at.as_millisecond())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    found(r)
}

pub async fn delete(
    conn: &mut SqliteConnection,
    account: AccountId,
    channel: ChannelId,
    code: &QrCodeId,
) -> Result<()> {
    let done =
        sqlx::query("DELETE FROM qr_codes WHERE code = ?1 AND account_id = ?2 AND channel_id = ?3")
            .bind(code.as_str())
            .bind(account.as_uuid())
            .bind(channel.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(Entity::QrCode));
    }
    Ok(())
}

#[async_trait]
impl QrCodeStore for SqliteStore {
    async fn create_qr_code(
        &self,
        qr: wagate_store::qr_codes::QrCode,
    ) -> Result<wagate_store::qr_codes::QrCode> {
        self.writer
            .write(move |conn| Box::pin(async move { create(conn, qr).await }))
            .await
    }

    async fn get_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<wagate_store::qr_codes::QrCode> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        get(&mut conn, account, channel, code).await
    }

    async fn find_qr_code(
        &self,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<wagate_store::qr_codes::QrCode> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        find(&mut conn, code).await
    }

    async fn list_qr_codes(
        &self,
        account: AccountId,
        channel: ChannelId,
        page: &Page<wagate_core::qr::QrCodeId>,
    ) -> Result<Vec<wagate_store::qr_codes::QrCode>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        list(&mut conn, account, channel, page).await
    }

    async fn update_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
        message: &wagate_core::qr::PrefilledMessage,
        at: Timestamp,
    ) -> Result<wagate_store::qr_codes::QrCode> {
        let (code, message) = (*code, message.clone());
        self.writer
            .write(move |conn| {
                Box::pin(async move { update(conn, account, channel, &code, &message, at).await })
            })
            .await
    }

    async fn delete_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<()> {
        let code = *code;
        self.writer
            .write(move |conn| Box::pin(async move { delete(conn, account, channel, &code).await }))
            .await
    }
}
