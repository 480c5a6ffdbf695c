//! The contact book: one [`ContactCard`] per person an account talks to (keyed by the
//! number, whichever of the account's channels saw them), with the business's own data —
//! a name, tags, custom attributes, an opt-in — beside what WhatsApp says (the profile
//! name). Campaigns, the dialects and the console read and write it through one service.
//!
//! Limits (documented in the README's contacts section):
//! - a name: at most [`NAME_MAX`] characters;
//! - a tag name: 1 to [`TAG_MAX`] characters, unique per account ignoring case;
//! - attributes: at most [`ATTRIBUTES_MAX`] per contact; a key is 1 to [`ATTRIBUTE_KEY_MAX`]
//!   of `a-z`, `0-9` and `_` (given in any case, kept lowercase); a value at most
//!   [`ATTRIBUTE_VALUE_MAX`] characters;
//! - a timezone: a name of the IANA time zone database (`Europe/London`), at most
//!   [`TIMEZONE_MAX`] characters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::error::ValidationError;
use crate::ids::{AccountId, ChannelId, ContactCardId, PhoneNumberId, TagId};
use crate::message::Bsuid;
use crate::phone::PhoneE164;

pub const NAME_MAX: usize = 256;
pub const TAG_MAX: usize = 64;
pub const ATTRIBUTES_MAX: usize = 100;
pub const ATTRIBUTE_KEY_MAX: usize = 64;
pub const ATTRIBUTE_VALUE_MAX: usize = 1024;
pub const TIMEZONE_MAX: usize = 64;

/// Text without control characters, trimmed, within `max` characters.
fn clean(field: &str, s: &str, max: usize, allow_empty: bool) -> Result<String, ValidationError> {
    let t = s.trim();
    if t.is_empty() && !allow_empty {
        return Err(ValidationError::missing(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(ValidationError::out_of_range(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(t.to_owned())
}

/// The business's name for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContactName(String);

impl ContactName {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        clean("name", s, NAME_MAX, false).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ContactName {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, ValidationError> {
        Self::parse(&s)
    }
}

impl From<ContactName> for String {
    fn from(n: ContactName) -> String {
        n.0
    }
}

/// A tag's name, as the business wrote it; unique per account ignoring case ([`key`]).
///
/// [`key`]: TagName::key
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TagName(String);

impl TagName {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        clean("tag", s, TAG_MAX, false).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What uniqueness is decided on: the name in lowercase.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for TagName {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, ValidationError> {
        Self::parse(&s)
    }
}

impl From<TagName> for String {
    fn from(n: TagName) -> String {
        n.0
    }
}

/// A custom attribute's key: `a-z`, `0-9`, `_`, kept lowercase.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AttributeKey(String);

impl AttributeKey {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let k = s.trim().to_ascii_lowercase();
        let ok = (1..=ATTRIBUTE_KEY_MAX).contains(&k.len())
            && k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(k))
        } else {
            Err(ValidationError::new(
                "attributes",
                format!(
                    "`{s}` is not an attribute key: 1 to {ATTRIBUTE_KEY_MAX} of a-z, 0-9 and _"
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AttributeKey {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, ValidationError> {
        Self::parse(&s)
    }
}

impl From<AttributeKey> for String {
    fn from(k: AttributeKey) -> String {
        k.0
    }
}

/// The person's time zone, set by the business: a name of the IANA time zone database
/// (`America/Sao_Paulo`), as the database spells it (`europe/london` is kept as
/// `Europe/London`). Checked against the database jiff reads (the system's zoneinfo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timezone(String);

impl Timezone {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let bad = || {
            ValidationError::new(
                "timezone",
                format!(
                    "`{}` is not a name of the IANA time zone database (such as `Europe/London`)",
                    s.chars().take(TIMEZONE_MAX + 1).collect::<String>()
                ),
            )
        };
        let t = s.trim();
        // The shape first: the database is looked up by this name, so no path tricks.
        let shaped = (1..=TIMEZONE_MAX).contains(&t.len())
            && t.split('/').all(|part| {
                part.starts_with(|c: char| c.is_ascii_alphabetic())
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
            });
        if !shaped {
            return Err(bad());
        }
        let zone = jiff::tz::TimeZone::get(t).map_err(|_| bad())?;
        let name = zone
            .iana_name()
            .filter(|n| n.eq_ignore_ascii_case(t))
            .unwrap_or(t);
        Ok(Self(name.to_owned()))
    }

    /// A name the store holds: checked when it was set, and kept as is even if this host's
    /// zone database lacks it (reading a contact never fails on the host's tzdata).
    pub fn stored(name: String) -> Self {
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `UTC`: an account's zone until it sets one.
    pub fn utc() -> Self {
        Self("UTC".to_owned())
    }

    /// The zone's rules, from the host's database (UTC if the host lacks the name).
    pub fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

impl TryFrom<String> for Timezone {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, ValidationError> {
        Self::parse(&s)
    }
}

impl From<Timezone> for String {
    fn from(t: Timezone) -> String {
        t.0
    }
}

/// Custom attributes: string keys to string values, at most [`ATTRIBUTES_MAX`].
pub type Attributes = BTreeMap<AttributeKey, String>;

/// An attribute value (any text within [`ATTRIBUTE_VALUE_MAX`] characters; may be empty).
pub fn attribute_value(key: &AttributeKey, v: &str) -> Result<String, ValidationError> {
    if v.chars().count() > ATTRIBUTE_VALUE_MAX {
        return Err(ValidationError::out_of_range(
            format!("attributes.{}", key.as_str()),
            format!("must be at most {ATTRIBUTE_VALUE_MAX} characters"),
        ));
    }
    Ok(v.to_owned())
}

/// Where a contact's opt-in (or opt-out) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OptInSource {
    /// Set through the API.
    Api,
    /// Set by an import.
    Import,
    /// The user sent STOP or START.
    Inbound,
    /// Set in the console.
    Console,
}

impl OptInSource {
    pub fn as_str(self) -> &'static str {
        match self {
            OptInSource::Api => "api",
            OptInSource::Import => "import",
            OptInSource::Inbound => "inbound",
            OptInSource::Console => "console",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "api" => OptInSource::Api,
            "import" => OptInSource::Import,
            "inbound" => OptInSource::Inbound,
            "console" => OptInSource::Console,
            _ => return None,
        })
    }
}

/// Whether the person agreed to marketing messages, since when and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptIn {
    pub opted_in: bool,
    pub source: OptInSource,
    pub at: Timestamp,
}

/// A tag of the account's contact book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: TagId,
    pub account_id: AccountId,
    pub name: TagName,
    pub created_at: Timestamp,
}

/// Whether the person is blocked on one of the account's numbers at Meta's level (the Cloud
/// plane's `block_users`), read from that number's chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelBlock {
    pub channel_id: ChannelId,
    pub phone_number_id: PhoneNumberId,
    pub blocked_at: Option<Timestamp>,
}

/// One person in the account's contact book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCard {
    pub id: ContactCardId,
    pub account_id: AccountId,
    pub wa_id: PhoneE164,
    pub bsuid: Option<Bsuid>,
    /// Set by the business.
    pub name: Option<ContactName>,
    /// What the user calls themselves on WhatsApp (from their messages).
    pub profile_name: Option<String>,
    /// The tags' names, sorted ignoring case.
    pub tags: Vec<TagName>,
    pub attributes: Attributes,
    /// `None` until the business or the user said.
    pub opt_in: Option<OptIn>,
    /// Refused by the gateway: sends to the person are refused before they are stored.
    pub blocked_at: Option<Timestamp>,
    /// Set by the business; `None` until it says.
    pub timezone: Option<Timezone>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The person's last message to any of the account's numbers (read from the chats).
    pub last_inbound_at: Option<Timestamp>,
    /// The last message either way, on any of the account's numbers (read from the chats
    /// and [`last_outbound_at`](Self::last_outbound_at)).
    pub last_active_at: Option<Timestamp>,
    /// The person's first message to any of the account's numbers (read from the chats).
    pub first_inbound_at: Option<Timestamp>,
    /// When the first and the last message to the person were accepted (any number).
    pub first_outbound_at: Option<Timestamp>,
    pub last_outbound_at: Option<Timestamp>,
    /// Whether the number is on WhatsApp: `None` until one of our messages was delivered
    /// to it (`true`) or failed with 131026 (`false`). Kept by the store.
    pub on_whatsapp: Option<bool>,
    /// Meta-level blocks on each of the account's numbers (read from the chats; every
    /// number of the account, in the order the store lists them).
    pub channel_blocks: Vec<ChannelBlock>,
}

impl ContactCard {
    /// A card of just a number, created at `now` (what a business or an import adds to).
    pub fn new(account_id: AccountId, wa_id: PhoneE164, now: Timestamp) -> Self {
        Self {
            id: ContactCardId::generate(),
            account_id,
            wa_id,
            bsuid: None,
            name: None,
            profile_name: None,
            tags: Vec::new(),
            attributes: Attributes::new(),
            opt_in: None,
            blocked_at: None,
            timezone: None,
            created_at: now,
            updated_at: now,
            last_inbound_at: None,
            last_active_at: None,
            first_inbound_at: None,
            first_outbound_at: None,
            last_outbound_at: None,
            on_whatsapp: None,
            channel_blocks: Vec::new(),
        }
    }
    /// Until when the customer-service window of the person's last message is open (24 h
    /// from it), on the number they wrote to.
    pub fn window_open_until(&self) -> Option<Timestamp> {
        self.last_inbound_at
            .map(|t| t + crate::policy::SERVICE_WINDOW)
    }

    /// ISO 3166 alpha-2 country of the number, when its calling code is known.
    pub fn country(&self) -> Option<&'static str> {
        crate::registration::country_of(self.wa_id.digits()).map(|(_, c)| c)
    }

    /// Whether marketing templates may be sent: not when the person opted out.
    pub fn marketing_allowed(&self) -> bool {
        self.opt_in.is_none_or(|o| o.opted_in)
    }

    /// The person opted out of marketing messages (`opted_in` false, from any source).
    pub fn marketing_opt_out(&self) -> bool {
        !self.marketing_allowed()
    }

    /// `opted_in` as the API shows it: `None` until said.
    pub fn opted_in(&self) -> Option<bool> {
        self.opt_in.map(|o| o.opted_in)
    }
}

/// How a change treats the card's tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagChange {
    Add(Vec<TagName>),
    Remove(Vec<TagName>),
    Replace(Vec<TagName>),
}

/// Command: a new card.
#[derive(Debug, Clone)]
pub struct NewContactCard {
    pub wa_id: PhoneE164,
    pub name: Option<ContactName>,
    pub tags: Vec<TagName>,
    pub attributes: Attributes,
    pub opted_in: Option<bool>,
    pub blocked: bool,
    pub timezone: Option<Timezone>,
    pub source: OptInSource,
}

/// Command: change a card; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ContactCardPatch {
    /// `Some(None)` clears the name.
    pub name: Option<Option<ContactName>>,
    pub tags: Vec<TagChange>,
    pub set_attributes: Attributes,
    pub unset_attributes: Vec<AttributeKey>,
    pub opted_in: Option<bool>,
    pub blocked: Option<bool>,
    /// `Some(None)` clears the timezone.
    pub timezone: Option<Option<Timezone>>,
}

/// Applies `patch` to `card` (the tags' existence is the service's check), at `now` from
/// `source`; the attributes limit is checked on the result.
pub fn apply(
    card: &mut ContactCard,
    patch: &ContactCardPatch,
    source: OptInSource,
    now: Timestamp,
) -> Result<(), ValidationError> {
    if let Some(name) = &patch.name {
        card.name = name.clone();
    }
    if let Some(tz) = &patch.timezone {
        card.timezone = tz.clone();
    }
    for change in &patch.tags {
        match change {
            TagChange::Add(tags) => card.tags.extend(tags.iter().cloned()),
            TagChange::Remove(tags) => {
                let gone: Vec<String> = tags.iter().map(TagName::key).collect();
                card.tags.retain(|t| !gone.contains(&t.key()));
            }
            TagChange::Replace(tags) => card.tags = tags.clone(),
        }
    }
    card.tags = normalise_tags(std::mem::take(&mut card.tags));
    for (k, v) in &patch.set_attributes {
        card.attributes.insert(k.clone(), v.clone());
    }
    for k in &patch.unset_attributes {
        card.attributes.remove(k);
    }
    check_attributes(&card.attributes)?;
    if let Some(opted_in) = patch.opted_in {
        card.opt_in = Some(OptIn {
            opted_in,
            source,
            at: now,
        });
    }
    match patch.blocked {
        Some(true) if card.blocked_at.is_none() => card.blocked_at = Some(now),
        Some(false) => card.blocked_at = None,
        _ => {}
    }
    card.updated_at = now;
    Ok(())
}

/// Tags without duplicates (ignoring case; the first spelling wins), sorted ignoring case.
pub fn normalise_tags(tags: Vec<TagName>) -> Vec<TagName> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<TagName> = tags.into_iter().filter(|t| seen.insert(t.key())).collect();
    out.sort_by_key(TagName::key);
    out
}

pub fn check_attributes(a: &Attributes) -> Result<(), ValidationError> {
    if a.len() > ATTRIBUTES_MAX {
        return Err(ValidationError::out_of_range(
            "attributes",
            format!("a contact holds at most {ATTRIBUTES_MAX} attributes"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).unwrap()
    }

    fn tag(s: &str) -> TagName {
        TagName::parse(s).unwrap()
    }

    fn card() -> ContactCard {
        ContactCard {
            last_inbound_at: Some(t(100)),
            last_active_at: Some(t(200)),
            first_inbound_at: Some(t(50)),
            last_outbound_at: Some(t(200)),
            ..ContactCard::new(
                AccountId::generate(),
                PhoneE164::parse("+44 7700 900123").unwrap(),
                t(0),
            )
        }
    }

    #[test]
    fn values_are_parsed_once() {
        assert_eq!(TagName::parse("  VIP ").unwrap().as_str(), "VIP");
        assert_eq!(TagName::parse("VIP").unwrap().key(), "vip");
        assert!(TagName::parse(" ").is_err());
        assert!(TagName::parse(&"x".repeat(TAG_MAX + 1)).is_err());
        assert!(TagName::parse("a\u{7}b").is_err());
        assert_eq!(AttributeKey::parse("City_2").unwrap().as_str(), "city_2");
        assert!(AttributeKey::parse("first name").is_err());
        assert!(AttributeKey::parse("").is_err());
        assert!(ContactName::parse(&"n".repeat(NAME_MAX)).is_ok());
        assert!(ContactName::parse(&"n".repeat(NAME_MAX + 1)).is_err());
        let k = AttributeKey::parse("plan").unwrap();
        assert!(attribute_value(&k, &"v".repeat(ATTRIBUTE_VALUE_MAX + 1)).is_err());
    }

    #[test]
    fn timezones_are_names_of_the_iana_database() {
        assert_eq!(
            Timezone::parse("Europe/London").unwrap().as_str(),
            "Europe/London"
        );
        assert_eq!(
            Timezone::parse(" america/sao_paulo ").unwrap().as_str(),
            "America/Sao_Paulo"
        );
        assert_eq!(Timezone::parse("UTC").unwrap().as_str(), "UTC");
        for bad in [
            "",
            "Mars/Olympus_Mons",
            "../../etc/passwd",
            "/etc/localtime",
            "Europe//London",
            "Europe/London ;",
            "+05:00",
            &"A".repeat(TIMEZONE_MAX + 1),
        ] {
            let e = Timezone::parse(bad).unwrap_err();
            assert_eq!(e.field, "timezone", "{bad}");
        }
        let mut c = card();
        let patch = ContactCardPatch {
            timezone: Some(Some(Timezone::parse("Asia/Kolkata").unwrap())),
            ..Default::default()
        };
        apply(&mut c, &patch, OptInSource::Api, t(1)).unwrap();
        assert_eq!(c.timezone.as_ref().unwrap().as_str(), "Asia/Kolkata");
        let clear = ContactCardPatch {
            timezone: Some(None),
            ..Default::default()
        };
        apply(&mut c, &clear, OptInSource::Api, t(2)).unwrap();
        assert!(c.timezone.is_none());
    }

    #[test]
    fn an_opt_out_is_a_marketing_opt_out() {
        let mut c = card();
        assert!(!c.marketing_opt_out() && c.opted_in().is_none());
        let out = ContactCardPatch {
            opted_in: Some(false),
            ..Default::default()
        };
        apply(&mut c, &out, OptInSource::Console, t(1)).unwrap();
        assert!(c.marketing_opt_out());
        assert_eq!(c.opted_in(), Some(false));
    }

    #[test]
    fn the_country_comes_from_the_number() {
        assert_eq!(card().country(), Some("GB"));
    }

    #[test]
    fn the_window_runs_24_hours_from_the_last_inbound_message() {
        assert_eq!(card().window_open_until(), Some(t(100 + 24 * 3600)));
    }

    #[test]
    fn patches_change_tags_attributes_opt_in_and_block() {
        let mut c = card();
        let patch = ContactCardPatch {
            name: Some(Some(ContactName::parse("Ada").unwrap())),
            tags: vec![
                TagChange::Add(vec![tag("vip"), tag("Beta"), tag("VIP")]),
                TagChange::Remove(vec![tag("BETA")]),
            ],
            set_attributes: [(AttributeKey::parse("plan").unwrap(), "gold".to_owned())].into(),
            opted_in: Some(false),
            blocked: Some(true),
            ..Default::default()
        };
        apply(&mut c, &patch, OptInSource::Api, t(5)).unwrap();
        assert_eq!(c.name.as_ref().unwrap().as_str(), "Ada");
        assert_eq!(c.tags, vec![tag("vip")]);
        assert_eq!(c.attributes.len(), 1);
        assert!(!c.marketing_allowed());
        assert_eq!(c.opt_in.unwrap().source, OptInSource::Api);
        assert_eq!(c.blocked_at, Some(t(5)));
        assert_eq!(c.updated_at, t(5));

        let unblock = ContactCardPatch {
            tags: vec![TagChange::Replace(vec![tag("b"), tag("A")])],
            unset_attributes: vec![AttributeKey::parse("PLAN").unwrap()],
            blocked: Some(false),
            name: Some(None),
            ..Default::default()
        };
        apply(&mut c, &unblock, OptInSource::Api, t(9)).unwrap();
        assert_eq!(c.tags, vec![tag("A"), tag("b")]);
        assert!(c.attributes.is_empty() && c.blocked_at.is_none() && c.name.is_none());
    }

    #[test]
    fn too_many_attributes_are_refused() {
        let mut c = card();
        let set: Attributes = (0..=ATTRIBUTES_MAX)
            .map(|i| {
                (
                    AttributeKey::parse(&format!("k{i}")).unwrap(),
                    String::new(),
                )
            })
            .collect();
        let patch = ContactCardPatch {
            set_attributes: set,
            ..Default::default()
        };
        assert!(apply(&mut c, &patch, OptInSource::Import, t(1)).is_err());
    }
}
