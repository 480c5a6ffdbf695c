//! The SQLite backend of [`Store`], wagate's embedded default: one database file in WAL mode.
//!
//! # Concurrency model
//! Reads use a small pool of connections (WAL lets them run beside the writer). Every write
//! goes through [`writer::Writer`]: one task, one connection, many writes per transaction
//! (group commit). See that module for why.
//!
//! # Layout
//! - [`writer`]: the group-committing write task.
//! - `queries`: the SQL, one function per statement, shared by the trait methods.
//! - `dispatch`: the SQL of the outbox, network events, inbound messages and contacts.

#![forbid(unsafe_code)]

mod accept;
mod audit;
pub mod backup;
mod dispatch;
mod idempotency;
mod media;
mod phone_events;
mod phone_settings;
#[cfg(test)]
mod plan_check;
mod profile;
mod qr_codes;
mod queries;
mod registration;
mod secrets;
mod templates;
mod uploads;
mod upstream;
mod webhooks;
pub mod writer;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};
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

use writer::Writer;

/// Migrations, applied at open.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Read connections. WAL readers do not block the writer nor each other.
const READERS: u32 = 4;

pub struct SqliteStore {
    path: PathBuf,
    reads: SqlitePool,
    writer: Arc<Writer>,
    acceptor: accept::Acceptor,
    /// Held while open: a restore waits for no process to have the database open.
    _open: backup::OpenLock,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

/// The database file is created 0600 (or made 0600): it holds the account's data, and
/// SQLite gives its WAL and shared-memory files the database file's mode.
fn private_files(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if missing) the database file at `path`, switches it to WAL and
    /// applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(StoreError::database)?;
        }
        private_files(path).map_err(StoreError::database)?;
        let open = backup::hold_open(path).map_err(StoreError::database)?;
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(StoreError::database)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed write survives power loss, not only a crash. Group commit
            // pays for the extra fsync.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // 64 MiB of page cache per connection (the default is 2 MiB): indexes of a busy
            // messages table stay in memory instead of being re-read on every write.
            .pragma("cache_size", "-65536")
            .log_statements(tracing::log::LevelFilter::Trace);
        let mut write_conn = options.connect().await.map_err(StoreError::database)?;
        MIGRATOR
            .run_direct(None, &mut write_conn, false)
            .await
            .map_err(StoreError::database)?;
        let reads = SqlitePoolOptions::new()
            .max_connections(READERS)
            .min_connections(1)
            .connect_with(options.read_only(true))
            .await
            .map_err(StoreError::database)?;
        let writer = Arc::new(Writer::start(write_conn));
        Ok(Self {
            path: path.to_owned(),
            reads,
            acceptor: accept::Acceptor::start(writer.clone()),
            writer,
            _open: open,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn not_found(entity: Entity) -> impl FnOnce(Option<()>) -> Result<()> {
    move |found| found.ok_or(StoreError::NotFound(entity))
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        conn.ping().await.map_err(StoreError::database)
    }

    async fn secret_keys(&self) -> Result<Vec<wagate_store::sealing::WrappedKey>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        secrets::keys(&mut conn).await
    }

    async fn add_secret_key(&self, key: wagate_store::sealing::WrappedKey) -> Result<()> {
        self.writer
            .write(move |conn| Box::pin(async move { secrets::add(conn, key).await }))
            .await
    }

    async fn rewrap_secret_keys(&self, keys: Vec<wagate_store::sealing::WrappedKey>) -> Result<()> {
        self.writer
            .write(move |conn| Box::pin(async move { secrets::rewrap(conn, keys).await }))
            .await
    }

    async fn reseal_secrets(&self) -> Result<u64> {
        self.writer
            .write(move |conn| Box::pin(async move { secrets::reseal(conn).await }))
            .await
    }

    async fn close(&self) {
        self.writer.close().await;
        self.reads.close().await;
    }

    async fn bootstrap(&self, init: Bootstrap) -> Result<Option<Bootstrapped>> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    if queries::any_account(conn).await? {
                        return Ok(None);
                    }
                    let now = records::now();
                    let account = queries::insert_account(conn, init.account, now).await?;
                    let channel = queries::insert_channel(conn, init.channel, now).await?;
                    let key = queries::insert_api_key(conn, init.key, now).await?;
                    Ok(Some(Bootstrapped {
                        account,
                        channel,
                        key,
                    }))
                })
            })
            .await
    }

    async fn create_account(&self, new: NewAccount) -> Result<Account> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { queries::insert_account(conn, new, records::now()).await })
            })
            .await
    }

    async fn get_account(&self, id: AccountId) -> Result<Account> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::get_account(&mut conn, id).await
    }

    async fn list_accounts(&self, page: &Page<AccountId>) -> Result<Vec<Account>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::list_accounts(&mut conn, page).await
    }

    async fn create_channel(&self, new: NewChannel) -> Result<Channel> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    queries::account_exists(conn, new.account_id)
                        .await
                        .and_then(not_found(Entity::Account))?;
                    queries::insert_channel(conn, new, records::now()).await
                })
            })
            .await
    }

    async fn get_channel(&self, account: AccountId, id: ChannelId) -> Result<Channel> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::get_channel(&mut conn, account, id).await
    }

    async fn find_channel_by_phone_number_id(&self, pnid: &PhoneNumberId) -> Result<Channel> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::find_channel_by_pnid(&mut conn, pnid).await
    }

    async fn list_channels(
        &self,
        account: AccountId,
        page: &Page<ChannelId>,
    ) -> Result<Vec<Channel>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::list_channels(&mut conn, account, page).await
    }

    async fn update_channel(
        &self,
        account: AccountId,
        id: ChannelId,
        patch: &ChannelPatch,
    ) -> Result<Channel> {
        let patch = patch.clone();
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let mut channel = queries::get_channel(conn, account, id).await?;
                    channel.apply(&patch, records::now());
                    queries::update_channel(conn, &channel).await?;
                    Ok(channel)
                })
            })
            .await
    }

    async fn create_api_key(&self, new: NewApiKey) -> Result<ApiKey> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    queries::account_exists(conn, new.account_id)
                        .await
                        .and_then(not_found(Entity::Account))?;
                    queries::insert_api_key(conn, new, records::now()).await
                })
            })
            .await
    }

    async fn get_api_key(&self, account: AccountId, id: ApiKeyId) -> Result<ApiKey> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::get_api_key(&mut conn, account, id).await
    }

    async fn list_api_keys(
        &self,
        account: AccountId,
        page: &Page<ApiKeyId>,
    ) -> Result<Vec<ApiKey>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::list_api_keys(&mut conn, account, page).await
    }

    async fn revoke_api_key(&self, account: AccountId, id: ApiKeyId) -> Result<ApiKey> {
        self.writer
            .write(move |conn| {
                Box::pin(
                    async move { queries::revoke_api_key(conn, account, id, records::now()).await },
                )
            })
            .await
    }

    async fn authenticate(&self, digest: &ApiKeyDigest) -> Result<Option<ApiKey>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::authenticate(&mut conn, digest).await
    }

    async fn accept_outbound(&self, new: NewOutboundMessage) -> Result<Message> {
        self.acceptor.accept(new).await
    }

    async fn get_message(&self, account: AccountId, key: &MessageKey) -> Result<Message> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::get_message(&mut conn, account, key).await
    }

    async fn outbox_depth(&self, channel: ChannelId) -> Result<u64> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        queries::outbox_depth(&mut conn, channel).await
    }

    async fn list_messages(
        &self,
        account: AccountId,
        filter: &MessageFilter,
        page: &Page<MessageId>,
    ) -> Result<Vec<Message>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        dispatch::list_messages(&mut conn, account, filter, page).await
    }

    async fn lease_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxJob>> {
        let ids = self
            .writer
            .write(move |conn| {
                Box::pin(async move { dispatch::lease_outbox(conn, now, lease_until, limit).await })
            })
            .await?;
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        dispatch::outbox_jobs(&mut conn, &ids).await
    }

    async fn release_expired_leases(&self, now: Timestamp) -> Result<u64> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { dispatch::release_expired_leases(conn, now).await })
            })
            .await
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
        self.writer
            .write(move |conn| {
                Box::pin(async move { dispatch::renew_outbox(conn, &ids, held_until, until).await })
            })
            .await
    }

    async fn complete_dispatch(&self, outcomes: Vec<DispatchOutcome>) -> Result<()> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { dispatch::complete_dispatch(conn, outcomes).await })
            })
            .await
    }

    async fn apply_due_events(&self, now: Timestamp, limit: u32) -> Result<Vec<Applied>> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { dispatch::apply_due_events(conn, now, limit).await })
            })
            .await
    }

    async fn next_event_due(&self) -> Result<Option<Timestamp>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        dispatch::next_event_due(&mut conn).await
    }

    async fn ingest_inbound(&self, new: NewInboundMessage) -> Result<Message> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let wamid = new.wamid.to_string();
                    let message = dispatch::ingest_inbound(conn, new).await?.ok_or_else(|| {
                        StoreError::conflict(
                            wagate_store::Conflict::MessageId,
                            format!("message {wamid} exists"),
                        )
                    })?;
                    webhooks::emit_for_messages(conn, std::slice::from_ref(&message)).await?;
                    Ok(message)
                })
            })
            .await
    }

    async fn find_contact(&self, channel: ChannelId, key: &ContactKey) -> Result<Option<Contact>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        dispatch::find_contact(&mut conn, channel, key).await
    }

    async fn set_blocked(
        &self,
        channel: ChannelId,
        contacts: Vec<ContactId>,
        blocked_at: Option<Timestamp>,
    ) -> Result<()> {
        self.writer
            .write(move |conn| {
                Box::pin(
                    async move { dispatch::set_blocked(conn, channel, contacts, blocked_at).await },
                )
            })
            .await
    }

    async fn list_blocked(
        &self,
        channel: ChannelId,
        page: &Page<ContactId>,
    ) -> Result<Vec<Contact>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        dispatch::list_blocked(&mut conn, channel, page).await
    }

    async fn create_subscription(&self, new: Subscription) -> Result<Subscription> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { webhooks::insert_subscription(conn, new).await })
            })
            .await
    }

    async fn get_subscription(
        &self,
        account: AccountId,
        id: SubscriptionId,
    ) -> Result<Subscription> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        webhooks::get_subscription(&mut conn, account, id).await
    }

    async fn list_subscriptions(&self, account: AccountId) -> Result<Vec<Subscription>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        webhooks::list_subscriptions(&mut conn, account).await
    }

    async fn update_subscription(&self, s: Subscription) -> Result<Subscription> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { webhooks::update_subscription(conn, s).await })
            })
            .await
    }

    async fn delete_subscription(&self, account: AccountId, id: SubscriptionId) -> Result<()> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { webhooks::delete_subscription(conn, account, id).await })
            })
            .await
    }

    async fn record_events(&self, events: Vec<WebhookEvent>) -> Result<()> {
        self.writer
            .write(move |conn| Box::pin(async move { webhooks::emit(conn, &events).await }))
            .await
    }

    async fn due_subscriptions(&self, now: Timestamp, limit: u32) -> Result<Vec<Subscription>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        webhooks::due_subscriptions(&mut conn, now, limit).await
    }

    async fn lease_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<DeliveryJob>> {
        let candidates = {
            let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
            webhooks::lease_candidates(&mut conn, subscription, now, limit).await?
        };
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let seqs = self
            .writer
            .write(move |conn| {
                Box::pin(async move {
                    webhooks::lease_deliveries(conn, &candidates, now, lease_until).await
                })
            })
            .await?;
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        webhooks::jobs(&mut conn, &seqs).await
    }

    async fn complete_deliveries(&self, attempts: Vec<DeliveryAttempt>) -> Result<()> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { webhooks::complete_deliveries(conn, attempts).await })
            })
            .await
    }

    async fn release_deliveries(&self, ids: Vec<DeliveryId>) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.writer
            .write(move |conn| {
                Box::pin(async move { webhooks::release_deliveries(conn, &ids).await })
            })
            .await
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
        self.writer
            .write(move |conn| {
                Box::pin(
                    async move { webhooks::renew_deliveries(conn, &ids, held_until, until).await },
                )
            })
            .await
    }

    async fn expedite_deliveries(
        &self,
        subscription: SubscriptionId,
        now: Timestamp,
    ) -> Result<u64> {
        self.writer
            .write(move |conn| {
                Box::pin(
                    async move { webhooks::expedite_deliveries(conn, subscription, now).await },
                )
            })
            .await
    }

    async fn list_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        filter: &DeliveryFilter,
        page: &Page<DeliveryId>,
    ) -> Result<Vec<Delivery>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        webhooks::list_deliveries(&mut conn, account, subscription, filter, page).await
    }

    async fn message_deliveries(
        &self,
        account: AccountId,
        message: MessageId,
    ) -> Result<Vec<Delivery>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        webhooks::message_deliveries(&mut conn, account, message).await
    }

    async fn replay_deliveries(
        &self,
        account: AccountId,
        subscription: SubscriptionId,
        replay: Replay,
        now: Timestamp,
    ) -> Result<u64> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    webhooks::replay_deliveries(conn, account, subscription, replay, now).await
                })
            })
            .await
    }

    async fn delivery_backlog(&self) -> Result<Vec<(SubscriptionId, u64)>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        webhooks::delivery_backlog(&mut conn).await
    }

    async fn create_template(
        &self,
        template: Template,
        limits: TemplateLimits,
    ) -> std::result::Result<Template, CreateTemplateError> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { templates::create_template(conn, template, limits).await })
            })
            .await?
    }

    async fn get_template(&self, account: AccountId, id: &TemplateId) -> Result<Template> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        templates::get_template(&mut conn, account, id).await
    }

    async fn list_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
        page: &Page<TemplateId>,
    ) -> Result<Vec<Template>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        templates::list_templates(&mut conn, account, waba, filter, page).await
    }

    async fn count_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
    ) -> Result<u64> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        templates::count_templates(&mut conn, account, waba, filter).await
    }

    async fn update_template(
        &self,
        template: Template,
        events: Vec<WebhookEvent>,
    ) -> Result<Template> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let t = templates::update_template(conn, template).await?;
                    webhooks::emit(conn, &events).await?;
                    Ok(t)
                })
            })
            .await
    }

    async fn update_template_if(
        &self,
        template: Template,
        seen: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Template>> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let t = templates::update_template_if(conn, template, Some(seen)).await?;
                    if t.is_some() {
                        webhooks::emit(conn, &events).await?;
                    }
                    Ok(t)
                })
            })
            .await
    }

    async fn edit_template(
        &self,
        template: Template,
        per_day: u32,
        per_30_days: u32,
    ) -> Result<Option<Template>> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    templates::edit_template(conn, template, per_day, per_30_days).await
                })
            })
            .await
    }

    async fn pending_templates(&self, created_by: Timestamp, limit: u32) -> Result<Vec<Template>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        templates::pending_templates(&mut conn, created_by, limit).await
    }

    async fn paused_templates(&self, by: Timestamp, limit: u32) -> Result<Vec<Template>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        templates::paused_templates(&mut conn, by, limit).await
    }

    async fn delete_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        name: &TemplateName,
        id: Option<&TemplateId>,
        now: Timestamp,
    ) -> Result<Vec<TemplateId>> {
        let (waba, name, id) = (waba.clone(), name.clone(), id.cloned());
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    templates::delete_templates(conn, account, &waba, &name, id.as_ref(), now).await
                })
            })
            .await
    }

    async fn create_media(&self, m: Media) -> Result<Media> {
        self.writer
            .write(move |conn| Box::pin(async move { media::create_media(conn, m).await }))
            .await
    }

    async fn get_media(&self, account: AccountId, id: &MediaId) -> Result<Media> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        media::get_media(&mut conn, account, id).await
    }

    async fn delete_media(&self, account: AccountId, id: &MediaId, now: Timestamp) -> Result<()> {
        let id = id.clone();
        self.writer
            .write(move |conn| {
                Box::pin(async move { media::delete_media(conn, account, &id, now).await })
            })
            .await
    }

    async fn collect_media(&self, now: Timestamp, limit: u32) -> Result<Vec<String>> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { media::collect_media(conn, now, limit).await })
            })
            .await
    }

    async fn create_upload_session(&self, session: UploadSession) -> Result<UploadSession> {
        self.writer
            .write(move |conn| Box::pin(async move { uploads::create(conn, session).await }))
            .await
    }

    async fn get_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
    ) -> Result<UploadSession> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        uploads::get(&mut conn, account, id).await
    }

    async fn find_upload_handle(
        &self,
        account: AccountId,
        handle: &UploadHandle,
    ) -> Result<UploadSession> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        uploads::by_handle(&mut conn, account, handle).await
    }

    async fn advance_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
        from: u64,
        to: u64,
    ) -> Result<bool> {
        let id = id.clone();
        self.writer
            .write(move |conn| {
                Box::pin(async move { uploads::advance(conn, account, &id, from, to).await })
            })
            .await
    }

    async fn complete_upload_session(
        &self,
        account: AccountId,
        id: &UploadSessionId,
        done: &CompletedUpload,
        expires_at: Timestamp,
    ) -> Result<bool> {
        let (id, done) = (id.clone(), done.clone());
        self.writer
            .write(move |conn| {
                Box::pin(
                    async move { uploads::complete(conn, account, &id, &done, expires_at).await },
                )
            })
            .await
    }

    async fn delete_upload_session(&self, account: AccountId, id: &UploadSessionId) -> Result<()> {
        let id = id.clone();
        self.writer
            .write(move |conn| Box::pin(async move { uploads::delete(conn, account, &id).await }))
            .await
    }

    async fn collect_upload_sessions(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<UploadSessionId>> {
        self.writer
            .write(move |conn| Box::pin(async move { uploads::collect(conn, now, limit).await }))
            .await
    }

    async fn get_registration(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<Option<wagate_core::registration::Registration>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        registration::get(&mut conn, account, channel).await
    }

    async fn list_registrations(
        &self,
        account: AccountId,
        channels: &[ChannelId],
    ) -> Result<Vec<wagate_core::registration::Registration>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        registration::list(&mut conn, account, channels).await
    }

    async fn save_registration(
        &self,
        next: wagate_core::registration::Registration,
        seen: Option<u64>,
    ) -> Result<bool> {
        self.writer
            .write(move |conn| Box::pin(async move { registration::save(conn, next, seen).await }))
            .await
    }

    async fn create_qr_code(
        &self,
        qr: wagate_store::qr_codes::QrCode,
    ) -> Result<wagate_store::qr_codes::QrCode> {
        self.writer
            .write(move |conn| Box::pin(async move { qr_codes::create(conn, qr).await }))
            .await
    }

    async fn get_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<wagate_store::qr_codes::QrCode> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        qr_codes::get(&mut conn, account, channel, code).await
    }

    async fn find_qr_code(
        &self,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<wagate_store::qr_codes::QrCode> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        qr_codes::find(&mut conn, code).await
    }

    async fn list_qr_codes(
        &self,
        account: AccountId,
        channel: ChannelId,
        page: &Page<wagate_core::qr::QrCodeId>,
    ) -> Result<Vec<wagate_store::qr_codes::QrCode>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        qr_codes::list(&mut conn, account, channel, page).await
    }

    async fn update_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
        message: &wagate_core::qr::PrefilledMessage,
        at: Timestamp,
    ) -> Result<wagate_store::qr_codes::QrCode> {
        let (code, message) = (*code, message.clone());
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    qr_codes::update(conn, account, channel, &code, &message, at).await
                })
            })
            .await
    }

    async fn delete_qr_code(
        &self,
        account: AccountId,
        channel: ChannelId,
        code: &wagate_core::qr::QrCodeId,
    ) -> Result<()> {
        let code = *code;
        self.writer
            .write(move |conn| {
                Box::pin(async move { qr_codes::delete(conn, account, channel, &code).await })
            })
            .await
    }

    // Business profiles (see `wagate_store::profile`).

    async fn business_profile(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<wagate_store::profile::ProfileSettings> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        profile::get(&mut conn, account, channel).await
    }

    async fn update_business_profile(
        &self,
        write: wagate_store::profile::ProfileWrite,
    ) -> Result<(Channel, wagate_store::profile::ProfileSettings)> {
        self.writer
            .write(move |conn| Box::pin(async move { profile::update(conn, write).await }))
            .await
    }

    async fn update_commerce_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
        update: wagate_core::profile::CommerceUpdate,
        at: Timestamp,
    ) -> Result<wagate_store::profile::ProfileSettings> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    profile::update_commerce(conn, account, channel, update, at).await
                })
            })
            .await
    }

    async fn find_profile_picture(&self, id: &MediaId) -> Result<Media> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        profile::find_picture(&mut conn, id).await
    }

    async fn get_waba_subscription(
        &self,
        account: AccountId,
        waba: &WabaId,
    ) -> Result<Option<wagate_store::profile::WabaSubscription>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        profile::get_waba(&mut conn, account, waba).await
    }

    async fn put_waba_subscription(
        &self,
        sub: wagate_store::profile::WabaSubscription,
        remove: Vec<SubscriptionId>,
    ) -> Result<wagate_store::profile::WabaSubscription> {
        self.writer
            .write(move |conn| Box::pin(async move { profile::put_waba(conn, sub, remove).await }))
            .await
    }

    async fn delete_waba_subscription(
        &self,
        account: AccountId,
        waba: &WabaId,
    ) -> Result<Option<wagate_store::profile::WabaSubscription>> {
        let waba = waba.clone();
        self.writer
            .write(move |conn| {
                Box::pin(async move { profile::delete_waba(conn, account, &waba).await })
            })
            .await
    }

    // Phone number settings (see `wagate_store::phone_settings`).

    async fn phone_settings(
        &self,
        account: AccountId,
        channel: ChannelId,
    ) -> Result<wagate_store::phone_settings::PhoneSettings> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        phone_settings::get(&mut conn, account, channel).await
    }

    async fn update_phone_settings(
        &self,
        write: wagate_store::phone_settings::PhoneSettingsWrite,
    ) -> Result<wagate_store::phone_settings::PhoneSettings> {
        self.writer
            .write(move |conn| Box::pin(async move { phone_settings::update(conn, write).await }))
            .await
    }
    // Cloud upstream (see `upstream`).

    async fn find_message_by_upstream_id(
        &self,
        channel: ChannelId,
        upstream_id: &str,
    ) -> Result<Option<Message>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        upstream::find_message(&mut conn, channel, upstream_id).await
    }

    async fn upstream_id_of(
        &self,
        channel: ChannelId,
        wamid: &wagate_core::message::Wamid,
    ) -> Result<Option<String>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        upstream::upstream_id_of(&mut conn, channel, wamid).await
    }

    async fn record_network_events(
        &self,
        channel: ChannelId,
        events: Vec<wagate_core::network::NetworkEvent>,
    ) -> Result<()> {
        self.writer
            .write(move |conn| {
                Box::pin(
                    async move { upstream::record_network_events(conn, channel, events).await },
                )
            })
            .await
    }

    async fn cloud_channels(&self) -> Result<Vec<Channel>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        upstream::cloud_channels(&mut conn).await
    }

    // Changes of a number that webhooks report (see `phone_events`).

    async fn update_channel_if(
        &self,
        seen: &Channel,
        patch: &ChannelPatch,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>> {
        let (seen, patch) = (seen.clone(), patch.clone());
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    phone_events::update_channel_if(conn, &seen, &patch, &events).await
                })
            })
            .await
    }

    async fn save_registration_with(
        &self,
        next: wagate_core::registration::Registration,
        seen: Option<u64>,
        patch: Option<ChannelPatch>,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Channel>> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    phone_events::save_registration_with(conn, next, seen, patch.as_ref(), &events)
                        .await
                })
            })
            .await
    }

    // The audit log (see `audit`).

    async fn record_audit(&self, entry: wagate_core::audit::AuditEntry) -> Result<()> {
        self.writer
            .write(move |conn| Box::pin(async move { audit::record(conn, entry).await }))
            .await
    }

    async fn list_audit(
        &self,
        account: AccountId,
        filter: &wagate_core::audit::AuditFilter,
        page: &Page<wagate_core::ids::AuditEntryId>,
    ) -> Result<Vec<wagate_core::audit::AuditEntry>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        audit::list(&mut conn, account, filter, page).await
    }

    async fn reserve_idempotency_key(
        &self,
        reserve: wagate_store::idempotency::Reserve,
    ) -> Result<wagate_store::idempotency::Reservation> {
        self.writer
            .write(move |conn| Box::pin(async move { idempotency::reserve(conn, reserve).await }))
            .await
    }

    async fn complete_idempotency_key(
        &self,
        scope: &wagate_store::idempotency::KeyScope,
        holder: uuid::Uuid,
        answer: wagate_store::idempotency::StoredAnswer,
    ) -> Result<bool> {
        let scope = scope.clone();
        self.writer
            .write(move |conn| {
                Box::pin(async move { idempotency::complete(conn, &scope, holder, answer).await })
            })
            .await
    }

    async fn release_idempotency_key(
        &self,
        scope: &wagate_store::idempotency::KeyScope,
        holder: uuid::Uuid,
    ) -> Result<bool> {
        let scope = scope.clone();
        self.writer
            .write(move |conn| {
                Box::pin(async move { idempotency::release(conn, &scope, holder).await })
            })
            .await
    }

    async fn collect_idempotency_keys(&self, now: Timestamp, limit: u32) -> Result<u64> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { idempotency::collect(conn, now, limit).await })
            })
            .await
    }
}
