//! Channels: wagate's phone numbers, each one WhatsApp number of a WABA, reached through
//! an upstream (the simulated network, or Meta's Cloud API).
//!
//! This file is the channel itself: list, get, create, update, within what the principal's
//! key allows. A channel outside the key's scope answers "not found", like one that does not
//! exist. The files beside it are what the Cloud API lets a caller do with a number; for a
//! cloud channel Meta owns those, and [`crate::upstream::proxy`] passes the calls on.
//!
//! # Layout
//! - this file: the channel service (list, get, create, update).
//! - [`registration`]: numbers as the Cloud API shows them, and their registration.
//! - [`phone_settings`]: a number's settings, conversational automation, new numbers in a
//!   WABA.
//! - [`profile`]: business profile and picture, commerce settings, WABA info, subscribed
//!   apps.
//! - [`qr_codes`]: QR codes of a number and their images.
//! - [`encryption`]: a number's business public key for Flows endpoints.
//! - [`quality`]: a sandbox number's quality rating and messaging limit.

pub mod encryption;
pub mod phone_settings;
pub mod profile;
pub mod qr_codes;
pub mod quality;
pub mod registration;
pub mod woztell_secret;

use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};
use wagate_core::channel::{Channel, ChannelPatch, NewChannel};
use wagate_core::ids::{ChannelId, PhoneNumberId};
use wagate_core::phone::PhoneE164;
use wagate_store::{Entity, Page, StoreError};

use crate::App;
use crate::Principal;
use crate::error::Result;

impl App {
    pub async fn list_channels(
        &self,
        p: &Principal,
        page: &Page<ChannelId>,
    ) -> Result<Vec<Channel>> {
        match p.channels.as_list() {
            None => Ok(self.store.list_channels(p.account_id, page).await?),
            Some(ids) => {
                // A scoped key sees only its channels (a handful): page over them by id.
                let mut ids: Vec<ChannelId> = ids
                    .iter()
                    .copied()
                    .filter(|id| page.after.is_none_or(|a| *id > a))
                    .collect();
                ids.sort();
                let mut out = Vec::new();
                for id in ids.into_iter().take(page.limit as usize) {
                    match self.store.get_channel(p.account_id, id).await {
                        Ok(c) => out.push(c),
                        Err(StoreError::NotFound(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Ok(out)
            }
        }
    }

    pub async fn get_channel(&self, p: &Principal, id: ChannelId) -> Result<Channel> {
        if !p.can_use(id) {
            return Err(StoreError::NotFound(Entity::Channel).into());
        }
        Ok(self.store.get_channel(p.account_id, id).await?)
    }

    /// The principal's channel named `raw` by its id or by its phone number id (how the
    /// providers' APIs name a "project", "instance" or "channel"). Not found for anything
    /// else.
    pub async fn channel_named(&self, p: &Principal, raw: &str) -> Result<Channel> {
        if let Ok(id) = raw.parse::<ChannelId>() {
            self.get_channel(p, id).await
        } else if let Ok(pnid) = PhoneNumberId::parse(raw) {
            self.channel_by_phone_number_id(p, &pnid).await
        } else {
            Err(StoreError::NotFound(Entity::Channel).into())
        }
    }

    /// The principal's channel whose number is `number` (providers that name the business
    /// by its number, as Message Central's `senderId`). Not found when none is.
    pub async fn channel_by_number(&self, p: &Principal, number: &PhoneE164) -> Result<Channel> {
        let mut after = None;
        loop {
            let page = self.list_channels(p, &Page::after(after, 100)).await?;
            if let Some(c) = page.iter().find(|c| c.display_phone_number == *number) {
                return Ok(c.clone());
            }
            match page.last() {
                Some(last) if page.len() == 100 => after = Some(last.id),
                _ => return Err(StoreError::NotFound(Entity::Channel).into()),
            }
        }
    }

    /// The principal's channel with Meta's phone number id (the Cloud plane's path id).
    pub async fn channel_by_phone_number_id(
        &self,
        p: &Principal,
        pnid: &PhoneNumberId,
    ) -> Result<Channel> {
        let channel = match self.phone_numbers.get(pnid) {
            Some(c) => c,
            None => {
                let c = self.store.find_channel_by_phone_number_id(pnid).await?;
                self.phone_numbers.put(pnid.clone(), c.clone());
                c
            }
        };
        if channel.account_id != p.account_id || !p.can_use(channel.id) {
            return Err(StoreError::NotFound(Entity::Channel).into());
        }
        Ok(channel)
    }

    /// `new.account_id` is ignored: a channel is always created in the principal's account.
    pub async fn create_channel(&self, p: &Principal, mut new: NewChannel) -> Result<Channel> {
        p.require_account_wide()?;
        new.account_id = p.account_id;
        let channel = self.store.create_channel(new).await?;
        self.cloud_channels.clear();
        self.audit(
            p,
            AuditAction::ChannelCreate,
            AuditTarget::new(TargetKind::Channel, channel.id),
            AuditSummary::new(format!(
                "phone_number_id {}, upstream {}",
                channel.phone_number_id,
                channel.upstream.kind().as_str()
            )),
        )
        .await;
        Ok(channel)
    }

    pub async fn update_channel(
        &self,
        p: &Principal,
        id: ChannelId,
        patch: &ChannelPatch,
    ) -> Result<Channel> {
        if !p.can_use(id) {
            return Err(StoreError::NotFound(Entity::Channel).into());
        }
        // Its name, upstream (where sends go, with which token), throughput and policy are
        // management: a key limited to the channel uses it, it does not reconfigure it.
        p.require_account_wide()?;
        let channel = self.store.update_channel(p.account_id, id, patch).await?;
        self.phone_numbers.clear();
        self.cloud_channels.clear();
        self.audit(
            p,
            AuditAction::ChannelUpdate,
            AuditTarget::new(TargetKind::Channel, channel.id),
            crate::access::audit::channel_patch_fields(patch),
        )
        .await;
        Ok(channel)
    }
}
