//! A contact as clients see it: [`ContactView`], the management API's answer and the
//! `contact` of a `contacts` webhook event; and those events ([`contact_events`]), built by
//! comparing a card before and after a change, so every writer (the API, STOP/START, an
//! import that wants them) announces changes the same way.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::card::{ContactCard, OptInSource};
use crate::Timestamp;
use crate::ids::{ContactCardId, EventId, PhoneNumberId};
use crate::webhook::{EventData, EventField, WebhookEvent};

/// Why Meta's block was not applied on a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlockReason {
    /// Meta lets a business block only users who wrote to the number in the last 24 hours;
    /// the person had not when the contact was blocked. Block again after they write.
    NoRecentMessage,
}

/// Meta's block (`/{phone_number_id}/block_users`) on one of the account's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WhatsappBlock {
    /// The account's number (its Cloud API phone number id).
    pub phone_number_id: String,
    /// Whether the person is blocked on this number at Meta's level.
    pub blocked: bool,
    /// Present when the contact is blocked at the gateway but not on this number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<BlockReason>,
}

/// Which blocks apply: the gateway's (sends refused before they are stored) and Meta's on
/// each of the account's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BlockView {
    /// Blocked at the gateway (the same as `blocked`).
    pub gateway: bool,
    /// Meta's block on each of the account's numbers (those the key may use). Left out of
    /// webhook events: Meta's block is applied just after the change is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<Vec<WhatsappBlock>>,
}

/// A contact of the account's book.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    pub id: ContactCardId,
    /// The number, digits only, country code first.
    pub wa_id: String,
    pub name: Option<String>,
    /// What the user calls themselves on WhatsApp.
    pub profile_name: Option<String>,
    /// ISO 3166 country of the number, when its calling code is known.
    pub country: Option<&'static str>,
    /// IANA time zone set by the business (`Europe/London`); `null` until set.
    pub timezone: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = BTreeMap<String, String>)]
    pub attributes: BTreeMap<String, String>,
    /// `null`: not said yet.
    pub opted_in: Option<bool>,
    /// `api`, `import`, `inbound` (STOP/START) or `console`.
    pub opt_in_source: Option<OptInSource>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opt_in_at: Option<Timestamp>,
    /// The person opted out of marketing messages (`opted_in` is false): MARKETING
    /// templates to them fail with 131050.
    pub marketing_opt_out: bool,
    /// Blocked at the gateway.
    pub blocked: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub blocked_at: Option<Timestamp>,
    pub block: BlockView,
    /// `null` until one of our messages to the number was delivered (`true`) or failed
    /// with 131026 (`false`).
    pub on_whatsapp: Option<bool>,
    /// The person's first message to any of the account's numbers.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_inbound_at: Option<Timestamp>,
    /// The person's last message to any of the account's numbers.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_inbound_at: Option<Timestamp>,
    /// When the first message to the person was accepted (any of the account's numbers).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_outbound_at: Option<Timestamp>,
    /// When the last message to the person was accepted (any of the account's numbers).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_outbound_at: Option<Timestamp>,
    /// The last message either way, on any of the account's numbers.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_active_at: Option<Timestamp>,
    /// Until when free-form messages may be sent (24 h from the person's last message).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub window_open_until: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl ContactView {
    /// The card as the API shows it; `numbers`: with Meta's block per number.
    pub fn of(c: &ContactCard, numbers: bool) -> Self {
        let gateway = c.blocked_at.is_some();
        let whatsapp = numbers.then(|| {
            c.channel_blocks
                .iter()
                .map(|b| {
                    let blocked = b.blocked_at.is_some();
                    WhatsappBlock {
                        phone_number_id: b.phone_number_id.as_str().to_owned(),
                        blocked,
                        reason: (gateway && !blocked).then_some(BlockReason::NoRecentMessage),
                    }
                })
                .collect()
        });
        Self {
            id: c.id,
            wa_id: c.wa_id.digits().to_owned(),
            name: c.name.as_ref().map(|n| n.as_str().to_owned()),
            profile_name: c.profile_name.clone(),
            country: c.country(),
            timezone: c.timezone.as_ref().map(|t| t.as_str().to_owned()),
            tags: c.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            attributes: c
                .attributes
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                .collect(),
            opted_in: c.opted_in(),
            opt_in_source: c.opt_in.map(|o| o.source),
            opt_in_at: c.opt_in.map(|o| o.at),
            marketing_opt_out: c.marketing_opt_out(),
            blocked: gateway,
            blocked_at: c.blocked_at,
            block: BlockView { gateway, whatsapp },
            on_whatsapp: c.on_whatsapp,
            first_inbound_at: c.first_inbound_at,
            last_inbound_at: c.last_inbound_at,
            first_outbound_at: c.first_outbound_at,
            last_outbound_at: c.last_outbound_at,
            last_active_at: c.last_active_at,
            window_open_until: c.window_open_until(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

impl From<ContactCard> for ContactView {
    fn from(c: ContactCard) -> Self {
        Self::of(&c, true)
    }
}

/// What a `contacts` webhook event says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactEventKind {
    /// The business added the contact (API or console).
    Created,
    /// The business changed the contact: `changed` names the fields.
    Updated,
    /// The person's opt-in became false (`source` says from where: an inbound STOP too).
    OptedOut,
    /// The person's opt-in became true (an inbound START too).
    OptedIn,
}

/// Who changed a card, for [`contact_events`].
#[derive(Debug, Clone, Copy)]
pub enum ChangeCause<'a> {
    /// The business (API, console, an import): a new card is `created`, other changes are
    /// `updated`, an opt-in change is `opted_in`/`opted_out`.
    Business,
    /// The person's message to this number (STOP/START): only opt-in changes are announced
    /// (a card an inbound message adds holds nothing but the number).
    Inbound(&'a PhoneNumberId),
}

/// The value of a `contacts` change (wagate's own field; see the README's Contacts section).
#[derive(Debug, Clone, Serialize)]
struct ContactEventValue<'a> {
    event: ContactEventKind,
    contact: &'a ContactView,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    changed: &'a [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<OptInSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number_id: Option<&'a str>,
    /// Unix seconds, as Meta's values write times.
    timestamp: String,
}

/// The fields of a card the business changed between `before` and `after` (opt-in aside:
/// it has its own events).
pub fn changed_fields(before: &ContactCard, after: &ContactCard) -> Vec<&'static str> {
    let mut out = Vec::new();
    if before.name != after.name {
        out.push("name");
    }
    if before.timezone != after.timezone {
        out.push("timezone");
    }
    if before.tags != after.tags {
        out.push("tags");
    }
    if before.attributes != after.attributes {
        out.push("attributes");
    }
    if before.blocked_at.is_some() != after.blocked_at.is_some() {
        out.push("blocked");
    }
    out
}

/// The `contacts` webhook events of a change from `before` (`None`: the card is new) to
/// `after`, at `at`: an account-wide event each (no channel), in the order they happened.
pub fn contact_events(
    before: Option<&ContactCard>,
    after: &ContactCard,
    cause: ChangeCause<'_>,
    at: Timestamp,
) -> Vec<WebhookEvent> {
    let mut kinds: Vec<(ContactEventKind, Vec<&'static str>)> = Vec::new();
    match (before, cause) {
        (None, ChangeCause::Business) => kinds.push((ContactEventKind::Created, Vec::new())),
        (Some(b), ChangeCause::Business) => {
            let changed = changed_fields(b, after);
            if !changed.is_empty() {
                kinds.push((ContactEventKind::Updated, changed));
            }
        }
        (_, ChangeCause::Inbound(_)) => {}
    }
    let was = before.and_then(ContactCard::opted_in);
    let opted = match (before, cause) {
        // A new card shows its opt-in in `created`.
        (None, ChangeCause::Business) => None,
        _ => after.opted_in().filter(|now| was != Some(*now)),
    };
    if let Some(now) = opted {
        let kind = if now {
            ContactEventKind::OptedIn
        } else {
            ContactEventKind::OptedOut
        };
        kinds.push((kind, Vec::new()));
    }
    if kinds.is_empty() {
        return Vec::new();
    }
    let view = ContactView::of(after, false);
    let phone_number_id = match cause {
        ChangeCause::Inbound(p) => Some(p.as_str()),
        ChangeCause::Business => None,
    };
    kinds
        .into_iter()
        .map(|(event, changed)| {
            let opt = matches!(
                event,
                ContactEventKind::OptedIn | ContactEventKind::OptedOut
            );
            let value = ContactEventValue {
                event,
                contact: &view,
                changed: &changed,
                source: opt.then(|| after.opt_in.map(|o| o.source)).flatten(),
                phone_number_id: if opt { phone_number_id } else { None },
                timestamp: at.as_second().to_string(),
            };
            WebhookEvent {
                id: EventId::generate(),
                account_id: after.account_id,
                channel_id: None,
                occurred_at: at,
                data: EventData::Other {
                    field: EventField::Contacts,
                    value: serde_json::to_value(value).unwrap_or(Value::Null),
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::card::{ChannelBlock, ContactCardPatch, ContactName, OptIn, apply};
    use crate::ids::{AccountId, ChannelId};
    use crate::phone::PhoneE164;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).unwrap()
    }

    fn card() -> ContactCard {
        ContactCard {
            channel_blocks: vec![
                ChannelBlock {
                    channel_id: ChannelId::generate(),
                    phone_number_id: PhoneNumberId::parse("106540352242922").unwrap(),
                    blocked_at: Some(t(1)),
                },
                ChannelBlock {
                    channel_id: ChannelId::generate(),
                    phone_number_id: PhoneNumberId::parse("106540352242923").unwrap(),
                    blocked_at: None,
                },
            ],
            ..ContactCard::new(
                AccountId::generate(),
                PhoneE164::parse("+44 7700 900123").unwrap(),
                t(0),
            )
        }
    }

    fn values(events: &[WebhookEvent]) -> Vec<Value> {
        events
            .iter()
            .map(|e| {
                assert_eq!(e.field(), EventField::Contacts);
                assert_eq!(e.channel_id, None);
                match &e.data {
                    EventData::Other { value, .. } => value.clone(),
                    other => panic!("{other:?}"),
                }
            })
            .collect()
    }

    #[test]
    fn the_view_says_which_block_applied() {
        let mut c = card();
        c.blocked_at = Some(t(1));
        let v = serde_json::to_value(ContactView::of(&c, true)).unwrap();
        assert_eq!(
            v["block"],
            serde_json::json!({"gateway": true, "whatsapp": [
                {"phone_number_id": "106540352242922", "blocked": true},
                {"phone_number_id": "106540352242923", "blocked": false,
                 "reason": "no_recent_message"},
            ]})
        );
        assert_eq!(v["marketing_opt_out"], false);
        c.blocked_at = None;
        let v = serde_json::to_value(ContactView::of(&c, false)).unwrap();
        assert_eq!(v["block"], serde_json::json!({"gateway": false}));
    }

    #[test]
    fn a_new_contact_is_created_and_changes_are_named() {
        let before = card();
        let created = values(&contact_events(None, &before, ChangeCause::Business, t(5)));
        assert_eq!(created.len(), 1);
        assert_eq!(created[0]["event"], "created");
        assert_eq!(created[0]["timestamp"], t(5).as_second().to_string());
        assert!(created[0].get("changed").is_none());
        assert!(created[0]["contact"]["block"].get("whatsapp").is_none());

        let mut after = before.clone();
        let patch = ContactCardPatch {
            name: Some(Some(ContactName::parse("Ada").unwrap())),
            opted_in: Some(false),
            blocked: Some(true),
            ..Default::default()
        };
        apply(&mut after, &patch, OptInSource::Api, t(6)).unwrap();
        let got = values(&contact_events(
            Some(&before),
            &after,
            ChangeCause::Business,
            t(6),
        ));
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0]["event"], "updated");
        assert_eq!(got[0]["changed"], serde_json::json!(["name", "blocked"]));
        assert_eq!(got[1]["event"], "opted_out");
        assert_eq!(got[1]["source"], "api");
        assert_eq!(got[1]["contact"]["marketing_opt_out"], true);

        // Nothing changed: nothing to say.
        assert!(contact_events(Some(&after), &after, ChangeCause::Business, t(7)).is_empty());
    }

    #[test]
    fn stop_and_start_are_announced_with_the_number_they_were_sent_to() {
        let pnid = PhoneNumberId::parse("106540352242922").unwrap();
        let before = card();
        let mut after = before.clone();
        after.opt_in = Some(OptIn {
            opted_in: false,
            source: OptInSource::Inbound,
            at: t(3),
        });
        after.profile_name = Some("Ada".into());
        // A STOP from a number the book lacked: no `created`, an `opted_out`.
        let got = values(&contact_events(
            None,
            &after,
            ChangeCause::Inbound(&pnid),
            t(3),
        ));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["event"], "opted_out");
        assert_eq!(got[0]["source"], "inbound");
        assert_eq!(got[0]["phone_number_id"], "106540352242922");
        // A second STOP changes nothing.
        assert!(contact_events(Some(&after), &after, ChangeCause::Inbound(&pnid), t(4)).is_empty());
        let mut back = after.clone();
        back.opt_in = Some(OptIn {
            opted_in: true,
            source: OptInSource::Inbound,
            at: t(5),
        });
        let got = values(&contact_events(
            Some(&after),
            &back,
            ChangeCause::Inbound(&pnid),
            t(5),
        ));
        assert_eq!(got[0]["event"], "opted_in");
        // An ordinary message: nothing.
        assert!(
            contact_events(Some(&before), &before, ChangeCause::Inbound(&pnid), t(6)).is_empty()
        );
    }
}
