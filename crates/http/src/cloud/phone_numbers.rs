//! Business phone numbers as Graph describes them (reference §1.4, §1.6), from the channel's
//! stored state and its registration:
//!
//! - `GET /{version}/{phone_number_id}[?fields=…]`: one number;
//! - `GET /{version}/{waba_id}/phone_numbers[?fields=&limit=&after=&before=]`: the WABA's
//!   numbers, `{"data":[…],"paging":{"cursors":{"before","after"},"next"?,"previous"?}}`.
//!
//! Both answer Meta's default fields when `fields` is absent (`verified_name,
//! code_verification_status, display_phone_number, quality_rating, platform_type,
//! throughput{level}, id`) and any field of [`FIELDS`] when asked (`throughput{level}` narrows
//! an object's keys); an unknown field is Graph's code 100. Fields without a value are left
//! out, as Graph does. See [`fields`] for where each value comes from.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::Uri;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use wagate_app::channels::registration::{Cursor, PhoneNumber};
use wagate_core::Timestamp;
use wagate_core::channel::Upstream;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::PhoneNumberId;
use wagate_core::registration::{RegistrationStatus, country_of};

use super::path::ObjectPath;
use super::waba;
use super::{check_version, phone_number};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::kit::fields::FieldSelection;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct FieldsQuery {
    /// Comma-separated field names; Graph's default set when absent.
    pub fields: Option<String>,
}

/// Fields Graph returns when `fields` is not given (`id` comes always).
const DEFAULT_FIELDS: &str = "verified_name,code_verification_status,display_phone_number,quality_rating,platform_type,throughput{level}";

/// Every field a phone number has (§1.6, and the ones pywa's `BusinessPhoneNumber` reads).
pub const FIELDS: &[&str] = &[
    "id",
    "verified_name",
    "display_phone_number",
    "quality_rating",
    "quality_score",
    "code_verification_status",
    "name_status",
    "new_name_status",
    "status",
    "platform_type",
    "throughput",
    "account_mode",
    "is_official_business_account",
    "is_pin_enabled",
    "is_preverified_number",
    "is_on_biz_app",
    "search_visibility",
    "health_status",
    "certificate",
    "new_certificate",
    "last_onboarded_time",
    "webhook_configuration",
    "conversational_automation",
    "country_code",
    "country_dial_code",
    "whatsapp_business_manager_messaging_limit",
    "messaging_limit_tier",
    "eligibility_for_api_business_global_search",
];

/// Page size of `GET /{waba_id}/phone_numbers` without `limit`.
const DEFAULT_LIMIT: usize = 25;
/// Largest `limit`.
const MAX_LIMIT: usize = 200;

/// Parses `fields` (Graph's default set when absent or blank); an unknown field is code 100.
fn wanted(fields: Option<&str>) -> Result<FieldSelection, ApiError> {
    let wanted = match FieldSelection::from_param(fields)? {
        Some(wanted) => wanted,
        None => FieldSelection::parse(DEFAULT_FIELDS)?,
    };
    wanted.check("WhatsAppBusinessPhoneNumber", |name| FIELDS.contains(&name))?;
    Ok(wanted)
}

fn wants_webhooks(wanted: &FieldSelection) -> bool {
    wanted.contains("webhook_configuration")
}

/// Meta's time format for phone number fields: `2024-05-01T10:00:00+0000`.
fn graph_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

/// Every field of a phone number at `now`, from its channel and registration:
///
/// - `quality_rating`, `quality_score`, `throughput.level` (HIGH above 80 mps),
///   `whatsapp_business_manager_messaging_limit` (and the deprecated `messaging_limit_tier`),
///   `verified_name`, `display_phone_number`: the channel;
/// - `account_mode`: SANDBOX for a sandbox channel, LIVE for a cloud one;
/// - `status` (CONNECTED, or PENDING while deregistered), `platform_type` (CLOUD_API, or
///   NOT_APPLICABLE while deregistered), `health_status` (BLOCKED with 133010 while
///   deregistered), `search_visibility`, `is_pin_enabled`, `code_verification_status`,
///   `new_name_status`, `new_certificate`: the registration state;
/// - `certificate`: a base64 token naming the number and its name (the sandbox's stand-in
///   for Meta's on-premises certificate); `last_onboarded_time`: when the channel was made;
/// - `webhook_configuration`: the enabled subscriptions receiving the number's events;
/// - `country_code`, `country_dial_code`: the display number's calling code.
fn fields(n: &PhoneNumber, now: Timestamp) -> Map<String, Value> {
    let c = &n.channel;
    let r = &n.registration;
    let pnid = c.phone_number_id.as_str();
    let registered = r.status == RegistrationStatus::Registered;
    let throughput_level = if c.throughput.per_second() > 80 {
        "HIGH"
    } else {
        "STANDARD"
    };
    let certificate = |name: &str| {
        base64::engine::general_purpose::STANDARD
            .encode(format!("wagate-sandbox-certificate:{pnid}:{name}"))
    };
    let phone_health = if registered {
        json!({"entity_type": "PHONE_NUMBER", "id": pnid, "can_send_message": "AVAILABLE"})
    } else {
        json!({
            "entity_type": "PHONE_NUMBER", "id": pnid, "can_send_message": "BLOCKED",
            "errors": [{
                "error_code": 133010,
                "error_description": "Phone number Not Registered",
                "possible_solution": "Register the number: POST /{phone_number_id}/register",
            }],
        })
    };
    let mut m = json!({
        "id": pnid,
        "verified_name": c.verified_name.as_str(),
        "display_phone_number": c.display_phone_number.to_string(),
        "quality_rating": c.quality_rating.as_str(),
        "quality_score": {"score": c.quality_rating.as_str()},
        "code_verification_status": r.code_verification_status(now).as_str(),
        "name_status": "APPROVED",
        "new_name_status": r.name_change.as_ref().map_or("NONE", |n| n.review.as_str()),
        "status": if registered { "CONNECTED" } else { "PENDING" },
        "platform_type": if registered { "CLOUD_API" } else { "NOT_APPLICABLE" },
        "throughput": {"level": throughput_level},
        "account_mode": match c.upstream {
            Upstream::Sandbox(_) => "SANDBOX",
            Upstream::Cloud(_) => "LIVE",
        },
        "is_official_business_account": false,
        "is_pin_enabled": r.is_pin_enabled(),
        "is_preverified_number": false,
        "is_on_biz_app": false,
        "search_visibility": if registered { "VISIBLE" } else { "NON_VISIBLE" },
        "health_status": {
            "can_send_message": if registered { "AVAILABLE" } else { "BLOCKED" },
            "entities": [
                phone_health,
                {"entity_type": "WABA", "id": c.waba_id.as_str(), "can_send_message": "AVAILABLE"},
            ],
        },
        "certificate": certificate(c.verified_name.as_str()),
        "last_onboarded_time": graph_time(c.created_at),
        "conversational_automation": {
            "id": pnid, "enable_welcome_message": false, "prompts": [], "commands": [],
        },
        "whatsapp_business_manager_messaging_limit": c.messaging_limit_tier.as_str(),
        "messaging_limit_tier": c.messaging_limit_tier.as_str(),
        "eligibility_for_api_business_global_search": "NON_ELIGIBLE",
    });
    if let Some(change) = r
        .name_change
        .as_ref()
        .filter(|n| n.review.as_str() == "APPROVED")
    {
        m["new_certificate"] = json!(certificate(change.name.as_str()));
    }
    if let Some((dial, country)) = country_of(c.display_phone_number.digits()) {
        m["country_dial_code"] = json!(dial);
        m["country_code"] = json!(country);
    }
    if let Some(w) = &n.webhooks {
        let mut config = Map::new();
        if let Some(url) = &w.phone_number {
            config.insert("phone_number".into(), json!(url));
        }
        if let Some(url) = &w.application {
            config.insert("application".into(), json!(url));
        }
        m["webhook_configuration"] = Value::Object(config);
    }
    match m {
        Value::Object(m) => m,
        _ => unreachable!("json! object"),
    }
}

/// `n` narrowed to `wanted` (`id` always comes), as Graph's `fields=`: `name{a,b}` keeps
/// only those keys of an object.
fn select(n: &PhoneNumber, wanted: &FieldSelection, now: Timestamp) -> Value {
    let all = fields(n, now);
    let mut out = Map::new();
    for w in wanted {
        let Some(v) = all.get(&w.name) else { continue };
        let v = match (&w.nested, v) {
            (Some(keys), Value::Object(o)) => Value::Object(
                o.iter()
                    .filter(|(k, _)| keys.contains(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            _ => v.clone(),
        };
        out.insert(w.name.clone(), v);
    }
    out.insert("id".into(), json!(n.channel.phone_number_id.as_str()));
    Value::Object(out)
}

pub async fn get_versioned(
    state: State<AppState>,
    auth: Auth,
    Path((version, object_id)): Path<(String, String)>,
    query: Query<FieldsQuery>,
) -> Result<Json<Value>, ApiError> {
    check_version(&version)?;
    get(state, auth, object_id, query).await
}

pub async fn get_unversioned(
    state: State<AppState>,
    auth: Auth,
    Path(object_id): Path<String>,
    query: Query<FieldsQuery>,
) -> Result<Json<Value>, ApiError> {
    get(state, auth, object_id, query).await
}

async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    object_id: String,
    Query(q): Query<FieldsQuery>,
) -> Result<Json<Value>, ApiError> {
    if super::uploads::is_session(&object_id) {
        return super::uploads::get(&state, &p, &object_id).await;
    }
    // A phone number (the common, cached case), else a template id (§7), else a media id,
    // else a WABA.
    let channel = match phone_number(&state, &p, &object_id).await {
        Ok(c) => c,
        Err(not_a_number) if not_a_number.code == ErrorCode::ChannelNotFound => {
            if let Some(t) =
                super::templates::find(&state, &p, &object_id, q.fields.as_deref()).await?
            {
                return Ok(Json(t));
            }
            if let Some(flow) =
                super::flows::get(&state, &p, &object_id, q.fields.as_deref()).await?
            {
                return Ok(Json(flow));
            }
            if let Some(media) = super::media::find(&state, &p, &object_id).await? {
                return Ok(Json(media));
            }
            if let Some(c) =
                super::catalogs::find(&state, &p, &object_id, q.fields.as_deref()).await?
            {
                return Ok(Json(c));
            }
            if let Some(group) =
                super::groups::find(&state, &p, &object_id, q.fields.as_deref()).await?
            {
                return Ok(Json(group));
            }
            return match super::profile::find_waba(&state, &p, &object_id, q.fields.as_deref())
                .await?
            {
                Some(waba) => Ok(Json(waba)),
                None => Err(not_a_number),
            };
        }
        Err(e) => return Err(e),
    };
    let wanted = wanted(q.fields.as_deref())?;
    let now = state.app.now();
    let number = state
        .app
        .phone_number(&p, channel, wants_webhooks(&wanted), now)
        .await?;
    let mut out = select(&number, &wanted, now);
    if out.get("conversational_automation").is_some() {
        out["conversational_automation"] =
            super::phone_settings::automation_field(&state, &p, &number.channel).await?;
    }
    Ok(Json(out))
}

/// `GET /{waba_id}/phone_numbers`: the WABA's numbers the caller's key may use, in creation
/// order, `limit` (1 to 200, default 25) at a time; `after`/`before` are the cursors a page
/// gave. Another account's WABA is Graph's "object does not exist" (100/33).
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let wanted = wanted(q.get("fields").map(String::as_str))?;
    let limit = match q.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ApiError::from(ValidationError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                ))
            })?,
    };
    let cursor_of = |key: &str| {
        q.get(key)
            .map(|c| {
                PhoneNumberId::parse(c)
                    .map_err(|_| ValidationError::new(key, "is not a cursor this list gave"))
            })
            .transpose()
    };
    let cursor = match (cursor_of("after")?, cursor_of("before")?) {
        (Some(after), _) => Cursor::After(after),
        (None, Some(before)) => Cursor::Before(before),
        (None, None) => Cursor::First,
    };
    let now = state.app.now();
    let page = state
        .app
        .list_phone_numbers(&p, &waba, &cursor, limit, wants_webhooks(&wanted), now)
        .await?;
    let data: Vec<Value> = page.items.iter().map(|n| select(n, &wanted, now)).collect();
    let mut out = Map::new();
    out.insert("data".into(), Value::Array(data));
    if let (Some(first), Some(last)) = (page.items.first(), page.items.last()) {
        let (first, last) = (
            first.channel.phone_number_id.as_str(),
            last.channel.phone_number_id.as_str(),
        );
        let mut paging = json!({"cursors": {"before": first, "after": last}});
        let link = |key: &str, cursor: &str| {
            let mut next = q.clone();
            next.remove("after");
            next.remove("before");
            next.insert(key.to_owned(), cursor.to_owned());
            let query = serde_urlencoded::to_string(&next).unwrap_or_default();
            format!("{}{}?{query}", state.base_url, uri.path())
        };
        if page.more_after {
            paging["next"] = json!(link("after", last));
        }
        if page.more_before {
            paging["previous"] = json!(link("before", first));
        }
        out.insert("paging".into(), paging);
    }
    Ok(Json(Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_at_top_level_commas_and_narrow_objects() {
        let w = wanted(Some(
            "id, throughput{level},health_status.phone_number(1),status",
        ))
        .unwrap();
        let names: Vec<&str> = w.names().collect();
        assert_eq!(names, ["id", "throughput", "health_status", "status"]);
        let w: Vec<_> = w.iter().collect();
        let keys = |f: &crate::kit::fields::Field| {
            f.nested
                .as_ref()
                .map(|n| n.names().map(str::to_owned).collect::<Vec<_>>())
        };
        assert_eq!(keys(w[1]), Some(vec!["level".to_owned()]));
        assert_eq!(keys(w[2]), None);
        let defaults = wanted(None).unwrap();
        assert_eq!(defaults.names().count(), 6);
        assert_eq!(wanted(Some(" ")).unwrap(), defaults);
        let e = wanted(Some("id,colour")).unwrap_err();
        assert_eq!(e.code.graph().code, 100);
        assert!(e.message.contains("(colour)"), "{}", e.message);
    }
}
