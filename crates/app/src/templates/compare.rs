//! Meta's `GET /{template_id}/compare`: two templates of one WABA side by side, with the
//! template messages the account sent with each in a time window.
//!
//! What the sandbox simplifies, on purpose: it counts the template messages the account sent
//! in the window; wagate knows of no blocks, so the block-rate order is the request's and
//! there is no top block reason.

use std::collections::HashMap;

use wagate_core::Timestamp;
use wagate_core::content::MessageType;
use wagate_core::error::ValidationError;
use wagate_core::ids::TemplateId;
use wagate_core::message::Direction;
use wagate_store::{MessageFilter, Page};

use crate::error::Result;
use crate::{App, Principal};

/// One template's counts in a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compared {
    pub id: TemplateId,
    pub sends: u64,
}

impl App {
    /// Meta's `GET /{template_id}/compare?template_ids=…&start=…&end=…`: `id` and `others`
    /// (one WABA's templates, two in all) with the template messages the account sent with
    /// each between `start` and `end`.
    pub async fn compare_templates(
        &self,
        p: &Principal,
        id: &TemplateId,
        others: &[TemplateId],
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
}
