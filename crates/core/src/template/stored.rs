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
