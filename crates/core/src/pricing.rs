//! Conversation and pricing categories, as Meta reports them on `sent` statuses
//! (reference §5.5, §6.1). Since July 2025 Meta charges per message (`PMP`): templates are
//! charged by category, free-form messages are free but only sendable inside the customer
//! service window, and utility templates inside an open window are free. Prices per country
//! come with the billing issue; this module decides the category and whether it is billable.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::content::MessageType;
use crate::error::ValidationError;
use crate::ids::MessageId;

/// Meta's pricing / conversation category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PricingCategory {
    Authentication,
    AuthenticationInternational,
    Marketing,
    MarketingLite,
    Utility,
    Service,
    ReferralConversion,
}

impl PricingCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authentication => "authentication",
            Self::AuthenticationInternational => "authentication_international",
            Self::Marketing => "marketing",
            Self::MarketingLite => "marketing_lite",
            Self::Utility => "utility",
            Self::Service => "service",
            Self::ReferralConversion => "referral_conversion",
        }
    }

    /// A template category as Meta spells it (`MARKETING`, `utility`, …).
    pub fn parse_template_category(s: &str) -> Result<Self, ValidationError> {
        match s.to_ascii_lowercase().as_str() {
            "marketing" => Ok(Self::Marketing),
            "utility" => Ok(Self::Utility),
            "authentication" => Ok(Self::Authentication),
            _ => Err(ValidationError::new(
                "category",
                "must be MARKETING, UTILITY or AUTHENTICATION",
            )),
        }
    }
}

/// `pricing.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PricingType {
    Regular,
    FreeCustomerService,
    FreeEntryPoint,
}

/// The `pricing` object of a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pricing {
    pub billable: bool,
    /// Always `PMP` (per-message pricing).
    pub pricing_model: String,
    #[serde(rename = "type")]
    pub kind: PricingType,
    pub category: PricingCategory,
}

/// The `conversation` object of a status (the per-message form of Graph v23 and lower).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Conversation {
    pub id: String,
    pub origin: PricingCategory,
    #[schema(value_type = String)]
    pub expires_at: Timestamp,
}

/// How Meta prices a message of `kind` (with the template's category when it is a template)
/// sent while the customer-service window is `window_open`. `None` when the category is not
/// known (a template that wagate has not stored).
pub fn classify(
    kind: MessageType,
    template_category: Option<PricingCategory>,
    window_open: bool,
) -> Option<Pricing> {
    let (category, kind) = match (kind, template_category) {
        (MessageType::Template, None) => return None,
        (MessageType::Template, Some(PricingCategory::Utility)) if window_open => {
            (PricingCategory::Utility, PricingType::FreeCustomerService)
        }
        (MessageType::Template, Some(c)) => (c, PricingType::Regular),
        _ => (PricingCategory::Service, PricingType::FreeCustomerService),
    };
    Some(Pricing {
        billable: kind == PricingType::Regular,
        pricing_model: "PMP".to_owned(),
        kind,
        category,
    })
}

/// The conversation of a priced message: one per message, open 24 hours from `sent_at`.
pub fn conversation(message: MessageId, pricing: &Pricing, sent_at: Timestamp) -> Conversation {
    let hex = hex::encode(message.as_uuid().as_bytes());
    Conversation {
        id: hex,
        origin: pricing.category,
        expires_at: sent_at + jiff::SignedDuration::from_hours(24),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_form_is_free_service() {
        let p = classify(MessageType::Text, None, true).unwrap();
        assert_eq!(p.category, PricingCategory::Service);
        assert_eq!(p.kind, PricingType::FreeCustomerService);
        assert!(!p.billable);
    }

    #[test]
    fn utility_templates_are_free_inside_the_window_only() {
        let inside = classify(MessageType::Template, Some(PricingCategory::Utility), true).unwrap();
        assert!(!inside.billable);
        let outside =
            classify(MessageType::Template, Some(PricingCategory::Utility), false).unwrap();
        assert!(outside.billable);
        assert_eq!(outside.kind, PricingType::Regular);
        let marketing = classify(
            MessageType::Template,
            Some(PricingCategory::Marketing),
            true,
        )
        .unwrap();
        assert!(
            marketing.billable,
            "marketing is charged even inside the window"
        );
        assert_eq!(classify(MessageType::Template, None, true), None);
    }

    #[test]
    fn categories_serialise_as_meta_spells_them() {
        let p = classify(
            MessageType::Template,
            Some(PricingCategory::Marketing),
            false,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({"billable": true, "pricing_model": "PMP", "type": "regular", "category": "marketing"})
        );
        assert_eq!(
            PricingCategory::parse_template_category("UTILITY").unwrap(),
            PricingCategory::Utility
        );
        assert!(PricingCategory::parse_template_category("SERVICE").is_err());
    }
}
