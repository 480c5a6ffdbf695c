//! API keys: create (the secret is returned once), list, revoke, and authenticate a presented
//! credential.

use wagate_core::api_key::{
    ApiKey, ApiKeyDigest, ApiKeySecret, KeyChannels, MAX_PRESENTED_LEN, NewApiKey,
};
use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};
use wagate_core::ids::ApiKeyId;
use wagate_core::text::KeyName;
use wagate_store::Page;

use crate::App;
use crate::Principal;
use crate::error::Result;

impl App {
    /// The principal behind a presented credential, or `None` when it is unknown or revoked
    /// (callers must not tell the two apart).
    pub async fn authenticate(&self, presented: &str) -> Result<Option<Principal>> {
        if presented.is_empty() || presented.len() > MAX_PRESENTED_LEN {
            return Ok(None);
        }
        let digest = ApiKeyDigest::of(presented);
        if let Some(key) = self.keys.get(&digest) {
            return Ok(Some(Principal::from_key(&key)));
        }
        let key = self.store.authenticate(&digest).await?;
        if let Some(key) = &key {
            self.keys.put(digest, key.clone());
        }
        Ok(key.as_ref().map(Principal::from_key))
    }

    /// Creates a key in the principal's account. Channel ids must be the account's.
    pub async fn create_api_key(
        &self,
        p: &Principal,
        name: KeyName,
        channels: KeyChannels,
    ) -> Result<(ApiKey, ApiKeySecret)> {
        p.require_account_wide()?;
        let channels = match channels {
            KeyChannels::All => KeyChannels::All,
            KeyChannels::Only(mut ids) => {
                ids.sort();
                ids.dedup();
                KeyChannels::Only(ids)
            }
        };
        let (new, secret) = NewApiKey::generate(p.account_id, name, channels);
        self.store_api_key(p, new, secret).await
    }

    /// Creates an admin key (always account-wide) in the principal's account. Only an admin
    /// key, or the operator, may: an account-wide key cannot raise itself to admin.
    pub async fn create_admin_api_key(
        &self,
        p: &Principal,
        name: KeyName,
    ) -> Result<(ApiKey, ApiKeySecret)> {
        p.require_account_wide()?;
        p.require_admin()?;
        let (new, secret) = NewApiKey::generate_admin(p.account_id, name);
        self.store_api_key(p, new, secret).await
    }

    async fn store_api_key(
        &self,
        p: &Principal,
        new: NewApiKey,
        secret: ApiKeySecret,
    ) -> Result<(ApiKey, ApiKeySecret)> {
        let key = self.store.create_api_key(new).await?;
        tracing::info!(api_key_id = %key.id, account_id = %key.account_id, admin = key.admin, "api key created");
        let scope = match &key.channels {
            KeyChannels::All if key.admin => "admin, every channel".to_owned(),
            KeyChannels::All => "every channel".to_owned(),
            KeyChannels::Only(ids) => format!("{} channel(s)", ids.len()),
        };
        self.audit(
            p,
            AuditAction::ApiKeyCreate,
            AuditTarget::new(TargetKind::ApiKey, key.id),
            AuditSummary::new(format!(
                "name {:?}, prefix {}, {scope}",
                key.name.as_str(),
                key.prefix
            )),
        )
        .await;
        Ok((key, secret))
    }

    pub async fn list_api_keys(&self, p: &Principal, page: &Page<ApiKeyId>) -> Result<Vec<ApiKey>> {
        p.require_account_wide()?;
        Ok(self.store.list_api_keys(p.account_id, page).await?)
    }

    pub async fn get_api_key(&self, p: &Principal, id: ApiKeyId) -> Result<ApiKey> {
        p.require_account_wide()?;
        Ok(self.store.get_api_key(p.account_id, id).await?)
    }

    /// Revokes a key; revoking an admin key needs an admin key.
    pub async fn revoke_api_key(&self, p: &Principal, id: ApiKeyId) -> Result<ApiKey> {
        p.require_account_wide()?;
        let before = self.store.get_api_key(p.account_id, id).await?;
        if before.admin {
            p.require_admin()?;
        }
        let key = self.store.revoke_api_key(p.account_id, id).await?;
        self.keys.clear();
        if !before.is_active() {
            return Ok(key);
        }
        tracing::info!(api_key_id = %key.id, account_id = %key.account_id, "api key revoked");
        self.audit(
            p,
            AuditAction::ApiKeyRevoke,
            AuditTarget::new(TargetKind::ApiKey, key.id),
            AuditSummary::new(format!(
                "name {:?}, prefix {}",
                key.name.as_str(),
                key.prefix
            )),
        )
        .await;
        Ok(key)
    }
}
