//! A product catalog: a name, its owner account, and the WABA it is linked to (if any).
//! Meta links one catalog to a WhatsApp Business Account; product, product list and catalog
//! messages of that WABA's phone numbers may name only that catalog.

use crate::Timestamp;
use crate::error::ValidationError;
use crate::ids::{AccountId, CatalogId, WabaId};
use crate::text::bounded;

/// A catalog's name: 1 to 100 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogName(String);

impl CatalogName {
    pub const MAX: usize = 100;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        bounded("name", s, 1, Self::MAX, false).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub id: CatalogId,
    pub account_id: AccountId,
    pub name: CatalogName,
    /// The WABA it is linked to; `None` while unlinked.
    pub waba_id: Option<WabaId>,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(CatalogName::parse("  Shoes ").unwrap().as_str(), "Shoes");
        for bad in ["", "  ", "a\nb", &"x".repeat(101)] {
            assert_eq!(
                CatalogName::parse(bad).unwrap_err().field,
                "name",
                "{bad:?}"
            );
        }
        assert!(CatalogName::parse(&"é".repeat(100)).is_ok());
    }
}
