//! Campaigns (being built): scheduled, paced template sends to an audience.
//!
//! A campaign names a template, an audience (contacts, numbers or an uploaded file) and a
//! schedule; a campaign worker will expand it into ordinary messages through the outbox (so
//! the sending rules of [`crate::messaging`] and [`crate::templates`] hold), paced, and
//! keep its statistics. The rules — the life of a campaign, parameters per recipient, skip
//! reasons, the messaging tier's room — are in [`wagate_core::campaign`]; the service,
//! storage and worker live here when they come.
//!
//! # Layout
//! - this file only.
