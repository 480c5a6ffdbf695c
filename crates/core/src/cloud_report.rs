//! What Meta reports by webhook for a cloud channel (`POST /webhooks/meta`), parsed: the
//! statuses of messages we handed over and the messages users sent, per phone number.
//!
//! # Model
//! Meta's envelope is `{"object": "whatsapp_business_account", "entry": [{"id": <WABA>,
//! "changes": [{"field": "messages", "value": {...}}]}]}`; a `messages` change names its
//! phone number in `value.metadata.phone_number_id` and carries `statuses[]`, or
//! `messages[]` with `contacts[]`. Other fields (template, number and account updates) are
//! kept as they are, with the WABA they are about, for subscribers.
//!
//! Parsing is lenient where Meta's payloads vary and strict where wagate acts on a value:
//! a status of a kind wagate does not track (`deleted`, `warning`) or an item it cannot
//! read is skipped and counted, never a reason to refuse the whole report, because Meta
//! would redeliver it forever.

use serde_json::Value;

use crate::Timestamp;
use crate::content::Content;
use crate::ids::{PhoneNumberId, WabaId};
use crate::message::{Bsuid, MessageError, MessageStatus, Wamid};
use crate::phone::PhoneE164;
use crate::pricing::{Conversation, Pricing, PricingCategory, PricingType};

/// One webhook body from Meta.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CloudReport {
    pub changes: Vec<ReportedChange>,
    /// Changes of other fields (`message_template_status_update`, `account_update`, …),
    /// passed on to subscribers as they are.
    pub others: Vec<ReportedOther>,
    /// Items that could not be read.
    pub skipped: usize,
}

/// A `messages` change of one phone number.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedChange {
    pub waba_id: Option<WabaId>,
    pub phone_number_id: PhoneNumberId,
    pub statuses: Vec<ReportedStatus>,
    pub messages: Vec<ReportedMessage>,
}

/// A change of a field other than `messages`, about a WABA.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedOther {
    pub waba_id: Option<WabaId>,
    pub field: String,
    pub value: Value,
}

/// A status of a message we sent, named by Meta's id for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedStatus {
    pub upstream_id: String,
    pub status: MessageStatus,
    pub at: Option<Timestamp>,
    pub error: Option<MessageError>,
    /// Meta's `pricing`, when the status carries one it can read.
    pub pricing: Option<Pricing>,
    /// Meta's `conversation` (Graph v23 and lower), when it names its expiry.
    pub conversation: Option<Conversation>,
}

/// A message a user sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedMessage {
    /// Meta's id, kept as the message's wamid.
    pub wamid: Wamid,
    pub from: PhoneE164,
    pub bsuid: Option<Bsuid>,
    pub profile_name: Option<String>,
    pub at: Option<Timestamp>,
    pub content: Content,
    /// Meta's id of the message replied to.
    pub context: Option<String>,
    /// Meta's media id of a media message's file.
    pub media_id: Option<String>,
}

/// Why a body is not a report at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAReport(pub String);

/// Parses a webhook body. Only a body that is not Meta's envelope is an error.
pub fn parse(body: &[u8]) -> Result<CloudReport, NotAReport> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| NotAReport(format!("the body is not JSON ({e})")))?;
    let entries = v
        .get("entry")
        .and_then(Value::as_array)
        .ok_or_else(|| NotAReport("the body has no `entry` array".into()))?;
    let mut report = CloudReport::default();
    for entry in entries {
        let waba_id = entry
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| WabaId::parse(s).ok());
        for change in entry
            .get("changes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let field = change.get("field").and_then(Value::as_str).unwrap_or("");
            if field != "messages" {
                report.others.push(ReportedOther {
                    waba_id: waba_id.clone(),
                    field: field.to_owned(),
                    value: change.get("value").cloned().unwrap_or(Value::Null),
                });
                continue;
            }
            let value = change.get("value").unwrap_or(&Value::Null);
            let Some(phone_number_id) = value
                .pointer("/metadata/phone_number_id")
                .and_then(Value::as_str)
                .and_then(|s| PhoneNumberId::parse(s).ok())
            else {
                report.skipped += 1;
                continue;
            };
            let mut parsed = ReportedChange {
                waba_id: waba_id.clone(),
                phone_number_id,
                statuses: Vec::new(),
                messages: Vec::new(),
            };
            for s in items(value, "statuses") {
                match status(s) {
                    Some(s) => parsed.statuses.push(s),
                    None => report.skipped += 1,
                }
            }
            let contacts: Vec<&Value> = items(value, "contacts").collect();
            for m in items(value, "messages") {
                match message(m, &contacts) {
                    Some(m) => parsed.messages.push(m),
                    None => report.skipped += 1,
                }
            }
            report.changes.push(parsed);
        }
    }
    Ok(report)
}

fn items<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Meta's `timestamp`: Unix seconds, as a string (or a number).
fn timestamp(v: &Value) -> Option<Timestamp> {
    v.get("timestamp").and_then(seconds)
}

/// Unix seconds, as Meta writes them: a string of digits, or a number.
fn seconds(v: &Value) -> Option<Timestamp> {
    let secs = match v {
        Value::String(s) => s.parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    Timestamp::from_second(secs).ok()
}

fn status(v: &Value) -> Option<ReportedStatus> {
    let upstream_id = v.get("id")?.as_str()?.to_owned();
    let status = match v.get("status")?.as_str()? {
        "sent" => MessageStatus::Sent,
        "delivered" => MessageStatus::Delivered,
        "read" => MessageStatus::Read,
        "failed" => MessageStatus::Failed,
        _ => return None,
    };
    let error = v
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
        .map(|e| {
            let title = e
                .get("title")
                .or_else(|| e.get("message"))
                .and_then(Value::as_str)
                .unwrap_or("Something went wrong")
                .to_owned();
            MessageError {
                code: e.get("code").and_then(Value::as_u64).unwrap_or(131000) as u32,
                details: e
                    .pointer("/error_data/details")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| title.clone()),
                title,
            }
        });
    Some(ReportedStatus {
        upstream_id,
        status,
        at: timestamp(v),
        error,
        pricing: v.get("pricing").and_then(pricing),
        conversation: v.get("conversation").and_then(conversation),
    })
}

/// Meta's `{"billable": true, "pricing_model": "PMP", "category": "marketing", "type":
/// "regular"}`. `type` came with Graph v23; without it, a billable message is `regular`, a
/// free one a free entry point (`referral_conversion`) or free service.
fn pricing(v: &Value) -> Option<Pricing> {
    let category: PricingCategory = serde_json::from_value(v.get("category")?.clone()).ok()?;
    let billable = v.get("billable").and_then(Value::as_bool).unwrap_or(true);
    let kind = match v.get("type") {
        Some(t) => serde_json::from_value(t.clone()).ok()?,
        None if billable => PricingType::Regular,
        None if category == PricingCategory::ReferralConversion => PricingType::FreeEntryPoint,
        None => PricingType::FreeCustomerService,
    };
    Some(Pricing {
        billable,
        pricing_model: v
            .get("pricing_model")
            .and_then(Value::as_str)
            .unwrap_or("PMP")
            .to_owned(),
        kind,
        category,
    })
}

/// Meta's `{"id": …, "expiration_timestamp": "1700000000", "origin": {"type": "service"}}`.
/// Only the first status of a conversation names its expiry; the others are not kept.
fn conversation(v: &Value) -> Option<Conversation> {
    let origin = serde_json::from_value(v.pointer("/origin/type")?.clone()).ok()?;
    Some(Conversation {
        id: v.get("id")?.as_str()?.to_owned(),
        origin,
        expires_at: seconds(v.get("expiration_timestamp")?)?,
    })
}

fn message(v: &Value, contacts: &[&Value]) -> Option<ReportedMessage> {
    let wamid = Wamid::parse_field("id", v.get("id")?.as_str()?).ok()?;
    let from_raw = v.get("from")?.as_str()?;
    let from = PhoneE164::parse(from_raw).ok()?;
    let contact = contacts
        .iter()
        .find(|c| c.get("wa_id").and_then(Value::as_str) == Some(from.digits()));
    let bsuid = v
        .get("from_user_id")
        .or_else(|| contact.and_then(|c| c.get("user_id")))
        .and_then(Value::as_str)
        .and_then(|s| Bsuid::parse_field("user_id", s).ok());
    let profile_name = contact
        .and_then(|c| c.pointer("/profile/name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut content = Content::inbound(v).ok()?;
    let kind = content.kind().as_str();
    let media_id = v
        .get(kind)
        .and_then(|b| b.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|_| content.kind().is_media());
    if media_id.is_some()
        && let Some(body) = content.body_mut().as_object_mut()
    {
        // The file is Meta's until it is fetched; wagate gives it its own media id.
        body.remove("id");
    }
    Some(ReportedMessage {
        wamid,
        from,
        bsuid,
        profile_name,
        at: timestamp(v),
        content,
        context: v
            .pointer("/context/id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        media_id,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}]
        }))
        .unwrap()
    }

    #[test]
    fn statuses_are_read_with_their_errors() {
        let report = parse(&body(json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "statuses": [
                {"id": "wamid.AAA", "status": "delivered", "timestamp": "1750000000", "recipient_id": "16505551234"},
                {"id": "wamid.BBB", "status": "failed", "timestamp": 1750000001, "recipient_id": "16505551234",
                 "errors": [{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
                             "error_data": {"details": "Message Undeliverable."}}]},
                {"id": "wamid.CCC", "status": "deleted", "timestamp": "1750000002"}
            ]
        })))
        .unwrap();
        assert_eq!(report.changes.len(), 1);
        let change = &report.changes[0];
        assert_eq!(change.phone_number_id.as_str(), "106540352242922");
        assert_eq!(change.waba_id.as_ref().unwrap().as_str(), "102290129340398");
        assert_eq!(change.statuses.len(), 2);
        assert_eq!(change.statuses[0].status, MessageStatus::Delivered);
        assert_eq!(
            change.statuses[0].at,
            Some(Timestamp::from_second(1_750_000_000).unwrap())
        );
        let error = change.statuses[1].error.clone().unwrap();
        assert_eq!(error.code, 131026);
        assert_eq!(error.details, "Message Undeliverable.");
        assert_eq!(report.skipped, 1, "`deleted` is not tracked");
    }

    #[test]
    fn metas_pricing_and_conversation_are_read_old_and_new_shapes() {
        let report = parse(&body(json!({
            "metadata": {"phone_number_id": "106540352242922"},
            "statuses": [
                {"id": "wamid.AAA", "status": "sent", "timestamp": "1750000000",
                 "conversation": {"id": "c1", "expiration_timestamp": "1750086400",
                                  "origin": {"type": "marketing"}},
                 "pricing": {"billable": true, "pricing_model": "PMP", "category": "marketing",
                             "type": "regular"}},
                {"id": "wamid.BBB", "status": "delivered", "timestamp": "1750000001",
                 "conversation": {"id": "c2", "origin": {"type": "referral_conversion"}},
                 "pricing": {"billable": false, "pricing_model": "CBP",
                             "category": "referral_conversion"}},
                {"id": "wamid.CCC", "status": "read", "timestamp": "1750000002",
                 "pricing": {"billable": true, "category": "no_such_category"}}
            ]
        })))
        .unwrap();
        let s = &report.changes[0].statuses;
        assert_eq!(
            s[0].pricing,
            Some(Pricing {
                billable: true,
                pricing_model: "PMP".into(),
                kind: PricingType::Regular,
                category: PricingCategory::Marketing,
            })
        );
        let conversation = s[0].conversation.clone().unwrap();
        assert_eq!(conversation.id, "c1");
        assert_eq!(conversation.origin, PricingCategory::Marketing);
        assert_eq!(
            conversation.expires_at,
            Timestamp::from_second(1_750_086_400).unwrap()
        );
        let free = s[1].pricing.clone().unwrap();
        assert_eq!(
            (free.billable, free.kind, free.pricing_model.as_str()),
            (false, PricingType::FreeEntryPoint, "CBP")
        );
        assert_eq!(s[1].conversation, None, "no expiry named: wagate's is kept");
        assert_eq!(s[2].pricing, None, "an unknown category is not guessed");
        assert_eq!(report.skipped, 0, "the statuses themselves are all read");
    }

    #[test]
    fn messages_take_name_and_bsuid_from_contacts_and_drop_metas_media_id() {
        let report = parse(&body(json!({
            "metadata": {"phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Kerry"}, "wa_id": "16505551234", "user_id": "US.13491208655302741918"}],
            "messages": [
                {"from": "16505551234", "id": "wamid.TEXT1", "timestamp": "1750000000", "type": "text",
                 "text": {"body": "hello"}, "context": {"from": "15550783881", "id": "wamid.OURS"}},
                {"from": "16505551234", "id": "wamid.IMG1", "timestamp": "1750000001", "type": "image",
                 "image": {"id": "1003383421387256", "mime_type": "image/jpeg", "sha256": "abc=", "caption": "cat"}},
                {"from": "not a number", "id": "wamid.BAD", "type": "text", "text": {"body": "x"}}
            ]
        })))
        .unwrap();
        let change = &report.changes[0];
        assert_eq!(change.messages.len(), 2);
        let text = &change.messages[0];
        assert_eq!(text.from.digits(), "16505551234");
        assert_eq!(text.profile_name.as_deref(), Some("Kerry"));
        assert_eq!(
            text.bsuid.as_ref().map(|b| b.as_str()),
            Some("US.13491208655302741918")
        );
        assert_eq!(text.context.as_deref(), Some("wamid.OURS"));
        assert_eq!(text.content.user_text(), Some("hello"));
        let image = &change.messages[1];
        assert_eq!(image.media_id.as_deref(), Some("1003383421387256"));
        assert!(image.content.body().get("id").is_none());
        assert_eq!(image.content.body()["caption"], "cat");
        assert_eq!(report.skipped, 1);
    }

    #[test]
    fn other_fields_are_listed_and_garbage_is_refused() {
        let report = parse(
            &serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{"id": "1",
                "changes": [{"field": "message_template_status_update", "value": {"event": "APPROVED"}}]}]}))
            .unwrap(),
        )
        .unwrap();
        assert!(report.changes.is_empty());
        assert_eq!(report.others.len(), 1);
        assert_eq!(report.others[0].field, "message_template_status_update");
        assert_eq!(report.others[0].value, json!({"event": "APPROVED"}));
        assert_eq!(report.others[0].waba_id.as_ref().unwrap().as_str(), "1");
        assert!(parse(b"not json").is_err());
        assert!(parse(b"{\"object\": \"page\"}").is_err());
    }
}
