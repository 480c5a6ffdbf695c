//! QR codes: their statements, and [`QrCodeStore`] for every [`Backend`] (see
//! [`crate::qr_codes`]).

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::qr::{PrefilledMessage, QrCodeId};

use super::{Backend, Conn, is_unique_violation, query};
use crate::qr_codes::{QrCode, QrCodeRecord};
use crate::{Conflict, Entity, Page, QrCodeStore, Result, StoreError, qr_code_columns};

#[async_trait]
impl<B: Backend> QrCodeStore for B {
    async fn create_qr_code(&self, qr: QrCode) -> Result<QrCode> {
        self.write(move |c| Box::pin(create(c, qr))).await
    }

    async fn get_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &QrCodeId,
    ) -> Result<QrCode> {
        let code = *code;
        self.read(move |c| Box::pin(async move { get(c, account, channel, &code).await }))
            .await
    }

    async fn find_qr_code(&self, code: &QrCodeId) -> Result<QrCode> {
        let code = *code;
        self.read(move |c| Box::pin(async move { find(c, &code).await }))
            .await
    }

    async fn list_qr_codes(
        &self,
        account: AccountId,
        channel: ChannelId,
        page: &Page<QrCodeId>,
    ) -> Result<Vec<QrCode>> {
        let page = page.clone();
        self.read(move |c| Box::pin(async move { list(c, account, channel, &page).await }))
            .await
    }

    async fn update_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &QrCodeId,
        message: &PrefilledMessage,
        at: Timestamp,
    ) -> Result<QrCode> {
        let (code, message) = (*code, message.clone());
        self.write(move |c| {
            Box::pin(async move { update(c, account, channel, &code, &message, at).await })
        })
        .await
    }

    async fn delete_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &QrCodeId,
    ) -> Result<()> {
        let code = *code;
        self.write(move |c| Box::pin(async move { delete(c, account, channel, &code).await }))
            .await
    }
}

/// A unique violation of a write here is a generated code used already.
fn code_taken(e: StoreError) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::conflict(Conflict::GeneratedId, "the QR code exists")
    } else {
        e
    }
}

fn found(r: Option<QrCodeRecord>) -> Result<QrCode> {
    r.ok_or(StoreError::NotFound(Entity::QrCode))?.try_into()
}

pub async fn create<C: Conn>(c: &mut C, qr: QrCode) -> Result<QrCode> {
    let r = QrCodeRecord::from(&qr);
    c.execute(
        query(concat!(
            "INSERT INTO qr_codes (",
            qr_code_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(r.code)
        .bind(r.account_id)
        .bind(r.channel_id)
        .bind(r.prefilled_message)
        .bind(r.created_at)
        .bind(r.updated_at),
    )
    .await
    .map_err(code_taken)?;
    Ok(qr)
}

pub async fn get<C: Conn>(
    c: &mut C,
    account: AccountId,
    channel: ChannelId,
    code: &QrCodeId,
) -> Result<QrCode> {
    let r = c
        .fetch_optional(
            query(concat!(
                "SELECT ",
                qr_code_columns!(),
                " FROM qr_codes WHERE code = $1 AND account_id = $2 AND channel_id = $3"
            ))
            .bind(code.as_str())
            .bind(account.as_uuid())
            .bind(channel.as_uuid()),
        )
        .await?;
    found(r)
}

pub async fn find<C: Conn>(c: &mut C, code: &QrCodeId) -> Result<QrCode> {
    let r = c
        .fetch_optional(
            query(concat!(
                "SELECT ",
                qr_code_columns!(),
                " FROM qr_codes WHERE code = $1"
            ))
            .bind(code.as_str()),
        )
        .await?;
    found(r)
}

pub async fn list<C: Conn>(
    c: &mut C,
    account: AccountId,
    channel: ChannelId,
    page: &Page<QrCodeId>,
) -> Result<Vec<QrCode>> {
    c.fetch_all::<QrCodeRecord>(
        query(concat!(
            "SELECT ",
            qr_code_columns!(),
            " FROM qr_codes WHERE channel_id = $1 AND account_id = $2 AND code > $3 \
             ORDER BY code LIMIT $4"
        ))
        .bind(channel.as_uuid())
        .bind(account.as_uuid())
        .bind(page.after.as_ref().map_or("", QrCodeId::as_str))
        .bind(page.sql_limit()),
    )
    .await?
    .into_iter()
    .map(QrCode::try_from)
    .collect()
}

pub async fn update<C: Conn>(
    c: &mut C,
    account: AccountId,
    channel: ChannelId,
    code: &QrCodeId,
    message: &PrefilledMessage,
    at: Timestamp,
) -> Result<QrCode> {
    let r = c
        .fetch_optional(
            query(concat!(
                "UPDATE qr_codes SET prefilled_message = $4, updated_at = $5 \
                 WHERE code = $1 AND account_id = $2 AND channel_id = $3 RETURNING ",
                qr_code_columns!()
            ))
            .bind(code.as_str())
            .bind(account.as_uuid())
            .bind(channel.as_uuid())
            .bind(message.as_str())
            .bind(at.as_millisecond()),
        )
        .await
        .map_err(code_taken)?;
    found(r)
}

pub async fn delete<C: Conn>(
    c: &mut C,
    account: AccountId,
    channel: ChannelId,
    code: &QrCodeId,
) -> Result<()> {
    let done = c
        .execute(
            query("DELETE FROM qr_codes WHERE code = $1 AND account_id = $2 AND channel_id = $3")
                .bind(code.as_str())
                .bind(account.as_uuid())
                .bind(channel.as_uuid()),
        )
        .await?;
    if done == 0 {
        return Err(StoreError::NotFound(Entity::QrCode));
    }
    Ok(())
}
