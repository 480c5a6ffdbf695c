//! [`TemplateCategory`]: what a template is for, which decides its price and which components
//! it may have (reference §6.5).

use super::wire::wire_enum;

wire_enum!(
    /// A template's category. Meta may re-categorise a template after review
    /// (`template_category_update`).
    TemplateCategory, "category" {
        /// Promotions, offers, re-engagement.
        Marketing => "MARKETING",
        /// Updates about a transaction or account the user started.
        Utility => "UTILITY",
        /// One-time passcodes: preset body text and one OTP button.
        Authentication => "AUTHENTICATION",
    }
);

/// Meta's category names from before 2023, and what Meta turned them into: `TRANSACTIONAL`
/// and the `…_UPDATE` family became `UTILITY`, `OTP` became `AUTHENTICATION`. Provider APIs
/// built then still send them.
const LEGACY: &[(&str, TemplateCategory)] = &[
    ("TRANSACTIONAL", TemplateCategory::Utility),
    ("OTP", TemplateCategory::Authentication),
    ("ACCOUNT_UPDATE", TemplateCategory::Utility),
    ("ALERT_UPDATE", TemplateCategory::Utility),
    ("APPOINTMENT_UPDATE", TemplateCategory::Utility),
    ("AUTO_REPLY", TemplateCategory::Utility),
    ("ISSUE_RESOLUTION", TemplateCategory::Utility),
    ("PAYMENT_UPDATE", TemplateCategory::Utility),
    ("PERSONAL_FINANCE_UPDATE", TemplateCategory::Utility),
    ("RESERVATION_UPDATE", TemplateCategory::Utility),
    ("SHIPPING_UPDATE", TemplateCategory::Utility),
    ("TICKET_UPDATE", TemplateCategory::Utility),
    ("TRANSPORTATION_UPDATE", TemplateCategory::Utility),
];

impl TemplateCategory {
    /// A current category, or one of Meta's legacy names as Meta migrated it
    /// (`TRANSACTIONAL` → `UTILITY`, `OTP` → `AUTHENTICATION`), in any case. The error names
    /// `field` and lists the current names.
    pub fn parse_legacy(s: &str, field: &str) -> Result<Self, crate::error::ValidationError> {
        let s = s.trim();
        match LEGACY.iter().find(|(old, _)| old.eq_ignore_ascii_case(s)) {
            Some((_, now)) => Ok(*now),
            None => Self::parse_field(s, field),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ValidationKind;

    #[test]
    fn parses_any_case_and_prints_metas_spelling() {
        assert_eq!(
            TemplateCategory::parse("marketing").unwrap(),
            TemplateCategory::Marketing
        );
        assert_eq!(
            TemplateCategory::parse("Utility").unwrap().as_str(),
            "UTILITY"
        );
        assert_eq!(
            TemplateCategory::Authentication.to_string(),
            "AUTHENTICATION"
        );
        assert_eq!(TemplateCategory::ALL.len(), 3);
    }

    #[test]
    fn old_category_names_are_rejected() {
        for old in ["TRANSACTIONAL", "OTP", "SERVICE", ""] {
            let e = TemplateCategory::parse(old).unwrap_err();
            assert_eq!(e.field, "category");
            assert_eq!(e.kind, ValidationKind::Invalid);
            assert!(
                e.message.contains("MARKETING, UTILITY, AUTHENTICATION"),
                "{e}"
            );
        }
    }

    #[test]
    fn legacy_names_read_as_meta_migrated_them() {
        let p = |s| TemplateCategory::parse_legacy(s, "category");
        assert_eq!(p("TRANSACTIONAL").unwrap(), TemplateCategory::Utility);
        assert_eq!(p("otp").unwrap(), TemplateCategory::Authentication);
        assert_eq!(p("TICKET_UPDATE").unwrap(), TemplateCategory::Utility);
        assert_eq!(p(" marketing ").unwrap(), TemplateCategory::Marketing);
        let e = p("PROMO").unwrap_err();
        assert_eq!(e.field, "category");
        assert!(
            e.message.contains("MARKETING, UTILITY, AUTHENTICATION"),
            "{e}"
        );
    }

    #[test]
    fn serde_uses_the_wire_string() {
        let v = serde_json::to_value(TemplateCategory::Utility).unwrap();
        assert_eq!(v, "UTILITY");
        let c: TemplateCategory = serde_json::from_value(v).unwrap();
        assert_eq!(c, TemplateCategory::Utility);
        assert!(serde_json::from_str::<TemplateCategory>("\"PROMO\"").is_err());
    }
}
