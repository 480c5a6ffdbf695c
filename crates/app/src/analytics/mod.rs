//! Analytics (not built yet): counters and reports over what wagate has done.
//!
//! Counts of messages, deliveries and conversations per account, channel, template and
//! period, and the reports Meta's analytics endpoints answer. Its code lives here when it
//! comes.
//!
//! # Layout
//! - this file only.
