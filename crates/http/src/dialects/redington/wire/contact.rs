//! The Project API's contact object (§12–§15), built from the account's contact card.
//!
//! | field | from the card |
//! |---|---|
//! | `id` | the card's id (a UUID) |
//! | `project_id` | the project (channel) the request named |
//! | `business_id` | the wagate account (the business owning the projects) |
//! | `partner_id` | `null`: wagate has no reseller level |
//! | `phone_number`, `country_code` | the number's digits and its calling code |
//! | `name` | the business's name for the person, else their WhatsApp profile name |
//! | `created_at`, `updated_at` | epoch ms |
//! | `last_active` | the person's last message to the account (epoch ms), `null` if none |
//! | `first_message`, `last_message` | the person's first message, the last message either way (ISO times) |
//! | `on_whatsapp` | `true` once a message was delivered to the number; `false` until then (or after 131026) |
//! | `timezone` | the card's IANA zone, else the account's, with its offset now (`Asia/Kolkata GMT+05:30`) |
//! | `opted_in` | `false` only when the person opted out (marketing templates are then refused) |
//! | `blocked` | blocked at the gateway |
//! | `tags`, `attributes` | the card's |
//! | `is_closed`, `is_intervened`, `is_requesting` | `false`, `false`, `null`: wagate has no agent inbox |

use jiff::tz::TimeZone;
use serde_json::{Value, json};
use wagate_core::Timestamp;
use wagate_core::contact::card::ContactCard;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::registration::country_of;

fn ms(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| json!(t.as_millisecond()))
}

/// An ISO time with milliseconds, as the seed writes them (`2024-08-08T06:33:14.058Z`).
pub fn iso(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn iso_or_null(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| json!(iso(t)))
}

/// `Asia/Kolkata GMT+05:30`: a zone's name and its offset at `now`.
pub fn zone_label(name: &str, zone: &TimeZone, now: Timestamp) -> String {
    let secs = zone.to_offset(now).seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let mins = secs.unsigned_abs() / 60;
    format!("{name} GMT{sign}{:02}:{:02}", mins / 60, mins % 60)
}

/// The §13 object of `card`, seen through project `project` of account `account`;
/// `account_zone` is the account's time zone, shown when the card has none.
pub fn object(
    project: ChannelId,
    account: AccountId,
    card: &ContactCard,
    account_zone: &TimeZone,
    now: Timestamp,
) -> Value {
    let digits = card.wa_id.digits();
    let timezone = match &card.timezone {
        Some(tz) => zone_label(tz.as_str(), &tz.zone(), now),
        None => zone_label(account_zone.iana_name().unwrap_or("UTC"), account_zone, now),
    };
    let name = card
        .name
        .as_ref()
        .map(|n| n.as_str().to_owned())
        .or_else(|| card.profile_name.clone());
    let attributes: serde_json::Map<String, Value> = card
        .attributes
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), json!(v)))
        .collect();
    json!({
        "type": "contact",
        "id": card.id.to_string(),
        "project_id": project.to_string(),
        "business_id": account.to_string(),
        "is_closed": false,
        "is_intervened": false,
        "is_requesting": null,
        "last_active": ms(card.last_inbound_at),
        "phone_number": digits,
        "name": name,
        "country_code": country_of(digits).map(|(dial, _)| dial),
        "created_at": card.created_at.as_millisecond(),
        "on_whatsapp": card.on_whatsapp.unwrap_or(false),
        "timezone": timezone,
        "opted_in": card.marketing_allowed(),
        "blocked": card.blocked_at.is_some(),
        "first_message": iso_or_null(card.first_inbound_at),
        "tags": card.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "attributes": attributes,
        "last_message": iso_or_null(card.last_active_at),
        "partner_id": null,
        "updated_at": card.updated_at.as_millisecond(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wagate_core::phone::PhoneE164;

    #[test]
    fn a_new_card_reads_as_the_seeds_contact() {
        let now = Timestamp::from_millisecond(1_723_103_996_851).unwrap();
        let card = ContactCard::new(
            AccountId::generate(),
            PhoneE164::parse("910000000000").unwrap(),
            now,
        );
        let v = object(
            ChannelId::generate(),
            card.account_id,
            &card,
            &TimeZone::get("Asia/Kolkata").unwrap(),
            now,
        );
        assert_eq!(v["type"], "contact");
        assert_eq!(v["phone_number"], "910000000000");
        assert_eq!(v["country_code"], "91");
        assert_eq!(v["created_at"], 1_723_103_996_851_i64);
        assert_eq!(v["timezone"], "Asia/Kolkata GMT+05:30");
        assert_eq!(v["opted_in"], true);
        assert_eq!(v["on_whatsapp"], false);
        assert_eq!(v["last_active"], Value::Null);
        assert_eq!(v["attributes"], json!({}));
        assert_eq!(zone_label("UTC", &TimeZone::UTC, now), "UTC GMT+00:00");
        assert_eq!(
            iso(Timestamp::from_millisecond(1_723_098_794_058).unwrap()),
            "2024-08-08T06:33:14.058Z"
        );
    }
}
