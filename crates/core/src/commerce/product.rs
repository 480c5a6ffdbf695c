//! A product of a catalog and its fields, each parsed once at the boundary.
//!
//! Prices are integers in the currency's minor unit, as Meta's Graph takes them on a write
//! (`price: 1099, currency: "USD"` is 10.99 dollars), and read back formatted as Meta shows
//! them: the currency's symbol, thousands separators and its own number of decimals
//! (`"$10.99"`, `"¥1,099"`, `"KWD 1.250"`). Errors name the request field.

use std::fmt;

use crate::Timestamp;
use crate::content::fields::is_http_url;
use crate::error::ValidationError;
use crate::ids::{AccountId, CatalogId, ProductId};
use crate::text::bounded;

/// A product's own id in the business's systems (Meta's `retailer_id`, "Content ID" in
/// Commerce Manager): 1 to 100 characters, no control characters, unique per catalog.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RetailerId(String);

impl RetailerId {
    pub const MAX: usize = 100;

    pub fn parse(field: &str, s: &str) -> Result<Self, ValidationError> {
        bounded(field, s, 1, Self::MAX, false).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RetailerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A product's name (Meta's `name`, the title shown in chats): 1 to 150 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductName(String);

impl ProductName {
    pub const MAX: usize = 150;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        bounded("name", s, 1, Self::MAX, false).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product's description: 1 to 9,999 characters, newlines allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDescription(String);

impl ProductDescription {
    pub const MAX: usize = 9_999;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        bounded("description", s, 1, Self::MAX, true).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short text field of a product (`brand`): 1 to 100 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductText(String);

impl ProductText {
    pub const MAX: usize = 100;

    pub fn parse(field: &str, s: &str) -> Result<Self, ValidationError> {
        bounded(field, s, 1, Self::MAX, false).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An absolute http(s) URL of at most 2,000 characters (`image_url`, `url`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductUrl(String);

impl ProductUrl {
    pub const MAX: usize = 2_000;

    pub fn parse(field: &str, s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        if s.chars().count() > Self::MAX {
            return Err(ValidationError::new(
                field,
                format!("must be at most {} characters", Self::MAX),
            ));
        }
        if !is_http_url(s) {
            return Err(ValidationError::new(
                field,
                "must be an absolute http:// or https:// URL",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 4217 currency Meta's catalogs take, with its minor unit and display symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    /// Decimals of the minor unit (2 for cents, 0 for yen, 3 for fils).
    exponent: u8,
    /// The symbol Meta shows before the amount; `None`: the code and a space.
    symbol: Option<&'static str>,
}

/// The currencies a product's price may be in (code, decimals, symbol).
const CURRENCIES: &[(&str, u8, Option<&str>)] = &[
    ("AED", 2, None),
    ("ARS", 2, None),
    ("AUD", 2, Some("A$")),
    ("BDT", 2, None),
    ("BHD", 3, None),
    ("BRL", 2, Some("R$")),
    ("CAD", 2, Some("CA$")),
    ("CHF", 2, None),
    ("CLP", 0, None),
    ("CNY", 2, Some("CN¥")),
    ("COP", 2, None),
    ("CZK", 2, None),
    ("DKK", 2, None),
    ("EGP", 2, None),
    ("EUR", 2, Some("€")),
    ("GBP", 2, Some("£")),
    ("HKD", 2, Some("HK$")),
    ("HUF", 2, None),
    ("IDR", 2, None),
    ("ILS", 2, Some("₪")),
    ("INR", 2, Some("₹")),
    ("JOD", 3, None),
    ("JPY", 0, Some("¥")),
    ("KES", 2, None),
    ("KRW", 0, Some("₩")),
    ("KWD", 3, None),
    ("MXN", 2, Some("MX$")),
    ("MYR", 2, None),
    ("NGN", 2, Some("₦")),
    ("NOK", 2, None),
    ("NZD", 2, Some("NZ$")),
    ("OMR", 3, None),
    ("PEN", 2, None),
    ("PHP", 2, Some("₱")),
    ("PKR", 2, None),
    ("PLN", 2, None),
    ("QAR", 2, None),
    ("RON", 2, None),
    ("SAR", 2, None),
    ("SEK", 2, None),
    ("SGD", 2, None),
    ("THB", 2, None),
    ("TRY", 2, None),
    ("TWD", 2, Some("NT$")),
    ("UAH", 2, None),
    ("USD", 2, Some("$")),
    ("VND", 0, Some("₫")),
    ("ZAR", 2, None),
];

impl Currency {
    /// An ISO 4217 code of [`CURRENCIES`], any case.
    pub fn parse(field: &str, s: &str) -> Result<Self, ValidationError> {
        let code = s.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, ..)| *c == code)
            .map(|&(code, exponent, symbol)| Self {
                code,
                exponent,
                symbol,
            })
            .ok_or_else(|| {
                ValidationError::new(
                    field,
                    format!(
                        "`{}` is not an ISO 4217 currency code catalogs take (USD, EUR, INR, …)",
                        s.trim()
                    ),
                )
            })
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    pub fn exponent(self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// A price: a whole, non-negative number of the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    minor: i64,
    currency: Currency,
}

impl Price {
    /// The most a price may be (a trillion minor units).
    pub const MAX_MINOR: i64 = 1_000_000_000_000;

    pub fn new(minor: i64, currency: Currency) -> Result<Self, ValidationError> {
        if minor < 0 {
            return Err(ValidationError::new("price", "must not be negative"));
        }
        if minor > Self::MAX_MINOR {
            return Err(ValidationError::new(
                "price",
                format!("must be at most {} minor units", Self::MAX_MINOR),
            ));
        }
        Ok(Self { minor, currency })
    }

    /// The amount in minor units (cents).
    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    /// As Meta shows it: `"$10.99"`, `"¥1,099"`, `"CHF 1,234.50"`.
    pub fn formatted(self) -> String {
        let exp = u32::from(self.currency.exponent);
        let unit = 10_i64.pow(exp);
        let (whole, frac) = (self.minor / unit, self.minor % unit);
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if exp > 0 {
            grouped.push_str(&format!(".{frac:0width$}", width = exp as usize));
        }
        match self.currency.symbol {
            Some(symbol) => format!("{symbol}{grouped}"),
            None => format!("{} {grouped}", self.currency.code),
        }
    }
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal, $default:ident => $dwire:literal,
     { $($variant:ident => $wire:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            #[default]
            $default,
            $($variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$name::$default, $($name::$variant),*];

            /// Meta's spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $name::$default => $dwire,
                    $($name::$variant => $wire,)*
                }
            }

            /// Meta's spelling, any case, with `_` for spaces (`IN_STOCK`, `in stock`).
            pub fn parse(s: &str) -> Result<Self, ValidationError> {
                let wanted = s.trim().to_ascii_lowercase().replace('_', " ");
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == wanted)
                    .ok_or_else(|| {
                        ValidationError::new(
                            $field,
                            format!(
                                "`{}` is not one of: {}",
                                s.trim(),
                                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                            ),
                        )
                    })
            }
        }
    };
}

impl Availability {
    /// Whether a customer can put it in a cart.
    pub fn orderable(self) -> bool {
        matches!(
            self,
            Availability::InStock | Availability::Preorder | Availability::AvailableForOrder
        )
    }
}

wire_enum!(
    /// Whether a product can be bought now (Meta's `availability`).
    Availability, "availability", InStock => "in stock", {
        OutOfStock => "out of stock",
        Preorder => "preorder",
        AvailableForOrder => "available for order",
        Discontinued => "discontinued",
    }
);
wire_enum!(
    /// Meta's `condition`.
    Condition, "condition", New => "new", {
        Refurbished => "refurbished",
        Used => "used",
    }
);
wire_enum!(
    /// Whether customers see the product (Meta's `visibility`): a hidden product is not
    /// shown in the catalog and cannot be sent.
    Visibility, "visibility", Published => "published", {
        Hidden => "hidden",
    }
);

/// A stored product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: ProductId,
    pub catalog_id: CatalogId,
    pub account_id: AccountId,
    pub retailer_id: RetailerId,
    pub name: ProductName,
    pub description: Option<ProductDescription>,
    pub price: Price,
    pub availability: Availability,
    pub condition: Condition,
    pub image_url: Option<ProductUrl>,
    pub url: Option<ProductUrl>,
    pub brand: Option<ProductText>,
    pub visibility: Visibility,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Command: a new product (see the HTTP layer for what is required).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub retailer_id: RetailerId,
    pub name: ProductName,
    pub description: Option<ProductDescription>,
    pub price: Price,
    pub availability: Availability,
    pub condition: Condition,
    pub image_url: Option<ProductUrl>,
    pub url: Option<ProductUrl>,
    pub brand: Option<ProductText>,
    pub visibility: Visibility,
}

impl NewProduct {
    pub fn into_product(
        self,
        id: ProductId,
        catalog_id: CatalogId,
        account_id: AccountId,
        at: Timestamp,
    ) -> Product {
        Product {
            id,
            catalog_id,
            account_id,
            retailer_id: self.retailer_id,
            name: self.name,
            description: self.description,
            price: self.price,
            availability: self.availability,
            condition: self.condition,
            image_url: self.image_url,
            url: self.url,
            brand: self.brand,
            visibility: self.visibility,
            created_at: at,
            updated_at: at,
        }
    }
}

/// Command: changes to a product; `None` keeps a field. A price and its currency change
/// together (`price` alone keeps the currency).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductPatch {
    pub retailer_id: Option<RetailerId>,
    pub name: Option<ProductName>,
    pub description: Option<ProductDescription>,
    pub price_minor: Option<i64>,
    pub currency: Option<Currency>,
    pub availability: Option<Availability>,
    pub condition: Option<Condition>,
    pub image_url: Option<ProductUrl>,
    pub url: Option<ProductUrl>,
    pub brand: Option<ProductText>,
    pub visibility: Option<Visibility>,
}

impl ProductPatch {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `p` with the patch applied, `updated_at` `at`.
    pub fn apply(self, p: &Product, at: Timestamp) -> Result<Product, ValidationError> {
        let price = Price::new(
            self.price_minor.unwrap_or(p.price.minor()),
            self.currency.unwrap_or(p.price.currency()),
        )?;
        Ok(Product {
            retailer_id: self.retailer_id.unwrap_or_else(|| p.retailer_id.clone()),
            name: self.name.unwrap_or_else(|| p.name.clone()),
            description: self.description.or_else(|| p.description.clone()),
            price,
            availability: self.availability.unwrap_or(p.availability),
            condition: self.condition.unwrap_or(p.condition),
            image_url: self.image_url.or_else(|| p.image_url.clone()),
            url: self.url.or_else(|| p.url.clone()),
            brand: self.brand.or_else(|| p.brand.clone()),
            visibility: self.visibility.unwrap_or(p.visibility),
            updated_at: at,
            ..p.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("currency", "usd").unwrap()
    }

    #[test]
    fn prices_are_formatted_as_meta_shows_them() {
        let f = |minor, code| {
            Price::new(minor, Currency::parse("currency", code).unwrap())
                .unwrap()
                .formatted()
        };
        assert_eq!(f(1099, "USD"), "$10.99");
        assert_eq!(f(5, "USD"), "$0.05");
        assert_eq!(f(0, "EUR"), "€0.00");
        assert_eq!(f(123_456_789, "USD"), "$1,234,567.89");
        assert_eq!(f(1099, "JPY"), "¥1,099");
        assert_eq!(f(1250, "KWD"), "KWD 1.250");
        assert_eq!(f(100_000, "INR"), "₹1,000.00");
        assert_eq!(f(123_450, "CHF"), "CHF 1,234.50");
    }

    #[test]
    fn prices_and_currencies_are_checked() {
        assert_eq!(usd().code(), "USD");
        assert_eq!(Price::new(-1, usd()).unwrap_err().field, "price");
        assert!(Price::new(Price::MAX_MINOR + 1, usd()).is_err());
        for bad in ["", "US", "XYZ", "dollar", "EURO"] {
            assert_eq!(
                Currency::parse("currency", bad).unwrap_err().field,
                "currency"
            );
        }
    }

    #[test]
    fn enums_take_metas_spellings() {
        assert_eq!(
            Availability::parse("in stock").unwrap(),
            Availability::InStock
        );
        assert_eq!(
            Availability::parse("OUT_OF_STOCK").unwrap(),
            Availability::OutOfStock
        );
        assert_eq!(
            Availability::parse("available for order").unwrap().as_str(),
            "available for order"
        );
        assert_eq!(Availability::InStock.as_str(), "in stock");
        assert!(Availability::parse("sold").is_err());
        assert!(!Availability::Discontinued.orderable());
        assert_eq!(Condition::parse("Used").unwrap(), Condition::Used);
        assert_eq!(Condition::New.as_str(), "new");
        assert_eq!(Visibility::parse("hidden").unwrap(), Visibility::Hidden);
        assert_eq!(Visibility::default().as_str(), "published");
        assert_eq!(Visibility::parse("x").unwrap_err().field, "visibility");
    }

    #[test]
    fn text_fields_have_limits() {
        assert!(RetailerId::parse("retailer_id", "sku-1").is_ok());
        assert!(RetailerId::parse("retailer_id", "").is_err());
        assert!(RetailerId::parse("retailer_id", &"x".repeat(101)).is_err());
        assert!(ProductName::parse(&"x".repeat(150)).is_ok());
        assert_eq!(
            ProductName::parse(&"x".repeat(151)).unwrap_err().field,
            "name"
        );
        assert!(ProductDescription::parse("two\nlines").is_ok());
        assert!(ProductUrl::parse("url", "https://shop.example/p/1").is_ok());
        for bad in [
            "ftp://x",
            "shop.example",
            "https://",
            &format!("https://a.b/{}", "x".repeat(2000)),
        ] {
            assert_eq!(
                ProductUrl::parse("image_url", bad).unwrap_err().field,
                "image_url"
            );
        }
    }
}
