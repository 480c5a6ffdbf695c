//! `/{phone_number_id}/whatsapp_business_encryption`: the business public key of a phone
//! number, for WhatsApp Flows endpoints.
//!
//! - `POST` with `business_public_key` (a form, JSON, or the query string): a PEM RSA public
//!   key, SPKI (`-----BEGIN PUBLIC KEY-----`) or PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`),
//!   of 2048 bits → `{"success":true}`. Anything else is Graph's code 100 naming
//!   `business_public_key`, and nothing is stored.
//! - `GET` → `{"data":[{"business_public_key":…,"business_public_key_signature_status":
//!   "VALID"|"MISMATCH"}]}`; `{"data":[]}` while no key is set.
//!
//! An unknown phone number, or another account's, is Graph's 100/33. Cloud channels: the
//! call goes to Meta and Meta's answer comes back as it is; a key Meta accepted is kept by
//! wagate too (see `wagate_app::channels::encryption`).

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use wagate_app::channels::encryption::{Answered, BusinessKeyView};
use wagate_app::upstream::proxy::ProxyAnswer;
use wagate_core::business_key::BusinessPublicKey;
use wagate_core::channel::is_graph_version;
use wagate_core::error::ValidationError;

use super::path::ObjectPath;
use super::phone_number;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::kit::params::{Params, Rules};
use crate::state::AppState;

/// The command of a `POST`.
#[derive(Debug)]
struct SetKey(BusinessPublicKey);

impl TryFrom<&Map<String, Value>> for SetKey {
    type Error = ValidationError;

    fn try_from(p: &Map<String, Value>) -> Result<Self, ValidationError> {
        match p.get("business_public_key") {
            None | Some(Value::Null) => Err(ValidationError::new(
                "business_public_key",
                "is required: a PEM RSA public key (-----BEGIN PUBLIC KEY-----)",
            )),
            Some(Value::String(pem)) => BusinessPublicKey::parse(pem).map(Self),
            Some(_) => Err(ValidationError::new(
                "business_public_key",
                "must be a string: the PEM text of a public key",
            )),
        }
    }
}

/// The `vNN.N` segment the caller used, passed on to Meta for cloud channels.
fn version(uri: &Uri) -> Option<String> {
    uri.path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .filter(|s| is_graph_version(s))
        .map(str::to_owned)
}

/// Meta's answer, as it came.
fn meta(answer: ProxyAnswer) -> Response {
    let mut res = Response::new(Body::from(answer.body));
    *res.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    if let Some(ct) = answer
        .content_type
        .and_then(|ct| HeaderValue::from_str(&ct).ok())
    {
        res.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    res
}

fn view(key: &BusinessKeyView) -> Value {
    json!({
        "business_public_key": key.key.pem(),
        "business_public_key_signature_status": key.signature_status.as_str(),
    })
}

/// `POST /{phone_number_id}/whatsapp_business_encryption`: sets the number's business public
/// key (2048-bit RSA, PEM) → `{"success":true}`.
pub async fn set(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let params = Params::read(
        uri.query(),
        &headers,
        &body,
        Rules::GRAPH.not_an_object("the body must be a JSON object with business_public_key"),
    )?;
    let SetKey(key) = SetKey::try_from(params.as_map())?;
    Ok(
        match state
            .app
            .set_business_public_key(&p, &channel, key, version(&uri))
            .await?
        {
            Answered::Wagate(_) => Json(json!({"success": true})).into_response(),
            Answered::Meta(answer) => meta(answer),
        },
    )
}

/// `GET /{phone_number_id}/whatsapp_business_encryption`: the number's business public key
/// and its signature status.
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
) -> Result<Response, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    Ok(
        match state
            .app
            .business_public_key(&p, &channel, version(&uri))
            .await?
        {
            Answered::Wagate(key) => {
                let data: Vec<Value> = key.iter().map(view).collect();
                Json(json!({ "data": data })).into_response()
            }
            Answered::Meta(answer) => meta(answer),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_key_parameter() {
        for (body, kind) in [
            (json!({}), "is required"),
            (json!({"business_public_key": null}), "is required"),
            (json!({"business_public_key": 42}), "must be a string"),
            (json!({"business_public_key": ["x"]}), "must be a string"),
            (json!({"business_public_key": "x"}), "is not PEM"),
        ] {
            let e = SetKey::try_from(&map(body.clone())).unwrap_err();
            assert_eq!(e.field, "business_public_key", "{body}");
            assert!(e.message.starts_with(kind), "{body}: {}", e.message);
        }
    }

    #[test]
    fn the_version_segment() {
        let uri: Uri = "/v23.0/123/whatsapp_business_encryption".parse().unwrap();
        assert_eq!(version(&uri).as_deref(), Some("v23.0"));
        let uri: Uri = "/123/whatsapp_business_encryption".parse().unwrap();
        assert_eq!(version(&uri), None);
    }
}
