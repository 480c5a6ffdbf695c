//! The contact book: its statements, and [`ContactCardStore`] for every [`Backend`].

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use uuid::Uuid;
use wagate_core::contact::card::{ChannelBlock, ContactCard, Tag, TagName};
use wagate_core::contact::view::{ChangeCause, contact_events};
use wagate_core::ids::{AccountId, ChannelId, ContactCardId, PhoneNumberId, TagId};
use wagate_core::phone::PhoneE164;

use super::{Backend, Conn, Dialect, Query, is_unique_violation, query};
use crate::contact_cards::{
    CardTagRecord, ContactCardFilter, ContactCardRecord, ContactCardStore, TagCount, TagRecord,
};
use crate::records::{millis, timestamp};
use crate::templates::like_pattern;
use crate::{
    Conflict, Entity, Page, Result, StoreError, contact_card_columns, contact_card_select,
};

#[async_trait]
impl<B: Backend> ContactCardStore for B {
    async fn create_card(&self, card: ContactCard) -> Result<ContactCard> {
        self.write(move |c| {
            Box::pin(async move {
                if let Some(existing) = find_card(c, card.account_id, &card.wa_id).await? {
                    return Err(exists(&existing));
                }
                let tags = tag_ids(c, card.account_id, &card.tags).await?;
                write_card(c, &card, true).await.map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::conflict(
                            Conflict::ContactNumber,
                            format!("a contact with the number +{} exists", card.wa_id.digits()),
                        )
                    } else {
                        e
                    }
                })?;
                set_tags(c, card.id, &tags).await?;
                // Read back: the tags as the account spells them.
                let created = get_card(c, card.account_id, card.id).await?;
                emit_contact_events(c, None, &created, ChangeCause::Business).await?;
                Ok(created)
            })
        })
        .await
    }

    async fn get_card(&self, account: AccountId, id: ContactCardId) -> Result<ContactCard> {
        self.read(move |c| Box::pin(get_card(c, account, id))).await
    }

    async fn find_card(
        &self,
        account: AccountId,
        wa_id: &PhoneE164,
    ) -> Result<Option<ContactCard>> {
        let wa_id = wa_id.clone();
        self.read(move |c| Box::pin(async move { find_card(c, account, &wa_id).await }))
            .await
    }

    async fn is_blocked(&self, account: AccountId, wa_id: &PhoneE164) -> Result<bool> {
        let wa_id = wa_id.digits().to_owned();
        self.read(move |c| {
            Box::pin(async move {
                let hit = c
                    .scalar::<bool>(
                        query(
                            "SELECT TRUE FROM contact_cards WHERE account_id = $1 \
                             AND wa_id = $2 AND blocked_at IS NOT NULL",
                        )
                        .bind(account.as_uuid())
                        .bind(wa_id),
                    )
                    .await?;
                Ok(hit.is_some())
            })
        })
        .await
    }

    async fn update_card(&self, card: ContactCard) -> Result<ContactCard> {
        self.write(move |c| {
            Box::pin(async move {
                let before = get_card(c, card.account_id, card.id).await?;
                let tags = tag_ids(c, card.account_id, &card.tags).await?;
                write_card(c, &card, false).await?;
                set_tags(c, card.id, &tags).await?;
                let after = get_card(c, card.account_id, card.id).await?;
                emit_contact_events(c, Some(&before), &after, ChangeCause::Business).await?;
                Ok(after)
            })
        })
        .await
    }

    async fn delete_card(&self, account: AccountId, id: ContactCardId) -> Result<()> {
        self.write(move |c| {
            Box::pin(async move {
                c.execute(
                    query("DELETE FROM contact_card_tags WHERE card_id = $1").bind(id.as_uuid()),
                )
                .await?;
                let n = c
                    .execute(
                        query("DELETE FROM contact_cards WHERE account_id = $1 AND id = $2")
                            .bind(account.as_uuid())
                            .bind(id.as_uuid()),
                    )
                    .await?;
                if n == 0 {
                    return Err(StoreError::NotFound(Entity::ContactCard));
                }
                Ok(())
            })
        })
        .await
    }

    async fn list_cards(
        &self,
        account: AccountId,
        filter: &ContactCardFilter,
        page: &Page<ContactCardId>,
    ) -> Result<(Vec<ContactCard>, u64)> {
        let (filter, page) = (filter.clone(), page.clone());
        self.read(move |c| {
            Box::pin(async move {
                let only_tag = filter.tag.is_some()
                    && ContactCardFilter {
                        tag: None,
                        at: None,
                        ..filter.clone()
                    }
                    .is_empty();
                let count = if let (true, Some(tag)) = (only_tag, &filter.tag) {
                    // The tag's index entries are its cards: no card need be read.
                    let mut q =
                        query("SELECT COUNT(*) FROM contact_card_tags AS ct WHERE ct.tag_id = ");
                    push_tag_id(&mut q, account, tag);
                    q
                } else {
                    let mut q = query("SELECT COUNT(*)");
                    from_where(&mut q, c.dialect(), account, &filter);
                    q
                };
                let (total,) = c.fetch_optional::<(i64,)>(count).await?.unwrap_or((0,));
                let q = page_query(c.dialect(), account, &filter, page.after, page.sql_limit());
                let rows = c.fetch_all::<ContactCardRecord>(q).await?;
                let cards = with_tags(c, rows).await?;
                Ok((cards, u64::try_from(total).unwrap_or(0)))
            })
        })
        .await
    }

    async fn create_tag(&self, tag: Tag) -> Result<Tag> {
        self.write(move |c| {
            Box::pin(async move {
                c.execute(
                    query(
                        "INSERT INTO tags (id, account_id, name, name_key, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(tag.id.as_uuid())
                    .bind(tag.account_id.as_uuid())
                    .bind(tag.name.as_str())
                    .bind(tag.name.key())
                    .bind(millis(tag.created_at)),
                )
                .await
                .map_err(|e| tag_taken(e, &tag.name))?;
                Ok(tag)
            })
        })
        .await
    }

    async fn list_tags(&self, account: AccountId) -> Result<Vec<TagCount>> {
        self.read(move |c| {
            Box::pin(async move {
                let tags = c
                    .fetch_all::<TagRecord>(
                        query(
                            "SELECT id, account_id, name, created_at FROM tags \
                             WHERE account_id = $1 ORDER BY name_key",
                        )
                        .bind(account.as_uuid()),
                    )
                    .await?;
                let counts: HashMap<Uuid, i64> = c
                    .fetch_all::<(Uuid, i64)>(
                        query(
                            "SELECT ct.tag_id, COUNT(*) FROM contact_card_tags AS ct \
                             JOIN tags AS t ON t.id = ct.tag_id WHERE t.account_id = $1 \
                             GROUP BY ct.tag_id",
                        )
                        .bind(account.as_uuid()),
                    )
                    .await?
                    .into_iter()
                    .collect();
                tags.into_iter()
                    .map(|r| {
                        let n = counts.get(&r.id).copied().unwrap_or(0);
                        Ok(TagCount {
                            tag: Tag::try_from(r)?,
                            contacts: u64::try_from(n).unwrap_or(0),
                        })
                    })
                    .collect()
            })
        })
        .await
    }

    async fn rename_tag(&self, account: AccountId, id: TagId, name: TagName) -> Result<TagCount> {
        self.write(move |c| {
            Box::pin(async move {
                let tag: Tag = c
                    .fetch_optional::<TagRecord>(
                        query(
                            "UPDATE tags SET name = $1, name_key = $2 WHERE account_id = $3 \
                         AND id = $4 RETURNING id, account_id, name, created_at",
                        )
                        .bind(name.as_str())
                        .bind(name.key())
                        .bind(account.as_uuid())
                        .bind(id.as_uuid()),
                    )
                    .await
                    .map_err(|e| tag_taken(e, &name))?
                    .ok_or(StoreError::NotFound(Entity::Tag))?
                    .try_into()?;
                let (n,) = c
                    .fetch_optional::<(i64,)>(
                        query("SELECT COUNT(*) FROM contact_card_tags WHERE tag_id = $1")
                            .bind(id.as_uuid()),
                    )
                    .await?
                    .unwrap_or((0,));
                Ok(TagCount {
                    tag,
                    contacts: u64::try_from(n).unwrap_or(0),
                })
            })
        })
        .await
    }

    async fn delete_tag(&self, account: AccountId, id: TagId) -> Result<()> {
        self.write(move |c| {
            Box::pin(async move {
                let owned = c
                    .scalar::<bool>(
                        query("SELECT TRUE FROM tags WHERE account_id = $1 AND id = $2")
                            .bind(account.as_uuid())
                            .bind(id.as_uuid()),
                    )
                    .await?;
                if owned.is_none() {
                    return Err(StoreError::NotFound(Entity::Tag));
                }
                c.execute(
                    query("DELETE FROM contact_card_tags WHERE tag_id = $1").bind(id.as_uuid()),
                )
                .await?;
                c.execute(query("DELETE FROM tags WHERE id = $1").bind(id.as_uuid()))
                    .await?;
                Ok(())
            })
        })
        .await
    }
}

fn exists(existing: &ContactCard) -> StoreError {
    StoreError::conflict(
        Conflict::ContactNumber,
        format!(
            "the contact {} has the number +{} already",
            existing.id,
            existing.wa_id.digits()
        ),
    )
}

fn tag_taken(e: StoreError, name: &TagName) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::conflict(
            Conflict::TagName,
            format!(
                "a tag named `{}` exists (names are unique ignoring case)",
                name.as_str()
            ),
        )
    } else {
        e
    }
}

/// `FROM` the cards matching `f`, `WHERE` their conditions: driven by the tag's index
/// entries (in card order) when the filter names a tag, so a page of a tag's cards reads
/// that page only.
pub(super) fn from_where(
    q: &mut Query,
    dialect: Dialect,
    account: AccountId,
    f: &ContactCardFilter,
) {
    match &f.tag {
        Some(tag) => {
            // CROSS JOIN: SQLite keeps this order (the tag's entries outside).
            q.push(
                " FROM contact_card_tags AS ct CROSS JOIN contact_cards AS k \
                 WHERE k.id = ct.card_id AND ct.tag_id = ",
            );
            push_tag_id(q, account, tag);
            q.push(" AND ");
        }
        None => {
            q.push(" FROM contact_cards AS k WHERE ");
        }
    }
    conditions(q, dialect, account, f);
}

/// A page of the cards matching `f` after `after`, in id order.
pub(super) fn page_query(
    dialect: Dialect,
    account: AccountId,
    f: &ContactCardFilter,
    after: Option<ContactCardId>,
    limit: i64,
) -> Query {
    let mut q = query(concat!("SELECT ", contact_card_select!()));
    from_where(&mut q, dialect, account, f);
    let order = if f.tag.is_some() {
        "ct.card_id"
    } else {
        "k.id"
    };
    if let Some(after) = after {
        q.push(" AND ")
            .push(order)
            .push(" > ")
            .push_bind(after.as_uuid());
    }
    q.push(" ORDER BY ")
        .push(order)
        .push(" LIMIT ")
        .push_bind(limit);
    q
}

/// The id of the account's tag `tag` (a scalar subquery; none matches no card).
fn push_tag_id(q: &mut Query, account: AccountId, tag: &TagName) {
    q.push("(SELECT t.id FROM tags AS t WHERE t.account_id = ")
        .push_bind(account.as_uuid())
        .push(" AND t.name_key = ")
        .push_bind(tag.key())
        .push(")");
}

/// The filter's conditions on `contact_cards AS k`, but its tag (see [`from_where`]).
fn conditions(q: &mut Query, dialect: Dialect, account: AccountId, f: &ContactCardFilter) {
    q.push("k.account_id = ").push_bind(account.as_uuid());
    if let Some((key, value)) = &f.attribute {
        // The key is `a-z0-9_` (parsed), so it can sit in the path text.
        match dialect {
            Dialect::Sqlite => q
                .push(" AND json_extract(k.attributes, ")
                .push_bind(format!("$.{}", key.as_str())),
            Dialect::Postgres => q.push(" AND (k.attributes ->> ").push_bind(key.as_str()),
        };
        q.push(") = ").push_bind(value.clone());
    }
    if let Some(opted_in) = f.opted_in {
        if opted_in {
            q.push(" AND k.opted_in IS NOT FALSE");
        } else {
            q.push(" AND k.opted_in IS FALSE");
        }
    }
    if let Some(blocked) = f.blocked {
        q.push(if blocked {
            " AND k.blocked_at IS NOT NULL"
        } else {
            " AND k.blocked_at IS NULL"
        });
    }
    if let (Some(open), Some(at)) = (f.window_open, f.at) {
        let since = millis(at - wagate_core::policy::SERVICE_WINDOW);
        q.push(if open {
            " AND EXISTS"
        } else {
            " AND NOT EXISTS"
        });
        q.push(
            " (SELECT 1 FROM contacts AS c WHERE c.account_id = k.account_id \
             AND c.wa_id = k.wa_id AND c.last_inbound_at > ",
        )
        .push_bind(since)
        .push(")");
    }
    // Last active: the chats' last message, or the last one accepted for the person.
    let last_active = " (SELECT MAX(c.last_message_at) FROM contacts AS c \
         WHERE c.account_id = k.account_id AND c.wa_id = k.wa_id)";
    if let Some(since) = f.active_since {
        q.push(" AND (")
            .push(last_active)
            .push(" >= ")
            .push_bind(millis(since))
            .push(" OR k.last_outbound_at >= ")
            .push_bind(millis(since))
            .push(")");
    }
    if let Some(until) = f.active_until {
        q.push(" AND COALESCE(")
            .push(last_active)
            .push(", k.last_outbound_at) IS NOT NULL AND COALESCE(")
            .push(last_active)
            .push(", 0) < ")
            .push_bind(millis(until))
            .push(" AND COALESCE(k.last_outbound_at, 0) < ")
            .push_bind(millis(until));
    }
    if let Some(text) = &f.search {
        let like = match dialect {
            Dialect::Sqlite => " LIKE ",
            Dialect::Postgres => " ILIKE ",
        };
        let pattern = like_pattern(text);
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        q.push(" AND (k.name").push(like).push_bind(pattern.clone());
        q.push(" ESCAPE '\\' OR k.profile_name")
            .push(like)
            .push_bind(pattern);
        q.push(" ESCAPE '\\'");
        if !digits.is_empty() {
            q.push(" OR k.wa_id LIKE ").push_bind(like_pattern(&digits));
            q.push(" ESCAPE '\\'");
        }
        q.push(")");
    }
}

/// The ids of `names` in the account: every one must exist (`NotFound(Tag)`).
async fn tag_ids<C: Conn>(c: &mut C, account: AccountId, names: &[TagName]) -> Result<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let id = c
            .scalar::<Uuid>(
                query("SELECT id FROM tags WHERE account_id = $1 AND name_key = $2")
                    .bind(account.as_uuid())
                    .bind(name.key()),
            )
            .await?
            .ok_or(StoreError::NotFound(Entity::Tag))?;
        ids.push(id);
    }
    Ok(ids)
}

async fn set_tags<C: Conn>(c: &mut C, card: ContactCardId, tags: &[Uuid]) -> Result<()> {
    c.execute(query("DELETE FROM contact_card_tags WHERE card_id = $1").bind(card.as_uuid()))
        .await?;
    for tag in tags {
        c.execute(
            query("INSERT INTO contact_card_tags (card_id, tag_id) VALUES ($1, $2)")
                .bind(card.as_uuid())
                .bind(*tag),
        )
        .await?;
    }
    Ok(())
}

async fn write_card<C: Conn>(c: &mut C, card: &ContactCard, insert: bool) -> Result<()> {
    let r = ContactCardRecord::from(card);
    let mut q = if insert {
        query(concat!(
            "INSERT INTO contact_cards (",
            contact_card_columns!(),
            ") VALUES "
        ))
    } else {
        query(concat!(
            "UPDATE contact_cards SET (",
            contact_card_columns!(),
            ") = "
        ))
    };
    push_card_row(&mut q, r);
    if !insert {
        q.push(" WHERE account_id = $2 AND id = $1");
    }
    c.execute(q).await?;
    Ok(())
}

/// The card's columns as parameters, in `contact_card_columns!` order: `($n, …)`.
pub(super) fn push_card_row(q: &mut Query, r: ContactCardRecord) {
    q.push("(").push_bind(r.id);
    q.push(", ").push_bind(r.account_id);
    q.push(", ").push_bind(r.wa_id);
    q.push(", ").push_bind(r.bsuid);
    q.push(", ").push_bind(r.name);
    q.push(", ").push_bind(r.profile_name);
    q.push(", ").push_bind(r.attributes);
    q.push(", ").push_bind(r.opted_in);
    q.push(", ").push_bind(r.opt_in_source);
    q.push(", ").push_bind(r.opt_in_at);
    q.push(", ").push_bind(r.blocked_at);
    q.push(", ").push_bind(r.created_at);
    q.push(", ").push_bind(r.updated_at);
    q.push(", ").push_bind(r.timezone);
    q.push(")");
}

async fn get_card<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: ContactCardId,
) -> Result<ContactCard> {
    let row = c
        .fetch_optional::<ContactCardRecord>(
            query(concat!(
                "SELECT ",
                contact_card_select!(),
                " FROM contact_cards AS k WHERE k.account_id = $1 AND k.id = $2"
            ))
            .bind(account.as_uuid())
            .bind(id.as_uuid()),
        )
        .await?
        .ok_or(StoreError::NotFound(Entity::ContactCard))?;
    Ok(with_tags(c, vec![row]).await?.remove(0))
}

pub(crate) async fn find_card<C: Conn>(
    c: &mut C,
    account: AccountId,
    wa_id: &PhoneE164,
) -> Result<Option<ContactCard>> {
    let Some(row) = c
        .fetch_optional::<ContactCardRecord>(
            query(concat!(
                "SELECT ",
                contact_card_select!(),
                " FROM contact_cards AS k WHERE k.account_id = $1 AND k.wa_id = $2"
            ))
            .bind(account.as_uuid())
            .bind(wa_id.digits()),
        )
        .await?
    else {
        return Ok(None);
    };
    Ok(with_tags(c, vec![row]).await?.pop())
}

/// The cards of `rows`, each with its tags (one query for all).
pub(super) async fn with_tags<C: Conn>(
    c: &mut C,
    rows: Vec<ContactCardRecord>,
) -> Result<Vec<ContactCard>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = query(
        "SELECT ct.card_id, t.name FROM contact_card_tags AS ct JOIN tags AS t \
         ON t.id = ct.tag_id WHERE ct.card_id IN (",
    );
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push_bind(r.id);
    }
    q.push(")");
    let mut by_card: HashMap<Uuid, Vec<TagName>> = HashMap::new();
    for t in c.fetch_all::<CardTagRecord>(q).await? {
        let name = TagName::parse(&t.name).map_err(|e| crate::records::corrupt("tag", e))?;
        by_card.entry(t.card_id).or_default().push(name);
    }
    let mut cards = rows
        .into_iter()
        .map(|r| {
            let tags = by_card.remove(&r.id).unwrap_or_default();
            r.into_card(tags)
        })
        .collect::<Result<Vec<_>>>()?;
    with_channel_blocks(c, &mut cards).await?;
    Ok(cards)
}

/// Fills each card's Meta-level blocks: every number of its account, blocked where the
/// person's chat on it is (two indexed reads per account, however many cards).
async fn with_channel_blocks<C: Conn>(c: &mut C, cards: &mut [ContactCard]) -> Result<()> {
    let accounts: HashSet<AccountId> = cards.iter().map(|k| k.account_id).collect();
    for account in accounts {
        let channels = c
            .fetch_all::<(Uuid, String)>(
                query("SELECT id, phone_number_id FROM channels WHERE account_id = $1 ORDER BY id")
                    .bind(account.as_uuid()),
            )
            .await?
            .into_iter()
            .map(|(id, pnid)| {
                PhoneNumberId::parse(&pnid)
                    .map(|p| (ChannelId::from_uuid(id), p))
                    .map_err(|e| crate::records::corrupt("channel", e))
            })
            .collect::<Result<Vec<_>>>()?;
        if channels.is_empty() {
            continue;
        }
        let mut q = query("SELECT wa_id, channel_id, blocked_at FROM contacts WHERE account_id = ");
        q.push_bind(account.as_uuid())
            .push(" AND blocked_at IS NOT NULL AND wa_id IN (");
        let mut first = true;
        for k in cards.iter().filter(|k| k.account_id == account) {
            if !first {
                q.push(", ");
            }
            first = false;
            q.push_bind(k.wa_id.digits().to_owned());
        }
        q.push(")");
        let blocked: HashMap<(String, Uuid), i64> = c
            .fetch_all::<(String, Uuid, i64)>(q)
            .await?
            .into_iter()
            .map(|(w, ch, at)| ((w, ch), at))
            .collect();
        for k in cards.iter_mut().filter(|k| k.account_id == account) {
            k.channel_blocks = channels
                .iter()
                .map(|(id, pnid)| {
                    let at = blocked.get(&(k.wa_id.digits().to_owned(), id.as_uuid()));
                    Ok(ChannelBlock {
                        channel_id: *id,
                        phone_number_id: pnid.clone(),
                        blocked_at: at.map(|t| timestamp("contact", *t)).transpose()?,
                    })
                })
                .collect::<Result<_>>()?;
        }
    }
    Ok(())
}

/// Stores the `contacts` webhook events of a card's change from `before` to `after` (see
/// [`contact_events`]), in the caller's transaction, for the subscriptions that list the
/// field. The one place a writer of cards announces a change: an import that wants events
/// calls it per row with the card before and after.
pub async fn emit_contact_events<C: Conn>(
    c: &mut C,
    before: Option<&ContactCard>,
    after: &ContactCard,
    cause: ChangeCause<'_>,
) -> Result<()> {
    let events = contact_events(before, after, cause, after.updated_at);
    super::webhooks::emit(c, &events, after.updated_at).await
}
