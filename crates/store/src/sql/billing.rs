//! Money: [`BillingStore`] for every [`Backend`], and the two steps of the message path:
//! [`hold_charges`] (in the transaction that accepts sends) and [`settle_charges`] (in the
//! one that applies their delivery or failure). A wallet is read with its row locked
//! (`FOR UPDATE` on PostgreSQL; SQLite's one writer), changed by the core's rule, and written
//! back with its ledger entries in the same transaction, so the balance is always the sum
//! of the ledger and concurrent sends never overdraw.
//!
//! Lock order (PostgreSQL): a wallet is locked before the channel's message counter and
//! before any contact card, on the send path (holds come first in `insert_batch`) and on
//! the status path (charges settle before `on_whatsapp` is written) alike.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::billing::rates::{Currency, Quote, RateCard, with_markup};
use wagate_core::billing::wallet::{
    LedgerEntry, LedgerKind, Pool, Wallet, WalletRefusal, apply_hold, crossed_threshold, plan_hold,
    settle,
};
use wagate_core::ids::{AccountId, EventId, LedgerEntryId, MessageId};
use wagate_core::message::{Message, MessageStatus};
use wagate_core::webhook::{EventData, EventField, WebhookEvent};

use super::analytics::Charged;
use super::dispatch::{push_list, push_values};
use super::{Backend, Conn, Dialect, query};
use crate::billing::{
    BillingStore, ChargeRecord, LedgerFilter, LedgerRecord, MessageCharge, WalletCredit,
    WalletPatch, WalletRecord, scope,
};
use crate::records::millis;
use crate::{Page, Result, StoreError, wallet_columns};

/// Rows per multi-row statement (SQLite binds parameters in quadratic time: keep it small).
fn chunk(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Sqlite => 40,
        Dialect::Postgres => 500,
    }
}

#[async_trait]
impl<B: Backend> BillingStore for B {
    async fn get_wallet(&self, account: AccountId) -> Result<Wallet> {
        let now = self.now();
        self.read(move |c| Box::pin(async move { wallet_or_default(c, account, now, false).await }))
            .await
    }

    async fn update_wallet(&self, account: AccountId, patch: WalletPatch) -> Result<Wallet> {
        let now = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let mut w = wallet_or_default(c, account, now, true).await?;
                if let Some(kind) = patch.kind
                    && kind != w.kind
                {
                    if w.balance != 0 || w.backup_balance != 0 || w.held != 0 {
                        return Err(StoreError::conflict(
                            crate::Conflict::WalletInUse,
                            "a wallet changes kind only when it is empty (balances and holds 0)",
                        ));
                    }
                    w.kind = kind;
                }
                if let Some(m) = patch.mode {
                    w.mode = m;
                }
                if let Some(v) = patch.credit_limit {
                    w.credit_limit = v;
                }
                if let Some(v) = patch.low_balance_threshold {
                    w.low_balance_threshold = v;
                }
                if let Some(v) = patch.markup_bps {
                    w.markup_bps = v;
                }
                if let Some(v) = patch.quota_expires_at {
                    w.quota_expires_at = v;
                }
                if let Some(v) = patch.daily_limit {
                    w.daily_limit = v;
                }
                w.updated_at = now;
                save_wallet(c, &w).await?;
                Ok(w)
            })
        })
        .await
    }

    async fn credit_wallet(&self, credit: WalletCredit) -> Result<(Wallet, LedgerEntry)> {
        let now = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let mut w = wallet_or_default(c, credit.account_id, now, true).await?;
                let before = w.balance;
                match credit.pool {
                    Pool::Main => w.balance += credit.amount,
                    Pool::Backup => w.backup_balance += credit.amount,
                }
                w.updated_at = now;
                let entry = LedgerEntry {
                    id: LedgerEntryId::generate(),
                    account_id: credit.account_id,
                    pool: credit.pool,
                    kind: credit.kind,
                    amount: credit.amount,
                    message_id: None,
                    reference: credit.reference,
                    reason: credit.reason,
                    created_at: now,
                };
                save_wallet(c, &w).await?;
                insert_ledger(c, std::slice::from_ref(&entry)).await?;
                low_balance(c, &w, before, now).await?;
                Ok((w, entry))
            })
        })
        .await
    }

    async fn ledger(
        &self,
        account: AccountId,
        filter: &LedgerFilter,
        page: &Page<LedgerEntryId>,
    ) -> Result<Vec<LedgerEntry>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.read(move |c| {
            Box::pin(async move {
                let mut q = query(
                    "SELECT id, account_id, pool, kind, amount, message_id, reference, reason, \
                     created_at FROM wallet_ledger WHERE account_id = ",
                );
                q.push_bind(account.as_uuid());
                if let Some(k) = filter.kind {
                    q.push(" AND kind = ").push_bind(k.as_str());
                }
                if let Some(m) = filter.message_id {
                    q.push(" AND message_id = ").push_bind(m.as_uuid());
                }
                if let Some(t) = filter.since {
                    q.push(" AND created_at >= ").push_bind(millis(t));
                }
                if let Some(t) = filter.until {
                    q.push(" AND created_at < ").push_bind(millis(t));
                }
                if let Some(after) = page.after {
                    q.push(" AND id < ").push_bind(after.as_uuid());
                }
                q.push(" ORDER BY id DESC LIMIT ")
                    .push_bind(page.sql_limit());
                c.fetch_all::<LedgerRecord>(q)
                    .await?
                    .into_iter()
                    .map(LedgerEntry::try_from)
                    .collect()
            })
        })
        .await
    }

    async fn ledger_sums(&self, account: AccountId) -> Result<(i64, i64)> {
        self.read(move |c| {
            Box::pin(async move {
                let rows = c
                    .fetch_all::<(String, i64)>(
                        query(
                            "SELECT pool, CAST(SUM(amount) AS BIGINT) FROM wallet_ledger \
                             WHERE account_id = $1 GROUP BY pool",
                        )
                        .bind(account.as_uuid()),
                    )
                    .await?;
                let get = |p: &str| rows.iter().find(|(k, _)| k == p).map_or(0, |(_, v)| *v);
                Ok((get("main"), get("backup")))
            })
        })
        .await
    }

    async fn message_charge(
        &self,
        account: AccountId,
        id: MessageId,
    ) -> Result<Option<MessageCharge>> {
        self.read(move |c| {
            Box::pin(async move {
                c.fetch_optional::<ChargeRecord>(
                    query(
                        "SELECT message_id, account_id, category, market, currency, price, pool, \
                         amount, state, created_at, settled_at FROM message_charges \
                         WHERE account_id = $1 AND message_id = $2",
                    )
                    .bind(account.as_uuid())
                    .bind(id.as_uuid()),
                )
                .await?
                .map(MessageCharge::try_from)
                .transpose()
            })
        })
        .await
    }

    async fn get_rate_card(&self, account: Option<AccountId>) -> Result<Option<RateCard>> {
        self.read(move |c| Box::pin(async move { stored_card(c, &scope(account)).await }))
            .await
    }

    async fn put_rate_card(
        &self,
        account: Option<AccountId>,
        card: Option<RateCard>,
    ) -> Result<()> {
        let now = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let key = scope(account);
                match card {
                    None => {
                        c.execute(query("DELETE FROM rate_cards WHERE scope = $1").bind(key))
                            .await?;
                    }
                    Some(card) => {
                        c.execute(
                            query(
                                "INSERT INTO rate_cards (scope, card, updated_at) \
                                 VALUES ($1, $2, $3) ON CONFLICT (scope) DO UPDATE \
                                 SET card = excluded.card, updated_at = excluded.updated_at",
                            )
                            .bind(key)
                            .bind(Json(card))
                            .bind(millis(now)),
                        )
                        .await?;
                    }
                }
                Ok(())
            })
        })
        .await
    }
}

async fn stored_card<C: Conn>(c: &mut C, key: &str) -> Result<Option<RateCard>> {
    let row = c
        .fetch_optional::<(Json<RateCard>,)>(
            query("SELECT card FROM rate_cards WHERE scope = $1").bind(key.to_owned()),
        )
        .await?;
    Ok(row.map(|(card,)| card.0))
}

/// The currency a new wallet of `account` counts in: its rate card's, else the operator's
/// default card's, else the shipped card's.
async fn card_currency<C: Conn>(c: &mut C, account: AccountId) -> Result<Currency> {
    for key in [scope(Some(account)), scope(None)] {
        if let Some(card) = stored_card(c, &key).await? {
            return Ok(card.currency);
        }
    }
    Ok(RateCard::default_card().currency)
}

/// The account's wallet, or the default one. With `lock` (a write) the row is made to exist
/// first, then read locked: two transactions that both find no wallet would otherwise both
/// write one from the default, the second overwriting the first.
async fn wallet_or_default<C: Conn>(
    c: &mut C,
    account: AccountId,
    now: Timestamp,
    lock: bool,
) -> Result<Wallet> {
    let dialect = c.dialect();
    let select = || {
        let mut q = query(concat!(
            "SELECT ",
            wallet_columns!(),
            " FROM wallets WHERE account_id = "
        ));
        q.push_bind(account.as_uuid());
        if lock {
            q.push(dialect.for_update());
        }
        q
    };
    if let Some(r) = c.fetch_optional::<WalletRecord>(select()).await? {
        return Wallet::try_from(r);
    }
    let fresh = Wallet::default_for(account, card_currency(c, account).await?, now);
    if !lock {
        return Ok(fresh);
    }
    // Created before it is locked (`ON CONFLICT DO NOTHING`: another transaction may create
    // it first), then read under the lock.
    insert_wallet(c, &fresh, false).await?;
    Wallet::try_from(
        c.fetch_optional::<WalletRecord>(select())
            .await?
            .ok_or(StoreError::NotFound(crate::Entity::Account))?,
    )
}

async fn save_wallet<C: Conn>(c: &mut C, w: &Wallet) -> Result<()> {
    insert_wallet(c, w, true).await
}

/// Writes `w`: over the stored row when `replace`, else only if there is none.
async fn insert_wallet<C: Conn>(c: &mut C, w: &Wallet, replace: bool) -> Result<()> {
    let r = WalletRecord::from(w);
    let mut q = query(concat!("INSERT INTO wallets (", wallet_columns!(), ") "));
    push_values(&mut q, [r], |row, r| {
        row.bind(r.account_id)
            .bind(r.kind)
            .bind(r.currency)
            .bind(r.mode)
            .bind(r.credit_limit)
            .bind(r.low_balance_threshold)
            .bind(r.markup_bps)
            .bind(r.quota_expires_at)
            .bind(r.daily_limit)
            .bind(r.daily_used)
            .bind(r.daily_date)
            .bind(r.balance)
            .bind(r.backup_balance)
            .bind(r.held)
            .bind(r.created_at)
            .bind(r.updated_at);
    });
    if !replace {
        q.push(" ON CONFLICT (account_id) DO NOTHING");
        c.execute(q).await?;
        return Ok(());
    }
    q.push(
        " ON CONFLICT (account_id) DO UPDATE SET kind = excluded.kind, mode = excluded.mode, \
         credit_limit = excluded.credit_limit, \
         low_balance_threshold = excluded.low_balance_threshold, \
         markup_bps = excluded.markup_bps, quota_expires_at = excluded.quota_expires_at, \
         daily_limit = excluded.daily_limit, daily_used = excluded.daily_used, \
         daily_date = excluded.daily_date, balance = excluded.balance, \
         backup_balance = excluded.backup_balance, held = excluded.held, \
         updated_at = excluded.updated_at",
    );
    c.execute(q).await?;
    Ok(())
}

async fn insert_ledger<C: Conn>(c: &mut C, entries: &[LedgerEntry]) -> Result<()> {
    for part in entries.chunks(chunk(c.dialect())) {
        let mut q = query(
            "INSERT INTO wallet_ledger (id, account_id, pool, kind, amount, message_id, \
             reference, reason, created_at) ",
        );
        push_values(&mut q, part.iter().map(LedgerRecord::from), |row, r| {
            row.bind(r.id)
                .bind(r.account_id)
                .bind(r.pool)
                .bind(r.kind)
                .bind(r.amount)
                .bind(r.message_id)
                .bind(r.reference)
                .bind(r.reason)
                .bind(r.created_at);
        });
        c.execute(q).await?;
    }
    Ok(())
}

/// A `wallet` event when the balance just fell below the threshold.
async fn low_balance<C: Conn>(c: &mut C, w: &Wallet, before: i64, now: Timestamp) -> Result<()> {
    if !crossed_threshold(w, before) {
        return Ok(());
    }
    let event = WebhookEvent {
        id: EventId::generate(),
        account_id: w.account_id,
        channel_id: None,
        occurred_at: now,
        data: EventData::Other {
            field: EventField::Wallet,
            value: serde_json::json!({
                "event": "low_balance",
                "balance": w.balance,
                "threshold": w.low_balance_threshold,
                "held": w.held,
                "unit": w.unit(),
                "currency": w.currency.as_str(),
                "timestamp": now.as_second().to_string(),
            }),
        },
    };
    super::webhooks::emit(c, &[event], now).await
}

/// One billable send to hold: its message, account and quote.
pub struct HoldRequest<'a> {
    pub message_id: MessageId,
    pub account_id: AccountId,
    pub quote: &'a Quote,
}

/// Takes each send's hold from its account's wallet, in order; the refused ones are
/// returned (their messages must not be stored). One wallet read and write per account.
pub async fn hold_charges<C: Conn>(
    c: &mut C,
    requests: &[HoldRequest<'_>],
    now: Timestamp,
) -> Result<HashMap<MessageId, WalletRefusal>> {
    let mut refused = HashMap::new();
    if requests.is_empty() {
        return Ok(refused);
    }
    let mut by_account: BTreeMap<Uuid, Vec<&HoldRequest<'_>>> = BTreeMap::new();
    for r in requests {
        by_account
            .entry(r.account_id.as_uuid())
            .or_default()
            .push(r);
    }
    let mut ledger = Vec::new();
    let mut charges = Vec::new();
    for (account, reqs) in by_account {
        let account = AccountId::from_uuid(account);
        let mut w = wallet_or_default(c, account, now, true).await?;
        let before = w.balance;
        for r in reqs {
            let price = with_markup(r.quote.price, w.markup_bps);
            let plan = match plan_hold(&w, price, now) {
                Ok(plan) => plan,
                Err(why) => {
                    refused.insert(r.message_id, why);
                    continue;
                }
            };
            apply_hold(&mut w, plan, now);
            ledger.push(LedgerEntry {
                id: LedgerEntryId::generate(),
                account_id: account,
                pool: plan.pool,
                kind: LedgerKind::Hold,
                amount: -plan.amount,
                message_id: Some(r.message_id),
                reference: None,
                reason: None,
                created_at: now,
            });
            charges.push(ChargeRecord {
                message_id: r.message_id.as_uuid(),
                account_id: account.as_uuid(),
                category: r.quote.category.as_str().to_owned(),
                market: r.quote.market.clone(),
                currency: r.quote.currency.as_str().to_owned(),
                price,
                pool: plan.pool.as_str().to_owned(),
                amount: plan.amount,
                state: "held".to_owned(),
                created_at: millis(now),
                settled_at: None,
            });
        }
        save_wallet(c, &w).await?;
        low_balance(c, &w, before, now).await?;
    }
    insert_ledger(c, &ledger).await?;
    for part in charges.chunks(chunk(c.dialect())) {
        let mut q = query(
            "INSERT INTO message_charges (message_id, account_id, category, market, currency, \
             price, pool, amount, state, created_at, settled_at) ",
        );
        push_values(&mut q, part, |row, r| {
            row.bind(r.message_id)
                .bind(r.account_id)
                .bind(r.category.clone())
                .bind(r.market.clone())
                .bind(r.currency.clone())
                .bind(r.price)
                .bind(r.pool.clone())
                .bind(r.amount)
                .bind(r.state.clone())
                .bind(r.created_at)
                .bind(r.settled_at);
        });
        c.execute(q).await?;
    }
    Ok(refused)
}

/// Settles the holds of messages that just changed status, at the time of that status: a
/// delivery or a read charges (Meta charges delivered templates), a failure releases. One
/// read of the held charges per batch; wallets only for the accounts that have some.
pub async fn settle_charges<'m, C: Conn>(
    c: &mut C,
    messages: &[&'m Message],
) -> Result<Vec<Charged<'m>>> {
    let settling: HashMap<Uuid, (bool, Timestamp)> = messages
        .iter()
        .filter_map(|m| match m.status {
            MessageStatus::Delivered => Some((m.id.as_uuid(), (true, m.delivered_at?))),
            MessageStatus::Read => Some((m.id.as_uuid(), (true, m.read_at.or(m.delivered_at)?))),
            MessageStatus::Failed => Some((m.id.as_uuid(), (false, m.failed_at?))),
            _ => None,
        })
        .collect();
    if settling.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = settling.keys().copied().collect();
    let mut held = Vec::new();
    for part in ids.chunks(chunk(c.dialect()) * 5) {
        let mut q = query(
            "SELECT message_id, account_id, category, market, currency, price, pool, amount, \
             state, created_at, settled_at FROM message_charges WHERE state = 'held' \
             AND message_id IN ",
        );
        push_list(&mut q, part.iter().copied());
        held.extend(c.fetch_all::<ChargeRecord>(q).await?);
    }
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_account: BTreeMap<Uuid, Vec<ChargeRecord>> = BTreeMap::new();
    for r in held {
        by_account.entry(r.account_id).or_default().push(r);
    }
    let by_id: HashMap<Uuid, &'m Message> = messages.iter().map(|m| (m.id.as_uuid(), *m)).collect();
    let mut costs = Vec::new();
    let mut ledger = Vec::new();
    let (mut charged, mut released) = (Vec::new(), Vec::new());
    for (account, charges) in by_account {
        let account = AccountId::from_uuid(account);
        let latest = charges
            .iter()
            .filter_map(|r| settling.get(&r.message_id).map(|(_, t)| *t))
            .max();
        let Some(now) = latest else { continue };
        let mut w = wallet_or_default(c, account, now, true).await?;
        let before = w.balance;
        for r in charges {
            let pool = Pool::parse(&r.pool).unwrap_or(Pool::Main);
            let (charge, now) = settling.get(&r.message_id).copied().unwrap_or((false, now));
            settle(&mut w, pool, r.amount, charge, now);
            let entry = |kind: LedgerKind, amount: i64| LedgerEntry {
                id: LedgerEntryId::generate(),
                account_id: account,
                pool,
                kind,
                amount,
                message_id: Some(MessageId::from_uuid(r.message_id)),
                reference: None,
                reason: None,
                created_at: now,
            };
            ledger.push(entry(LedgerKind::Release, r.amount));
            if charge {
                ledger.push(entry(LedgerKind::Charge, -r.amount));
                if let Some(m) = by_id.get(&r.message_id) {
                    costs.push((*m, r.amount, now));
                }
                charged.push((r.message_id, now));
            } else {
                released.push((r.message_id, now));
            }
        }
        save_wallet(c, &w).await?;
        low_balance(c, &w, before, now).await?;
    }
    insert_ledger(c, &ledger).await?;
    // One `UPDATE … FROM (VALUES …)` per few dozen charges.
    let settled: Vec<(Uuid, &str, i64)> = charged
        .into_iter()
        .map(|(id, at)| (id, "charged", millis(at)))
        .chain(
            released
                .into_iter()
                .map(|(id, at)| (id, "released", millis(at))),
        )
        .collect();
    for part in settled.chunks(chunk(c.dialect())) {
        let mut q =
            query("UPDATE message_charges SET state = v.column2, settled_at = v.column3 FROM (");
        push_values(&mut q, part, |row, (id, state, at)| {
            row.bind(*id).bind(*state).bind(*at);
        });
        q.push(") AS v WHERE message_charges.message_id = ")
            .push(super::dispatch::values_id(c.dialect()))
            .push(" AND message_charges.state = 'held'");
        c.execute(q).await?;
    }
    Ok(costs)
}
