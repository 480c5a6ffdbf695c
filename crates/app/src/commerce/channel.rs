//! A channel's catalogs and products wherever they are held: wagate's (the commerce service)
//! for a sandbox channel; Meta's for a cloud channel, whose WABA's catalog lives in Meta's
//! Commerce Manager. Those calls go to Meta with the channel's token (the ones the Cloud
//! plane passes on for such a WABA) and Meta's answer comes back as it came
//! ([`Answered::Meta`]) for the surface to read in its own shapes.
//!
//! A catalog is read only when it is linked to the channel's WABA: another one (or another
//! account's) is "not found", on Meta as here.

use serde_json::Value;
use wagate_core::channel::Channel;
use wagate_core::commerce::{Catalog, Product};
use wagate_core::ids::CatalogId;
use wagate_store::{Entity, Page, ProductFilter, StoreError};

use crate::channels::encryption::Answered;
use crate::error::{Error, Result};
use crate::flows::channel::GraphPage;
use crate::upstream::proxy::ProxyCall;
use crate::{App, Principal};

/// The fields of each product read from Meta.
pub const META_PRODUCT_FIELDS: &str = "id,name,price,image_url,retailer_id";

fn not_found() -> Error {
    Error::Store(StoreError::NotFound(Entity::Catalog))
}

impl App {
    /// The catalogs linked to `channel`'s WABA; Meta's `GET /{waba_id}/product_catalogs`
    /// (`id`, `name`) for a cloud channel.
    pub async fn channel_catalogs(
        &self,
        p: &Principal,
        channel: &Channel,
    ) -> Result<Answered<Vec<Catalog>>> {
        let meta = self
            .meta_answer(channel, || {
                ProxyCall::json(
                    reqwest::Method::GET,
                    format!("{}/product_catalogs", channel.waba_id),
                    &[("fields", "id,name")],
                    None,
                )
            })
            .await?;
        Ok(match meta {
            Some(answer) => Answered::Meta(answer),
            None => Answered::Wagate(
                self.list_catalogs(p, Some(&channel.waba_id), &Page::all())
                    .await?,
            ),
        })
    }

    /// The products of `catalog`, a catalog linked to `channel`'s WABA: all of wagate's
    /// (the caller pages them), or Meta's page `page` of `GET /{catalog_id}/products` for a
    /// cloud channel (once Meta's list of the WABA's catalogs showed it).
    pub async fn channel_products(
        &self,
        p: &Principal,
        channel: &Channel,
        catalog: &CatalogId,
        page: &GraphPage,
    ) -> Result<Answered<Vec<Product>>> {
        match self.channel_catalogs(p, channel).await? {
            Answered::Wagate(linked) => {
                if !linked.iter().any(|c| &c.id == catalog) {
                    return Err(not_found());
                }
                Ok(Answered::Wagate(
                    self.list_products(p, catalog, &ProductFilter::default(), &Page::all())
                        .await?,
                ))
            }
            Answered::Meta(answer) if !answer.is_success() => Ok(Answered::Meta(answer)),
            Answered::Meta(answer) => {
                let listed = answer.json();
                let linked = listed
                    .get("data")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|c| c.get("id").and_then(Value::as_str) == Some(catalog.as_str()));
                if !linked {
                    return Err(not_found());
                }
                let limit = page.limit.to_string();
                let mut pairs = vec![("fields", META_PRODUCT_FIELDS), ("limit", limit.as_str())];
                if let Some(a) = page.after.as_deref() {
                    pairs.push(("after", a));
                }
                if let Some(b) = page.before.as_deref() {
                    pairs.push(("before", b));
                }
                let call = ProxyCall::json(
                    reqwest::Method::GET,
                    format!("{catalog}/products"),
                    &pairs,
                    None,
                );
                Ok(Answered::Meta(self.forward_to_meta(channel, call).await?))
            }
        }
    }
}
