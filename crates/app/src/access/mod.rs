//! Access: who may call wagate, within what limits, and the record of what they changed.
//!
//! Every request is made by a [`Principal`](principal::Principal): an API key of an account
//! (scoped to some channels, or account-wide) or the operator at the CLI. Surfaces turn a
//! presented credential into one ([`App::authenticate`](crate::App::authenticate)), check its
//! rate limits right after, and pass it to every service call; services check what it may
//! touch and record their changes in the audit log.
//!
//! # Layout
//! - [`accounts`]: accounts (operator only: the admin CLI).
//! - [`api_keys`]: API keys: create, list, revoke, and authenticate a presented credential.
//! - [`principal`]: who is calling and what it may touch.
//! - [`rate_limit`]: token buckets per key and per account, checked after authentication.
//! - [`audit`]: the audit log of management actions, written by each service.
//! - [`tokens`]: signed tokens standing for an API key (providers' token schemes).

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod console;
pub mod principal;
pub mod rate_limit;
pub mod tokens;
