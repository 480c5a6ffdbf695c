//! Each account's wallet and its append-only ledger.
//!
//! Two kinds, as the seeds have both: **credits** (a balance in the rate card's currency,
//! micro-units; seeds 000 and 001) and a **quota** of messages with an expiry, a daily
//! limit and a backup balance used once the quota is spent or expired (seed 002). A wallet
//! is **prepaid** (a send it cannot cover is refused before anything is stored) or
//! **postpaid** (charges are recorded and nothing is refused, unless a credit limit is set).
//!
//! The ledger: a `top_up` or an `adjustment` adds to (or takes from) a pool; a billable
//! send takes a `hold` when it is accepted; when Meta would charge it (delivered, or read)
//! the hold is `release`d and the `charge` taken in the same transaction; a failure
//! releases the hold. So a pool's balance is the sum of its ledger entries, open holds
//! included, which the tests prove after every scenario; `held` is what open holds take.
//!
//! The arithmetic is written once here ([`plan_hold`]); both store backends call it inside
//! the transaction that locks the wallet, so concurrent sends never overdraw.

use serde::{Deserialize, Serialize};

use super::rates::Currency;
use crate::Timestamp;
use crate::error::ValidationError;
use crate::ids::{AccountId, LedgerEntryId, MessageId};

/// What a wallet counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WalletKind {
    /// Money, in micro-units of the currency.
    Credits,
    /// Messages: each billable message takes one.
    Quota,
}

/// Whether a send the wallet cannot cover is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WalletMode {
    Prepaid,
    Postpaid,
}

/// Which balance an entry moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Pool {
    Main,
    /// A quota wallet's backup recharge, used once the main quota is spent or expired.
    Backup,
}

/// A ledger entry's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    TopUp,
    Adjustment,
    Hold,
    Release,
    Charge,
}

macro_rules! names {
    ($t:ty { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)* _ => None }
            }
        }
    };
}
names!(WalletKind { Credits => "credits", Quota => "quota" });
names!(WalletMode { Prepaid => "prepaid", Postpaid => "postpaid" });
names!(Pool { Main => "main", Backup => "backup" });
names!(LedgerKind {
    TopUp => "top_up",
    Adjustment => "adjustment",
    Hold => "hold",
    Release => "release",
    Charge => "charge",
});

/// Largest single top-up or adjustment.
pub const AMOUNT_MAX: i64 = 1_000_000_000_000_000;

/// An account's wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wallet {
    pub account_id: AccountId,
    pub kind: WalletKind,
    pub currency: Currency,
    pub mode: WalletMode,
    /// Postpaid: how far below zero the balance may go (`None`: no limit).
    pub credit_limit: Option<i64>,
    /// A `wallet` webhook event when the balance falls below this.
    pub low_balance_threshold: Option<i64>,
    /// Added to the rate card's prices, in basis points (1,500 = 15 %).
    pub markup_bps: u32,
    /// Quota: the main quota cannot be used from this time.
    pub quota_expires_at: Option<Timestamp>,
    /// Quota: most billable messages per day (UTC).
    pub daily_limit: Option<i64>,
    /// Billable messages held on `daily_date` (UTC, `YYYY-MM-DD`).
    pub daily_used: i64,
    pub daily_date: Option<String>,
    /// The main pool: the sum of its ledger entries.
    pub balance: i64,
    /// The backup pool (quota wallets).
    pub backup_balance: i64,
    /// What open holds take (already out of the balances).
    pub held: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Wallet {
    /// The wallet an account has until one is set up: postpaid credits in `currency`, empty
    /// (so a first start sends without a top-up).
    pub fn default_for(account_id: AccountId, currency: Currency, now: Timestamp) -> Self {
        Self {
            account_id,
            kind: WalletKind::Credits,
            currency,
            mode: WalletMode::Postpaid,
            credit_limit: None,
            low_balance_threshold: None,
            markup_bps: 0,
            quota_expires_at: None,
            daily_limit: None,
            daily_used: 0,
            daily_date: None,
            balance: 0,
            backup_balance: 0,
            held: 0,
            created_at: now,
            updated_at: now,
        }
    }

    /// `micros` for credits, `messages` for a quota.
    pub fn unit(&self) -> &'static str {
        match self.kind {
            WalletKind::Credits => "micros",
            WalletKind::Quota => "messages",
        }
    }

    /// The balance of `pool`.
    pub fn pool(&self, pool: Pool) -> i64 {
        match pool {
            Pool::Main => self.balance,
            Pool::Backup => self.backup_balance,
        }
    }

    fn pool_mut(&mut self, pool: Pool) -> &mut i64 {
        match pool {
            Pool::Main => &mut self.balance,
            Pool::Backup => &mut self.backup_balance,
        }
    }
}

/// Why a wallet refused a send (machine-readable: each surface maps it to its own code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalletRefusal {
    /// The balance (or the quota and its backup) cannot cover the message.
    InsufficientBalance,
    /// The quota expired and no backup balance is left.
    QuotaExpired,
    /// The quota's daily limit is reached.
    DailyLimitReached,
}

impl WalletRefusal {
    pub fn message(self) -> &'static str {
        match self {
            Self::InsufficientBalance => {
                "the account's wallet cannot cover this message: top it up"
            }
            Self::QuotaExpired => "the account's message quota expired: recharge it",
            Self::DailyLimitReached => {
                "the account's daily message limit is reached: try tomorrow (UTC)"
            }
        }
    }
}

/// The hold a send takes: from which pool, how much (in the wallet's unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldPlan {
    pub pool: Pool,
    pub amount: i64,
}

fn day(t: Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

/// Whether `w` can hold a message priced `price` (micro-units) at `now`, and how: the rule
/// both backends apply with the wallet locked.
pub fn plan_hold(w: &Wallet, price: i64, now: Timestamp) -> Result<HoldPlan, WalletRefusal> {
    match w.kind {
        WalletKind::Credits => {
            let after = w.balance - price;
            let floor = match (w.mode, w.credit_limit) {
                (WalletMode::Prepaid, _) => Some(0),
                (WalletMode::Postpaid, Some(limit)) => Some(-limit),
                (WalletMode::Postpaid, None) => None,
            };
            if floor.is_some_and(|f| after < f) {
                return Err(WalletRefusal::InsufficientBalance);
            }
            Ok(HoldPlan {
                pool: Pool::Main,
                amount: price,
            })
        }
        WalletKind::Quota => {
            if let Some(limit) = w.daily_limit {
                let used = if w.daily_date.as_deref() == Some(day(now).as_str()) {
                    w.daily_used
                } else {
                    0
                };
                if used >= limit {
                    return Err(WalletRefusal::DailyLimitReached);
                }
            }
            let expired = w.quota_expires_at.is_some_and(|t| t <= now);
            if !expired && w.balance >= 1 {
                return Ok(HoldPlan {
                    pool: Pool::Main,
                    amount: 1,
                });
            }
            if w.backup_balance >= 1 {
                return Ok(HoldPlan {
                    pool: Pool::Backup,
                    amount: 1,
                });
            }
            match (w.mode, expired) {
                (WalletMode::Postpaid, false) => Ok(HoldPlan {
                    pool: Pool::Main,
                    amount: 1,
                }),
                (_, true) => Err(WalletRefusal::QuotaExpired),
                (WalletMode::Prepaid, false) => Err(WalletRefusal::InsufficientBalance),
            }
        }
    }
}

/// Takes the hold `plan` out of `w` at `now`.
pub fn apply_hold(w: &mut Wallet, plan: HoldPlan, now: Timestamp) {
    *w.pool_mut(plan.pool) -= plan.amount;
    w.held += plan.amount;
    if w.kind == WalletKind::Quota {
        let today = day(now);
        if w.daily_date.as_deref() == Some(today.as_str()) {
            w.daily_used += 1;
        } else {
            w.daily_date = Some(today);
            w.daily_used = 1;
        }
    }
    w.updated_at = now;
}

/// Settles a hold of `amount` from `pool`: charged (the balance stays as the hold left it)
/// or released (the amount goes back).
pub fn settle(w: &mut Wallet, pool: Pool, amount: i64, charged: bool, now: Timestamp) {
    w.held -= amount;
    if !charged {
        *w.pool_mut(pool) += amount;
    }
    w.updated_at = now;
}

/// Whether a change from `before` to `after` crosses the low-balance threshold downwards.
pub fn crossed_threshold(w: &Wallet, before: i64) -> bool {
    w.low_balance_threshold
        .is_some_and(|t| before >= t && w.balance < t)
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: LedgerEntryId,
    pub account_id: AccountId,
    pub pool: Pool,
    pub kind: LedgerKind,
    /// Signed, in the wallet's unit.
    pub amount: i64,
    pub message_id: Option<MessageId>,
    /// The caller's reference of a top-up (an invoice, a payment id).
    pub reference: Option<String>,
    /// Why an adjustment was made.
    pub reason: Option<String>,
    pub created_at: Timestamp,
}

/// A top-up's or adjustment's free text: 1 to 256 characters, no control characters.
pub fn note(field: &str, s: &str) -> Result<String, ValidationError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 256 || t.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must be 1 to 256 characters without control characters",
        ));
    }
    Ok(t.to_owned())
}

/// A top-up's amount: positive, at most [`AMOUNT_MAX`].
pub fn top_up_amount(amount: i64) -> Result<i64, ValidationError> {
    if (1..=AMOUNT_MAX).contains(&amount) {
        Ok(amount)
    } else {
        Err(ValidationError::out_of_range(
            "amount",
            format!("must be from 1 to {AMOUNT_MAX}"),
        ))
    }
}

/// An adjustment's amount: not zero, at most [`AMOUNT_MAX`] either way.
pub fn adjustment_amount(amount: i64) -> Result<i64, ValidationError> {
    if amount != 0 && amount.abs() <= AMOUNT_MAX {
        Ok(amount)
    } else {
        Err(ValidationError::out_of_range(
            "amount",
            format!("must be non-zero, at most {AMOUNT_MAX} either way"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_750_000_000 + s).unwrap()
    }

    fn wallet(kind: WalletKind, mode: WalletMode, balance: i64) -> Wallet {
        Wallet {
            kind,
            mode,
            balance,
            ..Wallet::default_for(AccountId::generate(), Currency::usd(), t(0))
        }
    }

    #[test]
    fn prepaid_credits_refuse_what_they_cannot_cover() {
        let w = wallet(WalletKind::Credits, WalletMode::Prepaid, 100);
        assert_eq!(plan_hold(&w, 100, t(1)).unwrap().amount, 100);
        assert_eq!(
            plan_hold(&w, 101, t(1)),
            Err(WalletRefusal::InsufficientBalance)
        );
        let mut post = wallet(WalletKind::Credits, WalletMode::Postpaid, 0);
        assert!(
            plan_hold(&post, 1_000_000, t(1)).is_ok(),
            "postpaid, no limit"
        );
        post.credit_limit = Some(50);
        assert!(plan_hold(&post, 50, t(1)).is_ok());
        assert!(plan_hold(&post, 51, t(1)).is_err());
    }

    #[test]
    fn holds_settle_into_charges_or_come_back() {
        let mut w = wallet(WalletKind::Credits, WalletMode::Prepaid, 100);
        let plan = plan_hold(&w, 30, t(1)).unwrap();
        apply_hold(&mut w, plan, t(1));
        assert_eq!((w.balance, w.held), (70, 30));
        settle(&mut w, Pool::Main, 30, true, t(2));
        assert_eq!(
            (w.balance, w.held),
            (70, 0),
            "charged: the hold's amount stays out"
        );
        apply_hold(&mut w, plan, t(3));
        settle(&mut w, Pool::Main, 30, false, t(4));
        assert_eq!((w.balance, w.held), (70, 0), "released: it comes back");
    }

    #[test]
    fn quotas_expire_have_daily_limits_and_a_backup() {
        let mut w = wallet(WalletKind::Quota, WalletMode::Prepaid, 2);
        w.daily_limit = Some(2);
        let one = plan_hold(&w, 999, t(1)).unwrap();
        assert_eq!(
            one,
            HoldPlan {
                pool: Pool::Main,
                amount: 1
            },
            "one message, whatever the price"
        );
        apply_hold(&mut w, one, t(1));
        apply_hold(&mut w, one, t(2));
        assert_eq!(
            plan_hold(&w, 1, t(3)),
            Err(WalletRefusal::DailyLimitReached)
        );
        // The next day the limit starts over; the quota is spent, the backup is empty.
        let tomorrow = t(86_400);
        assert_eq!(
            plan_hold(&w, 1, tomorrow),
            Err(WalletRefusal::InsufficientBalance)
        );
        w.backup_balance = 5;
        assert_eq!(plan_hold(&w, 1, tomorrow).unwrap().pool, Pool::Backup);
        // Expired: only the backup serves.
        w.balance = 10;
        w.quota_expires_at = Some(t(100));
        assert_eq!(plan_hold(&w, 1, tomorrow).unwrap().pool, Pool::Backup);
        w.backup_balance = 0;
        assert_eq!(plan_hold(&w, 1, tomorrow), Err(WalletRefusal::QuotaExpired));
    }

    #[test]
    fn the_threshold_is_crossed_once_going_down() {
        let mut w = wallet(WalletKind::Credits, WalletMode::Prepaid, 90);
        w.low_balance_threshold = Some(100);
        assert!(!crossed_threshold(&w, 95), "already below");
        assert!(crossed_threshold(&w, 100));
        assert!(note("reason", " ").is_err() && note("reason", "refund #12").is_ok());
        assert!(top_up_amount(0).is_err() && adjustment_amount(-5).is_ok());
    }
}
