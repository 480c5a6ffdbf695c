//! Templates on SQLite (see `wagate_store::templates`).

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, TemplateId, WabaId};
use wagate_core::template::TemplateName;
use wagate_core::webhook::WebhookEvent;
use wagate_store::templates::{NAME_BLOCKED_MS, TemplateRecord, like_pattern as like};
use wagate_store::{
    CreateTemplateError, Entity, Page, Result, StoreError, Template, TemplateFilter,
    TemplateLimits, TemplateStore, template_columns,
};

use crate::{SqliteStore, webhooks};

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

pub async fn create_template(
    conn: &mut SqliteConnection,
    t: Template,
    limits: TemplateLimits,
) -> Result<std::result::Result<Template, CreateTemplateError>> {
    let created = t.created_at.as_millisecond();
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM templates WHERE waba_id = ?1 AND name = ?2 \
         AND ((deleted_at IS NULL AND language = ?3) OR (deleted_at IS NOT NULL AND deleted_at > ?4)) \
         LIMIT 1",
    )
    .bind(t.waba_id.as_str())
    .bind(t.name.as_str())
    .bind(t.language.as_str())
    .bind(created - NAME_BLOCKED_MS)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    if taken.is_some() {
        return Ok(Err(CreateTemplateError::NameTaken));
    }
    let (live, last_hour): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(deleted_at IS NULL), 0), COALESCE(SUM(created_at > ?2), 0) \
         FROM templates WHERE waba_id = ?1",
    )
    .bind(t.waba_id.as_str())
    .bind(created - 3_600_000)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    if live >= i64::from(limits.max_templates) {
        return Ok(Err(CreateTemplateError::CountLimit));
    }
    if last_hour >= i64::from(limits.max_per_hour) {
        return Ok(Err(CreateTemplateError::HourlyQuota));
    }
    let r = TemplateRecord::from(&t);
    sqlx::query(concat!(
        "INSERT INTO templates (",
        template_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&r.id)
    .bind(r.account_id)
    .bind(&r.waba_id)
    .bind(&r.name)
    .bind(&r.language)
    .bind(&r.category)
    .bind(&r.parameter_format)
    .bind(&r.sub_category)
    .bind(&r.status)
    .bind(&r.rejected_reason)
    .bind(&r.quality_score)
    .bind(&r.components)
    .bind(r.message_send_ttl_seconds)
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.pause_count)
    .bind(r.paused_until)
    .bind(r.allow_category_change)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(Ok(t))
}

pub async fn get_template(
    conn: &mut SqliteConnection,
    account: AccountId,
    id: &TemplateId,
) -> Result<Template> {
    sqlx::query_as::<_, TemplateRecord>(concat!(
        "SELECT ",
        template_columns!(),
        " FROM templates WHERE id = ? AND account_id = ? AND deleted_at IS NULL"
    ))
    .bind(id.as_str())
    .bind(account.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound(Entity::Template))?
    .try_into()
}

/// `WHERE …` of a list or count: the account's live templates of `waba` matching `filter`.
fn push_filter(
    q: &mut QueryBuilder<Sqlite>,
    account: AccountId,
    waba: &WabaId,
    f: &TemplateFilter,
) {
    q.push(" FROM templates WHERE deleted_at IS NULL AND account_id = ")
        .push_bind(account.as_uuid())
        .push(" AND waba_id = ")
        .push_bind(waba.as_str().to_owned());
    let text = "EXISTS (SELECT 1 FROM json_tree(templates.components) \
                WHERE json_tree.key = 'text' AND json_tree.value LIKE ";
    if let Some(name) = &f.name {
        q.push(" AND name LIKE ")
            .push_bind(like(name))
            .push(" ESCAPE '\\'");
    }
    if let Some(content) = &f.content {
        q.push(" AND ")
            .push(text)
            .push_bind(like(content))
            .push(" ESCAPE '\\')");
    }
    if let Some(either) = &f.name_or_content {
        q.push(" AND (name LIKE ")
            .push_bind(like(either))
            .push(" ESCAPE '\\' OR ")
            .push(text)
            .push_bind(like(either))
            .push(" ESCAPE '\\'))");
    }
    let mut one_of = |column: &str, values: Vec<&'static str>| {
        if values.is_empty() {
            return;
        }
        q.push(format!(" AND {column} IN ("));
        let mut list = q.separated(", ");
        for v in values {
            list.push_bind(v);
        }
        list.push_unseparated(")");
    };
    one_of("status", f.statuses.iter().map(|s| s.as_str()).collect());
    one_of(
        "category",
        f.categories.iter().map(|c| c.as_str()).collect(),
    );
    one_of("language", f.languages.iter().map(|l| l.as_str()).collect());
    one_of(
        "quality_score",
        f.quality_scores.iter().map(|s| s.as_str()).collect(),
    );
}

pub async fn list_templates(
    conn: &mut SqliteConnection,
    account: AccountId,
    waba: &WabaId,
    filter: &TemplateFilter,
    page: &Page<TemplateId>,
) -> Result<Vec<Template>> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(concat!("SELECT ", template_columns!()));
    push_filter(&mut q, account, waba, filter);
    if let Some(after) = &page.after {
        q.push(" AND seq > COALESCE((SELECT seq FROM templates WHERE id = ")
            .push_bind(after.as_str().to_owned())
            .push("), 0)");
    }
    q.push(" ORDER BY seq LIMIT ").push_bind(page.sql_limit());
    q.build_query_as::<TemplateRecord>()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .into_iter()
        .map(Template::try_from)
        .collect()
}

pub async fn count_templates(
    conn: &mut SqliteConnection,
    account: AccountId,
    waba: &WabaId,
    filter: &TemplateFilter,
) -> Result<u64> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT COUNT(*)");
    push_filter(&mut q, account, waba, filter);
    let n: i64 = q
        .build_query_scalar()
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub async fn update_template(conn: &mut SqliteConnection, t: Template) -> Result<Template> {
    update_template_if(conn, t, None)
        .await?
        .ok_or(StoreError::NotFound(Entity::Template))
}

/// Writes the mutable fields when the template is live (and, given `seen`, still last
/// updated then); `None` when it was updated since.
pub async fn update_template_if(
    conn: &mut SqliteConnection,
    t: Template,
    seen: Option<Timestamp>,
) -> Result<Option<Template>> {
    let r = TemplateRecord::from(&t);
    let n = sqlx::query(
        "UPDATE templates SET category = ?1, status = ?2, rejected_reason = ?3, \
         quality_score = ?4, components = ?5, message_send_ttl_seconds = ?6, updated_at = ?7, \
         pause_count = ?8, paused_until = ?9 \
         WHERE id = ?10 AND account_id = ?11 AND deleted_at IS NULL \
         AND (?12 IS NULL OR updated_at = ?12)",
    )
    .bind(&r.category)
    .bind(&r.status)
    .bind(&r.rejected_reason)
    .bind(&r.quality_score)
    .bind(&r.components)
    .bind(r.message_send_ttl_seconds)
    .bind(r.updated_at)
    .bind(r.pause_count)
    .bind(r.paused_until)
    .bind(&r.id)
    .bind(r.account_id)
    .bind(seen.map(|at| at.as_millisecond()))
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    // Gone (`NotFound`) or changed since `seen` (`None`).
    let current = get_template(conn, t.account_id, &t.id).await?;
    Ok((n > 0).then_some(current))
}

pub async fn edit_template(
    conn: &mut SqliteConnection,
    t: Template,
    per_day: u32,
    per_30_days: u32,
) -> Result<Option<Template>> {
    let at = t.updated_at.as_millisecond();
    let (day, month): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*) FILTER (WHERE edited_at > ?2), COUNT(*) FILTER (WHERE edited_at > ?3) \
         FROM template_edits WHERE template_id = ?1",
    )
    .bind(t.id.as_str())
    .bind(at - 24 * 3600 * 1000)
    .bind(at - 30 * 24 * 3600 * 1000)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    if day >= i64::from(per_day) || month >= i64::from(per_30_days) {
        return Ok(None);
    }
    let id = t.id.clone();
    let edited = update_template(conn, t).await?;
    sqlx::query("INSERT INTO template_edits (template_id, edited_at) VALUES (?, ?)")
        .bind(id.as_str())
        .bind(at)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(Some(edited))
}

pub async fn pending_templates(
    conn: &mut SqliteConnection,
    created_by: Timestamp,
    limit: u32,
) -> Result<Vec<Template>> {
    sqlx::query_as::<_, TemplateRecord>(concat!(
        "SELECT ",
        template_columns!(),
        " FROM templates WHERE deleted_at IS NULL AND status = 'PENDING' AND created_at <= ? \
         ORDER BY created_at, seq LIMIT ?"
    ))
    .bind(created_by.as_millisecond())
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .into_iter()
    .map(Template::try_from)
    .collect()
}

pub async fn paused_templates(
    conn: &mut SqliteConnection,
    by: Timestamp,
    limit: u32,
) -> Result<Vec<Template>> {
    sqlx::query_as::<_, TemplateRecord>(concat!(
        "SELECT ",
        template_columns!(),
        " FROM templates WHERE deleted_at IS NULL AND status = 'PAUSED' AND paused_until <= ? \
         ORDER BY paused_until, seq LIMIT ?"
    ))
    .bind(by.as_millisecond())
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .into_iter()
    .map(Template::try_from)
    .collect()
}

pub async fn delete_templates(
    conn: &mut SqliteConnection,
    account: AccountId,
    waba: &WabaId,
    name: &TemplateName,
    id: Option<&TemplateId>,
    now: Timestamp,
) -> Result<Vec<TemplateId>> {
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("UPDATE templates SET deleted_at = ");
    q.push_bind(now.as_millisecond())
        .push(" WHERE deleted_at IS NULL AND account_id = ")
        .push_bind(account.as_uuid())
        .push(" AND waba_id = ")
        .push_bind(waba.as_str().to_owned())
        .push(" AND name = ")
        .push_bind(name.as_str().to_owned());
    if let Some(id) = id {
        q.push(" AND id = ").push_bind(id.as_str().to_owned());
    }
    q.push(" RETURNING id");
    let ids: Vec<String> = q
        .build_query_scalar()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    if ids.is_empty() {
        return Err(StoreError::NotFound(Entity::Template));
    }
    let mut ids = ids
        .iter()
        .map(|s| {
            TemplateId::parse(s).map_err(|e| StoreError::Corrupt {
                what: "template",
                detail: format!("id {s}: {e}"),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    Ok(ids)
}

#[async_trait]
impl TemplateStore for SqliteStore {
    async fn create_template(
        &self,
        template: Template,
        limits: TemplateLimits,
    ) -> std::result::Result<Template, CreateTemplateError> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { create_template(conn, template, limits).await })
            })
            .await?
    }

    async fn get_template(&self, account: AccountId, id: &TemplateId) -> Result<Template> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        get_template(&mut conn, account, id).await
    }

    async fn list_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
        page: &Page<TemplateId>,
    ) -> Result<Vec<Template>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        list_templates(&mut conn, account, waba, filter, page).await
    }

    async fn count_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
    ) -> Result<u64> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        count_templates(&mut conn, account, waba, filter).await
    }

    async fn update_template(
        &self,
        template: Template,
        events: Vec<WebhookEvent>,
    ) -> Result<Template> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let t = update_template(conn, template).await?;
                    webhooks::emit(conn, &events).await?;
                    Ok(t)
                })
            })
            .await
    }

    async fn update_template_if(
        &self,
        template: Template,
        seen: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Template>> {
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let t = update_template_if(conn, template, Some(seen)).await?;
                    if t.is_some() {
                        webhooks::emit(conn, &events).await?;
                    }
                    Ok(t)
                })
            })
            .await
    }

    async fn edit_template(
        &self,
        template: Template,
        per_day: u32,
        per_30_days: u32,
    ) -> Result<Option<Template>> {
        self.writer
            .write(move |conn| {
                Box::pin(async move { edit_template(conn, template, per_day, per_30_days).await })
            })
            .await
    }

    async fn pending_templates(&self, created_by: Timestamp, limit: u32) -> Result<Vec<Template>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        pending_templates(&mut conn, created_by, limit).await
    }

    async fn paused_templates(&self, by: Timestamp, limit: u32) -> Result<Vec<Template>> {
        let mut conn = self.reads.acquire().await.map_err(StoreError::database)?;
        paused_templates(&mut conn, by, limit).await
    }

    async fn delete_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        name: &TemplateName,
        id: Option<&TemplateId>,
        now: Timestamp,
    ) -> Result<Vec<TemplateId>> {
        let (waba, name, id) = (waba.clone(), name.clone(), id.cloned());
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    delete_templates(conn, account, &waba, &name, id.as_ref(), now).await
                })
            })
            .await
    }
}
