//! The phone-settings part of the conformance story: a channel's settings and conversational
//! automation start empty, updates replace the top-level keys they name and keep the others
//! (a `null` removes one), concurrent updates of different keys both count, another
//! account's channel is not found, and what was stored is kept across a reopen; the same
//! assertions on every Store backend.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use wagate_core::ids::{AccountId, ChannelId};
use wagate_store::phone_settings::{PhoneSettings, PhoneSettingsWrite};
use wagate_store::{Entity, Store, StoreError, records};
use wagate_store_conformance::{Backend, account_with_channel, plus, story};

story!(phone_settings_merge_per_key_and_stay_with_their_account);

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn write(a: AccountId, ch: ChannelId, settings: Value, automation: Value) -> PhoneSettingsWrite {
    PhoneSettingsWrite {
        account_id: a,
        channel_id: ch,
        settings: obj(settings),
        automation: obj(automation),
        at: records::now(),
    }
}

async fn phone_settings_merge_per_key_and_stay_with_their_account(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, other_ch) = account_with_channel(s, "Other").await;

    // Nothing written yet: empty.
    assert_eq!(
        s.phone_settings(a, ch).await.unwrap(),
        PhoneSettings::empty(a, ch)
    );

    // A first write, then one that replaces one key, removes another and adds automation.
    let first = s
        .update_phone_settings(write(
            a,
            ch,
            json!({"calling": {"status": "ENABLED", "sip": {"servers": []}}, "fallback_language": "en_US"}),
            json!({}),
        ))
        .await
        .unwrap();
    assert_eq!(
        Value::Object(first.settings.clone()),
        json!({"calling": {"status": "ENABLED", "sip": {"servers": []}}, "fallback_language": "en_US"})
    );
    let mut second = write(
        a,
        ch,
        json!({"calling": {"status": "DISABLED"}, "fallback_language": null,
               "user_identity_change": {"enable_identity_key_check": true}}),
        json!({"prompts": ["Hi 👋"], "commands": [{"command_name": "help", "command_description": "Get help"}]}),
    );
    second.at = plus(first.updated_at.unwrap(), 1);
    let stored = s.update_phone_settings(second.clone()).await.unwrap();
    let expected_settings = json!({"calling": {"status": "DISABLED"},
                                   "user_identity_change": {"enable_identity_key_check": true}});
    assert_eq!(Value::Object(stored.settings.clone()), expected_settings);
    assert_eq!(stored.updated_at, Some(second.at));
    assert_eq!(s.phone_settings(a, ch).await.unwrap(), stored);

    // Concurrent updates of different keys both count.
    let (x, y) = tokio::join!(
        s.update_phone_settings(write(
            a,
            ch,
            json!({}),
            json!({"enable_welcome_message": true})
        )),
        s.update_phone_settings(write(
            a,
            ch,
            json!({"payload_encryption": {"status": "ENABLED"}}),
            json!({})
        )),
    );
    x.unwrap();
    y.unwrap();
    let now = s.phone_settings(a, ch).await.unwrap();
    assert_eq!(
        now.automation.get("enable_welcome_message"),
        Some(&json!(true))
    );
    assert_eq!(now.automation.get("prompts"), Some(&json!(["Hi 👋"])));
    assert_eq!(
        now.settings.get("payload_encryption"),
        Some(&json!({"status": "ENABLED"}))
    );

    // Another account's channel answers not found, both ways, and is left untouched.
    let not_found = |r: Result<PhoneSettings, StoreError>| {
        assert!(
            matches!(r, Err(StoreError::NotFound(Entity::Channel))),
            "{r:?}"
        );
    };
    not_found(s.phone_settings(other, ch).await);
    not_found(
        s.update_phone_settings(write(
            other,
            ch,
            json!({"fallback_language": "de"}),
            json!({}),
        ))
        .await,
    );
    not_found(s.phone_settings(a, other_ch).await);
    assert_eq!(s.phone_settings(a, ch).await.unwrap(), now);
    assert_eq!(
        s.phone_settings(other, other_ch).await.unwrap(),
        PhoneSettings::empty(other, other_ch)
    );

    // Kept across a reopen.
    s.close().await;
    let reopened = (b.reopen)().await;
    assert_eq!(reopened.phone_settings(a, ch).await.unwrap(), now);
    reopened.close().await;
}
