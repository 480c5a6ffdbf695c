//! Catalogs and products: their statements, and [`CatalogStore`] for every [`Backend`] (see
//! [`crate::catalogs`]).

use async_trait::async_trait;
use wagate_core::commerce::{Catalog, Product};
use wagate_core::ids::{AccountId, CatalogId, ProductId, WabaId};

use super::{Backend, Conn, is_unique_violation, query};
use crate::catalogs::{CatalogRecord, ProductFilter, ProductRecord};
use crate::{
    CatalogStore, Conflict, Entity, Page, Result, StoreError, catalog_columns, product_columns,
};

#[async_trait]
impl<B: Backend> CatalogStore for B {
    async fn create_catalog(&self, catalog: Catalog) -> Result<Catalog> {
        self.write(move |c| Box::pin(create_catalog(c, catalog)))
            .await
    }

    async fn get_catalog(&self, account: AccountId, id: &CatalogId) -> Result<Catalog> {
        let id = id.clone();
        self.read(move |c| Box::pin(async move { get_catalog(c, account, &id).await }))
            .await
    }

    async fn list_catalogs(
        &self,
        account: AccountId,
        waba: Option<&WabaId>,
        page: &Page<CatalogId>,
    ) -> Result<Vec<Catalog>> {
        let (waba, page) = (waba.cloned(), page.clone());
        self.read(move |c| {
            Box::pin(async move { list_catalogs(c, account, waba.as_ref(), &page).await })
        })
        .await
    }

    async fn link_catalog(
        &self,
        account: AccountId,
        id: &CatalogId,
        waba: Option<&WabaId>,
    ) -> Result<Catalog> {
        let (id, waba) = (id.clone(), waba.cloned());
        self.write(move |c| {
            Box::pin(async move { link_catalog(c, account, &id, waba.as_ref()).await })
        })
        .await
    }

    async fn delete_catalog(&self, account: AccountId, id: &CatalogId) -> Result<()> {
        let id = id.clone();
        self.write(move |c| Box::pin(async move { delete_catalog(c, account, &id).await }))
            .await
    }

    async fn create_product(&self, product: Product) -> Result<Product> {
        self.write(move |c| Box::pin(create_product(c, product)))
            .await
    }

    async fn get_product(&self, account: AccountId, id: &ProductId) -> Result<Product> {
        let id = id.clone();
        self.read(move |c| Box::pin(async move { get_product(c, account, &id).await }))
            .await
    }

    async fn list_products(
        &self,
        account: AccountId,
        catalog: &CatalogId,
        filter: &ProductFilter,
        page: &Page<ProductId>,
    ) -> Result<Vec<Product>> {
        let (catalog, filter, page) = (catalog.clone(), filter.clone(), page.clone());
        self.read(move |c| {
            Box::pin(async move { list_products(c, account, &catalog, &filter, &page).await })
        })
        .await
    }

    async fn update_product(&self, product: Product) -> Result<Product> {
        self.write(move |c| Box::pin(update_product(c, product)))
            .await
    }

    async fn delete_product(&self, account: AccountId, id: &ProductId) -> Result<()> {
        let id = id.clone();
        self.write(move |c| Box::pin(async move { delete_product(c, account, &id).await }))
            .await
    }
}

fn linked_elsewhere() -> StoreError {
    StoreError::conflict(
        Conflict::CatalogLinked,
        "the WhatsApp Business Account has a catalog linked already; unlink it first",
    )
}

fn retailer_taken(e: StoreError, retailer_id: &str) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::conflict(
            Conflict::RetailerId,
            format!("the catalog has a product with retailer_id `{retailer_id}` already"),
        )
    } else {
        e
    }
}

fn found_catalog(r: Option<CatalogRecord>) -> Result<Catalog> {
    r.ok_or(StoreError::NotFound(Entity::Catalog))?.try_into()
}

fn found_product(r: Option<ProductRecord>) -> Result<Product> {
    r.ok_or(StoreError::NotFound(Entity::Product))?.try_into()
}

pub async fn create_catalog<C: Conn>(c: &mut C, catalog: Catalog) -> Result<Catalog> {
    let r = CatalogRecord::from(&catalog);
    let linked = r.waba_id.is_some();
    c.execute(
        query(concat!(
            "INSERT INTO catalogs (",
            catalog_columns!(),
            ") VALUES ($1, $2, $3, $4, $5)"
        ))
        .bind(r.id)
        .bind(r.account_id)
        .bind(r.name)
        .bind(r.waba_id)
        .bind(r.created_at),
    )
    .await
    .map_err(|e| match (is_unique_violation(&e), linked) {
        (false, _) => e,
        // The id or the WABA: tell them apart by whether the WABA has a catalog.
        (true, false) => StoreError::conflict(Conflict::GeneratedId, "the catalog id exists"),
        (true, true) => linked_elsewhere(),
    })?;
    Ok(catalog)
}

pub async fn get_catalog<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: &CatalogId,
) -> Result<Catalog> {
    let r = c
        .fetch_optional(
            query(concat!(
                "SELECT ",
                catalog_columns!(),
                " FROM catalogs WHERE id = $1 AND account_id = $2"
            ))
            .bind(id.as_str())
            .bind(account.as_uuid()),
        )
        .await?;
    found_catalog(r)
}

pub async fn list_catalogs<C: Conn>(
    c: &mut C,
    account: AccountId,
    waba: Option<&WabaId>,
    page: &Page<CatalogId>,
) -> Result<Vec<Catalog>> {
    let mut q = query(concat!(
        "SELECT ",
        catalog_columns!(),
        " FROM catalogs WHERE account_id = "
    ));
    q.push_bind(account.as_uuid());
    q.push(" AND id > ");
    q.push_bind(page.after.as_ref().map_or("", CatalogId::as_str));
    if let Some(waba) = waba {
        q.push(" AND waba_id = ");
        q.push_bind(waba.as_str());
    }
    q.push(" ORDER BY id LIMIT ");
    q.push_bind(page.sql_limit());
    c.fetch_all::<CatalogRecord>(q)
        .await?
        .into_iter()
        .map(Catalog::try_from)
        .collect()
}

pub async fn link_catalog<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: &CatalogId,
    waba: Option<&WabaId>,
) -> Result<Catalog> {
    let current = get_catalog(c, account, id).await?;
    match (&current.waba_id, waba) {
        (Some(now), Some(new)) if now == new => return Ok(current),
        (Some(_), Some(_)) => {
            return Err(StoreError::conflict(
                Conflict::CatalogLinked,
                "the catalog is linked to another WhatsApp Business Account; unlink it first",
            ));
        }
        (None, None) => return Ok(current),
        _ => {}
    }
    let r = c
        .fetch_optional(
            query(concat!(
                "UPDATE catalogs SET waba_id = $3 WHERE id = $1 AND account_id = $2 RETURNING ",
                catalog_columns!()
            ))
            .bind(id.as_str())
            .bind(account.as_uuid())
            .bind(waba.map(WabaId::as_str)),
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                linked_elsewhere()
            } else {
                e
            }
        })?;
    found_catalog(r)
}

pub async fn delete_catalog<C: Conn>(c: &mut C, account: AccountId, id: &CatalogId) -> Result<()> {
    get_catalog(c, account, id).await?;
    c.execute(
        query("DELETE FROM products WHERE catalog_id = $1 AND account_id = $2")
            .bind(id.as_str())
            .bind(account.as_uuid()),
    )
    .await?;
    c.execute(
        query("DELETE FROM catalogs WHERE id = $1 AND account_id = $2")
            .bind(id.as_str())
            .bind(account.as_uuid()),
    )
    .await?;
    Ok(())
}

pub async fn create_product<C: Conn>(c: &mut C, product: Product) -> Result<Product> {
    // The catalog must be the product's account's.
    get_catalog(c, product.account_id, &product.catalog_id).await?;
    let r = ProductRecord::from(&product);
    let taken = c
        .scalar::<i64>(query("SELECT COUNT(*) FROM products WHERE id = $1").bind(r.id.clone()))
        .await?
        .unwrap_or(0);
    if taken > 0 {
        return Err(StoreError::conflict(
            Conflict::GeneratedId,
            "the product id exists",
        ));
    }
    let retailer = r.retailer_id.clone();
    c.execute(
        query(concat!(
            "INSERT INTO products (",
            product_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(r.id)
        .bind(r.catalog_id)
        .bind(r.account_id)
        .bind(r.retailer_id)
        .bind(r.name)
        .bind(r.description)
        .bind(r.price)
        .bind(r.currency)
        .bind(r.availability)
        .bind(r.condition)
        .bind(r.image_url)
        .bind(r.url)
        .bind(r.brand)
        .bind(r.visibility)
        .bind(r.created_at)
        .bind(r.updated_at),
    )
    .await
    .map_err(|e| retailer_taken(e, &retailer))?;
    Ok(product)
}

pub async fn get_product<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: &ProductId,
) -> Result<Product> {
    let r = c
        .fetch_optional(
            query(concat!(
                "SELECT ",
                product_columns!(),
                " FROM products WHERE id = $1 AND account_id = $2"
            ))
            .bind(id.as_str())
            .bind(account.as_uuid()),
        )
        .await?;
    found_product(r)
}

pub async fn list_products<C: Conn>(
    c: &mut C,
    account: AccountId,
    catalog: &CatalogId,
    filter: &ProductFilter,
    page: &Page<ProductId>,
) -> Result<Vec<Product>> {
    let mut q = query(concat!(
        "SELECT ",
        product_columns!(),
        " FROM products WHERE catalog_id = "
    ));
    q.push_bind(catalog.as_str());
    q.push(" AND account_id = ");
    q.push_bind(account.as_uuid());
    q.push(" AND id > ");
    q.push_bind(page.after.as_ref().map_or("", ProductId::as_str));
    if !filter.retailer_ids.is_empty() {
        q.push(" AND retailer_id IN (");
        for (i, r) in filter.retailer_ids.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push_bind(r.as_str());
        }
        q.push(")");
    }
    if let Some(a) = filter.availability {
        q.push(" AND availability = ");
        q.push_bind(a.as_str());
    }
    if let Some(v) = filter.visibility {
        q.push(" AND visibility = ");
        q.push_bind(v.as_str());
    }
    q.push(" ORDER BY id LIMIT ");
    q.push_bind(page.sql_limit());
    c.fetch_all::<ProductRecord>(q)
        .await?
        .into_iter()
        .map(Product::try_from)
        .collect()
}

pub async fn update_product<C: Conn>(c: &mut C, product: Product) -> Result<Product> {
    let r = ProductRecord::from(&product);
    let retailer = r.retailer_id.clone();
    let done = c
        .execute(
            query(
                "UPDATE products SET retailer_id = $3, name = $4, description = $5, price = $6, \
                 currency = $7, availability = $8, condition = $9, image_url = $10, url = $11, \
                 brand = $12, visibility = $13, updated_at = $14 \
                 WHERE id = $1 AND account_id = $2",
            )
            .bind(r.id)
            .bind(r.account_id)
            .bind(r.retailer_id)
            .bind(r.name)
            .bind(r.description)
            .bind(r.price)
            .bind(r.currency)
            .bind(r.availability)
            .bind(r.condition)
            .bind(r.image_url)
            .bind(r.url)
            .bind(r.brand)
            .bind(r.visibility)
            .bind(r.updated_at),
        )
        .await
        .map_err(|e| retailer_taken(e, &retailer))?;
    if done == 0 {
        return Err(StoreError::NotFound(Entity::Product));
    }
    get_product(c, product.account_id, &product.id).await
}

pub async fn delete_product<C: Conn>(c: &mut C, account: AccountId, id: &ProductId) -> Result<()> {
    let done = c
        .execute(
            query("DELETE FROM products WHERE id = $1 AND account_id = $2")
                .bind(id.as_str())
                .bind(account.as_uuid()),
        )
        .await?;
    if done == 0 {
        return Err(StoreError::NotFound(Entity::Product));
    }
    Ok(())
}
