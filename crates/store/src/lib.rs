//! The storage contract. [`Store`] is the one trait every backend implements
//! (`wagate-store-sqlite`, the embedded default, and `wagate-store-postgres`, for several
//! nodes on one database); services hold an `Arc<dyn Store>` and never see SQL.
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

#![forbid(unsafe_code)]

pub mod audit;
pub mod dispatch;
pub mod error;
pub mod idempotency;
pub mod media;
pub mod page;
pub mod phone_settings;
pub mod profile;
pub mod qr_codes;
pub mod records;
pub mod registration;
pub mod sealing;
pub mod templates;
pub mod uploads;
pub mod webhooks;

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::account::{Account, NewAccount};
use wagate_core::api_key::{ApiKey, ApiKeyDigest, NewApiKey};
use wagate_core::channel::{Channel, ChannelPatch, NewChannel};
use wagate_core::contact::Contact;
use wagate_core::ids::{AccountId, ApiKeyId, ChannelId, PhoneNumberId};
use wagate_core::ids::{ContactId, MessageId};
use wagate_core::ids::{DeliveryId, MediaId, SubscriptionId, TemplateId, WabaId};
use wagate_core::message::{Message, NewOutboundMessage, Wamid};
use wagate_core::network::NewInboundMessage;
use wagate_core::template::TemplateName;
use wagate_core::webhook::{Subscription, WebhookEvent};

pub use dispatch::{Applied, ContactKey, DispatchOutcome, MessageFilter, OutboxJob};
pub use error::{Conflict, Entity, StoreError};
pub use media::{Media, MediaOrigin};
pub use page::Page;
pub use templates::{CreateTemplateError, Template, TemplateFilter, TemplateLimits};
pub use uploads::{CompletedUpload, UploadHandle, UploadSession, UploadSessionId};
pub use webhooks::{
    AttemptOutcome, Delivery, DeliveryAttempt, DeliveryFilter, DeliveryJob, Replay,
};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What first start creates: an account, its sandbox channel and an account-wide key.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub account: NewAccount,
    pub channel: NewChannel,
    pub key: NewApiKey,
}

/// What [`Store::bootstrap`] stored.
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    pub account: Account,
    pub channel: Channel,
    pub key: ApiKey,
}

/// The storage contract. See the crate docs for the rules every implementation keeps.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for logs and `/readyz`.
    fn backend(&self) -> &'static str;

    /// Cheap round trip to the database (readiness).
    async fn ping(&self) -> Result<()>;
    /// The data keys secrets are sealed with, wrapped by the master key (see [`sealing`]),
    /// oldest first.
    async fn secret_keys(&self) -> Result<Vec<sealing::WrappedKey>>;
    /// Stores a new wrapped data key.
    async fn add_secret_key(&self, key: sealing::WrappedKey) -> Result<()>;
    /// Replaces the wrapping of the named data keys, all in one transaction (a master key
    /// rotation); an id that is not stored is `NotFound`.
    async fn rewrap_secret_keys(&self, keys: Vec<sealing::WrappedKey>) -> Result<()>;
    /// Rewrites every stored secret not sealed under the current data key (a value from
    /// before sealing, or under an older key); returns how many rows changed.
    async fn reseal_secrets(&self) -> Result<u64>;

    /// Finishes queued writes and closes connections. Calls after this fail.
    async fn close(&self);

    /// Stores `init` in one transaction if, and only if, no account exists yet. Returns
    /// `None` when the database was already initialised, so a restart never bootstraps twice,
    /// even when two processes start at once.
    async fn bootstrap(&self, init: Bootstrap) -> Result<Option<Bootstrapped>>;

    async fn create_account(&self, new: NewAccount) -> Result<Account>;
    async fn get_account(&self, id: AccountId) -> Result<Account>;
    async fn list_accounts(&self, page: &Page<AccountId>) -> Result<Vec<Account>>;

    /// Fails with `NotFound(Account)` for an unknown account and `Conflict` when another
    /// channel already has the phone number id.
    async fn create_channel(&self, new: NewChannel) -> Result<Channel>;
    async fn get_channel(&self, account: AccountId, id: ChannelId) -> Result<Channel>;
    /// Any account's channel by Meta's phone number id; callers check ownership.
    async fn find_channel_by_phone_number_id(&self, pnid: &PhoneNumberId) -> Result<Channel>;
    async fn list_channels(
        &self,
        account: AccountId,
        page: &Page<ChannelId>,
    ) -> Result<Vec<Channel>>;
    /// Applies `patch` with [`Channel::apply`] inside one write transaction.
    async fn update_channel(
        &self,
        account: AccountId,
        id: ChannelId,
        patch: &ChannelPatch,
    ) -> Result<Channel>;

    /// Fails with `NotFound(Channel)` when a scoped channel is not the account's.
    async fn create_api_key(&self, new: NewApiKey) -> Result<ApiKey>;
    async fn get_api_key(&self, account: AccountId, id: ApiKeyId) -> Result<ApiKey>;
    async fn list_api_keys(&self, account: AccountId, page: &Page<ApiKeyId>)
    -> Result<Vec<ApiKey>>;
    /// Marks the key revoked. Revoking a revoked key keeps its first `revoked_at`.
    async fn revoke_api_key(&self, account: AccountId, id: ApiKeyId) -> Result<ApiKey>;
    /// The active (not revoked) key with this digest, if any.
    async fn authenticate(&self, digest: &ApiKeyDigest) -> Result<Option<ApiKey>>;

    /// Stores an outbound message (status `accepted`) and its outbox entry in one
    /// transaction. Fails with `NotFound(Channel)` unless the channel is the account's.
    async fn accept_outbound(&self, new: NewOutboundMessage) -> Result<Message>;
    /// One of the account's messages, by our id or its wamid.
    async fn get_message(&self, account: AccountId, key: &MessageKey) -> Result<Message>;
    /// Outbox entries of a channel not yet handed to the upstream.
    async fn outbox_depth(&self, channel: ChannelId) -> Result<u64>;
    /// The account's messages, newest first; `page.after` continues with older ones.
    async fn list_messages(
        &self,
        account: AccountId,
        filter: &MessageFilter,
        page: &Page<MessageId>,
    ) -> Result<Vec<Message>>;

    /// Leases up to `limit` outbox entries that are due at `now` until `lease_until`: only
    /// the oldest entry of each recipient (so a recipient's messages leave in order), and
    /// none that is leased already.
    async fn lease_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxJob>>;
    /// The reaper: frees leases that expired before `now` (their holder died). Returns how
    /// many it freed.
    async fn release_expired_leases(&self, now: Timestamp) -> Result<u64>;
    /// Extends to `until` the leases of those outbox entries still held under `held_until`
    /// (the lease the caller took), and on PostgreSQL this node's dispatch lanes with them;
    /// returns the entries extended. An entry completed meanwhile, or whose lease ran out
    /// and was taken again, is left alone. A dispatcher renews while its step runs, so
    /// leases stay short and a dead node's work goes out seconds after it died.
    async fn renew_outbox(
        &self,
        ids: Vec<MessageId>,
        held_until: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<MessageId>>;
    /// Records what the dispatcher did with leased entries, all in one transaction. A `Sent`
    /// whose outbox entry is already gone changes nothing, so a hand-over is counted once.
    async fn complete_dispatch(&self, outcomes: Vec<DispatchOutcome>) -> Result<()>;
    /// Applies up to `limit` network events due at `now`, in time order, and removes them,
    /// in one transaction.
    async fn apply_due_events(&self, now: Timestamp, limit: u32) -> Result<Vec<Applied>>;
    /// When the next network event is due, if any.
    async fn next_event_due(&self) -> Result<Option<Timestamp>>;
    /// Stores an inbound message, creating or renewing its contact (window, profile name,
    /// STOP/START), in one transaction. A repeated wamid fails with `Conflict`.
    async fn ingest_inbound(&self, new: NewInboundMessage) -> Result<Message>;

    async fn find_contact(&self, channel: ChannelId, key: &ContactKey) -> Result<Option<Contact>>;
    /// Sets (`Some`) or clears (`None`) `blocked_at` on these contacts of the channel.
    async fn set_blocked(
        &self,
        channel: ChannelId,
        contacts: Vec<ContactId>,
        blocked_at: Option<Timestamp>,
    ) -> Result<()>;
    /// The channel's blocked contacts, in id order.
    async fn list_blocked(
        &self,
        channel: ChannelId,
        page: &Page<ContactId>,
    ) -> Result<Vec<Contact>>;

    // Webhooks. Status changes and inbound messages stored by the methods above record their
    // events (and deliveries to matching subscriptions) in their own transaction.

    async fn create_subscription(&self, new: Subscription) -> Result<Subscription>;
    async fn get_subscription(
        &self,
        account: AccountId,
        id: SubscriptionId,
    ) -> Result<Subscription>;
    /// The account's subscriptions, oldest first.
    async fn list_subscriptions(&self, account: AccountId) -> Result<Vec<Subscription>>;
    /// Writes every field of `s` (the caller applied its patch to the stored one).
    async fn update_subscription(&self, s: Subscription) -> Result<Subscription>;
    /// Removes the subscription and its deliveries.
    async fn delete_subscription(&self, account: AccountId, id: SubscriptionId) -> Result<()>;
    /// Stores events not caused by a change the store makes itself (template reviews…),
    /// with their deliveries, in one transaction.
    async fn record_events(&self, events: Vec<WebhookEvent>) -> Result<()>;
    /// Subscriptions with a delivery that can be attempted at `now` (pending, due, not
    /// leased, and the oldest pending one of its message), up to `limit`, by id.
    async fn due_subscriptions(&self, now: Timestamp, limit: u32) -> Result<Vec<Subscription>>;
    /// Leases up to `limit` of the subscription's deliveries due at `now` until
    /// `lease_until`, oldest first: for each message only its oldest pending delivery (so a
    /// subscriber gets one message's events in order, even across retries), and none whose
    /// lease is still running.
    async fn lease_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DeliveryJob>>;
    /// Records attempts and ends their leases, in one transaction, in order (two attempts
    /// on one delivery both count). An attempt on a delivery that is no longer pending
    /// (delivered, dead or deleted meanwhile) changes nothing; one on a delivery replayed
    /// while its POST was out is recorded (delivery is at least once).
    async fn complete_deliveries(&self, attempts: Vec<DeliveryAttempt>) -> Result<()>;
    /// Ends the leases of deliveries that were not attempted (a deliverer that leased ahead
    /// gives them back), so they can be leased again at once; no attempt is counted.
    async fn release_deliveries(&self, ids: Vec<DeliveryId>) -> Result<()>;
    /// Extends to `until` the leases of those deliveries still pending and still held under
    /// `held_until` (the lease the caller took); returns the ones extended. A lease that ran
    /// out and was taken again, or ended by an attempt, is left alone.
    async fn renew_deliveries(
        &self,
        ids: Vec<DeliveryId>,
        held_until: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<DeliveryId>>;
    /// Makes the subscription's pending deliveries that wait on a retry (attempted before,
    /// due later, not leased) due at `now`; returns how many. For a receiver that is back
    /// after an outage.
    async fn expedite_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
    ) -> Result<u64>;
    /// A subscription's deliveries, newest first; `page.after` continues with older ones.
    async fn list_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        filter: &DeliveryFilter,
        page: &Page<DeliveryId>,
    ) -> Result<Vec<Delivery>>;
    /// Every delivery of every event about one of the account's messages, oldest first.
    async fn message_deliveries(
        &self,
        account: AccountId,
        message: MessageId,
    ) -> Result<Vec<Delivery>>;
    /// Makes the selected deliveries pending and due at `now` (their attempt history is
    /// kept); returns how many.
    async fn replay_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        replay: Replay,
        now: Timestamp,
    ) -> Result<u64>;
    /// Pending deliveries of every subscription, none counted as 0 (for metrics).
    async fn delivery_backlog(&self) -> Result<Vec<(SubscriptionId, u64)>>;

    // Templates (see [`templates`]).

    /// Stores a new template unless its name and language are live in its WABA or its name
    /// was deleted there under 30 days before `template.created_at`, the WABA holds
    /// `limits.max_templates` live templates, or it created `limits.max_per_hour` in the
    /// hour before.
    async fn create_template(
        &self,
        template: Template,
        limits: TemplateLimits,
    ) -> std::result::Result<Template, CreateTemplateError>;
    /// One of the account's live templates.
    async fn get_template(&self, account: AccountId, id: &TemplateId) -> Result<Template>;
    /// The account's live templates of `waba` matching `filter`, oldest first; `page.after`
    /// continues after that template.
    async fn list_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
        page: &Page<TemplateId>,
    ) -> Result<Vec<Template>>;
    /// How many live templates of `waba` match `filter`.
    async fn count_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
    ) -> Result<u64>;
    /// Replaces a live template's mutable fields (category, components, TTL, status, reason,
    /// quality, pause count and end, `updated_at`) and stores `events` (its webhooks) in the
    /// same transaction.
    async fn update_template(
        &self,
        template: Template,
        events: Vec<WebhookEvent>,
    ) -> Result<Template>;
    /// As [`Store::update_template`], but only while the stored template's `updated_at` is
    /// still `seen` (nothing changed it since the caller read it); otherwise `Ok(None)` and
    /// nothing is stored. Read-modify-write steps (a quality rating, an unpause) use it, so
    /// two of them never both act on the same state. `NotFound` when the template is gone.
    async fn update_template_if(
        &self,
        template: Template,
        seen: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Template>>;
    /// Applies an edit of a live template (as [`Store::update_template`]) and records when,
    /// unless it was already edited `per_day` times in the 24 hours before
    /// `template.updated_at` or `per_30_days` times in the 30 days before: then
    /// `Ok(None)` and nothing changes. Pass `u32::MAX` for no limit.
    async fn edit_template(
        &self,
        template: Template,
        per_day: u32,
        per_30_days: u32,
    ) -> Result<Option<Template>>;
    /// Live `PENDING` templates created at or before `created_by`, oldest first, up to
    /// `limit` (what the sandbox reviews next).
    async fn pending_templates(&self, created_by: Timestamp, limit: u32) -> Result<Vec<Template>>;
    /// Live `PAUSED` templates whose pause ends at or before `by`, soonest first, up to
    /// `limit` (what the sandbox unpauses next).
    async fn paused_templates(&self, by: Timestamp, limit: u32) -> Result<Vec<Template>>;
    /// Deletes the live templates of `waba` named `name` (every language), or only `id` when
    /// given; their ids. `NotFound` when none matched.
    async fn delete_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        name: &TemplateName,
        id: Option<&TemplateId>,
        now: Timestamp,
    ) -> Result<Vec<TemplateId>>;

    // Media (see [`media`]).

    /// Stores a new media id. `Conflict` when the id exists.
    async fn create_media(&self, media: Media) -> Result<Media>;
    /// One of the account's media ids, unless deleted or collected (an expired one is still
    /// answered until collected; the caller checks `expires_at`).
    async fn get_media(&self, account: AccountId, id: &MediaId) -> Result<Media>;
    /// Deletes one of the account's media ids at `now`. `NotFound` when it is not live.
    async fn delete_media(&self, account: AccountId, id: &MediaId, now: Timestamp) -> Result<()>;
    /// Purges up to `limit` media ids deleted or expired by `now`, and answers the storage
    /// keys that no live media id refers to any more (each once), for the caller to delete.
    async fn collect_media(&self, now: Timestamp, limit: u32) -> Result<Vec<String>>;

    // Upload sessions (see [`uploads`]). A session another account owns is `NotFound(Media)`,
    // like one that does not exist.

    /// Stores a new upload session. `Conflict` when the id exists.
    async fn create_upload_session(&self, session: UploadSession) -> Result<UploadSession>;
    /// One of the account's upload sessions, complete or not (an expired one is answered
    /// until collected; the caller checks `expires_at`).
    async fn get_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
    ) -> Result<UploadSession>;
    /// The account's completed session that answered `handle`.
    async fn find_upload_handle(
        &self,
        account: AccountId,
        handle: &UploadHandle,
    ) -> Result<UploadSession>;
    /// Compare-and-set: moves an incomplete session's offset from `from` to `to` (at most its
    /// `file_length`). `Ok(false)`, changing nothing, when the stored offset is not `from` or
    /// the session is complete; `NotFound` when there is no such session.
    async fn advance_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
        from: u64,
        to: u64,
    ) -> Result<bool>;
    /// Records that the session's whole file was kept as `done.media_id`, answered as
    /// `done.handle`, and that the session now lives until `expires_at` — once, and only when
    /// every byte is in: `Ok(false)`, changing nothing, when it is already complete or its
    /// offset is short of its length. `NotFound` when there is no such session.
    async fn complete_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
        done: &CompletedUpload,
        expires_at: Timestamp,
    ) -> Result<bool>;
    /// Deletes one of the account's sessions (an upload that was refused). `NotFound` when
    /// there is none.
    async fn delete_upload_session(&self, account: AccountId, id: &UploadSessionId) -> Result<()>;
    /// Deletes up to `limit` sessions expired by `now`, complete or not, and answers their
    /// ids, for the caller to remove any bytes still waiting for them.
    async fn collect_upload_sessions(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<UploadSessionId>>;

    // Phone number registration (see [`registration`]).

    /// The registration state of one of the account's channels, or `None` while it never
    /// changed (the initial state: registered, verified, no two-step PIN). Another account's
    /// channel answers `None` too.
    async fn get_registration(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<Option<wagate_core::registration::Registration>>;
    /// The registration states of those of `channels` (the account's) that have one.
    async fn list_registrations(
        &self,
        account: AccountId,
        channels: &[ChannelId],
    ) -> Result<Vec<wagate_core::registration::Registration>>;
    /// Compare-and-set: stores `next` (its `version` already bumped by the caller) when the
    /// stored row is still at version `seen` (`None`: no row yet). `Ok(false)`, changing
    /// nothing, when another write came first; `NotFound(Channel)` when the channel is not
    /// the account's.
    async fn save_registration(
        &self,
        next: wagate_core::registration::Registration,
        seen: Option<u64>,
    ) -> Result<bool>;

    // QR codes (see [`qr_codes`]). Another channel's or account's code is `NotFound(QrCode)`,
    // like one that does not exist.

    /// Stores a new QR code. `Conflict` when its code exists in any account (the caller draws
    /// another).
    async fn create_qr_code(&self, qr: qr_codes::QrCode) -> Result<qr_codes::QrCode>;
    /// One of the channel's QR codes.
    async fn get_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<qr_codes::QrCode>;
    /// Any account's QR code by its code (for its public image URL).
    async fn find_qr_code(&self, code: &wagate_core::qr::QrCodeId) -> Result<qr_codes::QrCode>;
    /// The channel's QR codes in code order; `page.after` continues after that code.
    async fn list_qr_codes(
        &self,
        account: AccountId,
        channel: ChannelId,
        page: &Page<wagate_core::qr::QrCodeId>,
    ) -> Result<Vec<qr_codes::QrCode>>;
    /// Replaces one of the channel's QR codes' prefilled message; `updated_at` becomes `at`.
    async fn update_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
        message: &wagate_core::qr::PrefilledMessage,
        at: Timestamp,
    ) -> Result<qr_codes::QrCode>;
    /// Deletes one of the channel's QR codes.
    async fn delete_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<()>;

    // Business profiles (see [`profile`]). Another account's channel is `NotFound(Channel)`.

    /// The Cloud plane's part of one of the account's channels' profile (picture, commerce
    /// settings); [`profile::ProfileSettings::defaults`] until something was written.
    async fn business_profile(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<profile::ProfileSettings>;
    /// In one transaction: patches the channel's profile fields, stores the new picture's
    /// media id and deletes the previous one's (see [`profile::PictureWrite`]). Answers the
    /// channel and settings as stored.
    async fn update_business_profile(
        &self,
        write: profile::ProfileWrite,
    ) -> Result<(Channel, profile::ProfileSettings)>;
    /// Applies `update` to the channel's commerce settings (`updated_at` becomes `at`).
    async fn update_commerce_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
        update: wagate_core::profile::CommerceUpdate,
        at: Timestamp,
    ) -> Result<profile::ProfileSettings>;
    /// Any account's live media id that is some channel's profile picture now (for the
    /// picture's public URL); `NotFound(Media)` otherwise.
    async fn find_profile_picture(&self, id: &MediaId) -> Result<Media>;
    /// The WABA's subscribed app, if it has one.
    async fn get_waba_subscription(
        &self,
        account: AccountId,
        waba: &WabaId,
    ) -> Result<Option<profile::WabaSubscription>>;
    /// In one transaction: stores `sub` (keeping the first `subscribed_at`) and deletes the
    /// webhook subscriptions `remove` (those already gone are skipped). Answers it as stored.
    async fn put_waba_subscription(
        &self,
        sub: profile::WabaSubscription,
        remove: Vec<SubscriptionId>,
    ) -> Result<profile::WabaSubscription>;
    /// In one transaction: removes the WABA's subscribed app and the webhook subscriptions
    /// of its alternate callback; answers what was removed (`None`: nothing was subscribed).
    async fn delete_waba_subscription(
        &self,
        account: AccountId,
        waba: &WabaId,
    ) -> Result<Option<profile::WabaSubscription>>;

    // Phone number settings.
    // See [`phone_settings`]. Another account's channel is `NotFound(Channel)`.

    /// One of the account's channels' stored settings and conversational automation (both
    /// empty until written).
    async fn phone_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<phone_settings::PhoneSettings>;
    /// In one transaction: replaces the top-level keys `write` names (a `null` removes one)
    /// in the channel's settings and automation, keeping the others; answers them as stored.
    async fn update_phone_settings(
        &self,
        write: phone_settings::PhoneSettingsWrite,
    ) -> Result<phone_settings::PhoneSettings>;

    // Cloud upstream: what Meta reports about a channel's messages (see `wagate_app`'s
    // `upstream_ingest`). Lookups are by channel: ids from Meta name no account.

    /// The channel's message Meta knows as `upstream_id`: an outbound message whose
    /// hand-over Meta answered with that id, or a message received from Meta (whose wamid is
    /// Meta's id).
    async fn find_message_by_upstream_id(
        &self,
        channel: ChannelId,
        upstream_id: &str,
    ) -> Result<Option<Message>>;
    /// Meta's id for the channel's message `wamid` (for a reply's `context`): the upstream
    /// id of an outbound message, the wamid of a received one; `None` for an unknown wamid
    /// or a message never handed over.
    async fn upstream_id_of(&self, channel: ChannelId, wamid: &Wamid) -> Result<Option<String>>;
    /// Stores what the upstream reported about the channel's messages, to be applied by
    /// ingest (`apply_due_events`) at each event's time, in order.
    async fn record_network_events(
        &self,
        channel: ChannelId,
        events: Vec<wagate_core::network::NetworkEvent>,
    ) -> Result<()>;
    /// Every channel whose upstream is Meta's Cloud API, of every account (Meta's webhook
    /// verification names no channel).
    async fn cloud_channels(&self) -> Result<Vec<Channel>>;

    // Changes of a number that webhooks report (`phone_number_quality_update`,
    // `phone_number_name_update`): the change and its events in one transaction.

    /// In one transaction: applies `patch` (with [`Channel::apply`]) to one of the account's
    /// channels if it is still exactly `seen` (as the caller read it, so the events it worked
    /// out from `seen` are true), and records `events`. `Ok(None)`, changing nothing, when
    /// another write came first; `NotFound(Channel)` when the channel is not `seen`'s
    /// account's.
    async fn update_channel_if(
        &self,
        seen: &Channel,
        patch: &ChannelPatch,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>>;
    /// In one transaction: [`Store::save_registration`]'s compare-and-set and, when it wins,
    /// `patch` applied to the channel (when given) and `events` recorded. Answers the channel
    /// as it is then; `Ok(None)`, changing nothing, when another write came first.
    async fn save_registration_with(
        &self,
        next: wagate_core::registration::Registration,
        seen: Option<u64>,
        patch: Option<ChannelPatch>,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>>;

    // The audit log (see [`audit`]).

    /// Appends one entry. `NotFound(Account)` when its account does not exist.
    async fn record_audit(&self, entry: wagate_core::audit::AuditEntry) -> Result<()>;
    /// The account's entries matching `filter`, newest first; `page.after` continues with
    /// older ones.
    async fn list_audit(
        &self,
        account: AccountId,
        filter: &wagate_core::audit::AuditFilter,
        page: &Page<wagate_core::ids::AuditEntryId>,
    ) -> Result<Vec<wagate_core::audit::AuditEntry>>;
    // Idempotency keys (see [`idempotency`]): stored, so they hold across nodes.

    /// Reserves `reserve.scope`'s key for `reserve.request`, atomically: inserts it in
    /// progress (held by `reserve.holder` until `reserve.lease_until`) when it is absent or
    /// dead (created 24 h or more before `reserve.now`), or takes over an in-progress row of
    /// the same request whose lease ran out. Otherwise answers what the row holds. Of
    /// concurrent reserves of one key, on any node, exactly one is `Reserved`.
    async fn reserve_idempotency_key(
        &self,
        reserve: idempotency::Reserve,
    ) -> Result<idempotency::Reservation>;
    /// Stores the answer of the request `holder` reserved the key for, making it `Done`.
    /// `Ok(false)`, changing nothing, when `holder` no longer holds it (taken over or dead).
    async fn complete_idempotency_key(
        &self,
        scope: &idempotency::KeyScope,
        holder: uuid::Uuid,
        answer: idempotency::StoredAnswer,
    ) -> Result<bool>;
    /// Forgets the key `holder` reserved and did not complete (its request failed on our
    /// side), so a retry runs afresh. `Ok(false)` when `holder` no longer holds it.
    async fn release_idempotency_key(
        &self,
        scope: &idempotency::KeyScope,
        holder: uuid::Uuid,
    ) -> Result<bool>;
    /// Deletes up to `limit` keys dead at `now` (created 24 h or more before it), done or
    /// not; answers how many.
    async fn collect_idempotency_keys(&self, now: Timestamp, limit: u32) -> Result<u64>;
}

/// How a caller names a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageKey {
    Id(wagate_core::ids::MessageId),
    Wamid(Wamid),
}
