//! The audit log on PostgreSQL (see `wagate_store::audit`).

use sqlx::{PgConnection, Postgres, QueryBuilder};
use wagate_core::audit::{AuditEntry, AuditFilter};
use wagate_core::ids::{AccountId, AuditEntryId};
use wagate_store::audit::AuditRecord;
use wagate_store::{Entity, Page, Result, StoreError, audit_columns};

fn db(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::NotFound(Entity::Account)
        }
        e => StoreError::database(e),
    }
}

pub async fn record(conn: &mut PgConnection, entry: AuditEntry) -> Result<()> {
    let r = AuditRecord::from(&entry);
    sqlx::query(concat!(
        "INSERT INTO audit_log (",
        audit_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(r.id)
    .bind(r.account_id)
    .bind(r.at)
    .bind(r.key_id)
    .bind(&r.action)
    .bind(&r.target_type)
    .bind(&r.target_id)
    .bind(&r.summary)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn list(
    conn: &mut PgConnection,
    account: AccountId,
    filter: &AuditFilter,
    page: &Page<AuditEntryId>,
) -> Result<Vec<AuditEntry>> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(concat!(
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
    let rows: Vec<AuditRecord> = q.build_query_as().fetch_all(&mut *conn).await.map_err(db)?;
    rows.into_iter().map(AuditEntry::try_from).collect()
}
