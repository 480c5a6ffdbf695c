//! The business-profile part of the conformance story: a profile update patches the
//! channel's fields and swaps the picture's own media id in one transaction (the old picture
//! deleted, its bytes freed by the collector once nothing refers to them, the upload's
//! deletion not taking the picture away); commerce settings; WABA subscribed apps with the
//! webhook subscriptions of their alternate callback; another account's channel and WABA are
//! unknown. The same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::channel::BusinessProfilePatch;
use wagate_core::ids::{AccountId, ChannelId, MediaId, SubscriptionId, WabaId};
use wagate_core::profile::{CommerceSettings, CommerceUpdate, ProfileAbout, Website};
use wagate_core::webhook::{
    BatchSize, EventField, PayloadFormat, Subscription, VerifyToken, WebhookSecret, WebhookUrl,
};
use wagate_store::profile::{PictureWrite, ProfileSettings, ProfileWrite, WabaSubscription};
use wagate_store::records;
use wagate_store::{Entity, Media, MediaOrigin, Store, StoreError};
use wagate_store_conformance::{Backend, account_with_channel, plus, story};

story!(profile_updates_swap_the_picture_in_one_transaction);
story!(commerce_settings_default_and_change);
story!(waba_subscriptions_carry_their_callback_subscriptions);

const DAY: i64 = 24 * 3_600_000;

fn media(a: AccountId, ch: ChannelId, key: &str, at: Timestamp, ttl_ms: i64) -> Media {
    Media {
        id: MediaId::generate(),
        account_id: a,
        channel_id: ch,
        origin: MediaOrigin::Upload,
        mime_type: "image/jpeg".to_owned(),
        sha256: key.trim_start_matches("sha256/").to_owned(),
        file_size: 2_048,
        filename: Some("logo.jpg".to_owned()),
        storage_key: key.to_owned(),
        created_at: at,
        expires_at: plus(at, ttl_ms),
    }
}

/// The picture's own media id for `upload`: same bytes, living as long as the picture.
fn picture_of(upload: &Media, at: Timestamp) -> Media {
    Media {
        id: MediaId::generate(),
        created_at: at,
        expires_at: plus(at, 3_650 * DAY),
        ..upload.clone()
    }
}

fn set(m: &Media) -> PictureWrite {
    PictureWrite::Set {
        media: Box::new(m.clone()),
        url: format!("http://wagate.test/media/{}/profile", m.id),
    }
}

fn write(
    a: AccountId,
    ch: ChannelId,
    patch: BusinessProfilePatch,
    picture: PictureWrite,
) -> ProfileWrite {
    ProfileWrite {
        account_id: a,
        channel_id: ch,
        patch,
        picture,
        at: records::now(),
    }
}

fn about(s: &str) -> BusinessProfilePatch {
    BusinessProfilePatch {
        about: Some(Some(ProfileAbout::parse(s).unwrap())),
        ..Default::default()
    }
}

fn unknown_channel<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::NotFound(Entity::Channel))),
        "{r:?}"
    );
}

fn unknown_media<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::NotFound(Entity::Media))),
        "{r:?}"
    );
}

async fn profile_updates_swap_the_picture_in_one_transaction(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    assert_eq!(
        s.business_profile(a, ch).await.unwrap(),
        ProfileSettings::defaults(a, ch)
    );
    unknown_channel(s.business_profile(other, ch).await);
    unknown_channel(s.business_profile(a, ChannelId::generate()).await);

    // An upload becomes the picture, with a text field, in one write.
    let t0 = records::now();
    let upload = s
        .create_media(media(a, ch, "sha256/one", t0, 30 * DAY))
        .await
        .unwrap();
    let first = picture_of(&upload, t0);
    let mut patch = about("Fresh food");
    patch.websites = Some(vec![Website::parse("https://acme.example").unwrap()]);
    let (channel, settings) = s
        .update_business_profile(write(a, ch, patch, set(&first)))
        .await
        .unwrap();
    assert_eq!(settings.picture.as_ref(), Some(&first.id));
    assert_eq!(
        channel.profile.about.as_ref().unwrap().as_str(),
        "Fresh food"
    );
    let url = format!("http://wagate.test/media/{}/profile", first.id);
    assert_eq!(
        channel.profile.profile_picture_url.as_deref(),
        Some(url.as_str())
    );
    // The channel row holds the fields (the management plane reads them there).
    let stored = s.get_channel(a, ch).await.unwrap();
    assert_eq!(stored.profile, channel.profile);
    assert_eq!(s.business_profile(a, ch).await.unwrap(), settings);
    assert_eq!(s.find_profile_picture(&first.id).await.unwrap(), first);
    unknown_media(s.find_profile_picture(&upload.id).await);

    // Deleting the upload leaves the picture.
    s.delete_media(a, &upload.id, t0).await.unwrap();
    assert_eq!(s.find_profile_picture(&first.id).await.unwrap(), first);

    // A new picture retires the old one's media id; its bytes go once nothing refers to them.
    let second_upload = s
        .create_media(media(a, ch, "sha256/two", t0, 30 * DAY))
        .await
        .unwrap();
    let second = picture_of(&second_upload, t0);
    let (channel, settings) = s
        .update_business_profile(write(a, ch, BusinessProfilePatch::default(), set(&second)))
        .await
        .unwrap();
    assert_eq!(settings.picture.as_ref(), Some(&second.id));
    assert_eq!(
        channel.profile.about.as_ref().unwrap().as_str(),
        "Fresh food",
        "kept"
    );
    unknown_media(s.find_profile_picture(&first.id).await);
    unknown_media(s.get_media(a, &first.id).await);
    assert_eq!(s.find_profile_picture(&second.id).await.unwrap(), second);
    let freed = s.collect_media(t0, 100).await.unwrap();
    assert_eq!(
        freed,
        ["sha256/one"],
        "the old picture and its upload shared those bytes"
    );

    // A write that fails stores nothing: a picture id that exists is a conflict, and the
    // text field of the same write is not applied either.
    let clash = write(a, ch, about("Changed"), set(&second));
    assert!(matches!(
        s.update_business_profile(clash).await,
        Err(StoreError::Conflict { .. })
    ));
    let stored = s.get_channel(a, ch).await.unwrap();
    assert_eq!(
        stored.profile.about.as_ref().unwrap().as_str(),
        "Fresh food"
    );
    assert_eq!(s.business_profile(a, ch).await.unwrap(), settings);
    assert_eq!(
        s.find_profile_picture(&second.id).await.unwrap(),
        second,
        "not retired"
    );

    // Another account's channel: unknown, and nothing stored.
    let stray = picture_of(&second_upload, t0);
    unknown_channel(
        s.update_business_profile(write(other, ch, about("x"), set(&stray)))
            .await,
    );
    unknown_media(s.get_media(a, &stray.id).await);
    unknown_media(s.get_media(other, &stray.id).await);
    assert_eq!(
        s.business_profile(other, other_ch).await.unwrap(),
        ProfileSettings::defaults(other, other_ch)
    );

    // Clearing: no picture, its media id deleted; a cleared field.
    let cleared = BusinessProfilePatch {
        about: Some(None),
        ..Default::default()
    };
    let (channel, settings) = s
        .update_business_profile(write(a, ch, cleared, PictureWrite::Clear))
        .await
        .unwrap();
    assert_eq!(settings.picture, None);
    assert_eq!(channel.profile.about, None);
    assert_eq!(channel.profile.profile_picture_url, None);
    assert_eq!(channel.profile.websites.len(), 1, "untouched");
    unknown_media(s.find_profile_picture(&second.id).await);
    unknown_media(s.get_media(a, &second.id).await);

    // What was written survives a restart.
    let reopened = (b.reopen)().await;
    assert_eq!(reopened.business_profile(a, ch).await.unwrap(), settings);
    assert_eq!(
        reopened.get_channel(a, ch).await.unwrap().profile,
        channel.profile
    );
}

async fn commerce_settings_default_and_change(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let t0 = records::now();
    assert_eq!(
        s.business_profile(a, ch).await.unwrap().commerce,
        CommerceSettings::default()
    );
    let cart_off = CommerceUpdate {
        is_cart_enabled: Some(false),
        is_catalog_visible: None,
    };
    let settings = s
        .update_commerce_settings(a, ch, cart_off, t0)
        .await
        .unwrap();
    assert_eq!(
        settings.commerce,
        CommerceSettings {
            is_cart_enabled: false,
            is_catalog_visible: true
        }
    );
    let catalog_off = CommerceUpdate {
        is_cart_enabled: None,
        is_catalog_visible: Some(false),
    };
    s.update_commerce_settings(a, ch, catalog_off, t0)
        .await
        .unwrap();
    let settings = s.business_profile(a, ch).await.unwrap();
    assert_eq!(
        settings.commerce,
        CommerceSettings {
            is_cart_enabled: false,
            is_catalog_visible: false
        },
        "each update keeps the other setting"
    );
    unknown_channel(s.update_commerce_settings(other, ch, cart_off, t0).await);

    // A profile update keeps the commerce settings, and a commerce update the picture.
    let upload = s
        .create_media(media(a, ch, "sha256/pic", t0, 30 * DAY))
        .await
        .unwrap();
    let picture = picture_of(&upload, t0);
    let (_, after) = s
        .update_business_profile(write(a, ch, about("Hi"), set(&picture)))
        .await
        .unwrap();
    assert_eq!(after.commerce, settings.commerce);
    let cart_on = CommerceUpdate {
        is_cart_enabled: Some(true),
        is_catalog_visible: None,
    };
    let after = s
        .update_commerce_settings(a, ch, cart_on, t0)
        .await
        .unwrap();
    assert_eq!(after.picture, Some(picture.id));
    assert!(after.commerce.is_cart_enabled && !after.commerce.is_catalog_visible);
}

fn hook(account: AccountId, channel: ChannelId) -> Subscription {
    let now = records::now();
    Subscription {
        id: SubscriptionId::generate(),
        account_id: account,
        channel_id: Some(channel),
        url: WebhookUrl::parse("https://alternate.example/hook").unwrap(),
        secret: WebhookSecret::parse("s3cret-key").unwrap(),
        verify_token: VerifyToken::parse("verify-me").unwrap(),
        fields: vec![EventField::Messages, EventField::Statuses],
        format: PayloadFormat::CLOUD,
        batch_size: BatchSize::ONE,
        enabled: true,
        created_at: now,
        updated_at: now,
    }
}

async fn waba_subscriptions_carry_their_callback_subscriptions(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let waba: WabaId = s.get_channel(a, ch).await.unwrap().waba_id;
    assert_eq!(s.get_waba_subscription(a, &waba).await.unwrap(), None);

    // Subscribed with an alternate callback carried by one webhook subscription.
    let carrier = s.create_subscription(hook(a, ch)).await.unwrap();
    let t0 = records::now();
    let first = WabaSubscription {
        account_id: a,
        waba_id: waba.clone(),
        override_callback_uri: Some(carrier.url.clone()),
        override_subscriptions: vec![carrier.id],
        subscribed_at: t0,
        updated_at: t0,
    };
    let stored = s
        .put_waba_subscription(first.clone(), vec![])
        .await
        .unwrap();
    assert_eq!(stored, first);
    assert_eq!(
        s.get_waba_subscription(a, &waba).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(s.get_waba_subscription(other, &waba).await.unwrap(), None);

    // Subscribed again without a callback: the carrier goes, the first subscription time stays.
    let t1 = plus(t0, 1_000);
    let plain = WabaSubscription {
        override_callback_uri: None,
        override_subscriptions: vec![],
        subscribed_at: t1,
        updated_at: t1,
        ..first.clone()
    };
    let stored = s
        .put_waba_subscription(plain, vec![carrier.id, SubscriptionId::generate()])
        .await
        .unwrap();
    assert_eq!(stored.subscribed_at, t0);
    assert_eq!(stored.updated_at, t1);
    assert_eq!(stored.override_callback_uri, None);
    assert!(matches!(
        s.get_subscription(a, carrier.id).await,
        Err(StoreError::NotFound(Entity::Subscription))
    ));

    // Unsubscribing removes the row and any carrier.
    let carrier = s.create_subscription(hook(a, ch)).await.unwrap();
    let with_callback = WabaSubscription {
        override_callback_uri: Some(carrier.url.clone()),
        override_subscriptions: vec![carrier.id],
        ..stored.clone()
    };
    s.put_waba_subscription(with_callback.clone(), vec![])
        .await
        .unwrap();
    assert_eq!(
        s.delete_waba_subscription(other, &waba).await.unwrap(),
        None
    );
    assert!(
        s.get_subscription(a, carrier.id).await.is_ok(),
        "not another account's"
    );
    let removed = s.delete_waba_subscription(a, &waba).await.unwrap();
    assert_eq!(removed, Some(with_callback));
    assert_eq!(s.get_waba_subscription(a, &waba).await.unwrap(), None);
    assert!(s.get_subscription(a, carrier.id).await.is_err());
    assert_eq!(s.delete_waba_subscription(a, &waba).await.unwrap(), None);
}
