//! Billing: the rate card, each account's wallet, and the charge of each message.
//!
//! A send is quoted when it is accepted ([`App::quote_send`]: Meta's per-message rules on
//! the rate card of the account, or the operator's default card, or the one wagate ships);
//! the store holds the quote, with the account's markup, from the wallet in the same
//! transaction that stores the message, and refuses the send (nothing stored) when a
//! prepaid wallet cannot cover it. Delivery charges the hold; failure releases it. The
//! arithmetic is the core's ([`wagate_core::billing`]).
//!
//! # Layout
//! - this file: quotes, the wallet's settings, top-ups, adjustments, the ledger and rate
//!   cards, for every surface (the management API, the CLI, the dialects).

use std::time::Duration;

use wagate_core::billing::rates::{Quote, RateCard, quote};
use wagate_core::billing::wallet::{
    LedgerEntry, LedgerKind, Pool, Wallet, adjustment_amount, note, top_up_amount,
};
use wagate_core::channel::Channel;
use wagate_core::content::MessageType;
use wagate_core::ids::{AccountId, LedgerEntryId, MessageId};
use wagate_core::message::{Content, Recipient};
use wagate_core::pricing::PricingCategory;
use wagate_store::{ContactKey, LedgerFilter, MessageCharge, Page, WalletCredit, WalletPatch};

use wagate_core::billing::wallet::WalletKind;
use wagate_core::error::ErrorCode;

use crate::error::{Error, Result};
use crate::platform::cache::TtlCache;
use crate::{App, Principal};

/// How long a node keeps a rate card before reading it again (a change on this node is
/// seen at once).
pub const CARD_TTL: Duration = Duration::from_secs(5);

/// The rate cards this node read: by account (`None`: the operator's default).
pub(crate) type CardCache = TtlCache<Option<AccountId>, Option<RateCard>>;

impl App {
    /// The card that prices `account`'s sends: its own, else the operator's default, else
    /// the one wagate ships.
    pub async fn rate_card(&self, account: AccountId) -> Result<RateCard> {
        for scope in [Some(account), None] {
            let card = match self.rate_cards.get(&scope) {
                Some(card) => card,
                None => {
                    let card = self.store.get_rate_card(scope).await?;
                    self.rate_cards.put(scope, card.clone());
                    card
                }
            };
            if let Some(card) = card {
                return Ok(card);
            }
        }
        Ok(RateCard::default_card())
    }

    /// What a send of `content` to `recipient` costs before markup, `None` when Meta would
    /// not charge it. A utility template is free inside the person's open window, so only
    /// then is the chat looked up.
    pub(crate) async fn quote_send(
        &self,
        p: &Principal,
        channel: &Channel,
        recipient: &Recipient,
        content: &Content,
    ) -> Result<Option<Quote>> {
        if content.kind() != MessageType::Template {
            return Ok(None);
        }
        let category = content.template_category();
        let window_open = if category == Some(PricingCategory::Utility) {
            let key = match recipient {
                Recipient::Phone { wa_id, .. } => ContactKey::WaId(wa_id.clone()),
                Recipient::Bsuid(b) => ContactKey::Bsuid(b.clone()),
            };
            let contact = self.store.find_contact(channel.id, &key).await?;
            contact.is_some_and(|c| c.recipient().window_open(self.now()))
        } else {
            false
        };
        let card = self.rate_card(p.account_id).await?;
        let wa_id = match recipient {
            Recipient::Phone { wa_id, .. } => Some(wa_id),
            Recipient::Bsuid(_) => None,
        };
        Ok(quote(
            &card,
            wa_id,
            MessageType::Template,
            category,
            window_open,
        ))
    }

    pub async fn get_wallet(&self, p: &Principal) -> Result<Wallet> {
        Ok(self.store.get_wallet(p.account_id).await?)
    }

    /// Changes the wallet's settings (admin keys).
    pub async fn update_wallet(&self, p: &Principal, patch: WalletPatch) -> Result<Wallet> {
        p.require_admin()?;
        Ok(self.store.update_wallet(p.account_id, patch).await?)
    }

    /// Adds `amount` to a pool (admin keys), with the caller's reference.
    pub async fn top_up(
        &self,
        p: &Principal,
        pool: Pool,
        amount: i64,
        reference: Option<&str>,
    ) -> Result<(Wallet, LedgerEntry)> {
        p.require_admin()?;
        let credit = WalletCredit {
            account_id: p.account_id,
            pool,
            kind: LedgerKind::TopUp,
            amount: top_up_amount(amount)?,
            reference: reference.map(|r| note("reference", r)).transpose()?,
            reason: None,
        };
        Ok(self.store.credit_wallet(credit).await?)
    }

    /// Adds (or, negative, takes) `amount` with a reason (admin keys).
    pub async fn adjust_wallet(
        &self,
        p: &Principal,
        pool: Pool,
        amount: i64,
        reason: &str,
    ) -> Result<(Wallet, LedgerEntry)> {
        p.require_admin()?;
        let credit = WalletCredit {
            account_id: p.account_id,
            pool,
            kind: LedgerKind::Adjustment,
            amount: adjustment_amount(amount)?,
            reference: None,
            reason: Some(note("reason", reason)?),
        };
        Ok(self.store.credit_wallet(credit).await?)
    }

    /// The ledger, newest first.
    pub async fn ledger(
        &self,
        p: &Principal,
        filter: &LedgerFilter,
        page: &Page<LedgerEntryId>,
    ) -> Result<Vec<LedgerEntry>> {
        Ok(self.store.ledger(p.account_id, filter, page).await?)
    }

    /// The charge fixed on one of the account's messages, if it was billable.
    pub async fn message_charge(
        &self,
        p: &Principal,
        id: MessageId,
    ) -> Result<Option<MessageCharge>> {
        Ok(self.store.message_charge(p.account_id, id).await?)
    }

    /// Replaces the account's own rate card (admin keys); `None` goes back to the default.
    pub async fn put_account_rate_card(
        &self,
        p: &Principal,
        card: Option<RateCard>,
    ) -> Result<RateCard> {
        p.require_admin()?;
        if let Some(card) = &card {
            card.check()?;
            let wallet = self.store.get_wallet(p.account_id).await?;
            if wallet.kind == WalletKind::Credits && wallet.currency != card.currency {
                return Err(Error::Failed(
                    ErrorCode::CurrencyMismatch,
                    format!(
                        "the wallet counts in {}: a card for this account must be in {} too",
                        wallet.currency.as_str(),
                        wallet.currency.as_str()
                    ),
                ));
            }
        }
        self.store.put_rate_card(Some(p.account_id), card).await?;
        self.rate_cards.clear();
        self.rate_card(p.account_id).await
    }

    /// Replaces the operator's default card (the CLI); `None` goes back to the shipped one.
    pub async fn put_default_rate_card(&self, card: Option<RateCard>) -> Result<RateCard> {
        if let Some(card) = &card {
            card.check()?;
        }
        self.store.put_rate_card(None, card).await?;
        self.rate_cards.clear();
        Ok(match self.store.get_rate_card(None).await? {
            Some(card) => card,
            None => RateCard::default_card(),
        })
    }
}
