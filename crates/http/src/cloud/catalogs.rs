//! Catalogs and products on the Cloud plane, in Meta's paths and shapes (reference: Meta's
//! Commerce / Catalog Graph API as WhatsApp uses it).
//!
//! - `GET /{waba_id}/product_catalogs[?fields=id,name,product_count,vertical&limit=&after=]`:
//!   the catalog linked to the WABA, paged like every Graph list. `POST` with `catalog_id`
//!   links one of the account's catalogs (a WABA takes one), `DELETE` with `catalog_id`
//!   unlinks it; both answer `{"success":true}`.
//! - `GET /{catalog_id}/products[?fields=&limit=&after=&filter=]`: its products in id order.
//!   `filter` is Meta's JSON rule on `retailer_id` (`eq`, `is_any`), `availability` or
//!   `visibility` (`eq`). `POST` creates one → `{"id": "…"}`.
//! - `GET /{product_id}` (and `GET /{catalog_id}`) go through the one object route, as do
//!   `POST /{product_id}` (update → `{"success":true}`) and `DELETE /{product_id}`.
//!
//! A product write takes its parameters as JSON, a form or the query string (Graph's
//! three ways): `retailer_id`, `name`, `price` (a whole number of the currency's minor
//! unit, `1099` for 10.99, as Meta takes it), `currency` (ISO 4217) and `image_url` are
//! required on create; `description`, `availability`, `condition`, `url`, `brand`,
//! `visibility` are optional. A read answers `price` formatted as Meta shows it (`"$10.99"`).
//! A bad value is Graph's code 100 naming the field; a retailer_id the catalog has is
//! Meta's 10800. Another account's catalog or product is "does not exist" (100/33), like
//! an unknown id.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde_json::{Map, Value, json};
use wagate_core::commerce::{
    Availability, Catalog, Condition, Currency, NewProduct, Price, Product, ProductDescription,
    ProductName, ProductPatch, ProductText, ProductUrl, RetailerId, Visibility,
};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{CatalogId, ProductId};
use wagate_store::{Page, ProductFilter};

use super::path::ObjectPath;
use super::waba;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::kit::fields::FieldSelection;
use crate::kit::params::{Params, Rules};
use crate::state::AppState;

/// Page size when `limit` is absent (Graph's usual default).
const DEFAULT_LIMIT: u32 = 25;

const CATALOG_FIELDS: &[&str] = &["id", "name", "product_count", "vertical"];
const CATALOG_DEFAULT: &[&str] = &["id", "name"];
const PRODUCT_FIELDS: &[&str] = &[
    "id",
    "retailer_id",
    "name",
    "description",
    "price",
    "currency",
    "availability",
    "condition",
    "image_url",
    "url",
    "brand",
    "visibility",
];

/// The fields asked (`id` always), or `default`; unknown names are Graph's code 100.
fn fields(
    param: Option<&str>,
    node: &'static str,
    known: &[&str],
    default: &[&str],
) -> Result<Vec<String>, ApiError> {
    let Some(sel) = FieldSelection::from_param(param)? else {
        return Ok(default.iter().map(|f| (*f).to_owned()).collect());
    };
    sel.check(node, |f| known.contains(&f))?;
    let mut out = vec!["id".to_owned()];
    for name in sel.names() {
        if !out.iter().any(|f| f == name) {
            out.push(name.to_owned());
        }
    }
    Ok(out)
}

async fn catalog_view(
    state: &AppState,
    p: &wagate_app::Principal,
    c: &Catalog,
    fields: &[String],
) -> Result<Value, ApiError> {
    let mut v = Map::new();
    for f in fields {
        let value = match f.as_str() {
            "id" => json!(c.id.as_str()),
            "name" => json!(c.name.as_str()),
            "vertical" => json!("commerce"),
            "product_count" => {
                let all = state
                    .app
                    .list_products(p, &c.id, &ProductFilter::default(), &Page::all())
                    .await?;
                json!(all.len())
            }
            _ => continue,
        };
        v.insert(f.clone(), value);
    }
    Ok(Value::Object(v))
}

/// A product object with `fields` (absent optional fields are left out, as Graph does).
pub fn product_view(pr: &Product, fields: &[String]) -> Value {
    let mut v = Map::new();
    for f in fields {
        let value = match f.as_str() {
            "id" => json!(pr.id.as_str()),
            "retailer_id" => json!(pr.retailer_id.as_str()),
            "name" => json!(pr.name.as_str()),
            "description" => match &pr.description {
                Some(d) => json!(d.as_str()),
                None => continue,
            },
            "price" => json!(pr.price.formatted()),
            "currency" => json!(pr.price.currency().code()),
            "availability" => json!(pr.availability.as_str()),
            "condition" => json!(pr.condition.as_str()),
            "image_url" => match &pr.image_url {
                Some(u) => json!(u.as_str()),
                None => continue,
            },
            "url" => match &pr.url {
                Some(u) => json!(u.as_str()),
                None => continue,
            },
            "brand" => match &pr.brand {
                Some(b) => json!(b.as_str()),
                None => continue,
            },
            "visibility" => json!(pr.visibility.as_str()),
            _ => continue,
        };
        v.insert(f.clone(), value);
    }
    Value::Object(v)
}

/// `limit` (1 to 200, default 25) and `after` (an id a page gave); `before` is refused.
fn page<I>(
    q: &HashMap<String, String>,
    parse: impl Fn(&str) -> Option<I>,
) -> Result<Page<I>, ApiError> {
    let limit = match q.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=Page::<I>::MAX_LIMIT).contains(l))
            .ok_or_else(|| ValidationError::new("limit", "must be a whole number from 1 to 200"))?,
    };
    if q.contains_key("before") {
        return Err(ValidationError::new(
            "before",
            "this list pages forwards only; use after (paging.cursors.after, or paging.next)",
        )
        .into());
    }
    let after = q
        .get("after")
        .map(|a| {
            parse(a).ok_or_else(|| ValidationError::new("after", "is not a cursor this list gave"))
        })
        .transpose()?;
    // One more than asked tells whether there is a next page.
    Ok(Page::after(after, limit + 1))
}

/// `{"data": […], "paging": {"cursors": {…}, "next"?}}` of rows fetched with one extra.
fn paged(
    state: &AppState,
    uri: &Uri,
    q: &HashMap<String, String>,
    limit: u32,
    data: Vec<Value>,
    ids: Vec<String>,
) -> Value {
    let limit = limit.saturating_sub(1) as usize;
    let more = data.len() > limit;
    let data: Vec<Value> = data.into_iter().take(limit).collect();
    let ids: Vec<String> = ids.into_iter().take(limit).collect();
    let mut paging = json!({"cursors": {}});
    if let (Some(first), Some(last)) = (ids.first(), ids.last()) {
        paging["cursors"] = json!({"before": first, "after": last});
        if more {
            let mut next = q.clone();
            next.insert("after".into(), last.clone());
            next.remove("access_token");
            let query = serde_urlencoded::to_string(&next).unwrap_or_default();
            paging["next"] = json!(format!("{}{}?{query}", state.base_url, uri.path()));
        }
    }
    json!({"data": data, "paging": paging})
}

fn params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Params, ApiError> {
    Params::read(
        uri.query(),
        headers,
        body,
        Rules::GRAPH.not_an_object("the body must be a JSON object of the product's fields"),
    )
}

/// A string parameter; numbers are taken as their text, `null` as absent.
fn text(p: &Map<String, Value>, key: &str) -> Result<Option<String>, ValidationError> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ValidationError::new(key, "must be a string")),
    }
}

/// `price`: a whole number of minor units, as a JSON integer or its digits (forms and
/// query strings carry text).
fn price_minor(p: &Map<String, Value>) -> Result<Option<i64>, ValidationError> {
    let whole = || {
        ValidationError::new(
            "price",
            "must be a whole number of the currency's minor unit (1099 for 10.99 USD)",
        )
    };
    let n = match p.get("price") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(whole)?,
        Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| whole())?,
        Some(_) => return Err(whole()),
    };
    if n < 0 {
        return Err(ValidationError::new("price", "must not be negative"));
    }
    Ok(Some(n))
}

/// Every parameter a product write may carry, each parsed; unknown ones are refused.
fn patch(p: &Map<String, Value>) -> Result<ProductPatch, ValidationError> {
    const KNOWN: &[&str] = &[
        "retailer_id",
        "name",
        "description",
        "price",
        "currency",
        "availability",
        "condition",
        "image_url",
        "url",
        "brand",
        "visibility",
        "access_token",
    ];
    if let Some(k) = p.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(ValidationError::new(
            k.clone(),
            "is not a product field wagate takes (retailer_id, name, description, price, \
             currency, availability, condition, image_url, url, brand, visibility)",
        ));
    }
    let url = |key: &str| {
        text(p, key)?
            .map(|u| ProductUrl::parse(key, &u))
            .transpose()
    };
    Ok(ProductPatch {
        retailer_id: text(p, "retailer_id")?
            .map(|r| RetailerId::parse("retailer_id", &r))
            .transpose()?,
        name: text(p, "name")?
            .map(|n| ProductName::parse(&n))
            .transpose()?,
        description: text(p, "description")?
            .map(|d| ProductDescription::parse(&d))
            .transpose()?,
        price_minor: price_minor(p)?,
        currency: text(p, "currency")?
            .map(|c| Currency::parse("currency", &c))
            .transpose()?,
        availability: text(p, "availability")?
            .map(|a| Availability::parse(&a))
            .transpose()?,
        condition: text(p, "condition")?
            .map(|c| Condition::parse(&c))
            .transpose()?,
        image_url: url("image_url")?,
        url: url("url")?,
        brand: text(p, "brand")?
            .map(|b| ProductText::parse("brand", &b))
            .transpose()?,
        visibility: text(p, "visibility")?
            .map(|v| Visibility::parse(&v))
            .transpose()?,
    })
}

/// A create: the patch with Meta's required fields present.
fn new_product(p: &Map<String, Value>) -> Result<NewProduct, ValidationError> {
    let w = patch(p)?;
    let required = |field: &str| {
        ValidationError::new(
            field,
            format!(
                "is required: a product needs retailer_id, name, price, currency and \
                 image_url ({field} is missing)"
            ),
        )
    };
    Ok(NewProduct {
        retailer_id: w.retailer_id.ok_or_else(|| required("retailer_id"))?,
        name: w.name.ok_or_else(|| required("name"))?,
        description: w.description,
        price: Price::new(
            w.price_minor.ok_or_else(|| required("price"))?,
            w.currency.ok_or_else(|| required("currency"))?,
        )?,
        availability: w.availability.unwrap_or_default(),
        condition: w.condition.unwrap_or_default(),
        image_url: Some(w.image_url.ok_or_else(|| required("image_url"))?),
        url: w.url,
        brand: w.brand,
        visibility: w.visibility.unwrap_or_default(),
    })
}

/// Meta's `filter` on a product list (see the module docs).
fn filter(param: Option<&str>) -> Result<ProductFilter, ValidationError> {
    let Some(raw) = param.filter(|f| !f.trim().is_empty()) else {
        return Ok(ProductFilter::default());
    };
    let bad = |m: &str| ValidationError::new("filter", m.to_owned());
    let rules: Map<String, Value> = serde_json::from_str(raw)
        .map_err(|_| bad("must be a JSON object such as {\"retailer_id\":{\"eq\":\"sku-1\"}}"))?;
    let mut out = ProductFilter::default();
    for (key, rule) in &rules {
        let (op, value) = rule
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.iter().next())
            .ok_or_else(|| bad("each rule is one operator and its value: {\"eq\": …}"))?;
        let one = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad("values must be strings"))
        };
        match (key.as_str(), op.as_str()) {
            ("retailer_id", "eq") => {
                out.retailer_ids = vec![RetailerId::parse("filter", &one(value)?)?];
            }
            ("retailer_id", "is_any") => {
                let list = value.as_array().ok_or_else(|| bad("is_any takes a list"))?;
                out.retailer_ids = list
                    .iter()
                    .map(|v| RetailerId::parse("filter", &one(v)?))
                    .collect::<Result<_, _>>()?;
                if out.retailer_ids.is_empty() {
                    return Err(bad("is_any takes at least one value"));
                }
            }
            ("availability", "eq") => {
                out.availability = Some(
                    Availability::parse(&one(value)?)
                        .map_err(|e| ValidationError::new("filter", e.message))?,
                );
            }
            ("visibility", "eq") => {
                out.visibility = Some(
                    Visibility::parse(&one(value)?)
                        .map_err(|e| ValidationError::new("filter", e.message))?,
                );
            }
            _ => {
                return Err(bad(
                    "takes retailer_id (eq, is_any), availability (eq) and visibility (eq)",
                ));
            }
        }
    }
    Ok(out)
}

fn unknown_catalog(id: &str) -> ApiError {
    ApiError::not_found(ErrorCode::CatalogNotFound, "catalog", id)
}

fn catalog_id(id: &str) -> Result<CatalogId, ApiError> {
    CatalogId::parse(id).map_err(|_| unknown_catalog(id))
}

/// `GET /{waba_id}/product_catalogs`.
pub async fn list_catalogs(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let fields = fields(
        q.get("fields").map(String::as_str),
        "ProductCatalog",
        CATALOG_FIELDS,
        CATALOG_DEFAULT,
    )?;
    let page = page(&q, |a| CatalogId::parse(a).ok())?;
    let rows = state.app.list_catalogs(&p, Some(&waba), &page).await?;
    let mut data = Vec::with_capacity(rows.len());
    for c in &rows {
        data.push(catalog_view(&state, &p, c, &fields).await?);
    }
    let ids = rows.iter().map(|c| c.id.as_str().to_owned()).collect();
    Ok(Json(paged(&state, &uri, &q, page.limit, data, ids)))
}

/// The `catalog_id` parameter of a link or unlink.
fn catalog_param(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<CatalogId, ApiError> {
    let p = params(uri, headers, body)?;
    let id = text(p.as_map(), "catalog_id")?
        .ok_or_else(|| ValidationError::new("catalog_id", "is required: the catalog to link"))?;
    catalog_id(&id)
}

/// `POST /{waba_id}/product_catalogs` with `catalog_id`: links the catalog.
pub async fn link(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let id = catalog_param(&uri, &headers, &body)?;
    state
        .app
        .link_catalog(&p, &id, Some(&waba))
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::CatalogNotFound, "catalog", id.as_str()))?;
    Ok(Json(json!({"success": true})))
}

/// `DELETE /{waba_id}/product_catalogs` with `catalog_id`: unlinks the catalog.
pub async fn unlink(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let waba = waba(&state, &p, &object_id).await?;
    let id = catalog_param(&uri, &headers, &body)?;
    state
        .app
        .unlink_catalog_from(&p, &id, &waba)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::CatalogNotFound, "catalog", id.as_str()))?;
    Ok(Json(json!({"success": true})))
}

/// `GET /{catalog_id}/products`.
pub async fn list_products(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let id = catalog_id(&object_id)?;
    let fields = fields(
        q.get("fields").map(String::as_str),
        "ProductItem",
        PRODUCT_FIELDS,
        PRODUCT_FIELDS,
    )?;
    let filter = filter(q.get("filter").map(String::as_str))?;
    let page = page(&q, |a| ProductId::parse(a).ok())?;
    let rows = state
        .app
        .list_products(&p, &id, &filter, &page)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::CatalogNotFound, "catalog", &object_id))?;
    let data = rows.iter().map(|pr| product_view(pr, &fields)).collect();
    let ids = rows.iter().map(|pr| pr.id.as_str().to_owned()).collect();
    Ok(Json(paged(&state, &uri, &q, page.limit, data, ids)))
}

/// `POST /{catalog_id}/products` → `{"id": "…"}`.
pub async fn create_product(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = catalog_id(&object_id)?;
    let params = params(&uri, &headers, &body)?;
    // As on Meta, an unknown catalog is answered as such whatever the body says.
    state
        .app
        .catalog(&p, &id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::CatalogNotFound, "catalog", &object_id))?;
    let new = new_product(params.as_map())?;
    let pr = state
        .app
        .create_product(&p, &id, new)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::CatalogNotFound, "catalog", &object_id))?;
    Ok(Json(json!({"id": pr.id.as_str()})))
}

/// `GET /{object_id}` of a catalog or product of the caller's account, if it is one.
pub async fn find(
    state: &AppState,
    p: &wagate_app::Principal,
    object_id: &str,
    fields_param: Option<&str>,
) -> Result<Option<Value>, ApiError> {
    if let Ok(id) = ProductId::parse(object_id)
        && let Ok(pr) = state.app.product(p, &id).await
    {
        let f = fields(fields_param, "ProductItem", PRODUCT_FIELDS, PRODUCT_FIELDS)?;
        return Ok(Some(product_view(&pr, &f)));
    }
    if let Ok(id) = CatalogId::parse(object_id)
        && let Ok(c) = state.app.catalog(p, &id).await
    {
        let f = fields(
            fields_param,
            "ProductCatalog",
            CATALOG_FIELDS,
            CATALOG_DEFAULT,
        )?;
        return Ok(Some(catalog_view(state, p, &c, &f).await?));
    }
    Ok(None)
}

/// `POST /{product_id}`: updates the caller's product, if `object_id` is one.
pub async fn edit(
    state: &AppState,
    p: &wagate_app::Principal,
    object_id: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<Json<Value>>, ApiError> {
    let Ok(id) = ProductId::parse(object_id) else {
        return Ok(None);
    };
    if state.app.product(p, &id).await.is_err() {
        return Ok(None);
    }
    let params = Params::read(
        query,
        headers,
        body,
        Rules::GRAPH.not_an_object("the body must be a JSON object of the product's fields"),
    )?;
    let patch = patch(params.as_map())?;
    if patch.is_empty() {
        return Err(ValidationError::new("body", "names no product field to change").into());
    }
    state
        .app
        .update_product(p, &id, patch)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ProductNotFound, "product", object_id))?;
    Ok(Some(Json(json!({"success": true}))))
}

/// `DELETE /{product_id}`: deletes the caller's product, if `object_id` is one.
pub async fn delete(
    state: &AppState,
    p: &wagate_app::Principal,
    object_id: &str,
) -> Result<Option<Json<Value>>, ApiError> {
    let Ok(id) = ProductId::parse(object_id) else {
        return Ok(None);
    };
    // Anything that is not one of the caller's products goes on down the chain (media).
    if state.app.product(p, &id).await.is_err() {
        return Ok(None);
    }
    state
        .app
        .delete_product(p, &id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ProductNotFound, "product", object_id))?;
    Ok(Some(Json(json!({"success": true}))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn full() -> Value {
        json!({"retailer_id": "sku-1", "name": "Shoe", "price": 1099, "currency": "usd",
               "image_url": "https://img.example/s.png"})
    }

    #[test]
    fn creates_need_metas_fields_and_take_prices_in_minor_units() {
        let n = new_product(&map(full())).unwrap();
        assert_eq!(n.price.formatted(), "$10.99");
        assert_eq!(n.availability, Availability::InStock);
        let mut v = full();
        v["price"] = json!("250");
        v["currency"] = json!("JPY");
        assert_eq!(new_product(&map(v)).unwrap().price.formatted(), "¥250");
        for (key, value) in [
            ("price", json!(-1)),
            ("price", json!(10.99)),
            ("price", json!("ten")),
            ("price", json!(true)),
            ("currency", json!("XYZ")),
            ("name", json!("x".repeat(151))),
            ("name", json!(["x"])),
            ("retailer_id", json!("")),
            ("image_url", json!("not a url")),
            ("availability", json!("sold")),
            ("visibility", json!("secret")),
            ("colour", json!("red")),
        ] {
            let mut v = full();
            v[key] = value.clone();
            let e = new_product(&map(v)).unwrap_err();
            assert_eq!(e.field, key, "{key}={value}");
            assert_eq!(e.code(), ErrorCode::InvalidRequest, "{key}={value}");
        }
        for key in ["retailer_id", "name", "price", "currency", "image_url"] {
            let mut v = full();
            v.as_object_mut().unwrap().remove(key);
            assert_eq!(new_product(&map(v)).unwrap_err().field, key);
        }
    }

    #[test]
    fn filters() {
        assert_eq!(filter(None).unwrap(), ProductFilter::default());
        let f = filter(Some(
            r#"{"retailer_id":{"is_any":["a","b"]},"availability":{"eq":"in stock"}}"#,
        ))
        .unwrap();
        assert_eq!(f.retailer_ids.len(), 2);
        assert_eq!(f.availability, Some(Availability::InStock));
        for bad in [
            "x",
            r#"{"name":{"eq":"a"}}"#,
            r#"{"retailer_id":{"gt":"a"}}"#,
            r#"{"retailer_id":{"is_any":[]}}"#,
        ] {
            assert_eq!(filter(Some(bad)).unwrap_err().field, "filter", "{bad}");
        }
    }
}
