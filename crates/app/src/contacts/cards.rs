//! The contact book service: cards and tags, for every surface (the management API, the
//! dialects, the console). Any key of the account may use it (a provider's per-project key
//! creates contacts too); another account's cards and tags are unknown, never forbidden.

use wagate_core::contact::card::{
    ContactCard, ContactCardPatch, NewContactCard, OptIn, Tag, TagName, apply, check_attributes,
    normalise_tags,
};
use wagate_core::ids::{ContactCardId, TagId};
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
            id: ContactCardId::generate(),
            account_id: p.account_id,
            wa_id: new.wa_id,
            bsuid: None,
            name: new.name,
            profile_name: None,
            tags: normalise_tags(new.tags),
            attributes: new.attributes,
            opt_in: new.opted_in.map(|opted_in| OptIn {
                opted_in,
                source: new.source,
                at: now,
            }),
            blocked_at: new.blocked.then_some(now),
            created_at: now,
            updated_at: now,
            last_inbound_at: None,
            last_active_at: None,
        };
        Ok(self.store.create_card(card).await?)
    }

    pub async fn get_contact(&self, p: &Principal, id: ContactCardId) -> Result<ContactCard> {
        Ok(self.store.get_card(p.account_id, id).await?)
    }

    /// The card of a number (any spelling that parses to the same E.164).
    pub async fn contact_by_number(&self, p: &Principal, wa_id: &PhoneE164) -> Result<ContactCard> {
        self.store
            .find_card(p.account_id, wa_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(Entity::ContactCard).into())
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
        Ok(self.store.update_card(card).await?)
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
        Ok(self.store.list_cards(p.account_id, &filter, page).await?)
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
