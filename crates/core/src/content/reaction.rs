//! `reaction` messages, both ways: `{message_id, emoji}`, where an empty (or, inbound,
//! absent) emoji removes the reaction.

use serde_json::Value;

use super::fields::{Fields, check_max};
use super::limits::REACTION_EMOJI;
use crate::error::{ValidationError, ValidationKind};
use crate::message::Wamid;

/// `emoji_required`: outbound reactions must say `"emoji": ""` to remove one.
pub(super) fn parse(v: Value, emoji_required: bool) -> Result<Value, ValidationError> {
    let f = Fields::of(&v, "reaction")?;
    let field = f.path("message_id");
    let id = f.req_str("message_id", usize::MAX)?;
    Wamid::parse_field(&field, id).map_err(|mut e| {
        e.kind = ValidationKind::OutOfRange;
        e
    })?;
    match f.opt_str("emoji")? {
        Some(emoji) => check_max(&f.path("emoji"), emoji, REACTION_EMOJI)?,
        None if emoji_required => {
            return Err(ValidationError::missing(
                f.path("emoji"),
                "is required; send \"\" to remove a reaction",
            ));
        }
        None => {}
    }
    Ok(v)
}
