//! The simulated network's template review. Meta reviews a new template within a day; the
//! sandbox does it `review_delay_ms` after creation, by fixed rules (checked in this order,
//! on every `text` of the components):
//!
//! 1. `approve_all` set: APPROVED.
//! 2. Two variables with nothing between them (`{{1}}{{2}}`): REJECTED, INVALID_FORMAT.
//! 3. An abusive word ([`ABUSIVE`]): REJECTED, ABUSIVE_CONTENT.
//! 4. A scam phrase ([`SCAM`]): REJECTED, SCAM.
//! 5. A UTILITY or AUTHENTICATION template with marketing language ([`PROMOTIONAL`]):
//!    REJECTED, INCORRECT_CATEGORY.
//! 6. Otherwise APPROVED, quality UNKNOWN (no messages sent yet).
//!
//! Each decision is stored with its `message_template_status_update` webhook event, in one
//! transaction. [`TemplateReviewer::run_once`] reviews what is due, so tests never sleep.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use wagate_core::Timestamp;
use wagate_core::ids::{ChannelId, EventId, WabaId};
use wagate_core::template::variables::has_adjacent_variables;
use wagate_core::template::{QualityScore, RejectionReason, TemplateCategory, TemplateStatus};
use wagate_core::webhook::{EventData, EventField, WebhookEvent};
use wagate_store::{Page, Store, Template};

use crate::templates::TemplatesConfig;

/// Words that get a template rejected as ABUSIVE_CONTENT.
pub const ABUSIVE: &[&str] = &["idiot", "stupid", "moron", "loser"];
/// Phrases that get a template rejected as SCAM.
pub const SCAM: &[&str] = &[
    "wire transfer",
    "gift card",
    "send your password",
    "verify your bank",
    "crypto giveaway",
];
/// Marketing language a UTILITY or AUTHENTICATION template must not use.
pub const PROMOTIONAL: &[&str] = &[
    "sale",
    "discount",
    "% off",
    "promo",
    "offer",
    "deal",
    "buy now",
    "limited time",
    "free shipping",
];

/// Templates reviewed per step.
const PER_STEP: u32 = 100;

/// The review of `t`: its new status and, when rejected, why.
pub fn verdict(t: &Template, approve_all: bool) -> (TemplateStatus, Option<RejectionReason>) {
    if approve_all {
        return (TemplateStatus::Approved, None);
    }
    let mut texts = Vec::new();
    collect_texts(&t.components, &mut texts);
    let lower: Vec<String> = texts.iter().map(|s| s.to_lowercase()).collect();
    let has_word = |words: &[&str]| {
        lower
            .iter()
            .any(|text| words.iter().any(|w| contains_word(text, w)))
    };
    let rejected = |r| (TemplateStatus::Rejected, Some(r));
    if texts.iter().any(|s| has_adjacent_variables(s)) {
        rejected(RejectionReason::InvalidFormat)
    } else if has_word(ABUSIVE) {
        rejected(RejectionReason::AbusiveContent)
    } else if has_word(SCAM) {
        rejected(RejectionReason::Scam)
    } else if matches!(
        t.category,
        TemplateCategory::Utility | TemplateCategory::Authentication
    ) && has_word(PROMOTIONAL)
    {
        rejected(RejectionReason::IncorrectCategory)
    } else {
        (TemplateStatus::Approved, None)
    }
}

/// Whether `phrase` occurs in `text` as whole words (`sale` in "big sale", not in
/// "wholesale"; `% off` in "20% off").
fn contains_word(text: &str, phrase: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(phrase).any(|(i, _)| {
        let starts_word = alnum(phrase.chars().next());
        let ends_word = alnum(phrase.chars().next_back());
        (!starts_word || !alnum(text[..i].chars().next_back()))
            && (!ends_word || !alnum(text[i + phrase.len()..].chars().next()))
    })
}

fn collect_texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("text", Value::String(s)) => out.push(s.clone()),
                    _ => collect_texts(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_texts(i, out)),
        _ => {}
    }
}

/// Meta's `message_template_status_update` value (reference §5.6).
pub fn status_update(t: &Template) -> Value {
    let mut v = json!({
        "event": t.status.as_str(),
        "message_template_id": t.id.as_str().parse::<u64>().map_or(json!(t.id.as_str()), |n| json!(n)),
        "message_template_name": t.name.as_str(),
        "message_template_language": t.language.as_str(),
        "reason": t.rejected_reason.map_or("NONE", |r| r.as_str()),
        "message_template_category": t.category.as_str(),
    });
    if t.rejected_reason == Some(RejectionReason::InvalidFormat) {
        v["rejection_info"] = json!({
            "reason": "Two variables are next to each other with no text between them.",
            "recommendation": "Put words between the variables, or merge them into one.",
        });
    }
    v
}

pub struct TemplateReviewer {
    store: Arc<dyn Store>,
    config: TemplatesConfig,
}

impl TemplateReviewer {
    pub fn new(store: Arc<dyn Store>, config: TemplatesConfig) -> Self {
        Self { store, config }
    }

    /// Reviews the templates created at least `review_delay_ms` before `now`; how many.
    pub async fn run_once(&self, now: Timestamp) -> wagate_store::Result<usize> {
        let due =
            Timestamp::from_millisecond(now.as_millisecond() - self.config.review_delay_ms as i64)
                .unwrap_or(now);
        let pending = self.store.pending_templates(due, PER_STEP).await?;
        let n = pending.len();
        // Each WABA's channel, looked up once per step.
        let mut channels: HashMap<WabaId, Option<ChannelId>> = HashMap::new();
        for mut t in pending {
            let (status, reason) = verdict(&t, self.config.approve_all);
            t.status = status;
            t.rejected_reason = reason;
            if status == TemplateStatus::Approved {
                t.quality_score = Some(QualityScore::Unknown);
            }
            t.updated_at = now;
            // Template events name one of the WABA's channels (for the envelope's WABA id).
            let channel = match channels.get(&t.waba_id) {
                Some(c) => *c,
                None => {
                    let c = self
                        .store
                        .list_channels(t.account_id, &Page::all())
                        .await?
                        .into_iter()
                        .find(|c| c.waba_id == t.waba_id)
                        .map(|c| c.id);
                    channels.insert(t.waba_id.clone(), c);
                    c
                }
            };
            let event = WebhookEvent {
                id: EventId::generate(),
                account_id: t.account_id,
                channel_id: channel,
                occurred_at: now,
                data: EventData::Other {
                    field: EventField::MessageTemplateStatusUpdate,
                    value: status_update(&t),
                },
            };
            let events = if channel.is_some() {
                vec![event]
            } else {
                vec![]
            };
            match self.store.update_template(t, events).await {
                // Deleted meanwhile: nothing to review.
                Ok(_) | Err(wagate_store::StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::contains_word;

    #[test]
    fn words_match_on_boundaries() {
        assert!(contains_word("big sale today", "sale"));
        assert!(!contains_word("wholesale prices", "sale"));
        assert!(contains_word("20% off everything", "% off"));
        assert!(contains_word("please buy now!", "buy now"));
    }
}
