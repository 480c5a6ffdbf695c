//! Meta's `POST /{waba_id}/upsert_message_templates`: one AUTHENTICATION template in several
//! languages, created where it is missing and edited where it exists.

use serde_json::{Value, json};

use super::{TemplateDraft, TemplateEdit, TemplateError, TemplateLanguage};
use crate::error::ValidationError;

/// The fields an upsert body may have.
const FIELDS: &[&str] = &[
    "name",
    "languages",
    "category",
    "components",
    "message_send_ttl_seconds",
];

/// An upsert, parsed: for each language, the template to create if it is missing there and
/// the edit to apply if it exists.
#[derive(Debug, Clone)]
pub struct AuthUpsert {
    pub languages: Vec<LanguageUpsert>,
}

#[derive(Debug, Clone)]
pub struct LanguageUpsert {
    pub language: TemplateLanguage,
    pub create: TemplateDraft,
    pub edit: TemplateEdit,
}

impl AuthUpsert {
    /// `{name, languages, category: "AUTHENTICATION", components, message_send_ttl_seconds?}`.
    /// Every language's whole template is checked here, so nothing is stored for a body that
    /// is wrong in any of them.
    pub fn parse(body: &Value) -> Result<Self, TemplateError> {
        let Value::Object(fields) = body else {
            return Err(ValidationError::new("body", "must be a JSON object").into());
        };
        match fields.get("category").and_then(Value::as_str) {
            Some(c) if c.eq_ignore_ascii_case("AUTHENTICATION") => {}
            _ => {
                return Err(ValidationError::new(
                    "category",
                    "must be AUTHENTICATION: only authentication templates are upserted",
                )
                .into());
            }
        }
        let languages = match fields.get("languages") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|l| {
                    l.as_str()
                        .ok_or_else(|| ValidationError::new("languages", "must hold strings"))
                        .and_then(|l| {
                            TemplateLanguage::parse(l)
                                .map_err(|e| ValidationError::new("languages", e.message))
                        })
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => {
                return Err(ValidationError::new(
                    "languages",
                    "is required: a non-empty list of language codes",
                )
                .into());
            }
        };
        if let Some(key) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(ValidationError::new(key.as_str(), "is not a field of an upsert").into());
        }
        let mut out = Vec::with_capacity(languages.len());
        for language in languages {
            let mut one = fields.clone();
            one.remove("languages");
            one.insert("language".into(), json!(language.as_str()));
            let create = TemplateDraft::parse(&Value::Object(one.clone()))?;
            let mut changes = json!({"components": one.get("components").cloned()});
            if let Some(ttl) = one.get("message_send_ttl_seconds") {
                changes["message_send_ttl_seconds"] = ttl.clone();
            }
            let edit = TemplateEdit::parse(&changes)?;
            out.push(LanguageUpsert {
                language,
                create,
                edit,
            });
        }
        Ok(Self { languages: out })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(languages: Value) -> Value {
        json!({
            "name": "otp_code",
            "languages": languages,
            "category": "AUTHENTICATION",
            "components": [
                {"type": "BODY", "add_security_recommendation": true},
                {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}
            ]
        })
    }

    #[test]
    fn one_template_per_language() {
        let u = AuthUpsert::parse(&body(json!(["en_US", "es"]))).unwrap();
        let langs: Vec<_> = u.languages.iter().map(|l| l.language.as_str()).collect();
        assert_eq!(langs, ["en_US", "es"]);
        assert_eq!(u.languages[1].create.name().as_str(), "otp_code");
    }

    #[test]
    fn refused_before_anything_is_planned() {
        let field = |v: &Value| AuthUpsert::parse(v).unwrap_err().field;
        assert_eq!(field(&body(json!([]))), "languages");
        assert_eq!(field(&body(json!(["xx_YY"]))), "languages");
        assert_eq!(field(&body(json!([1]))), "languages");
        let mut marketing = body(json!(["en_US"]));
        marketing["category"] = json!("MARKETING");
        assert_eq!(field(&marketing), "category");
        let mut extra = body(json!(["en_US"]));
        extra["colour"] = json!("red");
        assert_eq!(field(&extra), "colour");
        assert_eq!(field(&json!([1])), "body");
    }
}
