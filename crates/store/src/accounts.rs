//! Accounts, API keys and the audit log as the store speaks them ([`AccountStore`]), and
//! what first start creates ([`Bootstrap`]).

use async_trait::async_trait;
use wagate_core::account::{Account, NewAccount};
use wagate_core::api_key::{ApiKey, ApiKeyDigest, NewApiKey};
use wagate_core::channel::{Channel, NewChannel};
use wagate_core::ids::{AccountId, ApiKeyId};

use crate::{Page, Result};

/// Accounts, their API keys and their audit log, and the first-start bootstrap that creates
/// the first of each. Part of [`Store`](crate::Store).
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Stores `init` in one transaction if, and only if, no account exists yet. Returns
    /// `None` when the database was already initialised, so a restart never bootstraps twice,
    /// even when two processes start at once.
    async fn bootstrap(&self, init: Bootstrap) -> Result<Option<Bootstrapped>>;

    async fn create_account(&self, new: NewAccount) -> Result<Account>;
    async fn get_account(&self, id: AccountId) -> Result<Account>;
    /// Sets the zone the account's reports read dates in.
    async fn set_account_timezone(
        &self,
        id: AccountId,
        timezone: wagate_core::contact::card::Timezone,
    ) -> Result<Account>;
    async fn list_accounts(&self, page: &Page<AccountId>) -> Result<Vec<Account>>;

    /// Fails with `NotFound(Channel)` when a scoped channel is not the account's.
    async fn create_api_key(&self, new: NewApiKey) -> Result<ApiKey>;
    async fn get_api_key(&self, account: AccountId, id: ApiKeyId) -> Result<ApiKey>;
    async fn list_api_keys(&self, account: AccountId, page: &Page<ApiKeyId>)
    -> Result<Vec<ApiKey>>;
    /// Marks the key revoked. Revoking a revoked key keeps its first `revoked_at`.
    async fn revoke_api_key(&self, account: AccountId, id: ApiKeyId) -> Result<ApiKey>;
    /// The active (not revoked) key with this digest, if any.
    async fn authenticate(&self, digest: &ApiKeyDigest) -> Result<Option<ApiKey>>;

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
}

/// What first start creates: an account, its sandbox channel and an account-wide key.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub account: NewAccount,
    pub channel: NewChannel,
    pub key: NewApiKey,
}

/// What [`AccountStore::bootstrap`] stored.
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    pub account: Account,
    pub channel: Channel,
    pub key: ApiKey,
}
