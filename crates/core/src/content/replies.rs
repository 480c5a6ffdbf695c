//! Inbound `interactive` messages: what a user's tap sends back. A reply button
//! (`button_reply {id, title}`), a list row (`list_reply {id, title, description?}`) or a
//! submitted flow (`nfm_reply {name, body, response_json}`).

use serde_json::Value;

use super::fields::Fields;
use super::limits::{BUTTON_ID, BUTTON_TITLE, ROW_DESCRIPTION, ROW_ID, ROW_TITLE};
use crate::error::ValidationError;

pub(super) fn parse(v: Value) -> Result<Value, ValidationError> {
    let f = Fields::of(&v, "interactive")?;
    match f.req_enum("type", &["button_reply", "list_reply", "nfm_reply"])? {
        "button_reply" => {
            let reply = f.req_child("button_reply")?;
            reply.req_str("id", BUTTON_ID)?;
            reply.req_str("title", BUTTON_TITLE)?;
        }
        "list_reply" => {
            let reply = f.req_child("list_reply")?;
            reply.req_str("id", ROW_ID)?;
            reply.req_str("title", ROW_TITLE)?;
            reply.opt_text("description", ROW_DESCRIPTION)?;
        }
        _ => flow_reply(&f.req_child("nfm_reply")?)?,
    }
    Ok(v)
}

/// A flow or address form's answer; `response_json` is a JSON object in a string.
fn flow_reply(reply: &Fields<'_>) -> Result<(), ValidationError> {
    reply.req_enum("name", &["flow", "address_message"])?;
    reply.req_str("body", usize::MAX)?;
    let json = reply.req_str("response_json", usize::MAX)?;
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(ValidationError::out_of_range(
            reply.path("response_json"),
            "must be a JSON object in a string",
        )),
    }
}
