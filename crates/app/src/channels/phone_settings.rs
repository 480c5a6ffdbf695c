//! A phone number's settings (`/{phone_number_id}/settings`), its conversational automation
//! (`/{phone_number_id}/conversational_automation`), and new numbers in a WABA
//! (`POST /{waba_id}/phone_numbers`).
//!
//! - **Settings** are Meta's phone-number settings objects: `calling`,
//!   `storage_configuration`, `payload_encryption`, `user_identity_change` (objects) and
//!   `fallback_language` (a locale). An update names the ones it changes and replaces each
//!   whole; the others stay. Types are checked ([`SettingsUpdate`]); the sandbox stores them
//!   and answers them back, nothing else acts on them (no calls are placed).
//! - **Conversational automation** ([`AutomationUpdate`]): `enable_welcome_message`, up to 4
//!   ice-breaker `prompts` of 80 characters, up to 30 `commands` (name ≤ 32, description
//!   ≤ 256 characters), Meta's limits. Each given key replaces the stored one.
//! - **A new number** ([`NewPhoneNumber`]) becomes a sandbox channel of the WABA, as Meta's
//!   new numbers are: not registered and not verified, so it sends nothing until
//!   `request_code`, `verify_code` and `register` (see `wagate_core::registration`). Its
//!   phone number must be new to the account (Graph code 100 otherwise). The channel and its
//!   registration state are two writes: should the second fail, the number exists registered
//!   (as a channel made on the management plane is) and the error is answered.

use serde_json::{Map, Value, json};
use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};
use wagate_core::channel::{Channel, NewChannel};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::WabaId;
use wagate_core::phone::PhoneE164;
use wagate_core::registration::{Registration, RegistrationStatus};
use wagate_core::text::VerifiedName;
use wagate_store::Page;
use wagate_store::phone_settings::{PhoneSettings, PhoneSettingsWrite};

use crate::App;
use crate::Principal;
use crate::error::{Error, Result};

/// Ice breakers a number may have (Meta: 4).
pub const MAX_PROMPTS: usize = 4;
/// Characters of one ice breaker (Meta: 80).
pub const MAX_PROMPT_CHARS: usize = 80;
/// Commands a number may have (Meta: 30).
pub const MAX_COMMANDS: usize = 30;
/// Characters of a command's name (Meta: 32).
pub const MAX_COMMAND_NAME_CHARS: usize = 32;
/// Characters of a command's description (Meta: 256).
pub const MAX_COMMAND_DESCRIPTION_CHARS: usize = 256;

/// The settings a number has, and the type of each.
const SETTINGS: &[&str] = &[
    "calling",
    "storage_configuration",
    "payload_encryption",
    "user_identity_change",
    "fallback_language",
];

/// Keys a settings body may carry besides [`SETTINGS`], ignored (Graph's envelope).
const IGNORED: &[&str] = &["messaging_product", "access_token"];

/// What a number answers for settings never written.
pub fn default_settings() -> Map<String, Value> {
    let v = json!({
        "calling": {"status": "DISABLED", "call_icon_visibility": "DEFAULT",
                    "callback_permission_status": "DISABLED"},
        "storage_configuration": {"status": "DEFAULT"},
        "payload_encryption": {"status": "DISABLED"},
        "user_identity_change": {"enable_identity_key_check": false},
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!("json! object"),
    }
}

/// The settings of `stored` over the defaults.
pub fn effective_settings(stored: &PhoneSettings) -> Map<String, Value> {
    let mut out = default_settings();
    out.extend(stored.settings.clone());
    out
}

/// The conversational automation object of `stored` (Meta's defaults for keys never set).
pub fn effective_automation(stored: &PhoneSettings) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("enable_welcome_message".into(), json!(false));
    out.insert("prompts".into(), json!([]));
    out.insert("commands".into(), json!([]));
    out.extend(stored.automation.clone());
    out
}

/// A checked settings update: the settings it replaces.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsUpdate(Map<String, Value>);

impl SettingsUpdate {
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

/// Each of `keys` present in `obj` must be of the JSON kind `is` accepts (`what` says which,
/// for the error, which names `parent.key`).
fn check_kind(
    obj: &Map<String, Value>,
    parent: &str,
    keys: &[&str],
    is: fn(&Value) -> bool,
    what: &str,
) -> Result<(), ValidationError> {
    match keys.iter().find(|k| obj.get(**k).is_some_and(|v| !is(v))) {
        Some(k) => Err(ValidationError::new(format!("{parent}.{k}"), what)),
        None => Ok(()),
    }
}

fn check_strings(
    obj: &Map<String, Value>,
    parent: &str,
    keys: &[&str],
) -> Result<(), ValidationError> {
    check_kind(obj, parent, keys, Value::is_string, "must be a string")
}

fn check_bools(
    obj: &Map<String, Value>,
    parent: &str,
    keys: &[&str],
) -> Result<(), ValidationError> {
    check_kind(
        obj,
        parent,
        keys,
        Value::is_boolean,
        "must be true or false",
    )
}

fn check_objects(
    obj: &Map<String, Value>,
    parent: &str,
    keys: &[&str],
) -> Result<(), ValidationError> {
    check_kind(obj, parent, keys, Value::is_object, "must be an object")
}

impl TryFrom<&Map<String, Value>> for SettingsUpdate {
    type Error = ValidationError;

    fn try_from(body: &Map<String, Value>) -> Result<Self, ValidationError> {
        let mut out = Map::new();
        for (key, value) in body {
            if IGNORED.contains(&key.as_str()) {
                continue;
            }
            if !SETTINGS.contains(&key.as_str()) {
                return Err(ValidationError::new(
                    key.as_str(),
                    format!(
                        "is not a phone number setting (one of {})",
                        SETTINGS.join(", ")
                    ),
                ));
            }
            if key == "fallback_language" {
                let ok = value.as_str().is_some_and(|l| {
                    (2..=10).contains(&l.len())
                        && l.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
                });
                if !ok {
                    return Err(ValidationError::new(
                        "fallback_language",
                        "must be a language code like en or en_US",
                    ));
                }
                out.insert(key.clone(), value.clone());
                continue;
            }
            let Value::Object(obj) = value else {
                return Err(ValidationError::new(key.as_str(), "must be an object"));
            };
            match key.as_str() {
                "calling" => {
                    check_strings(
                        obj,
                        key,
                        &[
                            "status",
                            "call_icon_visibility",
                            "callback_permission_status",
                            "srtp_key_exchange_protocol",
                        ],
                    )?;
                    check_objects(obj, key, &["call_hours", "sip", "call_icons"])?;
                    if let Some(Value::String(s)) = obj.get("status")
                        && s != "ENABLED"
                        && s != "DISABLED"
                    {
                        return Err(ValidationError::new(
                            "calling.status",
                            "must be ENABLED or DISABLED",
                        ));
                    }
                }
                "storage_configuration" => {
                    check_strings(obj, key, &["status", "data_localization_region"])?;
                }
                "payload_encryption" => check_strings(obj, key, &["status", "public_key"])?,
                "user_identity_change" => check_bools(obj, key, &["enable_identity_key_check"])?,
                _ => {}
            }
            out.insert(key.clone(), value.clone());
        }
        if out.is_empty() {
            return Err(ValidationError::new(
                "settings",
                format!(
                    "give at least one setting to change ({})",
                    SETTINGS.join(", ")
                ),
            ));
        }
        Ok(Self(out))
    }
}

/// A checked conversational automation update.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AutomationUpdate {
    pub enable_welcome_message: Option<bool>,
    pub prompts: Option<Vec<String>>,
    /// `(command_name, command_description)`.
    pub commands: Option<Vec<(String, String)>>,
}

/// A JSON array, or a string holding one (pywa sends `commands` JSON-encoded).
fn array<'a>(
    field: &str,
    v: &'a Value,
    holder: &'a mut Option<Value>,
) -> Result<&'a Vec<Value>, ValidationError> {
    let v = match v {
        Value::String(s) => holder.insert(
            serde_json::from_str(s)
                .map_err(|_| ValidationError::new(field, "must be a JSON array"))?,
        ),
        v => v,
    };
    v.as_array()
        .ok_or_else(|| ValidationError::new(field, "must be an array"))
}

fn text_within(field: &str, v: &Value, max: usize) -> Result<String, ValidationError> {
    let s = v
        .as_str()
        .ok_or_else(|| ValidationError::new(field, "must be a string"))?;
    if s.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(s.to_owned())
}

impl TryFrom<&Map<String, Value>> for AutomationUpdate {
    type Error = ValidationError;

    fn try_from(body: &Map<String, Value>) -> Result<Self, ValidationError> {
        let mut out = Self::default();
        if let Some(v) = body.get("enable_welcome_message").filter(|v| !v.is_null()) {
            out.enable_welcome_message = Some(match v {
                Value::Bool(b) => *b,
                Value::String(s) if s == "true" => true,
                Value::String(s) if s == "false" => false,
                _ => {
                    return Err(ValidationError::new(
                        "enable_welcome_message",
                        "must be true or false",
                    ));
                }
            });
        }
        if let Some(v) = body.get("prompts").filter(|v| !v.is_null()) {
            let mut holder = None;
            let items = array("prompts", v, &mut holder)?;
            if items.len() > MAX_PROMPTS {
                return Err(ValidationError::new(
                    "prompts",
                    format!("at most {MAX_PROMPTS} ice breakers"),
                ));
            }
            out.prompts = Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, p)| text_within(&format!("prompts[{i}]"), p, MAX_PROMPT_CHARS))
                    .collect::<Result<_, _>>()?,
            );
        }
        if let Some(v) = body.get("commands").filter(|v| !v.is_null()) {
            let mut holder = None;
            let items = array("commands", v, &mut holder)?;
            if items.len() > MAX_COMMANDS {
                return Err(ValidationError::new(
                    "commands",
                    format!("at most {MAX_COMMANDS} commands"),
                ));
            }
            let mut commands = Vec::with_capacity(items.len());
            for (i, c) in items.iter().enumerate() {
                let field = format!("commands[{i}]");
                let c = c.as_object().ok_or_else(|| {
                    ValidationError::new(
                        field.as_str(),
                        "must be an object with command_name and command_description",
                    )
                })?;
                let name = c.get("command_name").ok_or_else(|| {
                    ValidationError::new(format!("{field}.command_name"), "is required")
                })?;
                let description = c.get("command_description").ok_or_else(|| {
                    ValidationError::new(format!("{field}.command_description"), "is required")
                })?;
                let name = text_within(
                    &format!("{field}.command_name"),
                    name,
                    MAX_COMMAND_NAME_CHARS,
                )?;
                if commands.iter().any(|(n, _): &(String, String)| *n == name) {
                    return Err(ValidationError::new(
                        format!("{field}.command_name"),
                        "repeats another command's name",
                    ));
                }
                let description = text_within(
                    &format!("{field}.command_description"),
                    description,
                    MAX_COMMAND_DESCRIPTION_CHARS,
                )?;
                commands.push((name, description));
            }
            out.commands = Some(commands);
        }
        if out == Self::default() {
            return Err(ValidationError::new(
                "conversational_automation",
                "give enable_welcome_message, prompts or commands",
            ));
        }
        Ok(out)
    }
}

impl AutomationUpdate {
    /// The keys it replaces, as stored.
    fn into_patch(self) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(b) = self.enable_welcome_message {
            m.insert("enable_welcome_message".into(), json!(b));
        }
        if let Some(p) = self.prompts {
            m.insert("prompts".into(), json!(p));
        }
        if let Some(c) = self.commands {
            let c: Vec<Value> = c
                .into_iter()
                .map(|(n, d)| json!({"command_name": n, "command_description": d}))
                .collect();
            m.insert("commands".into(), Value::Array(c));
        }
        m
    }
}

/// `POST /{waba_id}/phone_numbers`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhoneNumber {
    pub number: PhoneE164,
    pub verified_name: VerifiedName,
}

impl TryFrom<&Map<String, Value>> for NewPhoneNumber {
    type Error = ValidationError;

    fn try_from(body: &Map<String, Value>) -> Result<Self, ValidationError> {
        let text = |key: &str| match body.get(key) {
            None | Some(Value::Null) => Err(ValidationError::new(key, "is required")),
            Some(Value::String(s)) => Ok(s.trim().to_owned()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(_) => Err(ValidationError::new(key, "must be a string")),
        };
        let cc = text("country_code")?;
        let cc = cc.strip_prefix('+').unwrap_or(&cc);
        if !(1..=3).contains(&cc.len()) || !cc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(
                "country_code",
                "must be a country calling code of 1 to 3 digits, like 1 or 44",
            ));
        }
        let number = text("phone_number")?;
        let digits: String = number
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
            .collect();
        let digits = digits.strip_prefix('+').unwrap_or(&digits);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(
                "phone_number",
                "must be the number's digits",
            ));
        }
        // "With or without the country calling code" (pywa): a number that already starts
        // with it and would be too long otherwise keeps it once.
        let full = if digits.starts_with(cc) && cc.len() + digits.len() > 15 {
            digits.to_owned()
        } else {
            format!("{cc}{digits}")
        };
        let number = PhoneE164::parse_field("phone_number", &format!("+{full}"))?;
        let name = text("verified_name")?;
        let verified_name = VerifiedName::parse(&name)
            .map_err(|e| ValidationError::new("verified_name", e.to_string()))?;
        Ok(Self {
            number,
            verified_name,
        })
    }
}

impl App {
    /// The stored settings and automation of `channel` (checked against `p` by the caller).
    pub async fn phone_settings(&self, p: &Principal, channel: &Channel) -> Result<PhoneSettings> {
        Ok(self.store.phone_settings(p.account_id, channel.id).await?)
    }

    async fn write_phone_settings(
        &self,
        p: &Principal,
        channel: &Channel,
        settings: Map<String, Value>,
        automation: Map<String, Value>,
    ) -> Result<PhoneSettings> {
        let (action, keys) = if automation.is_empty() {
            (AuditAction::PhoneSettingsUpdate, &settings)
        } else {
            (AuditAction::ConversationalAutomationUpdate, &automation)
        };
        // Top-level key names only: settings may hold keys and certificates.
        let summary = AuditSummary::changed(keys.keys().map(String::as_str));
        let write = PhoneSettingsWrite {
            account_id: p.account_id,
            channel_id: channel.id,
            settings,
            automation,
            at: self.now(),
        };
        let stored = self.store.update_phone_settings(write).await?;
        self.audit(
            p,
            action,
            AuditTarget::new(TargetKind::Channel, channel.id),
            summary,
        )
        .await;
        Ok(stored)
    }

    #[tracing::instrument(skip_all, fields(channel_id = %channel.id))]
    pub async fn update_phone_settings(
        &self,
        p: &Principal,
        channel: &Channel,
        update: SettingsUpdate,
    ) -> Result<PhoneSettings> {
        self.write_phone_settings(p, channel, update.0, Map::new())
            .await
    }

    #[tracing::instrument(skip_all, fields(channel_id = %channel.id))]
    pub async fn update_conversational_automation(
        &self,
        p: &Principal,
        channel: &Channel,
        update: AutomationUpdate,
    ) -> Result<PhoneSettings> {
        self.write_phone_settings(p, channel, Map::new(), update.into_patch())
            .await
    }

    /// A new, unregistered sandbox number in the principal's `waba` (see the module docs).
    #[tracing::instrument(skip_all, fields(account_id = %p.account_id, waba_id = %waba))]
    pub async fn create_phone_number(
        &self,
        p: &Principal,
        waba: &WabaId,
        new: NewPhoneNumber,
    ) -> Result<Channel> {
        p.require_account_wide()?;
        let channels = self.list_channels(p, &Page::all()).await?;
        if channels
            .iter()
            .any(|c| c.display_phone_number == new.number)
        {
            return Err(Error::Failed(
                ErrorCode::InvalidRequest,
                format!("the phone number {} is already in this account", new.number),
            ));
        }
        let mut channel = NewChannel::sandbox(p.account_id, new.verified_name);
        channel.display_phone_number = new.number;
        channel.waba_id = waba.clone();
        let channel = self.create_channel(p, channel).await?;
        let at = self.now();
        let mut reg = Registration::initial(channel.account_id, channel.id, at);
        reg.status = RegistrationStatus::Deregistered;
        reg.verified = false;
        reg.version = 1;
        self.store.save_registration(reg, None).await?;
        Ok(channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn settings_are_type_checked() {
        let ok = SettingsUpdate::try_from(&map(json!({
            "messaging_product": "whatsapp",
            "calling": {"status": "ENABLED", "call_hours": {"status": "ENABLED"}},
            "fallback_language": "en_US",
        })))
        .unwrap();
        assert_eq!(ok.as_map().len(), 2);
        for bad in [
            json!({}),
            json!({"colour": "red"}),
            json!({"calling": "on"}),
            json!({"calling": {"status": "ON"}}),
            json!({"calling": {"sip": []}}),
            json!({"user_identity_change": {"enable_identity_key_check": "yes"}}),
            json!({"fallback_language": 3}),
        ] {
            assert!(
                SettingsUpdate::try_from(&map(bad.clone())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn automation_takes_pywa_string_commands_and_keeps_meta_limits() {
        let u = AutomationUpdate::try_from(&map(json!({
            "prompts": ["What do you sell?"],
            "commands": "[{\"command_name\": \"help\", \"command_description\": \"Get help\"}]",
        })))
        .unwrap();
        assert_eq!(
            u.commands.as_deref(),
            Some(&[("help".to_owned(), "Get help".to_owned())][..])
        );
        for bad in [
            json!({}),
            json!({"prompts": ["a", "b", "c", "d", "e"]}),
            json!({"prompts": ["x".repeat(81)]}),
            json!({"commands": [{"command_name": "x".repeat(33), "command_description": "d"}]}),
            json!({"commands": [{"command_name": "a", "command_description": "x".repeat(257)}]}),
            json!({"commands": [{"command_name": "a"}]}),
            json!({"enable_welcome_message": "maybe"}),
        ] {
            assert!(
                AutomationUpdate::try_from(&map(bad.clone())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn new_numbers_parse_with_or_without_their_calling_code() {
        let n = NewPhoneNumber::try_from(&map(json!({
            "country_code": "1", "phone_number": "5550190001", "verified_name": "Shop",
        })))
        .unwrap();
        assert_eq!(n.number.to_string(), "+15550190001");
        for bad in [
            json!({"country_code": "1234", "phone_number": "5550190001", "verified_name": "Shop"}),
            json!({"country_code": "1", "phone_number": "555-CALL", "verified_name": "Shop"}),
            json!({"country_code": "1", "phone_number": "5550190001", "verified_name": ""}),
            json!({"phone_number": "5550190001", "verified_name": "Shop"}),
        ] {
            assert!(
                NewPhoneNumber::try_from(&map(bad.clone())).is_err(),
                "{bad}"
            );
        }
    }
}
