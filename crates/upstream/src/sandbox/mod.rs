//! The simulated WhatsApp network: the `sandbox` upstream, wagate's embedded default.
//!
//! It behaves like Meta's side of the Cloud API for one channel's virtual users, by the
//! channel's [`SandboxSettings`]:
//! - it enforces Meta's limits — the channel's throughput (130429) and the per-user pair
//!   rate (131056) — so the dispatcher's pacing is really exercised;
//! - numbers listed as not on WhatsApp fail with 131026; an unreachable spell fails every
//!   hand-over with 131016 (which the dispatcher retries);
//! - every accepted message is delivered after `delivery_delay_ms` (later if the user's phone
//!   is offline) and read after `read_delay_ms` by `read_percent` of users; scripts reply.
//! - with `fetch_media_links`, a message's media links must download as files of the right
//!   kind (131053 otherwise); the dispatcher fetches them before the hand-over, so the network
//!   itself does no I/O.
//!
//! Everything that happens after the hand-over is returned as scheduled [`NetworkEvent`]s,
//! which the dispatcher stores in the same transaction as the `sent` status. So the network's
//! state is exactly as durable as wagate's: after a crash it neither forgets a delivery nor
//! sees a message twice. Random choices hash the seed with the message id: deterministic.

mod identity;
mod script;

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use jiff::SignedDuration;
use sha2::{Digest, Sha256};
use wagate_core::Timestamp;
use wagate_core::channel::{Channel, Upstream as ChannelUpstream};
use wagate_core::contact::MarketingPreference;
use wagate_core::content::Content;
use wagate_core::failure::Failure;
use wagate_core::ids::{ChannelId, MessageId};
use wagate_core::message::{Message, MessageStatus, Wamid};
use wagate_core::network::{NetworkEvent, NewInboundMessage, StatusUpdate};
use wagate_core::pacing::{Gcra, micros};
use wagate_core::phone::PhoneE164;
use wagate_core::sandbox::SandboxSettings;

pub use identity::{bsuid_for, default_name};

use crate::{Handover, Upstream};

/// The network. One per process; its rate state is in memory (like Meta's, it forgets
/// nothing that matters across a restart of wagate: only a few seconds of rate history).
#[derive(Debug, Default)]
pub struct SandboxNetwork {
    lanes: Mutex<Lanes>,
}

#[derive(Debug, Default)]
struct Lanes {
    channels: HashMap<ChannelId, (u32, Gcra)>,
    pairs: HashMap<(ChannelId, String), Gcra>,
    takes: u64,
}

impl SandboxNetwork {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks Meta's two rate limits for one hand-over and books it if both allow.
    fn admit(
        &self,
        channel: &Channel,
        settings: &SandboxSettings,
        recipient: &str,
        now: Timestamp,
    ) -> Result<(), Failure> {
        let now_us = micros(now);
        let mut guard = self.lanes.lock().expect("sandbox lanes");
        let lanes = &mut *guard;
        lanes.takes += 1;
        if lanes.takes.is_multiple_of(10_000) {
            lanes.pairs.retain(|_, g| !g.is_idle(now_us));
        }
        let rate = channel.throughput.per_second();
        let interval = i64::try_from(settings.pair_interval_ms)
            .unwrap_or(i64::MAX / 1000)
            .saturating_mul(1000);
        let pair_key = (channel.id, recipient.to_owned());
        let pair_ok = lanes
            .pairs
            .get(&pair_key)
            .is_none_or(|g| g.earliest(now_us) <= now_us);
        let lane = lanes
            .channels
            .entry(channel.id)
            .or_insert_with(|| (rate, Gcra::per_second(rate)));
        if lane.0 != rate {
            *lane = (rate, Gcra::per_second(rate));
        }
        if settings.enforce_throughput && lane.1.earliest(now_us) > now_us {
            return Err(Failure::Throughput);
        }
        if !pair_ok {
            return Err(Failure::PairRateLimit);
        }
        lane.1.book(now_us);
        lanes
            .pairs
            .entry(pair_key)
            .or_insert_with(|| Gcra::new(interval, settings.pair_burst))
            .book(now_us);
        Ok(())
    }
}

/// A deterministic number in `0..100` for this seed, message and purpose.
fn roll(seed: u64, message: MessageId, purpose: &str) -> u8 {
    let h = Sha256::digest(format!("{seed}|{message}|{purpose}").as_bytes());
    (u16::from_be_bytes([h[0], h[1]]) % 100) as u8
}

fn after(t: Timestamp, ms: u64) -> Timestamp {
    t.saturating_add(SignedDuration::from_millis(
        i64::try_from(ms).unwrap_or(i64::MAX),
    ))
    .unwrap_or(t)
}

#[async_trait]
impl Upstream for SandboxNetwork {
    async fn hand_over(&self, channel: &Channel, message: &Message, now: Timestamp) -> Handover {
        let ChannelUpstream::Sandbox(settings) = &channel.upstream else {
            return Handover::refused(Failure::Unknown, "this channel is not a sandbox channel");
        };
        if settings.unreachable_until.is_some_and(|until| now < until) {
            return Handover::refused(
                Failure::ServiceUnavailable,
                "The simulated network is unreachable (sandbox setting unreachable_until).",
            );
        }
        let Some(wa_id) = &message.wa_id else {
            return Handover::refused(
                Failure::Undeliverable,
                "No WhatsApp user has this business-scoped user id on this number.",
            );
        };
        if let Err(failure) = self.admit(channel, settings, wa_id.digits(), now) {
            return Handover::refused(failure, failure.error().details);
        }
        let user = settings.user(wa_id);
        if !user.on_whatsapp {
            return Handover::refused(
                Failure::Undeliverable,
                format!("+{} is not on WhatsApp (sandbox setting).", wa_id.digits()),
            );
        }
        Handover::Accepted {
            followups: followups(channel, settings, message, wa_id, now),
            upstream_id: None,
        }
    }
}

/// What the network will report about an accepted message: delivered, maybe read, and the
/// user's scripted replies.
fn followups(
    channel: &Channel,
    settings: &SandboxSettings,
    message: &Message,
    wa_id: &PhoneE164,
    now: Timestamp,
) -> Vec<NetworkEvent> {
    let user = settings.user(wa_id);
    let online = user.offline_until.map_or(now, |until| until.max(now));
    let delivered_at = after(online, user.delivery_delay_ms);
    let status = |status, at| {
        NetworkEvent::Status(StatusUpdate {
            message_id: message.id,
            status,
            at,
            error: None,
            pricing: None,
            conversation: None,
        })
    };
    let mut events = vec![status(MessageStatus::Delivered, delivered_at)];
    if roll(settings.seed, message.id, "read") < user.read_percent {
        events.push(status(
            MessageStatus::Read,
            after(delivered_at, user.read_delay_ms),
        ));
    }
    for (i, content) in script::replies(&user.script, &message.content)
        .into_iter()
        .enumerate()
    {
        let at = after(delivered_at, settings.reply_delay_ms + i as u64);
        events.push(NetworkEvent::Inbound(Box::new(inbound(
            channel,
            wa_id,
            user.name.clone(),
            content,
            Some(message.wamid.clone()),
            at,
        ))));
    }
    events
}

/// A message from a virtual user to `channel`. Without a `profile_name` the contact's known
/// name is used when it is stored.
pub fn inbound(
    channel: &Channel,
    wa_id: &PhoneE164,
    profile_name: Option<String>,
    content: Content,
    context: Option<Wamid>,
    at: Timestamp,
) -> NewInboundMessage {
    let id = MessageId::generate();
    let preference = content.user_text().and_then(MarketingPreference::from_text);
    NewInboundMessage {
        id,
        wamid: Wamid::for_message(id, wa_id),
        account_id: channel.account_id,
        channel_id: channel.id,
        wa_id: wa_id.clone(),
        bsuid: Some(bsuid_for(&channel.waba_id, wa_id)),
        profile_name,
        content,
        context,
        at,
        preference,
    }
}
