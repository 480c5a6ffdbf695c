//! Properties of the parsers at the boundary: every `parse` takes any input without
//! panicking, what it accepts satisfies the documented rule, and accepted values survive a
//! round trip (`parse(x.to_string()) == x`, serde out and in). The example-based tests beside
//! each type say what the rules are; these say they hold for every input proptest can think
//! of (`PROPTEST_CASES` raises the 256 cases per property).

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::channel::{MessagingLimitTier, QualityRating, Vertical, is_graph_version};
use crate::content::{Content, MessageType};
use crate::ids::{ChannelId, MessageId, PhoneNumberId, TemplateId, WabaId};
use crate::media::{MediaType, data_uri, sniff};
use crate::message::Wamid;
use crate::phone::PhoneE164;
use crate::template::{
    TemplateCategory, TemplateDraft, TemplateLanguage, TemplateName, TemplateStatus,
    parse_components,
};
use crate::text::{KeyName, ProfileAbout, ProfileDescription, VerifiedName};
use crate::webhook::{EventField, VerifyToken, WebhookSecret, WebhookUrl};

/// Any JSON value, a few levels deep, with the strings and numbers parsers trip on.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        prop::sample::select(vec![
            "",
            "text",
            "image",
            "template",
            "interactive",
            "button",
            "list",
            "body",
            "https://x.y/z",
            "+15550100001",
            "en_US",
            "{{1}}",
            "wamid.AAA",
            "BODY",
            "HEADER",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "type",
                    "text",
                    "body",
                    "to",
                    "image",
                    "link",
                    "id",
                    "caption",
                    "template",
                    "name",
                    "language",
                    "code",
                    "components",
                    "parameters",
                    "interactive",
                    "action",
                    "buttons",
                    "sections",
                    "rows",
                    "title",
                    "header",
                    "footer",
                    "location",
                    "latitude",
                    "longitude",
                    "contacts",
                    "reaction",
                    "emoji",
                    "message_id",
                    "format",
                    "example",
                    "category",
                    "sub_type",
                    "index",
                ])
                .prop_map(str::to_owned),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid E.164 number's digits: 8 to 15, not starting with 0.
fn e164_digits() -> impl Strategy<Value = String> {
    "[1-9][0-9]{7,14}"
}

proptest! {
    // ---- phone numbers ------------------------------------------------------------------

    #[test]
    fn phone_parse_never_panics_and_accepts_only_e164(s in any::<String>()) {
        if let Ok(p) = PhoneE164::parse(&s) {
            let d = p.digits();
            prop_assert!((8..=15).contains(&d.len()), "{d}");
            prop_assert!(d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0'));
            prop_assert_eq!(PhoneE164::parse(&p.to_string()).unwrap(), p);
        }
    }

    #[test]
    fn phone_forms_of_one_number_are_one_number(
        d in e164_digits(),
        form in 0usize..5,
        pad in "[ ]{0,2}",
    ) {
        let written = match form {
            0 => format!("+{d}"),
            1 => format!("00{d}"),
            2 => d.clone(),
            3 => format!("+{} {}-{}", &d[..1], &d[1..4], &d[4..]),
            _ => format!("({}) {}.{}", &d[..3], &d[3..5], &d[5..]),
        };
        let p = PhoneE164::parse(&format!("{pad}{written}{pad}")).unwrap();
        prop_assert_eq!(p.digits(), d.as_str());
        let json = serde_json::to_value(&p).unwrap();
        prop_assert_eq!(serde_json::from_value::<PhoneE164>(json).unwrap(), p);
    }

    // ---- ids ----------------------------------------------------------------------------

    #[test]
    fn graph_ids_are_1_to_20_digits(s in any::<String>()) {
        let ok = PhoneNumberId::parse(&s).is_ok();
        let t = s.trim();
        prop_assert_eq!(ok, !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit()));
        prop_assert_eq!(WabaId::parse(&s).is_ok(), ok);
        prop_assert_eq!(TemplateId::parse(&s).is_ok(), ok);
    }

    #[test]
    fn graph_ids_round_trip(d in "[0-9]{1,20}") {
        let id = PhoneNumberId::parse(&d).unwrap();
        prop_assert_eq!(&PhoneNumberId::parse(&id.to_string()).unwrap(), &id);
        let json = serde_json::to_value(&id).unwrap();
        prop_assert_eq!(json, json!(d));
    }

    #[test]
    fn uuid_ids_round_trip(bytes in any::<[u8; 16]>(), s in any::<String>()) {
        let id = ChannelId::from_uuid(uuid::Uuid::from_bytes(bytes));
        prop_assert_eq!(id.to_string().parse::<ChannelId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        prop_assert_eq!(serde_json::from_str::<ChannelId>(&json).unwrap(), id);
        let _ = s.parse::<MessageId>();
    }

    #[test]
    fn wamids_never_panic_and_round_trip(s in any::<String>(), body in "[A-Za-z0-9+/=_-]{1,64}") {
        if let Ok(w) = Wamid::parse_field("id", &s) {
            prop_assert!(w.as_str().starts_with("wamid."));
        }
        let w = Wamid::parse_field("id", &format!("wamid.{body}")).unwrap();
        prop_assert_eq!(Wamid::parse_field("id", w.as_str()).unwrap(), w);
    }

    // ---- bounded text -------------------------------------------------------------------

    #[test]
    fn bounded_text_holds_its_rule(s in any::<String>()) {
        for (ok, max, multiline) in [
            (VerifiedName::parse(&s).map(|v| v.to_string()), 256, false),
            (KeyName::parse(&s).map(|v| v.to_string()), 100, false),
            (ProfileAbout::parse(&s).map(|v| v.to_string()), 139, false),
            (ProfileDescription::parse(&s).map(|v| v.to_string()), 512, true),
        ] {
            if let Ok(v) = ok {
                let n = v.chars().count();
                prop_assert!((1..=max).contains(&n), "{n} chars");
                prop_assert_eq!(v.trim(), v.as_str(), "stored trimmed");
                prop_assert!(!v.chars().any(|c| c.is_control() && !(multiline && c == '\n')));
            }
        }
        if let Ok(v) = VerifiedName::parse(&s) {
            prop_assert_eq!(&VerifiedName::parse(v.as_str()).unwrap(), &v);
            let json = serde_json::to_value(&v).unwrap();
            prop_assert_eq!(serde_json::from_value::<VerifiedName>(json).unwrap(), v);
        }
    }

    #[test]
    fn printable_names_are_accepted(s in "[a-zA-Z0-9][ -~]{0,98}[a-zA-Z0-9]") {
        prop_assert!(KeyName::parse(&s).is_ok(), "{s}");
    }

    // ---- templates ----------------------------------------------------------------------

    #[test]
    fn template_names_are_lowercase_words(s in any::<String>()) {
        let ok = TemplateName::parse(&s).is_ok();
        prop_assert_eq!(ok, !s.is_empty() && s.chars().count() <= 512
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
    }

    #[test]
    fn template_languages_forgive_case_only(s in any::<String>(), i in any::<prop::sample::Index>()) {
        if let Ok(l) = TemplateLanguage::parse(&s) {
            prop_assert!(l.as_str().eq_ignore_ascii_case(&s));
        }
        let code = i.get(crate::template::LANGUAGES);
        let l = TemplateLanguage::parse(&code.to_ascii_uppercase()).unwrap();
        prop_assert_eq!(l.as_str(), *code);
        let json = serde_json::to_string(&l).unwrap();
        prop_assert_eq!(json, format!("\"{code}\""));
    }

    #[test]
    fn template_drafts_and_components_never_panic(v in json_value()) {
        let _ = TemplateDraft::parse(&v);
        let _ = parse_components(&v);
        let _ = TemplateDraft::parse(&json!({"name": "a", "language": "en_US",
            "category": "UTILITY", "components": v}));
    }

    // ---- message content ----------------------------------------------------------------

    #[test]
    fn content_parsing_never_panics(v in json_value(), t in prop::sample::select(MessageType::ALL)) {
        let _ = Content::outbound(&v);
        let _ = Content::inbound(&v);
        let mut send = json!({"type": t.as_str()});
        send[t.as_str()] = v;
        if let Ok(c) = Content::outbound(&send) {
            prop_assert_eq!(c.kind(), t);
            // What was accepted is accepted again: the normalised form is a fixed point.
            let mut again = json!({"type": t.as_str()});
            again[t.as_str()] = c.body().clone();
            let c2 = Content::outbound(&again).unwrap();
            prop_assert_eq!(c2.body(), c.body());
        }
    }

    #[test]
    fn texts_of_1_to_4096_characters_are_sent(body in "[^\u{0}]{1,300}") {
        let trimmed_empty = body.trim().is_empty();
        let r = Content::outbound(&json!({"type": "text", "text": {"body": body}}));
        if !trimmed_empty {
            prop_assert!(r.is_ok(), "{r:?}");
        }
    }

    // ---- media --------------------------------------------------------------------------

    #[test]
    fn media_types_never_panic_and_are_lowercase(s in any::<String>()) {
        if let Ok(m) = MediaType::parse(&s) {
            let e = m.essence();
            prop_assert_eq!(e.to_ascii_lowercase(), e.to_owned());
            prop_assert!(e.contains('/'));
            let again = MediaType::parse(&m.to_string()).unwrap();
            prop_assert_eq!(again.essence(), e);
        }
    }

    #[test]
    fn sniffing_and_data_uris_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64), s in any::<String>()) {
        let _ = sniff(&bytes);
        let _ = data_uri::parse(&s, 1024);
        let _ = data_uri::parse(&format!("data:image/png;base64,{s}"), 1024);
    }

    // ---- webhooks -----------------------------------------------------------------------

    #[test]
    fn webhook_urls_hold_their_rule(s in any::<String>()) {
        if let Ok(u) = WebhookUrl::parse(&s) {
            let v = u.as_str();
            prop_assert!(v.starts_with("https://") || v.starts_with("http://"));
            prop_assert!(v.chars().count() <= 2048);
            prop_assert!(!v.chars().any(|c| c.is_whitespace() || c.is_control()));
            prop_assert_eq!(WebhookUrl::parse(v).unwrap(), u.clone());
        }
    }

    #[test]
    fn webhook_urls_count_characters_not_bytes(n in 1usize..=2030) {
        // "must be at most 2048 characters" means characters: é is two bytes.
        let url = format!("https://example.com/{}", "é".repeat(n));
        let chars = url.chars().count();
        prop_assert_eq!(WebhookUrl::parse(&url).is_ok(), chars <= 2048, "{} chars", chars);
    }

    #[test]
    fn secrets_and_tokens_are_printable_ascii(s in any::<String>()) {
        let graphic = s.bytes().all(|b| b.is_ascii_graphic());
        prop_assert_eq!(WebhookSecret::parse(&s).is_ok(), graphic && (8..=256).contains(&s.len()));
        prop_assert_eq!(VerifyToken::parse(&s).is_ok(), graphic && (1..=256).contains(&s.len()));
    }

    #[test]
    fn graph_versions_never_panic(s in any::<String>()) {
        if is_graph_version(&s) {
            prop_assert!(s.starts_with('v'));
        }
    }
}

/// The wire enums: `parse(as_str)` and serde agree with the spelling the API documents.
#[test]
fn wire_enums_round_trip_in_their_wire_spelling() {
    fn check<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
    where
        T: Copy + PartialEq + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned,
    {
        for v in all {
            let wire = as_str(*v);
            assert_eq!(parse(wire), Some(*v));
            assert_eq!(serde_json::to_value(v).unwrap(), json!(wire));
            assert_eq!(serde_json::from_value::<T>(json!(wire)).unwrap(), *v);
        }
    }
    check(QualityRating::ALL, QualityRating::as_str, |s| {
        QualityRating::parse(s).ok()
    });
    check(MessagingLimitTier::ALL, MessagingLimitTier::as_str, |s| {
        MessagingLimitTier::parse(s).ok()
    });
    check(Vertical::ALL, Vertical::as_str, |s| Vertical::parse(s).ok());
    check(TemplateCategory::ALL, TemplateCategory::as_str, |s| {
        TemplateCategory::parse(s).ok()
    });
    check(TemplateStatus::ALL, TemplateStatus::as_str, |s| {
        TemplateStatus::parse(s).ok()
    });
    check(MessageType::ALL, MessageType::as_str, |s| {
        MessageType::parse(s).ok()
    });
    check(EventField::ALL, EventField::as_str, |s| {
        EventField::parse(s).ok()
    });
}

/// The document's enums are the wire's: what utoipa derives from the serde attributes.
#[test]
fn documented_enums_are_the_wire_spelling() {
    use utoipa::PartialSchema;
    fn values<T: PartialSchema>() -> Value {
        serde_json::to_value(T::schema()).unwrap()["enum"].clone()
    }
    let wire = |all: Vec<&str>| json!(all);
    assert_eq!(
        values::<QualityRating>(),
        wire(QualityRating::ALL.iter().map(|v| v.as_str()).collect())
    );
    assert_eq!(
        values::<MessagingLimitTier>(),
        wire(MessagingLimitTier::ALL.iter().map(|v| v.as_str()).collect())
    );
    assert_eq!(
        values::<Vertical>(),
        wire(Vertical::ALL.iter().map(|v| v.as_str()).collect())
    );
    assert_eq!(
        values::<TemplateStatus>(),
        wire(TemplateStatus::ALL.iter().map(|v| v.as_str()).collect())
    );
    assert_eq!(
        values::<TemplateCategory>(),
        wire(TemplateCategory::ALL.iter().map(|v| v.as_str()).collect())
    );
}
