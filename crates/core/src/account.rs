//! Accounts: the customers of the gateway. An account owns channels, API keys and (later)
//! contacts, templates and its wallet. Every query below the HTTP edge is scoped by account,
//! so another account's ids behave exactly like ids that do not exist.

use serde::Serialize;

use crate::Timestamp;
use crate::contact::card::Timezone;
use crate::ids::AccountId;
use crate::text::AccountName;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub name: AccountName,
    pub created_at: Timestamp,
    /// The IANA zone the account's reports read dates in (`UTC` unless set).
    pub timezone: Timezone,
}

/// Command: create an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: AccountId,
    pub name: AccountName,
}

impl NewAccount {
    pub fn new(name: AccountName) -> Self {
        Self {
            id: AccountId::generate(),
            name,
        }
    }
}
