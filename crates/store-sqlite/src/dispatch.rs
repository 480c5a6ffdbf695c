//! `MessageStore` on SQLite: the statements are `wagate_store::sql::dispatch`'s; SQLite adds
//! its batched accept (`accept`) and has one writer, so it owns no dispatch lanes.

use async_trait::async_trait;
use wagate_core::message::{Message, NewOutboundMessage};
use wagate_store::Result;
use wagate_store::sql::dispatch::Dispatch;

use crate::SqliteStore;

#[async_trait]
impl Dispatch for SqliteStore {
    fn dispatch_node(&self) -> Option<&str> {
        None
    }

    async fn accept(&self, new: NewOutboundMessage) -> Result<Message> {
        self.acceptor.accept(new).await
    }
}

#[cfg(test)]
mod tests {
    use wagate_core::ids::MessageId;
    use wagate_core::message::MessageStatus;
    use wagate_core::network::StatusUpdate;
    use wagate_store::records::status_time_column;
    use wagate_store::sql::Dialect;
    use wagate_store::sql::dispatch::{
        Handed, on_whatsapp_statement, pricing_statement, sent_statement, status_statement,
    };

    use crate::plan_check::{assert_searches, plan_query, schema};

    /// Enough rows that SQLite weighs indexing the VALUES list against the table.
    const ROWS: usize = 300;

    #[tokio::test]
    async fn batched_status_changes_find_each_message_by_id() {
        let mut conn = schema().await;
        let at = wagate_store::records::now();
        let handed: Vec<Handed> = (0..ROWS)
            .map(|_| Handed {
                message_id: MessageId::generate(),
                at,
                pricing: None,
                conversation: None,
                followups: Vec::new(),
                upstream_id: None,
            })
            .collect();
        let q = sent_statement(Dialect::Sqlite, &handed);
        assert_searches(&plan_query(&mut conn, &q).await, "messages");

        let updates: Vec<(usize, StatusUpdate)> = (0..ROWS)
            .map(|i| {
                (
                    i,
                    StatusUpdate {
                        message_id: MessageId::generate(),
                        status: MessageStatus::Delivered,
                        at,
                        error: None,
                        pricing: None,
                        conversation: None,
                    },
                )
            })
            .collect();
        let refs: Vec<&(usize, StatusUpdate)> = updates.iter().collect();
        let reports: Vec<&StatusUpdate> = updates.iter().map(|(_, u)| u).collect();
        let q = pricing_statement(Dialect::Sqlite, &reports);
        assert_searches(&plan_query(&mut conn, &q).await, "messages");
        for status in [MessageStatus::Delivered, MessageStatus::Read] {
            let column = status_time_column(status).expect("a progress status");
            let q = status_statement(Dialect::Sqlite, status, column, &refs);
            assert_searches(&plan_query(&mut conn, &q).await, "messages");
        }
    }

    #[tokio::test]
    async fn delivery_statuses_find_each_card_by_number() {
        let mut conn = schema().await;
        let numbers: Vec<String> = (0..ROWS).map(|i| format!("1555{i:07}")).collect();
        let refs: Vec<&str> = numbers.iter().map(String::as_str).collect();
        let account = uuid::Uuid::now_v7();
        let q = on_whatsapp_statement(account, &refs, true, None);
        assert_searches(&plan_query(&mut conn, &q).await, "contact_cards");
        let q = on_whatsapp_statement(account, &refs[..1], false, Some(uuid::Uuid::now_v7()));
        let plan = plan_query(&mut conn, &q).await;
        assert_searches(&plan, "contact_cards");
        assert_searches(&plan, "c"); // contacts AS c: the chat, by its unique index
    }
}

#[cfg(test)]
mod report_plans {
    use wagate_store::sql::reports::{counters_statement, history_statement};

    use crate::plan_check::{assert_searches, plan_query, schema};

    #[tokio::test]
    async fn status_history_and_numbers_find_their_rows_by_key() {
        let mut conn = schema().await;
        let ids: Vec<uuid::Uuid> = (0..300).map(|_| uuid::Uuid::now_v7()).collect();
        assert_searches(
            &plan_query(&mut conn, &history_statement(&ids)).await,
            "messages",
        );
        let counts: Vec<(uuid::Uuid, i64)> = ids.iter().take(50).map(|id| (*id, 3)).collect();
        let plan = plan_query(&mut conn, &counters_statement(&counts)).await;
        assert!(
            plan.iter()
                .all(|step| !step.starts_with("SCAN channel_counters")),
            "{plan:?}"
        );
    }
}
