//! Campaigns (not built yet): scheduled, paced template sends to an audience.
//!
//! A campaign will name a template, an audience (contacts) and a schedule; a campaign
//! worker will expand it into ordinary messages through the outbox (so the sending rules
//! of [`crate::messaging`] and [`crate::templates`] hold), paced, and keep its statistics.
//! Its code lives here when it comes.
//!
//! # Layout
//! - this file only.
