//! `/api/v1/contacts` and `/api/v1/tags`: the account's contact book. Numbers are parsed
//! once (any spelling of the same E.164 names the same contact); tags must exist before a
//! contact carries them.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_core::Timestamp;
use wagate_core::contact::card::{
    AttributeKey, Attributes, ContactCardPatch, ContactName, NewContactCard, OptInSource, Tag,
    TagChange, TagName, Timezone, attribute_value,
};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{ContactCardId, TagId};
use wagate_core::phone::PhoneE164;
use wagate_store::{ContactCardFilter, TagCount};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{JsonBody, Query};
use crate::kit::params::query_time;
use crate::manage::ErrorBody;
use crate::manage::paging::{List, ListQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(list_tags, create_tag))
        .routes(routes!(rename_tag, delete_tag))
}

/// Most tags one request may name.
const TAGS_MAX: usize = 100;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContact {
    /// The number, in any common spelling (`+44 7700 900123`, `447700900123`).
    #[schema(
        max_length = 32,
        pattern = r"^(\+|00)?[ ().-]*[1-9]([ ().-]*[0-9]){7,14}[ ().-]*$"
    )]
    pub wa_id: String,
    #[schema(
        max_length = 256,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: Option<String>,
    /// Names of existing tags.
    #[schema(schema_with = tag_names_schema)]
    pub tags: Option<Vec<String>>,
    /// String keys (`a-z`, `0-9`, `_`) to string values.
    #[schema(schema_with = attributes_schema)]
    pub attributes: Option<BTreeMap<String, String>>,
    /// Whether the person agreed to marketing messages (absent: not said).
    pub opted_in: Option<bool>,
    /// Refuse sends to the person at the gateway; also blocks them at Meta's level on each
    /// number they wrote to in the last 24 hours (the answer's `block` says where).
    #[serde(default)]
    pub blocked: bool,
    /// The person's time zone: a name of the IANA time zone database (`Europe/London`).
    #[schema(
        max_length = 64,
        pattern = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z][A-Za-z0-9_+-]*)*$"
    )]
    pub timezone: Option<String>,
}

/// Changes to a contact; absent fields stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContact {
    /// A new name; `null` clears it.
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>, max_length = 256, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$")]
    pub name: Option<Option<String>>,
    pub tags: Option<TagsChange>,
    pub attributes: Option<AttributesChange>,
    pub opted_in: Option<bool>,
    /// `true` blocks at the gateway and, on each number the person wrote to in the last 24
    /// hours, at Meta's level; `false` lifts both. The answer's `block` says which applied.
    pub blocked: Option<bool>,
    /// An IANA time zone name (`Europe/London`); `null` clears it.
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>, max_length = 64, pattern = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z][A-Za-z0-9_+-]*)*$")]
    pub timezone: Option<Option<String>>,
}

/// `Some(v)` for a present field, `null` included (`Some(None)`).
fn some<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// How the contact's tags change: `replace` sets them; `add` and `remove` edit them.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagsChange {
    #[schema(schema_with = tag_names_schema)]
    pub add: Option<Vec<String>>,
    #[schema(schema_with = tag_names_schema)]
    pub remove: Option<Vec<String>>,
    #[schema(schema_with = tag_names_schema)]
    pub replace: Option<Vec<String>>,
}

/// Attributes to set (key → value) and to unset (keys).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributesChange {
    #[schema(schema_with = attributes_schema)]
    pub set: Option<BTreeMap<String, String>>,
    #[schema(schema_with = attribute_keys_schema)]
    pub unset: Option<Vec<String>>,
}

/// Text of a name or tag: not blank, no control characters.
const TEXT: &str = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$";
/// An attribute key as given (any case).
const KEY: &str = "^[A-Za-z0-9_]{1,64}$";

fn nullable(t: Type) -> SchemaType {
    SchemaType::from_iter([t, Type::Null])
}

fn tag_names_schema() -> Array {
    ArrayBuilder::new()
        .schema_type(nullable(Type::Array))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(wagate_core::contact::card::TAG_MAX))
                .pattern(Some(TEXT)),
        )
        .max_items(Some(TAGS_MAX))
        .build()
}

fn attribute_keys_schema() -> Array {
    ArrayBuilder::new()
        .schema_type(nullable(Type::Array))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(KEY)),
        )
        .max_items(Some(wagate_core::contact::card::ATTRIBUTES_MAX))
        .build()
}

fn attributes_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(nullable(Type::Object))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(KEY)),
        ))
        .additional_properties(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(wagate_core::contact::card::ATTRIBUTE_VALUE_MAX)),
        ))
        .max_properties(Some(wagate_core::contact::card::ATTRIBUTES_MAX))
        .build()
}

fn tag_names(field: &str, v: &[String]) -> Result<Vec<TagName>, ValidationError> {
    if v.len() > TAGS_MAX {
        return Err(ValidationError::out_of_range(
            field,
            format!("at most {TAGS_MAX} tags"),
        ));
    }
    v.iter()
        .map(|t| TagName::parse(t).map_err(|e| ValidationError::new(field, e.message)))
        .collect()
}

fn attributes(v: &BTreeMap<String, String>) -> Result<Attributes, ValidationError> {
    v.iter()
        .map(|(k, val)| {
            let key = AttributeKey::parse(k)?;
            let val = attribute_value(&key, val)?;
            Ok((key, val))
        })
        .collect()
}

impl CreateContact {
    fn into_command(self) -> Result<NewContactCard, ValidationError> {
        Ok(NewContactCard {
            wa_id: PhoneE164::parse_field("wa_id", &self.wa_id)?,
            name: self.name.as_deref().map(ContactName::parse).transpose()?,
            tags: tag_names("tags", self.tags.as_deref().unwrap_or_default())?,
            attributes: attributes(&self.attributes.unwrap_or_default())?,
            opted_in: self.opted_in,
            blocked: self.blocked,
            timezone: self.timezone.as_deref().map(Timezone::parse).transpose()?,
            source: OptInSource::Api,
        })
    }
}

impl UpdateContact {
    fn into_patch(self) -> Result<ContactCardPatch, ValidationError> {
        let mut patch = ContactCardPatch {
            name: self
                .name
                .map(|n| n.as_deref().map(ContactName::parse).transpose())
                .transpose()?,
            opted_in: self.opted_in,
            blocked: self.blocked,
            timezone: self
                .timezone
                .map(|t| t.as_deref().map(Timezone::parse).transpose())
                .transpose()?,
            ..ContactCardPatch::default()
        };
        if let Some(t) = self.tags {
            if let Some(v) = t.replace {
                patch
                    .tags
                    .push(TagChange::Replace(tag_names("tags.replace", &v)?));
            }
            if let Some(v) = t.add {
                patch.tags.push(TagChange::Add(tag_names("tags.add", &v)?));
            }
            if let Some(v) = t.remove {
                patch
                    .tags
                    .push(TagChange::Remove(tag_names("tags.remove", &v)?));
            }
        }
        if let Some(a) = self.attributes {
            patch.set_attributes = attributes(&a.set.unwrap_or_default())?;
            patch.unset_attributes = a
                .unset
                .unwrap_or_default()
                .iter()
                .map(|k| AttributeKey::parse(k))
                .collect::<Result<_, _>>()?;
        }
        Ok(patch)
    }
}

/// The contact as the API answers it (shared with the `contacts` webhook events).
pub use wagate_core::contact::view::ContactView;

/// A page of contacts and how many match in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    pub data: Vec<ContactView>,
    pub next_after: Option<String>,
    /// Contacts matching the filters, over every page.
    pub total: u64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Only contacts with this tag.
    #[param(
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub tag: Option<String>,
    /// Only contacts whose attribute equals a value: `key:value`.
    #[param(pattern = r"^[A-Za-z0-9_]{1,64}:")]
    pub attribute: Option<String>,
    /// `true`: opted in or not said; `false`: opted out.
    pub opted_in: Option<bool>,
    pub blocked: Option<bool>,
    /// `true`: the person wrote in the last 24 hours (their service window is open).
    pub window_open: Option<bool>,
    /// Last active (a message either way) at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub active_since: Option<String>,
    /// Last active before this time (RFC 3339).
    #[param(format = DateTime)]
    pub active_until: Option<String>,
    /// Part of the name, profile name or number.
    #[param(max_length = 100)]
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    #[param(format = Uuid)]
    pub after: Option<String>,
}

impl ContactQuery {
    pub(crate) fn filter(&self) -> Result<ContactCardFilter, ApiError> {
        let bad = |field: &str, m: String| ApiError::new(ErrorCode::InvalidQuery, m).field(field);
        let attribute = match &self.attribute {
            None => None,
            Some(a) => {
                let (k, v) = a
                    .split_once(':')
                    .ok_or_else(|| bad("attribute", "must be `key:value`".into()))?;
                let key = AttributeKey::parse(k).map_err(|e| bad("attribute", e.message))?;
                Some((key, v.to_owned()))
            }
        };
        if self.q.as_deref().is_some_and(|q| q.chars().count() > 100) {
            return Err(bad("q", "must be at most 100 characters".into()));
        }
        Ok(ContactCardFilter {
            tag: self
                .tag
                .as_deref()
                .map(TagName::parse)
                .transpose()
                .map_err(|e| bad("tag", e.message))?,
            attribute,
            opted_in: self.opted_in,
            blocked: self.blocked,
            search: self.q.clone().filter(|q| !q.trim().is_empty()),
            window_open: self.window_open,
            active_since: query_time("active_since", self.active_since.as_deref())?,
            active_until: query_time("active_until", self.active_until.as_deref())?,
            at: None,
        })
    }
}

fn contact_id(raw: &str) -> Result<ContactCardId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::ContactNotFound, "contact", raw))
}

fn tag_id(raw: &str) -> Result<TagId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::TagNotFound, "tag", raw))
}

/// List the account's contacts, filtered, oldest first, with the total.
#[utoipa::path(get, path = "/contacts", operation_id = "list_contacts", tag = "contacts", params(ContactQuery),
    responses((status = 200, body = ContactList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<ContactQuery>,
) -> Result<Json<ContactList>, ApiError> {
    let filter = q.filter()?;
    let (page, limit) = ListQuery {
        limit: q.limit,
        after: q.after.clone(),
    }
    .page::<ContactCardId>()?;
    let (rows, total) = state.app.list_contacts(&p, &filter, &page).await?;
    let list = List::from_rows(rows, limit, |c| c.id.to_string(), ContactView::from);
    Ok(Json(ContactList {
        data: list.data,
        next_after: list.next_after,
        total,
    }))
}

/// Add a contact. Its tags must exist; a contact of the same number answers 409
/// `contact_exists`, naming the existing contact.
#[utoipa::path(post, path = "/contacts", operation_id = "create_contact", tag = "contacts", request_body = CreateContact,
    responses((status = 201, body = ContactView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    JsonBody(body): JsonBody<CreateContact>,
) -> Result<(StatusCode, Json<ContactView>), ApiError> {
    let new = body.into_command()?;
    let card = state.app.create_contact(&p, new).await.map_err(tag_field)?;
    Ok((StatusCode::CREATED, Json(card.into())))
}

/// A missing tag is named as the request's `tags` field.
fn tag_field(e: wagate_app::Error) -> ApiError {
    let e = ApiError::from(e);
    if e.code == ErrorCode::TagNotFound {
        ApiError::new(
            ErrorCode::TagNotFound,
            "a tag in the request does not exist; create it with POST /api/v1/tags",
        )
        .field("tags")
    } else {
        e
    }
}

/// One contact, by id or by number (any spelling of it).
#[utoipa::path(get, path = "/contacts/{id}", operation_id = "get_contact", tag = "contacts",
    params(("id" = String, Path, description = "Contact id, or the contact's number")),
    responses((status = 200, body = ContactView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<ContactView>, ApiError> {
    let found = match id.parse::<ContactCardId>() {
        Ok(card) => state.app.get_contact(&p, card).await,
        Err(_) => match PhoneE164::parse(&id) {
            Ok(number) => state.app.contact_by_number(&p, &number).await,
            Err(_) => {
                return Err(ApiError::not_found(
                    ErrorCode::ContactNotFound,
                    "contact",
                    &id,
                ));
            }
        },
    };
    let card =
        found.map_err(|e| ApiError::naming(e, ErrorCode::ContactNotFound, "contact", &id))?;
    Ok(Json(card.into()))
}

/// Change a contact: name, tags (`add`, `remove`, `replace`), attributes (`set`, `unset`),
/// opt-in, block.
#[utoipa::path(patch, path = "/contacts/{id}", operation_id = "update_contact", tag = "contacts", request_body = UpdateContact,
    params(("id" = String, Path, description = "Contact id")),
    responses((status = 200, body = ContactView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateContact>,
) -> Result<Json<ContactView>, ApiError> {
    let card = contact_id(&id)?;
    let patch = body.into_patch()?;
    let card = state
        .app
        .update_contact(&p, card, patch, OptInSource::Api)
        .await
        .map_err(|e| {
            if e.code() == ErrorCode::ContactNotFound {
                ApiError::not_found(ErrorCode::ContactNotFound, "contact", &id)
            } else {
                tag_field(e)
            }
        })?;
    Ok(Json(card.into()))
}

/// Erase a contact: its name, tags, attributes and opt-in are deleted; its messages stay.
#[utoipa::path(delete, path = "/contacts/{id}", operation_id = "delete_contact", tag = "contacts",
    params(("id" = String, Path, description = "Contact id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let card = contact_id(&id)?;
    state
        .app
        .delete_contact(&p, card)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ContactNotFound, "contact", &id))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagBody {
    /// 1 to 64 characters; unique in the account ignoring case.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagView {
    pub id: TagId,
    pub name: String,
    /// Contacts carrying the tag.
    pub contacts: u64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl TagView {
    fn of(t: Tag, contacts: u64) -> Self {
        Self {
            id: t.id,
            name: t.name.into(),
            contacts,
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    pub data: Vec<TagView>,
}

/// The account's tags, by name, with their contact counts.
#[utoipa::path(get, path = "/tags", operation_id = "list_tags", tag = "contacts",
    responses((status = 200, body = TagList), (status = 401, body = ErrorBody)))]
pub async fn list_tags(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<TagList>, ApiError> {
    let tags = state.app.list_tags(&p).await?;
    Ok(Json(TagList {
        data: tags
            .into_iter()
            .map(|TagCount { tag, contacts }| TagView::of(tag, contacts))
            .collect(),
    }))
}

/// Create a tag (contacts can carry only existing tags).
#[utoipa::path(post, path = "/tags", operation_id = "create_tag", tag = "contacts", request_body = TagBody,
    responses((status = 201, body = TagView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn create_tag(
    State(state): State<AppState>,
    Auth(p): Auth,
    JsonBody(body): JsonBody<TagBody>,
) -> Result<(StatusCode, Json<TagView>), ApiError> {
    let name = TagName::parse(&body.name).map_err(|e| ValidationError::new("name", e.message))?;
    let tag = state.app.create_tag(&p, name).await?;
    Ok((StatusCode::CREATED, Json(TagView::of(tag, 0))))
}

/// Rename a tag; its contacts keep it.
#[utoipa::path(patch, path = "/tags/{id}", operation_id = "rename_tag", tag = "contacts", request_body = TagBody,
    params(("id" = String, Path, description = "Tag id")),
    responses((status = 200, body = TagView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn rename_tag(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TagBody>,
) -> Result<Json<TagView>, ApiError> {
    let tag = tag_id(&id)?;
    let name = TagName::parse(&body.name).map_err(|e| ValidationError::new("name", e.message))?;
    let TagCount { tag, contacts } = state
        .app
        .rename_tag(&p, tag, name)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::TagNotFound, "tag", &id))?;
    Ok(Json(TagView::of(tag, contacts)))
}

/// Delete a tag; it is taken off every contact.
#[utoipa::path(delete, path = "/tags/{id}", operation_id = "delete_tag", tag = "contacts",
    params(("id" = String, Path, description = "Tag id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_tag(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let tag = tag_id(&id)?;
    state
        .app
        .delete_tag(&p, tag)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::TagNotFound, "tag", &id))?;
    Ok(StatusCode::NO_CONTENT)
}
