//! A channel's **WOZTELL signing secret**: what the `/compat/woztell` dialect checks its
//! `X-Woztell-Payload` + `X-Woztell-SignedContext` headers against (WOZTELL's seed leaves the
//! signature undocumented; this is wagate's definition).
//!
//! - The management plane issues it (`POST`, which also rotates: the old one stops working at
//!   once), shows whether one is set and when it was issued (never the secret again), and
//!   revokes it. Issuing, rotating and revoking need an account-wide key and are audited.
//! - `X-Woztell-Payload` is standard base64 of a JSON object
//!   `{"channelId": "<wagate channel id>", "iat": <unix seconds>}`.
//! - `X-Woztell-SignedContext` is lowercase hex of HMAC-SHA256 keyed with the secret's UTF-8
//!   bytes over the payload header's raw value (the base64 text, as sent).
//! - Refused (an [`ErrorCode::InvalidApiKey`]): a payload that does not decode, a channel with
//!   no secret, a signature that does not match (compared in constant time), an `iat` more
//!   than [`MAX_SKEW_SECS`] from now.
//!
//! A good signature is a [`Principal`] limited to that one channel, without an API key.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use wagate_core::Timestamp;
use wagate_core::api_key::KeyChannels;
use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};
use wagate_core::error::ErrorCode;
use wagate_core::ids::ChannelId;
use wagate_store::woztell_secrets::StoredWoztellSecret;
use wagate_store::{Entity, StoreError};

use crate::error::{Error, Result};
use crate::{App, Principal};

/// How far a payload's `iat` may be from now, either way, in seconds.
pub const MAX_SKEW_SECS: i64 = 300;

/// A secret just issued: the only time its value is shown.
#[derive(Clone)]
pub struct IssuedWoztellSecret {
    pub channel_id: ChannelId,
    pub secret: String,
    pub issued_at: Timestamp,
}

/// Whether a channel has a secret, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WoztellSecretStatus {
    pub channel_id: ChannelId,
    pub issued_at: Option<Timestamp>,
}

/// A verified signed context: who the call acts as, and the channel it is limited to.
#[derive(Debug, Clone)]
pub struct SignedContext {
    pub principal: Principal,
    pub channel_id: ChannelId,
}

/// `X-Woztell-SignedContext` for `payload` (the header's raw value) under `secret`.
pub fn sign_woztell_payload(secret: &str, payload: &str) -> String {
    hex::encode(mac(secret, payload).finalize().into_bytes())
}

fn mac(secret: &str, payload: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(payload.as_bytes());
    mac
}

fn refused(why: &str) -> Error {
    Error::Failed(
        ErrorCode::InvalidApiKey,
        format!("the signed context is refused: {why}"),
    )
}

impl App {
    /// Issues the channel's secret, replacing (rotating) any before it.
    pub async fn issue_woztell_secret(
        &self,
        p: &Principal,
        channel: ChannelId,
    ) -> Result<IssuedWoztellSecret> {
        p.require_account_wide()?;
        let channel = self.get_channel(p, channel).await?;
        let secret = format!(
            "wzs_{:032x}{:032x}",
            rand::random::<u128>(),
            rand::random::<u128>()
        );
        let stored = self
            .store
            .put_woztell_secret(StoredWoztellSecret {
                account_id: channel.account_id,
                channel_id: channel.id,
                secret,
                issued_at: self.now(),
            })
            .await?;
        self.audit(
            p,
            AuditAction::WoztellSecretIssue,
            AuditTarget::new(TargetKind::Channel, channel.id),
            AuditSummary::new(format!("phone number {}", channel.phone_number_id)),
        )
        .await;
        Ok(IssuedWoztellSecret {
            channel_id: stored.channel_id,
            secret: stored.secret,
            issued_at: stored.issued_at,
        })
    }

    /// Whether the channel has a secret and when it was issued.
    pub async fn woztell_secret_status(
        &self,
        p: &Principal,
        channel: ChannelId,
    ) -> Result<WoztellSecretStatus> {
        let channel = self.get_channel(p, channel).await?;
        let issued_at = self
            .store
            .woztell_secret(channel.id)
            .await?
            .filter(|s| s.account_id == channel.account_id)
            .map(|s| s.issued_at);
        Ok(WoztellSecretStatus {
            channel_id: channel.id,
            issued_at,
        })
    }

    /// Revokes the channel's secret; whether there was one (revoking none changes nothing
    /// and is not audited).
    pub async fn revoke_woztell_secret(&self, p: &Principal, channel: ChannelId) -> Result<bool> {
        p.require_account_wide()?;
        let channel = self.get_channel(p, channel).await?;
        if !self
            .store
            .delete_woztell_secret(channel.account_id, channel.id)
            .await?
        {
            return Ok(false);
        }
        self.audit(
            p,
            AuditAction::WoztellSecretRevoke,
            AuditTarget::new(TargetKind::Channel, channel.id),
            AuditSummary::new(format!("phone number {}", channel.phone_number_id)),
        )
        .await;
        Ok(true)
    }

    /// Checks `X-Woztell-Payload` (`payload`, raw) and `X-Woztell-SignedContext`
    /// (`signature`); see the module docs.
    pub async fn verify_woztell_context(
        &self,
        payload: &str,
        signature: &str,
    ) -> Result<SignedContext> {
        let payload = payload.trim();
        let bytes = STANDARD
            .decode(payload)
            .or_else(|_| URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')))
            .map_err(|_| refused("X-Woztell-Payload is not base64"))?;
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| refused("X-Woztell-Payload is not base64 of a JSON object"))?;
        let channel_id = json
            .get("channelId")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<ChannelId>().ok())
            .ok_or_else(|| refused("the payload's channelId is not a channel id"))?;
        let iat = json
            .get("iat")
            .and_then(|v| v.as_i64())
            .ok_or_else(|| refused("the payload's iat is not a number of seconds"))?;
        let secret = self
            .store
            .woztell_secret(channel_id)
            .await?
            .ok_or_else(|| refused("the channel has no WOZTELL secret"))?;
        let given = hex::decode(signature.trim())
            .map_err(|_| refused("X-Woztell-SignedContext is not hex"))?;
        mac(&secret.secret, payload)
            .verify_slice(&given)
            .map_err(|_| refused("the signature does not match"))?;
        let now = self.now().as_second();
        if (now - iat).abs() > MAX_SKEW_SECS {
            return Err(refused("iat is more than 300 seconds from now"));
        }
        // The channel must still be there, in the secret's account.
        self.store
            .get_channel(secret.account_id, channel_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound(Entity::Channel) => refused("the channel is gone"),
                e => e.into(),
            })?;
        Ok(SignedContext {
            principal: Principal {
                account_id: secret.account_id,
                key_id: None,
                channels: KeyChannels::Only(vec![channel_id]),
                admin: false,
                signed_by: Some(channel_id),
            },
            channel_id,
        })
    }
}
