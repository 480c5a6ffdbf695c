//! A phone number's settings (`/{phone_number_id}/settings`) and conversational automation
//! (`/{phone_number_id}/conversational_automation`), stored per channel as two JSON objects.
//!
//! The store keeps them as given: the service validated them (see
//! `wagate_app::channels::phone_settings`). An update replaces the top-level keys it names
//! (a `null` value removes one) and keeps the others, in one transaction, so two updates of
//! different keys both count.

use serde_json::{Map, Value};
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId};

use crate::error::StoreError;

/// What is stored for one channel; both objects are empty until written.
#[derive(Debug, Clone, PartialEq)]
pub struct PhoneSettings {
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub settings: Map<String, Value>,
    pub automation: Map<String, Value>,
    /// The last write (`None`: never written).
    pub updated_at: Option<Timestamp>,
}

impl PhoneSettings {
    /// A channel nothing was written for.
    pub fn empty(account_id: AccountId, channel_id: ChannelId) -> Self {
        Self {
            account_id,
            channel_id,
            settings: Map::new(),
            automation: Map::new(),
            updated_at: None,
        }
    }

    /// Applies `w`'s patches (top-level keys replaced, `null` removes), as every backend does.
    pub fn apply(&mut self, w: &PhoneSettingsWrite) {
        fn merge(into: &mut Map<String, Value>, patch: &Map<String, Value>) {
            for (k, v) in patch {
                if v.is_null() {
                    into.remove(k);
                } else {
                    into.insert(k.clone(), v.clone());
                }
            }
        }
        merge(&mut self.settings, &w.settings);
        merge(&mut self.automation, &w.automation);
        self.updated_at = Some(w.at);
    }
}

/// One update of a channel's settings and automation.
#[derive(Debug, Clone, PartialEq)]
pub struct PhoneSettingsWrite {
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    /// Top-level settings keys to replace (`null`: remove).
    pub settings: Map<String, Value>,
    /// Top-level automation keys to replace (`null`: remove).
    pub automation: Map<String, Value>,
    pub at: Timestamp,
}

/// The columns, in [`PhoneSettingsRecord`] order.
#[macro_export]
macro_rules! phone_settings_columns {
    () => {
        "channel_id, account_id, settings, conversational_automation, updated_at"
    };
}

/// A stored row, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhoneSettingsRecord {
    pub channel_id: uuid::Uuid,
    pub account_id: uuid::Uuid,
    pub settings: String,
    pub conversational_automation: String,
    pub updated_at: i64,
}

impl PhoneSettingsRecord {
    /// The row of `s`, written at `s.updated_at` (or `at` when never written).
    pub fn new(s: &PhoneSettings, at: Timestamp) -> Self {
        Self {
            channel_id: s.channel_id.as_uuid(),
            account_id: s.account_id.as_uuid(),
            settings: Value::Object(s.settings.clone()).to_string(),
            conversational_automation: Value::Object(s.automation.clone()).to_string(),
            updated_at: s.updated_at.unwrap_or(at).as_millisecond(),
        }
    }
}

impl TryFrom<PhoneSettingsRecord> for PhoneSettings {
    type Error = StoreError;

    fn try_from(r: PhoneSettingsRecord) -> Result<Self, StoreError> {
        let bad = |detail: String| StoreError::Corrupt {
            what: "phone settings",
            detail,
        };
        let object = |what: &str, s: &str| match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(bad(format!("{what}: not a JSON object"))),
            Err(e) => Err(bad(format!("{what}: {e}"))),
        };
        Ok(Self {
            account_id: AccountId::from_uuid(r.account_id),
            channel_id: ChannelId::from_uuid(r.channel_id),
            settings: object("settings", &r.settings)?,
            automation: object("conversational_automation", &r.conversational_automation)?,
            updated_at: Some(
                Timestamp::from_millisecond(r.updated_at).map_err(|e| bad(format!("time: {e}")))?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_update_replaces_named_keys_and_null_removes() {
        let (a, c) = (AccountId::generate(), ChannelId::generate());
        let mut s = PhoneSettings::empty(a, c);
        let obj = |v: Value| v.as_object().cloned().unwrap();
        let at = Timestamp::from_millisecond(1_000).unwrap();
        s.apply(&PhoneSettingsWrite {
            account_id: a,
            channel_id: c,
            settings: obj(json!({"calling": {"status": "ENABLED"}, "fallback_language": "en"})),
            automation: Map::new(),
            at,
        });
        s.apply(&PhoneSettingsWrite {
            account_id: a,
            channel_id: c,
            settings: obj(json!({"calling": {"sip": {}}, "fallback_language": null})),
            automation: obj(json!({"prompts": ["Hi"]})),
            at,
        });
        assert_eq!(
            Value::Object(s.settings.clone()),
            json!({"calling": {"sip": {}}})
        );
        assert_eq!(
            Value::Object(s.automation.clone()),
            json!({"prompts": ["Hi"]})
        );
        let back = PhoneSettings::try_from(PhoneSettingsRecord::new(&s, at)).unwrap();
        assert_eq!(back, s);
    }
}
