//! [`TemplateLanguage`]: one of the language and locale codes Meta supports for templates.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// Every language code Meta accepts for a template, in the order of Meta's "Supported
/// languages" table (the same list @kapso/whatsapp-cloud-api validates against). A bare
/// language (`en`) and its locales (`en_US`, `en_GB`) are distinct templates.
pub const LANGUAGES: &[&str] = &[
    "af", "sq", "ar", "ar_EG", "ar_AE", "ar_LB", "ar_MA", "ar_QA", "az", "be_BY", "bn", "bn_IN",
    "bg", "ca", "zh_CN", "zh_HK", "zh_TW", "hr", "cs", "da", "prs_AF", "nl", "nl_BE", "en",
    "en_GB", "en_US", "en_AE", "en_AU", "en_CA", "en_GH", "en_IE", "en_IN", "en_JM", "en_MY",
    "en_NZ", "en_QA", "en_SG", "en_UG", "en_ZA", "et", "fil", "fi", "fr", "fr_BE", "fr_CA",
    "fr_CH", "fr_CI", "fr_MA", "ka", "de", "de_AT", "de_CH", "el", "gu", "ha", "he", "hi", "hu",
    "id", "ga", "it", "ja", "kn", "kk", "rw_RW", "ko", "ky_KG", "lo", "lv", "lt", "mk", "ms", "ml",
    "mr", "nb", "ps_AF", "fa", "pl", "pt_BR", "pt_PT", "pa", "ro", "ru", "sr", "si_LK", "sk", "sl",
    "es", "es_AR", "es_CL", "es_CO", "es_CR", "es_DO", "es_EC", "es_HN", "es_MX", "es_PA", "es_PE",
    "es_ES", "es_UY", "sw", "sv", "ta", "te", "th", "tr", "uk", "ur", "uz", "vi", "zu",
];

/// Each entry of [`LANGUAGES`]'s name in Meta's "Supported languages" table, in the same
/// order ("English (US)" for `en_US`): what template tools show, and what some providers'
/// APIs take instead of the code.
pub const LANGUAGE_NAMES: &[&str] = &[
    "Afrikaans",
    "Albanian",
    "Arabic",
    "Arabic (EGY)",
    "Arabic (UAE)",
    "Arabic (LBN)",
    "Arabic (MAR)",
    "Arabic (QAT)",
    "Azerbaijani",
    "Belarusian",
    "Bengali",
    "Bengali (IND)",
    "Bulgarian",
    "Catalan",
    "Chinese (CHN)",
    "Chinese (HKG)",
    "Chinese (TAI)",
    "Croatian",
    "Czech",
    "Danish",
    "Dari",
    "Dutch",
    "Dutch (BEL)",
    "English",
    "English (UK)",
    "English (US)",
    "English (UAE)",
    "English (AUS)",
    "English (CAN)",
    "English (GHA)",
    "English (IRL)",
    "English (IND)",
    "English (JAM)",
    "English (MYS)",
    "English (NZL)",
    "English (QAT)",
    "English (SGP)",
    "English (UGA)",
    "English (ZAF)",
    "Estonian",
    "Filipino",
    "Finnish",
    "French",
    "French (BEL)",
    "French (CAN)",
    "French (CHE)",
    "French (CIV)",
    "French (MAR)",
    "Georgian",
    "German",
    "German (AUT)",
    "German (CHE)",
    "Greek",
    "Gujarati",
    "Hausa",
    "Hebrew",
    "Hindi",
    "Hungarian",
    "Indonesian",
    "Irish",
    "Italian",
    "Japanese",
    "Kannada",
    "Kazakh",
    "Kinyarwanda",
    "Korean",
    "Kyrgyz (Kyrgyzstan)",
    "Lao",
    "Latvian",
    "Lithuanian",
    "Macedonian",
    "Malay",
    "Malayalam",
    "Marathi",
    "Norwegian",
    "Pashto",
    "Persian",
    "Polish",
    "Portuguese (BR)",
    "Portuguese (POR)",
    "Punjabi",
    "Romanian",
    "Russian",
    "Serbian",
    "Sinhala",
    "Slovak",
    "Slovenian",
    "Spanish",
    "Spanish (ARG)",
    "Spanish (CHL)",
    "Spanish (COL)",
    "Spanish (CRI)",
    "Spanish (DOM)",
    "Spanish (ECU)",
    "Spanish (HND)",
    "Spanish (MEX)",
    "Spanish (PAN)",
    "Spanish (PER)",
    "Spanish (SPA)",
    "Spanish (URY)",
    "Swahili",
    "Swedish",
    "Tamil",
    "Telugu",
    "Thai",
    "Turkish",
    "Ukrainian",
    "Urdu",
    "Uzbek",
    "Vietnamese",
    "Zulu",
];

/// A supported template language. Holds the entry of [`LANGUAGES`], so it is `Copy` and
/// always spelled as Meta spells it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "&'static str")]
#[schema(value_type = String, example = "en_US")]
pub struct TemplateLanguage(&'static str);

impl TemplateLanguage {
    /// Parses a code from [`LANGUAGES`]. Case is forgiven (`en_us` reads as `en_US`); `-` for
    /// `_` is not, since Meta does not accept it either.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        LANGUAGES
            .iter()
            .find(|code| code.eq_ignore_ascii_case(s))
            .map(|code| Self(code))
            .ok_or_else(|| {
                ValidationError::new(
                    "language",
                    format!(
                        "`{s}` is not a language Meta supports for templates; use a code such \
                         as en, en_US, pt_BR or es_MX"
                    ),
                )
            })
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The language by its name in Meta's table ([`LANGUAGE_NAMES`]: "English (US)",
    /// "Afrikaans"), case and surrounding spaces forgiven; `None` for any other text.
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim();
        LANGUAGE_NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .map(|i| Self(LANGUAGES[i]))
    }

    /// The language's name in Meta's table ("English (US)" for `en_US`).
    pub fn name(self) -> &'static str {
        LANGUAGES
            .iter()
            .position(|code| *code == self.0)
            .map_or(self.0, |i| LANGUAGE_NAMES[i])
    }
}

impl fmt::Display for TemplateLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl TryFrom<String> for TemplateLanguage {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TemplateLanguage> for &'static str {
    fn from(l: TemplateLanguage) -> &'static str {
        l.0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_list_is_well_formed() {
        let unique: HashSet<_> = LANGUAGES.iter().collect();
        assert_eq!(unique.len(), LANGUAGES.len(), "duplicate code");
        for code in LANGUAGES {
            let (lang, region) = code.split_once('_').unwrap_or((code, ""));
            assert!((2..=3).contains(&lang.len()), "{code}");
            assert!(lang.bytes().all(|b| b.is_ascii_lowercase()), "{code}");
            assert!(region.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
        }
        for expected in ["en", "en_US", "pt_BR", "es_MX", "prs_AF", "fil", "zh_TW"] {
            assert!(LANGUAGES.contains(&expected), "{expected}");
        }
    }

    #[test]
    fn known_codes_parse_to_metas_spelling() {
        assert_eq!(TemplateLanguage::parse("en_US").unwrap().as_str(), "en_US");
        assert_eq!(TemplateLanguage::parse("pt_br").unwrap().as_str(), "pt_BR");
        assert_eq!(TemplateLanguage::parse("EN").unwrap().to_string(), "en");
    }

    #[test]
    fn unknown_codes_are_rejected() {
        for bad in ["english", "en-US", "xx", "pt", "en_XX", "", "zh"] {
            let e = TemplateLanguage::parse(bad).unwrap_err();
            assert_eq!(e.field, "language", "{bad}");
            assert!(e.message.contains("not a language Meta supports"), "{bad}");
        }
    }

    #[test]
    fn names_match_codes_one_to_one() {
        assert_eq!(LANGUAGE_NAMES.len(), LANGUAGES.len());
        let unique: HashSet<_> = LANGUAGE_NAMES.iter().map(|n| n.to_lowercase()).collect();
        assert_eq!(unique.len(), LANGUAGE_NAMES.len(), "duplicate name");
        for code in LANGUAGES {
            let l = TemplateLanguage::parse(code).unwrap();
            assert_eq!(TemplateLanguage::from_name(l.name()), Some(l), "{code}");
        }
        let en_us = TemplateLanguage::from_name(" english (us) ").unwrap();
        assert_eq!(en_us.as_str(), "en_US");
        assert_eq!(en_us.name(), "English (US)");
        assert_eq!(
            TemplateLanguage::from_name("Afrikaans").unwrap().as_str(),
            "af"
        );
        assert_eq!(
            TemplateLanguage::from_name("English").unwrap().as_str(),
            "en"
        );
        assert_eq!(TemplateLanguage::from_name("en_US"), None);
        assert_eq!(TemplateLanguage::from_name("Klingon"), None);
    }

    #[test]
    fn serde() {
        let l: TemplateLanguage = serde_json::from_str("\"es_MX\"").unwrap();
        assert_eq!(serde_json::to_string(&l).unwrap(), "\"es_MX\"");
        assert!(serde_json::from_str::<TemplateLanguage>("\"es_XX\"").is_err());
    }
}
