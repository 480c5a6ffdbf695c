//! Stored message templates: what `POST /{waba_id}/message_templates` created, its review
//! state (with the pause ladder of a low-quality template), and the rules the store keeps
//! for a WABA (a name and language once among live templates; a deleted name blocked for 30
//! days; a count limit and an hourly quota).

use async_trait::async_trait;
use serde_json::Value;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, TemplateId, WabaId};
use wagate_core::template::{
    ParameterFormat, QualityScore, RejectionReason, TemplateCategory, TemplateLanguage,
    TemplateName, TemplateStatus,
};
use wagate_core::webhook::WebhookEvent;

use crate::error::StoreError;
use crate::{Page, Result};

/// Message templates (see [`templates`](self)) and the rules the store keeps for a WABA.
/// Part of [`Store`](crate::Store).
#[async_trait]
pub trait TemplateStore: Send + Sync {
    /// Stores a new template unless its name and language are live in its WABA or its name
    /// was deleted there under 30 days before `template.created_at`, the WABA holds
    /// `limits.max_templates` live templates, or it created `limits.max_per_hour` in the
    /// hour before.
    async fn create_template(
        &self,
        template: Template,
        limits: TemplateLimits,
    ) -> std::result::Result<Template, CreateTemplateError>;
    /// One of the account's live templates.
    async fn get_template(&self, account: AccountId, id: &TemplateId) -> Result<Template>;
    /// The account's live templates of `waba` matching `filter`, oldest first; `page.after`
    /// continues after that template.
    async fn list_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
        page: &Page<TemplateId>,
    ) -> Result<Vec<Template>>;
    /// The page just before `before` (exclusive), in creation order like
    /// [`TemplateStore::list_templates`]: the `limit` live templates of `waba` matching
    /// `filter` created last before it. Empty when `before` is unknown.
    async fn list_templates_before(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
        before: &TemplateId,
        limit: u32,
    ) -> Result<Vec<Template>>;
    /// How many live templates of `waba` match `filter`.
    async fn count_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        filter: &TemplateFilter,
    ) -> Result<u64>;
    /// Replaces a live template's mutable fields (category, components, TTL, status, reason,
    /// quality, pause count and end, `updated_at`) and stores `events` (its webhooks) in the
    /// same transaction.
    async fn update_template(
        &self,
        template: Template,
        events: Vec<WebhookEvent>,
    ) -> Result<Template>;
    /// As [`Self::update_template`], but only while the stored template's `updated_at` is
    /// still `seen` (nothing changed it since the caller read it); otherwise `Ok(None)` and
    /// nothing is stored. Read-modify-write steps (a quality rating, an unpause) use it, so
    /// two of them never both act on the same state. `NotFound` when the template is gone.
    async fn update_template_if(
        &self,
        template: Template,
        seen: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Template>>;
    /// Applies an edit of a live template (as [`Self::update_template`]) and records when,
    /// unless it was already edited `per_day` times in the 24 hours before
    /// `template.updated_at` or `per_30_days` times in the 30 days before: then
    /// `Ok(None)` and nothing changes. Pass `u32::MAX` for no limit.
    async fn edit_template(
        &self,
        template: Template,
        per_day: u32,
        per_30_days: u32,
    ) -> Result<Option<Template>>;
    /// Live `PENDING` templates created at or before `created_by`, oldest first, up to
    /// `limit` (what the sandbox reviews next).
    async fn pending_templates(&self, created_by: Timestamp, limit: u32) -> Result<Vec<Template>>;
    /// Live `PAUSED` templates whose pause ends at or before `by`, soonest first, up to
    /// `limit` (what the sandbox unpauses next).
    async fn paused_templates(&self, by: Timestamp, limit: u32) -> Result<Vec<Template>>;
    /// Deletes the live templates of `waba` named `name` (every language), or only `id` when
    /// given; their ids. `NotFound` when none matched.
    async fn delete_templates(
        &self,
        account: AccountId,
        waba: &WabaId,
        name: &TemplateName,
        id: Option<&TemplateId>,
        now: Timestamp,
    ) -> Result<Vec<TemplateId>>;
}

/// How long a deleted template's name cannot be used again in its WABA (Meta: 30 days).
pub const NAME_BLOCKED_MS: i64 = 30 * 24 * 3600 * 1000;

pub use wagate_core::template::Template;

/// The rules [`TemplateStore::create_template`] enforces for a WABA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateLimits {
    /// Live templates a WABA may hold (Meta: 250 unverified, 6,000 verified).
    pub max_templates: u32,
    /// Templates a WABA may create per rolling hour (Meta: 100).
    pub max_per_hour: u32,
}

/// Why a template could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateTemplateError {
    /// The name and language are live in the WABA, or the name was deleted under 30 days ago.
    #[error("the template name is taken")]
    NameTaken,
    /// The WABA holds `max_templates` live templates.
    #[error("the template count limit is reached")]
    CountLimit,
    /// The WABA created `max_per_hour` templates in the last hour.
    #[error("the hourly template creation quota is used up")]
    HourlyQuota,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which templates a list shows (Meta's filters; empty lists and `None` match all). Text
/// filters match a part of the text, ASCII letters in either case (PostgreSQL folds every
/// letter).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateFilter {
    /// Part of the name.
    pub name: Option<String>,
    pub statuses: Vec<TemplateStatus>,
    pub categories: Vec<TemplateCategory>,
    pub languages: Vec<TemplateLanguage>,
    /// Part of the components' text.
    pub content: Option<String>,
    /// Part of the name or of the components' text.
    pub name_or_content: Option<String>,
    pub quality_scores: Vec<QualityScore>,
}

impl TemplateFilter {
    /// Whether `t` passes the filter, as the stores' queries decide it: for a list held
    /// elsewhere (a cloud channel's templates, which Meta holds) filtered in memory. Text
    /// filters match a part of the name or of any component's `text`, ignoring case.
    pub fn matches(&self, t: &Template) -> bool {
        fn one_of<T: PartialEq>(wanted: &[T], v: Option<&T>) -> bool {
            wanted.is_empty() || v.is_some_and(|v| wanted.contains(v))
        }
        let name = t.name.as_str().to_lowercase();
        let in_name = |part: &str| name.contains(&part.to_lowercase());
        let in_text = |part: &str| component_texts(&t.components, &part.to_lowercase());
        self.name.as_deref().is_none_or(in_name)
            && self.content.as_deref().is_none_or(in_text)
            && self
                .name_or_content
                .as_deref()
                .is_none_or(|p| in_name(p) || in_text(p))
            && one_of(&self.statuses, Some(&t.status))
            && one_of(&self.categories, Some(&t.category))
            && one_of(&self.languages, Some(&t.language))
            && one_of(&self.quality_scores, t.quality_score.as_ref())
    }
}

/// Whether a `text` anywhere in `v` contains `part` (lower case), ignoring case.
fn component_texts(v: &Value, part: &str) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| component_texts(i, part)),
        Value::Object(m) => m.iter().any(|(k, x)| match x {
            Value::String(s) if k == "text" => s.to_lowercase().contains(part),
            _ => component_texts(x, part),
        }),
        _ => false,
    }
}

/// `%text%` for `LIKE … ESCAPE '\\'` (and `ILIKE`): the caller's `%`, `_` and `\\` taken
/// literally, so a name filter `order_1` does not match `orderx1`.
pub fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A stored row, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRecord {
    pub id: String,
    pub account_id: uuid::Uuid,
    pub waba_id: String,
    pub name: String,
    pub language: String,
    pub category: String,
    pub parameter_format: String,
    pub sub_category: Option<String>,
    pub status: String,
    pub rejected_reason: Option<String>,
    pub quality_score: Option<String>,
    pub components: sqlx::types::Json<Value>,
    pub message_send_ttl_seconds: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub pause_count: i64,
    pub paused_until: Option<i64>,
    pub allow_category_change: bool,
}

/// The template columns, in [`TemplateRecord`] order.
#[macro_export]
macro_rules! template_columns {
    () => {
        "id, account_id, waba_id, name, language, category, parameter_format, sub_category, \
         status, rejected_reason, quality_score, components, message_send_ttl_seconds, \
         created_at, updated_at, pause_count, paused_until, allow_category_change"
    };
}

fn corrupt(detail: String) -> StoreError {
    StoreError::Corrupt {
        what: "template",
        detail,
    }
}

fn at(ms: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(ms).map_err(|e| corrupt(format!("time {ms}: {e}")))
}

impl From<&Template> for TemplateRecord {
    fn from(t: &Template) -> Self {
        Self {
            id: t.id.as_str().to_owned(),
            account_id: t.account_id.as_uuid(),
            waba_id: t.waba_id.as_str().to_owned(),
            name: t.name.as_str().to_owned(),
            language: t.language.as_str().to_owned(),
            category: t.category.as_str().to_owned(),
            parameter_format: t.parameter_format.as_str().to_owned(),
            sub_category: t.sub_category.clone(),
            status: t.status.as_str().to_owned(),
            rejected_reason: t.rejected_reason.map(|r| r.as_str().to_owned()),
            quality_score: t.quality_score.map(|q| q.as_str().to_owned()),
            components: sqlx::types::Json(t.components.clone()),
            message_send_ttl_seconds: t.message_send_ttl_seconds,
            created_at: t.created_at.as_millisecond(),
            updated_at: t.updated_at.as_millisecond(),
            pause_count: i64::from(t.pause_count),
            paused_until: t.paused_until.map(|at| at.as_millisecond()),
            allow_category_change: t.allow_category_change,
        }
    }
}

impl TryFrom<TemplateRecord> for Template {
    type Error = StoreError;

    fn try_from(r: TemplateRecord) -> Result<Self, StoreError> {
        let bad = |what: &str, e: &dyn std::fmt::Display| corrupt(format!("{what}: {e}"));
        Ok(Self {
            id: TemplateId::parse(&r.id).map_err(|e| bad("id", &e))?,
            account_id: AccountId::from_uuid(r.account_id),
            waba_id: WabaId::parse(&r.waba_id).map_err(|e| bad("waba_id", &e))?,
            name: TemplateName::parse(&r.name).map_err(|e| bad("name", &e))?,
            language: TemplateLanguage::parse(&r.language).map_err(|e| bad("language", &e))?,
            category: TemplateCategory::parse(&r.category).map_err(|e| bad("category", &e))?,
            parameter_format: ParameterFormat::parse(&r.parameter_format)
                .map_err(|e| bad("parameter_format", &e))?,
            sub_category: r.sub_category,
            status: TemplateStatus::parse(&r.status).map_err(|e| bad("status", &e))?,
            rejected_reason: r
                .rejected_reason
                .as_deref()
                .map(RejectionReason::parse)
                .transpose()
                .map_err(|e| bad("rejected_reason", &e))?,
            quality_score: r
                .quality_score
                .as_deref()
                .map(QualityScore::parse)
                .transpose()
                .map_err(|e| bad("quality_score", &e))?,
            components: r.components.0,
            message_send_ttl_seconds: r.message_send_ttl_seconds,
            created_at: at(r.created_at)?,
            updated_at: at(r.updated_at)?,
            pause_count: u32::try_from(r.pause_count).map_err(|e| bad("pause_count", &e))?,
            paused_until: r.paused_until.map(at).transpose()?,
            allow_category_change: r.allow_category_change,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_pattern("order_1"), "%order\\_1%");
        assert_eq!(like_pattern("50%"), "%50\\%%");
    }

    fn template(name: &str, body: &str) -> Template {
        let now = wagate_core::Timestamp::now();
        Template::from_graph(
            wagate_core::ids::AccountId::generate(),
            wagate_core::ids::WabaId::parse("102290129340398").unwrap(),
            &serde_json::json!({"id": "1234567890", "name": name, "language": "en_US",
                "category": "UTILITY", "status": "APPROVED",
                "quality_score": {"score": "GREEN"},
                "components": [{"type": "BODY", "text": body},
                    {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Stop"}]}]}),
            now,
        )
        .unwrap()
    }

    #[test]
    fn an_empty_filter_matches_everything() {
        assert!(TemplateFilter::default().matches(&template("order_ready", "Ready.")));
    }

    #[test]
    fn text_filters_match_a_part_ignoring_case() {
        let t = template("order_ready", "Your ORDER is ready.");
        let f = |name: Option<&str>, content: Option<&str>, either: Option<&str>| TemplateFilter {
            name: name.map(str::to_owned),
            content: content.map(str::to_owned),
            name_or_content: either.map(str::to_owned),
            ..Default::default()
        };
        assert!(f(Some("ORDER_"), None, None).matches(&t));
        assert!(!f(Some("invoice"), None, None).matches(&t));
        assert!(f(None, Some("order is"), None).matches(&t));
        assert!(f(None, Some("stop"), None).matches(&t), "a button's text");
        assert!(
            !f(None, Some("order_ready"), None).matches(&t),
            "not the name"
        );
        assert!(f(None, None, Some("ready.")).matches(&t));
        assert!(f(None, None, Some("_rea")).matches(&t));
        assert!(!f(None, None, Some("invoice")).matches(&t));
    }

    #[test]
    fn value_filters_take_any_of_theirs() {
        let t = template("order_ready", "Ready.");
        let f = TemplateFilter {
            statuses: vec![TemplateStatus::Rejected, TemplateStatus::Approved],
            categories: vec![TemplateCategory::Utility],
            languages: vec![TemplateLanguage::parse("en_US").unwrap()],
            quality_scores: vec![QualityScore::Green],
            ..Default::default()
        };
        assert!(f.matches(&t));
        let wrong = TemplateFilter {
            statuses: vec![TemplateStatus::Pending],
            ..f.clone()
        };
        assert!(!wrong.matches(&t));
        let wrong = TemplateFilter {
            languages: vec![TemplateLanguage::parse("pt_BR").unwrap()],
            ..f.clone()
        };
        assert!(!wrong.matches(&t));
        let unrated = Template {
            quality_score: None,
            ..t
        };
        assert!(!f.matches(&unrated), "no score is no score asked for");
    }
}
