//! Settings of the simulated WhatsApp network for one channel (the `sandbox` upstream).
//!
//! The network is deterministic: whether a message is read, and every delay, follow from
//! these settings, the `seed` and the message id, so a test that fixes them sees the same
//! story every run. Each virtual user can override the channel's defaults in `users`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::error::ValidationError;
use crate::phone::PhoneE164;

/// How virtual users answer what the business sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Script {
    /// Reply to every text with the same text.
    pub echo: bool,
    /// Reply with the value when a business message contains the key (case-insensitive).
    pub keywords: BTreeMap<String, String>,
    /// Tap the first reply button (or list row, or template quick reply) of each message
    /// that offers one.
    pub tap_buttons: bool,
}

impl Script {
    pub fn is_empty(&self) -> bool {
        !self.echo && self.keywords.is_empty() && !self.tap_buttons
    }
}

/// Per-user overrides; absent fields take the channel's value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct VirtualUserSettings {
    /// Profile name shown in inbound messages.
    pub name: Option<String>,
    /// `false`: the number is not on WhatsApp; messages fail with 131026.
    pub on_whatsapp: Option<bool>,
    pub delivery_delay_ms: Option<u64>,
    pub read_delay_ms: Option<u64>,
    pub read_percent: Option<u8>,
    /// The phone is off until then: messages are sent but delivered only after.
    #[schema(value_type = Option<String>)]
    pub offline_until: Option<Timestamp>,
    pub script: Option<Script>,
}

/// The network's behaviour for one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxSettings {
    /// Seed of every random choice (read or not, jitter).
    pub seed: u64,
    /// From hand-over to `delivered`.
    pub delivery_delay_ms: u64,
    /// From `delivered` to `read`.
    pub read_delay_ms: u64,
    /// Share of delivered messages that get read, 0–100.
    pub read_percent: u8,
    /// From `delivered` to a scripted reply.
    pub reply_delay_ms: u64,
    /// Numbers (digits) that are not on WhatsApp: messages to them fail with 131026.
    pub not_on_whatsapp: Vec<String>,
    /// The network is unreachable until then: hand-overs fail with 131016 and are retried.
    #[schema(value_type = Option<String>)]
    pub unreachable_until: Option<Timestamp>,
    /// Enforce the channel's throughput (130429 beyond it).
    pub enforce_throughput: bool,
    /// Meta's pair rate: a user takes a burst of this many messages…
    pub pair_burst: u32,
    /// …then one per this many milliseconds (131056 beyond it).
    pub pair_interval_ms: u64,
    /// What every user does unless their own settings say otherwise.
    pub script: Script,
    /// Per-user overrides, by number (digits).
    pub users: BTreeMap<String, VirtualUserSettings>,
    /// The sandbox's template review approves every template of this channel's WABA
    /// instead of applying its rules (as `[templates] approve_all` does for every WABA).
    pub approve_templates: bool,
    /// Download the file behind every media `link` a message of this channel carries (media
    /// messages, template and interactive headers) before delivering it, as WhatsApp does:
    /// a link that cannot be fetched, or fetches a file of the wrong type or size, fails the
    /// message with 131053 and says why. Off: links are delivered unread (no network needed).
    pub fetch_media_links: bool,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            seed: 0,
            delivery_delay_ms: 500,
            read_delay_ms: 1500,
            read_percent: 100,
            reply_delay_ms: 1000,
            not_on_whatsapp: Vec::new(),
            unreachable_until: None,
            enforce_throughput: true,
            pair_burst: 45,
            pair_interval_ms: 6000,
            script: Script::default(),
            users: BTreeMap::new(),
            approve_templates: false,
            fetch_media_links: false,
        }
    }
}

impl SandboxSettings {
    /// Checks what serde cannot: ranges and numbers. Called wherever settings come in.
    pub fn check(self) -> Result<Self, ValidationError> {
        let pct = |field: &str, v: u8| {
            if v > 100 {
                Err(ValidationError::new(field, "must be between 0 and 100"))
            } else {
                Ok(())
            }
        };
        pct("upstream.sandbox.read_percent", self.read_percent)?;
        if self.pair_burst == 0 {
            return Err(ValidationError::new(
                "upstream.sandbox.pair_burst",
                "must be at least 1",
            ));
        }
        let day = 86_400_000;
        for (field, v) in [
            ("delivery_delay_ms", self.delivery_delay_ms),
            ("read_delay_ms", self.read_delay_ms),
            ("reply_delay_ms", self.reply_delay_ms),
            ("pair_interval_ms", self.pair_interval_ms),
        ] {
            if v > day {
                return Err(ValidationError::new(
                    format!("upstream.sandbox.{field}"),
                    "must be at most 86400000 (one day)",
                ));
            }
        }
        for n in &self.not_on_whatsapp {
            PhoneE164::parse_field("upstream.sandbox.not_on_whatsapp", n)?;
        }
        for (number, user) in &self.users {
            PhoneE164::parse_field("upstream.sandbox.users", number)?;
            if let Some(p) = user.read_percent {
                pct(&format!("upstream.sandbox.users.{number}.read_percent"), p)?;
            }
        }
        Ok(self)
    }

    /// The effective settings of one virtual user.
    pub fn user(&self, wa_id: &PhoneE164) -> VirtualUser {
        let o = self.users.get(wa_id.digits()).or_else(|| {
            self.users
                .iter()
                .find(|(k, _)| k.trim_start_matches('+') == wa_id.digits())
                .map(|(_, v)| v)
        });
        let listed_off = self
            .not_on_whatsapp
            .iter()
            .any(|n| n.trim_start_matches('+') == wa_id.digits());
        VirtualUser {
            name: o.and_then(|o| o.name.clone()),
            on_whatsapp: o.and_then(|o| o.on_whatsapp).unwrap_or(!listed_off),
            delivery_delay_ms: o
                .and_then(|o| o.delivery_delay_ms)
                .unwrap_or(self.delivery_delay_ms),
            read_delay_ms: o
                .and_then(|o| o.read_delay_ms)
                .unwrap_or(self.read_delay_ms),
            read_percent: o.and_then(|o| o.read_percent).unwrap_or(self.read_percent),
            offline_until: o.and_then(|o| o.offline_until),
            script: o
                .and_then(|o| o.script.clone())
                .unwrap_or_else(|| self.script.clone()),
        }
    }
}

/// One virtual user's effective behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualUser {
    pub name: Option<String>,
    pub on_whatsapp: bool,
    pub delivery_delay_ms: u64,
    pub read_delay_ms: u64,
    pub read_percent: u8,
    pub offline_until: Option<Timestamp>,
    pub script: Script,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_override_channel_defaults() {
        let s: SandboxSettings = serde_json::from_value(serde_json::json!({
            "read_percent": 50,
            "not_on_whatsapp": ["+15550000000"],
            "users": {"15551112222": {"read_percent": 0, "name": "Ana"}}
        }))
        .unwrap();
        let s = s.check().unwrap();
        let ana = s.user(&PhoneE164::parse("15551112222").unwrap());
        assert_eq!(ana.read_percent, 0);
        assert_eq!(ana.name.as_deref(), Some("Ana"));
        assert_eq!(ana.delivery_delay_ms, 500);
        let bob = s.user(&PhoneE164::parse("15553334444").unwrap());
        assert_eq!(bob.read_percent, 50);
        assert!(bob.on_whatsapp);
        assert!(
            !s.user(&PhoneE164::parse("15550000000").unwrap())
                .on_whatsapp
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        let bad = |v: serde_json::Value| {
            serde_json::from_value::<SandboxSettings>(v)
                .map_err(|e| e.to_string())
                .and_then(|s| s.check().map_err(|e| e.field))
        };
        assert!(bad(serde_json::json!({"bogus": 1})).is_err());
        assert_eq!(
            bad(serde_json::json!({"read_percent": 101})).unwrap_err(),
            "upstream.sandbox.read_percent"
        );
        assert_eq!(
            bad(serde_json::json!({"pair_burst": 0})).unwrap_err(),
            "upstream.sandbox.pair_burst"
        );
        assert_eq!(
            bad(serde_json::json!({"not_on_whatsapp": ["abc"]})).unwrap_err(),
            "upstream.sandbox.not_on_whatsapp"
        );
        assert!(bad(serde_json::json!({})).is_ok());
        let approving = bad(serde_json::json!({"approve_templates": true})).unwrap();
        assert!(approving.approve_templates);
        assert!(!SandboxSettings::default().approve_templates);
        let fetching = bad(serde_json::json!({"fetch_media_links": true})).unwrap();
        assert!(fetching.fetch_media_links);
        assert!(!SandboxSettings::default().fetch_media_links);
    }
}
