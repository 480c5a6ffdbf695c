//! Webhooks: what happened (events), who wants to hear about it (subscriptions), and how it
//! is written on the wire (one renderer per payload format).
//!
//! An event is stored in the same transaction as the change that caused it, as a snapshot
//! ([`EventData`]), and fanned out at once into one delivery per matching subscription. The
//! deliverer (in `wagate-app`) renders the snapshot in the subscription's format, signs the
//! exact bytes and POSTs them; so a payload describes the message as it was when the event
//! happened, however late it is delivered or replayed.

pub mod ascii;
pub mod cloud;
mod delivery;
mod event;
pub mod phone_events;
mod subscription;

pub use delivery::Delivery;
pub use event::{ChannelRef, EventData, EventField, InboundEvent, StatusEvent, WebhookEvent};
pub use subscription::{
    BatchSize, DeliveryState, NewSubscription, PayloadFormat, Subscription, SubscriptionPatch,
    VerifyToken, WebhookSecret, WebhookUrl,
};
