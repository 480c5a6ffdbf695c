//! Imports into the contact book: [`ContactImportStore`] for every [`Backend`].
//!
//! A batch is written with multi-row statements (one upsert of the cards, one insert of
//! their tags, one of the errors) so an import costs a few statements per hundreds of rows,
//! not several per row; the merge of a row onto an existing card is the core's
//! [`upsert`] rule.

use std::collections::HashMap;

use async_trait::async_trait;
use uuid::Uuid;
use wagate_core::contact::card::ContactCard;
use wagate_core::contact::import::{ContactImport, ImportStatus, RowError, upsert};
use wagate_core::ids::{AccountId, ContactCardId, ContactImportId};

use super::contact_cards::{page_query, push_card_row, with_tags};
use super::{Backend, Conn, Dialect, Query, query};
use crate::contact_cards::ContactCardRecord;
use crate::contact_imports::{
    ContactImportRecord, ContactImportStore, ImportBatch, ImportLease, RowErrorRecord,
};
use crate::records::millis;
use crate::{
    Conflict, ContactCardFilter, Entity, Page, Result, StoreError, contact_card_columns,
    contact_import_columns,
};

/// Rows per multi-row statement. SQLite's binding looks each parameter up by walking the
/// statement's list of them (quadratic in their number), so its statements stay small;
/// PostgreSQL takes hundreds of rows at once.
fn chunk(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Sqlite => 32,
        Dialect::Postgres => 500,
    }
}

#[async_trait]
impl<B: Backend> ContactImportStore for B {
    async fn create_import(&self, import: ContactImport) -> Result<ContactImport> {
        self.write(move |c| {
            Box::pin(async move {
                let r = ContactImportRecord::from(&import);
                c.execute(
                    query(concat!(
                        "INSERT INTO contact_imports (",
                        contact_import_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                         $15, $16, $17, $18, $19)"
                    ))
                    .bind(r.id)
                    .bind(r.account_id)
                    .bind(r.format)
                    .bind(r.file_name)
                    .bind(r.file_sha256)
                    .bind(r.file_size)
                    .bind(r.blob_key)
                    .bind(r.options)
                    .bind(r.status)
                    .bind(r.failure)
                    .bind(r.rows_read)
                    .bind(r.created)
                    .bind(r.updated)
                    .bind(r.failed)
                    .bind(r.lease_owner)
                    .bind(r.lease_until)
                    .bind(r.created_at)
                    .bind(r.updated_at)
                    .bind(r.finished_at),
                )
                .await?;
                Ok(import)
            })
        })
        .await
    }

    async fn get_import(&self, account: AccountId, id: ContactImportId) -> Result<ContactImport> {
        self.read(move |c| Box::pin(async move { get(c, Some(account), id, false).await }))
            .await
    }

    async fn list_imports(
        &self,
        account: AccountId,
        page: &Page<ContactImportId>,
    ) -> Result<Vec<ContactImport>> {
        let page = page.clone();
        self.read(move |c| {
            Box::pin(async move {
                let mut q = query(concat!(
                    "SELECT ",
                    contact_import_columns!(),
                    " FROM contact_imports WHERE account_id = "
                ));
                q.push_bind(account.as_uuid());
                if let Some(before) = page.after {
                    q.push(" AND id < ").push_bind(before.as_uuid());
                }
                q.push(" ORDER BY id DESC LIMIT ")
                    .push_bind(page.sql_limit());
                c.fetch_all::<ContactImportRecord>(q)
                    .await?
                    .into_iter()
                    .map(ContactImport::try_from)
                    .collect()
            })
        })
        .await
    }

    async fn claim_import(&self, lease: &ImportLease) -> Result<Option<ContactImport>> {
        let lease = lease.clone();
        self.write(move |c| {
            Box::pin(async move {
                let mut q = query(
                    "SELECT id FROM contact_imports WHERE status IN ('queued', 'running') \
                     AND blob_key IS NOT NULL AND (status = 'queued' OR lease_until < $1 \
                     OR lease_owner = $2) ORDER BY created_at LIMIT 1",
                )
                .bind(millis(lease.now))
                .bind(lease.owner.clone());
                q.push(c.dialect().for_update());
                let Some(id) = c.scalar::<Uuid>(q).await? else {
                    return Ok(None);
                };
                let id = ContactImportId::from_uuid(id);
                set_lease(c, id, &lease).await?;
                get(c, None, id, false).await.map(Some)
            })
        })
        .await
    }

    async fn take_import(
        &self,
        account: AccountId,
        id: ContactImportId,
        lease: &ImportLease,
        force: bool,
    ) -> Result<ContactImport> {
        let lease = lease.clone();
        self.write(move |c| {
            Box::pin(async move {
                let import = get(c, Some(account), id, true).await?;
                if import.status.is_finished() {
                    return Ok(import);
                }
                let held = import
                    .lease_owner
                    .as_deref()
                    .is_some_and(|o| o != lease.owner)
                    && import.lease_until.is_some_and(|u| u > lease.now);
                if held && !force {
                    return Err(leased());
                }
                set_lease(c, id, &lease).await?;
                get(c, None, id, false).await
            })
        })
        .await
    }

    async fn import_batch(
        &self,
        id: ContactImportId,
        lease: &ImportLease,
        batch: ImportBatch,
    ) -> Result<ContactImport> {
        let lease = lease.clone();
        self.write(move |c| {
            Box::pin(async move {
                let import = held(c, id, &lease).await?;
                let outcome =
                    write_rows(c, &import, &lease, batch.rows, &batch.tags_column).await?;
                let mut errors = batch.errors;
                errors.extend(outcome.errors);
                insert_errors(c, id, &errors).await?;
                c.execute(
                    query(
                        "UPDATE contact_imports SET rows_read = $1, created = created + $2, \
                         updated = updated + $3, failed = failed + $4, lease_until = $5, \
                         updated_at = $6 WHERE id = $7",
                    )
                    .bind(i64::try_from(batch.rows_read).unwrap_or(i64::MAX))
                    .bind(outcome.created)
                    .bind(outcome.updated)
                    .bind(i64::try_from(errors.len()).unwrap_or(i64::MAX))
                    .bind(millis(lease.until))
                    .bind(millis(lease.now))
                    .bind(id.as_uuid()),
                )
                .await?;
                get(c, None, id, false).await
            })
        })
        .await
    }

    async fn finish_import(
        &self,
        id: ContactImportId,
        lease: &ImportLease,
        failure: Option<String>,
    ) -> Result<ContactImport> {
        let lease = lease.clone();
        self.write(move |c| {
            Box::pin(async move {
                held(c, id, &lease).await?;
                let status = if failure.is_some() {
                    ImportStatus::Failed
                } else {
                    ImportStatus::Completed
                };
                c.execute(
                    query(
                        "UPDATE contact_imports SET status = $1, failure = $2, \
                         lease_owner = NULL, lease_until = NULL, updated_at = $3, \
                         finished_at = $3 WHERE id = $4",
                    )
                    .bind(status.as_str())
                    .bind(failure)
                    .bind(millis(lease.now))
                    .bind(id.as_uuid()),
                )
                .await?;
                get(c, None, id, false).await
            })
        })
        .await
    }

    async fn export_cards(
        &self,
        account: AccountId,
        filter: &ContactCardFilter,
        after: Option<ContactCardId>,
        limit: u32,
    ) -> Result<Vec<ContactCard>> {
        let filter = filter.clone();
        self.read(move |c| {
            Box::pin(async move {
                let q = page_query(c.dialect(), account, &filter, after, i64::from(limit));
                let rows = c.fetch_all::<ContactCardRecord>(q).await?;
                with_tags(c, rows).await
            })
        })
        .await
    }

    async fn attribute_keys(&self, account: AccountId) -> Result<Vec<String>> {
        self.read(move |c| {
            Box::pin(async move {
                let sql = match c.dialect() {
                    Dialect::Sqlite => {
                        "SELECT DISTINCT j.key FROM contact_cards AS k, json_each(k.attributes) \
                         AS j WHERE k.account_id = $1 ORDER BY 1"
                    }
                    Dialect::Postgres => {
                        "SELECT DISTINCT jsonb_object_keys(attributes) FROM contact_cards \
                         WHERE account_id = $1 ORDER BY 1"
                    }
                };
                let keys = c
                    .fetch_all::<(String,)>(query(sql).bind(account.as_uuid()))
                    .await?;
                Ok(keys.into_iter().map(|(k,)| k).collect())
            })
        })
        .await
    }

    async fn import_errors(
        &self,
        account: AccountId,
        id: ContactImportId,
        after_row: u64,
        limit: u32,
    ) -> Result<Vec<RowError>> {
        self.read(move |c| {
            Box::pin(async move {
                get(c, Some(account), id, false).await?;
                let rows = c
                    .fetch_all::<RowErrorRecord>(
                        query(
                            "SELECT row_number, column_name, reason FROM contact_import_errors \
                             WHERE import_id = $1 AND row_number > $2 ORDER BY row_number \
                             LIMIT $3",
                        )
                        .bind(id.as_uuid())
                        .bind(i64::try_from(after_row).unwrap_or(i64::MAX))
                        .bind(i64::from(limit)),
                    )
                    .await?;
                Ok(rows.into_iter().map(RowError::from).collect())
            })
        })
        .await
    }
}

fn leased() -> StoreError {
    StoreError::conflict(
        Conflict::ImportLeased,
        "another process is running this import",
    )
}

async fn get<C: Conn>(
    c: &mut C,
    account: Option<AccountId>,
    id: ContactImportId,
    for_update: bool,
) -> Result<ContactImport> {
    let mut q = query(concat!(
        "SELECT ",
        contact_import_columns!(),
        " FROM contact_imports WHERE id = "
    ));
    q.push_bind(id.as_uuid());
    if let Some(account) = account {
        q.push(" AND account_id = ").push_bind(account.as_uuid());
    }
    if for_update {
        q.push(c.dialect().for_update());
    }
    c.fetch_optional::<ContactImportRecord>(q)
        .await?
        .ok_or(StoreError::NotFound(Entity::ContactImport))?
        .try_into()
}

/// The import, when `lease.owner` runs it (locked for the rest of the transaction).
async fn held<C: Conn>(
    c: &mut C,
    id: ContactImportId,
    lease: &ImportLease,
) -> Result<ContactImport> {
    let import = get(c, None, id, true).await?;
    if import.status != ImportStatus::Running
        || import.lease_owner.as_deref() != Some(lease.owner.as_str())
    {
        return Err(leased());
    }
    Ok(import)
}

async fn set_lease<C: Conn>(c: &mut C, id: ContactImportId, lease: &ImportLease) -> Result<()> {
    c.execute(
        query(
            "UPDATE contact_imports SET status = 'running', lease_owner = $1, lease_until = $2, \
             updated_at = $3 WHERE id = $4",
        )
        .bind(lease.owner.clone())
        .bind(millis(lease.until))
        .bind(millis(lease.now))
        .bind(id.as_uuid()),
    )
    .await?;
    Ok(())
}

struct Outcome {
    created: i64,
    updated: i64,
    errors: Vec<RowError>,
}

/// Upserts the rows' cards and adds their tags; rows the store refuses become errors.
async fn write_rows<C: Conn>(
    c: &mut C,
    import: &ContactImport,
    lease: &ImportLease,
    rows: Vec<wagate_core::contact::import::ImportRow>,
    tags_column: &str,
) -> Result<Outcome> {
    let account = import.account_id;
    let mut out = Outcome {
        created: 0,
        updated: 0,
        errors: Vec::new(),
    };
    if rows.is_empty() {
        return Ok(out);
    }
    let tags: HashMap<String, Uuid> = c
        .fetch_all::<(Uuid, String)>(
            query("SELECT id, name_key FROM tags WHERE account_id = $1").bind(account.as_uuid()),
        )
        .await?
        .into_iter()
        .map(|(id, key)| (key, id))
        .collect();
    for chunk in rows.chunks(chunk(c.dialect())) {
        let mut q = query(concat!(
            "SELECT ",
            contact_card_columns!(),
            " FROM contact_cards WHERE account_id = "
        ));
        q.push_bind(account.as_uuid()).push(" AND wa_id IN (");
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push_bind(row.wa_id.as_ref().map(|w| w.digits().to_owned()));
        }
        q.push(")");
        q.push(c.dialect().for_update());
        let mut existing: HashMap<String, ContactCardRecord> = c
            .fetch_all::<ContactCardRecord>(q)
            .await?
            .into_iter()
            .map(|r| (r.wa_id.clone(), r))
            .collect();

        let mut cards: Vec<ContactCardRecord> = Vec::with_capacity(chunk.len());
        let mut links: Vec<(Uuid, Uuid)> = Vec::new();
        for row in chunk {
            let refuse = |column: &str, reason: String| RowError {
                row: row.row,
                column: column.to_owned(),
                reason,
            };
            let unknown = row.tags.iter().find(|t| !tags.contains_key(&t.key()));
            if let Some(t) = unknown {
                out.errors.push(refuse(
                    tags_column,
                    format!(
                        "the tag `{}` does not exist (create it first: POST /api/v1/tags)",
                        t.as_str()
                    ),
                ));
                continue;
            }
            let digits = row.wa_id.as_ref().map(|w| w.digits().to_owned());
            let before = match digits.as_ref().and_then(|d| existing.remove(d)) {
                Some(r) => Some(r.into_card(Vec::new())?),
                None => None,
            };
            match upsert(before, row, account, lease.now) {
                Ok((card, created)) => {
                    if created {
                        out.created += 1;
                    } else {
                        out.updated += 1;
                    }
                    for t in &row.tags {
                        links.push((card.id.as_uuid(), tags[&t.key()]));
                    }
                    cards.push(ContactCardRecord::from(&card));
                }
                Err(reason) => out.errors.push(refuse("", reason)),
            }
        }
        if !cards.is_empty() {
            let mut q = query(concat!(
                "INSERT INTO contact_cards (",
                contact_card_columns!(),
                ") VALUES "
            ));
            for (i, r) in cards.into_iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                push_card_row(&mut q, r);
            }
            q.push(
                " ON CONFLICT (account_id, wa_id) DO UPDATE SET name = excluded.name, \
                 attributes = excluded.attributes, opted_in = excluded.opted_in, \
                 opt_in_source = excluded.opt_in_source, opt_in_at = excluded.opt_in_at, \
                 blocked_at = excluded.blocked_at, timezone = excluded.timezone, \
                 updated_at = excluded.updated_at",
            );
            c.execute(q).await?;
        }
        if !links.is_empty() {
            let mut q = query("INSERT INTO contact_card_tags (card_id, tag_id) VALUES ");
            for (i, (card, tag)) in links.into_iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.push("(")
                    .push_bind(card)
                    .push(", ")
                    .push_bind(tag)
                    .push(")");
            }
            q.push(" ON CONFLICT DO NOTHING");
            c.execute(q).await?;
        }
    }
    Ok(out)
}

async fn insert_errors<C: Conn>(c: &mut C, id: ContactImportId, errors: &[RowError]) -> Result<()> {
    for chunk in errors.chunks(chunk(c.dialect())) {
        let mut q: Query = query(
            "INSERT INTO contact_import_errors (import_id, row_number, column_name, reason) \
             VALUES ",
        );
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").push_bind(id.as_uuid());
            q.push(", ")
                .push_bind(i64::try_from(e.row).unwrap_or(i64::MAX));
            q.push(", ").push_bind(e.column.clone());
            q.push(", ").push_bind(e.reason.clone()).push(")");
        }
        q.push(" ON CONFLICT DO NOTHING");
        c.execute(q).await?;
    }
    Ok(())
}
