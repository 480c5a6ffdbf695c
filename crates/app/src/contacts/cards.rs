//! The contact book service: cards and tags, for every surface (the management API, the
//! dialects, the console). Any key of the account may use it (a provider's per-project key
//! creates contacts too); another account's cards and tags are unknown, never forbidden.
//!
//! Blocking a contact blocks it at the gateway (sends refused before they are stored) and,
//! on each of the account's numbers the key may use, at Meta's level as the Cloud plane's
//! `block_users` does ([`App::set_blocked`]), which Meta allows only for users who wrote to
//! the number in the last 24 hours; the card's `channel_blocks` say which applied.
//! Unblocking lifts both. Changes are announced to `contacts` webhook subscribers by the
//! store, in the transaction of the change.

use wagate_core::channel::Channel;
use wagate_core::contact::card::{
    ContactCard, ContactCardPatch, NewContactCard, OptIn, Tag, TagName, apply, check_attributes,
    normalise_tags,
};
use wagate_core::ids::{ChannelId, ContactCardId, TagId};
use wagate_core::phone::PhoneE164;
use wagate_store::{ContactCardFilter, Entity, Page, StoreError, TagCount};

use crate::error::Result;
use crate::{App, Principal};

impl App {
    /// A new card; its tags must exist; a card of the same number answers `contact_exists`
    /// naming the existing one.
    pub async fn create_contact(&self, p: &Principal, new: NewContactCard) -> Result<ContactCard> {
        check_attributes(&new.attributes)?;
        let now = self.now();
        let card = ContactCard {
            name: new.name,
            tags: normalise_tags(new.tags),
            attributes: new.attributes,
            opt_in: new.opted_in.map(|opted_in| OptIn {
                opted_in,
                source: new.source,
                at: now,
            }),
            blocked_at: new.blocked.then_some(now),
            timezone: new.timezone,
            ..ContactCard::new(p.account_id, new.wa_id, now)
        };
        let card = self.store.create_card(card).await?;
        let card = if new.blocked {
            self.block_on_numbers(p, card, true).await?
        } else {
            card
        };
        Ok(scoped(p, card))
    }

    pub async fn get_contact(&self, p: &Principal, id: ContactCardId) -> Result<ContactCard> {
        Ok(scoped(p, self.store.get_card(p.account_id, id).await?))
    }

    /// The card of a number (any spelling that parses to the same E.164).
    pub async fn contact_by_number(&self, p: &Principal, wa_id: &PhoneE164) -> Result<ContactCard> {
        self.store
            .find_card(p.account_id, wa_id)
            .await?
            .map(|c| scoped(p, c))
            .ok_or_else(|| StoreError::NotFound(Entity::ContactCard).into())
    }

    /// Applies (`block`) or lifts Meta's block on the card's number on each of the account's
    /// numbers the key may use, exactly as `/{phone_number_id}/block_users` does; Meta
    /// refuses a block where the person has not written in the last 24 hours, and the card
    /// read back says where it applied.
    async fn block_on_numbers(
        &self,
        p: &Principal,
        card: ContactCard,
        block: bool,
    ) -> Result<ContactCard> {
        let user = vec![(card.wa_id.digits().to_owned(), card.wa_id.clone())];
        for channel in self.every_channel(p).await? {
            // A refusal is the card's answer (its `channel_blocks`), not an error.
            self.set_blocked(p, &channel, user.clone(), block).await?;
        }
        Ok(self.store.get_card(p.account_id, card.id).await?)
    }

    /// Every channel the key may use.
    async fn every_channel(&self, p: &Principal) -> Result<Vec<Channel>> {
        let mut out: Vec<Channel> = Vec::new();
        let mut after: Option<ChannelId> = None;
        loop {
            let page = Page::after(after, Page::<ChannelId>::MAX_LIMIT);
            let got = self.list_channels(p, &page).await?;
            let full = got.len() == page.limit as usize;
            after = got.last().map(|c| c.id);
            out.extend(got);
            if !full || after.is_none() {
                return Ok(out);
            }
        }
    }

    /// Applies `patch` (name, tags, attributes, opt-in from `source`, block).
    pub async fn update_contact(
        &self,
        p: &Principal,
        id: ContactCardId,
        patch: ContactCardPatch,
        source: wagate_core::contact::card::OptInSource,
    ) -> Result<ContactCard> {
        let mut card = self.store.get_card(p.account_id, id).await?;
        apply(&mut card, &patch, source, self.now())?;
        let card = self.store.update_card(card).await?;
        let card = match patch.blocked {
            Some(block) => self.block_on_numbers(p, card, block).await?,
            None => card,
        };
        Ok(scoped(p, card))
    }

    /// Erases the card: its name, tags, attributes and opt-in go; messages stay.
    pub async fn delete_contact(&self, p: &Principal, id: ContactCardId) -> Result<()> {
        Ok(self.store.delete_card(p.account_id, id).await?)
    }

    pub async fn list_contacts(
        &self,
        p: &Principal,
        filter: &ContactCardFilter,
        page: &Page<ContactCardId>,
    ) -> Result<(Vec<ContactCard>, u64)> {
        let mut filter = filter.clone();
        filter.at = Some(self.now());
        let (cards, total) = self.store.list_cards(p.account_id, &filter, page).await?;
        Ok((cards.into_iter().map(|c| scoped(p, c)).collect(), total))
    }

    pub async fn create_tag(&self, p: &Principal, name: TagName) -> Result<Tag> {
        let tag = Tag {
            id: TagId::generate(),
            account_id: p.account_id,
            name,
            created_at: self.now(),
        };
        Ok(self.store.create_tag(tag).await?)
    }

    /// The account's tags, by name, with how many contacts carry each.
    pub async fn list_tags(&self, p: &Principal) -> Result<Vec<TagCount>> {
        Ok(self.store.list_tags(p.account_id).await?)
    }

    pub async fn rename_tag(&self, p: &Principal, id: TagId, name: TagName) -> Result<TagCount> {
        Ok(self.store.rename_tag(p.account_id, id, name).await?)
    }

    /// Deletes the tag and takes it off every contact.
    pub async fn delete_tag(&self, p: &Principal, id: TagId) -> Result<()> {
        Ok(self.store.delete_tag(p.account_id, id).await?)
    }
}

/// The card with Meta's blocks on the numbers the key may use only.
fn scoped(p: &Principal, mut card: ContactCard) -> ContactCard {
    card.channel_blocks
        .retain(|b| p.channels.allows(b.channel_id));
    card
}
