//! QR codes of a phone number (Cloud `/{phone_number_id}/message_qrdls`) and their images.
//!
//! A code belongs to the channel it was created on; every call names that channel (already
//! checked against the principal by [`App::channel_by_phone_number_id`]), and another
//! channel's or account's code answers "not found", like a code that does not exist.
//!
//! The image is public, as Meta's `qr_image_url` (a CDN URL) is: `GET /qr/{code}.png` or
//! `.svg` on the server's base URL, with no key. It shows only the deep link, which the
//! code's owner hands out anyway, and codes are unguessable (about 2^72 of them). It is
//! rendered on each request from the code alone, so an updated message never needs a new
//! image, and a deleted code's image is gone at once.

use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};
use wagate_core::channel::Channel;
use wagate_core::error::ErrorCode;
use wagate_core::qr::{PrefilledMessage, QrCodeId, QrImageFormat, QrMatrix};
use wagate_store::qr_codes::QrCode;
use wagate_store::{Page, StoreError};

use crate::App;
use crate::Principal;
use crate::error::{Error, Result};

/// Draws of a fresh code before giving up (a clash among 2^72 codes is already unheard of).
const CODE_DRAWS: usize = 3;

/// Where the image of `code` is served (see the module docs).
pub fn qr_image_url(base_url: &str, code: &QrCodeId, format: QrImageFormat) -> String {
    format!(
        "{}/qr/{}.{}",
        base_url.trim_end_matches('/'),
        code,
        format.extension()
    )
}

/// A rendered QR image.
#[derive(Debug, Clone)]
pub struct QrImage {
    pub format: QrImageFormat,
    pub bytes: Vec<u8>,
}

impl App {
    /// A new QR code on `channel` with a fresh random code.
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id, code = tracing::field::Empty))]
    pub async fn create_qr_code(
        &self,
        p: &Principal,
        channel: &Channel,
        message: PrefilledMessage,
    ) -> Result<QrCode> {
        let at = self.now();
        for _ in 0..CODE_DRAWS {
            let qr = QrCode {
                code: QrCodeId::generate(),
                account_id: channel.account_id,
                channel_id: channel.id,
                prefilled_message: message.clone(),
                created_at: at,
                updated_at: at,
            };
            match self.store.create_qr_code(qr).await {
                Ok(qr) => {
                    tracing::Span::current().record("code", tracing::field::display(qr.code));
                    self.audit_qr(p, AuditAction::QrCodeCreate, channel, &qr.code)
                        .await;
                    return Ok(qr);
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Failed(
            ErrorCode::Internal,
            "no free QR code was found; try again".to_owned(),
        ))
    }

    pub async fn get_qr_code(
        &self,
        _p: &Principal,
        channel: &Channel,
        code: &QrCodeId,
    ) -> Result<QrCode> {
        Ok(self
            .store
            .get_qr_code(channel.account_id, channel.id, code)
            .await?)
    }

    /// The channel's QR codes in code order.
    pub async fn list_qr_codes(
        &self,
        _p: &Principal,
        channel: &Channel,
        page: &Page<QrCodeId>,
    ) -> Result<Vec<QrCode>> {
        Ok(self
            .store
            .list_qr_codes(channel.account_id, channel.id, page)
            .await?)
    }

    /// Replaces the code's prefilled message; the code, its deep link and image stay.
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id, code = %code))]
    pub async fn update_qr_code(
        &self,
        p: &Principal,
        channel: &Channel,
        code: &QrCodeId,
        message: PrefilledMessage,
    ) -> Result<QrCode> {
        let qr = self
            .store
            .update_qr_code(channel.account_id, channel.id, code, &message, self.now())
            .await?;
        self.audit_qr(p, AuditAction::QrCodeUpdate, channel, code)
            .await;
        Ok(qr)
    }

    #[tracing::instrument(skip_all, fields(channel_id = %channel.id, code = %code))]
    pub async fn delete_qr_code(
        &self,
        p: &Principal,
        channel: &Channel,
        code: &QrCodeId,
    ) -> Result<()> {
        self.store
            .delete_qr_code(channel.account_id, channel.id, code)
            .await?;
        self.audit_qr(p, AuditAction::QrCodeDelete, channel, code)
            .await;
        Ok(())
    }

    /// The prefilled message is the business's text to its users: not in the log.
    async fn audit_qr(
        &self,
        p: &Principal,
        action: AuditAction,
        channel: &Channel,
        code: &QrCodeId,
    ) {
        self.audit(
            p,
            action,
            AuditTarget::new(TargetKind::QrCode, code),
            AuditSummary::new(format!("channel {}", channel.id)),
        )
        .await;
    }

    /// The image of a live QR code, for anyone (see the module docs).
    pub async fn qr_code_image(&self, code: &QrCodeId, format: QrImageFormat) -> Result<QrImage> {
        let qr = self.store.find_qr_code(code).await?;
        let bytes = QrMatrix::deep_link(&qr.code).render(format);
        Ok(QrImage { format, bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_urls_are_on_the_base_url() {
        let code = QrCodeId::parse("4O4YGZEG3RIVE1").unwrap();
        assert_eq!(
            qr_image_url("http://127.0.0.1:8080/", &code, QrImageFormat::Png),
            "http://127.0.0.1:8080/qr/4O4YGZEG3RIVE1.png"
        );
        assert_eq!(
            qr_image_url("https://wa.example.com", &code, QrImageFormat::Svg),
            "https://wa.example.com/qr/4O4YGZEG3RIVE1.svg"
        );
    }
}
