//! `GET /{version}/{phone_number_id}`: a business phone number as Graph describes it
//! (reference §1.6), from the channel's stored state.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use wagate_core::channel::{Channel, Upstream};
use wagate_core::error::ErrorCode;

use super::{check_version, phone_number};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct FieldsQuery {
    /// Comma-separated field names; Graph's default set when absent.
    pub fields: Option<String>,
}

/// Fields Graph returns when `fields` is not given.
const DEFAULT_FIELDS: &[&str] = &[
    "verified_name",
    "code_verification_status",
    "display_phone_number",
    "quality_rating",
    "platform_type",
    "throughput",
];

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
    // A phone number (the common, cached case), else a template id (§7), else a media id.
    let channel = match phone_number(&state, &p, &object_id).await {
        Ok(c) => c,
        Err(not_a_number) if not_a_number.code == ErrorCode::ChannelNotFound => {
            if let Some(t) =
                super::templates::find(&state, &p, &object_id, q.fields.as_deref()).await?
            {
                return Ok(Json(t));
            }
            return match super::media::find(&state, &p, &object_id).await? {
                Some(media) => Ok(Json(media)),
                None => Err(not_a_number),
            };
        }
        Err(e) => return Err(e),
    };
    let all = fields(&channel);
    let wanted: Vec<&str> = match &q.fields {
        Some(f) => f
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect(),
        None => DEFAULT_FIELDS.to_vec(),
    };
    let mut out = Map::new();
    for name in wanted {
        let base = name.split(['{', '.']).next().unwrap_or(name);
        if let Some(v) = all.get(base) {
            out.insert(base.to_owned(), v.clone());
        } else {
            return Err(ApiError::new(
                ErrorCode::InvalidQuery,
                format!(
                    "Tried accessing nonexisting field ({base}) on node type (WhatsAppBusinessPhoneNumber)"
                ),
            ));
        }
    }
    out.insert("id".into(), json!(channel.phone_number_id.as_str()));
    Ok(Json(Value::Object(out)))
}

/// Every field wagate knows for a phone number.
fn fields(c: &Channel) -> Map<String, Value> {
    let sandbox = matches!(c.upstream, Upstream::Sandbox(_));
    let throughput_level = if c.throughput.per_second() > 80 {
        "HIGH"
    } else {
        "STANDARD"
    };
    let v = json!({
        "id": c.phone_number_id.as_str(),
        "verified_name": c.verified_name.as_str(),
        "display_phone_number": c.display_phone_number.to_string(),
        "quality_rating": c.quality_rating.as_str(),
        "code_verification_status": "VERIFIED",
        "name_status": "APPROVED",
        "platform_type": "CLOUD_API",
        "throughput": { "level": throughput_level },
        "account_mode": if sandbox { "SANDBOX" } else { "LIVE" },
        "status": "CONNECTED",
        "is_official_business_account": false,
        "whatsapp_business_manager_messaging_limit": c.messaging_limit_tier.as_str(),
        "messaging_limit_tier": c.messaging_limit_tier.as_str(),
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!("json! object"),
    }
}
