//! `POST /sandbox/{phone_number_id}/flows/complete`: a virtual user finishes a flow the
//! business sent them. Body: `{"wamid": "<the flow message's wamid>", "response_json": {…}}`
//! (`response_json` an object of answers, or its JSON text). The user's `nfm_reply` arrives
//! through the normal inbound path (see `wagate_app::flows::complete`); the answer is the
//! stored inbound message, as `POST /sandbox/{phone_number_id}/inbound` answers.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value};
use wagate_app::flows::complete::CompleteFlow;
use wagate_core::error::ValidationError;
use wagate_core::message::Wamid;

use crate::auth::Auth;
use crate::cloud::phone_number;
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::state::AppState;

/// The request, parsed.
struct Completion(CompleteFlow);

impl TryFrom<&Value> for Completion {
    type Error = ValidationError;

    fn try_from(body: &Value) -> Result<Self, ValidationError> {
        let wamid = match body.get("wamid") {
            Some(Value::String(w)) => Wamid::parse_field("wamid", w)?,
            None | Some(Value::Null) => {
                return Err(ValidationError::missing(
                    "wamid",
                    "is required: the wamid of the flow message the user completes",
                ));
            }
            Some(_) => return Err(ValidationError::new("wamid", "must be a string")),
        };
        let response: Map<String, Value> = match body.get("response_json") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(m)) => m,
                _ => {
                    return Err(ValidationError::new(
                        "response_json",
                        "must be a JSON object of the user's answers (or its text)",
                    ));
                }
            },
            Some(_) => {
                return Err(ValidationError::new(
                    "response_json",
                    "must be a JSON object of the user's answers (or its text)",
                ));
            }
        };
        Ok(Self(CompleteFlow { wamid, response }))
    }
}

pub async fn complete(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(object_id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<crate::manage::messages::MessageView>), ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let body: Value = parse_json(&body)?;
    if !body.is_object() {
        return Err(ValidationError::new("body", "must be a JSON object").into());
    }
    let Completion(cmd) = Completion::try_from(&body)?;
    let message = state.app.complete_flow(&p, &channel, cmd).await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}
