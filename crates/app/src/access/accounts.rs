//! Accounts (operator only: the admin CLI).

use wagate_core::account::{Account, NewAccount};
use wagate_core::ids::AccountId;
use wagate_core::text::AccountName;
use wagate_store::Page;

use crate::App;
use crate::error::Result;

impl App {
    pub async fn create_account(&self, name: AccountName) -> Result<Account> {
        Ok(self.store.create_account(NewAccount::new(name)).await?)
    }

    pub async fn list_accounts(&self, page: &Page<AccountId>) -> Result<Vec<Account>> {
        Ok(self.store.list_accounts(page).await?)
    }

    pub async fn get_account(&self, id: AccountId) -> Result<Account> {
        Ok(self.store.get_account(id).await?)
    }
}
