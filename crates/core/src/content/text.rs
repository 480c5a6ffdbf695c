//! `text` messages: `{"body": "...", "preview_url": bool}`.

use serde_json::Value;

use super::fields::{Fields, coerce_bool};
use super::limits::TEXT_BODY;
use crate::error::ValidationError;

/// An outbound text object. `preview_url` may be `"true"`/`"false"`; it is stored as a
/// boolean, `false` when absent.
pub(super) fn outbound(mut v: Value) -> Result<Value, ValidationError> {
    if let Some(map) = v.as_object_mut() {
        coerce_bool(map, "preview_url");
    }
    let f = Fields::of(&v, "text")?;
    f.req_str("body", TEXT_BODY)?;
    let preview_url = f.opt_bool("preview_url")?.unwrap_or(false);
    v["preview_url"] = Value::Bool(preview_url);
    Ok(v)
}

/// An inbound text object: just `body`.
pub(super) fn inbound(v: Value) -> Result<Value, ValidationError> {
    Fields::of(&v, "text")?.req_str("body", TEXT_BODY)?;
    Ok(v)
}
