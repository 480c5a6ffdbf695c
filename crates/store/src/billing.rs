//! Money's storage: wallets, their ledger, the charge fixed on each billable message, and
//! rate cards ([`BillingStore`]). Holds are taken in the transaction that accepts a send
//! and settled in the one that applies its delivery or failure (see
//! [`crate::sql::billing`]); the arithmetic is the core's ([`wagate_core::billing::wallet`]).

use async_trait::async_trait;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::billing::rates::{Currency, RateCard};
use wagate_core::billing::wallet::{LedgerEntry, LedgerKind, Pool, Wallet, WalletKind, WalletMode};
use wagate_core::ids::{AccountId, LedgerEntryId, MessageId};
use wagate_core::pricing::PricingCategory;

use crate::records::{corrupt, millis, timestamp};
use crate::{Page, Result};

/// Command: change a wallet's settings; `None` leaves a field as it is (`Some(None)` clears).
#[derive(Debug, Clone, Default)]
pub struct WalletPatch {
    pub kind: Option<WalletKind>,
    pub mode: Option<WalletMode>,
    pub credit_limit: Option<Option<i64>>,
    pub low_balance_threshold: Option<Option<i64>>,
    pub markup_bps: Option<u32>,
    pub quota_expires_at: Option<Option<Timestamp>>,
    pub daily_limit: Option<Option<i64>>,
}

/// Command: money into (or out of) a pool.
#[derive(Debug, Clone)]
pub struct WalletCredit {
    pub account_id: AccountId,
    pub pool: Pool,
    pub kind: LedgerKind,
    pub amount: i64,
    pub reference: Option<String>,
    pub reason: Option<String>,
}

/// Which ledger entries to list.
#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    pub kind: Option<LedgerKind>,
    pub message_id: Option<MessageId>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// The charge fixed on a billable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageCharge {
    pub message_id: MessageId,
    pub category: PricingCategory,
    pub market: String,
    pub currency: Currency,
    /// Micro-units, markup included.
    pub price: i64,
    pub pool: Pool,
    /// In the wallet's unit (the price, or one message).
    pub amount: i64,
    /// `held`, `charged` or `released`.
    pub state: String,
    pub created_at: Timestamp,
    pub settled_at: Option<Timestamp>,
}

#[async_trait]
pub trait BillingStore: Send + Sync {
    /// The account's wallet (the default one, not stored, until it is set up).
    async fn get_wallet(&self, account: AccountId) -> Result<Wallet>;
    async fn update_wallet(&self, account: AccountId, patch: WalletPatch) -> Result<Wallet>;
    /// Writes a top-up or an adjustment to the ledger and the balance together.
    async fn credit_wallet(&self, credit: WalletCredit) -> Result<(Wallet, LedgerEntry)>;
    /// The account's ledger, newest first.
    async fn ledger(
        &self,
        account: AccountId,
        filter: &LedgerFilter,
        page: &Page<LedgerEntryId>,
    ) -> Result<Vec<LedgerEntry>>;
    /// The sum of the account's ledger entries per pool: `(main, backup)`.
    async fn ledger_sums(&self, account: AccountId) -> Result<(i64, i64)>;
    async fn message_charge(
        &self,
        account: AccountId,
        id: MessageId,
    ) -> Result<Option<MessageCharge>>;
    /// The card of `scope` (`None`: the operator's default), if one is stored.
    async fn get_rate_card(&self, account: Option<AccountId>) -> Result<Option<RateCard>>;
    /// Stores the card of `scope`; `None` as the card removes it.
    async fn put_rate_card(&self, account: Option<AccountId>, card: Option<RateCard>)
    -> Result<()>;
}

/// A rate card's storage key.
pub fn scope(account: Option<AccountId>) -> String {
    account.map_or_else(|| "default".to_owned(), |a| a.as_uuid().to_string())
}

/// The wallet columns, in [`WalletRecord`] order.
#[macro_export]
macro_rules! wallet_columns {
    () => {
        "account_id, kind, currency, mode, credit_limit, low_balance_threshold, markup_bps, \
         quota_expires_at, daily_limit, daily_used, daily_date, balance, backup_balance, held, \
         created_at, updated_at"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WalletRecord {
    pub account_id: Uuid,
    pub kind: String,
    pub currency: String,
    pub mode: String,
    pub credit_limit: Option<i64>,
    pub low_balance_threshold: Option<i64>,
    pub markup_bps: i64,
    pub quota_expires_at: Option<i64>,
    pub daily_limit: Option<i64>,
    pub daily_used: i64,
    pub daily_date: Option<String>,
    pub balance: i64,
    pub backup_balance: i64,
    pub held: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&Wallet> for WalletRecord {
    fn from(w: &Wallet) -> Self {
        Self {
            account_id: w.account_id.as_uuid(),
            kind: w.kind.as_str().to_owned(),
            currency: w.currency.as_str().to_owned(),
            mode: w.mode.as_str().to_owned(),
            credit_limit: w.credit_limit,
            low_balance_threshold: w.low_balance_threshold,
            markup_bps: i64::from(w.markup_bps),
            quota_expires_at: w.quota_expires_at.map(millis),
            daily_limit: w.daily_limit,
            daily_used: w.daily_used,
            daily_date: w.daily_date.clone(),
            balance: w.balance,
            backup_balance: w.backup_balance,
            held: w.held,
            created_at: millis(w.created_at),
            updated_at: millis(w.updated_at),
        }
    }
}

impl TryFrom<WalletRecord> for Wallet {
    type Error = crate::StoreError;
    fn try_from(r: WalletRecord) -> Result<Self> {
        const WHAT: &str = "wallet";
        Ok(Wallet {
            account_id: AccountId::from_uuid(r.account_id),
            kind: WalletKind::parse(&r.kind).ok_or_else(|| corrupt(WHAT, "kind"))?,
            currency: Currency::parse(&r.currency).map_err(|e| corrupt(WHAT, e))?,
            mode: WalletMode::parse(&r.mode).ok_or_else(|| corrupt(WHAT, "mode"))?,
            credit_limit: r.credit_limit,
            low_balance_threshold: r.low_balance_threshold,
            markup_bps: u32::try_from(r.markup_bps).map_err(|e| corrupt(WHAT, e))?,
            quota_expires_at: r.quota_expires_at.map(|t| timestamp(WHAT, t)).transpose()?,
            daily_limit: r.daily_limit,
            daily_used: r.daily_used,
            daily_date: r.daily_date,
            balance: r.balance,
            backup_balance: r.backup_balance,
            held: r.held,
            created_at: timestamp(WHAT, r.created_at)?,
            updated_at: timestamp(WHAT, r.updated_at)?,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub pool: String,
    pub kind: String,
    pub amount: i64,
    pub message_id: Option<Uuid>,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub created_at: i64,
}

impl From<&LedgerEntry> for LedgerRecord {
    fn from(e: &LedgerEntry) -> Self {
        Self {
            id: e.id.as_uuid(),
            account_id: e.account_id.as_uuid(),
            pool: e.pool.as_str().to_owned(),
            kind: e.kind.as_str().to_owned(),
            amount: e.amount,
            message_id: e.message_id.map(|m| m.as_uuid()),
            reference: e.reference.clone(),
            reason: e.reason.clone(),
            created_at: millis(e.created_at),
        }
    }
}

impl TryFrom<LedgerRecord> for LedgerEntry {
    type Error = crate::StoreError;
    fn try_from(r: LedgerRecord) -> Result<Self> {
        const WHAT: &str = "ledger entry";
        Ok(LedgerEntry {
            id: LedgerEntryId::from_uuid(r.id),
            account_id: AccountId::from_uuid(r.account_id),
            pool: Pool::parse(&r.pool).ok_or_else(|| corrupt(WHAT, "pool"))?,
            kind: LedgerKind::parse(&r.kind).ok_or_else(|| corrupt(WHAT, "kind"))?,
            amount: r.amount,
            message_id: r.message_id.map(MessageId::from_uuid),
            reference: r.reference,
            reason: r.reason,
            created_at: timestamp(WHAT, r.created_at)?,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChargeRecord {
    pub message_id: Uuid,
    pub account_id: Uuid,
    pub category: String,
    pub market: String,
    pub currency: String,
    pub price: i64,
    pub pool: String,
    pub amount: i64,
    pub state: String,
    pub created_at: i64,
    pub settled_at: Option<i64>,
}

impl TryFrom<ChargeRecord> for MessageCharge {
    type Error = crate::StoreError;
    fn try_from(r: ChargeRecord) -> Result<Self> {
        const WHAT: &str = "message charge";
        let category: PricingCategory =
            serde_json::from_value(serde_json::Value::String(r.category))
                .map_err(|e| corrupt(WHAT, e))?;
        Ok(MessageCharge {
            message_id: MessageId::from_uuid(r.message_id),
            category,
            market: r.market,
            currency: Currency::parse(&r.currency).map_err(|e| corrupt(WHAT, e))?,
            price: r.price,
            pool: Pool::parse(&r.pool).ok_or_else(|| corrupt(WHAT, "pool"))?,
            amount: r.amount,
            state: r.state,
            created_at: timestamp(WHAT, r.created_at)?,
            settled_at: r.settled_at.map(|t| timestamp(WHAT, t)).transpose()?,
        })
    }
}
