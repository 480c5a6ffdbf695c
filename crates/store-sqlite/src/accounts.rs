//! [`AccountStore`] on SQLite: accounts, API keys and the audit log (the SQL is in
//! `queries` and `audit`).

use async_trait::async_trait;
use wagate_core::account::{Account, NewAccount};
use wagate_core::api_key::{ApiKey, ApiKeyDigest, NewApiKey};
use wagate_core::ids::{AccountId, ApiKeyId};
use wagate_store::{
    AccountStore, Bootstrap, Bootstrapped, Entity, Page, Result, StoreError, records,
};

use crate::{SqliteStore, audit, not_found, queries};

#[async_trait]
impl AccountStore for SqliteStore {
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
}
