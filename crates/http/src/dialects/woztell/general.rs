//! The General APIs: `GET /waba-info`, `GET`/`PATCH /whatsapp-business-profile`,
//! `GET /whatsapp-displayname-status`, `PUT /media-id`, and the Business Encryption APIs
//! (`POST`/`GET /whatsapp-business-encryption`), on the same services as the Cloud plane's
//! `GET /{waba_id}`, `/{phone_number_id}/whatsapp_business_profile`, `GET /{phone_number_id}`,
//! `POST /{phone_number_id}/media` and `/{phone_number_id}/whatsapp_business_encryption`.
//!
//! - **waba-info**: `waId` and `phoneNumber` are the number's digits, `phoneNumberCC` its
//!   calling code, `formattedPhoneNumber` `+<cc> <rest>`, `name` the verified name,
//!   `namespace` the WABA's template namespace; `embeddedSignup` is `false` (no channel of
//!   wagate's is onboarded through Meta's Embedded Signup by WOZTELL).
//! - **Profile update**: `profile` is Meta's profile object; `website` (the table) and
//!   `websites` (the example) are both read; `profile_picture_url` (which Meta does not take:
//!   it wants an upload handle) is fetched under the media fetcher's guard, kept as an upload
//!   handle and set as the picture; `""` clears a field, as on Meta.
//! - **media-id**: `type` is `image`, `audio`, `video` or `file` (Meta's `document`, also
//!   accepted); the file at `url` is fetched by wagate and must be of that kind (else nothing is
//!   kept); the media id lives 30 days, as the seed says.
//! - **Encryption**: `publicKey` is a 2048-bit RSA public key in PEM (the seed's example,
//!   whose DER prefix is masked as `ABCD`, is refused as not a key). For a cloud channel the
//!   key goes to Meta, and Meta's refusal is answered as `INVALID_PARAMETER`.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};
use wagate_app::media::from::{KeepAs, MediaFrom, Source};
use wagate_app::upstream::proxy::ProxyAnswer;
use wagate_core::business_key::BusinessPublicKey;
use wagate_core::channel::{BusinessProfile, Channel, Upstream};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::profile::{ProfileUpdate, template_namespace};
use wagate_core::registration::country_of;

use super::auth::Call;
use crate::error::ApiError;
use crate::state::AppState;

/// `{"ok": 1}` with `rest`.
pub fn ok(rest: Value) -> Json<Value> {
    let mut out = Map::new();
    out.insert("ok".into(), json!(1));
    if let Value::Object(m) = rest {
        out.extend(m);
    }
    Json(Value::Object(out))
}

/// `GET /waba-info?channelId|wabaId`.
pub async fn waba_info(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    if call.text("channelId")?.is_none() && call.text("wabaId")?.is_none() {
        return Err(ValidationError::missing("channelId", "give channelId or wabaId").into());
    }
    let c = call.channel(&state).await?;
    Ok(ok(json!({ "result": waba_result(&c) })))
}

fn waba_result(c: &Channel) -> Value {
    let digits = c.display_phone_number.digits();
    let (cc, rest) = match country_of(digits) {
        Some((dial, _)) => (dial, &digits[dial.len()..]),
        None => ("", digits),
    };
    json!({
        "waId": digits,
        "phoneNumberId": c.phone_number_id.as_str(),
        "wabaId": c.waba_id.as_str(),
        "name": c.verified_name.as_str(),
        "phoneNumber": digits,
        "phoneNumberCC": cc,
        "formattedPhoneNumber": format!("+{cc} {rest}"),
        "namespace": template_namespace(&c.waba_id),
        "embeddedSignup": false,
        "channelId": c.id.to_string(),
    })
}

/// Meta's profile object, every field set (`vertical` `UNDEFINED` when unset).
fn profile(p: &BusinessProfile) -> Value {
    let mut out = Map::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            out.insert(k.to_owned(), json!(v));
        }
    };
    put("about", p.about.as_ref().map(|v| v.as_str()));
    put("address", p.address.as_ref().map(|v| v.as_str()));
    put("description", p.description.as_ref().map(|v| v.as_str()));
    put("email", p.email.as_ref().map(|v| v.as_str()));
    put("profile_picture_url", p.profile_picture_url.as_deref());
    let websites: Vec<&str> = p.websites.iter().map(|w| w.as_str()).collect();
    out.insert("websites".into(), json!(websites));
    out.insert(
        "vertical".into(),
        json!(p.vertical.map_or("UNDEFINED", |v| v.as_str())),
    );
    out.insert("messaging_product".into(), json!("whatsapp"));
    Value::Object(out)
}

/// The channel `phoneNumberId` names (required here).
async fn phone_number(state: &AppState, call: &Call) -> Result<Channel, ApiError> {
    call.required("phoneNumberId")?;
    call.channel(state).await
}

/// `GET /whatsapp-business-profile?phoneNumberId`.
pub async fn get_profile(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let c = phone_number(&state, &call).await?;
    let p = state
        .app
        .business_profile(&call.principal, &c, &state.base_url)
        .await?;
    Ok(ok(json!({ "data": profile(&p) })))
}

/// `PATCH /whatsapp-business-profile` with `{phoneNumberId, profile}`.
pub async fn update_profile(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let c = phone_number(&state, &call).await?;
    let mut body = match call.params.get("profile") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => {
            return Err(ValidationError::missing("profile", "is required").into());
        }
        Some(_) => return Err(ValidationError::new("profile", "must be an object").into()),
    };
    if let Some(w) = body.remove("website") {
        body.entry("websites").or_insert(w);
    }
    let picture = body.remove("profile_picture_url");
    // Meta's rules on the fields first: nothing is fetched for an update they refuse.
    let at = |e: ValidationError| {
        let mut e = ApiError::from(e);
        e.field = e.field.map(|f| format!("profile.{f}"));
        e
    };
    ProfileUpdate::parse(&Value::Object(body.clone())).map_err(at)?;
    let mut kept = None;
    match picture {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.trim().is_empty() => {
            body.insert("profile_picture_handle".into(), json!(""));
        }
        Some(Value::String(url)) => {
            let got = state
                .app
                .media_from(
                    &call.principal,
                    &c,
                    MediaFrom {
                        source: Source::Link(url.trim().to_owned()),
                        declared: None,
                        filename: None,
                        keep_as: KeepAs::UploadHandle,
                    },
                )
                .await
                .map_err(|e| ApiError::from(e).field("profile.profile_picture_url"))?;
            kept = Some(got.media.id.clone());
            body.insert(
                "profile_picture_handle".into(),
                json!(got.handle.unwrap_or_default()),
            );
        }
        Some(_) => {
            return Err(
                ValidationError::new("profile.profile_picture_url", "must be a string").into(),
            );
        }
    }
    let update = ProfileUpdate::parse(&Value::Object(body)).map_err(at)?;
    let done = state
        .app
        .update_business_profile(&call.principal, &c, update, &state.base_url)
        .await;
    if let Some(id) = kept {
        // The picture has its own media id now (or was refused): the fetched copy goes.
        let _ = state.app.delete_media(&call.principal, &id).await;
    }
    done?;
    Ok(ok(json!({})))
}

/// `GET /whatsapp-displayname-status?phoneNumberId`.
pub async fn displayname_status(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let c = phone_number(&state, &call).await?;
    let now = state.app.now();
    let n = state
        .app
        .phone_number(&call.principal, c, false, now)
        .await?;
    let c = &n.channel;
    Ok(ok(json!({ "data": {
        "account_mode": match c.upstream {
            Upstream::Sandbox(_) => "SANDBOX",
            Upstream::Cloud(_) => "LIVE",
        },
        "verified_name": c.verified_name.as_str(),
        "code_verification_status": n.registration.code_verification_status(now).as_str(),
        "display_phone_number": c.display_phone_number.to_string(),
        "quality_rating": c.quality_rating.as_str(),
        "is_official_business_account": false,
        "messaging_limit_tier": c.messaging_limit_tier.as_str(),
        "id": c.phone_number_id.as_str(),
    }})))
}

/// `PUT /media-id` with `{phoneNumberId, type, url}`.
pub async fn media_id(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let c = phone_number(&state, &call).await?;
    let kind = call.required("type")?;
    let prefix = match kind.as_str() {
        "image" => Some("image/"),
        "audio" => Some("audio/"),
        "video" => Some("video/"),
        "file" | "document" => None,
        other => {
            return Err(ValidationError::new(
                "type",
                format!("`{other}` is not a type: image, audio, video or file"),
            )
            .into());
        }
    };
    let url = call.required("url")?;
    let got = state
        .app
        .media_from(
            &call.principal,
            &c,
            MediaFrom {
                source: Source::Link(url),
                declared: None,
                filename: None,
                keep_as: KeepAs::MediaId,
            },
        )
        .await
        .map_err(|e| ApiError::from(e).field("url"))?;
    let m = got.media;
    if let Some(prefix) = prefix
        && !m.mime_type.starts_with(prefix)
    {
        let _ = state.app.delete_media(&call.principal, &m.id).await;
        return Err(ApiError::new(
            ErrorCode::MediaTypeMismatch,
            format!("the file at url is {}, not {kind}", m.mime_type),
        )
        .field("type"));
    }
    tracing::info!(media_id = %m.id, "woztell media id");
    Ok(ok(json!({"mediaId": m.id.to_string(), "fileType": kind})))
}

/// Meta's answer for a cloud channel: its JSON when it succeeded, else its message as
/// `INVALID_PARAMETER`.
fn meta(answer: ProxyAnswer) -> Result<Value, ApiError> {
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    if (200..300).contains(&answer.status) {
        return Ok(body);
    }
    let said = body
        .pointer("/error/message")
        .and_then(Value::as_str)
        .unwrap_or("Meta refused the call");
    Err(ApiError::new(
        ErrorCode::InvalidParameterValue,
        format!("Meta: {said}"),
    ))
}

/// Meta's answer for a cloud channel: its JSON when it succeeded; else its refusal in this
/// dialect's codes: an object Meta does not know or the token cannot see (Graph's 100/33)
/// is `unknown()`, a lifecycle refusal (Meta's 139xxx) is `refusal`, Meta failing is
/// `INTERNAL_ERROR`, anything else `INVALID_PARAMETER`, each with Meta's words.
pub(super) fn meta_json(
    answer: ProxyAnswer,
    unknown: impl FnOnce() -> ApiError,
    refusal: ErrorCode,
) -> Result<Value, ApiError> {
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    if (200..300).contains(&answer.status) {
        return Ok(body);
    }
    let code = body.pointer("/error/code").and_then(Value::as_i64);
    let sub = body.pointer("/error/error_subcode").and_then(Value::as_i64);
    if code == Some(100) && sub == Some(33) {
        return Err(unknown());
    }
    let said = body
        .pointer("/error/error_user_msg")
        .or_else(|| body.pointer("/error/message"))
        .and_then(Value::as_str)
        .map_or_else(
            || format!("HTTP {} without a reason", answer.status),
            str::to_owned,
        );
    let ours = match code {
        _ if answer.status >= 500 => ErrorCode::NotReady,
        Some(139_000..=139_999) => refusal,
        _ => ErrorCode::InvalidParameterValue,
    };
    Err(ApiError::new(ours, format!("Meta: {said}")))
}

/// `POST /whatsapp-business-encryption` with `{publicKey}`.
pub async fn set_encryption(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let c = call.channel(&state).await?;
    let pem = call.required("publicKey")?;
    let key = BusinessPublicKey::parse(&pem)
        .map_err(|e| ApiError::from(ValidationError::new("publicKey", e.message)))?;
    use wagate_app::channels::encryption::Answered;
    match state
        .app
        .set_business_public_key(&call.principal, &c, key, None)
        .await?
    {
        Answered::Wagate(_) => {}
        Answered::Meta(answer) => {
            meta(answer)?;
        }
    }
    Ok(ok(json!({})))
}

/// `GET /whatsapp-business-encryption`.
pub async fn get_encryption(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Value>, ApiError> {
    let c = call.channel(&state).await?;
    use wagate_app::channels::encryption::Answered;
    let data = match state
        .app
        .business_public_key(&call.principal, &c, None)
        .await?
    {
        Answered::Wagate(key) => key
            .iter()
            .map(|k| {
                json!({
                    "business_public_key": k.key.pem(),
                    "business_public_key_signature_status": k.signature_status.as_str(),
                })
            })
            .collect(),
        Answered::Meta(answer) => meta(answer)?
            .get("data")
            .cloned()
            .unwrap_or_else(|| json!([])),
    };
    Ok(ok(json!({ "data": data })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: Value) -> ProxyAnswer {
        ProxyAnswer {
            status,
            content_type: Some("application/json".into()),
            body: body.to_string().into_bytes(),
        }
    }

    fn unknown() -> ApiError {
        ApiError::new(ErrorCode::FlowNotFound, "no such flow")
    }

    #[test]
    fn metas_answers_read_in_the_dialects_codes() {
        let got = meta_json(
            answer(200, json!({"id": "1"})),
            unknown,
            ErrorCode::FlowDeleteRefused,
        );
        assert_eq!(got.unwrap(), json!({"id": "1"}));
        let err = |status, body| {
            meta_json(answer(status, body), unknown, ErrorCode::FlowDeleteRefused).unwrap_err()
        };
        let e = err(
            400,
            json!({"error": {"code": 100, "error_subcode": 33, "message": "does not exist"}}),
        );
        assert_eq!(e.code, ErrorCode::FlowNotFound);
        let e = err(
            400,
            json!({"error": {"code": 139004, "message": "Flow can't be deleted",
                "error_user_msg": "Only a draft can be deleted"}}),
        );
        assert_eq!(e.code, ErrorCode::FlowDeleteRefused);
        assert_eq!(e.message, "Meta: Only a draft can be deleted");
        let e = err(
            400,
            json!({"error": {"code": 100, "message": "Invalid parameter"}}),
        );
        assert_eq!(
            (e.code, e.message.as_str()),
            (ErrorCode::InvalidParameterValue, "Meta: Invalid parameter")
        );
        let e = err(503, json!("not json"));
        assert_eq!(e.code, ErrorCode::NotReady);
        assert_eq!(e.message, "Meta: HTTP 503 without a reason");
    }
}
