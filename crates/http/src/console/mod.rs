//! The web console at `/console`: server-rendered pages (askama templates in
//! `crates/http/templates/console/`) made live by a small vendored script library (htmx,
//! plus `console.js` for Server-Sent Events and countdowns), every asset served by wagate.
//!
//! The model:
//! - **Access** ([`session`]): a person signs in with an API key and gets a server-side
//!   session (an HttpOnly, SameSite=Strict cookie; Secure behind HTTPS). Every request of a
//!   page carries the session, and every request that changes something carries its CSRF
//!   token (`X-CSRF-Token`, which htmx sends on every request, or a `csrf` form field): the
//!   [`session::guard`] middleware checks both before any handler runs. A page handler takes
//!   [`Console`], the session's [`Principal`](wagate_app::Principal), and calls the same
//!   services as the APIs with it, so a channel-scoped key sees only its channels.
//! - **Errors** ([`errors`]): handlers return [`ApiError`](crate::error::ApiError) like every
//!   other surface; the console renders it as a page, or, for an htmx request, as a message
//!   in the page's `#flash` region.
//! - **Pages**, one module per section, each a handful of thin handlers: [`home`] (overview),
//!   [`inbox`], [`phone`], [`contacts`], [`templates`], [`campaigns`], [`numbers`],
//!   [`webhooks`], [`settings`] (templates in `templates/console/<section>/`).
//! - **Assets** ([`assets`]): the stylesheet and scripts, embedded in the binary.

pub mod assets;
pub mod campaigns;
pub mod charts;
pub mod contacts;
pub mod errors;
pub mod home;
pub mod inbox;
pub mod numbers;
pub mod phone;
pub mod session;
pub mod settings;
pub mod templates;
pub mod webhooks;

use askama::Template;
use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{Html, IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

pub use session::Console;

/// Every console route: the open ones (sign-in, assets) and the guarded pages.
pub fn router(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .merge(home::routes())
        .merge(inbox::routes())
        .merge(phone::routes())
        .merge(contacts::routes())
        .merge(templates::routes())
        .merge(campaigns::routes())
        .merge(numbers::routes())
        .merge(webhooks::routes())
        .merge(settings::routes())
        .merge(session::signed_in_routes())
        // Any other `/console/…` path is the console's own "not found" (never the Cloud
        // plane's `/{object_id}/{edge}`).
        .route("/console/{*rest}", axum::routing::any(not_found))
        .layer(from_fn_with_state(state, session::guard));
    Router::new()
        .merge(session::open_routes())
        .merge(assets::routes())
        .merge(pages)
        .layer(from_fn(errors::render))
}

/// The frame every page shares: its title, the active section, the CSRF token its forms
/// carry, and whether the signed-in key sees the settings.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    pub active: &'static str,
    pub csrf: String,
    pub admin: bool,
}

/// A section in the top bar.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

impl Chrome {
    pub fn new(console: &Console, active: &'static str, title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            active,
            csrf: console.csrf.clone(),
            admin: console.principal.admin,
        }
    }

    /// The sections, in the top bar's order (settings for admin keys only).
    pub fn nav(&self) -> Vec<NavItem> {
        let mut items = vec![
            ("inbox", "/console/inbox", "Inbox"),
            ("phone", "/console/phone", "Sandbox phone"),
            ("contacts", "/console/contacts", "Contacts"),
            ("templates", "/console/templates", "Templates"),
            ("campaigns", "/console/campaigns", "Campaigns"),
            ("numbers", "/console/numbers", "Numbers & money"),
            ("webhooks", "/console/webhooks", "Webhooks"),
        ];
        if self.admin {
            items.push(("settings", "/console/settings", "Settings"));
        }
        items
            .into_iter()
            .map(|(key, href, label)| NavItem {
                href,
                label,
                current: key == self.active,
            })
            .collect()
    }
}

async fn not_found() -> ApiError {
    ApiError::new(
        wagate_core::error::ErrorCode::RouteNotFound,
        "there is no such page in the console",
    )
}

/// A template rendered as an HTML answer (a template that fails to render is a 500).
pub fn page(t: &impl Template) -> Result<Response, ApiError> {
    Ok(Html(t.render().map_err(ApiError::internal)?).into_response())
}
