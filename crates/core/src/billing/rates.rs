//! The rate card: a price per market (the recipient's country, from the number's calling
//! code; `*` for every other) and pricing category, in one currency, as integer
//! **micro-units** (millionths of the currency's unit: Meta's prices go down to tenths of a
//! cent, which cents cannot hold). No floats anywhere in money.
//!
//! wagate ships a default card ([`RateCard::default_card`], `crates/core/data/rate-card.json`,
//! its source and date stated in it); an operator replaces it, and an account may have its
//! own. A quote ([`quote`]) applies Meta's per-message rules ([`crate::pricing::classify`]:
//! free-form messages and utility templates inside an open window are free) and the
//! account's markup ([`with_markup`], added by the wallet); the price is fixed on the
//! message when it is accepted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::content::MessageType;
use crate::error::ValidationError;
use crate::phone::PhoneE164;
use crate::pricing::{PricingCategory, classify};

/// Highest price of one message, in micro-units (1,000 units of the currency).
pub const PRICE_MAX: i64 = 1_000_000_000;
/// Highest markup, in basis points (10× the price).
pub const MARKUP_MAX_BPS: u32 = 100_000;

/// An ISO 4217 currency code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[A-Z]{3}$")]
pub struct Currency(String);

impl Currency {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::new(
                "currency",
                "must be an ISO 4217 code of three capital letters, like USD",
            ))
        }
    }

    pub fn usd() -> Self {
        Self("USD".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Currency {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, ValidationError> {
        Self::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

/// One market's prices (micro-units); a category without a price is free there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketRates {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub marketing: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub utility: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub authentication: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub authentication_international: Option<i64>,
}

impl MarketRates {
    fn of(&self, category: PricingCategory) -> Option<i64> {
        match category {
            PricingCategory::Marketing | PricingCategory::MarketingLite => self.marketing,
            PricingCategory::Utility => self.utility,
            PricingCategory::Authentication => self.authentication,
            PricingCategory::AuthenticationInternational => {
                self.authentication_international.or(self.authentication)
            }
            PricingCategory::Service | PricingCategory::ReferralConversion => None,
        }
    }

    fn all(&self) -> [Option<i64>; 4] {
        [
            self.marketing,
            self.utility,
            self.authentication,
            self.authentication_international,
        ]
    }
}

/// Prices per market and category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateCard {
    pub currency: Currency,
    /// Where the figures come from.
    #[schema(max_length = 2000)]
    pub source: String,
    /// From when they apply (a date, as the source states it).
    #[schema(max_length = 64)]
    pub effective: String,
    /// By ISO 3166 country code; `*` prices every market not listed.
    pub markets: BTreeMap<String, MarketRates>,
}

const DEFAULT_CARD: &str = include_str!("../../data/rate-card.json");

impl RateCard {
    /// The card wagate ships (see the module docs).
    pub fn default_card() -> Self {
        Self::parse_json(DEFAULT_CARD).expect("the shipped rate card is valid")
    }

    /// A card as JSON, checked: a currency, `*` among the markets, two-letter market codes,
    /// prices from 0 to [`PRICE_MAX`].
    pub fn parse_json(s: &str) -> Result<Self, ValidationError> {
        let card: RateCard = serde_json::from_str(s)
            .map_err(|e| ValidationError::new("rate_card", format!("not a rate card: {e}")))?;
        card.check()?;
        Ok(card)
    }

    pub fn check(&self) -> Result<(), ValidationError> {
        let bad = |m: String| ValidationError::new("markets", m);
        if !self.markets.contains_key("*") {
            return Err(bad(
                "the markets must include `*` (every market not listed)".into(),
            ));
        }
        if self.source.chars().count() > 2000 || self.effective.chars().count() > 64 {
            return Err(ValidationError::out_of_range(
                "source",
                "source is at most 2,000 characters, effective 64",
            ));
        }
        for (market, rates) in &self.markets {
            let code = market == "*"
                || (market.len() == 2 && market.bytes().all(|b| b.is_ascii_uppercase()));
            if !code {
                return Err(bad(format!(
                    "`{market}` is not a market: an ISO 3166 code like IN, or *"
                )));
            }
            if rates
                .all()
                .iter()
                .flatten()
                .any(|p| !(0..=PRICE_MAX).contains(p))
            {
                return Err(ValidationError::out_of_range(
                    format!("markets.{market}"),
                    format!("prices are micro-units from 0 to {PRICE_MAX}"),
                ));
            }
        }
        Ok(())
    }

    /// The market a number is priced in: its country when the card lists it, else `*`.
    pub fn market_of(&self, wa_id: &PhoneE164) -> String {
        crate::registration::country_of(wa_id.digits())
            .map(|(_, c)| c.to_owned())
            .filter(|c| self.markets.contains_key(c))
            .unwrap_or_else(|| "*".to_owned())
    }

    /// The price of `category` in `market` (micro-units), `None` when free there.
    pub fn price(&self, market: &str, category: PricingCategory) -> Option<i64> {
        self.markets
            .get(market)
            .or_else(|| self.markets.get("*"))
            .and_then(|m| m.of(category))
            .filter(|p| *p > 0)
    }
}

/// `price` with a markup of `bps` basis points, rounded up to the micro-unit.
pub fn with_markup(price: i64, bps: u32) -> i64 {
    let scaled = i128::from(price) * (10_000 + i128::from(bps));
    let out = (scaled + 9_999) / 10_000;
    i64::try_from(out).unwrap_or(i64::MAX)
}

/// What a billable send costs before the account's markup (which the wallet adds when it
/// holds it), fixed on the message when it is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub category: PricingCategory,
    pub market: String,
    pub currency: Currency,
    /// Micro-units, from the card.
    pub price: i64,
}

/// The quote of a send to `wa_id` (`None`: a user known only by a BSUID, priced as `*`):
/// `None` when Meta would not charge it (a free-form message, a utility template inside an
/// open window, a category the card does not price in that market).
pub fn quote(
    card: &RateCard,
    wa_id: Option<&PhoneE164>,
    kind: MessageType,
    template_category: Option<PricingCategory>,
    window_open: bool,
) -> Option<Quote> {
    let pricing = classify(kind, template_category, window_open)?;
    if !pricing.billable {
        return None;
    }
    let market = wa_id.map_or_else(|| "*".to_owned(), |w| card.market_of(w));
    let price = card.price(&market, pricing.category)?;
    Some(Quote {
        category: pricing.category,
        market,
        currency: card.currency.clone(),
        price,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> PhoneE164 {
        PhoneE164::parse(s).unwrap()
    }

    #[test]
    fn the_shipped_card_prices_markets_and_the_rest() {
        let card = RateCard::default_card();
        assert_eq!(card.currency.as_str(), "USD");
        assert_eq!(card.market_of(&n("+919876543210")), "IN");
        assert_eq!(card.market_of(&n("+2348012345678")), "NG");
        assert_eq!(
            card.market_of(&n("+9779812345678")),
            "*",
            "Nepal is not listed"
        );
        assert_eq!(card.price("IN", PricingCategory::Marketing), Some(10_700));
        assert_eq!(card.price("*", PricingCategory::Service), None);
        // Authentication-international falls back to authentication where unpriced.
        assert_eq!(
            card.price("US", PricingCategory::AuthenticationInternational),
            card.price("US", PricingCategory::Authentication)
        );
    }

    #[test]
    fn quotes_follow_metas_rules_and_the_markup() {
        let card = RateCard::default_card();
        let india = n("+919876543210");
        let marketing = quote(
            &card,
            Some(&india),
            MessageType::Template,
            Some(PricingCategory::Marketing),
            true,
        )
        .unwrap();
        assert_eq!((marketing.price, marketing.market.as_str()), (10_700, "IN"));
        let utility_in_window = quote(
            &card,
            Some(&india),
            MessageType::Template,
            Some(PricingCategory::Utility),
            true,
        );
        assert_eq!(utility_in_window, None, "free inside the window");
        assert_eq!(
            quote(&card, Some(&india), MessageType::Text, None, false),
            None
        );
        let utility = quote(
            &card,
            Some(&india),
            MessageType::Template,
            Some(PricingCategory::Utility),
            false,
        )
        .unwrap();
        assert_eq!(with_markup(utility.price, 1_500), 1_610, "1,400 + 15 %");
        let unknown = quote(
            &card,
            None,
            MessageType::Template,
            Some(PricingCategory::Marketing),
            false,
        );
        assert_eq!(unknown.unwrap().market, "*");
        assert_eq!(with_markup(1, 1), 2, "rounded up");
        assert_eq!(with_markup(0, 5_000), 0);
    }

    #[test]
    fn bad_cards_are_refused() {
        assert!(RateCard::parse_json("{}").is_err());
        let no_rest = r#"{"currency":"USD","source":"x","effective":"2025","markets":{"IN":{}}}"#;
        assert!(RateCard::parse_json(no_rest).is_err());
        let negative = r#"{"currency":"USD","source":"x","effective":"2025","markets":{"*":{"marketing":-1}}}"#;
        assert!(RateCard::parse_json(negative).is_err());
        let market =
            r#"{"currency":"USD","source":"x","effective":"2025","markets":{"*":{},"india":{}}}"#;
        assert!(RateCard::parse_json(market).is_err());
        let currency = r#"{"currency":"usd","source":"x","effective":"2025","markets":{"*":{}}}"#;
        assert!(RateCard::parse_json(currency).is_err());
        let unknown =
            r#"{"currency":"USD","source":"x","effective":"2025","markets":{"*":{"sms":1}}}"#;
        assert!(RateCard::parse_json(unknown).is_err());
    }
}
