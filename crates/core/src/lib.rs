//! wagate's domain: the values, models and rules every other crate speaks in. No I/O.
//!
//! Everything that crosses a boundary (an HTTP body, a CLI argument, a database row) is
//! turned into one of these types by a `parse`/`TryFrom` before anything else looks at it, so
//! code past the boundary never re-checks a phone number or a name length ("parse, don't
//! validate"). Every entity has its own id type, so two ids cannot be mixed up.
//!
//! The error-code table ([`error::ErrorCode`]) lives here too: each stable snake_case code
//! with its HTTP status and how it appears on the Cloud (Graph) surface. The HTTP crate renders
//! it per surface in one place.
//!
//! # Layout
//! - [`ids`]: typed ids (`AccountId`, `ChannelId`, `ApiKeyId`) and Meta's decimal object ids
//!   (`PhoneNumberId`, `WabaId`, `TemplateId`).
//! - [`phone`]: `PhoneE164`, a phone number in international form.
//! - [`text`]: bounded text newtypes shared by the models.
//! - [`account`], [`channel`], [`api_key`], [`message`]: the models and their commands.
//! - [`content`]: what a message carries, every Cloud API message type with Meta's limits.
//! - [`template`]: message templates: names, languages, components, Meta's lint rules and
//!   variables.
//! - [`contact`], [`policy`]: users of a channel; the service window, blocks and opt-outs.
//! - [`campaign`]: a template sent to an audience: its life as a state machine, parameters
//!   per recipient, skip reasons and the messaging tier's room.
//! - [`pricing`], [`failure`]: how Meta prices a message and why one fails.
//! - [`network`]: what an upstream reports back (statuses, inbound messages).
//! - [`profile`]: the Cloud plane's business profile, commerce settings and subscribed apps.
//! - [`sandbox`]: settings of the simulated WhatsApp network.
//! - [`registration`]: a phone number's registration, verification code, two-step PIN and
//!   display-name review, as a state machine.
//! - [`qr`]: QR codes with a prefilled message: codes, messages, the PNG and SVG images.
//! - [`business_key`], [`flow`]: a business's RSA key for Flows endpoints, and Meta's
//!   encryption of the calls to those endpoints (both sides).
//! - [`report`]: the bounds of report date ranges, read in the account's time zone.
//! - [`audit`]: entries of the audit log of management actions (who, what, on what).
//! - [`idempotency`]: `Idempotency-Key` values and the request digest a key is bound to.
//! - [`error`]: the error-code table and `ValidationError`.

#![forbid(unsafe_code)]

pub mod access_token;
pub mod account;
pub mod analytics;
pub mod api_key;
pub mod audit;
pub mod billing;
pub mod business_key;
pub mod campaign;
pub mod channel;
pub mod clock;
pub mod cloud_report;
pub mod commerce;
pub mod contact;
pub mod content;
pub mod error;
pub mod failure;
pub mod flow;
pub mod group;
pub mod idempotency;
pub mod ids;
pub mod media;
pub mod message;
pub mod network;
pub mod pacing;
pub mod phone;
pub mod policy;
pub mod pricing;
pub mod profile;
pub mod qr;
pub mod registration;
pub mod report;
pub mod sandbox;
pub mod template;
pub mod text;
pub mod webhook;

#[cfg(test)]
mod proptests;

pub use jiff::Timestamp;
