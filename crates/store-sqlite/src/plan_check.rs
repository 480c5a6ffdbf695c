//! Test support: the plan SQLite picks for a statement. The batched statements of the busy
//! paths must find their rows by index; a plan that scans a table growing with traffic costs
//! more with every message ever sent, which no functional test notices.
//!
//! Without table statistics (wagate never runs `ANALYZE`), the plan depends on the schema
//! alone, so an empty in-memory database with every migration shows the plan a busy file
//! gets.

use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection};
use wagate_store::sql::Query;

/// A fresh in-memory database with every migration applied.
pub async fn schema() -> SqliteConnection {
    let mut conn = SqliteConnection::connect("sqlite::memory:")
        .await
        .expect("in-memory database");
    crate::MIGRATOR
        .run_direct(None, &mut conn, false)
        .await
        .expect("migrations apply");
    conn
}

/// `EXPLAIN QUERY PLAN` of `q`'s statement (its parameters bound to NULL): one line per
/// step, such as `SEARCH messages USING INDEX … (id=?)`.
pub async fn plan(conn: &mut SqliteConnection, q: &QueryBuilder<Sqlite>) -> Vec<String> {
    let sql = q.sql();
    let params = sql.as_str().matches('?').count();
    let explain = format!("EXPLAIN QUERY PLAN {}", sql.as_str());
    let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(explain));
    for _ in 0..params {
        query = query.bind(Option::<i64>::None);
    }
    query
        .fetch_all(conn)
        .await
        .expect("the statement prepares")
        .into_iter()
        .map(|(_, _, _, step)| step)
        .collect()
}

/// [`plan`] of a shared statement (`wagate_store::sql`), its `$n` parameters bound to NULL.
pub async fn plan_query(conn: &mut SqliteConnection, q: &Query) -> Vec<String> {
    let explain = format!("EXPLAIN QUERY PLAN {}", q.sql());
    let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(explain));
    for _ in 0..q.bound() {
        query = query.bind(Option::<i64>::None);
    }
    query
        .fetch_all(conn)
        .await
        .expect("the statement prepares")
        .into_iter()
        .map(|(_, _, _, step)| step)
        .collect()
}

/// Asserts that `plan` looks `table` up by an index and never scans it.
pub fn assert_searches(plan: &[String], table: &str) {
    assert!(
        plan.iter()
            .any(|s| s.starts_with(&format!("SEARCH {table} USING "))),
        "{table} is not looked up by index: {plan:?}"
    );
    assert!(
        !plan.iter().any(|s| s.starts_with(&format!("SCAN {table}"))),
        "{table} is scanned: {plan:?}"
    );
}
