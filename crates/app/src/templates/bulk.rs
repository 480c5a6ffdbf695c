//! Requests over many templates at once (reference §1.1, §1.3): the AUTHENTICATION upsert
//! in several languages, archiving and unarchiving by ids, and migrating a WABA's templates
//! to another. Each is built from the ordinary template steps ([`App::create_template`],
//! [`App::edit_template`]), so the rules of those hold here too.
//!
//! What the sandbox simplifies, on purpose:
//! - Archiving: only an APPROVED template can be archived (Meta archives templates unused for
//!   a year), and unarchiving makes it APPROVED again. An ARCHIVED template cannot be sent
//!   (132001, as every status but APPROVED) nor edited. No webhook is sent for either.
//! - Migrating copies the source's APPROVED templates with quality GREEN or UNKNOWN as new
//!   templates of the destination, which the sandbox then reviews (`PENDING` first).

use serde_json::json;
use wagate_core::error::ValidationError;
use wagate_core::ids::{TemplateId, WabaId};
use wagate_core::template::{AuthUpsert, QualityScore, TemplateDraft, TemplateStatus, lint};
use wagate_store::{Page, StoreError, Template, TemplateFilter};

use crate::error::{Error, Result};
use crate::templates::review::after;
use crate::{App, Principal};

/// Templates one migration request copies (Meta: pages of 500).
pub const MIGRATE_PAGE: usize = 500;
/// Templates one archive or unarchive request takes (Meta: 100).
pub const ARCHIVE_MAX: usize = 100;

/// What one archive, unarchive or migration did: the ids it changed (or created), and the
/// ids it could not, with why.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BulkOutcome {
    pub done: Vec<TemplateId>,
    pub failed: Vec<(String, String)>,
}

impl App {
    /// Meta's `POST /{waba}/upsert_message_templates`: creates the AUTHENTICATION template
    /// in each language it is missing from and edits it ([`App::edit_template`]'s rules)
    /// where it exists. Every language is checked (and linted) before anything is stored.
    pub async fn upsert_auth_templates(
        &self,
        p: &Principal,
        waba: &WabaId,
        upsert: AuthUpsert,
    ) -> Result<Vec<Template>> {
        p.require_account_wide()?;
        let mut plans = Vec::with_capacity(upsert.languages.len());
        for one in upsert.languages {
            lint(&one.create)?;
            let filter = TemplateFilter {
                name: Some(one.create.name().as_str().to_owned()),
                languages: vec![one.language],
                ..TemplateFilter::default()
            };
            let existing = self
                .store
                .list_templates(p.account_id, waba, &filter, &Page::all())
                .await?
                .into_iter()
                .find(|t| &t.name == one.create.name());
            plans.push((one, existing));
        }
        let mut out = Vec::with_capacity(plans.len());
        for (one, existing) in plans {
            let t = match existing {
                Some(t) => self.edit_template(p, &t.id, one.edit).await?,
                None => self.create_template(p, waba, one.create).await?,
            };
            out.push(t);
        }
        Ok(out)
    }

    /// Meta's `POST /{waba}/message_templates/archive` (`archive: true`) and `…/unarchive`:
    /// APPROVED ↔ ARCHIVED for each of `ids` (at most [`ARCHIVE_MAX`]) in the WABA; the others
    /// are reported failed.
    pub async fn archive_templates(
        &self,
        p: &Principal,
        waba: &WabaId,
        ids: &[String],
        archive: bool,
    ) -> Result<BulkOutcome> {
        p.require_account_wide()?;
        if ids.is_empty() || ids.len() > ARCHIVE_MAX {
            return Err(ValidationError::new(
                "hsm_ids",
                format!("must name 1 to {ARCHIVE_MAX} template ids, comma-separated"),
            )
            .into());
        }
        let (from, to) = if archive {
            (TemplateStatus::Approved, TemplateStatus::Archived)
        } else {
            (TemplateStatus::Archived, TemplateStatus::Approved)
        };
        let mut outcome = BulkOutcome::default();
        for id in ids {
            let t = match self.template_by_id(p, id).await {
                Ok(t) if &t.waba_id == waba => t,
                Ok(_) | Err(Error::Store(StoreError::NotFound(_))) => {
                    outcome
                        .failed
                        .push((id.clone(), "no such template in this WABA".to_owned()));
                    continue;
                }
                Err(e) => return Err(e),
            };
            if t.status != from {
                outcome.failed.push((
                    id.clone(),
                    format!("the template is {}, not {from}", t.status),
                ));
                continue;
            }
            let seen = t.updated_at;
            let mut changed = t;
            changed.status = to;
            changed.updated_at = after(self.now(), seen);
            match self
                .store
                .update_template_if(changed, seen, Vec::new())
                .await
            {
                Ok(Some(t)) => outcome.done.push(t.id),
                Ok(None) => outcome.failed.push((
                    id.clone(),
                    "the template changed meanwhile; try again".to_owned(),
                )),
                Err(StoreError::NotFound(_)) => outcome
                    .failed
                    .push((id.clone(), "no such template in this WABA".to_owned())),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(outcome)
    }

    /// Meta's `POST /{dest}/migrate_message_templates?source_waba_id=…&page_number=…`: page
    /// `page` (of [`MIGRATE_PAGE`]) of `source`'s APPROVED templates with quality GREEN or
    /// UNKNOWN, created anew in `dest` ([`App::create_template`]'s rules). The outcome names
    /// the new templates' ids, and the source ids that failed.
    pub async fn migrate_templates(
        &self,
        p: &Principal,
        source: &WabaId,
        dest: &WabaId,
        page: usize,
    ) -> Result<BulkOutcome> {
        p.require_account_wide()?;
        if source == dest {
            return Err(ValidationError::new(
                "source_waba_id",
                "must be another WhatsApp Business Account than the destination",
            )
            .into());
        }
        let filter = TemplateFilter {
            statuses: vec![TemplateStatus::Approved],
            ..TemplateFilter::default()
        };
        let eligible: Vec<Template> = self
            .store
            .list_templates(p.account_id, source, &filter, &Page::all())
            .await?
            .into_iter()
            .filter(|t| {
                matches!(
                    t.quality_score,
                    None | Some(QualityScore::Green | QualityScore::Unknown)
                )
            })
            .skip(page.saturating_mul(MIGRATE_PAGE))
            .take(MIGRATE_PAGE)
            .collect();
        let mut outcome = BulkOutcome::default();
        for t in eligible {
            let mut body = json!({
                "name": t.name.as_str(),
                "language": t.language.as_str(),
                "category": t.category.as_str(),
                "parameter_format": t.parameter_format.as_str(),
                "components": t.components,
            });
            if let Some(ttl) = t.message_send_ttl_seconds {
                body["message_send_ttl_seconds"] = ttl.into();
            }
            if let Some(sub) = &t.sub_category {
                body["sub_category"] = json!(sub);
            }
            let created = match TemplateDraft::parse(&body) {
                Ok(draft) => self.create_template(p, dest, draft).await,
                Err(e) => Err(e.into()),
            };
            match created {
                Ok(created) => outcome.done.push(created.id),
                Err(Error::Store(e)) => return Err(e.into()),
                Err(e) => outcome
                    .failed
                    .push((t.id.as_str().to_owned(), e.to_string())),
            }
        }
        Ok(outcome)
    }
}
