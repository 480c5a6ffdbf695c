//! [`TemplateError`]: why a template was refused, answered as Meta does (reference §3.2, §4):
//! Graph code 100, an `error_subcode` from the 2388xxx family, a title and a message.
//!
//! Meta answers one error per request, so parsing and [`lint`](super::lint) stop at the first
//! violation, in a fixed order.
//!
//! The error-code table ([`ErrorCode`]) has one Graph subcode per code, and template errors
//! need one per rule; so the subcode, title and user message live here, and
//! [`TemplateError::graph`] gives the Graph view the Cloud renderer needs.

use crate::error::{ErrorCode, GraphError, GraphErrorType, ValidationError};

/// Which of Meta's template errors a violation is. Each maps to one Graph subcode.
///
/// Subcodes are those the reference lists in §4 (2388019, 2388023, 2388040, 2388047, 2388073,
/// 2388293, 2388299). Where it lists none for a rule, the closest is used, and the variant says
/// so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateErrorKind {
    /// The request's shape: a field missing or of the wrong JSON type, an unknown enum value,
    /// an unsupported language, a name outside Meta's charset, a TTL out of range. Meta answers
    /// these as plain `(#100) Invalid parameter`, without a subcode.
    InvalidParameter,
    /// A text over its limit: body, header, footer, button label, URL, phone number, copy
    /// code, card body, offer text (2388040).
    CharacterLimit,
    /// The header: a second variable, a missing example or media handle, a header the
    /// category does not allow (2388047).
    HeaderFormat,
    /// The body: malformed or non-sequential variables, missing examples, custom text in an
    /// authentication template (2388047: the reference gives one subcode for header and body
    /// format; a third-party table lists 2388072 for the body).
    BodyFormat,
    /// The footer: a variable in it, or text where only `code_expiration_minutes` is allowed
    /// (2388073).
    FooterFormat,
    /// Buttons: counts, grouping, types the category does not allow, URL and OTP details.
    /// The reference documents no button subcode; 2388047 ("format is incorrect") is the
    /// closest.
    ButtonFormat,
    /// The set of components: no or two bodies, duplicates, carousel and offer structure, a
    /// component the category does not allow. No subcode is documented; 2388047 is the
    /// closest.
    ComponentFormat,
    /// Too many variables for the length of the text (2388293).
    TooManyVariables,
    /// The body starts or ends with a variable (2388299).
    DanglingVariable,
    /// A template with this name and language already exists (2388023). Raised by the store
    /// layer, not by the lint.
    NameTaken,
    /// The WABA is at its template count limit (2388019). Raised by the store layer.
    TemplateLimit,
}

impl TemplateErrorKind {
    /// Every kind, for tests and documentation.
    pub const ALL: &'static [TemplateErrorKind] = &[
        Self::InvalidParameter,
        Self::CharacterLimit,
        Self::HeaderFormat,
        Self::BodyFormat,
        Self::FooterFormat,
        Self::ButtonFormat,
        Self::ComponentFormat,
        Self::TooManyVariables,
        Self::DanglingVariable,
        Self::NameTaken,
        Self::TemplateLimit,
    ];

    /// Meta's `error_subcode`.
    pub fn subcode(self) -> Option<u32> {
        match self {
            Self::InvalidParameter => None,
            Self::CharacterLimit => Some(2388040),
            Self::HeaderFormat | Self::BodyFormat | Self::ButtonFormat | Self::ComponentFormat => {
                Some(2388047)
            }
            Self::FooterFormat => Some(2388073),
            Self::TooManyVariables => Some(2388293),
            Self::DanglingVariable => Some(2388299),
            Self::NameTaken => Some(2388023),
            Self::TemplateLimit => Some(2388019),
        }
    }

    /// Meta's `error_user_title` (our wording; no client keys on it).
    pub fn user_title(self) -> &'static str {
        match self {
            Self::InvalidParameter => "Invalid parameter",
            Self::CharacterLimit => "Character limit exceeded",
            Self::HeaderFormat => "Message header format is incorrect",
            Self::BodyFormat => "Message body format is incorrect",
            Self::FooterFormat => "Message footer format is incorrect",
            Self::ButtonFormat => "Buttons format is incorrect",
            Self::ComponentFormat => "Template format is incorrect",
            Self::TooManyVariables => "Too many variables for the message length",
            Self::DanglingVariable => "Variables can't be at the start or end of the template",
            Self::NameTaken => "Template name already exists",
            Self::TemplateLimit => "Template limit reached",
        }
    }
}

/// One violation: which rule, the dotted path of the field at fault in the create request
/// (`components[2].buttons[1].text`), and a message that says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    pub field: String,
    pub message: String,
}

impl TemplateError {
    /// Meta's `error.code` for every template management error.
    pub const CODE: u32 = 100;

    pub fn new(
        kind: TemplateErrorKind,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            field: field.into(),
            message: message.into(),
        }
    }

    /// The name is taken in this language (for the store layer).
    pub fn name_taken(name: &str, language: &str) -> Self {
        Self::new(
            TemplateErrorKind::NameTaken,
            "name",
            format!(
                "a template named `{name}` already exists in {language}; choose another name \
                 or edit that template"
            ),
        )
    }

    /// The WABA holds `limit` templates already (for the store layer).
    pub fn limit_reached(limit: u32) -> Self {
        Self::new(
            TemplateErrorKind::TemplateLimit,
            "name",
            format!("this account already has {limit} templates; delete unused ones first"),
        )
    }

    /// Meta's `error.code`: always 100.
    pub fn code(&self) -> u32 {
        Self::CODE
    }

    pub fn subcode(&self) -> Option<u32> {
        self.kind.subcode()
    }

    pub fn user_title(&self) -> &'static str {
        self.kind.user_title()
    }

    /// Meta's `error_user_msg`: the field and what to do about it.
    pub fn user_msg(&self) -> String {
        self.to_string()
    }

    /// The row of the error-code table this belongs to on the management plane.
    pub fn error_code(&self) -> ErrorCode {
        ErrorCode::InvalidRequest
    }

    /// How the error appears on the Cloud (Graph) plane: code 100 with this error's subcode,
    /// HTTP 400.
    pub fn graph(&self) -> GraphError {
        GraphError {
            code: Self::CODE,
            subcode: self.subcode(),
            kind: GraphErrorType::OAuthException,
            status: 400,
        }
    }
}

/// A shape error from parsing: Graph answers those as plain code 100.
impl From<ValidationError> for TemplateError {
    fn from(e: ValidationError) -> Self {
        Self::new(TemplateErrorKind::InvalidParameter, e.field, e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subcodes_follow_the_reference() {
        use TemplateErrorKind::*;
        let table = [
            (InvalidParameter, None),
            (CharacterLimit, Some(2388040)),
            (HeaderFormat, Some(2388047)),
            (BodyFormat, Some(2388047)),
            (FooterFormat, Some(2388073)),
            (ButtonFormat, Some(2388047)),
            (ComponentFormat, Some(2388047)),
            (TooManyVariables, Some(2388293)),
            (DanglingVariable, Some(2388299)),
            (NameTaken, Some(2388023)),
            (TemplateLimit, Some(2388019)),
        ];
        assert_eq!(table.len(), TemplateErrorKind::ALL.len());
        for (kind, sub) in table {
            assert_eq!(kind.subcode(), sub, "{kind:?}");
            assert!(!kind.user_title().is_empty());
        }
    }

    #[test]
    fn graph_view_is_code_100_with_the_subcode() {
        let e = TemplateError::new(
            TemplateErrorKind::DanglingVariable,
            "components[0].text",
            "add text before {{1}}",
        );
        let g = e.graph();
        assert_eq!((g.code, g.subcode, g.status), (100, Some(2388299), 400));
        assert_eq!(g.kind, GraphErrorType::OAuthException);
        assert_eq!(e.user_msg(), "components[0].text: add text before {{1}}");
        assert_eq!(e.error_code(), ErrorCode::InvalidRequest);
    }

    #[test]
    fn shape_errors_have_no_subcode() {
        let e: TemplateError = ValidationError::missing("category", "is required").into();
        assert_eq!(e.kind, TemplateErrorKind::InvalidParameter);
        assert_eq!((e.code(), e.subcode()), (100, None));
        assert_eq!(e.field, "category");
        assert_eq!(e.user_title(), "Invalid parameter");
    }

    #[test]
    fn store_layer_errors() {
        let e = TemplateError::name_taken("promo", "en_US");
        assert_eq!((e.subcode(), e.field.as_str()), (Some(2388023), "name"));
        assert!(e.message.contains("`promo` already exists in en_US"));
        assert_eq!(TemplateError::limit_reached(250).subcode(), Some(2388019));
    }
}
