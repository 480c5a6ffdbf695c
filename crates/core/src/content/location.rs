//! `location` messages, both ways: `{latitude, longitude, name?, address?}` (inbound may add
//! `url`). Coordinates sent as strings (heyoo does) are stored as numbers.

use serde_json::Value;

use super::fields::{Fields, coerce_number};
use super::limits::LOCATION_TEXT;
use crate::error::ValidationError;

pub(super) fn parse(mut v: Value) -> Result<Value, ValidationError> {
    if let Some(map) = v.as_object_mut() {
        coerce_number(map, "latitude");
        coerce_number(map, "longitude");
    }
    let f = Fields::of(&v, "location")?;
    f.req_number("latitude", -90.0..=90.0)?;
    f.req_number("longitude", -180.0..=180.0)?;
    f.opt_text("name", LOCATION_TEXT)?;
    f.opt_text("address", LOCATION_TEXT)?;
    f.opt_str("url")?;
    Ok(v)
}
