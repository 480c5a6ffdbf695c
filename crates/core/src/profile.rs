//! A phone number's business profile and commerce settings, and a WABA's subscribed apps, as
//! Meta's Cloud API reads and writes them (reference §1.4, §1.5, §6.3).
//!
//! # Model
//! The profile's values — about, address, description, email, vertical, websites — belong to
//! the channel ([`BusinessProfile`]), where the management plane edits them too; their
//! validated newtypes live beside the channel model and in [`crate::text`], and are
//! re-exported here. This module adds what the Cloud plane needs on top of them:
//!
//! - [`ProfileUpdate`]: Meta's `POST /{phone_number_id}/whatsapp_business_profile` body,
//!   read with Meta's error kinds (see below), including the picture's upload handle;
//! - [`ProfileField`]: which fields a `GET …?fields=` asks for;
//! - [`CommerceSettings`] and [`CommerceUpdate`] (`whatsapp_commerce_settings`), whose
//!   parameters arrive as query strings, form fields or JSON;
//! - [`AlternateCallback`]: a `subscribed_apps` override (`override_callback_uri` +
//!   `verify_token`);
//! - [`template_namespace`]: a WABA's template namespace, derived from its id.
//!
//! # Errors
//! As in [`crate::content`]: a wrong JSON type or an unknown vertical is `Invalid` (Graph
//! 100); a value past a limit or malformed — too long, a third website, a URL without
//! http(s), an address that is no email — is `OutOfRange` (131009); a missing
//! `messaging_product` is `Missing` (131008). An empty string clears a field (pywa sends `""`
//! for `None`), and `null` counts as absent.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::content::fields::{check_count, check_max, check_url, wrong_type};
use crate::error::{ValidationError, ValidationKind};
use crate::ids::WabaId;
use crate::webhook::{VerifyToken, WebhookUrl};

pub use crate::channel::{
    BusinessProfile, BusinessProfilePatch, ProfileEmail, Vertical, Website, parse_websites,
};
pub use crate::text::{ProfileAbout, ProfileAddress, ProfileDescription};

/// Meta's limits on the profile (reference §6.3), in characters.
pub mod limits {
    pub const ABOUT: usize = 139;
    pub const ADDRESS: usize = 256;
    pub const DESCRIPTION: usize = 512;
    pub const EMAIL: usize = 128;
    pub const WEBSITES: usize = 2;
    pub const WEBSITE: usize = 256;
}

/// What an update does to the profile picture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PictureChange {
    /// `profile_picture_handle` absent: the picture stays.
    #[default]
    Keep,
    /// `profile_picture_handle: ""`: no picture any more.
    Clear,
    /// A Resumable Upload handle (`4::…`) of the new picture, as sent (trimmed).
    Set(String),
}

/// Meta's profile update: the fields to change and the picture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProfileUpdate {
    pub patch: BusinessProfilePatch,
    pub picture: PictureChange,
}

/// A text field: `None` absent, `Some(None)` cleared (`""`), `Some(Some(t))` set.
fn text_field<T>(
    body: &Map<String, Value>,
    key: &str,
    max: usize,
    parse: impl FnOnce(&str) -> Result<T, ValidationError>,
) -> Result<Option<Option<T>>, ValidationError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(Some(None));
            }
            check_max(key, s, max)?;
            // What is left (control characters, a malformed email) is a malformed value.
            parse(s)
                .map(|v| Some(Some(v)))
                .map_err(|e| ValidationError::out_of_range(key, e.message))
        }
        Some(v) => Err(wrong_type(key, "a string", v)),
    }
}

fn websites(v: &Value) -> Result<Option<Vec<Website>>, ValidationError> {
    const KEY: &str = "websites";
    let items: Vec<&str> = match v {
        Value::Null => return Ok(None),
        // pywa sends `""` to clear; one URL as a plain string is read as a list of one.
        Value::String(s) if s.trim().is_empty() => return Ok(Some(Vec::new())),
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .ok_or_else(|| wrong_type(&format!("{KEY}[{i}]"), "a string", v))
            })
            .collect::<Result<_, _>>()?,
        v => return Err(wrong_type(KEY, "a list of URLs", v)),
    };
    check_count(KEY, items.len(), 0, limits::WEBSITES)?;
    items
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let field = format!("{KEY}[{i}]");
            let s = s.trim();
            check_url(&field, s, limits::WEBSITE)?;
            Website::parse(s).map_err(|e| ValidationError::out_of_range(field, e.message))
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

impl ProfileUpdate {
    /// Reads Meta's update body. Keys Meta does not define are ignored, as on the send path.
    pub fn parse(body: &Value) -> Result<Self, ValidationError> {
        let Value::Object(body) = body else {
            return Err(wrong_type("body", "a JSON object", body));
        };
        match body.get("messaging_product") {
            None | Some(Value::Null) => {
                return Err(ValidationError::missing(
                    "messaging_product",
                    "is required and must be \"whatsapp\"",
                ));
            }
            Some(Value::String(s)) if s == "whatsapp" => {}
            Some(_) => {
                return Err(ValidationError::new(
                    "messaging_product",
                    "must be \"whatsapp\"",
                ));
            }
        }
        let vertical = match body.get("vertical") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => Some(None),
            Some(Value::String(s)) => Some(Some(Vertical::parse(&s.trim().to_ascii_uppercase())?)),
            Some(v) => return Err(wrong_type("vertical", "a string", v)),
        };
        let picture = match body.get("profile_picture_handle") {
            None | Some(Value::Null) => PictureChange::Keep,
            Some(Value::String(s)) if s.trim().is_empty() => PictureChange::Clear,
            Some(Value::String(s)) => PictureChange::Set(s.trim().to_owned()),
            Some(v) => return Err(wrong_type("profile_picture_handle", "a string", v)),
        };
        let patch = BusinessProfilePatch {
            about: text_field(body, "about", limits::ABOUT, ProfileAbout::parse)?,
            address: text_field(body, "address", limits::ADDRESS, ProfileAddress::parse)?,
            description: text_field(
                body,
                "description",
                limits::DESCRIPTION,
                ProfileDescription::parse,
            )?,
            email: text_field(body, "email", limits::EMAIL, ProfileEmail::parse)?,
            vertical,
            websites: body.get("websites").map(websites).transpose()?.flatten(),
        };
        Ok(Self { patch, picture })
    }
}

/// A field of the business profile object (`GET …/whatsapp_business_profile?fields=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProfileField {
    About,
    Address,
    Description,
    Email,
    MessagingProduct,
    ProfilePictureUrl,
    Websites,
    Vertical,
}

impl ProfileField {
    /// Every field, in the order Meta answers them.
    pub const ALL: &'static [ProfileField] = &[
        ProfileField::About,
        ProfileField::Address,
        ProfileField::Description,
        ProfileField::Email,
        ProfileField::MessagingProduct,
        ProfileField::ProfilePictureUrl,
        ProfileField::Websites,
        ProfileField::Vertical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProfileField::About => "about",
            ProfileField::Address => "address",
            ProfileField::Description => "description",
            ProfileField::Email => "email",
            ProfileField::MessagingProduct => "messaging_product",
            ProfileField::ProfilePictureUrl => "profile_picture_url",
            ProfileField::Websites => "websites",
            ProfileField::Vertical => "vertical",
        }
    }
}

/// A phone number's commerce settings: whether the cart is on and the catalog shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommerceSettings {
    pub is_cart_enabled: bool,
    pub is_catalog_visible: bool,
}

impl Default for CommerceSettings {
    /// Both on, as in Meta's documented answer for a number with a catalog.
    fn default() -> Self {
        Self {
            is_cart_enabled: true,
            is_catalog_visible: true,
        }
    }
}

/// Changes to the commerce settings; `None` keeps a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommerceUpdate {
    pub is_cart_enabled: Option<bool>,
    pub is_catalog_visible: Option<bool>,
}

/// `true`/`false` as JSON or as a string (any case, or `1`/`0`), from a query string, a
/// form or JSON. `null` is absent.
fn param_bool(params: &Map<String, Value>, key: &str) -> Result<Option<bool>, ValidationError> {
    let bad = || ValidationError::new(key, "must be true or false");
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(bad()),
        },
        Some(Value::Number(n)) => match n.as_u64() {
            Some(1) => Ok(Some(true)),
            Some(0) => Ok(Some(false)),
            _ => Err(bad()),
        },
        Some(_) => Err(bad()),
    }
}

impl CommerceUpdate {
    /// Reads `is_cart_enabled` and `is_catalog_visible` (at least one) from the request's
    /// parameters; others (`access_token`, …) are ignored.
    pub fn parse(params: &Map<String, Value>) -> Result<Self, ValidationError> {
        let update = Self {
            is_cart_enabled: param_bool(params, "is_cart_enabled")?,
            is_catalog_visible: param_bool(params, "is_catalog_visible")?,
        };
        if update == Self::default() {
            return Err(ValidationError::new(
                "is_cart_enabled",
                "give is_cart_enabled or is_catalog_visible (true or false)",
            ));
        }
        Ok(update)
    }
}

impl CommerceSettings {
    pub fn apply(&mut self, update: &CommerceUpdate) {
        if let Some(v) = update.is_cart_enabled {
            self.is_cart_enabled = v;
        }
        if let Some(v) = update.is_catalog_visible {
            self.is_catalog_visible = v;
        }
    }
}

/// A WABA's alternate callback (Meta's per-WABA webhook override): where the WABA's webhooks
/// go, verified with `verify_token` by Meta's GET challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlternateCallback {
    pub url: WebhookUrl,
    pub verify_token: VerifyToken,
}

impl AlternateCallback {
    /// `override_callback_uri` and `verify_token` from a `POST /{waba_id}/subscribed_apps`;
    /// `None` when no override is given (absent or `""`: the override is removed).
    pub fn parse(params: &Map<String, Value>) -> Result<Option<Self>, ValidationError> {
        const URI: &str = "override_callback_uri";
        let uri = match params.get(URI) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => s,
            Some(v) => return Err(wrong_type(URI, "a string", v)),
        };
        let url =
            WebhookUrl::parse(uri).map_err(|e| ValidationError::out_of_range(URI, e.message))?;
        let token = match params.get("verify_token") {
            None | Some(Value::Null) => {
                return Err(ValidationError::missing(
                    "verify_token",
                    "is required with override_callback_uri: the callback is verified with it",
                ));
            }
            Some(Value::String(s)) => s,
            Some(v) => return Err(wrong_type("verify_token", "a string", v)),
        };
        let verify_token = VerifyToken::parse(token).map_err(|e| ValidationError {
            kind: ValidationKind::OutOfRange,
            ..e
        })?;
        Ok(Some(Self { url, verify_token }))
    }
}

/// A WABA's `message_template_namespace`: Meta's shape (32 hex digits in 8_4_4_4_12
/// groups), derived from the WABA id so it is the same on every node and every start.
pub fn template_namespace(waba: &WabaId) -> String {
    let digest = Sha256::digest(format!("wagate message template namespace {waba}"));
    let hex = hex::encode(&digest[..16]);
    format!(
        "{}_{}_{}_{}_{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<ProfileUpdate, ValidationError> {
        ProfileUpdate::parse(&v)
    }

    fn err(v: Value) -> (String, ValidationKind) {
        let e = parse(v).unwrap_err();
        (e.field, e.kind)
    }

    #[test]
    fn a_full_update_parses() {
        let u = parse(json!({
            "messaging_product": "whatsapp",
            "about": "  Fresh food  ", "address": "1 Main St", "description": "We cook.\nDaily.",
            "email": "hi@acme.example", "vertical": "retail",
            "websites": ["https://acme.example", "http://shop.acme.example/x"],
            "profile_picture_handle": "4::abc", "unknown": 1,
        }))
        .unwrap();
        assert_eq!(u.patch.about.unwrap().unwrap().as_str(), "Fresh food");
        assert_eq!(u.patch.vertical, Some(Some(Vertical::Retail)));
        assert_eq!(u.patch.websites.unwrap().len(), 2);
        assert_eq!(u.picture, PictureChange::Set("4::abc".into()));
    }

    #[test]
    fn empty_strings_clear_and_absent_keeps() {
        let u = parse(json!({
            "messaging_product": "whatsapp", "about": "", "email": "", "vertical": "",
            "websites": "", "profile_picture_handle": "", "address": null,
        }))
        .unwrap();
        assert_eq!(u.patch.about, Some(None));
        assert_eq!(u.patch.email, Some(None));
        assert_eq!(u.patch.vertical, Some(None));
        assert_eq!(u.patch.websites, Some(vec![]));
        assert_eq!(u.patch.address, None);
        assert_eq!(u.patch.description, None);
        assert_eq!(u.picture, PictureChange::Clear);
        let keep = parse(json!({"messaging_product": "whatsapp"})).unwrap();
        assert_eq!(keep, ProfileUpdate::default());
    }

    #[test]
    fn limits_are_out_of_range() {
        use ValidationKind::*;
        let mp = |k: &str, v: Value| {
            let mut body = json!({"messaging_product": "whatsapp"});
            body[k] = v;
            body
        };
        assert!(parse(mp("about", json!("a".repeat(139)))).is_ok());
        assert_eq!(
            err(mp("about", json!("a".repeat(140)))),
            ("about".into(), OutOfRange)
        );
        assert!(parse(mp("address", json!("a".repeat(256)))).is_ok());
        assert_eq!(
            err(mp("address", json!("a".repeat(257)))),
            ("address".into(), OutOfRange)
        );
        assert!(parse(mp("description", json!("é".repeat(512)))).is_ok());
        assert_eq!(
            err(mp("description", json!("a".repeat(513)))),
            ("description".into(), OutOfRange)
        );
        let long_email = format!("{}@example.com", "a".repeat(116));
        assert!(parse(mp("email", json!(long_email))).is_ok());
        let too_long = format!("{}@example.com", "a".repeat(117));
        assert_eq!(
            err(mp("email", json!(too_long))),
            ("email".into(), OutOfRange)
        );
        assert_eq!(
            err(mp("email", json!("nope"))),
            ("email".into(), OutOfRange)
        );
        let three = json!([
            "https://a.example",
            "https://b.example",
            "https://c.example"
        ]);
        assert_eq!(err(mp("websites", three)), ("websites".into(), OutOfRange));
        assert_eq!(
            err(mp("websites", json!(["ftp://a.example"]))),
            ("websites[0]".into(), OutOfRange)
        );
        let long_url = format!("https://a.example/{}", "x".repeat(240));
        assert_eq!(
            err(mp("websites", json!([long_url]))),
            ("websites[0]".into(), OutOfRange)
        );
        assert_eq!(
            err(mp("about", json!("a\u{0}b"))),
            ("about".into(), OutOfRange)
        );
    }

    #[test]
    fn wrong_types_and_values_are_invalid() {
        use ValidationKind::*;
        let mp = |k: &str, v: Value| {
            let mut body = json!({"messaging_product": "whatsapp"});
            body[k] = v;
            body
        };
        assert_eq!(
            err(json!({"about": "x"})),
            ("messaging_product".into(), Missing)
        );
        assert_eq!(
            err(json!({"messaging_product": "sms"})),
            ("messaging_product".into(), Invalid)
        );
        assert_eq!(err(json!([1])), ("body".into(), Invalid));
        assert_eq!(err(mp("about", json!(5))), ("about".into(), Invalid));
        assert_eq!(
            err(mp("websites", json!({"a": 1}))),
            ("websites".into(), Invalid)
        );
        assert_eq!(
            err(mp("websites", json!([1]))),
            ("websites[0]".into(), Invalid)
        );
        assert_eq!(
            err(mp("vertical", json!("SHOPS"))),
            ("vertical".into(), Invalid)
        );
        assert_eq!(err(mp("vertical", json!(3))), ("vertical".into(), Invalid));
        assert_eq!(
            err(mp("profile_picture_handle", json!(7))),
            ("profile_picture_handle".into(), Invalid)
        );
    }

    #[test]
    fn commerce_params() {
        let params = |v: Value| v.as_object().unwrap().clone();
        let u = CommerceUpdate::parse(&params(
            json!({"is_cart_enabled": "TRUE", "access_token": "x"}),
        ))
        .unwrap();
        assert_eq!(u.is_cart_enabled, Some(true));
        assert_eq!(u.is_catalog_visible, None);
        let u = CommerceUpdate::parse(&params(json!({"is_catalog_visible": false}))).unwrap();
        let mut s = CommerceSettings::default();
        s.apply(&u);
        assert!(s.is_cart_enabled && !s.is_catalog_visible);
        for bad in [
            json!({"is_cart_enabled": "yes"}),
            json!({"is_cart_enabled": 2}),
            json!({}),
        ] {
            let e = CommerceUpdate::parse(&params(bad)).unwrap_err();
            assert_eq!(e.kind, ValidationKind::Invalid);
        }
    }

    #[test]
    fn alternate_callbacks() {
        let params = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(AlternateCallback::parse(&params(json!({}))).unwrap(), None);
        assert_eq!(
            AlternateCallback::parse(&params(json!({"override_callback_uri": ""}))).unwrap(),
            None
        );
        let ok = AlternateCallback::parse(&params(
            json!({"override_callback_uri": "https://x.example/hook", "verify_token": "t"}),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(ok.url.as_str(), "https://x.example/hook");
        let e = AlternateCallback::parse(&params(
            json!({"override_callback_uri": "https://x.example"}),
        ))
        .unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.kind),
            ("verify_token", ValidationKind::Missing)
        );
        let e = AlternateCallback::parse(&params(
            json!({"override_callback_uri": "ftp://x", "verify_token": "t"}),
        ))
        .unwrap_err();
        assert_eq!(e.field, "override_callback_uri");
    }

    #[test]
    fn template_namespaces() {
        let waba = WabaId::parse("102290129340398").unwrap();
        let ns = template_namespace(&waba);
        assert_eq!(ns, template_namespace(&waba));
        assert_eq!(ns.len(), 36);
        assert_eq!(ns.matches('_').count(), 4);
        assert_ne!(ns, template_namespace(&WabaId::parse("1").unwrap()));
    }
}
