//! Channels: one WhatsApp business phone number each, bound to an upstream (the simulated
//! network or Meta's Cloud API). Seed providers call it a project, an instance or a channel.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::error::ValidationError;
use crate::ids::{AccountId, ChannelId, PhoneNumberId, WabaId};
use crate::phone::PhoneE164;
use crate::text::{ProfileAbout, ProfileAddress, ProfileDescription, VerifiedName, bounded};

/// A configured secret (an upstream access token, an app secret). `Debug` never shows it;
/// API responses say only whether one is set.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn parse(field: &str, s: &str) -> Result<Self, ValidationError> {
        bounded(field, s, 1, 4096, false).map(Self)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where a channel's messages go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Upstream {
    /// The simulated WhatsApp network inside wagate.
    Sandbox(SandboxSettings),
    /// Meta's WhatsApp Cloud API (or another wagate speaking it).
    Cloud(CloudSettings),
}

impl Upstream {
    pub fn kind(&self) -> UpstreamKind {
        match self {
            Upstream::Sandbox(_) => UpstreamKind::Sandbox,
            Upstream::Cloud(_) => UpstreamKind::Cloud,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamKind {
    Sandbox,
    Cloud,
}

impl UpstreamKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamKind::Sandbox => "sandbox",
            UpstreamKind::Cloud => "cloud",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "sandbox" => Ok(Self::Sandbox),
            "cloud" => Ok(Self::Cloud),
            _ => Err(ValidationError::new(
                "upstream.kind",
                "must be `sandbox` or `cloud`",
            )),
        }
    }
}

pub use crate::policy::WindowPolicy;
pub use crate::sandbox::SandboxSettings;

/// How to reach Meta's Graph API for one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudSettings {
    /// `https://graph.facebook.com`, or another wagate's base URL.
    pub base_url: String,
    /// Graph API version used for calls, like `v23.0`.
    pub api_version: String,
    /// System-user access token.
    pub access_token: Secret,
    /// App secret: checks `X-Hub-Signature-256` on Meta's webhooks.
    pub app_secret: Option<Secret>,
    /// Token Meta echoes when verifying our webhook endpoint.
    pub verify_token: Option<Secret>,
    /// The Meta app's id: Meta's Resumable Upload API (`POST /{app_id}/uploads`) needs it
    /// when wagate uploads a file for a handle (a template header sample, a profile picture
    /// fetched from a URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
}

impl CloudSettings {
    pub const DEFAULT_BASE_URL: &'static str = "https://graph.facebook.com";
    pub const DEFAULT_API_VERSION: &'static str = "v23.0";

    pub fn parse(
        base_url: Option<&str>,
        api_version: Option<&str>,
        access_token: Option<&str>,
        app_secret: Option<&str>,
        verify_token: Option<&str>,
        app_id: Option<&str>,
    ) -> Result<Self, ValidationError> {
        let base_url = parse_http_url(
            "upstream.base_url",
            base_url.unwrap_or(Self::DEFAULT_BASE_URL),
            512,
        )?;
        let api_version = api_version.unwrap_or(Self::DEFAULT_API_VERSION);
        if !is_graph_version(api_version) {
            return Err(ValidationError::new(
                "upstream.api_version",
                "must look like v23.0",
            ));
        }
        if let Some(id) = app_id
            && (id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(ValidationError::new(
                "upstream.app_id",
                "must be the Meta app's numeric id",
            ));
        }
        let access_token = access_token.ok_or_else(|| {
            ValidationError::new("upstream.access_token", "is required for a cloud upstream")
        })?;
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_version: api_version.to_owned(),
            access_token: Secret::parse("upstream.access_token", access_token)?,
            app_secret: app_secret
                .map(|s| Secret::parse("upstream.app_secret", s))
                .transpose()?,
            verify_token: verify_token
                .map(|s| Secret::parse("upstream.verify_token", s))
                .transpose()?,
            app_id: app_id.map(str::to_owned),
        })
    }
}

/// `v23.0`, `v9`, …: a Graph API version path segment.
pub fn is_graph_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let mut parts = rest.splitn(2, '.');
    let major = parts.next().unwrap_or("");
    let minor_ok = parts
        .next()
        .is_none_or(|m| !m.is_empty() && m.len() <= 3 && m.bytes().all(|b| b.is_ascii_digit()));
    !major.is_empty() && major.len() <= 3 && major.bytes().all(|b| b.is_ascii_digit()) && minor_ok
}

fn parse_http_url(field: &str, s: &str, max: usize) -> Result<String, ValidationError> {
    let s = bounded(field, s, 1, max, false)?;
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty() && !host.starts_with('/') && !s.contains(char::is_whitespace) =>
        {
            Ok(s)
        }
        _ => Err(ValidationError::new(
            field,
            "must be an http:// or https:// URL",
        )),
    }
}

/// Messages per second the dispatcher may hand this channel's upstream (Meta: 80 by
/// default, up to 1,000 after an upgrade).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "u32", into = "u32")]
#[schema(value_type = u32, minimum = 1, maximum = 1000, example = 80)]
pub struct Throughput(u32);

impl Throughput {
    pub const DEFAULT: Throughput = Throughput(80);
    pub const MAX: u32 = 1000;

    pub fn parse(n: u32) -> Result<Self, ValidationError> {
        if (1..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(ValidationError::new(
                "throughput_mps",
                format!("must be between 1 and {}", Self::MAX),
            ))
        }
    }

    pub fn per_second(self) -> u32 {
        self.0
    }
}

impl Default for Throughput {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<u32> for Throughput {
    type Error = ValidationError;
    fn try_from(n: u32) -> Result<Self, Self::Error> {
        Self::parse(n)
    }
}

impl From<Throughput> for u32 {
    fn from(t: Throughput) -> u32 {
        t.0
    }
}

// `$wire:tt`, not `:literal`: a `literal` fragment reaches derive macros wrapped in an
// invisible group, which utoipa's serde-attribute reader skips, documenting the Rust variant
// names (`Green`) instead of the wire's (`GREEN`).
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident => $wire:tt),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire,)* }
            }

            pub fn parse(s: &str) -> Result<Self, ValidationError> {
                match s {
                    $($wire => Ok($name::$variant),)*
                    _ => Err(ValidationError::new(
                        $field,
                        format!("must be one of {}", [$($wire),*].join(", ")),
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// Meta's quality rating of a phone number.
    QualityRating, "quality_rating" {
        Green => "GREEN", Yellow => "YELLOW", Red => "RED", Unknown => "UNKNOWN",
    }
);

wire_enum!(
    /// How many unique users the business may reach outside a service window per 24 h
    /// (`whatsapp_business_manager_messaging_limit`).
    MessagingLimitTier, "messaging_limit_tier" {
        Tier250 => "TIER_250", Tier2K => "TIER_2K", Tier10K => "TIER_10K",
        Tier100K => "TIER_100K", Unlimited => "TIER_UNLIMITED",
    }
);

wire_enum!(
    /// Business category shown on the profile.
    Vertical, "vertical" {
        Undefined => "UNDEFINED", Other => "OTHER", Auto => "AUTO", Beauty => "BEAUTY",
        Apparel => "APPAREL", Edu => "EDU", Entertain => "ENTERTAIN", EventPlan => "EVENT_PLAN",
        Finance => "FINANCE", Grocery => "GROCERY", Govt => "GOVT", Hotel => "HOTEL",
        Health => "HEALTH", Nonprofit => "NONPROFIT", ProfServices => "PROF_SERVICES",
        Retail => "RETAIL", Travel => "TRAVEL", Restaurant => "RESTAURANT", NotABiz => "NOT_A_BIZ",
    }
);

/// A business profile email (at most 128 characters, one `@`, a dotted domain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, max_length = 128)]
pub struct ProfileEmail(String);

impl ProfileEmail {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = bounded("email", s, 3, 128, false)?;
        let valid = match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !s.contains(char::is_whitespace)
            }
            None => false,
        };
        if valid {
            Ok(Self(s))
        } else {
            Err(ValidationError::new("email", "must be an email address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProfileEmail {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ProfileEmail> for String {
    fn from(v: ProfileEmail) -> String {
        v.0
    }
}

/// A business website: an http(s) URL of at most 256 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, max_length = 256)]
pub struct Website(String);

impl Website {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        parse_http_url("websites", s, 256).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Website {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Website> for String {
    fn from(v: Website) -> String {
        v.0
    }
}

/// At most two websites, as Meta allows.
pub fn parse_websites(items: &[String]) -> Result<Vec<Website>, ValidationError> {
    if items.len() > 2 {
        return Err(ValidationError::new(
            "profile.websites",
            "at most 2 websites",
        ));
    }
    items
        .iter()
        .map(|s| Website::parse(s).map_err(|e| e.within("profile")))
        .collect()
}

/// What WhatsApp users see on the business's profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BusinessProfile {
    pub about: Option<ProfileAbout>,
    pub address: Option<ProfileAddress>,
    pub description: Option<ProfileDescription>,
    pub email: Option<ProfileEmail>,
    pub vertical: Option<Vertical>,
    pub websites: Vec<Website>,
    pub profile_picture_url: Option<String>,
}

/// Changes to a profile: `None` keeps a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusinessProfilePatch {
    pub about: Option<Option<ProfileAbout>>,
    pub address: Option<Option<ProfileAddress>>,
    pub description: Option<Option<ProfileDescription>>,
    pub email: Option<Option<ProfileEmail>>,
    pub vertical: Option<Option<Vertical>>,
    pub websites: Option<Vec<Website>>,
}

impl BusinessProfile {
    pub fn apply(&mut self, patch: &BusinessProfilePatch) {
        fn set<T: Clone>(slot: &mut T, v: &Option<T>) {
            if let Some(v) = v {
                *slot = v.clone();
            }
        }
        set(&mut self.about, &patch.about);
        set(&mut self.address, &patch.address);
        set(&mut self.description, &patch.description);
        set(&mut self.email, &patch.email);
        set(&mut self.vertical, &patch.vertical);
        set(&mut self.websites, &patch.websites);
    }
}

/// One WhatsApp business number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: ChannelId,
    pub account_id: AccountId,
    pub phone_number_id: PhoneNumberId,
    pub display_phone_number: PhoneE164,
    pub waba_id: WabaId,
    pub verified_name: VerifiedName,
    pub upstream: Upstream,
    pub throughput: Throughput,
    pub quality_rating: QualityRating,
    pub messaging_limit_tier: MessagingLimitTier,
    pub profile: BusinessProfile,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// What happens to a free-form message outside the customer-service window.
    pub window_policy: WindowPolicy,
}

/// Command: create a channel.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub id: ChannelId,
    pub account_id: AccountId,
    pub phone_number_id: PhoneNumberId,
    pub display_phone_number: PhoneE164,
    pub waba_id: WabaId,
    pub verified_name: VerifiedName,
    pub upstream: Upstream,
    pub throughput: Throughput,
    pub quality_rating: QualityRating,
    pub messaging_limit_tier: MessagingLimitTier,
    pub profile: BusinessProfile,
    pub window_policy: WindowPolicy,
}

impl NewChannel {
    /// A sandbox channel with generated Meta-style ids and a fictional `+1 555 01xx` number,
    /// as created on first start.
    pub fn sandbox(account_id: AccountId, verified_name: VerifiedName) -> Self {
        let pnid = PhoneNumberId::generate();
        // The last digits of the generated id keep sandbox numbers distinct.
        let suffix = &pnid.as_str()[pnid.as_str().len() - 4..];
        let display =
            PhoneE164::parse(&format!("+1555010{suffix}")).expect("valid by construction");
        Self {
            id: ChannelId::generate(),
            account_id,
            phone_number_id: pnid,
            display_phone_number: display,
            waba_id: WabaId::generate(),
            verified_name,
            upstream: Upstream::Sandbox(SandboxSettings::default()),
            throughput: Throughput::DEFAULT,
            quality_rating: QualityRating::Green,
            messaging_limit_tier: MessagingLimitTier::Tier250,
            profile: BusinessProfile::default(),
            window_policy: WindowPolicy::default(),
        }
    }

    /// The channel as it will be stored, stamped `now`.
    pub fn into_channel(self, now: Timestamp) -> Channel {
        Channel {
            id: self.id,
            account_id: self.account_id,
            phone_number_id: self.phone_number_id,
            display_phone_number: self.display_phone_number,
            waba_id: self.waba_id,
            verified_name: self.verified_name,
            upstream: self.upstream,
            throughput: self.throughput,
            quality_rating: self.quality_rating,
            messaging_limit_tier: self.messaging_limit_tier,
            profile: self.profile,
            created_at: now,
            updated_at: now,
            window_policy: self.window_policy,
        }
    }
}

/// Command: change a channel. `None` keeps a field. The phone number id and the WABA id are
/// the channel's identity at Meta and cannot change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelPatch {
    pub display_phone_number: Option<PhoneE164>,
    pub verified_name: Option<VerifiedName>,
    pub upstream: Option<Upstream>,
    pub throughput: Option<Throughput>,
    pub quality_rating: Option<QualityRating>,
    pub messaging_limit_tier: Option<MessagingLimitTier>,
    pub profile: BusinessProfilePatch,
    pub window_policy: Option<WindowPolicy>,
}

impl ChannelPatch {
    pub fn is_empty(&self) -> bool {
        *self == ChannelPatch::default()
    }
}

impl Channel {
    /// Applies `patch` (both backends call this inside their write transaction, so the rule
    /// lives once).
    pub fn apply(&mut self, patch: &ChannelPatch, now: Timestamp) {
        if let Some(v) = &patch.display_phone_number {
            self.display_phone_number = v.clone();
        }
        if let Some(v) = &patch.verified_name {
            self.verified_name = v.clone();
        }
        if let Some(v) = &patch.upstream {
            self.upstream = v.clone();
        }
        if let Some(v) = patch.throughput {
            self.throughput = v;
        }
        if let Some(v) = patch.quality_rating {
            self.quality_rating = v;
        }
        if let Some(v) = patch.messaging_limit_tier {
            self.messaging_limit_tier = v;
        }
        self.profile.apply(&patch.profile);
        if let Some(v) = patch.window_policy {
            self.window_policy = v;
        }
        self.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_bounds() {
        assert_eq!(Throughput::default().per_second(), 80);
        assert!(Throughput::parse(0).is_err());
        assert!(Throughput::parse(1000).is_ok());
        assert!(Throughput::parse(1001).is_err());
    }

    #[test]
    fn wire_enums_round_trip() {
        for t in MessagingLimitTier::ALL {
            assert_eq!(MessagingLimitTier::parse(t.as_str()).unwrap(), *t);
            assert_eq!(
                serde_json::to_string(t).unwrap(),
                format!("\"{}\"", t.as_str())
            );
        }
        let err = QualityRating::parse("green").unwrap_err();
        assert_eq!(err.field, "quality_rating");
        assert!(err.message.contains("GREEN"));
    }

    #[test]
    fn emails_and_websites() {
        assert!(ProfileEmail::parse("hello@example.com").is_ok());
        for bad in [
            "hello",
            "a@b",
            "@example.com",
            "a@@b.com",
            "a b@c.com",
            "a@.com",
        ] {
            assert!(ProfileEmail::parse(bad).is_err(), "{bad}");
        }
        assert!(ProfileEmail::parse(&format!("{}@example.com", "a".repeat(120))).is_err());
        assert!(Website::parse("https://example.com/shop").is_ok());
        assert!(Website::parse("ftp://example.com").is_err());
        assert!(Website::parse("https://").is_err());
        let three = vec!["https://a.com".to_owned(); 3];
        assert_eq!(
            parse_websites(&three).unwrap_err().field,
            "profile.websites"
        );
    }

    #[test]
    fn graph_versions() {
        for ok in ["v23.0", "v9", "v15.0", "v100.12"] {
            assert!(is_graph_version(ok), "{ok}");
        }
        for bad in ["23.0", "v", "v.1", "v23.", "va.0", "v23.0.1", "api"] {
            assert!(!is_graph_version(bad), "{bad}");
        }
    }

    #[test]
    fn cloud_settings_need_a_token_and_hide_it() {
        assert_eq!(
            CloudSettings::parse(None, None, None, None, None, None)
                .unwrap_err()
                .field,
            "upstream.access_token"
        );
        let s = CloudSettings::parse(
            Some("http://127.0.0.1:9/"),
            None,
            Some("EAAG-secret"),
            None,
            None,
            Some("1234567890"),
        )
        .unwrap();
        assert_eq!(s.app_id.as_deref(), Some("1234567890"));
        assert_eq!(s.base_url, "http://127.0.0.1:9");
        assert_eq!(s.api_version, "v23.0");
        assert!(!format!("{s:?}").contains("EAAG-secret"));
        assert!(
            CloudSettings::parse(
                Some("graph.facebook.com"),
                None,
                Some("t"),
                None,
                None,
                None
            )
            .is_err()
        );
        assert!(CloudSettings::parse(None, Some("23"), Some("t"), None, None, None).is_err());
        for bad in ["", "app", "12a", &"1".repeat(33)] {
            let e = CloudSettings::parse(None, None, Some("t"), None, None, Some(bad)).unwrap_err();
            assert_eq!(e.field, "upstream.app_id", "{bad}");
        }
    }

    #[test]
    fn patch_applies_and_clears() {
        let account = AccountId::generate();
        let mut ch = NewChannel::sandbox(account, VerifiedName::parse("Shop").unwrap())
            .into_channel(Timestamp::UNIX_EPOCH);
        ch.profile.about = Some(ProfileAbout::parse("hi").unwrap());
        let patch = ChannelPatch {
            throughput: Some(Throughput::parse(200).unwrap()),
            profile: BusinessProfilePatch {
                about: Some(None),
                ..Default::default()
            },
            ..Default::default()
        };
        let now = Timestamp::from_second(10).unwrap();
        ch.apply(&patch, now);
        assert_eq!(ch.throughput.per_second(), 200);
        assert_eq!(ch.profile.about, None);
        assert_eq!(ch.updated_at, now);
        assert_eq!(ch.created_at, Timestamp::UNIX_EPOCH);
    }

    #[test]
    fn sandbox_channels_get_fictional_numbers() {
        let ch = NewChannel::sandbox(AccountId::generate(), VerifiedName::parse("Shop").unwrap());
        assert!(ch.display_phone_number.digits().starts_with("1555010"));
        assert_eq!(ch.upstream.kind(), UpstreamKind::Sandbox);
    }
}
