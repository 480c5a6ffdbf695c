//! The cloud upstream: Meta's WhatsApp Cloud API (or another wagate speaking it) over HTTPS
//! with the channel's system-user token.
//!
//! # Model
//! A hand-over is one `POST {base_url}/{version}/{phone_number_id}/messages` carrying the
//! message as Meta's send body ([`request::send_body`]). Meta answers with its own id for
//! the message (`messages[0].id`); the dispatcher records it, and every status Meta reports
//! later by webhook names the message by it. Nothing is known at hand-over about what
//! happens next, so a cloud hand-over has no followups: statuses and replies arrive through
//! `/webhooks/meta`.
//!
//! Meta's refusals come back as Graph errors ([`errors`]): those worth waiting out are
//! transient and the dispatcher retries them with backoff (rate limits, Meta's own
//! trouble, an unreachable or timed-out Graph API, and an access token Meta does not take,
//! so messages wait for the operator to fix it rather than fail); the rest fail the
//! message with Meta's code and details.
//!
//! # Layout
//! - `client`: [`CloudClient`], the HTTP calls (send, media).
//! - `request`: a stored message as Meta's send body.
//! - `errors`: Graph error answers as hand-over refusals.

mod client;
mod errors;
mod request;

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::channel::{Channel, Upstream as ChannelUpstream};
use wagate_core::failure::Failure;
use wagate_core::message::Message;

pub use client::{CloudClient, CloudError, MediaDownload};
pub use request::send_body;

use crate::{Handover, Upstream};

/// Meta's Cloud API as an [`Upstream`].
#[derive(Clone)]
pub struct CloudUpstream {
    client: CloudClient,
}

impl CloudUpstream {
    pub fn new(client: CloudClient) -> Self {
        Self { client }
    }
}

#[async_trait]
impl Upstream for CloudUpstream {
    /// `message` as the dispatcher prepared it: its `context` and media ids already in
    /// Meta's terms.
    async fn hand_over(&self, channel: &Channel, message: &Message, _now: Timestamp) -> Handover {
        let ChannelUpstream::Cloud(settings) = &channel.upstream else {
            return Handover::refused(Failure::Unknown, "this channel is not a cloud channel");
        };
        let body = send_body(message);
        match self
            .client
            .send_message(settings, channel.phone_number_id.as_str(), &body)
            .await
        {
            Ok(upstream_id) => Handover::Accepted {
                followups: Vec::new(),
                upstream_id: Some(upstream_id),
            },
            Err(e) => e.into_handover(),
        }
    }
}
