//! Accounts, API keys and the audit log: their statements, and [`AccountStore`] for every
//! [`Backend`].

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::account::{Account, NewAccount};
use wagate_core::api_key::{ApiKey, ApiKeyDigest, NewApiKey};
use wagate_core::audit::{AuditEntry, AuditFilter};
use wagate_core::contact::card::Timezone;
use wagate_core::ids::{AccountId, ApiKeyId, AuditEntryId};

use super::{Backend, Conn, Dialect, channels, is_foreign_key_violation, query};
use crate::audit::AuditRecord;
use crate::records::{AccountRecord, ApiKeyRecord, channel_ids_column, millis};
use crate::{
    AccountStore, Bootstrap, Bootstrapped, Entity, Page, Result, StoreError, account_columns,
    api_key_columns, audit_columns,
};

/// PostgreSQL advisory lock key held while bootstrapping ("wagate" in ASCII): two nodes
/// starting at once on an empty database create one account, not two. (SQLite has one
/// writer, so the check and the inserts cannot interleave.)
const BOOTSTRAP_LOCK: i64 = 0x7761_6761_7465;

#[async_trait]
impl<B: Backend> AccountStore for B {
    async fn bootstrap(&self, init: Bootstrap) -> Result<Option<Bootstrapped>> {
        let now = self.now();
        self.write(move |c| {
            Box::pin(async move {
                if c.dialect() == Dialect::Postgres {
                    c.execute(query("SELECT pg_advisory_xact_lock($1)").bind(BOOTSTRAP_LOCK))
                        .await?;
                }
                if any_account(c).await? {
                    return Ok(None);
                }
                let account = insert_account(c, init.account, now).await?;
                let channel = channels::insert_channel(c, init.channel, now).await?;
                let key = insert_api_key(c, init.key, now).await?;
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
        let now = self.now();
        self.write(move |c| Box::pin(insert_account(c, new, now)))
            .await
    }

    async fn get_account(&self, id: AccountId) -> Result<Account> {
        self.read(move |c| Box::pin(get_account(c, id))).await
    }

    async fn set_account_timezone(&self, id: AccountId, timezone: Timezone) -> Result<Account> {
        self.write(move |c| {
            Box::pin(async move {
                let n = c
                    .execute(
                        query("UPDATE accounts SET timezone = $1 WHERE id = $2")
                            .bind(timezone.as_str())
                            .bind(id.as_uuid()),
                    )
                    .await?;
                if n == 0 {
                    return Err(StoreError::NotFound(Entity::Account));
                }
                get_account(c, id).await
            })
        })
        .await
    }

    async fn list_accounts(&self, page: &Page<AccountId>) -> Result<Vec<Account>> {
        let page = page.clone();
        self.read(move |c| Box::pin(async move { list_accounts(c, &page).await }))
            .await
    }

    async fn create_api_key(&self, new: NewApiKey) -> Result<ApiKey> {
        let now = self.now();
        self.write(move |c| {
            Box::pin(async move {
                require_account(c, new.account_id).await?;
                insert_api_key(c, new, now).await
            })
        })
        .await
    }

    async fn get_api_key(&self, account: AccountId, id: ApiKeyId) -> Result<ApiKey> {
        self.read(move |c| Box::pin(get_api_key(c, account, id)))
            .await
    }

    async fn list_api_keys(
        &self,
        account: AccountId,
        page: &Page<ApiKeyId>,
    ) -> Result<Vec<ApiKey>> {
        let page = page.clone();
        self.read(move |c| Box::pin(async move { list_api_keys(c, account, &page).await }))
            .await
    }

    async fn revoke_api_key(&self, account: AccountId, id: ApiKeyId) -> Result<ApiKey> {
        let now = self.now();
        self.write(move |c| Box::pin(revoke_api_key(c, account, id, now)))
            .await
    }

    async fn authenticate(&self, digest: &ApiKeyDigest) -> Result<Option<ApiKey>> {
        let digest = digest.as_bytes().to_vec();
        self.read(move |c| Box::pin(authenticate(c, digest))).await
    }

    async fn record_audit(&self, entry: AuditEntry) -> Result<()> {
        self.write(move |c| Box::pin(record_audit(c, entry))).await
    }

    async fn list_audit(
        &self,
        account: AccountId,
        filter: &AuditFilter,
        page: &Page<AuditEntryId>,
    ) -> Result<Vec<AuditEntry>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.read(move |c| Box::pin(async move { list_audit(c, account, &filter, &page).await }))
            .await
    }
}

pub async fn any_account<C: Conn>(c: &mut C) -> Result<bool> {
    let found = c
        .scalar::<bool>(query("SELECT EXISTS (SELECT 1 FROM accounts)"))
        .await?;
    Ok(found.unwrap_or(false))
}

/// `NotFound(Account)` unless the account exists.
pub async fn require_account<C: Conn>(c: &mut C, id: AccountId) -> Result<()> {
    c.scalar::<bool>(query("SELECT TRUE FROM accounts WHERE id = $1").bind(id.as_uuid()))
        .await?
        .map(|_| ())
        .ok_or(StoreError::NotFound(Entity::Account))
}

pub async fn insert_account<C: Conn>(
    c: &mut C,
    new: NewAccount,
    now: Timestamp,
) -> Result<Account> {
    let account = Account {
        id: new.id,
        name: new.name,
        created_at: now,
        timezone: wagate_core::contact::card::Timezone::utc(),
    };
    c.execute(
        query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(account.id.as_uuid())
            .bind(account.name.as_str())
            .bind(millis(now)),
    )
    .await?;
    Ok(account)
}

pub async fn get_account<C: Conn>(c: &mut C, id: AccountId) -> Result<Account> {
    c.fetch_optional::<AccountRecord>(
        query(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = $1"
        ))
        .bind(id.as_uuid()),
    )
    .await?
    .ok_or(StoreError::NotFound(Entity::Account))?
    .try_into()
}

pub async fn list_accounts<C: Conn>(c: &mut C, page: &Page<AccountId>) -> Result<Vec<Account>> {
    c.fetch_all::<AccountRecord>(
        query(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2"
        ))
        .bind(page.after.map(|a| a.as_uuid()))
        .bind(page.sql_limit()),
    )
    .await?
    .into_iter()
    .map(Account::try_from)
    .collect()
}

pub async fn insert_api_key<C: Conn>(c: &mut C, new: NewApiKey, now: Timestamp) -> Result<ApiKey> {
    if let Some(ids) = new.channels.as_list() {
        for id in ids {
            channels::require_channel(c, new.account_id, *id).await?;
        }
    }
    c.execute(
        query(
            "INSERT INTO api_keys (id, account_id, name, prefix, digest, channel_ids, admin, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new.id.as_uuid())
        .bind(new.account_id.as_uuid())
        .bind(new.name.as_str())
        .bind(&new.prefix)
        .bind(&new.digest.as_bytes()[..])
        .bind(channel_ids_column(&new.channels))
        .bind(new.admin)
        .bind(millis(now)),
    )
    .await?;
    Ok(ApiKey {
        id: new.id,
        account_id: new.account_id,
        name: new.name,
        prefix: new.prefix,
        channels: new.channels,
        admin: new.admin,
        created_at: now,
        revoked_at: None,
    })
}

pub async fn get_api_key<C: Conn>(c: &mut C, account: AccountId, id: ApiKeyId) -> Result<ApiKey> {
    c.fetch_optional::<ApiKeyRecord>(
        query(concat!(
            "SELECT ",
            api_key_columns!(),
            " FROM api_keys WHERE account_id = $1 AND id = $2"
        ))
        .bind(account.as_uuid())
        .bind(id.as_uuid()),
    )
    .await?
    .ok_or(StoreError::NotFound(Entity::ApiKey))?
    .try_into()
}

pub async fn list_api_keys<C: Conn>(
    c: &mut C,
    account: AccountId,
    page: &Page<ApiKeyId>,
) -> Result<Vec<ApiKey>> {
    c.fetch_all::<ApiKeyRecord>(
        query(concat!(
            "SELECT ",
            api_key_columns!(),
            " FROM api_keys WHERE account_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
        ))
        .bind(account.as_uuid())
        .bind(page.after.map(|a| a.as_uuid()))
        .bind(page.sql_limit()),
    )
    .await?
    .into_iter()
    .map(ApiKey::try_from)
    .collect()
}

pub async fn revoke_api_key<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: ApiKeyId,
    now: Timestamp,
) -> Result<ApiKey> {
    c.fetch_optional::<ApiKeyRecord>(
        query(concat!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) \
             WHERE account_id = $2 AND id = $3 RETURNING ",
            api_key_columns!()
        ))
        .bind(millis(now))
        .bind(account.as_uuid())
        .bind(id.as_uuid()),
    )
    .await?
    .ok_or(StoreError::NotFound(Entity::ApiKey))?
    .try_into()
}

pub async fn authenticate<C: Conn>(c: &mut C, digest: Vec<u8>) -> Result<Option<ApiKey>> {
    c.fetch_optional::<ApiKeyRecord>(
        query(concat!(
            "SELECT ",
            api_key_columns!(),
            " FROM api_keys WHERE digest = $1 AND revoked_at IS NULL"
        ))
        .bind(digest),
    )
    .await?
    .map(ApiKey::try_from)
    .transpose()
}

pub async fn record_audit<C: Conn>(c: &mut C, entry: AuditEntry) -> Result<()> {
    let r = AuditRecord::from(&entry);
    c.execute(
        query(concat!(
            "INSERT INTO audit_log (",
            audit_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(r.id)
        .bind(r.account_id)
        .bind(r.at)
        .bind(r.key_id)
        .bind(r.action)
        .bind(r.target_type)
        .bind(r.target_id)
        .bind(r.summary),
    )
    .await
    .map_err(|e| {
        if is_foreign_key_violation(&e) {
            StoreError::NotFound(Entity::Account)
        } else {
            e
        }
    })?;
    Ok(())
}

pub async fn list_audit<C: Conn>(
    c: &mut C,
    account: AccountId,
    filter: &AuditFilter,
    page: &Page<AuditEntryId>,
) -> Result<Vec<AuditEntry>> {
    let mut q = query(concat!(
        "SELECT ",
        audit_columns!(),
        " FROM audit_log WHERE account_id = "
    ));
    q.push_bind(account.as_uuid());
    if let Some(after) = page.after {
        q.push(" AND id < ").push_bind(after.as_uuid());
    }
    if let Some(a) = filter.action {
        q.push(" AND action = ").push_bind(a.as_str());
    }
    if let Some(k) = filter.key_id {
        q.push(" AND key_id = ").push_bind(k.as_uuid());
    }
    if let Some(t) = filter.since {
        q.push(" AND at >= ").push_bind(t.as_millisecond());
    }
    if let Some(t) = filter.until {
        q.push(" AND at < ").push_bind(t.as_millisecond());
    }
    q.push(" ORDER BY id DESC LIMIT ")
        .push_bind(page.sql_limit());
    c.fetch_all::<AuditRecord>(q)
        .await?
        .into_iter()
        .map(AuditEntry::try_from)
        .collect()
}
