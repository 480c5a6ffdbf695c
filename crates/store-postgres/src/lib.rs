//! The PostgreSQL backend of [`Store`]: the scale-out engine, where several stateless
//! `wagate serve` nodes share one database.
//!
//! # Concurrency model
//! A connection pool; every write command is one transaction (PostgreSQL does its own group
//! commit across connections). First-start bootstrap takes a transaction-scoped advisory
//! lock so two nodes starting at once create one account, not two.
//!
//! # Layout
//! - `queries`: the SQL, one function per statement, mirrored from the SQLite backend.
//! - `dispatch`: the SQL of the outbox, network events, inbound messages and contacts;
//!   each channel's dispatch lane is owned by one node at a time (`dispatch_lanes`).

#![forbid(unsafe_code)]

mod audit;
mod dispatch;
mod idempotency;
mod media;
mod phone_events;
mod phone_settings;
mod profile;
mod qr_codes;
mod queries;
mod registration;
mod secrets;
mod templates;
mod uploads;
mod upstream;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Postgres, Transaction};
use wagate_core::Timestamp;
use wagate_core::account::{Account, NewAccount};
use wagate_core::api_key::{ApiKey, ApiKeyDigest, NewApiKey};
use wagate_core::channel::{Channel, ChannelPatch, NewChannel};
use wagate_core::contact::Contact;
use wagate_core::ids::{AccountId, ApiKeyId, ChannelId, ContactId, MessageId, PhoneNumberId};
use wagate_core::ids::{DeliveryId, MediaId, SubscriptionId, TemplateId, WabaId};
use wagate_core::message::{Message, NewOutboundMessage};
use wagate_core::network::NewInboundMessage;
use wagate_core::template::TemplateName;
use wagate_core::webhook::{Subscription, WebhookEvent};
use wagate_store::Media;
use wagate_store::{
    Applied, Bootstrap, Bootstrapped, ContactKey, DispatchOutcome, Entity, MessageFilter,
    MessageKey, OutboxJob, Page, Result, Store, StoreError, records,
};
use wagate_store::{CompletedUpload, UploadHandle, UploadSession, UploadSessionId};
use wagate_store::{CreateTemplateError, Template, TemplateFilter, TemplateLimits};
use wagate_store::{Delivery, DeliveryAttempt, DeliveryFilter, DeliveryJob, Replay};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Advisory lock key held while bootstrapping ("wagate" in ASCII).
const BOOTSTRAP_LOCK: i64 = 0x7761_6761_7465;

#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    /// This store's name among the nodes sharing the database: which dispatch lanes it
    /// owns (see `dispatch::lease_outbox`).
    node: String,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and applies pending migrations.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(StoreError::database)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(StoreError::database)?;
        MIGRATOR.run(&pool).await.map_err(StoreError::database)?;
        Ok(Self {
            pool,
            node: uuid::Uuid::new_v4().to_string(),
        })
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(StoreError::database)
    }

    async fn read(&self) -> Result<sqlx::pool::PoolConnection<Postgres>> {
        self.pool.acquire().await.map_err(StoreError::database)
    }
}

async fn commit<T>(tx: Transaction<'static, Postgres>, value: T) -> Result<T> {
    tx.commit().await.map_err(StoreError::database)?;
    Ok(value)
}

async fn require_account(conn: &mut PgConnection, id: AccountId) -> Result<()> {
    queries::account_exists(conn, id)
        .await?
        .ok_or(StoreError::NotFound(Entity::Account))
}

/// Whether `e` is a unique violation of `messages` (its id or wamid): a concurrent
/// transaction stored the same message first.
fn is_duplicate_message(e: &StoreError) -> bool {
    let StoreError::Database(inner) = e else {
        return false;
    };
    inner
        .downcast_ref::<sqlx::Error>()
        .and_then(sqlx::Error::as_database_error)
        .is_some_and(|d| {
            d.is_unique_violation()
                && matches!(d.constraint(), Some("messages_wamid_key" | "messages_pkey"))
        })
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        self.read()
            .await?
            .ping()
            .await
            .map_err(StoreError::database)
    }

    async fn secret_keys(&self) -> Result<Vec<wagate_store::sealing::WrappedKey>> {
        secrets::keys(&mut *self.read().await?).await
    }

    async fn add_secret_key(&self, key: wagate_store::sealing::WrappedKey) -> Result<()> {
        secrets::add(&mut *self.read().await?, key).await
    }

    async fn rewrap_secret_keys(&self, keys: Vec<wagate_store::sealing::WrappedKey>) -> Result<()> {
        let mut tx = self.begin().await?;
        secrets::rewrap(&mut tx, keys).await?;
        commit(tx, ()).await
    }

    async fn reseal_secrets(&self) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = secrets::reseal(&mut tx).await?;
        commit(tx, n).await
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn bootstrap(&self, init: Bootstrap) -> Result<Option<Bootstrapped>> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(BOOTSTRAP_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database)?;
        if queries::any_account(&mut tx).await? {
            return Ok(None);
        }
        let now = records::now();
        let account = queries::insert_account(&mut tx, init.account, now).await?;
        let channel = queries::insert_channel(&mut tx, init.channel, now).await?;
        let key = queries::insert_api_key(&mut tx, init.key, now).await?;
        commit(
            tx,
            Some(Bootstrapped {
                account,
                channel,
                key,
            }),
        )
        .await
    }

    async fn create_account(&self, new: NewAccount) -> Result<Account> {
        let mut tx = self.begin().await?;
        let account = queries::insert_account(&mut tx, new, records::now()).await?;
        commit(tx, account).await
    }

    async fn get_account(&self, id: AccountId) -> Result<Account> {
        queries::get_account(&mut *self.read().await?, id).await
    }

    async fn list_accounts(&self, page: &Page<AccountId>) -> Result<Vec<Account>> {
        queries::list_accounts(&mut *self.read().await?, page).await
    }

    async fn create_channel(&self, new: NewChannel) -> Result<Channel> {
        let mut tx = self.begin().await?;
        require_account(&mut tx, new.account_id).await?;
        let channel = queries::insert_channel(&mut tx, new, records::now()).await?;
        commit(tx, channel).await
    }

    async fn get_channel(&self, account: AccountId, id: ChannelId) -> Result<Channel> {
        queries::get_channel(&mut *self.read().await?, account, id, false).await
    }

    async fn find_channel_by_phone_number_id(&self, pnid: &PhoneNumberId) -> Result<Channel> {
        queries::find_channel_by_pnid(&mut *self.read().await?, pnid).await
    }

    async fn list_channels(
        &self,
        account: AccountId,
        page: &Page<ChannelId>,
    ) -> Result<Vec<Channel>> {
        queries::list_channels(&mut *self.read().await?, account, page).await
    }

    async fn update_channel(
        &self,
        account: AccountId,
        id: ChannelId,
        patch: &ChannelPatch,
    ) -> Result<Channel> {
        let mut tx = self.begin().await?;
        let mut channel = queries::get_channel(&mut tx, account, id, true).await?;
        channel.apply(patch, records::now());
        queries::update_channel(&mut tx, &channel).await?;
        commit(tx, channel).await
    }

    async fn create_api_key(&self, new: NewApiKey) -> Result<ApiKey> {
        let mut tx = self.begin().await?;
        require_account(&mut tx, new.account_id).await?;
        let key = queries::insert_api_key(&mut tx, new, records::now()).await?;
        commit(tx, key).await
    }

    async fn get_api_key(&self, account: AccountId, id: ApiKeyId) -> Result<ApiKey> {
        queries::get_api_key(&mut *self.read().await?, account, id).await
    }

    async fn list_api_keys(
        &self,
        account: AccountId,
        page: &Page<ApiKeyId>,
    ) -> Result<Vec<ApiKey>> {
        queries::list_api_keys(&mut *self.read().await?, account, page).await
    }

    async fn revoke_api_key(&self, account: AccountId, id: ApiKeyId) -> Result<ApiKey> {
        let mut tx = self.begin().await?;
        let key = queries::revoke_api_key(&mut tx, account, id, records::now()).await?;
        commit(tx, key).await
    }

    async fn authenticate(&self, digest: &ApiKeyDigest) -> Result<Option<ApiKey>> {
        queries::authenticate(&mut *self.read().await?, digest).await
    }

    async fn accept_outbound(&self, new: NewOutboundMessage) -> Result<Message> {
        let mut tx = self.begin().await?;
        let message = queries::insert_outbound(&mut tx, new, records::now()).await?;
        commit(tx, message).await
    }

    async fn get_message(&self, account: AccountId, key: &MessageKey) -> Result<Message> {
        queries::get_message(&mut *self.read().await?, account, key).await
    }

    async fn outbox_depth(&self, channel: ChannelId) -> Result<u64> {
        queries::outbox_depth(&mut *self.read().await?, channel).await
    }

    async fn list_messages(
        &self,
        account: AccountId,
        filter: &MessageFilter,
        page: &Page<MessageId>,
    ) -> Result<Vec<Message>> {
        dispatch::list_messages(&mut *self.read().await?, account, filter, page).await
    }

    async fn lease_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxJob>> {
        let mut tx = self.begin().await?;
        let jobs = dispatch::lease_outbox(&mut tx, &self.node, now, lease_until, limit).await?;
        commit(tx, jobs).await
    }

    async fn release_expired_leases(&self, now: Timestamp) -> Result<u64> {
        let mut tx = self.begin().await?;
        let freed = dispatch::release_expired_leases(&mut tx, now).await?;
        commit(tx, freed).await
    }

    async fn renew_outbox(
        &self,
        ids: Vec<MessageId>,
        held_until: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<MessageId>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let renewed = dispatch::renew_outbox(&mut tx, &self.node, &ids, held_until, until).await?;
        commit(tx, renewed).await
    }

    async fn complete_dispatch(&self, outcomes: Vec<DispatchOutcome>) -> Result<()> {
        let mut tx = self.begin().await?;
        dispatch::complete_dispatch(&mut tx, outcomes).await?;
        commit(tx, ()).await
    }

    async fn apply_due_events(&self, now: Timestamp, limit: u32) -> Result<Vec<Applied>> {
        let mut tx = self.begin().await?;
        let applied = dispatch::apply_due_events(&mut tx, now, limit).await?;
        commit(tx, applied).await
    }

    async fn next_event_due(&self) -> Result<Option<Timestamp>> {
        dispatch::next_event_due(&mut *self.read().await?).await
    }

    async fn ingest_inbound(&self, new: NewInboundMessage) -> Result<Message> {
        let wamid = new.wamid.to_string();
        let exists = || {
            StoreError::conflict(
                wagate_store::Conflict::MessageId,
                format!("message {wamid} exists"),
            )
        };
        let mut tx = self.begin().await?;
        let message = match dispatch::ingest_inbound(&mut tx, new).await {
            Ok(Some(message)) => message,
            Ok(None) => return Err(exists()),
            // Another node stored the same wamid between our check and our insert.
            Err(e) if is_duplicate_message(&e) => return Err(exists()),
            Err(e) => return Err(e),
        };
        webhooks::emit_for_messages(&mut tx, std::slice::from_ref(&message)).await?;
        commit(tx, message).await
    }

    async fn find_contact(&self, channel: ChannelId, key: &ContactKey) -> Result<Option<Contact>> {
        dispatch::find_contact(&mut *self.read().await?, channel, key).await
    }

    async fn set_blocked(
        &self,
        channel: ChannelId,
        contacts: Vec<ContactId>,
        blocked_at: Option<Timestamp>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        dispatch::set_blocked(&mut tx, channel, contacts, blocked_at).await?;
        commit(tx, ()).await
    }

    async fn list_blocked(
        &self,
        channel: ChannelId,
        page: &Page<ContactId>,
    ) -> Result<Vec<Contact>> {
        dispatch::list_blocked(&mut *self.read().await?, channel, page).await
    }

    async fn create_subscription(&self, new: Subscription) -> Result<Subscription> {
        let mut tx = self.begin().await?;
        let s = webhooks::insert_subscription(&mut tx, new).await?;
        commit(tx, s).await
    }

    async fn get_subscription(
        &self,
        account: AccountId,
        id: SubscriptionId,
    ) -> Result<Subscription> {
        webhooks::get_subscription(&mut *self.read().await?, account, id).await
    }

    async fn list_subscriptions(&self, account: AccountId) -> Result<Vec<Subscription>> {
        webhooks::list_subscriptions(&mut *self.read().await?, account).await
    }

    async fn update_subscription(&self, s: Subscription) -> Result<Subscription> {
        let mut tx = self.begin().await?;
        let s = webhooks::update_subscription(&mut tx, s).await?;
        commit(tx, s).await
    }

    async fn delete_subscription(&self, account: AccountId, id: SubscriptionId) -> Result<()> {
        let mut tx = self.begin().await?;
        webhooks::delete_subscription(&mut tx, account, id).await?;
        commit(tx, ()).await
    }

    async fn record_events(&self, events: Vec<WebhookEvent>) -> Result<()> {
        let mut tx = self.begin().await?;
        webhooks::emit(&mut tx, &events).await?;
        commit(tx, ()).await
    }

    async fn due_subscriptions(&self, now: Timestamp, limit: u32) -> Result<Vec<Subscription>> {
        webhooks::due_subscriptions(&mut *self.read().await?, now, limit).await
    }

    async fn lease_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DeliveryJob>> {
        let mut tx = self.begin().await?;
        let jobs =
            webhooks::lease_deliveries(&mut tx, subscription, now, lease_until, limit).await?;
        commit(tx, jobs).await
    }

    async fn complete_deliveries(&self, attempts: Vec<DeliveryAttempt>) -> Result<()> {
        let mut tx = self.begin().await?;
        webhooks::complete_deliveries(&mut tx, attempts).await?;
        commit(tx, ()).await
    }

    async fn release_deliveries(&self, ids: Vec<DeliveryId>) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        webhooks::release_deliveries(&mut *self.read().await?, &ids).await
    }

    async fn renew_deliveries(
        &self,
        ids: Vec<DeliveryId>,
        held_until: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<DeliveryId>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        webhooks::renew_deliveries(&mut *self.read().await?, &ids, held_until, until).await
    }

    async fn expedite_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
    ) -> Result<u64> {
        webhooks::expedite_deliveries(&mut *self.read().await?, subscription, now).await
    }

    async fn list_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        filter: &DeliveryFilter,
        page: &Page<DeliveryId>,
    ) -> Result<Vec<Delivery>> {
        webhooks::list_deliveries(
            &mut *self.read().await?,
            account,
            subscription,
            filter,
            page,
        )
        .await
    }

    async fn message_deliveries(
        &self,
        account: AccountId,
        message: MessageId,
    ) -> Result<Vec<Delivery>> {
        webhooks::message_deliveries(&mut *self.read().await?, account, message).await
    }

    async fn replay_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        replay: Replay,
        now: Timestamp,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = webhooks::replay_deliveries(&mut tx, account, subscription, replay, now).await?;
        commit(tx, n).await
    }

    async fn delivery_backlog(&self) -> Result<Vec<(SubscriptionId, u64)>> {
        webhooks::delivery_backlog(&mut *self.read().await?).await
    }

    async fn create_template(
        &self,
        template: Template,
        limits: TemplateLimits,
    ) -> std::result::Result<Template, CreateTemplateError> {
        let mut tx = self.begin().await?;
        match templates::create_template(&mut tx, template, limits).await? {
            Ok(t) => Ok(commit(tx, t).await?),
            Err(refused) => Err(refused),
        }
    }

    async fn get_template(&self, account: AccountId, id: &TemplateId) -> Result<Template> {
        templates::get_template(&mut *self.read().await?, account, id).await
    }

    async fn list_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
        page: &Page<TemplateId>,
    ) -> Result<Vec<Template>> {
        templates::list_templates(&mut *self.read().await?, account, waba, filter, page).await
    }

    async fn count_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
    ) -> Result<u64> {
        templates::count_templates(&mut *self.read().await?, account, waba, filter).await
    }

    async fn update_template(
        &self,
        template: Template,
        events: Vec<WebhookEvent>,
    ) -> Result<Template> {
        let mut tx = self.begin().await?;
        let t = templates::update_template(&mut tx, template).await?;
        webhooks::emit(&mut tx, &events).await?;
        commit(tx, t).await
    }

    async fn update_template_if(
        &self,
        template: Template,
        seen: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Template>> {
        let mut tx = self.begin().await?;
        match templates::update_template_if(&mut tx, template, Some(seen)).await? {
            Some(t) => {
                webhooks::emit(&mut tx, &events).await?;
                commit(tx, Some(t)).await
            }
            None => Ok(None),
        }
    }

    async fn edit_template(
        &self,
        template: Template,
        per_day: u32,
        per_30_days: u32,
    ) -> Result<Option<Template>> {
        let mut tx = self.begin().await?;
        // One edit of a template at a time, so two cannot both pass the limits.
        sqlx::query("SELECT 1 FROM templates WHERE id = $1 FOR UPDATE")
            .bind(template.id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::database)?;
        match templates::edit_template(&mut tx, template, per_day, per_30_days).await? {
            Some(t) => commit(tx, Some(t)).await,
            None => Ok(None),
        }
    }

    async fn pending_templates(&self, created_by: Timestamp, limit: u32) -> Result<Vec<Template>> {
        templates::pending_templates(&mut *self.read().await?, created_by, limit).await
    }

    async fn paused_templates(&self, by: Timestamp, limit: u32) -> Result<Vec<Template>> {
        templates::paused_templates(&mut *self.read().await?, by, limit).await
    }

    async fn delete_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        name: &TemplateName,
        id: Option<&TemplateId>,
        now: Timestamp,
    ) -> Result<Vec<TemplateId>> {
        let mut tx = self.begin().await?;
        let ids = templates::delete_templates(&mut tx, account, waba, name, id, now).await?;
        commit(tx, ids).await
    }

    async fn create_media(&self, m: Media) -> Result<Media> {
        let mut tx = self.begin().await?;
        let m = media::create_media(&mut tx, m).await?;
        commit(tx, m).await
    }

    async fn get_media(&self, account: AccountId, id: &MediaId) -> Result<Media> {
        media::get_media(&mut *self.read().await?, account, id).await
    }

    async fn delete_media(&self, account: AccountId, id: &MediaId, now: Timestamp) -> Result<()> {
        let mut tx = self.begin().await?;
        media::delete_media(&mut tx, account, id, now).await?;
        commit(tx, ()).await
    }

    async fn collect_media(&self, now: Timestamp, limit: u32) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        let keys = media::collect_media(&mut tx, now, limit).await?;
        commit(tx, keys).await
    }

    async fn create_upload_session(&self, session: UploadSession) -> Result<UploadSession> {
        let mut tx = self.begin().await?;
        let session = uploads::create(&mut tx, session).await?;
        commit(tx, session).await
    }

    async fn get_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
    ) -> Result<UploadSession> {
        uploads::get(&mut *self.read().await?, account, id).await
    }

    async fn find_upload_handle(
        &self,
        account: AccountId,
        handle: &UploadHandle,
    ) -> Result<UploadSession> {
        uploads::by_handle(&mut *self.read().await?, account, handle).await
    }

    async fn advance_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
        from: u64,
        to: u64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let moved = uploads::advance(&mut tx, account, id, from, to).await?;
        commit(tx, moved).await
    }

    async fn complete_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
        done: &CompletedUpload,
        expires_at: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let completed = uploads::complete(&mut tx, account, id, done, expires_at).await?;
        commit(tx, completed).await
    }

    async fn delete_upload_session(&self, account: AccountId, id: &UploadSessionId) -> Result<()> {
        let mut tx = self.begin().await?;
        uploads::delete(&mut tx, account, id).await?;
        commit(tx, ()).await
    }

    async fn collect_upload_sessions(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<UploadSessionId>> {
        let mut tx = self.begin().await?;
        let ids = uploads::collect(&mut tx, now, limit).await?;
        commit(tx, ids).await
    }

    async fn get_registration(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<Option<wagate_core::registration::Registration>> {
        registration::get(&mut *self.read().await?, account, channel).await
    }

    async fn list_registrations(
        &self,
        account: AccountId,
        channels: &[ChannelId],
    ) -> Result<Vec<wagate_core::registration::Registration>> {
        registration::list(&mut *self.read().await?, account, channels).await
    }

    async fn save_registration(
        &self,
        next: wagate_core::registration::Registration,
        seen: Option<u64>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let saved = registration::save(&mut tx, next, seen).await?;
        commit(tx, saved).await
    }

    async fn create_qr_code(
        &self,
        qr: wagate_store::qr_codes::QrCode,
    ) -> Result<wagate_store::qr_codes::QrCode> {
        let mut tx = self.begin().await?;
        let qr = qr_codes::create(&mut tx, qr).await?;
        commit(tx, qr).await
    }

    async fn get_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<wagate_store::qr_codes::QrCode> {
        qr_codes::get(&mut *self.read().await?, account, channel, code).await
    }

    async fn find_qr_code(
        &self,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<wagate_store::qr_codes::QrCode> {
        qr_codes::find(&mut *self.read().await?, code).await
    }

    async fn list_qr_codes(
        &self,
        account: AccountId,
        channel: ChannelId,
        page: &Page<wagate_core::qr::QrCodeId>,
    ) -> Result<Vec<wagate_store::qr_codes::QrCode>> {
        qr_codes::list(&mut *self.read().await?, account, channel, page).await
    }

    async fn update_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
        message: &wagate_core::qr::PrefilledMessage,
        at: Timestamp,
    ) -> Result<wagate_store::qr_codes::QrCode> {
        let mut tx = self.begin().await?;
        let qr = qr_codes::update(&mut tx, account, channel, code, message, at).await?;
        commit(tx, qr).await
    }

    async fn delete_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        qr_codes::delete(&mut tx, account, channel, code).await?;
        commit(tx, ()).await
    }

    // Business profiles (see `wagate_store::profile`).

    async fn business_profile(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<wagate_store::profile::ProfileSettings> {
        profile::get(&mut *self.read().await?, account, channel).await
    }

    async fn update_business_profile(
        &self,
        write: wagate_store::profile::ProfileWrite,
    ) -> Result<(Channel, wagate_store::profile::ProfileSettings)> {
        let mut tx = self.begin().await?;
        let updated = profile::update(&mut tx, write).await?;
        commit(tx, updated).await
    }

    async fn update_commerce_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
        update: wagate_core::profile::CommerceUpdate,
        at: Timestamp,
    ) -> Result<wagate_store::profile::ProfileSettings> {
        let mut tx = self.begin().await?;
        let settings = profile::update_commerce(&mut tx, account, channel, update, at).await?;
        commit(tx, settings).await
    }

    async fn find_profile_picture(&self, id: &MediaId) -> Result<Media> {
        profile::find_picture(&mut *self.read().await?, id).await
    }

    async fn get_waba_subscription(
        &self,
        account: AccountId,
        waba: &WabaId,
    ) -> Result<Option<wagate_store::profile::WabaSubscription>> {
        profile::get_waba(&mut *self.read().await?, account, waba).await
    }

    async fn put_waba_subscription(
        &self,
        sub: wagate_store::profile::WabaSubscription,
        remove: Vec<SubscriptionId>,
    ) -> Result<wagate_store::profile::WabaSubscription> {
        let mut tx = self.begin().await?;
        let stored = profile::put_waba(&mut tx, sub, remove).await?;
        commit(tx, stored).await
    }

    async fn delete_waba_subscription(
        &self,
        account: AccountId,
        waba: &WabaId,
    ) -> Result<Option<wagate_store::profile::WabaSubscription>> {
        let mut tx = self.begin().await?;
        let removed = profile::delete_waba(&mut tx, account, waba).await?;
        commit(tx, removed).await
    }

    // Phone number settings (see `wagate_store::phone_settings`).

    async fn phone_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<wagate_store::phone_settings::PhoneSettings> {
        phone_settings::get(&mut *self.read().await?, account, channel).await
    }

    async fn update_phone_settings(
        &self,
        write: wagate_store::phone_settings::PhoneSettingsWrite,
    ) -> Result<wagate_store::phone_settings::PhoneSettings> {
        let mut tx = self.begin().await?;
        let stored = phone_settings::update(&mut tx, write).await?;
        commit(tx, stored).await
    }
    // Cloud upstream (see `upstream`).

    async fn find_message_by_upstream_id(
        &self,
        channel: ChannelId,
        upstream_id: &str,
    ) -> Result<Option<Message>> {
        upstream::find_message(&mut *self.read().await?, channel, upstream_id).await
    }

    async fn upstream_id_of(
        &self,
        channel: ChannelId,
        wamid: &wagate_core::message::Wamid,
    ) -> Result<Option<String>> {
        upstream::upstream_id_of(&mut *self.read().await?, channel, wamid).await
    }

    async fn record_network_events(
        &self,
        channel: ChannelId,
        events: Vec<wagate_core::network::NetworkEvent>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        upstream::record_network_events(&mut tx, channel, events).await?;
        commit(tx, ()).await
    }

    async fn cloud_channels(&self) -> Result<Vec<Channel>> {
        upstream::cloud_channels(&mut *self.read().await?).await
    }

    // Changes of a number that webhooks report (see `phone_events`).

    async fn update_channel_if(
        &self,
        seen: &Channel,
        patch: &ChannelPatch,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>> {
        let mut tx = self.begin().await?;
        match phone_events::update_channel_if(&mut tx, seen, patch, &events).await? {
            Some(channel) => commit(tx, Some(channel)).await,
            None => Ok(None),
        }
    }

    async fn save_registration_with(
        &self,
        next: wagate_core::registration::Registration,
        seen: Option<u64>,
        patch: Option<ChannelPatch>,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>> {
        let mut tx = self.begin().await?;
        let saved =
            phone_events::save_registration_with(&mut tx, next, seen, patch.as_ref(), &events)
                .await?;
        match saved {
            Some(channel) => commit(tx, Some(channel)).await,
            None => Ok(None),
        }
    }

    // The audit log (see `audit`).

    async fn record_audit(&self, entry: wagate_core::audit::AuditEntry) -> Result<()> {
        audit::record(&mut *self.read().await?, entry).await
    }

    async fn list_audit(
        &self,
        account: AccountId,
        filter: &wagate_core::audit::AuditFilter,
        page: &Page<wagate_core::ids::AuditEntryId>,
    ) -> Result<Vec<wagate_core::audit::AuditEntry>> {
        audit::list(&mut *self.read().await?, account, filter, page).await
    }

    async fn reserve_idempotency_key(
        &self,
        reserve: wagate_store::idempotency::Reserve,
    ) -> Result<wagate_store::idempotency::Reservation> {
        let mut tx = self.begin().await?;
        let found = idempotency::reserve(&mut tx, reserve).await?;
        commit(tx, found).await
    }

    async fn complete_idempotency_key(
        &self,
        scope: &wagate_store::idempotency::KeyScope,
        holder: uuid::Uuid,
        answer: wagate_store::idempotency::StoredAnswer,
    ) -> Result<bool> {
        idempotency::complete(&mut *self.read().await?, scope, holder, answer).await
    }

    async fn release_idempotency_key(
        &self,
        scope: &wagate_store::idempotency::KeyScope,
        holder: uuid::Uuid,
    ) -> Result<bool> {
        idempotency::release(&mut *self.read().await?, scope, holder).await
    }

    async fn collect_idempotency_keys(&self, now: Timestamp, limit: u32) -> Result<u64> {
        idempotency::collect(&mut *self.read().await?, now, limit).await
    }
}
