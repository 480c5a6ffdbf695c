//! `/api/v1/catalogs`: the account's product catalogs for sandbox numbers — create, list,
//! read, delete, and link to (or unlink from) one of the account's WABAs. A WABA takes one
//! catalog, and a linked catalog must be unlinked before it moves (409 `catalog_linked`).
//! Products are managed on the Cloud plane (`/{catalog_id}/products`), as on Meta.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_core::commerce::{Catalog, CatalogName};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{CatalogId, WabaId};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{JsonBody, Query};
use crate::manage::ErrorBody;
use crate::manage::paging::{List, MAX_LIMIT};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, delete))
        .routes(routes!(link, unlink))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCatalog {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// One of the account's WABAs to link it to.
    #[schema(value_type = Option<String>, example = "106540352242922")]
    pub waba_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkCatalog {
    /// One of the account's WABAs.
    #[schema(example = "106540352242922")]
    pub waba_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogView {
    #[schema(example = "804298318132711")]
    pub id: String,
    pub name: String,
    /// The WABA it is linked to, or `null`.
    pub waba_id: Option<String>,
    pub created_at: String,
}

impl From<Catalog> for CatalogView {
    fn from(c: Catalog) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name.as_str().to_owned(),
            waba_id: c.waba_id.map(|w| w.to_string()),
            created_at: c.created_at.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogList {
    pub data: Vec<CatalogView>,
    /// Pass as `after` to get the next page; `null` on the last page.
    pub next_after: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    /// Only the catalog linked to this WABA.
    #[param(pattern = "^[0-9]{1,20}$")]
    pub waba_id: Option<String>,
    /// How many items to return, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Return items after this id (the previous page's `next_after`).
    #[param(pattern = "^[0-9]{1,20}$")]
    pub after: Option<String>,
}

fn catalog_id(raw: &str) -> Result<CatalogId, ApiError> {
    CatalogId::parse(raw)
        .map_err(|_| ApiError::not_found(ErrorCode::CatalogNotFound, "catalog", raw))
}

fn waba_id(raw: &str) -> Result<WabaId, ApiError> {
    WabaId::parse(raw).map_err(|_| ApiError::not_found(ErrorCode::ChannelNotFound, "WABA", raw))
}

fn naming(e: wagate_app::Error, raw: &str) -> ApiError {
    match e.code() {
        ErrorCode::CatalogNotFound => {
            ApiError::not_found(ErrorCode::CatalogNotFound, "catalog", raw)
        }
        ErrorCode::ChannelNotFound => ApiError::new(
            ErrorCode::ChannelNotFound,
            "the WABA is not one of this account's",
        )
        .field("waba_id"),
        _ => e.into(),
    }
}

/// List the account's catalogs in id order.
#[utoipa::path(get, path = "/catalogs", operation_id = "list_catalogs", tag = "catalogs", params(CatalogQuery),
    responses((status = 200, body = CatalogList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<CatalogQuery>,
) -> Result<Json<CatalogList>, ApiError> {
    let bad =
        |field: &str, m: &str| ApiError::new(ErrorCode::InvalidQuery, m.to_owned()).field(field);
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad("limit", "must be between 1 and 100"));
    }
    let after = q
        .after
        .as_deref()
        .map(|a| CatalogId::parse(a).map_err(|_| bad("after", "is not an id from a previous page")))
        .transpose()?;
    let waba = q
        .waba_id
        .as_deref()
        .map(|w| WabaId::parse(w).map_err(|_| bad("waba_id", "must be 1 to 20 digits")))
        .transpose()?;
    let rows = state
        .app
        .list_catalogs(
            &p,
            waba.as_ref(),
            &wagate_store::Page::after(after, limit + 1),
        )
        .await?;
    let list = List::from_rows(
        rows,
        limit as usize,
        |c| c.id.to_string(),
        CatalogView::from,
    );
    Ok(Json(CatalogList {
        data: list.data,
        next_after: list.next_after,
    }))
}

/// Create a catalog, linked to one of the account's WABAs when `waba_id` is given.
#[utoipa::path(post, path = "/catalogs", operation_id = "create_catalog", tag = "catalogs", request_body = CreateCatalog,
    responses((status = 201, body = CatalogView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    JsonBody(body): JsonBody<CreateCatalog>,
) -> Result<(StatusCode, Json<CatalogView>), ApiError> {
    let name = CatalogName::parse(&body.name)?;
    let waba = body
        .waba_id
        .as_deref()
        .map(|w| WabaId::parse(w).map_err(|e| ValidationError::new("waba_id", e.message)))
        .transpose()?;
    let c = state
        .app
        .create_catalog(&p, name, waba)
        .await
        .map_err(|e| naming(e, ""))?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// One catalog.
#[utoipa::path(get, path = "/catalogs/{id}", operation_id = "get_catalog", tag = "catalogs",
    params(("id" = String, Path, description = "Catalog id")),
    responses((status = 200, body = CatalogView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<CatalogView>, ApiError> {
    let c = state
        .app
        .catalog(&p, &catalog_id(&id)?)
        .await
        .map_err(|e| naming(e, &id))?;
    Ok(Json(c.into()))
}

/// Delete a catalog and its products.
#[utoipa::path(delete, path = "/catalogs/{id}", operation_id = "delete_catalog", tag = "catalogs",
    params(("id" = String, Path, description = "Catalog id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .delete_catalog(&p, &catalog_id(&id)?)
        .await
        .map_err(|e| naming(e, &id))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Link a catalog to one of the account's WABAs (a WABA takes one catalog).
#[utoipa::path(put, path = "/catalogs/{id}/link", operation_id = "link_catalog", tag = "catalogs",
    params(("id" = String, Path, description = "Catalog id")), request_body = LinkCatalog,
    responses((status = 200, body = CatalogView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn link(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<LinkCatalog>,
) -> Result<Json<CatalogView>, ApiError> {
    let catalog = catalog_id(&id)?;
    let waba = waba_id(&body.waba_id).map_err(|_| {
        ApiError::new(
            ErrorCode::ChannelNotFound,
            "the WABA is not one of this account's",
        )
        .field("waba_id")
    })?;
    let c = state
        .app
        .link_catalog(&p, &catalog, Some(&waba))
        .await
        .map_err(|e| naming(e, &id))?;
    Ok(Json(c.into()))
}

/// Unlink a catalog from its WABA.
#[utoipa::path(delete, path = "/catalogs/{id}/link", operation_id = "unlink_catalog", tag = "catalogs",
    params(("id" = String, Path, description = "Catalog id")),
    responses((status = 200, body = CatalogView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn unlink(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<CatalogView>, ApiError> {
    let c = state
        .app
        .link_catalog(&p, &catalog_id(&id)?, None)
        .await
        .map_err(|e| naming(e, &id))?;
    Ok(Json(c.into()))
}
