//! [`AccountStore`] on PostgreSQL: accounts, API keys and the audit log (the SQL is in
//! `queries` and `audit`).

use async_trait::async_trait;
use wagate_core::account::{Account, NewAccount};
use wagate_core::api_key::{ApiKey, ApiKeyDigest, NewApiKey};
use wagate_core::ids::{AccountId, ApiKeyId};
use wagate_store::{AccountStore, Bootstrap, Bootstrapped, Page, Result, StoreError, records};

use crate::{PgStore, audit, commit, queries, require_account};

/// Advisory lock key held while bootstrapping ("wagate" in ASCII).
const BOOTSTRAP_LOCK: i64 = 0x7761_6761_7465;

#[async_trait]
impl AccountStore for PgStore {
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
}
