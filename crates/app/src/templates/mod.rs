//! Message templates: the pre-approved messages a business may send outside a customer
//! service window, per WABA. A WABA is the account's when one of its channels belongs to it.
//!
//! This file is their management: created (Meta's lint first), listed, read, edited and
//! deleted, within the limits of [`TemplatesConfig`]. Review comes later: a new template is
//! `PENDING` until the sandbox's reviewer ([`review`]) decides it; only an APPROVED one can
//! be sent (`send`'s checks at accept time).
//!
//! # Layout
//! - this file: [`TemplatesConfig`] and create, list, get, edit, delete.
//! - `send`: a template message checked and filled at accept time; Marketing Messages Lite.
//! - `channel`: a channel's templates wherever they are held: wagate's for a sandbox
//!   channel, Meta's for a cloud channel (what the dialects manage them through).
//! - [`bulk`]: the AUTHENTICATION upsert, archive and unarchive, migration between WABAs.
//! - [`compare`]: two templates' sends in a time window.
//! - [`review`]: the sandbox's review worker and the events every template change shares;
//!   `review/quality.rs`: ratings, the pause ladder, unpausing.

pub mod bulk;
mod channel;
pub mod compare;
pub mod review;
mod send;
pub(crate) use send::{Filler, fill_with};

use serde::{Deserialize, Serialize};
use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};
use wagate_core::error::ErrorCode;
use wagate_core::ids::{TemplateId, WabaId};
use wagate_core::template::{
    TemplateDraft, TemplateEdit, TemplateError, TemplateName, TemplateStatus, lint,
};
use wagate_store::{
    CreateTemplateError, Entity, Page, StoreError, Template, TemplateFilter, TemplateLimits,
};

use crate::error::Result;
use crate::{App, Principal};

/// Template settings (`[templates]` in the TOML file).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct TemplatesConfig {
    /// Live templates per WABA (Meta: 250 for an unverified business, 6,000 verified).
    pub max_templates: u32,
    /// Templates a WABA may create per rolling hour (Meta: 100).
    pub max_per_hour: u32,
    /// The sandbox reviews a new template this long after its creation (Meta: up to 24 h).
    pub review_delay_ms: u64,
    /// The sandbox approves every template instead of applying its review rules (a sandbox
    /// channel's `approve_templates` does the same for its WABA only).
    pub approve_all: bool,
}

impl Default for TemplatesConfig {
    fn default() -> Self {
        Self {
            max_templates: 250,
            max_per_hour: 100,
            review_delay_ms: 2000,
            approve_all: false,
        }
    }
}

impl App {
    /// `id` as one of the account's WABAs (one of its channels belongs to it); anything
    /// else is "not found".
    pub async fn waba(&self, p: &Principal, id: &WabaId) -> Result<WabaId> {
        let channels = self.list_channels(p, &Page::all()).await?;
        if channels.iter().any(|c| &c.waba_id == id) {
            Ok(id.clone())
        } else {
            Err(StoreError::NotFound(Entity::Channel).into())
        }
    }

    /// Lints a parsed create body (Meta's rules on the content), then stores the template
    /// as `PENDING`.
    pub async fn create_template(
        &self,
        p: &Principal,
        waba: &WabaId,
        draft: TemplateDraft,
    ) -> Result<Template> {
        p.require_account_wide()?;
        lint(&draft)?;
        self.check_header_handles(p, &draft).await?;
        self.check_template_flow_buttons(p.account_id, waba, &draft)
            .await?;
        self.check_template_catalog_buttons(p.account_id, waba, &draft)
            .await?;
        let at = self.now();
        let template = Template {
            id: TemplateId::generate(),
            account_id: p.account_id,
            waba_id: waba.clone(),
            name: draft.name().clone(),
            language: draft.language(),
            category: draft.category(),
            parameter_format: draft.parameter_format(),
            sub_category: draft.sub_category().map(str::to_owned),
            status: TemplateStatus::Pending,
            rejected_reason: None,
            quality_score: None,
            components: draft.components_json().clone(),
            message_send_ttl_seconds: draft.message_send_ttl_seconds(),
            created_at: at,
            updated_at: at,
            pause_count: 0,
            paused_until: None,
            allow_category_change: draft.allow_category_change(),
        };
        let limits = TemplateLimits {
            max_templates: self.templates.max_templates,
            max_per_hour: self.templates.max_per_hour,
        };
        match self.store.create_template(template, limits).await {
            Ok(t) => {
                self.audit(
                    p,
                    AuditAction::TemplateCreate,
                    AuditTarget::new(TargetKind::Template, &t.id),
                    AuditSummary::new(format!(
                        "{} ({}), {}, WABA {}",
                        t.name.as_str(),
                        t.language.as_str(),
                        t.category.as_str(),
                        t.waba_id
                    )),
                )
                .await;
                Ok(t)
            }
            Err(CreateTemplateError::NameTaken) => Err(TemplateError::name_taken(
                draft.name().as_str(),
                draft.language().as_str(),
            )
            .into()),
            Err(CreateTemplateError::CountLimit) => {
                Err(TemplateError::limit_reached(limits.max_templates).into())
            }
            Err(CreateTemplateError::HourlyQuota) => Err(crate::Error::Refused(
                ErrorCode::TemplateQuotaExceeded,
                "this WABA created its hourly quota of templates; try again later",
            )),
            Err(CreateTemplateError::Store(e)) => Err(e.into()),
        }
    }

    pub async fn get_template(&self, p: &Principal, id: &TemplateId) -> Result<Template> {
        Ok(self.store.get_template(p.account_id, id).await?)
    }

    /// [`App::get_template`] by an id as a client wrote it in a bulk request (each id gets
    /// its own outcome): one that does not parse is "not found", like one that does not exist.
    pub(crate) async fn template_by_id(&self, p: &Principal, id: &str) -> Result<Template> {
        let id = TemplateId::parse(id).map_err(|_| StoreError::NotFound(Entity::Template))?;
        self.get_template(p, &id).await
    }

    /// A page of the WABA's templates and the count of all that match.
    pub async fn list_templates(
        &self,
        p: &Principal,
        waba: &WabaId,
        filter: &TemplateFilter,
        page: &Page<TemplateId>,
    ) -> Result<(Vec<Template>, u64)> {
        let list = self
            .store
            .list_templates(p.account_id, waba, filter, page)
            .await?;
        let total = self
            .store
            .count_templates(p.account_id, waba, filter)
            .await?;
        Ok((list, total))
    }

    /// The page of the WABA's templates just before `before` (exclusive; a backward keyset
    /// page, in creation order) and the count of all that match. `limit` is clamped like a
    /// [`Page`]'s.
    pub async fn list_templates_before(
        &self,
        p: &Principal,
        waba: &WabaId,
        filter: &TemplateFilter,
        before: &TemplateId,
        limit: u32,
    ) -> Result<(Vec<Template>, u64)> {
        let limit = limit.clamp(1, Page::<TemplateId>::MAX_LIMIT);
        let list = self
            .store
            .list_templates_before(p.account_id, waba, filter, before, limit)
            .await?;
        let total = self
            .store
            .count_templates(p.account_id, waba, filter)
            .await?;
        Ok((list, total))
    }

    /// Deletes every language of `name`, or only `id`.
    pub async fn delete_templates(
        &self,
        p: &Principal,
        waba: &WabaId,
        name: &TemplateName,
        id: Option<&TemplateId>,
    ) -> Result<Vec<TemplateId>> {
        p.require_account_wide()?;
        let deleted = self
            .store
            .delete_templates(p.account_id, waba, name, id, self.now())
            .await?;
        for t in &deleted {
            self.audit(
                p,
                AuditAction::TemplateDelete,
                AuditTarget::new(TargetKind::Template, t),
                AuditSummary::new(format!("{}, WABA {waba}", name.as_str())),
            )
            .await;
        }
        Ok(deleted)
    }

    /// Meta's edit (`POST /{template_id}`): `category`, `components` (replacing all) and
    /// `message_send_ttl_seconds`, linted as a whole; only APPROVED, REJECTED or PAUSED
    /// templates; an approved one keeps its category and is edited at most once per 24 hours
    /// and 10 times per 30 days. The edit goes back to review (`PENDING`).
    pub async fn edit_template(
        &self,
        p: &Principal,
        id: &TemplateId,
        edit: TemplateEdit,
    ) -> Result<Template> {
        p.require_account_wide()?;
        let mut t = self.get_template(p, id).await?;
        if !t.status.is_editable() {
            return Err(crate::Error::Refused(
                ErrorCode::InvalidRequest,
                "only APPROVED, REJECTED or PAUSED templates can be edited",
            ));
        }
        let mut whole = serde_json::json!({
            "name": t.name.as_str(),
            "language": t.language.as_str(),
            "category": t.category.as_str(),
            "parameter_format": t.parameter_format.as_str(),
            "components": t.components,
        });
        if let Some(ttl) = t.message_send_ttl_seconds {
            whole["message_send_ttl_seconds"] = ttl.into();
        }
        let draft = edit.apply(whole)?;
        lint(&draft)?;
        self.check_header_handles(p, &draft).await?;
        let approved = t.status == TemplateStatus::Approved;
        if approved && draft.category() != t.category {
            return Err(crate::Error::Refused(
                ErrorCode::InvalidRequest,
                "an approved template's category cannot change",
            ));
        }
        t.category = draft.category();
        t.components = draft.components_json().clone();
        t.message_send_ttl_seconds = draft.message_send_ttl_seconds();
        t.status = TemplateStatus::Pending;
        t.rejected_reason = None;
        t.updated_at = self.now();
        let (per_day, per_30_days) = if approved {
            (1, 10)
        } else {
            (u32::MAX, u32::MAX)
        };
        let summary = AuditSummary::changed(edit.fields().collect::<Vec<_>>());
        let edited = self
            .store
            .edit_template(t, per_day, per_30_days)
            .await?
            .ok_or_else(|| {
                crate::Error::Failed(
                    ErrorCode::TemplateQuotaExceeded,
                    "an approved template can be edited once per 24 hours and 10 times per \
                     30 days; try again later"
                        .to_owned(),
                )
            })?;
        self.audit(
            p,
            AuditAction::TemplateEdit,
            AuditTarget::new(TargetKind::Template, &edited.id),
            summary,
        )
        .await;
        Ok(edited)
    }

    pub fn templates_config(&self) -> TemplatesConfig {
        self.templates
    }
}
