//! Money: the rate card ([`rates`]: a price per market and category, fixed on a message
//! when it is accepted) and each account's wallet with its append-only ledger ([`wallet`]:
//! credits or a message quota, prepaid or postpaid, holds at accept, charges on delivery).
//! Amounts are integers: micro-units of a currency, or messages; never floats.
//!
//! # Layout
//! - [`rates`]: currencies, rate cards, markups and quotes.
//! - [`wallet`]: wallets, ledger entries and the hold arithmetic both backends apply.

pub mod rates;
pub mod wallet;
