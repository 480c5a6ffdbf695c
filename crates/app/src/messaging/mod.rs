//! Messaging: messages in both directions, from the moment a caller sends one to the
//! moment the network says it was read.
//!
//! A send is accepted into the outbox in one transaction with the message
//! ([`messages`]); the [`dispatch`]er drains the outbox, paced, and hands each message to
//! its channel's upstream (the simulated network or Meta's Cloud API); what the upstreams
//! report back (statuses, users' replies) is applied by [`ingest`] when it is due (Meta's
//! reports arrive through [`crate::upstream::ingest`] first). A virtual user's message to a
//! sandbox channel comes in through [`sandbox`].
//!
//! # Layout
//! - [`messages`]: accepting outbound messages, reading them back, listing them.
//! - [`reports`]: the list with totals and date ranges, its CSV export, status histories.
//! - [`dispatch`]: the dispatcher worker, the outbox to the upstreams (its own folder).
//! - [`inbox`]: the console's inbox: conversations, unread counts, a live fingerprint.
//! - [`ingest`]: the ingest worker, applying the upstreams' reports when they are due.
//! - [`sandbox`]: the simulated network's surface: a virtual user sends to a sandbox channel.

pub mod dispatch;
pub mod inbox;
pub mod ingest;
pub mod messages;
pub mod reports;
pub mod sandbox;
