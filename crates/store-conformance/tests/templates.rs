//! The template part of the conformance story: create, get, list, count, update and delete
//! message templates, with the rules the store keeps per WABA (a name and language once among
//! live templates, a deleted name blocked for 30 days, a count limit and an hourly quota),
//! and the pause ladder's state (pauses found when they end, guarded updates); the same
//! assertions on every Store backend.

use std::sync::Arc;

use futures::future::join_all;
use serde_json::json;
use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId, EventId, SubscriptionId, TemplateId, WabaId};
use wagate_core::template::{
    ParameterFormat, QualityScore, RejectionReason, TemplateCategory, TemplateLanguage,
    TemplateName, TemplateStatus,
};
use wagate_core::webhook::{
    BatchSize, EventData, EventField, PayloadFormat, Subscription, VerifyToken, WebhookEvent,
    WebhookSecret, WebhookUrl,
};
use wagate_store::records;
use wagate_store::templates::NAME_BLOCKED_MS;
use wagate_store::{
    CreateTemplateError, DeliveryFilter, Entity, Page, Store, StoreError, Template, TemplateFilter,
    TemplateLimits,
};
use wagate_store_conformance::{Backend, account_with_channel, plus, sandbox, story};

use TemplateCategory::{Authentication, Marketing, Utility};

story!(templates_round_trip_every_field);
story!(names_are_unique_per_waba_and_language_and_blocked_after_deletion);
story!(count_limit_and_hourly_quota);
story!(template_list_filters_counts_and_pages);
story!(template_updates_replace_the_mutable_fields);
story!(templates_are_deleted_by_name_or_id);
story!(concurrent_creations_keep_the_rules);
story!(edits_are_limited_per_day_and_per_30_days);
story!(pauses_end_in_order_and_guarded_updates_never_overwrite);

const SECOND: i64 = 1_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// Limits no story reaches unless it means to.
const ROOMY: TemplateLimits = TemplateLimits {
    max_templates: 1_000,
    max_per_hour: 1_000,
};

fn tname(s: &str) -> TemplateName {
    TemplateName::parse(s).unwrap()
}

fn lang(s: &str) -> TemplateLanguage {
    TemplateLanguage::parse(s).unwrap()
}

/// A new PENDING template with one BODY component, created (and last updated) `at`.
fn template(
    account: AccountId,
    waba: &WabaId,
    name: &str,
    language: &str,
    category: TemplateCategory,
    body: &str,
    at: Timestamp,
) -> Template {
    Template {
        id: TemplateId::generate(),
        account_id: account,
        waba_id: waba.clone(),
        name: tname(name),
        language: lang(language),
        category,
        parameter_format: ParameterFormat::Positional,
        sub_category: None,
        status: TemplateStatus::Pending,
        rejected_reason: None,
        quality_score: None,
        components: json!([{"type": "BODY", "text": body}]),
        message_send_ttl_seconds: None,
        created_at: at,
        updated_at: at,
        pause_count: 0,
        paused_until: None,
        allow_category_change: false,
    }
}

/// The WABA of one of the account's channels.
async fn waba_of(s: &Arc<dyn Store>, account: AccountId, channel: ChannelId) -> WabaId {
    s.get_channel(account, channel).await.unwrap().waba_id
}

/// A second channel (so a second WABA) of the account.
async fn another_waba(s: &Arc<dyn Store>, account: AccountId) -> WabaId {
    let ch = s.create_channel(sandbox(account)).await.unwrap().id;
    waba_of(s, account, ch).await
}

/// Creates `t` under `limits`, which must succeed and answer `t` as given.
async fn create_with(s: &Arc<dyn Store>, t: Template, limits: TemplateLimits) -> Template {
    let created = s
        .create_template(t.clone(), limits)
        .await
        .unwrap_or_else(|e| panic!("creating {} ({}) failed: {e:?}", t.name, t.language));
    assert_eq!(created, t, "create answers the template as stored");
    created
}

async fn create(s: &Arc<dyn Store>, t: Template) -> Template {
    create_with(s, t, ROOMY).await
}

/// Creating `t` under `limits` fails for the reason `want` names; nothing is stored.
async fn refused(s: &Arc<dyn Store>, t: Template, limits: TemplateLimits, want: &str) {
    let (account, id, label) = (
        t.account_id,
        t.id.clone(),
        format!("{} ({}) at {}", t.name, t.language, t.created_at),
    );
    let r = s.create_template(t, limits).await;
    let ok = match want {
        "NameTaken" => matches!(r, Err(CreateTemplateError::NameTaken)),
        "CountLimit" => matches!(r, Err(CreateTemplateError::CountLimit)),
        "HourlyQuota" => matches!(r, Err(CreateTemplateError::HourlyQuota)),
        _ => unreachable!("unknown refusal {want}"),
    };
    assert!(ok, "{label}: want {want}, got {r:?}");
    assert_not_found(
        s.get_template(account, &id).await,
        "a refused template is not stored",
    );
}

fn assert_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>, what: &str) {
    assert!(
        matches!(r, Err(StoreError::NotFound(Entity::Template))),
        "{what}: want NotFound(Template), got {r:?}"
    );
}

async fn list(
    s: &Arc<dyn Store>,
    account: AccountId,
    waba: &WabaId,
    filter: &TemplateFilter,
) -> Vec<Template> {
    s.list_templates(account, waba, filter, &Page::default())
        .await
        .unwrap()
}

async fn count(
    s: &Arc<dyn Store>,
    account: AccountId,
    waba: &WabaId,
    filter: &TemplateFilter,
) -> u64 {
    s.count_templates(account, waba, filter).await.unwrap()
}

fn ids(ts: &[Template]) -> Vec<TemplateId> {
    ts.iter().map(|t| t.id.clone()).collect()
}

fn sorted(mut ids: Vec<TemplateId>) -> Vec<TemplateId> {
    ids.sort();
    ids
}

// 1. Round trips and scoping.

async fn templates_round_trip_every_field(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let w = waba_of(s, a, ch).await;
    let other_waba = waba_of(s, other, other_ch).await;
    let t0 = records::now();

    let rich = Template {
        id: TemplateId::generate(),
        account_id: a,
        waba_id: w.clone(),
        name: tname("order_status_2"),
        language: lang("pt_BR"),
        category: Utility,
        parameter_format: ParameterFormat::Named,
        sub_category: Some("ORDER_STATUS".to_owned()),
        status: TemplateStatus::Pending,
        rejected_reason: None,
        quality_score: None,
        components: json!([
            {"type": "HEADER", "format": "TEXT", "text": "Pedido {{order_id}}",
             "example": {"header_text_named_params": [{"param_name": "order_id", "example": "#42"}]}},
            {"type": "BODY", "text": "Olá {{first_name}} 👋, seu pedido \"#42\" saiu \\ hoje.\nAté já!",
             "example": {"body_text_named_params": [{"param_name": "first_name", "example": "Ana"}]}},
            {"type": "FOOTER", "text": "Responda PARAR", "code_expiration_minutes": 10},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Rastrear", "url": "https://x.example/{{1}}",
                 "example": ["https://x.example/42"]},
                {"type": "QUICK_REPLY", "text": "Parar"},
                {"type": "OTP", "otp_type": "ZERO_TAP", "zero_tap_terms_accepted": true,
                 "supported_apps": [], "autofill_text": null}
            ]}
        ]),
        message_send_ttl_seconds: Some(600),
        created_at: t0,
        updated_at: plus(t0, 7),
        pause_count: 2,
        paused_until: Some(plus(t0, HOUR)),
        allow_category_change: true,
    };
    let created = create(s, rich.clone()).await;
    assert_eq!(created.status, TemplateStatus::Pending);
    assert_eq!(
        (created.rejected_reason, created.quality_score),
        (None, None)
    );

    // The optional fields absent, another category and language.
    let bare = create(
        s,
        template(
            a,
            &w,
            "login_code",
            "en",
            Authentication,
            "{{1}} is your code.",
            plus(t0, SECOND),
        ),
    )
    .await;

    let got = s.get_template(a, &rich.id).await.unwrap();
    assert_eq!(got, rich, "get answers every field as created");
    assert_eq!(got.components, rich.components);
    assert_eq!(got.sub_category.as_deref(), Some("ORDER_STATUS"));
    assert_eq!(got.message_send_ttl_seconds, Some(600));
    assert_eq!(got.parameter_format, ParameterFormat::Named);
    assert_eq!(
        (got.pause_count, got.paused_until, got.allow_category_change),
        (2, Some(plus(t0, HOUR)), true)
    );
    assert_eq!(s.get_template(a, &bare.id).await.unwrap(), bare);

    let all = TemplateFilter::default();
    assert_eq!(list(s, a, &w, &all).await, vec![rich.clone(), bare.clone()]);
    assert_eq!(count(s, a, &w, &all).await, 2);

    // Another account sees nothing: not by id, not through the WABA.
    assert_not_found(
        s.get_template(other, &rich.id).await,
        "another account's get",
    );
    assert_not_found(
        s.get_template(a, &TemplateId::generate()).await,
        "an unknown id",
    );
    assert!(list(s, other, &w, &all).await.is_empty());
    assert_eq!(count(s, other, &w, &all).await, 0);
    assert!(list(s, a, &other_waba, &all).await.is_empty());
    assert!(list(s, other, &other_waba, &all).await.is_empty());

    // And it all survives a restart.
    s.close().await;
    let reopened = (b.reopen)().await;
    assert_eq!(reopened.get_template(a, &rich.id).await.unwrap(), rich);
    assert_eq!(
        list(&reopened, a, &w, &all).await,
        vec![rich.clone(), bare.clone()]
    );
    reopened.close().await;
}

// 2. Uniqueness and the 30-day block.

async fn names_are_unique_per_waba_and_language_and_blocked_after_deletion(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let w = waba_of(s, a, ch).await;
    let w2 = another_waba(s, a).await;
    assert_ne!(w, w2, "each channel has its own WABA");
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let other_waba = waba_of(s, other, other_ch).await;
    let t0 = records::now();
    let order = |waba: &WabaId, account, language: &str, at| {
        template(
            account,
            waba,
            "order_update",
            language,
            Utility,
            "Order {{1}} shipped",
            at,
        )
    };

    let en = create(s, order(&w, a, "en_US", t0)).await;
    refused(
        s,
        order(&w, a, "en_US", plus(t0, SECOND)),
        ROOMY,
        "NameTaken",
    )
    .await;
    // Even in another category: the name and language are what is unique.
    let mut marketing = order(&w, a, "en_US", plus(t0, SECOND));
    marketing.category = Marketing;
    refused(s, marketing, ROOMY, "NameTaken").await;
    assert_eq!(count(s, a, &w, &TemplateFilter::default()).await, 1);

    // Another language, another WABA of the account, another account's WABA: all fine.
    let pt = create(s, order(&w, a, "pt_BR", plus(t0, 2 * SECOND))).await;
    let twin = create(s, order(&w2, a, "en_US", plus(t0, 3 * SECOND))).await;
    create(s, order(&other_waba, other, "en_US", plus(t0, 4 * SECOND))).await;

    // Deleting the name (every language) blocks it in this WABA for 30 days.
    let deleted_at = plus(t0, 10 * SECOND);
    let gone = s
        .delete_templates(a, &w, &tname("order_update"), None, deleted_at)
        .await
        .unwrap();
    assert_eq!(sorted(gone), sorted(vec![en.id.clone(), pt.id.clone()]));
    assert_eq!(count(s, a, &w, &TemplateFilter::default()).await, 0);
    for (language, at) in [
        ("en_US", plus(deleted_at, 1)),
        ("pt_BR", plus(deleted_at, DAY)),
        ("es", plus(deleted_at, 29 * DAY)),
        ("en_US", plus(deleted_at, NAME_BLOCKED_MS - 1)),
    ] {
        refused(s, order(&w, a, language, at), ROOMY, "NameTaken").await;
    }
    // Only that name, only in that WABA.
    create(
        s,
        template(
            a,
            &w,
            "order_update_v2",
            "en_US",
            Utility,
            "Order {{1}} shipped",
            plus(deleted_at, 1),
        ),
    )
    .await;
    create(s, order(&w2, a, "es", plus(deleted_at, 2))).await;
    assert_eq!(s.get_template(a, &twin.id).await.unwrap(), twin);

    // 30 days after the deletion the name is free again, in any language.
    let back = create(s, order(&w, a, "en_US", plus(deleted_at, NAME_BLOCKED_MS))).await;
    create(
        s,
        order(&w, a, "pt_BR", plus(deleted_at, NAME_BLOCKED_MS + SECOND)),
    )
    .await;
    // And live again, so unique again.
    refused(
        s,
        order(
            &w,
            a,
            "en_US",
            plus(deleted_at, NAME_BLOCKED_MS + 2 * SECOND),
        ),
        ROOMY,
        "NameTaken",
    )
    .await;
    assert_eq!(s.get_template(a, &back.id).await.unwrap(), back);
    let named = TemplateFilter {
        name: Some("order_update".to_owned()),
        ..Default::default()
    };
    assert_eq!(count(s, a, &w, &named).await, 3, "v2, en_US and pt_BR");
}

// 3. The count limit and the hourly quota.

async fn count_limit_and_hourly_quota(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let w = waba_of(s, a, ch).await;
    let w2 = another_waba(s, a).await;
    let w3 = another_waba(s, a).await;
    let t0 = records::now();
    let at = |ms: i64| plus(t0, ms);
    let body = "Hello {{1}}";

    // Count limit: three live templates at most.
    let cap = TemplateLimits {
        max_templates: 3,
        max_per_hour: 100,
    };
    let mut capped = Vec::new();
    for i in 0..3 {
        let t = template(
            a,
            &w,
            &format!("capped_{i}"),
            "en",
            Utility,
            body,
            at(i * SECOND),
        );
        capped.push(create_with(s, t, cap).await);
    }
    refused(
        s,
        template(a, &w, "capped_3", "en", Utility, body, at(3 * SECOND)),
        cap,
        "CountLimit",
    )
    .await;
    // Another language of a live name is another template, so it counts too.
    refused(
        s,
        template(a, &w, "capped_0", "es", Utility, body, at(3 * SECOND)),
        cap,
        "CountLimit",
    )
    .await;
    assert_eq!(count(s, a, &w, &TemplateFilter::default()).await, 3);
    // The limit is per WABA.
    create_with(
        s,
        template(a, &w2, "capped_0", "en", Utility, body, at(0)),
        cap,
    )
    .await;

    // Deleting one frees a slot (for a new name: the deleted one is blocked).
    let gone = s
        .delete_templates(a, &w, &tname("capped_1"), None, at(4 * SECOND))
        .await
        .unwrap();
    assert_eq!(gone, vec![capped[1].id.clone()]);
    refused(
        s,
        template(a, &w, "capped_1", "en", Utility, body, at(5 * SECOND)),
        cap,
        "NameTaken",
    )
    .await;
    create_with(
        s,
        template(a, &w, "capped_3", "en", Utility, body, at(5 * SECOND)),
        cap,
    )
    .await;
    refused(
        s,
        template(a, &w, "capped_4", "en", Utility, body, at(6 * SECOND)),
        cap,
        "CountLimit",
    )
    .await;

    // Hourly quota: two creations per rolling hour, by created_at.
    let hourly = TemplateLimits {
        max_templates: 100,
        max_per_hour: 2,
    };
    let h = |name: &str, ms: i64| template(a, &w3, name, "en", Marketing, body, at(ms));
    create_with(s, h("hourly_0", 0), hourly).await;
    create_with(s, h("hourly_1", SECOND), hourly).await;
    refused(s, h("hourly_2", 2 * SECOND), hourly, "HourlyQuota").await;
    refused(s, h("hourly_2", HOUR / 2), hourly, "HourlyQuota").await;
    assert_eq!(count(s, a, &w3, &TemplateFilter::default()).await, 2);
    // The quota is per WABA: w2 created one template this hour.
    create_with(
        s,
        template(a, &w2, "hourly_0", "en", Marketing, body, at(2 * SECOND)),
        hourly,
    )
    .await;
    // An hour after the first, only the second is within the hour: one slot.
    create_with(s, h("hourly_2", HOUR + SECOND / 2), hourly).await;
    refused(
        s,
        h("hourly_3", HOUR + SECOND / 2 + 100),
        hourly,
        "HourlyQuota",
    )
    .await;
    // More than an hour after the first two: free again.
    create_with(s, h("hourly_3", HOUR + 3 * SECOND / 2), hourly).await;
    assert_eq!(count(s, a, &w3, &TemplateFilter::default()).await, 4);
}

// 4. Filters, counts and paging.

async fn template_list_filters_counts_and_pages(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let w = waba_of(s, a, ch).await;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let other_waba = waba_of(s, other, other_ch).await;
    let t0 = records::now();

    use QualityScore::{Green, Red, Unknown, Yellow};
    use TemplateStatus::{Approved, Paused, Pending, Rejected};
    // name, language, category, body, status, quality
    let rows = [
        (
            "order_update",
            "en_US",
            Utility,
            "Your order {{1}} has shipped.",
            Approved,
            Some(Green),
        ),
        (
            "order_update",
            "pt_BR",
            Utility,
            "Seu pedido {{1}} foi enviado.",
            Approved,
            Some(Yellow),
        ),
        (
            "orderxupdate_sale",
            "en_US",
            Marketing,
            "Big sale this week, welcome back!",
            Pending,
            None,
        ),
        (
            "welcome_note",
            "es",
            Marketing,
            "Hola, gracias por elegirnos.",
            Rejected,
            None,
        ),
        (
            "login_code",
            "en_US",
            Authentication,
            "{{1}} is your verification code.",
            Approved,
            Some(Unknown),
        ),
        (
            "shipping_notice",
            "en_GB",
            Utility,
            "Your parcel is on its way.",
            Paused,
            Some(Red),
        ),
    ];
    let mut t = Vec::new();
    for (i, (name, language, category, body, status, quality)) in rows.into_iter().enumerate() {
        let at = plus(t0, i as i64 * SECOND);
        let created = create(s, template(a, &w, name, language, category, body, at)).await;
        let mut reviewed = created.clone();
        reviewed.status = status;
        reviewed.quality_score = quality;
        if status == Rejected {
            reviewed.rejected_reason = Some(RejectionReason::Promotional);
        }
        reviewed.updated_at = plus(at, HOUR);
        if reviewed != created {
            s.update_template(reviewed.clone(), vec![]).await.unwrap();
        }
        t.push(reviewed);
    }
    let all: Vec<TemplateId> = ids(&t);
    let pick =
        |which: &[usize]| -> Vec<TemplateId> { which.iter().map(|&i| all[i].clone()).collect() };

    let cases: Vec<(&str, TemplateFilter, Vec<TemplateId>)> = vec![
        ("no filter", TemplateFilter::default(), all.clone()),
        (
            "name substring",
            TemplateFilter {
                name: Some("update".into()),
                ..Default::default()
            },
            pick(&[0, 1, 2]),
        ),
        (
            "name with a literal underscore",
            TemplateFilter {
                name: Some("order_update".into()),
                ..Default::default()
            },
            pick(&[0, 1]),
        ),
        (
            "name not in any",
            TemplateFilter {
                name: Some("invoice".into()),
                ..Default::default()
            },
            vec![],
        ),
        (
            "one status",
            TemplateFilter {
                statuses: vec![Approved],
                ..Default::default()
            },
            pick(&[0, 1, 4]),
        ),
        (
            "two statuses",
            TemplateFilter {
                statuses: vec![Paused, Approved],
                ..Default::default()
            },
            pick(&[0, 1, 4, 5]),
        ),
        (
            "a status none has",
            TemplateFilter {
                statuses: vec![TemplateStatus::Disabled],
                ..Default::default()
            },
            vec![],
        ),
        (
            "one category",
            TemplateFilter {
                categories: vec![Marketing],
                ..Default::default()
            },
            pick(&[2, 3]),
        ),
        (
            "two categories",
            TemplateFilter {
                categories: vec![Authentication, Utility],
                ..Default::default()
            },
            pick(&[0, 1, 4, 5]),
        ),
        (
            "one language",
            TemplateFilter {
                languages: vec![lang("en_US")],
                ..Default::default()
            },
            pick(&[0, 2, 4]),
        ),
        (
            "two languages",
            TemplateFilter {
                languages: vec![lang("es"), lang("en_GB")],
                ..Default::default()
            },
            pick(&[3, 5]),
        ),
        (
            "content (not the name)",
            TemplateFilter {
                content: Some("order".into()),
                ..Default::default()
            },
            pick(&[0]),
        ),
        (
            "content",
            TemplateFilter {
                content: Some("welcome".into()),
                ..Default::default()
            },
            pick(&[2]),
        ),
        (
            "name (not the content)",
            TemplateFilter {
                name: Some("welcome".into()),
                ..Default::default()
            },
            pick(&[3]),
        ),
        (
            "name or content",
            TemplateFilter {
                name_or_content: Some("welcome".into()),
                ..Default::default()
            },
            pick(&[2, 3]),
        ),
        (
            "name or content, by name only",
            TemplateFilter {
                name_or_content: Some("login".into()),
                ..Default::default()
            },
            pick(&[4]),
        ),
        (
            "name or content, by content only",
            TemplateFilter {
                name_or_content: Some("parcel".into()),
                ..Default::default()
            },
            pick(&[5]),
        ),
        (
            "one quality",
            TemplateFilter {
                quality_scores: vec![Green],
                ..Default::default()
            },
            pick(&[0]),
        ),
        (
            "two qualities",
            TemplateFilter {
                quality_scores: vec![Red, Unknown],
                ..Default::default()
            },
            pick(&[4, 5]),
        ),
        (
            "status and language",
            TemplateFilter {
                statuses: vec![Approved],
                languages: vec![lang("en_US")],
                ..Default::default()
            },
            pick(&[0, 4]),
        ),
        (
            "category and name",
            TemplateFilter {
                categories: vec![Utility],
                name: Some("order".into()),
                ..Default::default()
            },
            pick(&[0, 1]),
        ),
        (
            "content and status, none both",
            TemplateFilter {
                content: Some("order".into()),
                statuses: vec![Pending],
                ..Default::default()
            },
            vec![],
        ),
    ];
    for (what, filter, want) in &cases {
        let listed = list(s, a, &w, filter).await;
        assert_eq!(ids(&listed), *want, "{what}: {filter:?}");
        assert_eq!(
            count(s, a, &w, filter).await,
            want.len() as u64,
            "{what}: count of {filter:?}"
        );
    }
    // The list answers the stored templates, reviews included.
    assert_eq!(list(s, a, &w, &TemplateFilter::default()).await, t);

    // Paging walks everything once, in creation order.
    let everything = TemplateFilter::default();
    let first = s
        .list_templates(a, &w, &everything, &Page::first(2))
        .await
        .unwrap();
    assert_eq!(ids(&first), pick(&[0, 1]));
    let mut walked = ids(&first);
    let mut last = first.last().map(|t| t.id.clone());
    let mut pages = 1;
    loop {
        let page = s
            .list_templates(a, &w, &everything, &Page::after(last.clone(), 2))
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2, "a page holds at most its limit");
        walked.extend(ids(&page));
        last = page.last().map(|t| t.id.clone());
        pages += 1;
        assert!(pages <= 4, "paging does not end: {walked:?}");
    }
    assert_eq!(walked, all, "every template once, in creation order");
    assert_eq!(pages, 3);

    // Paging backwards from the last one walks the same list, each page in creation order.
    let mut before = all.last().unwrap().clone();
    let mut back = Vec::new();
    loop {
        let page = s
            .list_templates_before(a, &w, &everything, &before, 2)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2, "a page holds at most its limit");
        back.splice(0..0, ids(&page));
        before = page[0].id.clone();
        assert!(back.len() < all.len(), "paging back does not end: {back:?}");
    }
    assert_eq!(
        back,
        all[..all.len() - 1],
        "everything before the last, in order"
    );
    let unknown = TemplateId::generate();
    assert!(
        s.list_templates_before(a, &w, &everything, &unknown, 2)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.list_templates_before(other, &w, &everything, &all[all.len() - 1], 2)
            .await
            .unwrap()
            .is_empty(),
        "another account lists nothing before our ids"
    );

    // Paging a filtered list continues within the filter.
    let approved = TemplateFilter {
        statuses: vec![Approved],
        ..Default::default()
    };
    let mut walked = Vec::new();
    let mut last = None;
    for _ in 0..4 {
        let page = s
            .list_templates(a, &w, &approved, &Page::after(last.clone(), 1))
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert_eq!(page.len(), 1);
        walked.extend(ids(&page));
        last = page.last().map(|t| t.id.clone());
    }
    assert_eq!(walked, pick(&[0, 1, 4]));

    // Another account lists nothing, in its WABA or in ours.
    for filter in [TemplateFilter::default(), approved] {
        assert!(list(s, other, &w, &filter).await.is_empty());
        assert_eq!(count(s, other, &w, &filter).await, 0);
        assert!(list(s, other, &other_waba, &filter).await.is_empty());
        assert_eq!(count(s, other, &other_waba, &filter).await, 0);
    }
}

// 5. Updates.

async fn template_updates_replace_the_mutable_fields(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let w = waba_of(s, a, ch).await;
    let (other, _) = account_with_channel(s, "Other").await;
    let t0 = records::now();

    let mut original = template(
        a,
        &w,
        "order_update",
        "en_US",
        Utility,
        "Order {{1}} shipped",
        t0,
    );
    original.sub_category = Some("ORDER_STATUS".to_owned());
    original.message_send_ttl_seconds = Some(3_600);
    let original = create(s, original).await;
    let bystander = create(
        s,
        template(
            a,
            &w,
            "welcome",
            "en_US",
            Marketing,
            "Welcome!",
            plus(t0, 1),
        ),
    )
    .await;

    // Review: rejected, re-categorised, edited.
    let mut reviewed = original.clone();
    reviewed.status = TemplateStatus::Rejected;
    reviewed.rejected_reason = Some(RejectionReason::IncorrectCategory);
    reviewed.quality_score = Some(QualityScore::Yellow);
    reviewed.category = Marketing;
    reviewed.components = json!([
        {"type": "HEADER", "format": "TEXT", "text": "New!"},
        {"type": "BODY", "text": "Your order {{1}} is on its way 🚚", "example": {"body_text": [["42"]]}}
    ]);
    reviewed.message_send_ttl_seconds = Some(120);
    reviewed.pause_count = 1;
    reviewed.paused_until = Some(plus(t0, 3 * HOUR));
    reviewed.updated_at = plus(t0, 5 * SECOND);
    let updated = s.update_template(reviewed.clone(), vec![]).await.unwrap();
    assert_eq!(updated, reviewed);
    assert_eq!(s.get_template(a, &original.id).await.unwrap(), reviewed);

    // Approved again: the reason and quality cleared, the TTL removed.
    let mut approved = reviewed.clone();
    approved.status = TemplateStatus::Approved;
    approved.rejected_reason = None;
    approved.quality_score = None;
    approved.message_send_ttl_seconds = None;
    approved.paused_until = None;
    approved.updated_at = plus(t0, 9 * SECOND);
    assert_eq!(
        s.update_template(approved.clone(), vec![]).await.unwrap(),
        approved
    );
    let got = s.get_template(a, &original.id).await.unwrap();
    assert_eq!(got, approved);
    assert_eq!(
        (
            got.rejected_reason,
            got.quality_score,
            got.message_send_ttl_seconds
        ),
        (None, None, None)
    );
    // Only that template changed.
    assert_eq!(s.get_template(a, &bystander.id).await.unwrap(), bystander);
    let filter = TemplateFilter {
        statuses: vec![TemplateStatus::Approved],
        ..Default::default()
    };
    assert_eq!(
        ids(&list(s, a, &w, &filter).await),
        vec![original.id.clone()]
    );

    // The other fields are not the update's to change.
    let mut sneaky = approved.clone();
    sneaky.name = tname("renamed");
    sneaky.language = lang("es");
    sneaky.parameter_format = ParameterFormat::Named;
    sneaky.sub_category = Some("ORDER_DETAILS".to_owned());
    sneaky.created_at = plus(t0, DAY);
    sneaky.quality_score = Some(QualityScore::Green);
    sneaky.allow_category_change = true;
    sneaky.updated_at = plus(t0, 10 * SECOND);
    s.update_template(sneaky, vec![]).await.unwrap();
    let got = s.get_template(a, &original.id).await.unwrap();
    assert_eq!(got.quality_score, Some(QualityScore::Green));
    assert_eq!(got.pause_count, 1, "the pause count is kept as written");
    assert!(
        !got.allow_category_change,
        "allow_category_change is the create request's"
    );
    assert_eq!(got.updated_at, plus(t0, 10 * SECOND));
    assert_eq!(
        (
            &got.name,
            got.language,
            got.parameter_format,
            got.sub_category.as_deref(),
            got.created_at
        ),
        (
            &original.name,
            original.language,
            original.parameter_format,
            original.sub_category.as_deref(),
            original.created_at
        ),
        "name, language, parameter format, sub-category and creation time stay"
    );

    // Another account's update (or an unknown id) finds nothing and changes nothing.
    let mut foreign = got.clone();
    foreign.account_id = other;
    foreign.status = TemplateStatus::Disabled;
    assert_not_found(
        s.update_template(foreign, vec![]).await,
        "updating another account's template",
    );
    let mut unknown = got.clone();
    unknown.id = TemplateId::generate();
    assert_not_found(
        s.update_template(unknown, vec![]).await,
        "updating an unknown id",
    );
    assert_eq!(s.get_template(a, &original.id).await.unwrap(), got);
}

// 6. Deletion.

async fn templates_are_deleted_by_name_or_id(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let w = waba_of(s, a, ch).await;
    let w2 = another_waba(s, a).await;
    let (other, _) = account_with_channel(s, "Other").await;
    let t0 = records::now();
    let order = |waba: &WabaId, language: &str, ms: i64| {
        template(
            a,
            waba,
            "order_update",
            language,
            Utility,
            "Order {{1}} shipped",
            plus(t0, ms),
        )
    };
    let en = create(s, order(&w, "en_US", 0)).await;
    let pt = create(s, order(&w, "pt_BR", SECOND)).await;
    let es = create(s, order(&w, "es", 2 * SECOND)).await;
    let keep = create(
        s,
        template(
            a,
            &w,
            "order_update_v2",
            "en_US",
            Utility,
            "Order {{1}} shipped",
            plus(t0, 3 * SECOND),
        ),
    )
    .await;
    let twin = create(s, order(&w2, "en_US", 4 * SECOND)).await;
    let name = tname("order_update");
    let now = plus(t0, 10 * SECOND);
    let all = TemplateFilter::default();

    // What matches nothing deletes nothing.
    assert_not_found(
        s.delete_templates(other, &w, &name, None, now).await,
        "another account deleting by name",
    );
    assert_not_found(
        s.delete_templates(other, &w, &name, Some(&en.id), now)
            .await,
        "another account deleting by id",
    );
    assert_not_found(
        s.delete_templates(a, &w, &tname("invoice"), None, now)
            .await,
        "an unknown name",
    );
    assert_not_found(
        s.delete_templates(a, &w, &tname("order_update_v2"), Some(&es.id), now)
            .await,
        "an id under another name",
    );
    assert_not_found(
        s.delete_templates(a, &w, &name, Some(&twin.id), now).await,
        "an id of another WABA",
    );
    assert_not_found(
        s.delete_templates(a, &w, &name, Some(&TemplateId::generate()), now)
            .await,
        "an unknown id",
    );
    assert_eq!(count(s, a, &w, &all).await, 4);
    assert_eq!(
        ids(&list(s, a, &w, &all).await),
        vec![en.id.clone(), pt.id.clone(), es.id.clone(), keep.id.clone()]
    );

    // By id: that one language only.
    let gone = s
        .delete_templates(a, &w, &name, Some(&es.id), now)
        .await
        .unwrap();
    assert_eq!(gone, vec![es.id.clone()]);
    assert_not_found(s.get_template(a, &es.id).await, "a template deleted by id");
    assert_eq!(s.get_template(a, &en.id).await.unwrap(), en);
    assert_eq!(s.get_template(a, &pt.id).await.unwrap(), pt);
    assert_eq!(
        ids(&list(s, a, &w, &all).await),
        vec![en.id.clone(), pt.id.clone(), keep.id.clone()]
    );
    assert_eq!(count(s, a, &w, &all).await, 3);

    // By name: every remaining language, not a longer name, not another WABA.
    let gone = s
        .delete_templates(a, &w, &name, None, plus(now, SECOND))
        .await
        .unwrap();
    assert_eq!(sorted(gone), sorted(vec![en.id.clone(), pt.id.clone()]));
    for id in [&en.id, &pt.id, &es.id] {
        assert_not_found(s.get_template(a, id).await, "a template deleted by name");
    }
    assert_eq!(list(s, a, &w, &all).await, vec![keep.clone()]);
    assert_eq!(count(s, a, &w, &all).await, 1);
    let by_name = TemplateFilter {
        name: Some("order".into()),
        ..Default::default()
    };
    assert_eq!(ids(&list(s, a, &w, &by_name).await), vec![keep.id.clone()]);
    assert_eq!(count(s, a, &w, &by_name).await, 1);
    let pending = TemplateFilter {
        statuses: vec![TemplateStatus::Pending],
        ..Default::default()
    };
    assert_eq!(
        count(s, a, &w, &pending).await,
        1,
        "deleted rows are not counted"
    );
    assert_eq!(s.get_template(a, &twin.id).await.unwrap(), twin);
    assert_eq!(list(s, a, &w2, &all).await, vec![twin.clone()]);

    // Gone is gone: deleting, updating again finds nothing.
    assert_not_found(
        s.delete_templates(a, &w, &name, None, plus(now, 2 * SECOND))
            .await,
        "deleting a deleted name again",
    );
    assert_not_found(
        s.delete_templates(a, &w, &name, Some(&en.id), plus(now, 2 * SECOND))
            .await,
        "deleting a deleted id again",
    );
    let mut revived = en.clone();
    revived.status = TemplateStatus::Approved;
    assert_not_found(
        s.update_template(revived, vec![]).await,
        "updating a deleted template",
    );
    assert_eq!(count(s, a, &w, &all).await, 1);
}

// 7. The rules hold under concurrent creations (one transaction per command).

async fn concurrent_creations_keep_the_rules(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let w = waba_of(s, a, ch).await;
    let w2 = another_waba(s, a).await;
    let t0 = records::now();

    // The same name and language eight times at once: one wins, the others are NameTaken.
    let racers: Vec<Template> = (0..8)
        .map(|i| template(a, &w, "race", "en_US", Utility, "Hi {{1}}", plus(t0, i)))
        .collect();
    let results = join_all(racers.into_iter().map(|t| s.create_template(t, ROOMY))).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    let taken = results
        .iter()
        .filter(|r| matches!(r, Err(CreateTemplateError::NameTaken)))
        .count();
    assert_eq!((won, taken), (1, 7), "{results:?}");
    assert_eq!(count(s, a, &w, &TemplateFilter::default()).await, 1);

    // Ten names at once under a limit of three: three are stored, seven refused.
    let cap = TemplateLimits {
        max_templates: 3,
        max_per_hour: 100,
    };
    let racers: Vec<Template> = (0..10)
        .map(|i| {
            let name = format!("racer_{i}");
            template(a, &w2, &name, "en_US", Utility, "Hi {{1}}", plus(t0, i))
        })
        .collect();
    let results = join_all(racers.into_iter().map(|t| s.create_template(t, cap))).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    let limited = results
        .iter()
        .filter(|r| matches!(r, Err(CreateTemplateError::CountLimit)))
        .count();
    assert_eq!((won, limited), (3, 7), "{results:?}");
    assert_eq!(count(s, a, &w2, &TemplateFilter::default()).await, 3);
}

async fn edits_are_limited_per_day_and_per_30_days(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let w = waba_of(s, a, ch).await;
    let t0 = records::now();
    let t = create(
        s,
        template(
            a,
            &w,
            "order_update",
            "en_US",
            Utility,
            "Order {{1}} shipped",
            t0,
        ),
    )
    .await;
    const HOUR: i64 = 3_600_000;
    let edit = |at: i64, body: &str| {
        let mut e = t.clone();
        e.components = json!([{"type": "BODY", "text": body}]);
        e.updated_at = plus(t0, at);
        e
    };
    // Once per 24 hours, 2 per 30 days (the limits are the caller's).
    let first = s.edit_template(edit(HOUR, "one"), 1, 2).await.unwrap();
    assert_eq!(first.unwrap().components[0]["text"], "one");
    let refused = s.edit_template(edit(2 * HOUR, "two"), 1, 2).await.unwrap();
    assert!(refused.is_none(), "a second edit within 24 hours");
    let kept = s.get_template(a, &t.id).await.unwrap();
    assert_eq!(
        kept.components[0]["text"], "one",
        "a refused edit changes nothing"
    );
    assert!(
        s.edit_template(edit(26 * HOUR, "two"), 1, 2)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.edit_template(edit(60 * HOUR, "three"), 1, 2)
            .await
            .unwrap()
            .is_none(),
        "the third edit within 30 days"
    );
    assert!(
        s.edit_template(edit(60 * HOUR, "three"), u32::MAX, u32::MAX)
            .await
            .unwrap()
            .is_some(),
        "no limit when the caller sets none"
    );
    // Another account's template is not found.
    let (other, _) = account_with_channel(s, "Other").await;
    let mut foreign = edit(61 * HOUR, "x");
    foreign.account_id = other;
    assert_not_found(
        s.edit_template(foreign, u32::MAX, u32::MAX).await,
        "editing another account's template",
    );
}

// 9. The pause ladder's state.

/// An event about template `t` (what the reviewer stores with a change).
fn template_event(t: &Template, channel: ChannelId, field: EventField) -> WebhookEvent {
    WebhookEvent {
        id: EventId::generate(),
        account_id: t.account_id,
        channel_id: Some(channel),
        occurred_at: t.updated_at,
        data: EventData::Other {
            field,
            value: json!({"message_template_id": t.id.as_str(), "event": t.status.as_str()}),
        },
    }
}

/// How many deliveries the account's subscription `sub` holds.
async fn deliveries(s: &Arc<dyn Store>, account: AccountId, sub: SubscriptionId) -> usize {
    s.list_deliveries(account, sub, &DeliveryFilter::default(), &Page::all())
        .await
        .unwrap()
        .len()
}

async fn pauses_end_in_order_and_guarded_updates_never_overwrite(b: Backend) {
    let s = &b.store;
    let (a, ch) = account_with_channel(s, "Acme").await;
    let w = waba_of(s, a, ch).await;
    let (other, other_ch) = account_with_channel(s, "Other").await;
    let other_waba = waba_of(s, other, other_ch).await;
    let t0 = records::now();
    let now = records::now();
    let sub = s
        .create_subscription(Subscription {
            id: SubscriptionId::generate(),
            account_id: a,
            channel_id: None,
            url: WebhookUrl::parse("https://example.com/hook").unwrap(),
            secret: WebhookSecret::parse("s3cret-key").unwrap(),
            verify_token: VerifyToken::parse("verify-me").unwrap(),
            fields: vec![
                EventField::MessageTemplateStatusUpdate,
                EventField::MessageTemplateQualityUpdate,
            ],
            format: PayloadFormat::CLOUD,
            batch_size: BatchSize::ONE,
            enabled: true,
            created_at: now,
            updated_at: now,
        })
        .await
        .unwrap();

    // Approved templates, then paused (as a RED rating does) to end at different times.
    let approve = |mut t: Template| {
        t.status = TemplateStatus::Approved;
        t.quality_score = Some(QualityScore::Green);
        t.updated_at = plus(t0, SECOND);
        t
    };
    let mut made = Vec::new();
    for (name, waba, account) in [
        ("three_hours", &w, a),
        ("one_hour", &w, a),
        ("deleted", &w, a),
        ("not_paused", &w, a),
        ("elsewhere", &other_waba, other),
    ] {
        let t = create(
            s,
            template(account, waba, name, "en_US", Utility, "Hi {{1}}", t0),
        )
        .await;
        made.push(s.update_template(approve(t), vec![]).await.unwrap());
    }
    let pause = |t: &Template, hours: i64| {
        let mut p = t.clone();
        p.status = TemplateStatus::Paused;
        p.quality_score = Some(QualityScore::Red);
        p.pause_count += 1;
        p.paused_until = Some(plus(t0, hours * HOUR));
        p.updated_at = plus(t0, 2 * SECOND);
        p
    };

    // A guarded update from the state last read applies, with its events.
    let three = pause(&made[0], 3);
    let events = vec![
        template_event(&three, ch, EventField::MessageTemplateQualityUpdate),
        template_event(&three, ch, EventField::MessageTemplateStatusUpdate),
    ];
    let stored = s
        .update_template_if(three.clone(), made[0].updated_at, events)
        .await
        .unwrap();
    assert_eq!(stored.as_ref(), Some(&three));
    assert_eq!(s.get_template(a, &three.id).await.unwrap(), three);
    assert_eq!(deliveries(s, a, sub.id).await, 2, "the events were stored");

    // One from a stale read (someone changed it since) changes nothing and stores no event.
    let mut stale = pause(&made[0], 6);
    stale.pause_count = 7;
    stale.updated_at = plus(t0, 3 * SECOND);
    let event = template_event(&stale, ch, EventField::MessageTemplateStatusUpdate);
    assert_eq!(
        s.update_template_if(stale, made[0].updated_at, vec![event])
            .await
            .unwrap(),
        None,
        "a stale guarded update"
    );
    assert_eq!(s.get_template(a, &three.id).await.unwrap(), three);
    assert_eq!(deliveries(s, a, sub.id).await, 2, "no event stored");
    // Two updates racing from the same read: exactly one applies.
    let racing = |hours| {
        let mut t = three.clone();
        t.paused_until = Some(plus(t0, hours * HOUR));
        t.updated_at = plus(t0, 4 * SECOND);
        s.update_template_if(t, three.updated_at, vec![])
    };
    let (x, y) = futures::join!(racing(3), racing(3));
    let applied = [x.unwrap(), y.unwrap()]
        .iter()
        .filter(|r| r.is_some())
        .count();
    assert_eq!(applied, 1, "one of two racing guarded updates applies");
    let three = s.get_template(a, &three.id).await.unwrap();

    // Unknown, another account's, or deleted: not found.
    let mut unknown = three.clone();
    unknown.id = TemplateId::generate();
    assert_not_found(
        s.update_template_if(unknown, three.updated_at, vec![])
            .await,
        "a guarded update of an unknown id",
    );
    let mut foreign = three.clone();
    foreign.account_id = other;
    assert_not_found(
        s.update_template_if(foreign, three.updated_at, vec![])
            .await,
        "a guarded update of another account's template",
    );

    let one = s.update_template(pause(&made[1], 1), vec![]).await.unwrap();
    let deleted = s.update_template(pause(&made[2], 1), vec![]).await.unwrap();
    s.delete_templates(a, &w, &deleted.name, None, plus(t0, 5 * SECOND))
        .await
        .unwrap();
    assert_not_found(
        s.update_template_if(deleted.clone(), deleted.updated_at, vec![])
            .await,
        "a guarded update of a deleted template",
    );
    // APPROVED with a stale end (an edited template back from review): not paused.
    let mut not_paused = made[3].clone();
    not_paused.paused_until = Some(plus(t0, HOUR));
    s.update_template(not_paused, vec![]).await.unwrap();
    let elsewhere = s.update_template(pause(&made[4], 2), vec![]).await.unwrap();

    // Pauses that are over by a time, across accounts, soonest first; the end is inclusive.
    let due = |hours: i64, ms: i64, limit| s.paused_templates(plus(t0, hours * HOUR + ms), limit);
    assert!(due(1, -1, 10).await.unwrap().is_empty(), "none over yet");
    assert_eq!(ids(&due(1, 0, 10).await.unwrap()), vec![one.id.clone()]);
    assert_eq!(
        ids(&due(3, 0, 10).await.unwrap()),
        vec![one.id.clone(), elsewhere.id.clone(), three.id.clone()]
    );
    assert_eq!(
        ids(&due(3, 0, 2).await.unwrap()),
        vec![one.id.clone(), elsewhere.id.clone()],
        "up to the limit"
    );

    // Unpaused: no longer listed.
    let mut back = one.clone();
    back.status = TemplateStatus::Approved;
    back.paused_until = None;
    back.updated_at = plus(t0, 6 * SECOND);
    s.update_template_if(back, one.updated_at, vec![])
        .await
        .unwrap()
        .expect("nothing changed the paused template");
    assert_eq!(
        ids(&due(24, 0, 10).await.unwrap()),
        vec![elsewhere.id.clone(), three.id.clone()]
    );
}
