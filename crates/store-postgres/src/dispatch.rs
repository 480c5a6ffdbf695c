//! `MessageStore` on PostgreSQL: the statements are `wagate_store::sql::dispatch`'s; several
//! nodes share the database, so this store claims dispatch lanes under its node name.

use sqlx::PgConnection;
use wagate_core::message::Message;
use wagate_store::sql::Work;
use wagate_store::sql::dispatch::Dispatch;

use crate::{PgStore, webhooks};

impl Dispatch for PgStore {
    fn dispatch_node(&self) -> Option<&str> {
        Some(&self.node)
    }

    fn emit_for_messages<'c>(c: &'c mut PgConnection, messages: &'c [Message]) -> Work<'c, ()> {
        Box::pin(webhooks::emit_for_messages(c, messages))
    }
}
