//! What catalog and products a message names, read from content that already passed its
//! shape checks (`crate::content`). The commerce service checks them against the stored
//! catalog linked to the sender's WABA.
//!
//! - An interactive `product` names a catalog and one product; a `product_list` a catalog
//!   and up to 30 products, none twice (Meta's 131009); a `catalog_message` the linked
//!   catalog and, optionally, its thumbnail product.
//! - A template send's `catalog` / `mpm` button parameters (`thumbnail_product_retailer_id`,
//!   `sections[].product_items[]`) name products of the linked catalog.
//! - An inbound `order` names a catalog and the products of the cart.

use std::collections::HashSet;

use serde_json::Value;

use super::product::RetailerId;
use crate::content::{Content, MessageType};
use crate::error::ValidationError;

/// What a message asks of the catalog linked to the sender's WABA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogUse {
    /// Why the catalog is used, for error messages and rules.
    pub kind: CatalogUseKind,
    /// The catalog named, as sent, with the field naming it (`None`: the linked catalog,
    /// as a catalog message or a template's buttons use it).
    pub catalog_id: Option<(String, String)>,
    /// Each product named, with the request field naming it.
    pub products: Vec<(String, RetailerId)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogUseKind {
    Product,
    ProductList,
    CatalogMessage,
    TemplateButton,
    Order,
}

impl CatalogUse {
    /// The catalog use of an outbound message, if it has one.
    pub fn outbound(content: &Content) -> Result<Option<Self>, ValidationError> {
        match content.kind() {
            MessageType::Interactive => interactive(content.body()),
            MessageType::Template => template(content.body()),
            _ => Ok(None),
        }
    }

    /// The catalog use of an inbound `order`.
    pub fn order(content: &Content) -> Result<Option<Self>, ValidationError> {
        if content.kind() != MessageType::Order {
            return Ok(None);
        }
        let v = content.body();
        let mut products = Vec::new();
        for (i, item) in items(v.get("product_items")).enumerate() {
            let field = format!("order.product_items[{i}].product_retailer_id");
            products.push(retailer(&field, item.get("product_retailer_id"))?);
        }
        Ok(Some(Self {
            kind: CatalogUseKind::Order,
            catalog_id: Some((
                "order.catalog_id".into(),
                str_of(v.get("catalog_id")).unwrap_or_default(),
            )),
            products,
        }))
    }
}

fn items(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array).into_iter().flatten()
}

fn str_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn retailer(field: &str, v: Option<&Value>) -> Result<(String, RetailerId), ValidationError> {
    let s = str_of(v).ok_or_else(|| ValidationError::missing(field, "is required"))?;
    let id = RetailerId::parse(field, &s)
        .map_err(|e| ValidationError::out_of_range(e.field, e.message))?;
    Ok((field.to_owned(), id))
}

/// Refuses a product named twice (Meta's 131009).
fn no_repeats(products: &[(String, RetailerId)]) -> Result<(), ValidationError> {
    let mut seen = HashSet::new();
    for (field, id) in products {
        if !seen.insert(id) {
            return Err(ValidationError::out_of_range(
                field.clone(),
                format!("product `{id}` is already in this message; each product may appear once"),
            ));
        }
    }
    Ok(())
}

fn interactive(v: &Value) -> Result<Option<CatalogUse>, ValidationError> {
    let action = v.get("action").cloned().unwrap_or_default();
    let catalog = || {
        Some((
            "interactive.action.catalog_id".to_owned(),
            str_of(action.get("catalog_id")).unwrap_or_default(),
        ))
    };
    let use_ = match v.get("type").and_then(Value::as_str) {
        Some("product") => CatalogUse {
            kind: CatalogUseKind::Product,
            catalog_id: catalog(),
            products: vec![retailer(
                "interactive.action.product_retailer_id",
                action.get("product_retailer_id"),
            )?],
        },
        Some("product_list") => {
            let mut products = Vec::new();
            for (s, section) in items(action.get("sections")).enumerate() {
                for (i, item) in items(section.get("product_items")).enumerate() {
                    let field = format!(
                        "interactive.action.sections[{s}].product_items[{i}].product_retailer_id"
                    );
                    products.push(retailer(&field, item.get("product_retailer_id"))?);
                }
            }
            no_repeats(&products)?;
            CatalogUse {
                kind: CatalogUseKind::ProductList,
                catalog_id: catalog(),
                products,
            }
        }
        Some("catalog_message") => {
            let thumb = action
                .get("parameters")
                .and_then(|p| p.get("thumbnail_product_retailer_id"));
            let products = match thumb {
                None | Some(Value::Null) => vec![],
                Some(t) => vec![retailer(
                    "interactive.action.parameters.thumbnail_product_retailer_id",
                    Some(t),
                )?],
            };
            CatalogUse {
                kind: CatalogUseKind::CatalogMessage,
                catalog_id: None,
                products,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(use_))
}

/// A template send's `button` components of sub_type `catalog` or `mpm`.
fn template(v: &Value) -> Result<Option<CatalogUse>, ValidationError> {
    let mut found = false;
    let mut products = Vec::new();
    for (c, component) in items(v.get("components")).enumerate() {
        let sub_type = component
            .get("sub_type")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase);
        if component.get("type").and_then(Value::as_str) != Some("button")
            || !matches!(sub_type.as_deref(), Some("catalog" | "mpm"))
        {
            continue;
        }
        found = true;
        for (p, param) in items(component.get("parameters")).enumerate() {
            let Some(action) = param.get("action") else {
                continue;
            };
            let base = format!("template.components[{c}].parameters[{p}].action");
            if let Some(t) = action.get("thumbnail_product_retailer_id") {
                products.push(retailer(
                    &format!("{base}.thumbnail_product_retailer_id"),
                    Some(t),
                )?);
            }
            let mut listed = Vec::new();
            for (s, section) in items(action.get("sections")).enumerate() {
                for (i, item) in items(section.get("product_items")).enumerate() {
                    let field =
                        format!("{base}.sections[{s}].product_items[{i}].product_retailer_id");
                    listed.push(retailer(&field, item.get("product_retailer_id"))?);
                }
            }
            no_repeats(&listed)?;
            products.extend(listed);
        }
    }
    Ok(found.then_some(CatalogUse {
        kind: CatalogUseKind::TemplateButton,
        catalog_id: None,
        products,
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn out(v: Value) -> Result<Option<CatalogUse>, ValidationError> {
        CatalogUse::outbound(&Content::outbound(&v).unwrap())
    }

    #[test]
    fn product_messages_name_their_catalog_and_products() {
        let u = out(
            json!({"type": "interactive", "interactive": {"type": "product",
            "body": {"text": "hi"},
            "action": {"catalog_id": "123", "product_retailer_id": "sku-1"}}}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(u.kind, CatalogUseKind::Product);
        assert_eq!(u.catalog_id.unwrap().1, "123");
        assert_eq!(u.products[0].1.as_str(), "sku-1");

        let list = |items: Value| {
            out(
                json!({"type": "interactive", "interactive": {"type": "product_list",
                "header": {"type": "text", "text": "H"}, "body": {"text": "B"},
                "action": {"catalog_id": "123", "sections": [
                    {"title": "A", "product_items": [{"product_retailer_id": "a"}]},
                    {"title": "B", "product_items": items}]}}}),
            )
        };
        let u = list(json!([{"product_retailer_id": "b"}]))
            .unwrap()
            .unwrap();
        assert_eq!(u.products.len(), 2);
        let e = list(json!([{"product_retailer_id": "a"}])).unwrap_err();
        assert_eq!(
            e.field,
            "interactive.action.sections[1].product_items[0].product_retailer_id"
        );
        assert_eq!(e.code(), crate::error::ErrorCode::InvalidParameterValue);

        let u = out(
            json!({"type": "interactive", "interactive": {"type": "catalog_message",
            "body": {"text": "See"}, "action": {"name": "catalog_message"}}}),
        )
        .unwrap()
        .unwrap();
        assert_eq!((u.catalog_id, u.products.len()), (None, 0));
        assert!(
            out(json!({"type": "text", "text": {"body": "x"}}))
                .unwrap()
                .is_none()
        );
    }
}
