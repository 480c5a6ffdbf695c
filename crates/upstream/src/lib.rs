//! Upstreams: where a channel's messages go. The dispatcher hands each message to the
//! channel's [`Upstream`]; what the upstream reports later (statuses, replies) comes back as
//! [`NetworkEvent`]s through ingest.
//!
//! # Layout
//! - [`sandbox`]: the simulated WhatsApp network, the embedded default.
//! - [`cloud`]: Meta's Cloud API (or another wagate speaking it).

#![forbid(unsafe_code)]

pub mod cloud;
pub mod sandbox;

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::channel::Channel;
use wagate_core::failure::Failure;
use wagate_core::message::{Message, MessageError};
use wagate_core::network::NetworkEvent;

/// What happened when a message was handed over.
#[derive(Debug, Clone, PartialEq)]
pub enum Handover {
    /// The upstream took the message (status `sent`). `followups` is what the network will
    /// report later (the sandbox knows this at once; a real upstream reports by webhook).
    /// `upstream_id` is the upstream's own id for the message, when it has one (Meta's
    /// `messages[0].id`): what its reports will name the message by.
    Accepted {
        followups: Vec<NetworkEvent>,
        upstream_id: Option<String>,
    },
    /// The upstream refused it. Transient failures are retried by the dispatcher.
    Refused {
        error: MessageError,
        transient: bool,
    },
}

impl Handover {
    pub fn refused(failure: Failure, details: impl Into<String>) -> Self {
        Handover::Refused {
            error: failure.with_details(details),
            transient: failure.is_transient(),
        }
    }
}

/// Something that delivers messages for a channel.
#[async_trait]
pub trait Upstream: Send + Sync + 'static {
    /// Hands `message` (from `channel`) over at `now`.
    async fn hand_over(&self, channel: &Channel, message: &Message, now: Timestamp) -> Handover;
}
