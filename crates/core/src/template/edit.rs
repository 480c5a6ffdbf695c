//! [`TemplateEdit`]: the body of Meta's template edit (`POST /{template_id}`), parsed.
//!
//! An edit sets some of `category`, `components` (replacing them all) and
//! `message_send_ttl_seconds`; any other key is refused, naming it. What the edited template
//! then is, is a whole [`TemplateDraft`]: [`TemplateEdit::apply`] lays the changes over the
//! current template's body and parses the result, so an edit is held to every rule a create
//! is.

use serde_json::{Map, Value};

use super::draft::TemplateDraft;
use super::error::TemplateError;
use crate::error::ValidationError;

/// The keys an edit may set.
pub const EDITABLE: [&str; 3] = ["category", "components", "message_send_ttl_seconds"];

/// Which editable fields an edit sets, and to what. Only built by [`TemplateEdit::parse`].
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateEdit {
    changes: Map<String, Value>,
}

impl TemplateEdit {
    pub fn parse(body: &Value) -> Result<Self, ValidationError> {
        let Value::Object(changes) = body else {
            return Err(ValidationError::new("body", "must be a JSON object"));
        };
        if let Some(key) = changes.keys().find(|k| !EDITABLE.contains(&k.as_str())) {
            return Err(ValidationError::new(
                key.as_str(),
                "cannot be edited; only category, components and message_send_ttl_seconds can",
            ));
        }
        Ok(Self {
            changes: changes.clone(),
        })
    }

    /// The fields the edit sets, in the order given.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.changes.keys().map(String::as_str)
    }

    /// The edit as a JSON object of the fields it sets (Meta's `POST /{template_id}` body).
    pub fn to_json(&self) -> Value {
        Value::Object(self.changes.clone())
    }

    /// The template `current` (a create body: name, language, category, components…) with
    /// this edit applied, parsed as a whole.
    pub fn apply(&self, mut current: Value) -> Result<TemplateDraft, TemplateError> {
        for (k, v) in &self.changes {
            current[k] = v.clone();
        }
        TemplateDraft::parse(&current)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_editable_fields_are_taken_and_applied_over_the_template() {
        assert_eq!(
            TemplateEdit::parse(&json!(["category"])).unwrap_err().field,
            "body"
        );
        assert_eq!(
            TemplateEdit::parse(&json!({"name": "other"}))
                .unwrap_err()
                .field,
            "name"
        );
        let edit = TemplateEdit::parse(&json!({"category": "MARKETING"})).unwrap();
        assert_eq!(edit.fields().collect::<Vec<_>>(), ["category"]);
        let draft = edit
            .apply(
                json!({"name": "hello", "language": "en", "category": "UTILITY",
                "components": [{"type": "BODY", "text": "Hi"}]}),
            )
            .unwrap();
        assert_eq!(draft.category().as_str(), "MARKETING");
        assert_eq!(draft.name().as_str(), "hello");
        let bad = TemplateEdit::parse(&json!({"components": "none"})).unwrap();
        assert!(
            bad.apply(
                json!({"name": "hello", "language": "en", "category": "UTILITY",
                "components": [{"type": "BODY", "text": "Hi"}]})
            )
            .is_err()
        );
    }
}
