//! Campaigns: [`CampaignStore`] for every [`Backend`], and the campaign side of the
//! analytics counters ([`count_campaigns`], [`count_campaign_reply`]), called by the
//! counters of each change.
//!
//! Every change of a campaign's status reads its row `FOR UPDATE` (PostgreSQL; SQLite's one
//! writer already runs writes one after the other), decides by the core's state machine,
//! and stores the row and its `campaigns` webhook event together. A feed does the same, so
//! two workers feeding one campaign take turns, and the second finds its recipients fed and
//! writes nothing (see [`crate::campaigns`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use async_trait::async_trait;
use serde_json::json;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::analytics::{Counts, Metric, bucket, change, dims};
use wagate_core::campaign::model::{AudienceStatus, Campaign, NewRecipient, SkipCounts};
use wagate_core::campaign::{
    CampaignAction, CampaignKind, CampaignStatus, PauseReason, transition,
};
use wagate_core::contact::import::RowError;
use wagate_core::ids::{AccountId, CampaignId, ChannelId, EventId};
use wagate_core::message::Message;
use wagate_core::network::NewInboundMessage;
use wagate_core::webhook::{EventData, EventField, WebhookEvent};

use super::dispatch::{insert_batch, push_list, push_values, rows_per_statement, values_id};
use super::{Backend, Conn, Dialect, Query, query};
use crate::campaigns::{
    Added, AudienceBatch, AudienceLease, AudienceSummary, CampaignChange, CampaignCounterRow,
    CampaignFeed, CampaignFilter, CampaignRecord, CampaignStore, Fed, PendingCard,
    PendingRecipient, RecipientFilter, RecipientRecord, RecipientState, RecipientView,
};
use crate::contact_imports::RowErrorRecord;
use crate::records::millis;
use crate::{Conflict, Entity, Page, Result, StoreError, campaign_columns};

fn not_found() -> StoreError {
    StoreError::NotFound(Entity::Campaign)
}

fn state_conflict(message: impl Into<String>) -> StoreError {
    StoreError::conflict(Conflict::CampaignState, message)
}

fn n(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The campaign, scoped to `account` when given; `FOR UPDATE` when `lock`.
async fn load<C: Conn>(
    c: &mut C,
    account: Option<AccountId>,
    id: CampaignId,
    lock: bool,
) -> Result<Campaign> {
    let mut q = query(concat!(
        "SELECT ",
        campaign_columns!(),
        " FROM campaigns WHERE id = "
    ));
    q.push_bind(id.as_uuid());
    if let Some(a) = account {
        q.push(" AND account_id = ").push_bind(a.as_uuid());
    }
    if lock {
        q.push(c.dialect().for_update());
    }
    c.fetch_optional::<CampaignRecord>(q)
        .await?
        .ok_or_else(not_found)
        .and_then(Campaign::try_from)
}

/// Writes every mutable column of `campaign`.
async fn save<C: Conn>(c: &mut C, campaign: &Campaign) -> Result<()> {
    let r = CampaignRecord::from(campaign);
    c.execute(
        query(
            "UPDATE campaigns SET status = $1, pause_reason = $2, failure = $3, \
             scheduled_at = $4, timezone = $5, audience_status = $6, audience_load = $7, \
             audience_failure = $8, recipients = $9, queued = $10, skipped = $11, \
             fed_through = $12, estimate = $13, updated_at = $14, started_at = $15, \
             finished_at = $16, paced_until = $17 WHERE id = $18",
        )
        .bind(r.status)
        .bind(r.pause_reason)
        .bind(r.failure)
        .bind(r.scheduled_at)
        .bind(r.timezone)
        .bind(r.audience_status)
        .bind(r.audience_load)
        .bind(r.audience_failure)
        .bind(r.recipients)
        .bind(r.queued)
        .bind(r.skipped)
        .bind(r.fed_through)
        .bind(r.estimate)
        .bind(r.updated_at)
        .bind(r.started_at)
        .bind(r.finished_at)
        .bind(r.paced_until)
        .bind(r.id),
    )
    .await?;
    Ok(())
}

/// The `campaigns` webhook event `event` of `campaign` (its state after the change).
fn event(campaign: &Campaign, event: &str, at: Timestamp) -> WebhookEvent {
    WebhookEvent {
        id: EventId::generate(),
        account_id: campaign.account_id,
        channel_id: None,
        occurred_at: at,
        data: EventData::Other {
            field: EventField::Campaigns,
            value: json!({
                "event": event,
                "campaign": {
                    "id": campaign.id.to_string(),
                    "name": campaign.name.as_str(),
                    "kind": campaign.kind.as_str(),
                    "channel_id": campaign.channel_id.to_string(),
                    "status": campaign.status.as_str(),
                    "reason": campaign.pause_reason.map(PauseReason::as_str),
                    "failure": campaign.failure,
                    "recipients": campaign.recipients,
                    "queued": campaign.queued,
                    "skipped": campaign.skipped.total(),
                },
                "timestamp": at.as_second().to_string(),
            }),
        },
    }
}

async fn emit<C: Conn>(c: &mut C, campaign: &Campaign, name: &str, at: Timestamp) -> Result<()> {
    super::webhooks::emit(c, &[event(campaign, name, at)], at).await
}

/// The event a status reached announces.
fn event_name(status: CampaignStatus, action: CampaignAction) -> &'static str {
    match (status, action) {
        (CampaignStatus::Scheduled, _) => "scheduled",
        (CampaignStatus::Running, CampaignAction::Resume) => "resumed",
        (CampaignStatus::Running, _) => "started",
        (CampaignStatus::Paused, _) => "paused",
        (CampaignStatus::Completed, _) => "completed",
        (CampaignStatus::Cancelled, _) => "cancelled",
        (CampaignStatus::Failed, _) => "failed",
        (CampaignStatus::Draft, _) => "updated",
    }
}

/// Applies `change` to `campaign` (the state machine and what the change carries).
fn apply(campaign: &mut Campaign, change: &CampaignChange) -> Result<()> {
    if let (CampaignAction::Resume, Some(only)) = (change.action, &change.resume_only)
        && !campaign.pause_reason.is_some_and(|r| only.contains(&r))
    {
        return Err(state_conflict(format!(
            "the campaign is paused by {}, not by what resumes it",
            campaign.pause_reason.map_or("nothing", PauseReason::as_str)
        )));
    }
    if let Some(from) = change.only_from
        && campaign.status != from
    {
        return Err(state_conflict(format!(
            "the campaign is {}, no longer {}",
            campaign.status.as_str(),
            from.as_str()
        )));
    }
    if matches!(change.action, CampaignAction::Launch { .. })
        && campaign.audience_status == AudienceStatus::Loading
    {
        return Err(state_conflict(
            "the audience is still loading: launch once it is ready",
        ));
    }
    let next =
        transition(campaign.status, change.action).map_err(|e| state_conflict(e.to_string()))?;
    campaign.status = next;
    campaign.updated_at = change.at;
    match change.action {
        CampaignAction::Launch { scheduled } => {
            campaign.estimate = change.estimate.clone();
            if scheduled {
                campaign.scheduled_at = change.scheduled_at;
                campaign.timezone = change.timezone.clone();
            } else {
                campaign.started_at = Some(change.at);
            }
        }
        CampaignAction::Due => campaign.started_at = Some(change.at),
        CampaignAction::Pause(reason) => campaign.pause_reason = Some(reason),
        CampaignAction::Resume => {
            campaign.pause_reason = None;
            campaign.started_at.get_or_insert(change.at);
        }
        CampaignAction::Cancel | CampaignAction::Finish => {
            campaign.finished_at = Some(change.at);
        }
        CampaignAction::Fail => {
            campaign.failure = change.failure.clone();
            campaign.finished_at = Some(change.at);
        }
    }
    Ok(())
}

async fn change_locked<C: Conn>(
    c: &mut C,
    campaign: &mut Campaign,
    change: &CampaignChange,
) -> Result<()> {
    apply(campaign, change)?;
    save(c, campaign).await?;
    emit(
        c,
        campaign,
        event_name(campaign.status, change.action),
        change.at,
    )
    .await
}

/// Which of `numbers` the campaign has already.
async fn existing<C: Conn>(
    c: &mut C,
    id: CampaignId,
    numbers: &[String],
) -> Result<HashSet<String>> {
    let mut found = HashSet::new();
    for part in numbers.chunks(rows_per_statement(c.dialect(), 1)) {
        let mut q = query("SELECT wa_id FROM campaign_recipients WHERE campaign_id = ");
        q.push_bind(id.as_uuid()).push(" AND wa_id IN ");
        push_list(&mut q, part.iter().cloned());
        found.extend(c.fetch_all::<(String,)>(q).await?.into_iter().map(|(w,)| w));
    }
    Ok(found)
}

/// Stores `recipients` after the campaign's last row, refusing numbers it has (or that
/// come twice); returns the rows given and the refused ones' positions in `recipients`.
async fn insert_recipients<C: Conn>(
    c: &mut C,
    campaign: &mut Campaign,
    recipients: Vec<NewRecipient>,
    at: Timestamp,
) -> Result<(Vec<u64>, Vec<usize>)> {
    let numbers: Vec<String> = recipients
        .iter()
        .map(|r| r.wa_id.digits().to_owned())
        .collect();
    let mut seen = existing(c, campaign.id, &numbers).await?;
    let next_row = c
        .scalar::<i64>(
            query("SELECT next_row FROM campaigns WHERE id = $1").bind(campaign.id.as_uuid()),
        )
        .await?
        .unwrap_or(1);
    let mut row = u64::try_from(next_row).unwrap_or(1);
    let mut rows = Vec::new();
    let mut refused = Vec::new();
    let mut keep = Vec::new();
    for (i, r) in recipients.into_iter().enumerate() {
        if seen.insert(r.wa_id.digits().to_owned()) {
            rows.push(row);
            keep.push((row, r));
            row += 1;
        } else {
            refused.push(i);
        }
    }
    for part in keep.chunks(rows_per_statement(c.dialect(), 6)) {
        let mut q = query(
            "INSERT INTO campaign_recipients (campaign_id, row_number, wa_id, country, data, \
             created_at) ",
        );
        push_values(&mut q, part, |v, (row, r)| {
            let country =
                wagate_core::registration::country_of(r.wa_id.digits()).map_or("*", |(_, c)| c);
            let data = (r.data != Default::default()).then_some(sqlx::types::Json(&r.data));
            v.bind(campaign.id.as_uuid())
                .bind(n(*row))
                .bind(r.wa_id.digits())
                .bind(country)
                .bind(
                    data.map(|d| sqlx::types::Json(serde_json::to_value(d.0).unwrap_or_default())),
                )
                .bind(millis(at));
        });
        c.execute(q).await?;
    }
    campaign.recipients += rows.len() as u64;
    campaign.skipped.duplicate += refused.len() as u64;
    campaign.updated_at = at;
    c.execute(
        query("UPDATE campaigns SET next_row = $1 WHERE id = $2")
            .bind(n(row))
            .bind(campaign.id.as_uuid()),
    )
    .await?;
    Ok((rows, refused))
}

async fn insert_errors<C: Conn>(c: &mut C, id: CampaignId, errors: &[RowError]) -> Result<()> {
    for part in errors.chunks(rows_per_statement(c.dialect(), 4)) {
        let mut q =
            query("INSERT INTO campaign_errors (campaign_id, row_number, column_name, reason) ");
        push_values(&mut q, part, |v, e| {
            v.bind(id.as_uuid())
                .bind(n(e.row))
                .bind(e.column.as_str())
                .bind(e.reason.as_str());
        });
        q.push(" ON CONFLICT (campaign_id, row_number) DO NOTHING");
        c.execute(q).await?;
    }
    Ok(())
}

/// Checks `lease.owner` holds the campaign's audience load, and renews it.
async fn hold_load<C: Conn>(c: &mut C, id: CampaignId, lease: &AudienceLease) -> Result<Campaign> {
    let campaign = load(c, None, id, true).await?;
    let owner = c
        .scalar::<Option<String>>(
            query("SELECT lease_owner FROM campaigns WHERE id = $1").bind(id.as_uuid()),
        )
        .await?
        .flatten();
    if campaign.audience_status != AudienceStatus::Loading
        || owner.as_deref() != Some(lease.owner.as_str())
    {
        return Err(StoreError::conflict(
            Conflict::ImportLeased,
            "another worker holds this audience load",
        ));
    }
    c.execute(
        query("UPDATE campaigns SET lease_until = $1 WHERE id = $2")
            .bind(millis(lease.until))
            .bind(id.as_uuid()),
    )
    .await?;
    Ok(campaign)
}

/// `WHERE` of recipients waiting for their message.
const WAITING: &str = "r.message_id IS NULL AND r.skip IS NULL";

#[async_trait]
impl<B: Backend> CampaignStore for B {
    async fn create_campaign(&self, campaign: Campaign) -> Result<Campaign> {
        self.write(move |c| {
            Box::pin(async move {
                let owned = c
                    .scalar::<bool>(
                        query("SELECT TRUE FROM channels WHERE account_id = $1 AND id = $2")
                            .bind(campaign.account_id.as_uuid())
                            .bind(campaign.channel_id.as_uuid()),
                    )
                    .await?;
                if owned.is_none() {
                    return Err(StoreError::NotFound(Entity::Channel));
                }
                let taken = c
                    .scalar::<bool>(
                        query("SELECT TRUE FROM campaigns WHERE account_id = $1 AND name_key = $2")
                            .bind(campaign.account_id.as_uuid())
                            .bind(campaign.name.as_str().to_lowercase()),
                    )
                    .await?;
                if taken.is_some() {
                    return Err(StoreError::conflict(
                        Conflict::CampaignName,
                        format!(
                            "the account has a campaign named {:?}",
                            campaign.name.as_str()
                        ),
                    ));
                }
                let r = CampaignRecord::from(&campaign);
                c.execute(
                    query(concat!(
                        "INSERT INTO campaigns (",
                        campaign_columns!(),
                        ", name_key, lease_owner, lease_until, next_row, progress_step) VALUES \
                         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                         $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, \
                         $30, NULL, NULL, 1, 0)"
                    ))
                    .bind(r.id)
                    .bind(r.account_id)
                    .bind(r.name)
                    .bind(r.kind)
                    .bind(r.channel_id)
                    .bind(r.template_name)
                    .bind(r.template_language)
                    .bind(r.params)
                    .bind(r.status)
                    .bind(r.pause_reason)
                    .bind(r.failure)
                    .bind(r.rate)
                    .bind(r.allow_partial)
                    .bind(r.scheduled_at)
                    .bind(r.timezone)
                    .bind(r.audience_status)
                    .bind(r.audience_load)
                    .bind(r.audience_failure)
                    .bind(r.recipients)
                    .bind(r.queued)
                    .bind(r.skipped)
                    .bind(r.fed_through)
                    .bind(r.paced_until)
                    .bind(r.estimate)
                    .bind(r.created_at)
                    .bind(r.updated_at)
                    .bind(r.started_at)
                    .bind(r.finished_at)
                    .bind(r.launch_when_ready)
                    .bind(campaign.name.as_str().to_lowercase()),
                )
                .await?;
                Ok(campaign)
            })
        })
        .await
    }

    async fn get_campaign(&self, account: AccountId, id: CampaignId) -> Result<Campaign> {
        self.read(move |c| Box::pin(async move { load(c, Some(account), id, false).await }))
            .await
    }

    async fn find_campaign(&self, account: AccountId, name: &str) -> Result<Option<Campaign>> {
        let key = name.trim().to_lowercase();
        self.read(move |c| {
            Box::pin(async move {
                let q = query(concat!(
                    "SELECT ",
                    campaign_columns!(),
                    " FROM campaigns WHERE account_id = $1 AND name_key = $2"
                ))
                .bind(account.as_uuid())
                .bind(key);
                c.fetch_optional::<CampaignRecord>(q)
                    .await?
                    .map(Campaign::try_from)
                    .transpose()
            })
        })
        .await
    }

    async fn list_campaigns(
        &self,
        account: AccountId,
        filter: &CampaignFilter,
        page: &Page<CampaignId>,
    ) -> Result<Vec<Campaign>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.read(move |c| {
            Box::pin(async move {
                let mut q = query(concat!(
                    "SELECT ",
                    campaign_columns!(),
                    " FROM campaigns WHERE account_id = "
                ));
                q.push_bind(account.as_uuid());
                if let Some(s) = filter.status {
                    q.push(" AND status = ").push_bind(s.as_str());
                }
                if let Some(k) = filter.kind {
                    q.push(" AND kind = ").push_bind(k.as_str());
                }
                if let Some(ch) = filter.channel_id {
                    q.push(" AND channel_id = ").push_bind(ch.as_uuid());
                }
                if let Some(chs) = &filter.channels {
                    if chs.is_empty() {
                        return Ok(Vec::new());
                    }
                    q.push(" AND channel_id IN ");
                    push_list(&mut q, chs.iter().map(|c| c.as_uuid()));
                }
                if let Some(after) = page.after {
                    q.push(" AND id < ").push_bind(after.as_uuid());
                }
                q.push(" ORDER BY id DESC LIMIT ")
                    .push_bind(page.sql_limit());
                c.fetch_all::<CampaignRecord>(q)
                    .await?
                    .into_iter()
                    .map(Campaign::try_from)
                    .collect()
            })
        })
        .await
    }

    async fn change_campaign(
        &self,
        account: AccountId,
        id: CampaignId,
        change: CampaignChange,
    ) -> Result<Campaign> {
        self.write(move |c| {
            Box::pin(async move {
                let mut campaign = load(c, Some(account), id, true).await?;
                change_locked(c, &mut campaign, &change).await?;
                Ok(campaign)
            })
        })
        .await
    }

    async fn add_recipients(
        &self,
        account: AccountId,
        id: CampaignId,
        recipients: Vec<NewRecipient>,
        at: Timestamp,
    ) -> Result<Added> {
        self.write(move |c| {
            Box::pin(async move {
                let mut campaign = load(c, Some(account), id, true).await?;
                let open = match campaign.kind {
                    CampaignKind::Broadcast => campaign.status == CampaignStatus::Draft,
                    CampaignKind::Api => !campaign.status.is_final(),
                };
                if !open || campaign.audience_status == AudienceStatus::Loading {
                    return Err(state_conflict(format!(
                        "recipients are added to a draft (or to an API campaign until it \
                         ends); this {} campaign is {}{}",
                        campaign.kind.as_str(),
                        campaign.status.as_str(),
                        if campaign.audience_status == AudienceStatus::Loading {
                            " and its audience is loading"
                        } else {
                            ""
                        }
                    )));
                }
                let numbers: Vec<_> = recipients.iter().map(|r| r.wa_id.clone()).collect();
                let (added, refused) = insert_recipients(c, &mut campaign, recipients, at).await?;
                if campaign.audience_status == AudienceStatus::None {
                    campaign.audience_status = AudienceStatus::Ready;
                }
                save(c, &campaign).await?;
                Ok(Added {
                    added,
                    duplicates: refused.into_iter().map(|i| numbers[i].clone()).collect(),
                })
            })
        })
        .await
    }

    async fn start_audience_load(
        &self,
        account: AccountId,
        id: CampaignId,
        audience: wagate_core::campaign::model::AudienceLoad,
        at: Timestamp,
    ) -> Result<Campaign> {
        self.write(move |c| {
            Box::pin(async move {
                let mut campaign = load(c, Some(account), id, true).await?;
                if campaign.status != CampaignStatus::Draft
                    || campaign.audience_status == AudienceStatus::Loading
                {
                    return Err(state_conflict(format!(
                        "an audience is loaded into a draft whose audience is not loading; \
                         this campaign is {} and its audience {}",
                        campaign.status.as_str(),
                        campaign.audience_status.as_str()
                    )));
                }
                campaign.audience_status = AudienceStatus::Loading;
                campaign.audience_load = Some(audience);
                campaign.audience_failure = None;
                campaign.updated_at = at;
                save(c, &campaign).await?;
                c.execute(
                    query(
                        "UPDATE campaigns SET lease_owner = NULL, lease_until = NULL WHERE id = $1",
                    )
                    .bind(id.as_uuid()),
                )
                .await?;
                Ok(campaign)
            })
        })
        .await
    }

    async fn claim_audience_load(&self, lease: &AudienceLease) -> Result<Option<Campaign>> {
        let lease = lease.clone();
        self.write(move |c| {
            Box::pin(async move {
                let mut q = query(
                    "SELECT id FROM campaigns WHERE audience_status = 'loading' AND \
                     (lease_until IS NULL OR lease_until < $1 OR lease_owner = $2) \
                     ORDER BY created_at LIMIT 1",
                )
                .bind(millis(lease.now))
                .bind(lease.owner.clone());
                if c.dialect() == Dialect::Postgres {
                    q.push(" FOR UPDATE SKIP LOCKED");
                }
                let Some(id) = c.scalar::<Uuid>(q).await? else {
                    return Ok(None);
                };
                c.execute(
                    query("UPDATE campaigns SET lease_owner = $1, lease_until = $2 WHERE id = $3")
                        .bind(lease.owner.clone())
                        .bind(millis(lease.until))
                        .bind(id),
                )
                .await?;
                load(c, None, CampaignId::from_uuid(id), false)
                    .await
                    .map(Some)
            })
        })
        .await
    }

    async fn audience_batch(
        &self,
        id: CampaignId,
        lease: &AudienceLease,
        batch: AudienceBatch,
    ) -> Result<Campaign> {
        let lease = lease.clone();
        self.write(move |c| {
            Box::pin(async move {
                let mut campaign = hold_load(c, id, &lease).await?;
                let at = lease.now;
                let (file_rows, recipients): (Vec<u64>, Vec<NewRecipient>) =
                    batch.recipients.into_iter().unzip();
                let numbers: Vec<String> = recipients
                    .iter()
                    .map(|r| r.wa_id.digits().to_owned())
                    .collect();
                let (_, refused) = insert_recipients(c, &mut campaign, recipients, at).await?;
                let mut errors: Vec<RowError> = Vec::with_capacity(batch.refused.len());
                for (e, skip) in &batch.refused {
                    campaign.skipped.add(skip);
                    errors.push(e.clone());
                }
                errors.extend(refused.into_iter().map(|i| RowError {
                    row: file_rows[i],
                    column: String::new(),
                    reason: format!("the number {} is in the audience already", numbers[i]),
                }));
                errors.sort_by_key(|e| e.row);
                insert_errors(c, id, &errors).await?;
                if let Some(load) = campaign.audience_load.as_mut() {
                    load.rows_read = batch.rows_read;
                    load.after_card = batch.after_card;
                }
                save(c, &campaign).await?;
                Ok(campaign)
            })
        })
        .await
    }

    async fn finish_audience_load(
        &self,
        id: CampaignId,
        lease: &AudienceLease,
        failure: Option<String>,
    ) -> Result<Campaign> {
        let lease = lease.clone();
        self.write(move |c| {
            Box::pin(async move {
                let mut campaign = hold_load(c, id, &lease).await?;
                campaign.audience_status = if failure.is_some() {
                    AudienceStatus::Failed
                } else {
                    AudienceStatus::Ready
                };
                campaign.audience_failure = failure;
                campaign.audience_load = None;
                campaign.updated_at = lease.now;
                save(c, &campaign).await?;
                c.execute(
                    query(
                        "UPDATE campaigns SET lease_owner = NULL, lease_until = NULL WHERE id = $1",
                    )
                    .bind(id.as_uuid()),
                )
                .await?;
                Ok(campaign)
            })
        })
        .await
    }

    async fn audience_summary(
        &self,
        account: AccountId,
        id: CampaignId,
    ) -> Result<AudienceSummary> {
        self.read(move |c| {
            Box::pin(async move {
                load(c, Some(account), id, false).await?;
                let by_country = c
                    .fetch_all::<(String, i64)>(
                        query(format!(
                            "SELECT r.country, COUNT(*) FROM campaign_recipients r WHERE \
                             r.campaign_id = $1 AND {WAITING} GROUP BY r.country ORDER BY r.country"
                        ))
                        .bind(id.as_uuid()),
                    )
                    .await?
                    .into_iter()
                    .map(|(country, k)| (country, u64::try_from(k).unwrap_or(0)))
                    .collect();
                let (opted_out, blocked) = c
                    .fetch_optional::<(Option<i64>, Option<i64>)>(
                        query(format!(
                            "SELECT SUM(CASE WHEN k.opted_in = $3 THEN 1 ELSE 0 END), \
                             SUM(CASE WHEN k.blocked_at IS NOT NULL THEN 1 ELSE 0 END) \
                             FROM campaign_recipients r JOIN contact_cards k ON \
                             k.account_id = $2 AND k.wa_id = r.wa_id WHERE r.campaign_id = $1 \
                             AND {WAITING}"
                        ))
                        .bind(id.as_uuid())
                        .bind(account.as_uuid())
                        .bind(false),
                    )
                    .await?
                    .unwrap_or((None, None));
                Ok(AudienceSummary {
                    by_country,
                    opted_out: u64::try_from(opted_out.unwrap_or(0)).unwrap_or(0),
                    blocked: u64::try_from(blocked.unwrap_or(0)).unwrap_or(0),
                })
            })
        })
        .await
    }

    async fn campaign_errors(
        &self,
        account: AccountId,
        id: CampaignId,
        after_row: u64,
        limit: u32,
    ) -> Result<Vec<RowError>> {
        self.read(move |c| {
            Box::pin(async move {
                load(c, Some(account), id, false).await?;
                Ok(c.fetch_all::<RowErrorRecord>(
                    query(
                        "SELECT row_number, column_name, reason FROM campaign_errors WHERE \
                         campaign_id = $1 AND row_number > $2 ORDER BY row_number LIMIT $3",
                    )
                    .bind(id.as_uuid())
                    .bind(n(after_row))
                    .bind(i64::from(limit)),
                )
                .await?
                .into_iter()
                .map(RowError::from)
                .collect())
            })
        })
        .await
    }

    async fn list_recipients(
        &self,
        account: AccountId,
        id: CampaignId,
        filter: &RecipientFilter,
        after: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<RecipientView>, u64)> {
        let filter = filter.clone();
        self.read(move |c| {
            Box::pin(async move {
                load(c, Some(account), id, false).await?;
                let conditions = |q: &mut Query| {
                    q.push(" WHERE r.campaign_id = ").push_bind(id.as_uuid());
                    q.push(match filter.state {
                        None => "",
                        Some(RecipientState::Pending) => {
                            " AND r.message_id IS NULL AND r.skip IS NULL"
                        }
                        Some(RecipientState::Skipped) => " AND r.skip IS NOT NULL",
                        Some(RecipientState::Queued) => " AND m.status = 'accepted'",
                        Some(RecipientState::Sent) => {
                            " AND m.status IN ('sent', 'delivered', 'read')"
                        }
                        Some(RecipientState::Delivered) => " AND m.status IN ('delivered', 'read')",
                        Some(RecipientState::Read) => " AND m.status = 'read'",
                        Some(RecipientState::Failed) => " AND m.status = 'failed'",
                        Some(RecipientState::Replied) => " AND r.replied_at IS NOT NULL",
                    });
                    if let Some(s) = filter.since {
                        q.push(" AND m.created_at >= ").push_bind(millis(s));
                    }
                    if let Some(u) = filter.until {
                        q.push(" AND m.created_at < ").push_bind(millis(u));
                    }
                };
                let from =
                    " FROM campaign_recipients r LEFT JOIN messages m ON m.id = r.message_id";
                let mut count = query(format!("SELECT COUNT(*){from}"));
                conditions(&mut count);
                let total = c.scalar::<i64>(count).await?.unwrap_or(0);
                let mut q = query(format!(
                    "SELECT r.row_number, r.wa_id, r.skip, r.message_id, r.replied_at, m.wamid, \
                     m.status, m.created_at, m.sent_at, m.delivered_at, m.read_at, m.failed_at, \
                     m.error, (SELECT ch.amount FROM message_charges ch WHERE ch.message_id = \
                     r.message_id AND ch.state = 'charged') AS cost{from}"
                ));
                conditions(&mut q);
                if let Some(after) = after {
                    q.push(if filter.descending {
                        " AND r.row_number < "
                    } else {
                        " AND r.row_number > "
                    })
                    .push_bind(n(after));
                }
                q.push(if filter.descending {
                    " ORDER BY r.row_number DESC LIMIT "
                } else {
                    " ORDER BY r.row_number LIMIT "
                })
                .push_bind(i64::from(limit));
                let rows = c
                    .fetch_all::<RecipientRecord>(q)
                    .await?
                    .into_iter()
                    .map(RecipientView::try_from)
                    .collect::<Result<Vec<_>>>()?;
                Ok((rows, u64::try_from(total).unwrap_or(0)))
            })
        })
        .await
    }

    async fn active_campaigns(&self, now: Timestamp) -> Result<Vec<Campaign>> {
        self.read(move |c| {
            Box::pin(async move {
                c.fetch_all::<CampaignRecord>(
                    query(concat!(
                        "SELECT ",
                        campaign_columns!(),
                        " FROM campaigns WHERE status = 'running' OR (status = 'scheduled' \
                         AND scheduled_at <= $1) OR (status = 'paused' AND pause_reason IN \
                         ('template_paused', 'template_disabled')) OR (status = 'draft' AND \
                         launch_when_ready AND audience_status IN ('ready', 'failed')) \
                         ORDER BY id"
                    ))
                    .bind(millis(now)),
                )
                .await?
                .into_iter()
                .map(Campaign::try_from)
                .collect()
            })
        })
        .await
    }

    async fn pending_recipients(
        &self,
        campaign: &Campaign,
        limit: u32,
    ) -> Result<Vec<PendingRecipient>> {
        let (id, account, from) = (campaign.id, campaign.account_id, campaign.cursor);
        self.read(move |c| {
            Box::pin(async move {
                #[derive(sqlx::FromRow)]
                struct Pending {
                    row_number: i64,
                    wa_id: String,
                    data: Option<sqlx::types::Json<serde_json::Value>>,
                    card: Option<Uuid>,
                }
                #[derive(sqlx::FromRow)]
                struct Card {
                    id: Uuid,
                    name: Option<String>,
                    attributes: Option<sqlx::types::Json<serde_json::Value>>,
                    opted_in: Option<bool>,
                    blocked_at: Option<i64>,
                }
                // The recipients with their card's id (a subquery on the unique number index,
                // run for the rows returned only), then those cards by id. Not a join: on
                // tables without statistics (an audience just loaded, the cards the
                // campaign's own sends create) PostgreSQL planned `LEFT JOIN contact_cards`
                // as a nested loop reading every card of the account for every waiting
                // recipient before the sort and the limit (17 s, 25 s, once 404 s per feed
                // in `wagate chaos --full`), and a second step `account_id = … AND wa_id IN
                // (…)` as a scan of the account's cards (about 1 s per feed at 100,000).
                let rows = c
                    .fetch_all::<Pending>(
                        query(format!(
                            "SELECT r.row_number, r.wa_id, r.data, (SELECT k.id FROM \
                             contact_cards k WHERE k.account_id = $2 AND k.wa_id = r.wa_id) AS \
                             card FROM campaign_recipients r WHERE r.campaign_id = $1 AND \
                             r.row_number > $3 AND {WAITING} ORDER BY r.row_number LIMIT $4"
                        ))
                        .bind(id.as_uuid())
                        .bind(account.as_uuid())
                        .bind(n(from))
                        .bind(i64::from(limit)),
                    )
                    .await?;
                let ids: Vec<Uuid> = rows.iter().filter_map(|r| r.card).collect();
                let mut cards: HashMap<Uuid, Card> = HashMap::new();
                for part in ids.chunks(rows_per_statement(c.dialect(), 1)) {
                    let mut q = query(
                        "SELECT id, name, attributes, opted_in, blocked_at FROM contact_cards \
                         WHERE id IN ",
                    );
                    push_list(&mut q, part.iter().copied());
                    cards.extend(c.fetch_all::<Card>(q).await?.into_iter().map(|k| (k.id, k)));
                }
                rows.into_iter()
                    .map(|p| {
                        let bad = |e: &dyn std::fmt::Display| {
                            crate::records::corrupt("campaign recipient", e)
                        };
                        let card = p.card.and_then(|id| cards.remove(&id));
                        Ok(PendingRecipient {
                            row: u64::try_from(p.row_number).map_err(|e| bad(&e))?,
                            wa_id: wagate_core::phone::PhoneE164::parse(&p.wa_id)
                                .map_err(|e| bad(&e))?,
                            data: p
                                .data
                                .map(|j| serde_json::from_value(j.0))
                                .transpose()
                                .map_err(|e| bad(&e))?
                                .unwrap_or_default(),
                            card: card.map(|k| PendingCard {
                                name: k.name,
                                attributes: attribute_texts(k.attributes.map(|j| j.0)),
                                opted_out: k.opted_in == Some(false),
                                blocked: k.blocked_at.is_some(),
                            }),
                        })
                    })
                    .collect()
            })
        })
        .await
    }

    async fn feed_campaign(&self, feed: CampaignFeed) -> Result<Fed> {
        self.write(move |c| Box::pin(async move { feed_locked(c, feed).await }))
            .await
    }

    async fn finish_if_done(&self, id: CampaignId, at: Timestamp) -> Result<Campaign> {
        self.write(move |c| {
            Box::pin(async move {
                let mut campaign = load(c, None, id, true).await?;
                if campaign.status != CampaignStatus::Running
                    || campaign.kind != CampaignKind::Broadcast
                    || campaign.audience_status == AudienceStatus::Loading
                {
                    return Ok(campaign);
                }
                let waiting = c
                    .scalar::<i64>(
                        query(format!(
                            "SELECT r.row_number FROM campaign_recipients r WHERE \
                             r.campaign_id = $1 AND r.row_number > $2 AND {WAITING} LIMIT 1"
                        ))
                        .bind(id.as_uuid())
                        .bind(n(campaign.cursor)),
                    )
                    .await?;
                if waiting.is_none() {
                    let change = CampaignChange::new(CampaignAction::Finish, at);
                    change_locked(c, &mut campaign, &change).await?;
                }
                Ok(campaign)
            })
        })
        .await
    }

    async fn campaign_counters(
        &self,
        account: AccountId,
        id: CampaignId,
        since: i64,
        until: i64,
    ) -> Result<Vec<CampaignCounterRow>> {
        self.read(move |c| {
            Box::pin(async move {
                load(c, Some(account), id, false).await?;
                #[derive(sqlx::FromRow)]
                struct Row {
                    bucket: i64,
                    category: String,
                    country: String,
                    sent: i64,
                    delivered: i64,
                    read: i64,
                    failed: i64,
                    replied: i64,
                    charged: i64,
                    cost: i64,
                }
                Ok(c.fetch_all::<Row>(
                    query(
                        "SELECT bucket, category, country, sent, delivered, read, failed, \
                         replied, charged, cost FROM campaign_counters WHERE campaign_id = $1 \
                         AND bucket >= $2 AND bucket < $3 ORDER BY bucket, category, country",
                    )
                    .bind(id.as_uuid())
                    .bind(since)
                    .bind(until),
                )
                .await?
                .into_iter()
                .map(|r| CampaignCounterRow {
                    bucket: r.bucket,
                    category: r.category,
                    country: r.country,
                    counts: Counts {
                        sent: r.sent,
                        delivered: r.delivered,
                        read: r.read,
                        failed: r.failed,
                        received: 0,
                        replied: r.replied,
                        charged: r.charged,
                        cost: r.cost,
                    },
                })
                .collect())
            })
        })
        .await
    }

    async fn reached_users(&self, channel: ChannelId, since: Timestamp) -> Result<u64> {
        self.read(move |c| {
            Box::pin(async move {
                let k = c
                    .scalar::<i64>(
                        query(
                            "SELECT COUNT(DISTINCT wa_id) FROM messages WHERE channel_id = $1 \
                             AND direction = 'outbound' AND type = 'template' AND created_at >= $2",
                        )
                        .bind(channel.as_uuid())
                        .bind(millis(since)),
                    )
                    .await?
                    .unwrap_or(0);
                Ok(u64::try_from(k).unwrap_or(0))
            })
        })
        .await
    }
}

/// A card's attributes as text (numbers and booleans written out).
fn attribute_texts(v: Option<serde_json::Value>) -> BTreeMap<String, String> {
    let Some(serde_json::Value::Object(m)) = v else {
        return BTreeMap::new();
    };
    m.into_iter()
        .filter_map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => return None,
                other => other.to_string(),
            };
            Some((k, text))
        })
        .collect()
}

async fn feed_locked<C: Conn>(c: &mut C, feed: CampaignFeed) -> Result<Fed> {
    let mut campaign = load(c, None, feed.campaign_id, true).await?;
    if campaign.status != CampaignStatus::Running || campaign.paced_until != feed.paced.0 {
        return Ok(Fed::Stale);
    }
    let rows: Vec<u64> = feed
        .messages
        .iter()
        .map(|(r, _)| *r)
        .chain(feed.skipped.iter().map(|(r, _)| *r))
        .collect();
    if rows.is_empty() {
        return Ok(Fed::Stale);
    }
    // Every row must still be waiting: else another worker fed it, and this batch is stale.
    let mut waiting = 0i64;
    for part in rows.chunks(rows_per_statement(c.dialect(), 1)) {
        let mut q = query(format!(
            "SELECT COUNT(*) FROM campaign_recipients r WHERE r.campaign_id = $1 AND {WAITING} \
             AND r.row_number IN "
        ))
        .bind(campaign.id.as_uuid());
        push_list(&mut q, part.iter().map(|r| n(*r)));
        waiting += c.scalar::<i64>(q).await?.unwrap_or(0);
    }
    if usize::try_from(waiting).unwrap_or(0) != rows.len() {
        return Ok(Fed::Stale);
    }
    let (fed_rows, news): (Vec<u64>, Vec<_>) = feed.messages.into_iter().unzip();
    let ids: Vec<Uuid> = news.iter().map(|m| m.id.as_uuid()).collect();
    let outcomes = insert_batch(c, news, feed.at).await?;
    let mut accepted: Vec<(u64, Uuid)> = Vec::new();
    let mut refused: Vec<u64> = Vec::new();
    for ((row, id), outcome) in fed_rows.iter().zip(ids).zip(outcomes) {
        match outcome {
            Ok(_) => accepted.push((*row, id)),
            Err(StoreError::Wallet(_)) => refused.push(*row),
            Err(e) => return Err(e),
        }
    }
    for part in accepted.chunks(rows_per_statement(c.dialect(), 2)) {
        let mut q = query("UPDATE campaign_recipients SET message_id = v.column2 FROM (");
        push_values(&mut q, part, |v, (row, id)| {
            v.bind(n(*row)).bind(*id);
        });
        q.push(") AS v WHERE campaign_recipients.campaign_id = ")
            .push_bind(campaign.id.as_uuid())
            .push(" AND campaign_recipients.row_number = ")
            .push(values_id(c.dialect()));
        c.execute(q).await?;
    }
    for part in feed.skipped.chunks(rows_per_statement(c.dialect(), 2)) {
        let mut q = query("UPDATE campaign_recipients SET skip = v.column2 FROM (");
        push_values(&mut q, part, |v, (row, why)| {
            v.bind(n(*row)).bind(why.as_string());
        });
        q.push(") AS v WHERE campaign_recipients.campaign_id = ")
            .push_bind(campaign.id.as_uuid())
            .push(" AND campaign_recipients.row_number = ")
            .push(values_id(c.dialect()));
        c.execute(q).await?;
    }
    let mut skipped = SkipCounts::default();
    for (_, why) in &feed.skipped {
        skipped.add(why);
    }
    campaign.skipped = campaign.skipped.plus(&skipped);
    campaign.queued += accepted.len() as u64;
    campaign.paced_until = feed.paced.1;
    campaign.updated_at = feed.at;
    // The cursor moves to the row before the first one still waiting (one the wallet
    // refused, or one this batch left out), else to the last row: every row up to it has
    // its message or was skipped.
    let next_waiting = c
        .scalar::<i64>(
            query(format!(
                "SELECT r.row_number FROM campaign_recipients r WHERE r.campaign_id = $1 AND \
                 r.row_number > $2 AND {WAITING} ORDER BY r.row_number LIMIT 1"
            ))
            .bind(campaign.id.as_uuid())
            .bind(n(campaign.cursor)),
        )
        .await?;
    let through = match next_waiting {
        Some(row) => row - 1,
        None => c
            .scalar::<i64>(
                query("SELECT next_row FROM campaigns WHERE id = $1").bind(campaign.id.as_uuid()),
            )
            .await?
            .map_or(0, |next| next - 1),
    };
    campaign.cursor = u64::try_from(through).unwrap_or(0).max(campaign.cursor);
    save(c, &campaign).await?;
    // Progress events, every `progress_every` percent of the audience handled: the rows up
    // to the cursor (the skip counts also hold rows an audience load refused, which are no
    // recipients).
    if feed.progress_every > 0 && campaign.recipients > 0 {
        let done = campaign.cursor;
        let percent = (done * 100 / campaign.recipients).min(100);
        let step = i64::try_from(percent / u64::from(feed.progress_every)).unwrap_or(0);
        let last = c
            .scalar::<i64>(
                query("SELECT progress_step FROM campaigns WHERE id = $1")
                    .bind(campaign.id.as_uuid()),
            )
            .await?
            .unwrap_or(0);
        if step > last {
            c.execute(
                query("UPDATE campaigns SET progress_step = $1 WHERE id = $2")
                    .bind(step)
                    .bind(campaign.id.as_uuid()),
            )
            .await?;
            let mut e = event(&campaign, "progress", feed.at);
            if let EventData::Other { value, .. } = &mut e.data {
                value["percent"] = json!(percent);
            }
            super::webhooks::emit(c, &[e], feed.at).await?;
        }
    }
    if !refused.is_empty() {
        let change = CampaignChange::new(CampaignAction::Pause(PauseReason::Wallet), feed.at);
        change_locked(c, &mut campaign, &change).await?;
    }
    Ok(Fed::Stored {
        campaign: Box::new(campaign),
        refused,
    })
}

/// A campaign counter row's key: campaign, half-hour, category, country.
type Key = (Uuid, i64, String, String);

/// Counts each change of a campaign's message on its campaign (called with the account's
/// counters of the same changes and charges).
pub async fn count_campaigns<'m, C: Conn>(
    c: &mut C,
    messages: impl IntoIterator<Item = &'m Message>,
    charges: &[super::analytics::Charged<'_>],
) -> Result<()> {
    let mut rows: BTreeMap<Key, Counts> = BTreeMap::new();
    for m in messages {
        let Some(campaign) = m.campaign_id else {
            continue;
        };
        if let Some((metric, at)) = change(m) {
            let d = dims(m);
            rows.entry((campaign.as_uuid(), bucket(at), d.category, d.country))
                .or_default()
                .add(&Counts::of(metric));
        }
    }
    for (m, amount, at) in charges {
        let Some(campaign) = m.campaign_id else {
            continue;
        };
        let d = dims(m);
        let counts = rows
            .entry((campaign.as_uuid(), bucket(*at), d.category, d.country))
            .or_default();
        counts.cost += amount;
        counts.charged += 1;
    }
    upsert_counters(c, rows).await
}

/// A reply quoting a campaign's message: counted on the campaign, and on its recipient.
pub async fn count_campaign_reply<C: Conn>(
    c: &mut C,
    quoted: &Message,
    inbound: &NewInboundMessage,
) -> Result<()> {
    let Some(campaign) = quoted.campaign_id else {
        return Ok(());
    };
    let d = dims(quoted);
    let key = (
        campaign.as_uuid(),
        bucket(inbound.at),
        d.category,
        d.country,
    );
    upsert_counters(c, BTreeMap::from([(key, Counts::of(Metric::Replied))])).await?;
    if let Some(wa_id) = &quoted.wa_id {
        c.execute(
            query(
                "UPDATE campaign_recipients SET replied_at = $1 WHERE campaign_id = $2 AND \
                 wa_id = $3 AND replied_at IS NULL",
            )
            .bind(millis(inbound.at))
            .bind(campaign.as_uuid())
            .bind(wa_id.digits()),
        )
        .await?;
    }
    Ok(())
}

async fn upsert_counters<C: Conn>(c: &mut C, rows: BTreeMap<Key, Counts>) -> Result<()> {
    const COLUMNS: [&str; 7] = [
        "sent",
        "delivered",
        "read",
        "failed",
        "replied",
        "charged",
        "cost",
    ];
    let sums: Vec<String> = COLUMNS
        .iter()
        .map(|k| format!("{k} = campaign_counters.{k} + excluded.{k}"))
        .collect();
    let rows: Vec<(Key, Counts)> = rows.into_iter().collect();
    for part in rows.chunks(rows_per_statement(c.dialect(), 11)) {
        let mut q = query(
            "INSERT INTO campaign_counters (campaign_id, bucket, category, country, sent, \
             delivered, read, failed, replied, charged, cost) ",
        );
        push_values(&mut q, part, |v, ((campaign, b, category, country), k)| {
            v.bind(*campaign)
                .bind(*b)
                .bind(category.as_str())
                .bind(country.as_str())
                .bind(k.sent)
                .bind(k.delivered)
                .bind(k.read)
                .bind(k.failed)
                .bind(k.replied)
                .bind(k.charged)
                .bind(k.cost);
        });
        q.push(&format!(
            " ON CONFLICT (campaign_id, bucket, category, country) DO UPDATE SET {}",
            sums.join(", ")
        ));
        c.execute(q).await?;
    }
    Ok(())
}

/// The counts of a set of rows, for tests of the recount.
pub fn total(rows: &[CampaignCounterRow]) -> Counts {
    let mut t = Counts::default();
    for r in rows {
        t.add(&r.counts);
    }
    t
}
