//! Who is calling. Produced by the HTTP auth extractor from an API key, or by the CLI for the
//! operator, and passed to every service call.

use wagate_core::api_key::{ApiKey, KeyChannels};
use wagate_core::ids::{AccountId, ApiKeyId, ChannelId};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account_id: AccountId,
    /// The key used, or `None` for the operator at the admin CLI.
    pub key_id: Option<ApiKeyId>,
    pub channels: KeyChannels,
    /// An admin key (or the operator): may mint admin keys and read the audit log.
    pub admin: bool,
    /// The channel whose WOZTELL secret signed the call (the WOZTELL dialect's signed
    /// context, which has no key): the audit log names it, as it names a key.
    pub signed_by: Option<ChannelId>,
}

impl Principal {
    pub fn from_key(key: &ApiKey) -> Self {
        Self {
            account_id: key.account_id,
            key_id: Some(key.id),
            channels: key.channels.clone(),
            admin: key.admin && key.channels.is_account_wide(),
            signed_by: None,
        }
    }

    /// The operator acting on one account from the admin CLI (full access to it).
    pub fn operator(account_id: AccountId) -> Self {
        Self {
            account_id,
            key_id: None,
            channels: KeyChannels::All,
            admin: true,
            signed_by: None,
        }
    }

    /// Minting admin keys and reading the audit log need an admin key.
    pub fn require_admin(&self) -> Result<()> {
        if self.admin {
            Ok(())
        } else {
            Err(Error::Forbidden("this needs an admin API key"))
        }
    }

    /// Managing channels and keys needs an account-wide key.
    pub fn require_account_wide(&self) -> Result<()> {
        if self.channels.is_account_wide() {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "this API key is limited to some channels; use an account-wide key",
            ))
        }
    }

    pub fn can_use(&self, channel: ChannelId) -> bool {
        self.channels.allows(channel)
    }
}

impl Principal {
    /// The channels a scoped key may see; `None` for an account-wide principal.
    pub fn channel_scope(&self) -> Option<Vec<ChannelId>> {
        match &self.channels {
            KeyChannels::All => None,
            KeyChannels::Only(ids) => Some(ids.clone()),
        }
    }
}
