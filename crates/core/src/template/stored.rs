//! A template as wagate holds it: one WABA's template in one language, with its review
//! state. (The storage contract keeps it; `wagate_store` re-exports it.)

use serde_json::Value;

use super::{
    ParameterFormat, QualityScore, RejectionReason, TemplateCategory, TemplateLanguage,
    TemplateName, TemplateStatus,
};
use crate::Timestamp;
use crate::ids::{AccountId, TemplateId, WabaId};

/// A template of one WABA in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub id: TemplateId,
    pub account_id: AccountId,
    pub waba_id: WabaId,
    pub name: TemplateName,
    pub language: TemplateLanguage,
    pub category: TemplateCategory,
    pub parameter_format: ParameterFormat,
    pub sub_category: Option<String>,
    pub status: TemplateStatus,
    pub rejected_reason: Option<RejectionReason>,
    pub quality_score: Option<QualityScore>,
    /// The components as Meta's GET answers them (the create request's, normalised).
    pub components: Value,
    pub message_send_ttl_seconds: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// How often a RED quality rating paused (or disabled) the template: Meta pauses it for
    /// 3 hours the first time, 6 hours the second, and disables it the third. Never reset.
    pub pause_count: u32,
    /// While `PAUSED`: when the pause ends and the template is `APPROVED` again.
    pub paused_until: Option<Timestamp>,
    /// The create request's `allow_category_change`: review may re-categorise the template
    /// instead of rejecting it as `INCORRECT_CATEGORY`. Set at creation only.
    pub allow_category_change: bool,
}

impl Template {
    /// A template as Meta's Graph API answers it (an item of `GET /{waba}/message_templates`)
    /// for a cloud channel's WABA, which Meta holds: `None` when an item lacks what a send
    /// needs (id, name, language, category, status). Review details wagate does not get
    /// from that answer (pauses) are left empty.
    pub fn from_graph(
        account_id: AccountId,
        waba_id: WabaId,
        item: &Value,
        now: Timestamp,
    ) -> Option<Template> {
        let text = |k: &str| item.get(k).and_then(Value::as_str);
        Some(Template {
            id: TemplateId::parse(text("id")?).ok()?,
            account_id,
            waba_id,
            name: TemplateName::parse(text("name")?).ok()?,
            language: TemplateLanguage::parse(text("language")?).ok()?,
            category: TemplateCategory::parse(text("category")?).ok()?,
            parameter_format: text("parameter_format")
                .and_then(|f| ParameterFormat::parse(f).ok())
                .unwrap_or_default(),
            sub_category: text("sub_category").map(str::to_owned),
            status: TemplateStatus::parse(text("status")?).ok()?,
            rejected_reason: text("rejected_reason")
                .filter(|r| *r != "NONE")
                .and_then(|r| RejectionReason::parse(r).ok()),
            quality_score: item
                .pointer("/quality_score/score")
                .and_then(Value::as_str)
                .filter(|q| *q != "UNKNOWN")
                .and_then(|q| QualityScore::parse(q).ok()),
            components: item
                .get("components")
                .cloned()
                .unwrap_or(Value::Array(Vec::new())),
            message_send_ttl_seconds: item.get("message_send_ttl_seconds").and_then(Value::as_i64),
            created_at: now,
            updated_at: now,
            pause_count: 0,
            paused_until: None,
            allow_category_change: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metas_list_items_are_read_and_incomplete_ones_skipped() {
        let now = Timestamp::now();
        let (a, w) = (
            AccountId::generate(),
            WabaId::parse("102290129340398").unwrap(),
        );
        let item = serde_json::json!({"id": "594425479261596", "name": "demo_template",
            "language": "en_US", "category": "MARKETING", "status": "APPROVED",
            "parameter_format": "POSITIONAL",
            "components": [{"type": "BODY", "text": "Hello {{1}}"}]});
        let t = Template::from_graph(a, w.clone(), &item, now).unwrap();
        assert_eq!(t.name.as_str(), "demo_template");
        assert_eq!(t.status, TemplateStatus::Approved);
        assert_eq!(t.components[0]["text"], "Hello {{1}}");
        let mut no_status = item;
        no_status.as_object_mut().unwrap().remove("status");
        assert!(Template::from_graph(a, w, &no_status, now).is_none());
    }
}
