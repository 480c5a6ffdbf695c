//! The simulated network's template review. Meta reviews a new template within a day; the
//! sandbox does it `review_delay_ms` after creation, by fixed rules (checked in this order,
//! on every `text` of the components):
//!
//! 1. `[templates] approve_all` set, or a sandbox channel of the template's WABA with
//!    `approve_templates`: APPROVED.
//! 2. Two variables with nothing between them (`{{1}}{{2}}`): REJECTED, INVALID_FORMAT.
//! 3. An abusive word ([`ABUSIVE`]): REJECTED, ABUSIVE_CONTENT.
//! 4. A scam phrase ([`SCAM`]): REJECTED, SCAM.
//! 5. A UTILITY or AUTHENTICATION template with marketing language ([`PROMOTIONAL`]):
//!    REJECTED, INCORRECT_CATEGORY — unless it is a UTILITY template created with
//!    `allow_category_change`: then it becomes MARKETING (a `template_category_update`) and
//!    is APPROVED.
//! 6. Otherwise APPROVED, quality UNKNOWN (no messages sent yet).
//!
//! After approval, users rate the template ([`quality`]: the sandbox's
//! `POST /sandbox/templates/{id}/quality` stands in for their feedback); a RED rating walks
//! Meta's pause ladder, and [`TemplateReviewer::run_once`] ends pauses that are over.
//!
//! Each change is stored with its webhook events, in one transaction. `run_once` reviews
//! and unpauses what is due at the `now` it is given, so tests never sleep: they pass a
//! later `now` instead of waiting out a 3-hour pause.
//!
//! # Layout
//! - this file: the review rules, the reviewer step, and the payloads every template
//!   event shares.
//! - [`quality`]: ratings, the pause ladder and unpausing.

pub mod quality;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use wagate_core::Timestamp;
use wagate_core::channel::Upstream;
use wagate_core::ids::{AccountId, ChannelId, EventId, WabaId};
use wagate_core::template::variables::has_adjacent_variables;
use wagate_core::template::{QualityScore, RejectionReason, TemplateCategory, TemplateStatus};
use wagate_core::webhook::{EventData, EventField, WebhookEvent};
use wagate_store::{Page, Store, StoreError, Template};

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

/// What review decided: the template's status, why it was rejected, and its category
/// (changed only when review re-categorised it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review {
    pub status: TemplateStatus,
    pub reason: Option<RejectionReason>,
    pub category: TemplateCategory,
}

/// The review of `t` ([`verdict`]), except that a UTILITY template created with
/// `allow_category_change` that would be rejected as INCORRECT_CATEGORY becomes MARKETING
/// and is approved, as Meta does.
pub fn review(t: &Template, approve_all: bool) -> Review {
    match verdict(t, approve_all) {
        (TemplateStatus::Rejected, Some(RejectionReason::IncorrectCategory))
            if t.allow_category_change && t.category == TemplateCategory::Utility =>
        {
            Review {
                status: TemplateStatus::Approved,
                reason: None,
                category: TemplateCategory::Marketing,
            }
        }
        (status, reason) => Review {
            status,
            reason,
            category: t.category,
        },
    }
}

/// The review of `t` by the rules alone: its new status and, when rejected, why.
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

/// `message_template_id` as Meta sends it: a JSON number.
pub fn template_id_json(t: &Template) -> Value {
    t.id.as_str()
        .parse::<u64>()
        .map_or_else(|_| json!(t.id.as_str()), |n| json!(n))
}

/// Meta's `message_template_status_update` value (reference §5.6).
pub fn status_update(t: &Template) -> Value {
    let mut v = json!({
        "event": t.status.as_str(),
        "message_template_id": template_id_json(t),
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

/// Meta's `template_category_update` value: review moved `t` from `previous` to its
/// current category.
pub fn category_update(t: &Template, previous: TemplateCategory) -> Value {
    json!({
        "message_template_id": template_id_json(t),
        "message_template_name": t.name.as_str(),
        "message_template_language": t.language.as_str(),
        "previous_category": previous.as_str(),
        "new_category": t.category.as_str(),
    })
}

/// What template events need to know about a WABA.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Waba {
    /// One of its channels: template events name it (for the envelope's WABA id). `None`
    /// when the WABA has no channel left; its events are then not stored.
    pub channel: Option<ChannelId>,
    /// A sandbox channel of it has `approve_templates`.
    pub approves: bool,
}

impl Waba {
    pub(crate) async fn of(
        store: &dyn Store,
        account: AccountId,
        waba: &WabaId,
    ) -> wagate_store::Result<Waba> {
        let channels: Vec<_> = store
            .list_channels(account, &Page::all())
            .await?
            .into_iter()
            .filter(|c| &c.waba_id == waba)
            .collect();
        Ok(Waba {
            channel: channels.first().map(|c| c.id),
            approves: channels
                .iter()
                .any(|c| matches!(&c.upstream, Upstream::Sandbox(s) if s.approve_templates)),
        })
    }

    /// The events of `values` (field and value, in order) about `t`, at `now`.
    pub(crate) fn events(
        &self,
        t: &Template,
        now: Timestamp,
        values: Vec<(EventField, Value)>,
    ) -> Vec<WebhookEvent> {
        let Some(channel) = self.channel else {
            return Vec::new();
        };
        values
            .into_iter()
            .map(|(field, value)| WebhookEvent {
                id: EventId::generate(),
                account_id: t.account_id,
                channel_id: Some(channel),
                occurred_at: now,
                data: EventData::Other { field, value },
            })
            .collect()
    }
}

/// `updated_at` for a guarded update at `now` of a template last updated `seen`: `now`, or
/// just after `seen` if that is not earlier, so the update always moves it.
pub(crate) fn after(now: Timestamp, seen: Timestamp) -> Timestamp {
    if now > seen {
        now
    } else {
        Timestamp::from_millisecond(seen.as_millisecond() + 1).unwrap_or(now)
    }
}

pub struct TemplateReviewer {
    store: Arc<dyn Store>,
    config: TemplatesConfig,
}

impl TemplateReviewer {
    pub fn new(store: Arc<dyn Store>, config: TemplatesConfig) -> Self {
        Self { store, config }
    }

    /// Reviews the templates created at least `review_delay_ms` before `now` and unpauses
    /// the templates whose pause is over at `now`; how many it changed.
    pub async fn run_once(&self, now: Timestamp) -> wagate_store::Result<usize> {
        Ok(self.review(now).await? + self.unpause(now).await?)
    }

    async fn review(&self, now: Timestamp) -> wagate_store::Result<usize> {
        let due =
            Timestamp::from_millisecond(now.as_millisecond() - self.config.review_delay_ms as i64)
                .unwrap_or(now);
        let pending = self.store.pending_templates(due, PER_STEP).await?;
        let n = pending.len();
        // Each WABA looked up once per step.
        let mut wabas: HashMap<(AccountId, WabaId), Waba> = HashMap::new();
        for mut t in pending {
            let key = (t.account_id, t.waba_id.clone());
            let waba = match wabas.get(&key) {
                Some(w) => *w,
                None => {
                    let w = Waba::of(self.store.as_ref(), t.account_id, &t.waba_id).await?;
                    wabas.insert(key, w);
                    w
                }
            };
            let decided = review(&t, self.config.approve_all || waba.approves);
            let previous = t.category;
            t.status = decided.status;
            t.rejected_reason = decided.reason;
            t.category = decided.category;
            if decided.status == TemplateStatus::Approved {
                t.quality_score = Some(QualityScore::Unknown);
                // An edited template that was paused comes back without its pause.
                t.paused_until = None;
            }
            t.updated_at = now;
            let mut values = Vec::new();
            if t.category != previous {
                values.push((
                    EventField::TemplateCategoryUpdate,
                    category_update(&t, previous),
                ));
            }
            values.push((EventField::MessageTemplateStatusUpdate, status_update(&t)));
            let events = waba.events(&t, now, values);
            match self.store.update_template(t, events).await {
                // Deleted meanwhile: nothing to review.
                Ok(_) | Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// Ends the pauses that are over: APPROVED again, with an UNPAUSE status update.
    async fn unpause(&self, now: Timestamp) -> wagate_store::Result<usize> {
        let paused = self.store.paused_templates(now, PER_STEP).await?;
        let mut n = 0;
        for t in paused {
            let waba = Waba::of(self.store.as_ref(), t.account_id, &t.waba_id).await?;
            let seen = t.updated_at;
            let (mut t, values) = quality::unpause(t, now);
            t.updated_at = after(now, seen);
            let events = waba.events(&t, now, values);
            match self.store.update_template_if(t, seen, events).await {
                Ok(Some(_)) => n += 1,
                // Changed (rated, edited) or deleted meanwhile: the next step sees it anew.
                Ok(None) | Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;
    use wagate_core::ids::{AccountId, TemplateId};
    use wagate_core::template::{ParameterFormat, TemplateLanguage, TemplateName};

    use super::*;

    /// A PENDING UTILITY template `1689556908129835`, created at 1750000000.
    pub(crate) fn sample() -> Template {
        let at = Timestamp::from_second(1_750_000_000).unwrap();
        Template {
            id: TemplateId::parse("1689556908129835").unwrap(),
            account_id: AccountId::generate(),
            waba_id: WabaId::parse("102290129340398").unwrap(),
            name: TemplateName::parse("order_update").unwrap(),
            language: TemplateLanguage::parse("en_US").unwrap(),
            category: TemplateCategory::Utility,
            parameter_format: ParameterFormat::Positional,
            sub_category: None,
            status: TemplateStatus::Pending,
            rejected_reason: None,
            quality_score: None,
            components: json!([{"type": "BODY", "text": "Your order shipped."}]),
            message_send_ttl_seconds: None,
            created_at: at,
            updated_at: at,
            pause_count: 0,
            paused_until: None,
            allow_category_change: false,
        }
    }

    #[test]
    fn allow_category_change_turns_a_rejection_into_marketing() {
        let mut promo = sample();
        promo.components = json!([{"type": "BODY", "text": "Big sale: 20% off today."}]);
        let rejected = Review {
            status: TemplateStatus::Rejected,
            reason: Some(RejectionReason::IncorrectCategory),
            category: TemplateCategory::Utility,
        };
        assert_eq!(review(&promo, false), rejected);
        promo.allow_category_change = true;
        assert_eq!(
            review(&promo, false),
            Review {
                status: TemplateStatus::Approved,
                reason: None,
                category: TemplateCategory::Marketing,
            }
        );
        // Approve-all approves as it is; other rejections and AUTHENTICATION stay.
        assert_eq!(review(&promo, true).category, TemplateCategory::Utility);
        let mut scam = promo.clone();
        scam.components = json!([{"type": "BODY", "text": "Buy a gift card on sale."}]);
        assert_eq!(review(&scam, false).reason, Some(RejectionReason::Scam));
        let mut auth = promo.clone();
        auth.category = TemplateCategory::Authentication;
        assert_eq!(review(&auth, false).status, TemplateStatus::Rejected);
        let updated = category_update(
            &Template {
                category: TemplateCategory::Marketing,
                ..promo
            },
            TemplateCategory::Utility,
        );
        assert_eq!(
            updated,
            json!({"message_template_id": 1689556908129835_u64,
                "message_template_name": "order_update", "message_template_language": "en_US",
                "previous_category": "UTILITY", "new_category": "MARKETING"})
        );
    }

    #[test]
    fn words_match_on_boundaries() {
        assert!(contains_word("big sale today", "sale"));
        assert!(!contains_word("wholesale prices", "sale"));
        assert!(contains_word("20% off everything", "% off"));
        assert!(contains_word("please buy now!", "buy now"));
    }
}
