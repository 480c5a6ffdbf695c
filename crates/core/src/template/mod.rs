//! Message templates: the values and rules of `POST /{waba_id}/message_templates`.
//!
//! # Model
//! A create request is parsed into a [`TemplateDraft`] ([`TemplateDraft::parse`]): its shape,
//! its [`TemplateName`], [`TemplateLanguage`], [`TemplateCategory`] and [`ParameterFormat`],
//! and its [`Component`]s, typed, next to the `components` JSON as sent (which the store
//! keeps and `GET` answers). [`lint()`] then applies Meta's content rules (reference §6.5).
//! Both answer the first violation as a [`TemplateError`]: Graph code 100, a 2388xxx subcode
//! where Meta has one, the field's path and what to fix.
//!
//! [`variables`] reads `{{1}}` / `{{first_name}}` variables out of a text and renders a text
//! with values; sending uses it to count parameters and store what the user received.
//!
//! [`TemplateStatus`], [`RejectionReason`] and [`QualityScore`] are the review workflow's
//! vocabulary. Templates are identified by Meta-style [`TemplateId`](crate::ids::TemplateId)s.
//!
//! # Layout
//! - `name`, `language`, `category`, `status`: the values, one file each.
//! - `component`, `button`: components and buttons as the create request spells them.
//! - `draft`: [`TemplateDraft`], the parsed request.
//! - [`mod@lint`]: Meta's rules, one file per part of a template.
//! - [`variables`]: variables, [`ParameterFormat`], rendering.
//! - [`mod@fill`]: a send request's parameters checked against the template (132xxx) and the
//!   text the user receives.
//! - `error`: [`TemplateError`] and its subcodes. [`limits`]: Meta's numbers.
//! - `wire`: the macro behind the uppercase wire enums.

mod wire;

mod button;
mod category;
mod component;
mod draft;
mod edit;
mod error;
pub mod fill;
mod language;
pub mod limits;
pub mod lint;
mod name;
mod status;
mod stored;
mod upsert;
pub mod variables;

pub use button::{Button, ButtonType, FlowAction, FlowButton, OtpButton, OtpType, SupportedApp};
pub use category::TemplateCategory;
pub use component::parse_components;
pub use component::{
    Body, Card, Component, ComponentType, Example, Footer, Header, HeaderFormat, LimitedTimeOffer,
    NamedExample,
};
pub use draft::TemplateDraft;
pub use edit::TemplateEdit;
pub use error::{TemplateError, TemplateErrorKind};
pub use fill::{FillError, Fillable, Rendered, RenderedCard, fill};
pub use language::{LANGUAGE_NAMES, LANGUAGES, TemplateLanguage};
pub use lint::lint;
pub use name::{TemplateName, normalise as normalise_name};
pub use status::{QualityScore, RejectionReason, TemplateStatus};
pub use stored::Template;
pub use upsert::{AuthUpsert, LanguageUpsert};
pub use variables::{ParameterFormat, Params, Placeholder, Variable, render};
