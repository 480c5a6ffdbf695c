//! The object id of a Graph path, with or without its version segment, so one handler
//! serves both `/v23.0/{id}/…` and `/{id}/…`.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use wagate_core::error::ErrorCode;

use super::check_version;
use crate::error::ApiError;

/// `{object_id}` of the matched route, after checking `{version}` if the route has one.
#[derive(Debug, Clone)]
pub struct ObjectPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ObjectPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::new(ErrorCode::RouteNotFound, "unknown path"))?;
        if let Some(version) = params.get("version") {
            check_version(version)?;
        }
        params
            .get("object_id")
            .cloned()
            .map(ObjectPath)
            .ok_or_else(|| ApiError::new(ErrorCode::RouteNotFound, "unknown path"))
    }
}
