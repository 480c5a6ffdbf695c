//! The Project API's campaign object (§16, §18, §19, §22) and the template object inside
//! its `message_payload`, built from the core's campaign and template.

use serde_json::{Value, json};
use wagate_core::campaign::CampaignStatus;
use wagate_core::campaign::model::Campaign;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::template::Template;
use wagate_core::template::variables::count;

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

/// A language code's display name, as the seed shows templates (`English (US)`); codes
/// without one here are shown as they are.
pub fn language_name(code: &str) -> String {
    let name = match code {
        "en_US" => "English (US)",
        "en_GB" => "English (UK)",
        "en" => "English",
        "af" => "Afrikaans",
        "hi" => "Hindi",
        "ta" => "Tamil",
        "te" => "Telugu",
        "kn" => "Kannada",
        "ml" => "Malayalam",
        "mr" => "Marathi",
        "bn" => "Bengali",
        "gu" => "Gujarati",
        "pa" => "Punjabi",
        "ar" => "Arabic",
        "es" => "Spanish",
        "fr" => "French",
        "de" => "German",
        "pt_BR" => "Portuguese (BR)",
        other => other,
    };
    name.to_owned()
}

fn component<'a>(t: &'a Template, kind: &str) -> Option<&'a Value> {
    t.components.as_array()?.iter().find(|c| {
        c.get("type")
            .and_then(Value::as_str)
            .is_some_and(|k| k.eq_ignore_ascii_case(kind))
    })
}

fn text_of(c: Option<&Value>) -> String {
    c.and_then(|c| c.get("text"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The body with each variable replaced by its sample in brackets (`Hello [Brindha]`).
fn sample_text(body: &str, samples: &[String]) -> String {
    let mut out = body.to_owned();
    for (i, s) in samples.iter().enumerate() {
        out = out.replace(&format!("{{{{{}}}}}", i + 1), &format!("[{s}]"));
    }
    out
}

/// The seed's template object: `text` is the body with its buttons as ` | [title,url]`
/// (` | [title]` for a quick reply), `type` the header's format (`TEXT` without one).
pub fn template(t: &Template, project: ChannelId, account: AccountId) -> Value {
    let body = text_of(component(t, "BODY"));
    let header = component(t, "HEADER");
    let kind = header
        .and_then(|h| h.get("format"))
        .and_then(Value::as_str)
        .map_or("TEXT".to_owned(), str::to_ascii_uppercase);
    let samples: Vec<String> = component(t, "BODY")
        .and_then(|b| b.pointer("/example/body_text/0"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut text = body.clone();
    let mut call_to_action = Vec::new();
    let mut quick_replies = Vec::new();
    let buttons = component(t, "BUTTONS")
        .and_then(|b| b.get("buttons"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for b in &buttons {
        let kind = b.get("type").and_then(Value::as_str).unwrap_or_default();
        let title = b.get("text").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "URL" | "PHONE_NUMBER" => {
                let value = b
                    .get("url")
                    .or_else(|| b.get("phone_number"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                text.push_str(&format!(" | [{title},{value}]"));
                call_to_action.push(json!({
                    "type": kind, "button_value": value, "button_title": title,
                }));
            }
            _ => {
                text.push_str(&format!(" | [{title}]"));
                quick_replies.push(json!(title));
            }
        }
    }
    let action_type = match (call_to_action.is_empty(), quick_replies.is_empty()) {
        (false, true) => "CTA",
        (true, false) => "QUICK_REPLY",
        _ => "All",
    };
    let parameters = count(&body) + count(&text_of(header));
    json!({
        "id": t.id.as_str(),
        "name": t.name.as_str(),
        "label": t.name.as_str(),
        "status": t.status.as_str(),
        "call_to_action": call_to_action,
        "quick_replies": quick_replies,
        "type": kind,
        "language": language_name(t.language.as_str()),
        "text": text,
        "sample_text": sample_text(&body, &samples),
        "message_action_type": action_type,
        "total_parameters": parameters,
        "project_id": project.to_string(),
        "business_id": account.to_string(),
        "created_at": t.created_at.as_millisecond(),
        "updated_at": t.updated_at.as_millisecond(),
        "partner_id": null,
        "category": t.category.as_str(),
        "rejected_reason": t.rejected_reason.map_or("NONE", |r| r.as_str()),
    })
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
    fn samples_fill_the_body_in_brackets() {
        assert_eq!(
            sample_text(
                "Hello {{1}}, thank you {{2}}",
                &["Brindha".into(), "Mam".into()]
            ),
            "Hello [Brindha], thank you [Mam]"
        );
        assert_eq!(language_name("en_US"), "English (US)");
        assert_eq!(language_name("xx"), "xx");
        assert_eq!(status(CampaignStatus::Running), "LIVE");
    }
}
