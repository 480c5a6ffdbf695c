//! Meta's webhook payloads (reference §5.3–§5.6), built from stored events.
//!
//! Every event of a POST becomes one `entry[0].changes[]` item of one envelope:
//!
//! ```json
//! {"object": "whatsapp_business_account",
//!  "entry": [{"id": "<waba id>", "changes": [{"field": "messages", "value": {...}}]}]}
//! ```
//!
//! A status or an inbound message is a `messages` change whose value carries `metadata`
//! (the business number), `contacts[0]` (the user: `wa_id`, and `user_id`, the BSUID, which
//! pywa needs to recognise either update, §9.3) and one `statuses[]` or `messages[]` item.
//! Any other field is its stored `value` as is, and the entry then carries `time` (§5.6).
//! Optional keys are left out when there is nothing to say: never `null`.
//! Timestamps are unix seconds, as strings inside values and as a number in `entry.time`.
//!
//! Account-wide events (wagate's own `contacts` field) name no number: [`render_account`]
//! puts them in the same envelope, with the account's id as the entry's `id`.

use serde_json::{Map, Value, json};

use crate::Timestamp;
use crate::content::MessageType;
use crate::ids::AccountId;
use crate::message::{Bsuid, MessageStatus};
use crate::phone::PhoneE164;

use super::{ChannelRef, EventData, InboundEvent, StatusEvent, WebhookEvent};

/// Where a failed status's `errors[].href` points, as Meta writes it.
pub const ERROR_CODES_HREF: &str = "/documentation/business-messaging/whatsapp/support/error-codes";

/// The Cloud API webhook body of `events` (all about `channel`): one entry for the
/// channel's WABA with one change per event, in order. `entry.time` is set when an event is
/// of a field other than `messages` (the latest such event's time).
pub fn render(channel: &ChannelRef, events: &[WebhookEvent]) -> Value {
    let mut changes = Vec::with_capacity(events.len());
    let mut time: Option<i64> = None;
    for event in events {
        let value = match &event.data {
            EventData::Status(s) => status_value(channel, s),
            EventData::Inbound(m) => inbound_value(channel, m),
            EventData::Other { value, .. } => {
                let secs = event.occurred_at.as_second();
                time = Some(time.map_or(secs, |t| t.max(secs)));
                value.clone()
            }
        };
        changes.push(json!({"field": event.field().cloud_field(), "value": value}));
    }
    let mut entry = Map::new();
    entry.insert("id".into(), channel.waba_id.as_str().into());
    if let Some(t) = time {
        entry.insert("time".into(), t.into());
    }
    entry.insert("changes".into(), Value::Array(changes));
    json!({"object": "whatsapp_business_account", "entry": [entry]})
}

/// The Cloud API envelope of account-wide `events` (no channel: `contacts`): one entry whose
/// `id` is the account's, with `time` and one change per event, each value as stored.
pub fn render_account(account: AccountId, events: &[WebhookEvent]) -> Value {
    let changes: Vec<Value> = events
        .iter()
        .map(|e| {
            let value = match &e.data {
                EventData::Other { value, .. } => value.clone(),
                // Message events always name their channel; never rendered here.
                _ => Value::Null,
            };
            json!({"field": e.field().cloud_field(), "value": value})
        })
        .collect();
    let time = events.iter().map(|e| e.occurred_at.as_second()).max();
    let mut entry = Map::new();
    entry.insert("id".into(), account.to_string().into());
    if let Some(t) = time {
        entry.insert("time".into(), t.into());
    }
    entry.insert("changes".into(), Value::Array(changes));
    json!({"object": "whatsapp_business_account", "entry": [entry]})
}

/// A `messages` change value: product, metadata and the user as `contacts`, to which the
/// caller adds `statuses` or `messages`.
fn messages_value(
    channel: &ChannelRef,
    wa_id: Option<&PhoneE164>,
    bsuid: Option<&Bsuid>,
    profile_name: Option<&str>,
) -> Map<String, Value> {
    let mut value = Map::new();
    value.insert("messaging_product".into(), "whatsapp".into());
    value.insert(
        "metadata".into(),
        json!({
            "display_phone_number": channel.display_phone_number.digits(),
            "phone_number_id": channel.phone_number_id.as_str(),
        }),
    );
    if wa_id.is_some() || bsuid.is_some() {
        let mut contact = Map::new();
        if let Some(name) = profile_name {
            contact.insert("profile".into(), json!({ "name": name }));
        }
        if let Some(w) = wa_id {
            contact.insert("wa_id".into(), w.digits().into());
        }
        if let Some(b) = bsuid {
            contact.insert("user_id".into(), b.as_str().into());
        }
        value.insert("contacts".into(), json!([contact]));
    }
    value
}

fn secs(t: Timestamp) -> String {
    t.as_second().to_string()
}

fn status_value(channel: &ChannelRef, s: &StatusEvent) -> Value {
    let mut value = messages_value(
        channel,
        s.wa_id.as_ref(),
        s.bsuid.as_ref(),
        s.profile_name.as_deref(),
    );
    let mut status = Map::new();
    status.insert("id".into(), s.wamid.as_str().into());
    status.insert("status".into(), s.status.as_str().into());
    status.insert("timestamp".into(), secs(s.at).into());
    let recipient = s
        .wa_id
        .as_ref()
        .map(|w| w.digits())
        .or_else(|| s.bsuid.as_ref().map(|b| b.as_str()));
    if let Some(r) = recipient {
        status.insert("recipient_id".into(), r.into());
    }
    if let Some(b) = &s.bsuid {
        status.insert("recipient_user_id".into(), b.as_str().into());
    }
    if let Some(data) = &s.biz_opaque_callback_data {
        status.insert("biz_opaque_callback_data".into(), data.as_str().into());
    }
    if let Some(c) = &s.conversation {
        let mut conversation = Map::new();
        conversation.insert("id".into(), c.id.as_str().into());
        if s.status == MessageStatus::Sent {
            conversation.insert("expiration_timestamp".into(), secs(c.expires_at).into());
        }
        conversation.insert("origin".into(), json!({ "type": c.origin.as_str() }));
        status.insert("conversation".into(), Value::Object(conversation));
    }
    if let Some(p) = &s.pricing {
        // `Pricing` serialises as Meta's object: billable, pricing_model, type, category.
        status.insert(
            "pricing".into(),
            serde_json::to_value(p).expect("pricing serialises"),
        );
    }
    if let (MessageStatus::Failed, Some(e)) = (s.status, &s.error) {
        status.insert(
            "errors".into(),
            json!([{
                "code": e.code,
                "title": e.title,
                "message": e.title,
                "error_data": {"details": e.details},
                "href": ERROR_CODES_HREF,
            }]),
        );
    }
    value.insert("statuses".into(), json!([status]));
    Value::Object(value)
}

fn inbound_value(channel: &ChannelRef, m: &InboundEvent) -> Value {
    let mut value = messages_value(
        channel,
        m.wa_id.as_ref(),
        m.bsuid.as_ref(),
        m.profile_name.as_deref(),
    );
    let mut message = Map::new();
    if let Some(w) = &m.wa_id {
        message.insert("from".into(), w.digits().into());
    }
    if let Some(b) = &m.bsuid {
        message.insert("from_user_id".into(), b.as_str().into());
    }
    message.insert("id".into(), m.wamid.as_str().into());
    message.insert("timestamp".into(), secs(m.at).into());
    let kind = m.content.kind();
    message.insert("type".into(), kind.as_str().into());
    match kind {
        MessageType::RequestWelcome => {}
        // Stored with the message's `errors` inside the `unsupported` object (see
        // `Content::inbound`); Meta has them beside it.
        MessageType::Unsupported => {
            let mut body = m.content.body().clone();
            if let Some(errors) = body.as_object_mut().and_then(|o| o.remove("errors")) {
                message.insert("errors".into(), errors);
            }
            if body.as_object().is_some_and(|o| !o.is_empty()) {
                message.insert(kind.as_str().into(), body);
            }
        }
        _ => {
            message.insert(kind.as_str().into(), m.content.body().clone());
        }
    }
    if let Some(context) = &m.context {
        message.insert(
            "context".into(),
            json!({
                "from": channel.display_phone_number.digits(),
                "id": context.as_str(),
            }),
        );
    }
    value.insert("messages".into(), json!([message]));
    Value::Object(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Content;
    use crate::ids::{AccountId, ChannelId, EventId, MessageId, PhoneNumberId, WabaId};
    use crate::message::{MessageError, Wamid};
    use crate::pricing::{Conversation, Pricing, PricingCategory, PricingType};
    use crate::webhook::EventField;

    const WAMID: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI4MjZGRDA0OUE2OTQ3RkEyMzcA";
    const CONTEXT: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJBQkNERUYwMTIzNDU2Nzg5AA==";
    const BSUID: &str = "US.13491208655302741918";

    fn channel() -> ChannelRef {
        ChannelRef {
            waba_id: WabaId::parse("102290129340398").unwrap(),
            phone_number_id: PhoneNumberId::parse("106540352242922").unwrap(),
            display_phone_number: PhoneE164::parse("+15550783881").unwrap(),
        }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).unwrap()
    }

    fn event(data: EventData, occurred_at: Timestamp) -> WebhookEvent {
        WebhookEvent {
            id: EventId::generate(),
            account_id: AccountId::generate(),
            channel_id: Some(ChannelId::generate()),
            occurred_at,
            data,
        }
    }

    fn status(st: MessageStatus, secs: i64) -> StatusEvent {
        StatusEvent {
            message_id: MessageId::generate(),
            wamid: Wamid::parse_field("id", WAMID).unwrap(),
            status: st,
            at: at(secs),
            wa_id: Some(PhoneE164::parse("16505551234").unwrap()),
            bsuid: Some(Bsuid::parse_field("user_id", BSUID).unwrap()),
            profile_name: Some("Sheena Nelson".into()),
            biz_opaque_callback_data: None,
            error: None,
            pricing: None,
            conversation: None,
        }
    }

    fn inbound(content: Content, secs: i64) -> InboundEvent {
        InboundEvent {
            message_id: MessageId::generate(),
            wamid: Wamid::parse_field("id", WAMID).unwrap(),
            at: at(secs),
            wa_id: Some(PhoneE164::parse("16505551234").unwrap()),
            bsuid: Some(Bsuid::parse_field("user_id", BSUID).unwrap()),
            profile_name: Some("Sheena Nelson".into()),
            content,
            context: None,
        }
    }

    fn one(data: EventData) -> Value {
        let secs = match &data {
            EventData::Status(s) => s.at.as_second(),
            EventData::Inbound(m) => m.at.as_second(),
            EventData::Other { .. } => 1751247548,
        };
        render(&channel(), &[event(data, at(secs))])
    }

    /// The envelope of one `messages` change with `value`.
    fn envelope(value: Value) -> Value {
        json!({"object": "whatsapp_business_account", "entry": [{
            "id": "102290129340398",
            "changes": [{"field": "messages", "value": value}]}]})
    }

    fn head() -> Value {
        json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234", "user_id": BSUID}],
        })
    }

    fn with(mut head: Value, key: &str, item: Value) -> Value {
        head[key] = json!([item]);
        head
    }

    #[test]
    fn sent_status_with_pricing_and_conversation() {
        let mut s = status(MessageStatus::Sent, 1750030073);
        s.biz_opaque_callback_data = Some("my-tracker".into());
        s.pricing = Some(Pricing {
            billable: true,
            pricing_model: "PMP".into(),
            kind: PricingType::Regular,
            category: PricingCategory::Marketing,
        });
        s.conversation = Some(Conversation {
            id: "72b14d6bd5407799e66f64d1b338e567".into(),
            origin: PricingCategory::Marketing,
            expires_at: at(1750116480),
        });
        assert_eq!(
            one(EventData::Status(s)),
            envelope(with(
                head(),
                "statuses",
                json!({
                    "id": WAMID, "status": "sent", "timestamp": "1750030073",
                    "recipient_id": "16505551234", "recipient_user_id": BSUID,
                    "biz_opaque_callback_data": "my-tracker",
                    "conversation": {"id": "72b14d6bd5407799e66f64d1b338e567",
                        "expiration_timestamp": "1750116480", "origin": {"type": "marketing"}},
                    "pricing": {"billable": true, "pricing_model": "PMP", "type": "regular",
                        "category": "marketing"},
                })
            ))
        );
    }

    #[test]
    fn delivered_status_repeats_pricing_without_expiration() {
        let mut s = status(MessageStatus::Delivered, 1750030080);
        s.pricing = Some(Pricing {
            billable: false,
            pricing_model: "PMP".into(),
            kind: PricingType::FreeCustomerService,
            category: PricingCategory::Service,
        });
        s.conversation = Some(Conversation {
            id: "c0ffee".into(),
            origin: PricingCategory::Service,
            expires_at: at(1750116480),
        });
        assert_eq!(
            one(EventData::Status(s)),
            envelope(with(
                head(),
                "statuses",
                json!({
                    "id": WAMID, "status": "delivered", "timestamp": "1750030080",
                    "recipient_id": "16505551234", "recipient_user_id": BSUID,
                    "conversation": {"id": "c0ffee", "origin": {"type": "service"}},
                    "pricing": {"billable": false, "pricing_model": "PMP",
                        "type": "free_customer_service", "category": "service"},
                })
            ))
        );
    }

    #[test]
    fn read_status() {
        let s = status(MessageStatus::Read, 1750030099);
        assert_eq!(
            one(EventData::Status(s)),
            envelope(with(
                head(),
                "statuses",
                json!({
                    "id": WAMID, "status": "read", "timestamp": "1750030099",
                    "recipient_id": "16505551234", "recipient_user_id": BSUID,
                })
            ))
        );
    }

    #[test]
    fn failed_status_carries_the_error() {
        let mut s = status(MessageStatus::Failed, 1751142888);
        s.profile_name = None;
        s.error = Some(MessageError {
            code: 131049,
            title: "This message was not delivered to maintain healthy ecosystem engagement."
                .into(),
            details: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.".into(),
        });
        let mut h = head();
        h["contacts"] = json!([{"wa_id": "16505551234", "user_id": BSUID}]);
        assert_eq!(
            one(EventData::Status(s)),
            envelope(with(
                h,
                "statuses",
                json!({
                    "id": WAMID, "status": "failed", "timestamp": "1751142888",
                    "recipient_id": "16505551234", "recipient_user_id": BSUID,
                    "errors": [{
                        "code": 131049,
                        "title": "This message was not delivered to maintain healthy ecosystem engagement.",
                        "message": "This message was not delivered to maintain healthy ecosystem engagement.",
                        "error_data": {"details": "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."},
                        "href": "/documentation/business-messaging/whatsapp/support/error-codes",
                    }],
                })
            ))
        );
    }

    #[test]
    fn status_of_a_user_known_only_by_bsuid() {
        let mut s = status(MessageStatus::Delivered, 1750030080);
        s.wa_id = None;
        s.profile_name = None;
        let mut h = head();
        h["contacts"] = json!([{"user_id": BSUID}]);
        assert_eq!(
            one(EventData::Status(s)),
            envelope(with(
                h,
                "statuses",
                json!({
                    "id": WAMID, "status": "delivered", "timestamp": "1750030080",
                    "recipient_id": BSUID, "recipient_user_id": BSUID,
                })
            ))
        );
    }

    #[test]
    fn inbound_text_replying_to_our_message() {
        let content =
            Content::inbound(&json!({"type": "text", "text": {"body": "olá 😀"}})).unwrap();
        let mut m = inbound(content, 1749416383);
        m.context = Some(Wamid::parse_field("context", CONTEXT).unwrap());
        assert_eq!(
            one(EventData::Inbound(m)),
            envelope(with(
                head(),
                "messages",
                json!({
                    "from": "16505551234", "from_user_id": BSUID, "id": WAMID,
                    "timestamp": "1749416383", "type": "text", "text": {"body": "olá 😀"},
                    "context": {"from": "15550783881", "id": CONTEXT},
                })
            ))
        );
    }

    #[test]
    fn inbound_image() {
        let image = json!({"id": "1003383421387256", "mime_type": "image/jpeg",
            "sha256": "mjG0aCLRsgVzb2GdVQ4/MIJkAGCEiVS5TVmNxp/uaDU=", "caption": "look"});
        let content = Content::from_parts(MessageType::Image, image.clone());
        let m = inbound(content, 1749416400);
        assert_eq!(
            one(EventData::Inbound(m)),
            envelope(with(
                head(),
                "messages",
                json!({
                    "from": "16505551234", "from_user_id": BSUID, "id": WAMID,
                    "timestamp": "1749416400", "type": "image", "image": image,
                })
            ))
        );
    }

    #[test]
    fn inbound_request_welcome_has_no_body_key() {
        let content = Content::inbound(&json!({"type": "request_welcome"})).unwrap();
        let m = inbound(content, 1749416500);
        assert_eq!(
            one(EventData::Inbound(m)),
            envelope(with(
                head(),
                "messages",
                json!({
                    "from": "16505551234", "from_user_id": BSUID, "id": WAMID,
                    "timestamp": "1749416500", "type": "request_welcome",
                })
            ))
        );
    }

    #[test]
    fn inbound_unsupported_has_its_errors_beside_the_type_object() {
        let errors = json!([{"code": 131051, "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."}}]);
        let content = Content::inbound(
            &json!({"type": "unsupported", "unsupported": {"type": "poll"}, "errors": errors}),
        )
        .unwrap();
        let v = one(EventData::Inbound(inbound(content, 1749416600)));
        let message = &v["entry"][0]["changes"][0]["value"]["messages"][0];
        assert_eq!(message["unsupported"], json!({"type": "poll"}));
        assert_eq!(message["errors"], errors);
        let content = Content::inbound(&json!({"type": "unsupported"})).unwrap();
        let v = one(EventData::Inbound(inbound(content, 1749416600)));
        let message = &v["entry"][0]["changes"][0]["value"]["messages"][0];
        assert!(message.get("unsupported").is_none() && message.get("errors").is_none());
    }

    #[test]
    fn inbound_from_a_user_without_bsuid() {
        let content = Content::text("hi", false).unwrap();
        let mut m = inbound(content, 1749416383);
        m.bsuid = None;
        let mut h = head();
        h["contacts"] = json!([{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}]);
        assert_eq!(
            one(EventData::Inbound(m)),
            envelope(with(
                h,
                "messages",
                json!({
                    "from": "16505551234", "id": WAMID, "timestamp": "1749416383",
                    "type": "text", "text": {"body": "hi", "preview_url": false},
                })
            ))
        );
        let mut s = status(MessageStatus::Read, 1750030099);
        s.bsuid = None;
        let v = one(EventData::Status(s));
        let value = &v["entry"][0]["changes"][0]["value"];
        assert_eq!(
            value["contacts"],
            json!([{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}])
        );
        assert_eq!(
            value["statuses"][0],
            json!({"id": WAMID, "status": "read", "timestamp": "1750030099",
                "recipient_id": "16505551234"})
        );
    }

    #[test]
    fn a_batch_puts_every_event_in_one_entry() {
        let sent = status(MessageStatus::Sent, 1750030073);
        let reply = inbound(Content::text("thanks", false).unwrap(), 1750030100);
        let v = render(
            &channel(),
            &[
                event(EventData::Status(sent), at(1750030073)),
                event(EventData::Inbound(reply), at(1750030100)),
            ],
        );
        assert_eq!(
            v,
            json!({"object": "whatsapp_business_account", "entry": [{
            "id": "102290129340398",
            "changes": [
                {"field": "messages", "value": with(head(), "statuses", json!({
                    "id": WAMID, "status": "sent", "timestamp": "1750030073",
                    "recipient_id": "16505551234", "recipient_user_id": BSUID}))},
                {"field": "messages", "value": with(head(), "messages", json!({
                    "from": "16505551234", "from_user_id": BSUID, "id": WAMID,
                    "timestamp": "1750030100", "type": "text",
                    "text": {"body": "thanks", "preview_url": false}}))},
            ]}]})
        );
    }

    #[test]
    fn other_fields_carry_their_value_and_the_entry_time() {
        let value = json!({"event": "REJECTED", "message_template_id": 1689556908129835_u64,
            "message_template_name": "abandoned_cart", "message_template_language": "en",
            "reason": "INVALID_FORMAT", "message_template_category": "MARKETING"});
        let v = one(EventData::Other {
            field: EventField::MessageTemplateStatusUpdate,
            value: value.clone(),
        });
        assert_eq!(
            v,
            json!({"object": "whatsapp_business_account", "entry": [{
                "id": "102290129340398", "time": 1751247548,
                "changes": [{"field": "message_template_status_update", "value": value}]}]})
        );
    }

    #[test]
    fn rendered_bodies_are_ascii_and_parse_back() {
        let content = Content::text("ça 😀", false).unwrap();
        let v = one(EventData::Inbound(inbound(content, 1749416383)));
        let bytes = super::super::ascii::to_vec(&v);
        assert!(bytes.is_ascii());
        assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), v);
    }

    #[test]
    fn account_wide_events_name_the_account() {
        let account = AccountId::generate();
        let value = json!({"event": "created", "contact": {"wa_id": "447700900123"}});
        let e = WebhookEvent {
            id: EventId::generate(),
            account_id: account,
            channel_id: None,
            occurred_at: at(1_700_000_000),
            data: EventData::Other {
                field: EventField::Contacts,
                value: value.clone(),
            },
        };
        assert_eq!(
            render_account(account, &[e]),
            json!({"object": "whatsapp_business_account", "entry": [{
                "id": account.to_string(), "time": 1_700_000_000,
                "changes": [{"field": "contacts", "value": value}]}]})
        );
    }
}
