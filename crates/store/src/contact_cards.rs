//! The contact book's storage: [`ContactCardStore`] (cards, their tags and attributes) and
//! the row shapes both backends read. The SQL is in [`crate::sql::contact_cards`].

use async_trait::async_trait;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::contact::card::{
    AttributeKey, Attributes, ContactCard, ContactName, OptIn, OptInSource, Tag, TagName, Timezone,
};
use wagate_core::ids::{AccountId, ContactCardId, TagId};
use wagate_core::message::Bsuid;
use wagate_core::phone::PhoneE164;

use crate::records::{corrupt, millis, timestamp};
use crate::{Page, Result, StoreError};

/// Which cards to list (every condition must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactCardFilter {
    pub tag: Option<TagName>,
    pub attribute: Option<(AttributeKey, String)>,
    pub opted_in: Option<bool>,
    pub blocked: Option<bool>,
    /// Part of the name, profile name or number (case-insensitive).
    pub search: Option<String>,
    /// Whether the person's customer-service window is open at [`at`](Self::at).
    pub window_open: Option<bool>,
    /// Last active (a message either way) at or after this time…
    pub active_since: Option<Timestamp>,
    /// …and before this one.
    pub active_until: Option<Timestamp>,
    /// The time `window_open` is judged at (the service sets it).
    pub at: Option<Timestamp>,
}

impl ContactCardFilter {
    /// Whether it lets every card through.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A tag with how many cards carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    pub tag: Tag,
    pub contacts: u64,
}

#[async_trait]
pub trait ContactCardStore: Send + Sync {
    /// Stores a new card; its tags must exist (`NotFound(Tag)`); a card of the same number
    /// in the account is `Conflict::ContactNumber`, its message naming the existing id.
    async fn create_card(&self, card: ContactCard) -> Result<ContactCard>;
    async fn get_card(&self, account: AccountId, id: ContactCardId) -> Result<ContactCard>;
    async fn find_card(&self, account: AccountId, wa_id: &PhoneE164)
    -> Result<Option<ContactCard>>;
    /// Whether the number's card is blocked (the send path's check: one indexed lookup).
    async fn is_blocked(&self, account: AccountId, wa_id: &PhoneE164) -> Result<bool>;
    /// Writes the card as given (its tags must exist).
    async fn update_card(&self, card: ContactCard) -> Result<ContactCard>;
    /// Deletes the card and its tags and attributes (messages stay).
    async fn delete_card(&self, account: AccountId, id: ContactCardId) -> Result<()>;
    /// A page of the account's cards matching `filter`, by id, and how many match in all.
    async fn list_cards(
        &self,
        account: AccountId,
        filter: &ContactCardFilter,
        page: &Page<ContactCardId>,
    ) -> Result<(Vec<ContactCard>, u64)>;

    /// A new tag; the same name ignoring case is `Conflict::TagName`.
    async fn create_tag(&self, tag: Tag) -> Result<Tag>;
    async fn list_tags(&self, account: AccountId) -> Result<Vec<TagCount>>;
    /// The renamed tag, with how many cards carry it.
    async fn rename_tag(&self, account: AccountId, id: TagId, name: TagName) -> Result<TagCount>;
    /// Deletes the tag and takes it off every card.
    async fn delete_tag(&self, account: AccountId, id: TagId) -> Result<()>;
}

/// The card columns, in [`ContactCardRecord`] order (as written).
#[macro_export]
macro_rules! contact_card_columns {
    () => {
        "id, account_id, wa_id, bsuid, name, profile_name, attributes, opted_in, \
         opt_in_source, opt_in_at, blocked_at, created_at, updated_at, timezone"
    };
}

/// The card columns of `contact_cards AS k` as read: with what the store keeps itself
/// (`on_whatsapp`, the outbound times) and the activity of the person's chats on the
/// account's numbers.
#[macro_export]
macro_rules! contact_card_select {
    () => {
        "k.id, k.account_id, k.wa_id, k.bsuid, k.name, k.profile_name, k.attributes, \
         k.opted_in, k.opt_in_source, k.opt_in_at, k.blocked_at, k.created_at, k.updated_at, \
         k.timezone, k.on_whatsapp, k.first_outbound_at, k.last_outbound_at, \
         (SELECT MIN(c.first_message_at) FROM contacts AS c WHERE c.account_id = k.account_id \
            AND c.wa_id = k.wa_id) AS first_inbound_at, \
         (SELECT MAX(c.last_inbound_at) FROM contacts AS c WHERE c.account_id = k.account_id \
            AND c.wa_id = k.wa_id) AS last_inbound_at, \
         (SELECT MAX(c.last_message_at) FROM contacts AS c WHERE c.account_id = k.account_id \
            AND c.wa_id = k.wa_id) AS last_active_at"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactCardRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub wa_id: String,
    pub bsuid: Option<String>,
    pub name: Option<String>,
    pub profile_name: Option<String>,
    pub attributes: Json<Value>,
    pub opted_in: Option<bool>,
    pub opt_in_source: Option<String>,
    pub opt_in_at: Option<i64>,
    pub blocked_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    #[sqlx(default)]
    pub timezone: Option<String>,
    /// Read only (see `contact_card_select!`): kept by the send and status paths.
    #[sqlx(default)]
    pub on_whatsapp: Option<bool>,
    #[sqlx(default)]
    pub first_outbound_at: Option<i64>,
    #[sqlx(default)]
    pub last_outbound_at: Option<i64>,
    /// Read only (see `contact_card_select!`): from the chats.
    #[sqlx(default)]
    pub first_inbound_at: Option<i64>,
    #[sqlx(default)]
    pub last_inbound_at: Option<i64>,
    /// The chats' last message (the card's `last_active_at` also weighs `last_outbound_at`).
    #[sqlx(default)]
    pub last_active_at: Option<i64>,
}

impl From<&ContactCard> for ContactCardRecord {
    fn from(c: &ContactCard) -> Self {
        let attributes: serde_json::Map<String, Value> = c
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), Value::String(v.clone())))
            .collect();
        Self {
            id: c.id.as_uuid(),
            account_id: c.account_id.as_uuid(),
            wa_id: c.wa_id.digits().to_owned(),
            bsuid: c.bsuid.as_ref().map(|b| b.as_str().to_owned()),
            name: c.name.as_ref().map(|n| n.as_str().to_owned()),
            profile_name: c.profile_name.clone(),
            attributes: Json(Value::Object(attributes)),
            opted_in: c.opt_in.map(|o| o.opted_in),
            opt_in_source: c.opt_in.map(|o| o.source.as_str().to_owned()),
            opt_in_at: c.opt_in.map(|o| millis(o.at)),
            blocked_at: c.blocked_at.map(millis),
            created_at: millis(c.created_at),
            updated_at: millis(c.updated_at),
            timezone: c.timezone.as_ref().map(|t| t.as_str().to_owned()),
            on_whatsapp: c.on_whatsapp,
            first_outbound_at: c.first_outbound_at.map(millis),
            last_outbound_at: c.last_outbound_at.map(millis),
            first_inbound_at: c.first_inbound_at.map(millis),
            last_inbound_at: c.last_inbound_at.map(millis),
            last_active_at: c.last_active_at.map(millis),
        }
    }
}

impl ContactCardRecord {
    /// The card, with its tags' names.
    pub fn into_card(self, tags: Vec<TagName>) -> Result<ContactCard> {
        const WHAT: &str = "contact card";
        let bad = |e: &dyn std::fmt::Display| corrupt(WHAT, e);
        let Value::Object(map) = self.attributes.0 else {
            return Err(corrupt(WHAT, "attributes is not an object"));
        };
        let mut attributes = Attributes::new();
        for (k, v) in map {
            let key = AttributeKey::parse(&k).map_err(|e| bad(&e))?;
            let Value::String(v) = v else {
                return Err(corrupt(WHAT, "an attribute is not a string"));
            };
            attributes.insert(key, v);
        }
        let opt_in = match (self.opted_in, self.opt_in_source, self.opt_in_at) {
            (Some(opted_in), Some(source), Some(at)) => Some(OptIn {
                opted_in,
                source: OptInSource::parse(&source)
                    .ok_or_else(|| corrupt(WHAT, "unknown opt-in source"))?,
                at: timestamp(WHAT, at)?,
            }),
            _ => None,
        };
        let time = |t: Option<i64>| t.map(|t| timestamp(WHAT, t)).transpose();
        let last_outbound_at = time(self.last_outbound_at)?;
        Ok(ContactCard {
            id: ContactCardId::from_uuid(self.id),
            account_id: AccountId::from_uuid(self.account_id),
            wa_id: PhoneE164::parse(&self.wa_id).map_err(|e| bad(&e))?,
            bsuid: self
                .bsuid
                .as_deref()
                .map(|b| Bsuid::parse_field("bsuid", b))
                .transpose()
                .map_err(|e| bad(&e))?,
            name: self
                .name
                .as_deref()
                .map(ContactName::parse)
                .transpose()
                .map_err(|e| bad(&e))?,
            profile_name: self.profile_name,
            tags: wagate_core::contact::card::normalise_tags(tags),
            attributes,
            opt_in,
            blocked_at: self.blocked_at.map(|t| timestamp(WHAT, t)).transpose()?,
            timezone: self.timezone.map(Timezone::stored),
            created_at: timestamp(WHAT, self.created_at)?,
            updated_at: timestamp(WHAT, self.updated_at)?,
            last_inbound_at: time(self.last_inbound_at)?,
            // A message either way: the chats' last, or the last one accepted for the person.
            last_active_at: time(self.last_active_at)?.max(last_outbound_at),
            first_inbound_at: time(self.first_inbound_at)?,
            first_outbound_at: time(self.first_outbound_at)?,
            last_outbound_at,
            on_whatsapp: self.on_whatsapp,
            // Filled by the read that knows the account's numbers.
            channel_blocks: Vec::new(),
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TagRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub created_at: i64,
}

impl TryFrom<TagRecord> for Tag {
    type Error = StoreError;
    fn try_from(r: TagRecord) -> Result<Tag> {
        Ok(Tag {
            id: TagId::from_uuid(r.id),
            account_id: AccountId::from_uuid(r.account_id),
            name: TagName::parse(&r.name).map_err(|e| corrupt("tag", e))?,
            created_at: timestamp("tag", r.created_at)?,
        })
    }
}

/// A card's tag row: which card, which tag name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CardTagRecord {
    pub card_id: Uuid,
    pub name: String,
}
