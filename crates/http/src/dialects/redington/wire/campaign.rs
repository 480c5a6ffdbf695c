//! The Project API's campaign object (§16, §18, §19, §22), built from the core's campaign;
//! the template inside its `message_payload` is §9's object (`super::template::object`).

use serde_json::{Value, json};
use wagate_core::campaign::CampaignStatus;
use wagate_core::campaign::model::Campaign;

/// The seed's campaign status: `LIVE` while it runs, `STOPPED` once cancelled.
pub fn status(s: CampaignStatus) -> &'static str {
    match s {
        CampaignStatus::Draft => "DRAFT",
        CampaignStatus::Scheduled => "SCHEDULED",
        CampaignStatus::Running => "LIVE",
        CampaignStatus::Paused => "PAUSED",
        CampaignStatus::Completed => "COMPLETED",
        CampaignStatus::Cancelled => "STOPPED",
        CampaignStatus::Failed => "FAILED",
    }
}

/// The §19 campaign object; `template` is the campaign's template when wagate holds it.
pub fn object(c: &Campaign, template_obj: Option<Value>) -> Value {
    json!({
        "id": c.id.to_string(),
        "name": c.name.as_str(),
        "type": c.kind.as_str().to_ascii_uppercase(),
        "audience_size": c.recipients,
        "submitted": c.queued,
        "project_id": c.channel_id.to_string(),
        "business_id": c.account_id.to_string(),
        "status": status(c.status),
        "message_type": "TEMPLATE",
        "message_payload": {
            "template": template_obj,
            "parameters": null,
            "media": null,
        },
        "partner_id": null,
        "created_at": c.created_at.as_millisecond(),
        "updated_at": c.updated_at.as_millisecond(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_campaign_is_live() {
        assert_eq!(status(CampaignStatus::Running), "LIVE");
    }
}
