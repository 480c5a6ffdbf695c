//! The storage contract. [`Store`] is the one trait every backend implements
//! (`wagate-store-sqlite`, the embedded default, and `wagate-store-postgres`, for several
//! nodes on one database); services hold an `Arc<dyn Store>` and never see SQL.
//!
//! `Store` is the union of one sub-trait per domain, each declared beside that domain's
//! types; a backend implements each sub-trait in its own file of the same name, and gets
//! `Store` from the blanket impl. Every sub-trait method is callable on `dyn Store`; code
//! holding a concrete backend imports the sub-trait it calls.
//! - [`AccountStore`] ([`accounts`]): first-start bootstrap, accounts, API keys and the
//!   audit log.
//! - [`ChannelStore`] ([`channels`]): channels and the per-number state: registration, phone
//!   settings, the number changes webhooks report, the Cloud channels.
//! - [`ConsoleSessionStore`] ([`console_sessions`]): web console sessions.
//! - [`ProfileStore`] ([`profile`]): business profiles, commerce settings, WABAs'
//!   subscribed apps.
//! - [`QrCodeStore`] ([`qr_codes`]): QR codes.
//! - [`BusinessKeyStore`] ([`business_keys`]): business public keys for Flows endpoints.
//! - [`WoztellSecretStore`] ([`woztell_secrets`]): WOZTELL signing secrets (sealed).
//! - [`FlowStore`] ([`flows`]): WhatsApp Flows and their Flow JSON.
//! - [`CatalogStore`] ([`catalogs`]): product catalogs and their products.
//! - [`GroupStore`] ([`groups`]): groups of a business number.
//! - [`ContactCardStore`] ([`contact_cards`]): the contact book: cards, tags, attributes.
//! - [`InboxStore`] ([`inbox`]): the console's inbox: conversations by activity, unread
//!   counts.
//! - [`MessageStore`] ([`dispatch`]): messages, the outbox and its leases, network events
//!   and ingest, inbound messages, contacts and blocks.
//! - [`CampaignStore`] ([`campaigns`]): campaigns, their recipients and audience loads, the
//!   feed that turns recipients into messages exactly once, their counters.
//! - [`ReportStore`] ([`reports`]): counts of filtered message lists, status histories.
//! - [`TemplateStore`] ([`templates`]): message templates and their per-WABA limits.
//! - [`MediaStore`] ([`media`]): media ids and resumable upload sessions.
//! - [`WebhookStore`] ([`webhooks`]): subscriptions, events, deliveries and their leases.
//! - [`PlatformStore`] ([`platform`]): backend name, readiness and shutdown, sealing keys,
//!   idempotency keys.
//!
//! Rules every backend keeps, checked by the conformance story in
//! `crates/store-conformance`:
//! - every read and write of account-owned data is scoped by [`AccountId`], so another
//!   account's ids answer [`StoreError::NotFound`] exactly like ids that do not exist;
//! - a write either happens whole or not at all (one transaction per command);
//! - lists are keyset-paged by id (UUIDv7, so in creation order).
//!
//! # Layout
//! - [`error`]: `StoreError` and which API error each case becomes.
//! - [`page`]: keyset paging.
//! - [`records`]: the column-level shape of each row, shared by both backends, with the one
//!   conversion to and from domain types.
//!
//! [`AccountId`]: wagate_core::ids::AccountId

#![forbid(unsafe_code)]

pub mod accounts;
pub mod audit;
pub mod billing;
pub mod business_keys;
pub mod campaigns;
pub mod catalogs;
pub mod channels;
pub mod console_sessions;
pub mod contact_cards;
pub mod contact_imports;
pub mod dispatch;
pub mod error;
pub mod flows;
pub mod groups;
pub mod idempotency;
pub mod inbox;
pub mod media;
pub mod page;
pub mod phone_settings;
pub mod platform;
pub mod profile;
pub mod qr_codes;
pub mod records;
pub mod registration;
pub mod reports;
pub mod sealing;
pub mod sql;
pub mod templates;
pub mod uploads;
pub mod webhooks;
pub mod woztell_secrets;

pub use accounts::{AccountStore, Bootstrap, Bootstrapped};
pub use billing::{BillingStore, LedgerFilter, MessageCharge, WalletCredit, WalletPatch};
pub use business_keys::BusinessKeyStore;
pub use campaigns::{
    Added, AudienceBatch, AudienceLease, AudienceSummary, CampaignChange, CampaignCounterRow,
    CampaignFeed, CampaignFilter, CampaignStore, Fed, PendingCard, PendingRecipient,
    RecipientFilter, RecipientState, RecipientView,
};
pub use catalogs::{CatalogStore, ProductFilter};
pub use channels::ChannelStore;
pub use console_sessions::ConsoleSessionStore;
pub use contact_cards::{ContactCardFilter, ContactCardStore, TagCount};
pub use contact_imports::{ContactImportStore, ImportBatch, ImportLease};
pub use dispatch::{
    Applied, ContactKey, DispatchOutcome, MessageFilter, MessageKey, MessageOrder, MessageStore,
    OutboxJob,
};
pub use error::{Conflict, Entity, StoreError};
pub use flows::FlowStore;
pub use groups::GroupStore;
pub use inbox::{Conversation, InboxCursor, InboxStore};
pub use media::{Media, MediaOrigin, MediaStore};
pub use page::Page;
pub use platform::PlatformStore;
pub use profile::ProfileStore;
pub use qr_codes::QrCodeStore;
pub use reports::ReportStore;
pub use sql::analytics::{
    AnalyticsStore, CounterFilter, CounterGroup, CounterQuery, CounterRow, Grain,
};
pub use templates::{CreateTemplateError, Template, TemplateFilter, TemplateLimits, TemplateStore};
pub use uploads::{CompletedUpload, UploadHandle, UploadSession, UploadSessionId};
pub use webhooks::{
    ATTEMPTS_SHOWN, AttemptOutcome, Delivery, DeliveryAttempt, DeliveryFilter, DeliveryJob,
    RecordedAttempt, Replay, WebhookStore,
};
pub use woztell_secrets::WoztellSecretStore;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The whole storage contract: every sub-trait, so an `Arc<dyn Store>` answers all of
/// them. Implement the sub-traits; this is implemented for whatever implements them all.
pub trait Store:
    AccountStore
    + ChannelStore
    + ConsoleSessionStore
    + ContactCardStore
    + ContactImportStore
    + BillingStore
    + AnalyticsStore
    + CampaignStore
    + ProfileStore
    + QrCodeStore
    + BusinessKeyStore
    + WoztellSecretStore
    + FlowStore
    + CatalogStore
    + GroupStore
    + InboxStore
    + MessageStore
    + ReportStore
    + TemplateStore
    + MediaStore
    + WebhookStore
    + PlatformStore
    + 'static
{
}

impl<T> Store for T where
    T: AccountStore
        + ChannelStore
        + ConsoleSessionStore
        + ContactCardStore
        + ContactImportStore
        + BillingStore
        + AnalyticsStore
        + CampaignStore
        + ProfileStore
        + QrCodeStore
        + BusinessKeyStore
        + WoztellSecretStore
        + FlowStore
        + CatalogStore
        + GroupStore
        + InboxStore
        + MessageStore
        + ReportStore
        + TemplateStore
        + MediaStore
        + WebhookStore
        + PlatformStore
        + 'static
{
}
