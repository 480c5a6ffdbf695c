//! Stored product catalogs and their products (see `wagate_core::commerce`). A catalog is
//! owned by one account and linked to at most one of its WABAs (and a WABA to at most one
//! catalog); a product belongs to one catalog, its `retailer_id` unique there.
//!
//! Every read and write is scoped by account: another account's catalog or product is
//! `NotFound`, like one that does not exist. Lists are keyset-paged by id (Graph ids of
//! one length, so in id order).

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::commerce::{
    Availability, Catalog, CatalogName, Condition, Currency, Price, Product, ProductDescription,
    ProductName, ProductText, ProductUrl, RetailerId, Visibility,
};
use wagate_core::ids::{AccountId, CatalogId, ProductId, WabaId};

use crate::error::StoreError;
use crate::{Page, Result};

/// Which products a list answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    /// Only these retailer ids (empty: all).
    pub retailer_ids: Vec<RetailerId>,
    pub availability: Option<Availability>,
    pub visibility: Option<Visibility>,
}

/// Catalogs and products (see [`catalogs`](self)). Part of [`Store`](crate::Store).
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Stores a new catalog. `Conflict(GeneratedId)` when its id exists (draw another);
    /// `Conflict(CatalogLinked)` when it is linked to a WABA that has a catalog.
    async fn create_catalog(&self, catalog: Catalog) -> Result<Catalog>;
    /// One of the account's catalogs.
    async fn get_catalog(&self, account: AccountId, id: &CatalogId) -> Result<Catalog>;
    /// The account's catalogs in id order, only those linked to `waba` when given.
    async fn list_catalogs(
        &self,
        account: AccountId,
        waba: Option<&WabaId>,
        page: &Page<CatalogId>,
    ) -> Result<Vec<Catalog>>;
    /// Links the catalog to `waba`, or unlinks it (`None`). `Conflict(CatalogLinked)` when
    /// the WABA has another catalog, or the catalog is linked to another WABA.
    async fn link_catalog(
        &self,
        account: AccountId,
        id: &CatalogId,
        waba: Option<&WabaId>,
    ) -> Result<Catalog>;
    /// Deletes one of the account's catalogs and its products.
    async fn delete_catalog(&self, account: AccountId, id: &CatalogId) -> Result<()>;

    /// Stores a new product of a catalog of its account. `NotFound(Catalog)` when the
    /// catalog is not the account's; `Conflict(RetailerId)` when the catalog has one with
    /// its retailer id; `Conflict(GeneratedId)` when its id exists.
    async fn create_product(&self, product: Product) -> Result<Product>;
    /// One of the account's products.
    async fn get_product(&self, account: AccountId, id: &ProductId) -> Result<Product>;
    /// A catalog's products in id order.
    async fn list_products(
        &self,
        account: AccountId,
        catalog: &CatalogId,
        filter: &ProductFilter,
        page: &Page<ProductId>,
    ) -> Result<Vec<Product>>;
    /// Replaces one of the account's products with `product` (same id and catalog).
    /// `Conflict(RetailerId)` when another product of the catalog has its retailer id.
    async fn update_product(&self, product: Product) -> Result<Product>;
    /// Deletes one of the account's products.
    async fn delete_product(&self, account: AccountId, id: &ProductId) -> Result<()>;
}

/// The catalog columns, in [`CatalogRecord`] order.
#[macro_export]
macro_rules! catalog_columns {
    () => {
        "id, account_id, name, waba_id, created_at"
    };
}

/// The product columns, in [`ProductRecord`] order.
#[macro_export]
macro_rules! product_columns {
    () => {
        "id, catalog_id, account_id, retailer_id, name, description, price, currency, \
         availability, condition, image_url, url, brand, visibility, created_at, updated_at"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CatalogRecord {
    pub id: String,
    pub account_id: uuid::Uuid,
    pub name: String,
    pub waba_id: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductRecord {
    pub id: String,
    pub catalog_id: String,
    pub account_id: uuid::Uuid,
    pub retailer_id: String,
    pub name: String,
    pub description: Option<String>,
    pub price: i64,
    pub currency: String,
    pub availability: String,
    pub condition: String,
    pub image_url: Option<String>,
    pub url: Option<String>,
    pub brand: Option<String>,
    pub visibility: String,
    pub created_at: i64,
    pub updated_at: i64,
}

fn corrupt(what: &'static str) -> impl Fn(String) -> StoreError {
    move |detail| StoreError::Corrupt { what, detail }
}

fn time(what: &'static str, ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|e| corrupt(what)(format!("time: {e}")))
}

impl From<&Catalog> for CatalogRecord {
    fn from(c: &Catalog) -> Self {
        Self {
            id: c.id.as_str().to_owned(),
            account_id: c.account_id.as_uuid(),
            name: c.name.as_str().to_owned(),
            waba_id: c.waba_id.as_ref().map(|w| w.as_str().to_owned()),
            created_at: c.created_at.as_millisecond(),
        }
    }
}

impl TryFrom<CatalogRecord> for Catalog {
    type Error = StoreError;

    fn try_from(r: CatalogRecord) -> Result<Self> {
        let bad = corrupt("catalog");
        Ok(Self {
            id: CatalogId::parse(&r.id).map_err(|e| bad(e.to_string()))?,
            account_id: AccountId::from_uuid(r.account_id),
            name: CatalogName::parse(&r.name).map_err(|e| bad(e.to_string()))?,
            waba_id: r
                .waba_id
                .map(|w| WabaId::parse(&w))
                .transpose()
                .map_err(|e| bad(e.to_string()))?,
            created_at: time("catalog", r.created_at)?,
        })
    }
}

impl From<&Product> for ProductRecord {
    fn from(p: &Product) -> Self {
        let s = |v: &Option<ProductUrl>| v.as_ref().map(|u| u.as_str().to_owned());
        Self {
            id: p.id.as_str().to_owned(),
            catalog_id: p.catalog_id.as_str().to_owned(),
            account_id: p.account_id.as_uuid(),
            retailer_id: p.retailer_id.as_str().to_owned(),
            name: p.name.as_str().to_owned(),
            description: p.description.as_ref().map(|d| d.as_str().to_owned()),
            price: p.price.minor(),
            currency: p.price.currency().code().to_owned(),
            availability: p.availability.as_str().to_owned(),
            condition: p.condition.as_str().to_owned(),
            image_url: s(&p.image_url),
            url: s(&p.url),
            brand: p.brand.as_ref().map(|b| b.as_str().to_owned()),
            visibility: p.visibility.as_str().to_owned(),
            created_at: p.created_at.as_millisecond(),
            updated_at: p.updated_at.as_millisecond(),
        }
    }
}

impl TryFrom<ProductRecord> for Product {
    type Error = StoreError;

    fn try_from(r: ProductRecord) -> Result<Self> {
        let bad = |e: wagate_core::error::ValidationError| corrupt("product")(e.to_string());
        let url = |field: &str, v: Option<String>| {
            v.map(|u| ProductUrl::parse(field, &u))
                .transpose()
                .map_err(bad)
        };
        Ok(Self {
            id: ProductId::parse(&r.id).map_err(bad)?,
            catalog_id: CatalogId::parse(&r.catalog_id).map_err(bad)?,
            account_id: AccountId::from_uuid(r.account_id),
            retailer_id: RetailerId::parse("retailer_id", &r.retailer_id).map_err(bad)?,
            name: ProductName::parse(&r.name).map_err(bad)?,
            description: r
                .description
                .map(|d| ProductDescription::parse(&d))
                .transpose()
                .map_err(bad)?,
            price: Price::new(
                r.price,
                Currency::parse("currency", &r.currency).map_err(bad)?,
            )
            .map_err(bad)?,
            availability: Availability::parse(&r.availability).map_err(bad)?,
            condition: Condition::parse(&r.condition).map_err(bad)?,
            image_url: url("image_url", r.image_url)?,
            url: url("url", r.url)?,
            brand: r
                .brand
                .map(|b| ProductText::parse("brand", &b))
                .transpose()
                .map_err(bad)?,
            visibility: Visibility::parse(&r.visibility).map_err(bad)?,
            created_at: time("product", r.created_at)?,
            updated_at: time("product", r.updated_at)?,
        })
    }
}
