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
    fn serde_uses_the_wire_string() {
        let v = serde_json::to_value(TemplateCategory::Utility).unwrap();
        assert_eq!(v, "UTILITY");
        let c: TemplateCategory = serde_json::from_value(v).unwrap();
        assert_eq!(c, TemplateCategory::Utility);
        assert!(serde_json::from_str::<TemplateCategory>("\"PROMO\"").is_err());
    }
}
