//! The buttons of a `BUTTONS` component, as the create request spells them (reference §6.5,
//! §7): `{"type": "URL", "text": "Track", "url": "https://x/{{1}}", "example": ["…"]}`.
//!
//! Parsing checks shape only (required keys, JSON types, known types); Meta's limits and
//! rules are the lint's ([`super::lint`]).

use serde_json::Value;

use super::wire::wire_enum;
use crate::content::fields::{Fields, wrong_type};
use crate::error::ValidationError;

wire_enum!(
    /// A template button's `type`.
    ButtonType, "type" {
        /// Sends a fixed reply; the user's tap arrives as a `button` message.
        QuickReply => "QUICK_REPLY",
        /// Opens a URL, static or with one trailing variable.
        Url => "URL",
        /// Calls a phone number.
        PhoneNumber => "PHONE_NUMBER",
        /// Copies a coupon code.
        CopyCode => "COPY_CODE",
        /// The one-time-passcode button of authentication templates.
        Otp => "OTP",
        /// Opens a WhatsApp Flow.
        Flow => "FLOW",
        /// Opens the business's catalog.
        Catalog => "CATALOG",
        /// Multi-product message.
        Mpm => "MPM",
        /// Single-product message.
        Spm => "SPM",
        /// Calls the business on WhatsApp.
        VoiceCall => "VOICE_CALL",
        /// Opens an app (reference lists the type; its fields are not documented there).
        App => "APP",
    }
);

wire_enum!(
    /// How an OTP button hands over the code.
    OtpType, "otp_type" {
        /// The user copies the code.
        CopyCode => "COPY_CODE",
        /// The user taps and the app fills the code in (Android; needs `supported_apps`).
        OneTap => "ONE_TAP",
        /// The app receives the code without a tap (needs `supported_apps` and
        /// `zero_tap_terms_accepted`).
        ZeroTap => "ZERO_TAP",
    }
);

wire_enum!(
    /// What a FLOW button does when tapped.
    FlowAction, "flow_action" {
        Navigate => "NAVIGATE",
        DataExchange => "DATA_EXCHANGE",
    }
);

/// One button of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Button {
    QuickReply {
        text: String,
    },
    Url {
        text: String,
        url: String,
        /// The sample URL (or suffix) for a URL with a variable; Meta sends an array of one.
        example: Vec<String>,
    },
    PhoneNumber {
        text: String,
        phone_number: String,
    },
    CopyCode {
        /// The sample code (Meta: required, at most 15 characters).
        example: Option<String>,
    },
    Otp(OtpButton),
    Flow(FlowButton),
    /// CATALOG, MPM, SPM, VOICE_CALL and APP: a label (optional for APP only); their other
    /// keys stay in the stored JSON.
    Labelled {
        kind: ButtonType,
        text: Option<String>,
    },
}

/// An `OTP` button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpButton {
    pub otp_type: OtpType,
    /// The label; Meta supplies one when absent.
    pub text: Option<String>,
    /// The label of the autofill button (ONE_TAP).
    pub autofill_text: Option<String>,
    /// The Android apps that may receive the code (ONE_TAP, ZERO_TAP). The older top-level
    /// `package_name` and `signature_hash` are read as one entry.
    pub supported_apps: Vec<SupportedApp>,
    pub zero_tap_terms_accepted: Option<bool>,
}

/// An app that may receive a one-time passcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportedApp {
    pub package_name: String,
    pub signature_hash: String,
}

/// A `FLOW` button: its label and which flow it opens (by id, name or inline JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowButton {
    pub text: String,
    pub flow_id: Option<String>,
    pub flow_name: Option<String>,
    pub flow_json: Option<String>,
    pub flow_action: Option<FlowAction>,
    pub navigate_screen: Option<String>,
}

impl Button {
    pub fn kind(&self) -> ButtonType {
        match self {
            Button::QuickReply { .. } => ButtonType::QuickReply,
            Button::Url { .. } => ButtonType::Url,
            Button::PhoneNumber { .. } => ButtonType::PhoneNumber,
            Button::CopyCode { .. } => ButtonType::CopyCode,
            Button::Otp(_) => ButtonType::Otp,
            Button::Flow(_) => ButtonType::Flow,
            Button::Labelled { kind, .. } => *kind,
        }
    }

    /// The label the user sees, where the button has one.
    pub fn label(&self) -> Option<&str> {
        match self {
            Button::QuickReply { text }
            | Button::Url { text, .. }
            | Button::PhoneNumber { text, .. }
            | Button::Flow(FlowButton { text, .. }) => Some(text),
            Button::Otp(otp) => otp.text.as_deref(),
            Button::Labelled { text, .. } => text.as_deref(),
            Button::CopyCode { .. } => None,
        }
    }

    /// Reads one button object (already normalised: uppercase `type`).
    pub(super) fn parse(b: &Fields<'_>) -> Result<Button, ValidationError> {
        let kind = ButtonType::parse_field(b.req_str("type", usize::MAX)?, &b.path("type"))?;
        let label = || b.req_str("text", usize::MAX).map(str::to_owned);
        Ok(match kind {
            ButtonType::QuickReply => Button::QuickReply { text: label()? },
            ButtonType::Url => Button::Url {
                text: label()?,
                url: b.req_str("url", usize::MAX)?.to_owned(),
                example: one_or_many(b, "example")?,
            },
            ButtonType::PhoneNumber => Button::PhoneNumber {
                text: label()?,
                phone_number: b.req_str("phone_number", usize::MAX)?.to_owned(),
            },
            ButtonType::CopyCode => Button::CopyCode {
                example: one_or_many(b, "example")?.into_iter().next(),
            },
            ButtonType::Otp => Button::Otp(otp(b)?),
            ButtonType::Flow => Button::Flow(FlowButton {
                text: label()?,
                flow_id: owned(b.opt_str("flow_id")?),
                flow_name: owned(b.opt_str("flow_name")?),
                flow_json: owned(b.opt_str("flow_json")?),
                flow_action: b
                    .opt_str("flow_action")?
                    .map(|s| FlowAction::parse_field(s, &b.path("flow_action")))
                    .transpose()?,
                navigate_screen: owned(b.opt_str("navigate_screen")?),
            }),
            ButtonType::App => Button::Labelled {
                kind,
                text: owned(b.opt_str("text")?),
            },
            ButtonType::Catalog | ButtonType::Mpm | ButtonType::Spm | ButtonType::VoiceCall => {
                Button::Labelled {
                    kind,
                    text: Some(label()?),
                }
            }
        })
    }
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

/// A string, or an array of strings, at `key` (absent reads as none). Meta documents
/// `example` of URL buttons as an array and of copy-code buttons as a string; SDKs mix them.
fn one_or_many(b: &Fields<'_>, key: &str) -> Result<Vec<String>, ValidationError> {
    match b.get(key) {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(_)) => strings(b.opt_array(key, usize::MAX)?, &b.path(key)),
        Some(v) => Err(wrong_type(
            &b.path(key),
            "a string or an array of strings",
            v,
        )),
    }
}

/// Every item of `items` as a string.
pub(super) fn strings(items: &[Value], path: &str) -> Result<Vec<String>, ValidationError> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(s.clone()),
            v => Err(wrong_type(&format!("{path}[{i}]"), "a string", v)),
        })
        .collect()
}

fn otp(b: &Fields<'_>) -> Result<OtpButton, ValidationError> {
    let otp_type = OtpType::parse_field(b.req_str("otp_type", usize::MAX)?, &b.path("otp_type"))?;
    let mut supported_apps = Vec::new();
    for app in b.opt_children("supported_apps", usize::MAX)? {
        supported_apps.push(SupportedApp {
            package_name: app.req_str("package_name", usize::MAX)?.to_owned(),
            signature_hash: app.req_str("signature_hash", usize::MAX)?.to_owned(),
        });
    }
    if let Some(package_name) = b.opt_str("package_name")? {
        supported_apps.push(SupportedApp {
            package_name: package_name.to_owned(),
            signature_hash: b.req_str("signature_hash", usize::MAX)?.to_owned(),
        });
    }
    Ok(OtpButton {
        otp_type,
        text: owned(b.opt_str("text")?),
        autofill_text: owned(b.opt_str("autofill_text")?),
        supported_apps,
        zero_tap_terms_accepted: b.opt_bool("zero_tap_terms_accepted")?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ValidationKind;

    fn parse(v: Value) -> Result<Button, ValidationError> {
        Button::parse(&Fields::of(&v, "b").unwrap())
    }

    #[test]
    fn every_type_parses() {
        assert_eq!(
            parse(json!({"type": "QUICK_REPLY", "text": "Stop"})).unwrap(),
            Button::QuickReply {
                text: "Stop".into()
            }
        );
        let url = parse(json!({"type": "URL", "text": "Track", "url": "https://x/{{1}}", "example": ["https://x/1"]})).unwrap();
        assert_eq!(url.kind(), ButtonType::Url);
        assert_eq!(url.label(), Some("Track"));
        let Button::Url { example, .. } = url else {
            panic!()
        };
        assert_eq!(example, ["https://x/1"]);
        let one = parse(json!({"type": "URL", "text": "Site", "url": "https://x/{{1}}", "example": "https://x/2"})).unwrap();
        let Button::Url { example, .. } = one else {
            panic!()
        };
        assert_eq!(
            example,
            ["https://x/2"],
            "a lone string reads as one example"
        );
        assert_eq!(
            parse(json!({"type": "PHONE_NUMBER", "text": "Call", "phone_number": "15550051310"}))
                .unwrap()
                .kind(),
            ButtonType::PhoneNumber
        );
        let copy = parse(json!({"type": "COPY_CODE", "example": "250FF"})).unwrap();
        assert_eq!(
            copy,
            Button::CopyCode {
                example: Some("250FF".into())
            }
        );
        assert_eq!(copy.label(), None);
        let flow = parse(json!({"type": "FLOW", "text": "Book", "flow_id": "123", "flow_action": "NAVIGATE", "navigate_screen": "A"})).unwrap();
        let Button::Flow(f) = flow else { panic!() };
        assert_eq!(
            (f.flow_id.as_deref(), f.flow_action),
            (Some("123"), Some(FlowAction::Navigate))
        );
        for (kind, t) in [
            ("CATALOG", ButtonType::Catalog),
            ("MPM", ButtonType::Mpm),
            ("SPM", ButtonType::Spm),
            ("VOICE_CALL", ButtonType::VoiceCall),
        ] {
            let b = parse(json!({"type": kind, "text": "Go"})).unwrap();
            assert_eq!((b.kind(), b.label()), (t, Some("Go")));
        }
        assert_eq!(parse(json!({"type": "APP"})).unwrap().label(), None);
    }

    #[test]
    fn otp_buttons_read_both_app_shapes() {
        let b = parse(
            json!({"type": "OTP", "otp_type": "ONE_TAP", "text": "Copy", "autofill_text": "Fill",
            "supported_apps": [{"package_name": "com.a", "signature_hash": "K8a/AINcGX7"}]}),
        )
        .unwrap();
        let Button::Otp(otp) = &b else { panic!() };
        assert_eq!(otp.otp_type, OtpType::OneTap);
        assert_eq!(otp.supported_apps[0].package_name, "com.a");
        assert_eq!(
            (b.label(), otp.autofill_text.as_deref()),
            (Some("Copy"), Some("Fill"))
        );
        let legacy = parse(json!({"type": "OTP", "otp_type": "ONE_TAP", "package_name": "com.b", "signature_hash": "h"})).unwrap();
        let Button::Otp(otp) = legacy else { panic!() };
        assert_eq!(
            otp.supported_apps,
            [SupportedApp {
                package_name: "com.b".into(),
                signature_hash: "h".into()
            }]
        );
    }

    #[test]
    fn shape_errors_name_the_field() {
        let err = |v: Value| {
            let e = parse(v).unwrap_err();
            (e.field, e.kind)
        };
        assert_eq!(
            err(json!({"type": "LINK", "text": "x"})),
            ("b.type".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(json!({"text": "x"})),
            ("b.type".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err(json!({"type": "QUICK_REPLY"})),
            ("b.text".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err(json!({"type": "URL", "text": "x"})),
            ("b.url".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err(json!({"type": "URL", "text": "x", "url": "https://a", "example": [1]})),
            ("b.example[0]".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(json!({"type": "COPY_CODE", "example": 5})),
            ("b.example".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(json!({"type": "OTP"})),
            ("b.otp_type".into(), ValidationKind::Missing)
        );
        assert_eq!(
            err(json!({"type": "OTP", "otp_type": "TWO_TAP"})),
            ("b.otp_type".into(), ValidationKind::Invalid)
        );
        assert_eq!(
            err(
                json!({"type": "OTP", "otp_type": "ONE_TAP", "supported_apps": [{"package_name": "a"}]})
            ),
            (
                "b.supported_apps[0].signature_hash".into(),
                ValidationKind::Missing
            )
        );
        assert_eq!(
            err(json!({"type": "FLOW", "text": "x", "flow_action": "JUMP"})),
            ("b.flow_action".into(), ValidationKind::Invalid)
        );
    }
}
