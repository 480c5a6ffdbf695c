//! Groups: their statements, and [`GroupStore`] for every [`Backend`] (see
//! [`crate::groups`]).

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::group::{
    Group, GroupId, GroupInfo, GroupPatch, GroupRefusal, InviteCode, JoinRequest, JoinRequestId,
    Participant,
};
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::phone::PhoneE164;
use wagate_core::webhook::WebhookEvent;

use super::{Backend, Conn, is_unique_violation, query, webhooks};
use crate::groups::{GroupRecord, JoinRequestRecord, ParticipantRecord};
use crate::{Conflict, Entity, GroupStore, Page, Result, StoreError, group_columns};

#[async_trait]
impl<B: Backend> GroupStore for B {
    async fn create_group(
        &self,
        group: Group,
        cap: u32,
        events: Vec<WebhookEvent>,
    ) -> Result<Group> {
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let count = c
                    .scalar::<i64>(
                        query("SELECT COUNT(*) FROM groups WHERE channel_id = $1")
                            .bind(group.channel_id.as_uuid()),
                    )
                    .await?
                    .unwrap_or(0);
                if count >= i64::from(cap) {
                    return Err(StoreError::Group(GroupRefusal::CreateLimitReached));
                }
                insert(c, &group).await?;
                webhooks::emit(c, &events, stamp).await?;
                Ok(group)
            })
        })
        .await
    }

    async fn get_group(&self, account: AccountId, id: &GroupId) -> Result<GroupInfo> {
        let id = id.clone();
        self.read(move |c| {
            Box::pin(async move {
                let group = get(c, account, &id, "").await?;
                let participants = participants(c, &id).await?;
                Ok(GroupInfo {
                    group,
                    participants,
                })
            })
        })
        .await
    }

    async fn find_group_by_invite(&self, code: &InviteCode) -> Result<Group> {
        let code = code.clone();
        self.read(move |c| {
            Box::pin(async move {
                found(
                    c.fetch_optional(
                        query(concat!(
                            "SELECT ",
                            group_columns!(),
                            " FROM groups WHERE invite_code = $1"
                        ))
                        .bind(code.as_str()),
                    )
                    .await?,
                )
            })
        })
        .await
    }

    async fn list_groups(
        &self,
        account: AccountId,
        channel: ChannelId,
        page: &Page<GroupId>,
    ) -> Result<Vec<Group>> {
        let page = page.clone();
        self.read(move |c| {
            Box::pin(async move {
                c.fetch_all::<GroupRecord>(
                    query(concat!(
                        "SELECT ",
                        group_columns!(),
                        " FROM groups WHERE channel_id = $1 AND account_id = $2 AND id > $3 \
                         ORDER BY id LIMIT $4"
                    ))
                    .bind(channel.as_uuid())
                    .bind(account.as_uuid())
                    .bind(page.after.as_ref().map_or("", GroupId::as_str))
                    .bind(page.sql_limit()),
                )
                .await?
                .into_iter()
                .map(Group::try_from)
                .collect()
            })
        })
        .await
    }

    async fn update_group(
        &self,
        account: AccountId,
        id: &GroupId,
        patch: &GroupPatch,
        at: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Group> {
        let (id, patch) = (id.clone(), patch.clone());
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let for_update = c.dialect().for_update();
                let mut group = get(c, account, &id, for_update).await?;
                if let Some(s) = patch.subject {
                    group.subject = s;
                }
                if let Some(d) = patch.description {
                    group.description = d;
                }
                group.updated_at = at;
                c.execute(
                    query(
                        "UPDATE groups SET subject = $2, description = $3, updated_at = $4 \
                         WHERE id = $1",
                    )
                    .bind(group.id.as_str())
                    .bind(group.subject.as_str())
                    .bind(group.description.as_str())
                    .bind(at.as_millisecond()),
                )
                .await?;
                webhooks::emit(c, &events, stamp).await?;
                Ok(group)
            })
        })
        .await
    }

    async fn set_group_suspended(
        &self,
        account: AccountId,
        id: &GroupId,
        suspended: bool,
        at: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Group> {
        let id = id.clone();
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let for_update = c.dialect().for_update();
                let mut group = get(c, account, &id, for_update).await?;
                if group.suspended == suspended {
                    return Ok(group);
                }
                group.suspended = suspended;
                group.updated_at = at;
                c.execute(
                    query("UPDATE groups SET suspended = $2, updated_at = $3 WHERE id = $1")
                        .bind(group.id.as_str())
                        .bind(suspended)
                        .bind(at.as_millisecond()),
                )
                .await?;
                webhooks::emit(c, &events, stamp).await?;
                Ok(group)
            })
        })
        .await
    }

    async fn reset_group_invite(
        &self,
        account: AccountId,
        id: &GroupId,
        code: &InviteCode,
        at: Timestamp,
    ) -> Result<Group> {
        let (id, code) = (id.clone(), code.clone());
        self.write(move |c| {
            Box::pin(async move {
                let r = c
                    .fetch_optional(
                        query(concat!(
                            "UPDATE groups SET invite_code = $3, updated_at = $4 \
                             WHERE id = $1 AND account_id = $2 RETURNING ",
                            group_columns!()
                        ))
                        .bind(id.as_str())
                        .bind(account.as_uuid())
                        .bind(code.as_str())
                        .bind(at.as_millisecond()),
                    )
                    .await
                    .map_err(taken)?;
                found(r)
            })
        })
        .await
    }

    async fn delete_group(
        &self,
        account: AccountId,
        id: &GroupId,
        events: Vec<WebhookEvent>,
    ) -> Result<()> {
        let id = id.clone();
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let for_update = c.dialect().for_update();
                get(c, account, &id, for_update).await?;
                for table in ["group_participants", "group_join_requests"] {
                    c.execute(
                        query(format!("DELETE FROM {table} WHERE group_id = $1")).bind(id.as_str()),
                    )
                    .await?;
                }
                c.execute(query("DELETE FROM groups WHERE id = $1").bind(id.as_str()))
                    .await?;
                webhooks::emit(c, &events, stamp).await?;
                Ok(())
            })
        })
        .await
    }

    async fn join_group(
        &self,
        id: &GroupId,
        wa_id: &PhoneE164,
        at: Timestamp,
        cap: usize,
        events: Vec<WebhookEvent>,
    ) -> Result<bool> {
        let (id, wa_id) = (id.clone(), wa_id.clone());
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                lock(c, &id).await?;
                let members = participants(c, &id).await?;
                if members.iter().any(|p| p.wa_id == wa_id) {
                    return Ok(false);
                }
                if members.len() >= cap {
                    return Err(StoreError::Group(GroupRefusal::ParticipantOverlimit));
                }
                add(c, &id, &wa_id, at).await?;
                c.execute(
                    query("DELETE FROM group_join_requests WHERE group_id = $1 AND wa_id = $2")
                        .bind(id.as_str())
                        .bind(wa_id.digits()),
                )
                .await?;
                webhooks::emit(c, &events, stamp).await?;
                Ok(true)
            })
        })
        .await
    }

    async fn remove_group_participants(
        &self,
        account: AccountId,
        id: &GroupId,
        wa_ids: &[PhoneE164],
        events: Vec<WebhookEvent>,
    ) -> Result<()> {
        let (id, wa_ids) = (id.clone(), wa_ids.to_vec());
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let for_update = c.dialect().for_update();
                get(c, account, &id, for_update).await?;
                let members = participants(c, &id).await?;
                if !wa_ids.iter().all(|w| members.iter().any(|p| p.wa_id == *w)) {
                    return Err(StoreError::Group(GroupRefusal::NotAParticipant));
                }
                for w in &wa_ids {
                    c.execute(
                        query("DELETE FROM group_participants WHERE group_id = $1 AND wa_id = $2")
                            .bind(id.as_str())
                            .bind(w.digits()),
                    )
                    .await?;
                }
                webhooks::emit(c, &events, stamp).await?;
                Ok(())
            })
        })
        .await
    }

    async fn create_join_request(
        &self,
        id: &GroupId,
        request: JoinRequest,
        events: Vec<WebhookEvent>,
    ) -> Result<JoinRequest> {
        let id = id.clone();
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                lock(c, &id).await?;
                let pending = join_requests(c, &id).await?;
                if let Some(r) = pending.into_iter().find(|r| r.wa_id == request.wa_id) {
                    return Ok(r);
                }
                c.execute(
                    query(
                        "INSERT INTO group_join_requests (id, group_id, wa_id, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(request.id.as_str())
                    .bind(id.as_str())
                    .bind(request.wa_id.digits())
                    .bind(request.created_at.as_millisecond()),
                )
                .await
                .map_err(taken)?;
                webhooks::emit(c, &events, stamp).await?;
                Ok(request)
            })
        })
        .await
    }

    async fn list_join_requests(
        &self,
        account: AccountId,
        id: &GroupId,
    ) -> Result<Vec<JoinRequest>> {
        let id = id.clone();
        self.read(move |c| {
            Box::pin(async move {
                get(c, account, &id, "").await?;
                join_requests(c, &id).await
            })
        })
        .await
    }

    async fn decide_join_requests(
        &self,
        account: AccountId,
        id: &GroupId,
        requests: &[JoinRequestId],
        approve_within: Option<usize>,
        at: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Vec<JoinRequest>> {
        let (id, requests) = (id.clone(), requests.to_vec());
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let for_update = c.dialect().for_update();
                get(c, account, &id, for_update).await?;
                let pending = join_requests(c, &id).await?;
                let chosen: Vec<JoinRequest> = requests
                    .iter()
                    .map(|r| pending.iter().find(|p| p.id == *r).cloned())
                    .collect::<Option<_>>()
                    .ok_or(StoreError::Group(GroupRefusal::JoinRequestUnknown))?;
                if let Some(cap) = approve_within
                    && participants(c, &id).await?.len() + chosen.len() > cap
                {
                    return Err(StoreError::Group(GroupRefusal::ParticipantOverlimit));
                }
                for r in &chosen {
                    c.execute(
                        query("DELETE FROM group_join_requests WHERE id = $1").bind(r.id.as_str()),
                    )
                    .await?;
                    if approve_within.is_some() {
                        add(c, &id, &r.wa_id, at).await?;
                    }
                }
                webhooks::emit(c, &events, stamp).await?;
                Ok(chosen)
            })
        })
        .await
    }
}

/// A unique violation of a write here is a generated id or code used already.
fn taken(e: StoreError) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::conflict(Conflict::GeneratedId, "the group id or invite code exists")
    } else {
        e
    }
}

fn found(r: Option<GroupRecord>) -> Result<Group> {
    r.ok_or(StoreError::NotFound(Entity::Group))?.try_into()
}

async fn insert<C: Conn>(c: &mut C, g: &Group) -> Result<()> {
    c.execute(
        query(concat!(
            "INSERT INTO groups (",
            group_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(g.id.as_str())
        .bind(g.account_id.as_uuid())
        .bind(g.channel_id.as_uuid())
        .bind(g.subject.as_str())
        .bind(g.description.as_str())
        .bind(g.join_approval_mode.as_str())
        .bind(g.invite_code.as_str())
        .bind(g.suspended)
        .bind(g.created_at.as_millisecond())
        .bind(g.updated_at.as_millisecond()),
    )
    .await
    .map_err(taken)?;
    Ok(())
}

/// One of the account's groups; `suffix` locks its row (`for_update`) in a write.
async fn get<C: Conn>(c: &mut C, account: AccountId, id: &GroupId, suffix: &str) -> Result<Group> {
    let sql = format!(
        "SELECT {} FROM groups WHERE id = $1 AND account_id = $2{suffix}",
        group_columns!()
    );
    found(
        c.fetch_optional(query(sql).bind(id.as_str()).bind(account.as_uuid()))
            .await?,
    )
}

/// Locks any account's group (joins come from the users' side); `NotFound` when it is gone.
async fn lock<C: Conn>(c: &mut C, id: &GroupId) -> Result<()> {
    let sql = format!(
        "SELECT id FROM groups WHERE id = $1{}",
        c.dialect().for_update()
    );
    c.scalar::<String>(query(sql).bind(id.as_str()))
        .await?
        .ok_or(StoreError::NotFound(Entity::Group))?;
    Ok(())
}

async fn add<C: Conn>(c: &mut C, id: &GroupId, wa_id: &PhoneE164, at: Timestamp) -> Result<()> {
    c.execute(
        query("INSERT INTO group_participants (group_id, wa_id, joined_at) VALUES ($1, $2, $3)")
            .bind(id.as_str())
            .bind(wa_id.digits())
            .bind(at.as_millisecond()),
    )
    .await?;
    Ok(())
}

async fn participants<C: Conn>(c: &mut C, id: &GroupId) -> Result<Vec<Participant>> {
    c.fetch_all::<ParticipantRecord>(
        query(
            "SELECT wa_id, joined_at FROM group_participants WHERE group_id = $1 \
             ORDER BY joined_at, wa_id",
        )
        .bind(id.as_str()),
    )
    .await?
    .into_iter()
    .map(Participant::try_from)
    .collect()
}

async fn join_requests<C: Conn>(c: &mut C, id: &GroupId) -> Result<Vec<JoinRequest>> {
    c.fetch_all::<JoinRequestRecord>(
        query(
            "SELECT id, wa_id, created_at FROM group_join_requests WHERE group_id = $1 \
             ORDER BY created_at, id",
        )
        .bind(id.as_str()),
    )
    .await?
    .into_iter()
    .map(JoinRequest::try_from)
    .collect()
}
