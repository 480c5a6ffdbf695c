//! Catalogs and products, and the checks messages that name them pass.
//!
//! - A catalog belongs to the account; linking it to one of the account's WABAs (at most one
//!   catalog per WABA, as on Meta) lets that WABA's phone numbers send product, product list
//!   and catalog messages and catalog / multi-product template buttons, and lets its users
//!   order from it. Writes need an account-wide key.
//! - [`App::check_catalog_use`] is the send path's one call: for a sandbox channel whose
//!   WABA has a catalog linked, the catalog a message names must be that one, each product
//!   named must be in it and visible, no product may be named twice (Meta's 131009 for
//!   each refusal), and a catalog message needs the catalog visible
//!   (`whatsapp_commerce_settings` `is_catalog_visible`). Out-of-stock products may be
//!   shown: WhatsApp shows them as such. A Cloud channel's catalog lives on Meta, which
//!   checks its own sends. A sandbox WABA with no catalog linked is not checked, as before
//!   catalogs were modelled: existing demos and SDK suites that send made-up catalog ids
//!   keep working, and linking a catalog turns Meta's rules on.
//! - [`App::check_template_catalog_buttons`]: a template with a `CATALOG` or `MPM` button is
//!   created only in a WABA with a catalog linked (as Meta refuses one without an
//!   e-commerce catalog connected); a WABA with a cloud number is Meta's to judge.
//! - [`App::check_order`]: with a catalog linked, a virtual user's `order` must be for it, its
//!   products visible and orderable (in stock, preorder, available for order), and the cart
//!   enabled (`is_cart_enabled`).
//! - [`channel`]: a channel's catalogs and products wherever they are held: wagate's for a sandbox channel, Meta's for a cloud channel.

pub mod channel;

use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};
use wagate_core::channel::{Channel, Upstream};
use wagate_core::commerce::references::{CatalogUse, CatalogUseKind};
use wagate_core::commerce::{Catalog, CatalogName, NewProduct, Product, ProductPatch, Visibility};
use wagate_core::content::Content;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{AccountId, CatalogId, ProductId, WabaId};
use wagate_core::template::{Button, ButtonType, Component, TemplateDraft};
use wagate_store::{Page, ProductFilter, StoreError};

use crate::error::{Error, Result};
use crate::{App, Principal};

/// Draws of a fresh id before giving up.
const ID_DRAWS: usize = 3;

impl App {
    /// A new catalog, linked to `waba` (one of the account's) when given.
    #[tracing::instrument(skip_all, fields(account_id = %p.account_id))]
    pub async fn create_catalog(
        &self,
        p: &Principal,
        name: CatalogName,
        waba: Option<WabaId>,
    ) -> Result<Catalog> {
        p.require_account_wide()?;
        if let Some(w) = &waba {
            self.waba(p, w).await?;
        }
        let at = self.now();
        for _ in 0..ID_DRAWS {
            let catalog = Catalog {
                id: CatalogId::generate(),
                account_id: p.account_id,
                name: name.clone(),
                waba_id: waba.clone(),
                created_at: at,
            };
            match self.store.create_catalog(catalog).await {
                Ok(c) => {
                    self.audit_commerce(p, AuditAction::CatalogCreate, TargetKind::Catalog, &c.id)
                        .await;
                    return Ok(c);
                }
                Err(StoreError::Conflict {
                    kind: wagate_store::Conflict::GeneratedId,
                    ..
                }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Failed(
            ErrorCode::Internal,
            "no free catalog id was found; try again".into(),
        ))
    }

    pub async fn catalog(&self, p: &Principal, id: &CatalogId) -> Result<Catalog> {
        Ok(self.store.get_catalog(p.account_id, id).await?)
    }

    /// The account's catalogs, or those linked to `waba` (one of the account's).
    pub async fn list_catalogs(
        &self,
        p: &Principal,
        waba: Option<&WabaId>,
        page: &Page<CatalogId>,
    ) -> Result<Vec<Catalog>> {
        Ok(self.store.list_catalogs(p.account_id, waba, page).await?)
    }

    /// Links the catalog to `waba` (one of the account's), or unlinks it (`None`).
    #[tracing::instrument(skip_all, fields(catalog_id = %id))]
    pub async fn link_catalog(
        &self,
        p: &Principal,
        id: &CatalogId,
        waba: Option<&WabaId>,
    ) -> Result<Catalog> {
        p.require_account_wide()?;
        // The catalog first: another account's answers "not found" whatever the WABA.
        self.catalog(p, id).await?;
        if let Some(w) = waba {
            self.waba(p, w).await?;
        }
        let c = self.store.link_catalog(p.account_id, id, waba).await?;
        let action = if waba.is_some() {
            AuditAction::CatalogLink
        } else {
            AuditAction::CatalogUnlink
        };
        self.audit_commerce(p, action, TargetKind::Catalog, id)
            .await;
        Ok(c)
    }

    /// Unlinks the catalog from `waba`, which it must be linked to.
    pub async fn unlink_catalog_from(
        &self,
        p: &Principal,
        id: &CatalogId,
        waba: &WabaId,
    ) -> Result<Catalog> {
        let c = self.catalog(p, id).await?;
        if c.waba_id.as_ref() != Some(waba) {
            return Err(ValidationError::new(
                "catalog_id",
                format!("catalog {id} is not linked to WhatsApp Business Account {waba}"),
            )
            .into());
        }
        self.link_catalog(p, id, None).await
    }

    #[tracing::instrument(skip_all, fields(catalog_id = %id))]
    pub async fn delete_catalog(&self, p: &Principal, id: &CatalogId) -> Result<()> {
        p.require_account_wide()?;
        self.store.delete_catalog(p.account_id, id).await?;
        self.audit_commerce(p, AuditAction::CatalogDelete, TargetKind::Catalog, id)
            .await;
        Ok(())
    }

    /// A new product of one of the account's catalogs.
    #[tracing::instrument(skip_all, fields(catalog_id = %catalog))]
    pub async fn create_product(
        &self,
        p: &Principal,
        catalog: &CatalogId,
        new: NewProduct,
    ) -> Result<Product> {
        p.require_account_wide()?;
        let at = self.now();
        for _ in 0..ID_DRAWS {
            let product =
                new.clone()
                    .into_product(ProductId::generate(), catalog.clone(), p.account_id, at);
            match self.store.create_product(product).await {
                Ok(pr) => {
                    self.audit_commerce(p, AuditAction::ProductCreate, TargetKind::Product, &pr.id)
                        .await;
                    return Ok(pr);
                }
                Err(StoreError::Conflict {
                    kind: wagate_store::Conflict::GeneratedId,
                    ..
                }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Failed(
            ErrorCode::Internal,
            "no free product id was found; try again".into(),
        ))
    }

    pub async fn product(&self, p: &Principal, id: &ProductId) -> Result<Product> {
        Ok(self.store.get_product(p.account_id, id).await?)
    }

    /// One of the account's catalogs' products, in id order.
    pub async fn list_products(
        &self,
        p: &Principal,
        catalog: &CatalogId,
        filter: &ProductFilter,
        page: &Page<ProductId>,
    ) -> Result<Vec<Product>> {
        self.catalog(p, catalog).await?;
        Ok(self
            .store
            .list_products(p.account_id, catalog, filter, page)
            .await?)
    }

    #[tracing::instrument(skip_all, fields(product_id = %id))]
    pub async fn update_product(
        &self,
        p: &Principal,
        id: &ProductId,
        patch: ProductPatch,
    ) -> Result<Product> {
        p.require_account_wide()?;
        let current = self.product(p, id).await?;
        let next = patch.apply(&current, self.now())?;
        let pr = self.store.update_product(next).await?;
        self.audit_commerce(p, AuditAction::ProductUpdate, TargetKind::Product, id)
            .await;
        Ok(pr)
    }

    #[tracing::instrument(skip_all, fields(product_id = %id))]
    pub async fn delete_product(&self, p: &Principal, id: &ProductId) -> Result<()> {
        p.require_account_wide()?;
        self.store.delete_product(p.account_id, id).await?;
        self.audit_commerce(p, AuditAction::ProductDelete, TargetKind::Product, id)
            .await;
        Ok(())
    }

    async fn audit_commerce(
        &self,
        p: &Principal,
        action: AuditAction,
        kind: TargetKind,
        id: impl std::fmt::Display,
    ) {
        self.audit(p, action, AuditTarget::new(kind, id), AuditSummary::new(""))
            .await;
    }

    /// Refuses a template with a `CATALOG` or `MPM` button about to be created in `waba`
    /// when no catalog is linked to it (see the module docs). Nothing is stored by it.
    pub async fn check_template_catalog_buttons(
        &self,
        account: AccountId,
        waba: &WabaId,
        draft: &TemplateDraft,
    ) -> Result<()> {
        let buttons = draft.components().iter().flat_map(|c| match c {
            Component::Buttons(buttons) => buttons.as_slice(),
            _ => &[],
        });
        let Some((i, kind)) = buttons.enumerate().find_map(|(i, b)| match b {
            Button::Labelled { kind, .. }
                if matches!(kind, ButtonType::Catalog | ButtonType::Mpm) =>
            {
                Some((i, *kind))
            }
            _ => None,
        }) else {
            return Ok(());
        };
        let channels = self.store.list_channels(account, &Page::all()).await?;
        if channels
            .iter()
            .any(|c| &c.waba_id == waba && !matches!(c.upstream, Upstream::Sandbox(_)))
        {
            return Ok(());
        }
        let linked = self
            .store
            .list_catalogs(account, Some(waba), &Page::first(1))
            .await?;
        if !linked.is_empty() {
            return Ok(());
        }
        // Meta publishes no code of its own for this refusal; 131009 (invalid parameter
        // value, naming the button) is the closest in the table, and the one the FLOW
        // buttons' checks answer with.
        Err(ValidationError::out_of_range(
            format!("components.buttons[{i}]"),
            format!(
                "a {} button needs a product catalog connected to this WhatsApp Business \
                 Account: link one first (PUT /api/v1/catalogs/{{id}}/link)",
                kind.as_str()
            ),
        )
        .into())
    }

    /// The catalog linked to the channel's WABA, if any.
    async fn linked_catalog(&self, channel: &Channel) -> Result<Option<Catalog>> {
        Ok(self
            .store
            .list_catalogs(channel.account_id, Some(&channel.waba_id), &Page::first(1))
            .await?
            .into_iter()
            .next())
    }

    /// The send path's check of the catalog and products an outbound message names (see
    /// the module docs). Nothing is stored by it; a refusal is Meta's 131009 naming the
    /// field.
    pub async fn check_catalog_use(&self, channel: &Channel, content: &Content) -> Result<()> {
        if !matches!(channel.upstream, Upstream::Sandbox(_)) {
            return Ok(());
        }
        // Read before the store is asked, but refused only once a catalog is linked.
        let used = CatalogUse::outbound(content);
        if matches!(used, Ok(None)) {
            return Ok(());
        }
        let Some(linked) = self.linked_catalog(channel).await? else {
            return Ok(());
        };
        let Some(used) = used? else {
            return Ok(());
        };
        if used.kind == CatalogUseKind::CatalogMessage
            && !self
                .store
                .business_profile(channel.account_id, channel.id)
                .await?
                .commerce
                .is_catalog_visible
        {
            return Err(ValidationError::out_of_range(
                "interactive.type",
                "the catalog is hidden on this phone number (whatsapp_commerce_settings \
                 is_catalog_visible is false); make it visible to send catalog messages",
            )
            .into());
        }
        self.check_products(&linked, &used).await.map(drop)
    }

    /// The sandbox's check of a virtual user's `order` (see the module docs).
    pub async fn check_order(&self, channel: &Channel, content: &Content) -> Result<()> {
        // Read before the store is asked, but refused only once a catalog is linked.
        let used = CatalogUse::order(content);
        if matches!(used, Ok(None)) {
            return Ok(());
        }
        let Some(linked) = self.linked_catalog(channel).await? else {
            return Ok(());
        };
        let Some(used) = used? else {
            return Ok(());
        };
        if !self
            .store
            .business_profile(channel.account_id, channel.id)
            .await?
            .commerce
            .is_cart_enabled
        {
            return Err(ValidationError::new(
                "order",
                "the cart is disabled on this phone number (whatsapp_commerce_settings \
                 is_cart_enabled is false): its users cannot order",
            )
            .into());
        }
        let products = self.check_products(&linked, &used).await?;
        for ((field, id), product) in used.products.iter().zip(&products) {
            if !product.availability.orderable() {
                return Err(ValidationError::new(
                    field.clone(),
                    format!(
                        "product `{id}` is {} and cannot be ordered",
                        product.availability.as_str()
                    ),
                )
                .into());
            }
        }
        Ok(())
    }

    /// The catalog named (if any) is `linked`, and each product named is in it and
    /// published; the products, in the order named.
    async fn check_products(&self, linked: &Catalog, used: &CatalogUse) -> Result<Vec<Product>> {
        let refuse = |field: &str, message: String| -> Error {
            if used.kind == CatalogUseKind::Order {
                ValidationError::new(field, message).into()
            } else {
                ValidationError::out_of_range(field, message).into()
            }
        };
        if let Some((field, named)) = &used.catalog_id
            && linked.id.as_str() != named.trim()
        {
            return Err(refuse(
                field,
                format!(
                    "catalog `{named}` is not linked to this phone number's WhatsApp Business \
                     Account; catalog {} is",
                    linked.id
                ),
            ));
        }
        let catalog = linked;
        if used.products.is_empty() {
            return Ok(vec![]);
        }
        let filter = ProductFilter {
            retailer_ids: used.products.iter().map(|(_, id)| id.clone()).collect(),
            ..Default::default()
        };
        let found = self
            .store
            .list_products(catalog.account_id, &catalog.id, &filter, &Page::all())
            .await?;
        let mut out = Vec::with_capacity(used.products.len());
        for (field, id) in &used.products {
            match found.iter().find(|p| &p.retailer_id == id) {
                Some(p) if p.visibility == Visibility::Published => out.push(p.clone()),
                Some(_) => {
                    return Err(refuse(
                        field,
                        format!("product `{id}` is hidden in catalog {}", catalog.id),
                    ));
                }
                None => {
                    return Err(refuse(
                        field,
                        format!("product `{id}` is not in catalog {}", catalog.id),
                    ));
                }
            }
        }
        Ok(out)
    }
}
