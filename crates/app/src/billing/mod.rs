//! Billing (not built yet): the rate card, each account's wallet, and the charge of each
//! message.
//!
//! Prices per category and country (the rate card), a balance per account (the wallet),
//! and a charge recorded per billable message, with the wallet's arithmetic written once
//! as a pure rule both store backends call. Its code lives here when it comes.
//!
//! # Layout
//! - this file only.
