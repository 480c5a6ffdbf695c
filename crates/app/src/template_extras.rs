//! Template management beyond create/list/get/edit/delete (reference §1.1, §1.3): the
//! Marketing Messages Lite send, unpausing, the bulk AUTHENTICATION upsert, archiving,
//! comparing and migrating. Each is built from the ordinary template steps
//! ([`App::create_template`], [`App::edit_template`], the reviewer's [`quality::unpause`]), so
//! the rules of those hold here too.
//!
//! What the sandbox simplifies, on purpose:
//! - Archiving: only an APPROVED template can be archived (Meta archives templates unused for
//!   a year), and unarchiving makes it APPROVED again. An ARCHIVED template cannot be sent
//!   (132001, as every status but APPROVED) nor edited. No webhook is sent for either.
//! - Unpausing works on any PAUSED template at once (Meta asks to wait 5 minutes after a
//!   pacing pause, which the sandbox does not simulate).
//! - Comparing counts the template messages the account sent in the window; wagate knows of
//!   no blocks, so the block-rate order is the request's and there is no top block reason.
//! - Migrating copies the source's APPROVED templates with quality GREEN or UNKNOWN as new
//!   templates of the destination, which the sandbox then reviews (`PENDING` first).

use std::collections::HashMap;

use serde_json::{Value, json};
use wagate_core::Timestamp;
use wagate_core::channel::Channel;
use wagate_core::content::MessageType;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{TemplateId, WabaId};
use wagate_core::message::{Direction, Message};
use wagate_core::template::{
    QualityScore, TemplateCategory, TemplateDraft, TemplateLanguage, TemplateStatus, lint,
};
use wagate_store::records::now;
use wagate_store::{MessageFilter, Page, StoreError, Template, TemplateFilter};

use crate::error::{Error, Result};
use crate::messages::SendMessage;
use crate::template_review::{Waba, after, quality};
use crate::{App, Principal};

/// Templates one migration request copies (Meta: pages of 500).
pub const MIGRATE_PAGE: usize = 500;
/// Templates one archive or unarchive request takes (Meta: 100).
pub const ARCHIVE_MAX: usize = 100;

/// Guarded updates that lose a race are tried again this often.
const ATTEMPTS: usize = 5;

/// What one archive, unarchive or migration did: the ids it changed (or created), and the
/// ids it could not, with why.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BulkOutcome {
    pub done: Vec<TemplateId>,
    pub failed: Vec<(String, String)>,
}

/// One template's counts in a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compared {
    pub id: TemplateId,
    pub sends: u64,
}

impl App {
    /// `POST /{pnid}/marketing_messages` (Marketing Messages Lite): a send like any other,
    /// but only of a MARKETING template.
    pub async fn send_marketing_message(
        &self,
        p: &Principal,
        channel: &Channel,
        cmd: SendMessage,
    ) -> Result<Message> {
        let Some((name, language)) = cmd.content.template_name() else {
            return Err(Error::Refused(
                ErrorCode::InvalidRequest,
                "the Marketing Messages API sends template messages only (`type` must be \
                 \"template\")",
            ));
        };
        // A template that does not exist (or is not sendable) gets the send's own error.
        if let Ok(language) = TemplateLanguage::parse(language) {
            let filter = TemplateFilter {
                name: Some(name.to_owned()),
                languages: vec![language],
                ..TemplateFilter::default()
            };
            let found = self
                .store
                .list_templates(p.account_id, &channel.waba_id, &filter, &Page::all())
                .await?;
            if let Some(t) = found.iter().find(|t| t.name.as_str() == name)
                && t.category != TemplateCategory::Marketing
            {
                return Err(Error::Failed(
                    ErrorCode::InvalidRequest,
                    format!(
                        "the Marketing Messages API sends MARKETING templates only; template \
                         {name} ({}) is {}",
                        t.language, t.category
                    ),
                ));
            }
        }
        self.send_message(p, channel, cmd).await
    }

    /// Meta's `POST /{template_id}/unpause`: a PAUSED template is APPROVED again at once,
    /// with the UNPAUSE status update the reviewer sends when a pause ends. `Err(reason)`
    /// inside when the template is not paused.
    pub async fn unpause_template(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<std::result::Result<Template, String>> {
        p.require_account_wide()?;
        for _ in 0..ATTEMPTS {
            let t = self.get_template(p, id).await?;
            if t.status != TemplateStatus::Paused {
                return Ok(Err(format!(
                    "the template is {}: only a PAUSED template can be unpaused",
                    t.status
                )));
            }
            let seen = t.updated_at;
            let at = now();
            let (mut t, values) = quality::unpause(t, at);
            t.updated_at = after(at, seen);
            let waba = Waba::of(self.store.as_ref(), t.account_id, &t.waba_id).await?;
            let events = waba.events(&t, at, values);
            if let Some(stored) = self.store.update_template_if(t, seen, events).await? {
                return Ok(Ok(stored));
            }
        }
        Err(Error::Failed(
            ErrorCode::NotReady,
            "the template kept changing while it was unpaused; try again".to_owned(),
        ))
    }

    /// Meta's `POST /{waba}/upsert_message_templates`: `{name, languages, category:
    /// "AUTHENTICATION", components, message_send_ttl_seconds?}` creates the template in
    /// each language it is missing from and edits it ([`App::edit_template`]'s rules) where it
    /// exists. Every language is checked before anything is stored.
    pub async fn upsert_auth_templates(
        &self,
        p: &Principal,
        waba: &WabaId,
        body: &Value,
    ) -> Result<Vec<Template>> {
        p.require_account_wide()?;
        let Value::Object(fields) = body else {
            return Err(ValidationError::new("body", "must be a JSON object").into());
        };
        match fields.get("category").and_then(Value::as_str) {
            Some(c) if c.eq_ignore_ascii_case("AUTHENTICATION") => {}
            _ => {
                return Err(ValidationError::new(
                    "category",
                    "must be AUTHENTICATION: only authentication templates are upserted",
                )
                .into());
            }
        }
        let languages = match fields.get("languages") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|l| {
                    l.as_str()
                        .ok_or_else(|| ValidationError::new("languages", "must hold strings"))
                        .and_then(|l| {
                            TemplateLanguage::parse(l)
                                .map_err(|e| ValidationError::new("languages", e.message))
                        })
                })
                .collect::<std::result::Result<Vec<_>, _>>()?,
            _ => {
                return Err(ValidationError::new(
                    "languages",
                    "is required: a non-empty list of language codes",
                )
                .into());
            }
        };
        if let Some(key) = fields.keys().find(|k| {
            ![
                "name",
                "languages",
                "category",
                "components",
                "message_send_ttl_seconds",
            ]
            .contains(&k.as_str())
        }) {
            return Err(ValidationError::new(key.as_str(), "is not a field of an upsert").into());
        }
        // Each language's whole template, checked first.
        let mut plans = Vec::with_capacity(languages.len());
        for language in &languages {
            let mut one = body.clone();
            if let Some(o) = one.as_object_mut() {
                o.remove("languages");
                o.insert("language".into(), json!(language.as_str()));
            }
            let draft = TemplateDraft::parse(&one)?;
            lint(&draft)?;
            let filter = TemplateFilter {
                name: Some(draft.name().as_str().to_owned()),
                languages: vec![*language],
                ..TemplateFilter::default()
            };
            let existing = self
                .store
                .list_templates(p.account_id, waba, &filter, &Page::all())
                .await?
                .into_iter()
                .find(|t| &t.name == draft.name());
            plans.push((one, existing));
        }
        let mut out = Vec::with_capacity(plans.len());
        for (one, existing) in plans {
            let t = match existing {
                Some(t) => {
                    let mut changes = json!({"components": one["components"].clone()});
                    if let Some(ttl) = one.get("message_send_ttl_seconds") {
                        changes["message_send_ttl_seconds"] = ttl.clone();
                    }
                    self.edit_template(p, t.id.as_str(), &changes).await?
                }
                None => self.create_template(p, waba, &one).await?,
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
            let t = match self.get_template(p, id).await {
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
            changed.updated_at = after(now(), seen);
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

    /// Meta's `GET /{template_id}/compare?template_ids=…&start=…&end=…`: `id` and `others`
    /// (one WABA's templates, two in all) with the template messages the account sent with
    /// each between `start` and `end`.
    pub async fn compare_templates(
        &self,
        p: &Principal,
        id: &str,
        others: &[String],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<Compared>> {
        if others.is_empty() {
            return Err(ValidationError::missing(
                "template_ids",
                "is required: the template to compare with",
            )
            .into());
        }
        if others.len() > 1 {
            return Err(ValidationError::new(
                "template_ids",
                "only two templates can be compared at a time",
            )
            .into());
        }
        if start >= end {
            return Err(ValidationError::new("start", "must be before `end`").into());
        }
        let first = self.get_template(p, id).await?;
        let mut templates = vec![first];
        for other in others {
            let t = self.get_template(p, other).await?;
            if t.waba_id != templates[0].waba_id {
                return Err(ValidationError::new(
                    "template_ids",
                    "both templates must be in the same WhatsApp Business Account",
                )
                .into());
            }
            templates.push(t);
        }
        let filter = MessageFilter {
            direction: Some(Direction::Outbound),
            kind: Some(MessageType::Template),
            since: Some(start),
            until: Some(end),
            ..MessageFilter::default()
        };
        let messages = self
            .store
            .list_messages(p.account_id, &filter, &Page::all())
            .await?;
        let mut sends: HashMap<(String, String), u64> = HashMap::new();
        for m in &messages {
            if let Some((name, language)) = m.content.template_name() {
                *sends
                    .entry((name.to_owned(), language.to_owned()))
                    .or_default() += 1;
            }
        }
        Ok(templates
            .into_iter()
            .map(|t| {
                let key = (t.name.as_str().to_owned(), t.language.as_str().to_owned());
                Compared {
                    sends: sends.get(&key).copied().unwrap_or(0),
                    id: t.id,
                }
            })
            .collect())
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
            match self.create_template(p, dest, &body).await {
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
