//! Catalogs and products (Meta's commerce objects behind product, product list and catalog
//! messages, and the `order` a customer sends from a cart).
//!
//! - [`catalog`]: a [`Catalog`] belongs to one account and is linked to at most one WABA
//!   (and a WABA to at most one catalog, as on Meta); [`CatalogName`].
//! - [`product`]: a [`Product`] of one catalog and its fields as newtypes: [`RetailerId`]
//!   (unique per catalog), [`Price`] (minor units of a [`Currency`], formatted as Meta
//!   does: `"$10.99"`), [`Availability`], [`Condition`], [`Visibility`], [`ProductUrl`].
//! - [`references`]: which catalog and products an outbound message or an inbound order
//!   names, read from already-validated content.

pub mod catalog;
pub mod product;
pub mod references;

pub use catalog::{Catalog, CatalogName};
pub use product::{
    Availability, Condition, Currency, NewProduct, Price, Product, ProductDescription, ProductName,
    ProductPatch, ProductText, ProductUrl, RetailerId, Visibility,
};
