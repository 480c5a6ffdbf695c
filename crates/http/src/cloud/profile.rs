//! A phone number's business profile and commerce settings, a WABA's information and its
//! subscribed apps, as Meta's Cloud API serves them (reference §1.4, §1.5, §6.3):
//!
//! - `GET /{phone_number_id}/whatsapp_business_profile[?fields=]` →
//!   `{"data":[{"about","address","description","email","messaging_product":"whatsapp",
//!   "profile_picture_url","websites":[…],"vertical"}]}`: the fields that are set, narrowed by
//!   `fields`; `vertical` always (`UNDEFINED` when unset: clients such as pywa require it);
//! - `POST /{phone_number_id}/whatsapp_business_profile` with `{"messaging_product":
//!   "whatsapp", about?, address?, description?, email?, vertical?, websites?,
//!   profile_picture_handle?}` (`""` clears a field) → `{"success":true}`;
//! - `GET /{phone_number_id}/whatsapp_commerce_settings` →
//!   `{"data":[{"is_cart_enabled","is_catalog_visible","id"}]}`; `POST` with
//!   `is_cart_enabled` / `is_catalog_visible` in the query string (as Meta documents), a form
//!   or JSON → `{"success":true}`;
//! - `GET /{waba_id}[?fields=]`: the WABA object (served through `GET /{object_id}`, see
//!   [`find_waba`]), its analytics fields included (see [`super::analytics`]);
//! - `GET|POST|DELETE /{waba_id}/subscribed_apps`: wagate as the WABA's subscribed app, with
//!   an optional alternate callback (`override_callback_uri` + `verify_token`);
//! - `GET /media/{media_id}/profile`: a profile picture's bytes, without a key (the URL the
//!   profile answers; see `wagate_app::channels::profile`).
//!
//! Another account's phone number or WABA, like an unknown one, is Graph's 100/33.

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use tokio_util::io::ReaderStream;
use wagate_app::Principal;
use wagate_app::channels::profile::{APP_NAME, WabaInfo, app_id, derived_id};
use wagate_core::channel::BusinessProfile;
use wagate_core::error::ErrorCode;
use wagate_core::ids::{MediaId, WabaId};
use wagate_core::profile::{
    AlternateCallback, CommerceUpdate, ProfileField, ProfileUpdate, template_namespace,
};
use wagate_core::registration::country_of;
use wagate_store::profile::WabaSubscription;

use super::analytics;
use super::path::ObjectPath;
use super::phone_number;
use super::phone_numbers::FieldsQuery;
use super::waba;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Query, parse_json};
use crate::kit::fields::FieldSelection;
use crate::kit::params::{Params, Rules};
use crate::state::AppState;

/// The routes of this module, merged into the Cloud plane's router.
pub fn routes() -> Router<AppState> {
    let profile = || get(get_profile).post(update_profile);
    let commerce = || get(get_commerce).post(update_commerce);
    let apps = || get(list_apps).post(subscribe).delete(unsubscribe);
    Router::new()
        .route(
            "/{version}/{object_id}/whatsapp_business_profile",
            profile(),
        )
        .route("/{object_id}/whatsapp_business_profile", profile())
        .route(
            "/{version}/{object_id}/whatsapp_commerce_settings",
            commerce(),
        )
        .route("/{object_id}/whatsapp_commerce_settings", commerce())
        .route("/{version}/{object_id}/subscribed_apps", apps())
        .route("/{object_id}/subscribed_apps", apps())
        .route("/media/{media_id}/profile", get(picture))
}

/// A write's parameters (see [`crate::kit::params`]).
fn params(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<Params, ApiError> {
    Params::read(query, headers, body, Rules::GRAPH)
}

/// The profile fields a `fields=` parameter asks for (every field when absent or naming
/// none), in [`ProfileField::ALL`] order. An unknown name is Graph's "nonexisting field".
fn profile_fields(fields: Option<&str>) -> Result<Vec<ProfileField>, ApiError> {
    let Some(asked) = FieldSelection::from_param(fields)?.filter(|s| !s.is_empty()) else {
        return Ok(ProfileField::ALL.to_vec());
    };
    asked.check("WhatsAppBusinessProfile", |name| {
        ProfileField::ALL.iter().any(|f| f.as_str() == name)
    })?;
    Ok(ProfileField::ALL
        .iter()
        .copied()
        .filter(|f| asked.contains(f.as_str()))
        .collect())
}

/// `GET /{phone_number_id}/whatsapp_business_profile`.
pub async fn get_profile(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    Query(q): Query<FieldsQuery>,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let fields = profile_fields(q.fields.as_deref())?;
    let profile = state
        .app
        .business_profile(&p, &channel, &state.base_url)
        .await?;
    Ok(Json(json!({ "data": [render_profile(&profile, &fields)] })))
}

/// The profile object: each asked field that is set, `messaging_product` always, and
/// `vertical` whenever asked (`UNDEFINED` when unset).
fn render_profile(p: &BusinessProfile, fields: &[ProfileField]) -> Value {
    let mut out = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            out.insert(k.to_owned(), v);
        }
    };
    for f in fields {
        let v = match f {
            ProfileField::About => p.about.as_ref().map(|v| json!(v.as_str())),
            ProfileField::Address => p.address.as_ref().map(|v| json!(v.as_str())),
            ProfileField::Description => p.description.as_ref().map(|v| json!(v.as_str())),
            ProfileField::Email => p.email.as_ref().map(|v| json!(v.as_str())),
            ProfileField::MessagingProduct => None,
            ProfileField::ProfilePictureUrl => p.profile_picture_url.as_ref().map(|u| json!(u)),
            ProfileField::Websites => (!p.websites.is_empty())
                .then(|| json!(p.websites.iter().map(|w| w.as_str()).collect::<Vec<_>>())),
            ProfileField::Vertical => Some(json!(p.vertical.map_or("UNDEFINED", |v| v.as_str()))),
        };
        put(f.as_str(), v);
    }
    put("messaging_product", Some(json!("whatsapp")));
    // Meta's order: messaging_product among the others, alphabetically.
    let mut sorted: Vec<(String, Value)> = out.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(sorted.into_iter().collect())
}

/// `POST /{phone_number_id}/whatsapp_business_profile`.
pub async fn update_profile(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let update = ProfileUpdate::parse(&parse_json::<Value>(&body)?)?;
    state
        .app
        .update_business_profile(&p, &channel, update, &state.base_url)
        .await?;
    Ok(Json(json!({ "success": true })))
}

/// `GET /{phone_number_id}/whatsapp_commerce_settings`. `fields` is not needed: the object
/// has only these.
pub async fn get_commerce(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let s = state.app.commerce_settings(&p, &channel).await?;
    Ok(Json(json!({ "data": [{
        "is_cart_enabled": s.is_cart_enabled,
        "is_catalog_visible": s.is_catalog_visible,
        "id": derived_id("commerce settings", channel.phone_number_id.as_str()),
    }] })))
}

/// `POST /{phone_number_id}/whatsapp_commerce_settings?is_cart_enabled=&is_catalog_visible=`.
pub async fn update_commerce(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let update = CommerceUpdate::parse(params(query.as_deref(), &headers, &body)?.as_map())?;
    state
        .app
        .update_commerce_settings(&p, &channel, update)
        .await?;
    Ok(Json(json!({ "success": true })))
}

/// wagate as the account's app, in Graph's `subscribed_apps` shape.
fn app_entry(state: &AppState, sub: &WabaSubscription) -> Value {
    let mut entry = json!({
        "whatsapp_business_api_data": {
            "id": app_id(sub.account_id),
            "link": format!("{}/docs", state.base_url.trim_end_matches('/')),
            "name": APP_NAME,
        }
    });
    if let Some(url) = &sub.override_callback_uri {
        entry["override_callback_uri"] = json!(url.as_str());
    }
    entry
}

/// `GET /{waba_id}/subscribed_apps`: wagate once subscribed, else an empty list.
pub async fn list_apps(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let data: Vec<Value> = state
        .app
        .subscribed_app(&p, &waba)
        .await?
        .iter()
        .map(|s| app_entry(&state, s))
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// `POST /{waba_id}/subscribed_apps[ {override_callback_uri, verify_token}]`. The callback is
/// verified with a GET challenge first (Graph 2200 when it does not answer it).
pub async fn subscribe(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let callback = AlternateCallback::parse(params(query.as_deref(), &headers, &body)?.as_map())?;
    state.app.subscribe_app(&p, &waba, callback).await?;
    Ok(Json(json!({ "success": true })))
}

/// `DELETE /{waba_id}/subscribed_apps`.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    state.app.unsubscribe_app(&p, &waba).await?;
    Ok(Json(json!({ "success": true })))
}

/// Fields of the WABA object wagate knows but has no value for (left out, as Graph leaves
/// out fields without a value).
const WABA_FIELDS_WITHOUT_VALUE: &[&str] = &[
    "primary_funding_id",
    "on_behalf_of_business_info",
    "marketing_messages_lite_api_status",
    "marketing_messages_onboarding_status",
    "is_enabled_for_insights",
    "purchase_order_number",
];

/// Fields Graph answers without `fields`.
const WABA_DEFAULT_FIELDS: &[&str] = &["id", "name", "timezone_id", "message_template_namespace"];

/// Every field of the WABA object with a value, from our state:
/// `name` is the account's; `country` the first phone number's; `currency` USD (wagate's
/// rate card); `timezone_id` 1 (Meta's default, America/Los_Angeles);
/// `message_template_namespace` derived from the id; `business_verification_status`
/// `verified` when the template limit is a verified business's; the subscribed apps and the
/// health of each phone number as stored.
fn waba_fields(state: &AppState, w: &WabaInfo) -> Map<String, Value> {
    let apps: Vec<Value> = w.subscription.iter().map(|s| app_entry(state, s)).collect();
    let mut entities: Vec<Value> = w
        .channels
        .iter()
        .map(|c| {
            json!({"entity_type": "PHONE_NUMBER", "id": c.phone_number_id.as_str(),
                   "can_send_message": "AVAILABLE"})
        })
        .collect();
    entities
        .push(json!({"entity_type": "WABA", "id": w.id.as_str(), "can_send_message": "AVAILABLE"}));
    let mut m = json!({
        "id": w.id.as_str(),
        "name": w.account.name.as_str(),
        "currency": "USD",
        "timezone_id": "1",
        "message_template_namespace": template_namespace(&w.id),
        "account_review_status": "APPROVED",
        "business_verification_status": if w.verified { "verified" } else { "not_verified" },
        "ownership_type": "SELF",
        "status": "ACTIVE",
        "health_status": {"can_send_message": "AVAILABLE", "entities": entities},
        "subscribed_apps": {"data": apps},
        "owner_business_info": {
            "id": derived_id("business", &w.account.id.to_string()),
            "name": w.account.name.as_str(),
        },
        "disable_marketing_messages_on_cloud_api": false,
    });
    if let Some((_, country)) = w
        .channels
        .first()
        .and_then(|c| country_of(c.display_phone_number.digits()))
    {
        m["country"] = json!(country);
    }
    match m {
        Value::Object(m) => m,
        _ => unreachable!("json! object"),
    }
}

/// Graph's WABA object for `GET /{object_id}`, narrowed by `fields`; `None` when
/// `object_id` is none of the caller's WABAs (the caller answers 100/33). The analytics
/// fields (`analytics.start(…)…`, see [`analytics`]) are answered beside the others.
pub async fn find_waba(
    state: &AppState,
    p: &Principal,
    object_id: &str,
    fields: Option<&str>,
) -> Result<Option<Value>, ApiError> {
    let Ok(id) = WabaId::parse(object_id) else {
        return Ok(None);
    };
    let info = match state.app.waba_info(p, &id).await {
        Ok(info) => info,
        Err(e) if e.code() == ErrorCode::ChannelNotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let all = waba_fields(state, &info);
    let mut out = Map::new();
    match FieldSelection::from_param(fields)? {
        Some(asked) => {
            asked.check("WhatsAppBusinessAccount", |name| {
                all.contains_key(name)
                    || WABA_FIELDS_WITHOUT_VALUE.contains(&name)
                    || analytics::FIELDS.contains(&name)
            })?;
            for f in &asked {
                if analytics::FIELDS.contains(&f.name.as_str()) {
                    let v = analytics::field(state, p, &info, f).await?;
                    out.insert(f.name.clone(), v);
                } else if let Some(v) = all.get(&f.name) {
                    out.insert(f.name.clone(), v.clone());
                }
            }
        }
        None => {
            for name in WABA_DEFAULT_FIELDS {
                if let Some(v) = all.get(*name) {
                    out.insert((*name).to_owned(), v.clone());
                }
            }
        }
    }
    out.insert("id".into(), json!(info.id.as_str()));
    Ok(Some(Value::Object(out)))
}

/// `GET /media/{media_id}/profile`: a profile picture, to anyone (no key), while it is one.
pub async fn picture(
    State(state): State<AppState>,
    Path(media_id): Path<String>,
) -> Result<Response, ApiError> {
    let gone = || {
        ApiError::new(
            ErrorCode::MediaUrlExpired,
            "this is no business's profile picture (any more); read the profile again",
        )
    };
    let media_id = MediaId::parse(&media_id).map_err(|_| gone())?;
    let (media, file) = state
        .app
        .open_profile_picture(&media_id)
        .await
        .map_err(|e| match e.code() {
            ErrorCode::MediaNotFound => gone(),
            _ => e.into(),
        })?;
    let mut res = Body::from_stream(ReaderStream::new(file)).into_response();
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&media.mime_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(media.file_size));
    // A new picture gets a new URL, so what this URL serves never changes.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wagate_core::profile::{ProfileAbout, Website};

    #[test]
    fn profiles_answer_set_fields_and_always_a_vertical() {
        let mut p = BusinessProfile {
            about: Some(ProfileAbout::parse("Hi").unwrap()),
            ..Default::default()
        };
        assert_eq!(
            render_profile(&p, ProfileField::ALL),
            json!({"about": "Hi", "messaging_product": "whatsapp", "vertical": "UNDEFINED"})
        );
        p.websites = vec![Website::parse("https://a.example").unwrap()];
        assert_eq!(
            render_profile(&p, &[ProfileField::Websites]),
            json!({"messaging_product": "whatsapp", "websites": ["https://a.example"]})
        );
    }

    #[test]
    fn field_lists() {
        assert_eq!(profile_fields(None).unwrap(), ProfileField::ALL);
        assert_eq!(profile_fields(Some(" , ")).unwrap(), ProfileField::ALL);
        assert_eq!(
            profile_fields(Some("websites, about")).unwrap(),
            [ProfileField::About, ProfileField::Websites]
        );
        let e = profile_fields(Some("about,colour")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidQuery);
        assert_eq!(
            e.message,
            "Tried accessing nonexisting field (colour) on node type (WhatsAppBusinessProfile)"
        );
    }

    #[test]
    fn nested_field_selections_name_their_field_only() {
        // Once split at every comma: `websites{a` and `b}` were "nonexisting fields".
        assert_eq!(
            profile_fields(Some("websites{a,b},about.limit(1)")).unwrap(),
            [ProfileField::About, ProfileField::Websites]
        );
        let e = profile_fields(Some("about{a,b{c}},colour{x,y}")).unwrap_err();
        assert!(e.message.contains("(colour)"), "{}", e.message);
        let e = profile_fields(Some("websites{a,b")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("fields"));
    }

    #[test]
    fn params_merge_query_and_body() {
        let json_ct = HeaderMap::new();
        let p = params(
            Some("is_cart_enabled=true&access_token=x"),
            &json_ct,
            &Bytes::from_static(br#"{"is_catalog_visible": false}"#),
        )
        .unwrap();
        assert_eq!(p.str("is_cart_enabled"), Some("true"));
        assert_eq!(p.get("is_catalog_visible"), Some(&json!(false)));
        assert_eq!(p.get("access_token"), None);
        let mut form = HeaderMap::new();
        form.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let p = params(None, &form, &Bytes::from_static(b"is_cart_enabled=false")).unwrap();
        assert_eq!(p.str("is_cart_enabled"), Some("false"));
        let e = params(None, &json_ct, &Bytes::from_static(b"[1]")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        let e = params(None, &json_ct, &Bytes::from_static(b"{")).unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedJson);
    }
}
