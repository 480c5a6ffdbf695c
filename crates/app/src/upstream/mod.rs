//! Upstream: channels whose upstream is Meta's Cloud API, where Meta, not wagate, owns the
//! number and its WABA.
//!
//! For those channels wagate still sends (through its outbox, see
//! [`crate::messaging::dispatch`]) and keeps media, but Meta decides the rest: what Meta
//! reports is taken in here, and the Graph calls Meta answers are passed on to it here. A
//! folder of its own rather than part of `messaging`, because the calls passed on touch
//! every domain (templates, registration, profile, QR codes, quality), not just messages.
//!
//! # Layout
//! - [`ingest`]: what Meta reports for cloud channels (`/webhooks/meta`): statuses,
//!   inbound messages, other fields passed to subscribers.
//! - [`proxy`]: Graph calls about a cloud channel's number or WABA, passed to Meta.

pub mod ingest;
pub mod proxy;
