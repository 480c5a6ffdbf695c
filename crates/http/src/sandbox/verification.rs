//! `GET /sandbox/{phone_number_id}/verification_code`: the code the sandbox last "sent" to a
//! sandbox number with `POST /{phone_number_id}/request_code` (no SMS leaves the sandbox; a
//! developer or a test reads it here, then sends it back with `verify_code`):
//!
//! ```json
//! {"phone_number_id": "106540352242922", "code": "123456", "code_method": "SMS",
//!  "language": "en", "sent_at": "…", "expires_at": "…", "attempts_left": 5}
//! ```
//!
//! `verification_code_not_found` (404) when no code waits (none requested, or verified).

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use wagate_core::Timestamp;

use crate::auth::Auth;
use crate::cloud::phone_number;
use crate::error::ApiError;
use crate::state::AppState;

/// The code waiting to be verified.
#[derive(Debug, Serialize)]
pub struct CodeView {
    pub phone_number_id: String,
    /// The 6 digits to send back with `verify_code`.
    pub code: String,
    /// `SMS` or `VOICE`, as requested.
    pub code_method: &'static str,
    pub language: String,
    pub sent_at: Timestamp,
    /// After this, `verify_code` answers 136025 and a new code is needed.
    pub expires_at: Timestamp,
    /// Wrong guesses the code still takes.
    pub attempts_left: u32,
}

pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(object_id): Path<String>,
) -> Result<Json<CodeView>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let code = state.app.sandbox_verification_code(&p, &channel).await?;
    Ok(Json(CodeView {
        phone_number_id: channel.phone_number_id.as_str().to_owned(),
        code: code.code.as_str().to_owned(),
        code_method: code.method.as_str(),
        language: code.language.as_str().to_owned(),
        sent_at: code.sent_at,
        expires_at: code.expires_at,
        attempts_left: code.attempts_left(),
    }))
}
