//! `MessageStore` on PostgreSQL: the statements are `wagate_store::sql::dispatch`'s; several
//! nodes share the database, so this store claims dispatch lanes under its node name.

use wagate_store::sql::dispatch::Dispatch;

use crate::PgStore;

impl Dispatch for PgStore {
    fn dispatch_node(&self) -> Option<&str> {
        Some(&self.node)
    }
}
