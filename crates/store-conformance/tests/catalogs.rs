//! The catalog part of the conformance story: catalogs created, linked to one WABA each and
//! unlinked, listed in pages; products created with a retailer id unique per catalog,
//! filtered, paged, updated and deleted; another account's ids answer "not found"; all kept
//! across a reopen; the same assertions on every Store backend.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::commerce::{
    Availability, Catalog, CatalogName, Condition, Currency, Price, Product, ProductName,
    ProductUrl, RetailerId, Visibility,
};
use wagate_core::ids::{AccountId, CatalogId, ProductId, WabaId};
use wagate_store::{Conflict, Entity, Page, ProductFilter, Store, StoreError, records};
use wagate_store_conformance::{Backend, account_with_channel, plus, story};

story!(catalogs_link_to_one_waba_and_hold_products_unique_by_retailer_id);

fn catalog(a: AccountId, name: &str, waba: Option<&WabaId>, at: Timestamp) -> Catalog {
    Catalog {
        id: CatalogId::generate(),
        account_id: a,
        name: CatalogName::parse(name).unwrap(),
        waba_id: waba.cloned(),
        created_at: at,
    }
}

fn product(c: &Catalog, retailer: &str, at: Timestamp) -> Product {
    Product {
        id: ProductId::generate(),
        catalog_id: c.id.clone(),
        account_id: c.account_id,
        retailer_id: RetailerId::parse("retailer_id", retailer).unwrap(),
        name: ProductName::parse(&format!("Product {retailer} ½")).unwrap(),
        description: None,
        price: Price::new(1099, Currency::parse("currency", "USD").unwrap()).unwrap(),
        availability: Availability::InStock,
        condition: Condition::New,
        image_url: Some(ProductUrl::parse("image_url", "https://img.example/1.png").unwrap()),
        url: None,
        brand: None,
        visibility: Visibility::Published,
        created_at: at,
        updated_at: at,
    }
}

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>, entity: Entity) {
    assert!(
        matches!(&r, Err(StoreError::NotFound(e)) if *e == entity),
        "{r:?}"
    );
}

fn conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, kind: Conflict) {
    assert!(
        matches!(&r, Err(StoreError::Conflict { kind: k, .. }) if *k == kind),
        "{r:?}"
    );
}

async fn catalogs_link_to_one_waba_and_hold_products_unique_by_retailer_id(b: Backend) {
    let s: &Arc<dyn Store> = &b.store;
    let (a, _) = account_with_channel(s, "Acme").await;
    let (other, _) = account_with_channel(s, "Other").await;
    let (waba, waba2) = (WabaId::generate(), WabaId::generate());
    let t0 = records::now();

    // Catalogs: one linked at creation, one unlinked; a second catalog for the same WABA
    // is refused, and nothing is stored.
    let shoes = catalog(a, "Shoes", Some(&waba), t0);
    assert_eq!(s.create_catalog(shoes.clone()).await.unwrap(), shoes);
    let hats = catalog(a, "Hats", None, t0);
    s.create_catalog(hats.clone()).await.unwrap();
    let clash = catalog(a, "Clash", Some(&waba), t0);
    conflict(
        s.create_catalog(clash.clone()).await,
        Conflict::CatalogLinked,
    );
    not_found(s.get_catalog(a, &clash.id).await, Entity::Catalog);
    assert_eq!(s.get_catalog(a, &shoes.id).await.unwrap(), shoes);
    not_found(s.get_catalog(other, &shoes.id).await, Entity::Catalog);
    not_found(
        s.get_catalog(a, &CatalogId::generate()).await,
        Entity::Catalog,
    );

    // Link rules: a WABA takes one catalog; a linked catalog moves only after an unlink.
    conflict(
        s.link_catalog(a, &hats.id, Some(&waba)).await,
        Conflict::CatalogLinked,
    );
    conflict(
        s.link_catalog(a, &shoes.id, Some(&waba2)).await,
        Conflict::CatalogLinked,
    );
    not_found(
        s.link_catalog(other, &hats.id, Some(&waba2)).await,
        Entity::Catalog,
    );
    let linked = s.link_catalog(a, &hats.id, Some(&waba2)).await.unwrap();
    assert_eq!(linked.waba_id.as_ref(), Some(&waba2));
    assert_eq!(
        s.list_catalogs(a, Some(&waba2), &Page::all())
            .await
            .unwrap(),
        vec![linked.clone()]
    );
    let unlinked = s.link_catalog(a, &hats.id, None).await.unwrap();
    assert_eq!(unlinked.waba_id, None);
    assert!(
        s.list_catalogs(a, Some(&waba2), &Page::all())
            .await
            .unwrap()
            .is_empty()
    );
    let mut mine = vec![shoes.clone(), unlinked.clone()];
    mine.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(s.list_catalogs(a, None, &Page::all()).await.unwrap(), mine);
    let first = s.list_catalogs(a, None, &Page::first(1)).await.unwrap();
    assert_eq!(first, mine[..1]);
    assert_eq!(
        s.list_catalogs(a, None, &Page::after(Some(first[0].id.clone()), 5))
            .await
            .unwrap(),
        mine[1..]
    );
    assert!(
        s.list_catalogs(other, None, &Page::all())
            .await
            .unwrap()
            .is_empty()
    );

    // Products: retailer ids unique per catalog, not across catalogs.
    let p1 = product(&shoes, "sku-1", t0);
    assert_eq!(s.create_product(p1.clone()).await.unwrap(), p1);
    let dup = product(&shoes, "sku-1", t0);
    conflict(s.create_product(dup.clone()).await, Conflict::RetailerId);
    not_found(s.get_product(a, &dup.id).await, Entity::Product);
    s.create_product(product(&hats, "sku-1", t0)).await.unwrap();
    // Another account's catalog cannot take products.
    let mut foreign = product(&shoes, "sku-9", t0);
    foreign.account_id = other;
    not_found(s.create_product(foreign).await, Entity::Catalog);
    assert_eq!(s.get_product(a, &p1.id).await.unwrap(), p1);
    not_found(s.get_product(other, &p1.id).await, Entity::Product);

    let mut all = vec![p1.clone()];
    for i in 2..=5 {
        let mut p = product(&shoes, &format!("sku-{i}"), plus(t0, i));
        if i == 3 {
            p.availability = Availability::OutOfStock;
            p.visibility = Visibility::Hidden;
        }
        s.create_product(p.clone()).await.unwrap();
        all.push(p);
    }
    all.sort_by(|x, y| x.id.cmp(&y.id));
    let everything = ProductFilter::default();
    let list = |f: ProductFilter, page: Page<ProductId>| {
        let id = shoes.id.clone();
        async move { s.list_products(a, &id, &f, &page).await.unwrap() }
    };
    assert_eq!(list(everything.clone(), Page::all()).await, all);
    let page1 = list(everything.clone(), Page::first(3)).await;
    assert_eq!(page1, all[..3]);
    let page2 = list(
        everything.clone(),
        Page::after(Some(page1[2].id.clone()), 3),
    )
    .await;
    assert_eq!(page2, all[3..]);
    let some = list(
        ProductFilter {
            retailer_ids: vec![
                RetailerId::parse("r", "sku-2").unwrap(),
                RetailerId::parse("r", "sku-3").unwrap(),
                RetailerId::parse("r", "nope").unwrap(),
            ],
            ..Default::default()
        },
        Page::all(),
    )
    .await;
    assert_eq!(some.len(), 2);
    let hidden = list(
        ProductFilter {
            visibility: Some(Visibility::Hidden),
            ..Default::default()
        },
        Page::all(),
    )
    .await;
    assert_eq!(hidden[0].retailer_id.as_str(), "sku-3");
    assert_eq!(hidden.len(), 1);
    let out = list(
        ProductFilter {
            availability: Some(Availability::OutOfStock),
            ..Default::default()
        },
        Page::all(),
    )
    .await;
    assert_eq!(out.len(), 1);
    assert!(
        s.list_products(other, &shoes.id, &everything, &Page::all())
            .await
            .unwrap()
            .is_empty()
    );

    // Update: every field; a retailer id of another product of the catalog is refused and
    // nothing changes.
    let t1 = plus(t0, 60_000);
    let mut changed = p1.clone();
    changed.name = ProductName::parse("Renamed").unwrap();
    changed.price = Price::new(250, Currency::parse("c", "JPY").unwrap()).unwrap();
    changed.availability = Availability::Preorder;
    changed.updated_at = t1;
    assert_eq!(s.update_product(changed.clone()).await.unwrap(), changed);
    let mut taken = changed.clone();
    taken.retailer_id = RetailerId::parse("r", "sku-2").unwrap();
    conflict(s.update_product(taken).await, Conflict::RetailerId);
    assert_eq!(s.get_product(a, &p1.id).await.unwrap(), changed);
    let mut theirs = changed.clone();
    theirs.account_id = other;
    not_found(s.update_product(theirs).await, Entity::Product);

    // Delete: a product once; another account's not at all.
    not_found(s.delete_product(other, &p1.id).await, Entity::Product);
    s.delete_product(a, &p1.id).await.unwrap();
    not_found(s.delete_product(a, &p1.id).await, Entity::Product);
    not_found(s.get_product(a, &p1.id).await, Entity::Product);

    // What is left is kept across a reopen; deleting a catalog takes its products.
    let kept = list(everything.clone(), Page::all()).await;
    assert_eq!(kept.len(), 4);
    s.close().await;
    let r = (b.reopen)().await;
    assert_eq!(
        r.list_products(a, &shoes.id, &everything, &Page::all())
            .await
            .unwrap(),
        kept
    );
    assert_eq!(r.get_catalog(a, &shoes.id).await.unwrap(), shoes);
    not_found(r.delete_catalog(other, &shoes.id).await, Entity::Catalog);
    r.delete_catalog(a, &shoes.id).await.unwrap();
    not_found(r.get_catalog(a, &shoes.id).await, Entity::Catalog);
    not_found(r.get_product(a, &kept[0].id).await, Entity::Product);
    // The WABA is free again.
    r.link_catalog(a, &hats.id, Some(&waba)).await.unwrap();
    r.close().await;
}
