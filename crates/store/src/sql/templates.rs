//! Templates: their statements, and [`TemplateStore`] for every [`Backend`] (see
//! [`crate::templates`] for the rules).
//!
//! Where the backends differ: PostgreSQL serialises creations in a WABA (an advisory lock)
//! and edits of a template (a row lock), since its writers run concurrently (SQLite has one
//! writer); and a text filter reads the components with `jsonb_path_query` and `ILIKE` there,
//! `json_tree` and `LIKE` (ASCII case-insensitive) on SQLite.

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, TemplateId, WabaId};
use wagate_core::template::TemplateName;
use wagate_core::webhook::WebhookEvent;

use super::{Backend, Conn, Dialect, Query, query, webhooks};
use crate::templates::{NAME_BLOCKED_MS, TemplateRecord, like_pattern as like};
use crate::{
    CreateTemplateError, Entity, Page, Result, StoreError, Template, TemplateFilter,
    TemplateLimits, TemplateStore, template_columns,
};

#[async_trait]
impl<B: Backend> TemplateStore for B {
    async fn create_template(
        &self,
        template: Template,
        limits: TemplateLimits,
    ) -> std::result::Result<Template, CreateTemplateError> {
        self.write(move |c| Box::pin(create_template(c, template, limits)))
            .await?
    }

    async fn get_template(&self, account: AccountId, id: &TemplateId) -> Result<Template> {
        let id = id.clone();
        self.read(move |c| Box::pin(async move { get_template(c, account, &id).await }))
            .await
    }

    async fn list_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
        page: &Page<TemplateId>,
    ) -> Result<Vec<Template>> {
        let (waba, filter, page) = (waba.clone(), filter.clone(), page.clone());
        self.read(move |c| {
            Box::pin(async move { list_templates(c, account, &waba, &filter, &page).await })
        })
        .await
    }

    async fn list_templates_before(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
        before: &TemplateId,
        limit: u32,
    ) -> Result<Vec<Template>> {
        let (waba, filter, before) = (waba.clone(), filter.clone(), before.clone());
        self.read(move |c| {
            Box::pin(async move {
                list_templates_before(c, account, &waba, &filter, &before, limit).await
            })
        })
        .await
    }

    async fn count_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
    ) -> Result<u64> {
        let (waba, filter) = (waba.clone(), filter.clone());
        self.read(move |c| {
            Box::pin(async move { count_templates(c, account, &waba, &filter).await })
        })
        .await
    }

    async fn update_template(
        &self,
        template: Template,
        events: Vec<WebhookEvent>,
    ) -> Result<Template> {
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let t = update_template(c, template).await?;
                webhooks::emit(c, &events, stamp).await?;
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
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let t = update_template_if(c, template, Some(seen)).await?;
                if t.is_some() {
                    webhooks::emit(c, &events, stamp).await?;
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
        self.write(move |c| Box::pin(edit_template(c, template, per_day, per_30_days)))
            .await
    }

    async fn pending_templates(&self, created_by: Timestamp, limit: u32) -> Result<Vec<Template>> {
        self.read(move |c| Box::pin(pending_templates(c, created_by, limit)))
            .await
    }

    async fn paused_templates(&self, by: Timestamp, limit: u32) -> Result<Vec<Template>> {
        self.read(move |c| Box::pin(paused_templates(c, by, limit)))
            .await
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
        self.write(move |c| {
            Box::pin(
                async move { delete_templates(c, account, &waba, &name, id.as_ref(), now).await },
            )
        })
        .await
    }
}

pub async fn create_template<C: Conn>(
    c: &mut C,
    t: Template,
    limits: TemplateLimits,
) -> Result<std::result::Result<Template, CreateTemplateError>> {
    if c.dialect() == Dialect::Postgres {
        // One creation per WABA at a time, so two cannot both pass the checks below.
        c.execute(
            query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind(format!("templates:{}", t.waba_id.as_str())),
        )
        .await?;
    }
    let created = t.created_at.as_millisecond();
    let taken = c
        .scalar::<bool>(
            query(
                "SELECT TRUE FROM templates WHERE waba_id = $1 AND name = $2 \
                 AND ((deleted_at IS NULL AND language = $3) \
                 OR (deleted_at IS NOT NULL AND deleted_at > $4)) LIMIT 1",
            )
            .bind(t.waba_id.as_str())
            .bind(t.name.as_str())
            .bind(t.language.as_str())
            .bind(created - NAME_BLOCKED_MS),
        )
        .await?;
    if taken.is_some() {
        return Ok(Err(CreateTemplateError::NameTaken));
    }
    let (live, last_hour) = c
        .fetch_optional::<(i64, i64)>(
            query(
                "SELECT COUNT(*) FILTER (WHERE deleted_at IS NULL), \
                 COUNT(*) FILTER (WHERE created_at > $2) FROM templates WHERE waba_id = $1",
            )
            .bind(t.waba_id.as_str())
            .bind(created - 3_600_000),
        )
        .await?
        .unwrap_or((0, 0));
    if live >= i64::from(limits.max_templates) {
        return Ok(Err(CreateTemplateError::CountLimit));
    }
    if last_hour >= i64::from(limits.max_per_hour) {
        return Ok(Err(CreateTemplateError::HourlyQuota));
    }
    let r = TemplateRecord::from(&t);
    c.execute(
        query(concat!(
            "INSERT INTO templates (",
            template_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18)"
        ))
        .bind(r.id)
        .bind(r.account_id)
        .bind(r.waba_id)
        .bind(r.name)
        .bind(r.language)
        .bind(r.category)
        .bind(r.parameter_format)
        .bind(r.sub_category)
        .bind(r.status)
        .bind(r.rejected_reason)
        .bind(r.quality_score)
        .bind(r.components)
        .bind(r.message_send_ttl_seconds)
        .bind(r.created_at)
        .bind(r.updated_at)
        .bind(r.pause_count)
        .bind(r.paused_until)
        .bind(r.allow_category_change),
    )
    .await?;
    Ok(Ok(t))
}

pub async fn get_template<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: &TemplateId,
) -> Result<Template> {
    c.fetch_optional::<TemplateRecord>(
        query(concat!(
            "SELECT ",
            template_columns!(),
            " FROM templates WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL"
        ))
        .bind(id.as_str())
        .bind(account.as_uuid()),
    )
    .await?
    .ok_or(StoreError::NotFound(Entity::Template))?
    .try_into()
}

/// `WHERE …` of a list or count: the account's live templates of `waba` matching `filter`.
fn push_filter(
    q: &mut Query,
    dialect: Dialect,
    account: AccountId,
    waba: &WabaId,
    f: &TemplateFilter,
) {
    q.push(" FROM templates WHERE deleted_at IS NULL AND account_id = ")
        .push_bind(account.as_uuid())
        .push(" AND waba_id = ")
        .push_bind(waba.as_str());
    let (name_like, text) = match dialect {
        Dialect::Sqlite => (
            " LIKE ",
            "EXISTS (SELECT 1 FROM json_tree(templates.components) \
             WHERE json_tree.key = 'text' AND json_tree.value LIKE ",
        ),
        Dialect::Postgres => (
            " ILIKE ",
            "EXISTS (SELECT 1 FROM jsonb_path_query(templates.components, 'strict $.**.text') t \
             WHERE t #>> '{}' ILIKE ",
        ),
    };
    if let Some(name) = &f.name {
        q.push(" AND name")
            .push(name_like)
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
        q.push(" AND (name")
            .push(name_like)
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
        q.push(&format!(" AND {column} IN ("));
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push_bind(v);
        }
        q.push(")");
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

pub async fn list_templates<C: Conn>(
    c: &mut C,
    account: AccountId,
    waba: &WabaId,
    filter: &TemplateFilter,
    page: &Page<TemplateId>,
) -> Result<Vec<Template>> {
    let mut q = query(concat!("SELECT ", template_columns!()));
    push_filter(&mut q, c.dialect(), account, waba, filter);
    if let Some(after) = &page.after {
        q.push(" AND seq > COALESCE((SELECT seq FROM templates WHERE id = ")
            .push_bind(after.as_str())
            .push("), 0)");
    }
    q.push(" ORDER BY seq LIMIT ").push_bind(page.sql_limit());
    c.fetch_all::<TemplateRecord>(q)
        .await?
        .into_iter()
        .map(Template::try_from)
        .collect()
}

/// The `limit` rows just before `before`, read newest first and answered oldest first.
pub async fn list_templates_before<C: Conn>(
    c: &mut C,
    account: AccountId,
    waba: &WabaId,
    filter: &TemplateFilter,
    before: &TemplateId,
    limit: u32,
) -> Result<Vec<Template>> {
    let mut q = query(concat!("SELECT ", template_columns!()));
    push_filter(&mut q, c.dialect(), account, waba, filter);
    q.push(" AND seq < COALESCE((SELECT seq FROM templates WHERE id = ")
        .push_bind(before.as_str())
        .push("), 0)");
    q.push(" ORDER BY seq DESC LIMIT ")
        .push_bind(i64::from(limit));
    let mut rows = c
        .fetch_all::<TemplateRecord>(q)
        .await?
        .into_iter()
        .map(Template::try_from)
        .collect::<Result<Vec<_>>>()?;
    rows.reverse();
    Ok(rows)
}

pub async fn count_templates<C: Conn>(
    c: &mut C,
    account: AccountId,
    waba: &WabaId,
    filter: &TemplateFilter,
) -> Result<u64> {
    let mut q = query("SELECT COUNT(*)");
    push_filter(&mut q, c.dialect(), account, waba, filter);
    let n = c.scalar::<i64>(q).await?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

pub async fn update_template<C: Conn>(c: &mut C, t: Template) -> Result<Template> {
    update_template_if(c, t, None)
        .await?
        .ok_or(StoreError::NotFound(Entity::Template))
}

/// Writes the mutable fields when the template is live (and, given `seen`, still last
/// updated then); `None` when it was updated since. On PostgreSQL the row lock the `UPDATE`
/// takes makes a concurrent guarded update re-check `updated_at` after this one commits.
pub async fn update_template_if<C: Conn>(
    c: &mut C,
    t: Template,
    seen: Option<Timestamp>,
) -> Result<Option<Template>> {
    let r = TemplateRecord::from(&t);
    let n = c
        .execute(
            query(
                "UPDATE templates SET category = $1, status = $2, rejected_reason = $3, \
                 quality_score = $4, components = $5, message_send_ttl_seconds = $6, \
                 updated_at = $7, pause_count = $8, paused_until = $9 \
                 WHERE id = $10 AND account_id = $11 AND deleted_at IS NULL \
                 AND ($12 IS NULL OR updated_at = $12)",
            )
            .bind(r.category)
            .bind(r.status)
            .bind(r.rejected_reason)
            .bind(r.quality_score)
            .bind(r.components)
            .bind(r.message_send_ttl_seconds)
            .bind(r.updated_at)
            .bind(r.pause_count)
            .bind(r.paused_until)
            .bind(r.id)
            .bind(r.account_id)
            .bind(seen.map(|at| at.as_millisecond())),
        )
        .await?;
    // Gone (`NotFound`) or changed since `seen` (`None`).
    let current = get_template(c, t.account_id, &t.id).await?;
    Ok((n > 0).then_some(current))
}

pub async fn edit_template<C: Conn>(
    c: &mut C,
    t: Template,
    per_day: u32,
    per_30_days: u32,
) -> Result<Option<Template>> {
    if c.dialect() == Dialect::Postgres {
        // One edit of a template at a time, so two cannot both pass the limits.
        c.execute(query("SELECT TRUE FROM templates WHERE id = $1 FOR UPDATE").bind(t.id.as_str()))
            .await?;
    }
    let at = t.updated_at.as_millisecond();
    let (day, month) = c
        .fetch_optional::<(i64, i64)>(
            query(
                "SELECT COUNT(*) FILTER (WHERE edited_at > $2), \
                 COUNT(*) FILTER (WHERE edited_at > $3) \
                 FROM template_edits WHERE template_id = $1",
            )
            .bind(t.id.as_str())
            .bind(at - 24 * 3600 * 1000)
            .bind(at - 30 * 24 * 3600 * 1000),
        )
        .await?
        .unwrap_or((0, 0));
    if day >= i64::from(per_day) || month >= i64::from(per_30_days) {
        return Ok(None);
    }
    let id = t.id.clone();
    let edited = update_template(c, t).await?;
    c.execute(
        query("INSERT INTO template_edits (template_id, edited_at) VALUES ($1, $2)")
            .bind(id.as_str())
            .bind(at),
    )
    .await?;
    Ok(Some(edited))
}

pub async fn pending_templates<C: Conn>(
    c: &mut C,
    created_by: Timestamp,
    limit: u32,
) -> Result<Vec<Template>> {
    c.fetch_all::<TemplateRecord>(
        query(concat!(
            "SELECT ",
            template_columns!(),
            " FROM templates WHERE deleted_at IS NULL AND status = 'PENDING' \
             AND created_at <= $1 ORDER BY created_at, seq LIMIT $2"
        ))
        .bind(created_by.as_millisecond())
        .bind(i64::from(limit)),
    )
    .await?
    .into_iter()
    .map(Template::try_from)
    .collect()
}

pub async fn paused_templates<C: Conn>(
    c: &mut C,
    by: Timestamp,
    limit: u32,
) -> Result<Vec<Template>> {
    c.fetch_all::<TemplateRecord>(
        query(concat!(
            "SELECT ",
            template_columns!(),
            " FROM templates WHERE deleted_at IS NULL AND status = 'PAUSED' \
             AND paused_until <= $1 ORDER BY paused_until, seq LIMIT $2"
        ))
        .bind(by.as_millisecond())
        .bind(i64::from(limit)),
    )
    .await?
    .into_iter()
    .map(Template::try_from)
    .collect()
}

pub async fn delete_templates<C: Conn>(
    c: &mut C,
    account: AccountId,
    waba: &WabaId,
    name: &TemplateName,
    id: Option<&TemplateId>,
    now: Timestamp,
) -> Result<Vec<TemplateId>> {
    let mut q = query("UPDATE templates SET deleted_at = ");
    q.push_bind(now.as_millisecond())
        .push(" WHERE deleted_at IS NULL AND account_id = ")
        .push_bind(account.as_uuid())
        .push(" AND waba_id = ")
        .push_bind(waba.as_str())
        .push(" AND name = ")
        .push_bind(name.as_str());
    if let Some(id) = id {
        q.push(" AND id = ").push_bind(id.as_str());
    }
    q.push(" RETURNING id");
    let ids = c.fetch_all::<(String,)>(q).await?;
    if ids.is_empty() {
        return Err(StoreError::NotFound(Entity::Template));
    }
    let mut ids = ids
        .iter()
        .map(|(s,)| {
            TemplateId::parse(s).map_err(|e| StoreError::Corrupt {
                what: "template",
                detail: format!("id {s}: {e}"),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    Ok(ids)
}
