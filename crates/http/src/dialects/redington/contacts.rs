//! §12–§15 contacts: create (`POST …/contact`), get by id (`GET …/contact/{contact_id}`),
//! get by number (`GET …/contact?action=FetchContact&mobile_number=…`) and update
//! (`PATCH …/contact/{contact_id}`), on the account's contact book (the same cards as
//! `/api/v1/contacts`; any project of the account sees them).
//!
//! Choices where the seed is silent or contradicts itself:
//!
//! - **Create of a number that has a contact already** (one a §5 send created, or an
//!   earlier create): the existing contact is answered, 200, with the given name set; its
//!   opt-in becomes `true` unless the person opted out (an opt-out is theirs to lift).
//! - **§14** reads `mobile_number` from the query (the seed calls it a path parameter);
//!   `action` must be `FetchContact` (any case): anything else is a 601.
//! - **§15 `attributes`** is an object of strings (`{"email": "…"}`, as the contact shows
//!   them); the seed's "Array" typing is read too, as `[{"email": "…"}]` or
//!   `[{"name": "email", "value": "…"}]`. A `null` value removes the attribute. Keys are
//!   `a-z`, `0-9` and `_` (kept lowercase), values at most 1,024 characters, at most 100
//!   attributes: the contact book's limits.
//! - Unknown body fields are refused (601 naming them), so a typo never passes silently.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::Value;
use wagate_core::contact::card::{
    AttributeKey, Attributes, ContactCard, ContactCardPatch, ContactName, NewContactCard,
    OptInSource, attribute_value,
};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::ContactCardId;
use wagate_core::phone::PhoneE164;

use super::auth::Project;
use super::wire::contact;
use crate::error::ApiError;
use crate::extract::{Query, parse_json};
use crate::state::AppState;

/// §12's body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: Option<String>,
    mobile_number: Option<String>,
}

/// §15's body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    name: Option<String>,
    blocked: Option<bool>,
    opted_in: Option<bool>,
    attributes: Option<Value>,
}

/// §14's query.
#[derive(Debug, Deserialize)]
pub struct FetchQuery {
    action: Option<String>,
    mobile_number: Option<String>,
}

/// The number of a request's `field`.
pub fn number(field: &'static str, raw: Option<&str>) -> Result<PhoneE164, ValidationError> {
    let raw = raw.ok_or_else(|| ValidationError::missing(field, "is required"))?;
    PhoneE164::parse_field(field, raw)
}

fn name(raw: Option<&str>) -> Result<ContactName, ValidationError> {
    let raw = raw.ok_or_else(|| ValidationError::missing("name", "is required"))?;
    ContactName::parse(raw)
}

/// The card as the Project API shows it.
pub async fn render(
    state: &AppState,
    project: &Project,
    card: &ContactCard,
) -> Result<Value, ApiError> {
    let zone = state.app.account_timezone(&project.principal).await?;
    Ok(contact::object(
        project.channel.id,
        project.principal.account_id,
        card,
        &zone,
        state.app.now(),
    ))
}

/// §12: a new contact, opted in; an existing number's contact gets the name (see the
/// module docs).
pub async fn create(
    State(state): State<AppState>,
    project: Project,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: CreateBody = parse_json(&body)?;
    let name = name(body.name.as_deref())?;
    let wa_id = number("mobile_number", body.mobile_number.as_deref())?;
    let p = &project.principal;
    let new = NewContactCard {
        wa_id: wa_id.clone(),
        name: Some(name.clone()),
        tags: Vec::new(),
        attributes: Default::default(),
        opted_in: Some(true),
        blocked: false,
        timezone: None,
        source: OptInSource::Api,
    };
    let card = match state.app.create_contact(p, new).await {
        Ok(card) => card,
        Err(e) if e.code() == ErrorCode::ContactExists => {
            let existing = state.app.contact_by_number(p, &wa_id).await?;
            let patch = ContactCardPatch {
                name: Some(Some(name)),
                opted_in: existing.opt_in.is_none().then_some(true),
                ..ContactCardPatch::default()
            };
            state
                .app
                .update_contact(p, existing.id, patch, OptInSource::Api)
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Json(render(&state, &project, &card).await?))
}

fn card_id(raw: &str) -> Result<ContactCardId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::ContactNotFound, "contact", raw))
}

/// §13.
pub async fn get(
    State(state): State<AppState>,
    project: Project,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let card = state
        .app
        .get_contact(&project.principal, card_id(&id)?)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ContactNotFound, "contact", &id))?;
    Ok(Json(render(&state, &project, &card).await?))
}

/// §14: `?action=FetchContact&mobile_number=…`.
pub async fn fetch(
    State(state): State<AppState>,
    project: Project,
    Query(q): Query<FetchQuery>,
) -> Result<Json<Value>, ApiError> {
    match q.action.as_deref() {
        Some(a) if a.eq_ignore_ascii_case("FetchContact") => {}
        Some(_) => {
            return Err(ValidationError::new("action", "must be `FetchContact`").into());
        }
        None => {
            return Err(
                ValidationError::missing("action", "is required: `action=FetchContact`").into(),
            );
        }
    }
    let raw = q.mobile_number.as_deref().map(str::trim);
    let wa_id = number("mobile_number", raw)?;
    let card = state
        .app
        .contact_by_number(&project.principal, &wa_id)
        .await
        .map_err(|e| {
            ApiError::naming(
                e,
                ErrorCode::ContactNotFound,
                "contact with mobile number",
                raw.unwrap_or_default(),
            )
        })?;
    Ok(Json(render(&state, &project, &card).await?))
}

/// §15 `attributes`: an object of strings, or the seed's "Array" of one-entry objects or
/// `{name, value}` pairs; `null` values unset.
fn attributes(v: &Value) -> Result<(Attributes, Vec<AttributeKey>), ValidationError> {
    let mut entries: BTreeMap<String, Value> = BTreeMap::new();
    match v {
        Value::Object(o) => entries.extend(o.iter().map(|(k, v)| (k.clone(), v.clone()))),
        Value::Array(items) => {
            for (n, item) in items.iter().enumerate() {
                let Value::Object(o) = item else {
                    return Err(ValidationError::new(
                        format!("attributes[{n}]"),
                        "must be an object like {\"email\": \"…\"}",
                    ));
                };
                let key = o.get("name").or_else(|| o.get("key"));
                match (key, o.get("value")) {
                    (Some(Value::String(k)), Some(value)) if o.len() == 2 => {
                        entries.insert(k.clone(), value.clone());
                    }
                    _ => entries.extend(o.iter().map(|(k, v)| (k.clone(), v.clone()))),
                }
            }
        }
        _ => {
            return Err(ValidationError::new(
                "attributes",
                "must be an object of strings, like {\"email\": \"…\"}",
            ));
        }
    }
    let mut set = Attributes::new();
    let mut unset = Vec::new();
    for (k, v) in entries {
        let key = AttributeKey::parse(&k)?;
        match v {
            Value::Null => unset.push(key),
            Value::String(s) => {
                let s = attribute_value(&key, &s)?;
                set.insert(key, s);
            }
            _ => {
                return Err(ValidationError::new(
                    format!("attributes.{k}"),
                    "must be a string (or null to remove it)",
                ));
            }
        }
    }
    Ok((set, unset))
}

/// §15: name, blocked, opted_in, attributes.
pub async fn update(
    State(state): State<AppState>,
    project: Project,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let card = card_id(&id)?;
    let body: UpdateBody = parse_json(&body)?;
    let mut patch = ContactCardPatch {
        name: body
            .name
            .as_deref()
            .map(|n| ContactName::parse(n).map(Some))
            .transpose()?,
        opted_in: body.opted_in,
        blocked: body.blocked,
        ..ContactCardPatch::default()
    };
    if let Some(a) = &body.attributes {
        let (set, unset) = attributes(a)?;
        patch.set_attributes = set;
        patch.unset_attributes = unset;
    }
    let card = state
        .app
        .update_contact(&project.principal, card, patch, OptInSource::Api)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ContactNotFound, "contact", &id))?;
    Ok(Json(render(&state, &project, &card).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_are_an_object_or_the_seeds_array() {
        let value = |set: &Attributes, k: &str| set.get(&AttributeKey::parse(k).unwrap()).cloned();
        let (set, unset) = attributes(&json!({"Email": "b@example.com", "plan": null})).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(value(&set, "email").as_deref(), Some("b@example.com"));
        assert_eq!(unset[0].as_str(), "plan");
        let (set, _) = attributes(&json!([{"email": "b@example.com"}])).unwrap();
        assert_eq!(value(&set, "email").as_deref(), Some("b@example.com"));
        let (set, _) = attributes(&json!([{"name": "city", "value": "Pune"}])).unwrap();
        assert_eq!(value(&set, "city").as_deref(), Some("Pune"));
        assert!(attributes(&json!("x")).is_err());
        assert!(attributes(&json!({"n": 1})).is_err());
        assert!(attributes(&json!({"first name": "x"})).is_err());
        assert!(attributes(&json!([1])).is_err());
    }
}
