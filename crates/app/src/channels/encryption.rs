//! A phone number's business public key (Cloud `/{phone_number_id}/whatsapp_business_encryption`):
//! the 2048-bit RSA key the WhatsApp client encrypts Flows endpoint requests with (see
//! `wagate_core::flow::crypto` and [`crate::flows::endpoint`]).
//!
//! One key per phone number; setting it again replaces it. The key belongs to the channel it
//! was set on; every call names that channel (already checked against the principal by
//! [`App::channel_by_phone_number_id`]), so another account's number never sees it.
//!
//! Cloud channels: Meta signs and keeps the key, so a set is passed to Meta as it came and
//! kept by wagate only once Meta accepted it (wagate's own Flows endpoint calls need it); a
//! read is Meta's answer. A key Meta refuses is not kept.
//!
//! The signature status a read reports is wagate's (see `wagate_core::business_key`):
//! `VALID` while the stored key is the one signed for this number, `MISMATCH` otherwise.

use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};
use wagate_core::business_key::{BusinessPublicKey, SignatureStatus};
use wagate_core::channel::{Channel, Upstream};
use wagate_store::business_keys::StoredBusinessKey;

use crate::error::Result;
use crate::upstream::proxy::{ProxyAnswer, ProxyCall};
use crate::{App, Principal};

/// A phone number's key as a read shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessKeyView {
    pub key: BusinessPublicKey,
    pub signature_status: SignatureStatus,
}

/// Who answered a call: wagate, or Meta for a cloud channel (its answer as it came).
#[derive(Debug, Clone)]
pub enum Answered<T> {
    Wagate(T),
    Meta(ProxyAnswer),
}

/// The Graph path of the edge for `channel`.
fn edge(channel: &Channel) -> String {
    format!("{}/whatsapp_business_encryption", channel.phone_number_id)
}

impl App {
    /// Sets the phone number's business public key (see the module docs for cloud channels).
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id))]
    pub async fn set_business_public_key(
        &self,
        p: &Principal,
        channel: &Channel,
        key: BusinessPublicKey,
        graph_version: Option<String>,
    ) -> Result<Answered<StoredBusinessKey>> {
        let meta = if matches!(channel.upstream, Upstream::Cloud(_)) {
            let body = serde_json::json!({"business_public_key": key.pem()}).to_string();
            let call = ProxyCall {
                method: reqwest::Method::POST,
                version: graph_version,
                path: edge(channel),
                query: None,
                content_type: Some("application/json".to_owned()),
                body: body.into_bytes(),
            };
            let answer = self.forward_to_meta(channel, call).await?;
            if !(200..300).contains(&answer.status) {
                return Ok(Answered::Meta(answer));
            }
            Some(answer)
        } else {
            None
        };
        let at = self.now();
        let stored = self
            .store
            .put_business_key(StoredBusinessKey {
                account_id: channel.account_id,
                channel_id: channel.id,
                signature: key.sign(&channel.phone_number_id),
                key,
                created_at: at,
                updated_at: at,
            })
            .await?;
        self.audit(
            p,
            AuditAction::BusinessKeySet,
            AuditTarget::new(TargetKind::Channel, channel.id),
            AuditSummary::new(format!("phone number {}", channel.phone_number_id)),
        )
        .await;
        Ok(match meta {
            Some(answer) => Answered::Meta(answer),
            None => Answered::Wagate(stored),
        })
    }

    /// The phone number's key and its signature status; `None` when none was set. For a
    /// cloud channel, Meta's answer.
    pub async fn business_public_key(
        &self,
        _p: &Principal,
        channel: &Channel,
        graph_version: Option<String>,
    ) -> Result<Answered<Option<BusinessKeyView>>> {
        if matches!(channel.upstream, Upstream::Cloud(_)) {
            let call = ProxyCall {
                method: reqwest::Method::GET,
                version: graph_version,
                path: edge(channel),
                query: None,
                content_type: None,
                body: Vec::new(),
            };
            return Ok(Answered::Meta(self.forward_to_meta(channel, call).await?));
        }
        Ok(Answered::Wagate(self.stored_business_key(channel).await?))
    }

    /// The key wagate keeps for the channel (any upstream), with its status.
    pub async fn stored_business_key(&self, channel: &Channel) -> Result<Option<BusinessKeyView>> {
        let stored = self
            .store
            .get_business_key(channel.account_id, channel.id)
            .await?;
        Ok(stored.map(|s| BusinessKeyView {
            signature_status: s.signature.status(&channel.phone_number_id, &s.key),
            key: s.key,
        }))
    }
}
