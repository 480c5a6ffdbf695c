//! **Redington WhatsApp API** (the AiSensy-style "Project API"), seed
//! `000_e681fa34a10f76c2.txt`, at `/compat/redington`: the provider's paths verbatim after
//! its host (`https://apis.whatsapp.redingtongroup.com/project-apis/v1/project/{project_id}/…`
//! becomes `…/compat/redington/project-apis/v1/project/{project_id}/…`).
//!
//! - **Identity** ([`auth`]): the project is a wagate channel (its id or its phone number
//!   id), the `X-Project-API-Pwd` header a wagate API key (one limited to the channel is
//!   the natural project password).
//! - **Errors** ([`errors`]): one JSON body, with the seed's 601–604 for bad parameters.
//! - **Callbacks** ([`webhook`]): format `redington` on wagate's durable webhook engine,
//!   subscribed through `/api/v1/webhooks` (the seed has no subscription API).
//!
//! # What cannot be real on Meta's Cloud API, and the answer
//!
//! - Ids are wagate's (UUIDs for messages, contacts, campaigns; Meta's decimal ids for
//!   templates and media), not 24-hex Mongo ids: clients treat them as opaque strings.
//! - `on_whatsapp` is unknown until a message is delivered or fails with 131026.
//! - The audience category `CLICKED` is empty: WhatsApp reports no URL clicks.
//! - §8's AUTHENTICATION template with phone and URL buttons is refused, as Meta does,
//!   with the reason; so is §8's Sample 1 as written, whose body ends with a variable
//!   (Meta's 2388299). See `templates.rs` for the template form's other choices.
//! - A media template's header sample (which WhatsApp reviews, and the seed has no field
//!   for) is `sample_media` (a URL or an uploaded media id) or `header_handle`.

pub mod auth;
mod campaigns;
mod contacts;
pub mod errors;
mod media;
mod messages;
mod templates;
pub mod webhook;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn;
use axum::routing::{any, get, post};
use wagate_app::App;
use wagate_core::webhook::PayloadFormat;

use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

/// Where the provider's paths start.
pub const BASE: &str = "/compat/redington/project-apis/v1/project/{project_id}";

fn at(path: &str) -> String {
    format!("{BASE}{path}")
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(&at("/media"), post(media::upload))
        .route(&at("/messages"), post(messages::send))
        .route(&at("/messages/{message_id}"), get(messages::get))
        .route(
            &at("/wa_template"),
            post(templates::create).get(templates::list),
        )
        .route(
            &at("/wa_template/{wa_template_id}"),
            get(templates::get).delete(templates::delete),
        )
        .route(&at("/contact"), get(contacts::fetch).post(contacts::create))
        .route(
            &at("/contact/{contact_id}"),
            get(contacts::get).patch(contacts::update),
        )
        .route(
            &at("/campaign/api"),
            get(campaigns::list).post(campaigns::create),
        )
        .route(&at("/campaign/api/send"), post(campaigns::send))
        .route(&at("/campaign/api/{campaign_id}"), get(campaigns::get))
        .route(
            &at("/campaign/analytics/{campaign_id}"),
            post(campaigns::analytics),
        )
        .route(
            &at("/campaign/audience/{campaign_id}"),
            get(campaigns::audience).post(campaigns::campaigns),
        )
        .route("/compat/redington/{*rest}", any(unknown))
        .layer(from_fn(errors::errors))
}

async fn unknown() -> ApiError {
    ApiError::new(
        ErrorCode::RouteNotFound,
        "no such Project API endpoint; see the README's Redington section",
    )
}

/// The Project API's operations, for the OpenAPI document: method, path after [`BASE`],
/// the seed's section and what it does.
pub const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "post",
        "/media",
        "§4",
        "Upload a media file (multipart `file`) → `{id}`",
    ),
    (
        "post",
        "/messages",
        "§5, §6",
        "Send a session message (text, document, image) or an approved template; creates the contact of a new number",
    ),
    (
        "get",
        "/messages/{message_id}",
        "§7",
        "A message's details: status, failure, price, conversation, contact, campaign",
    ),
    (
        "post",
        "/wa_template",
        "§8",
        "Submit a template (the seed's simplified form) for review",
    ),
    (
        "get",
        "/wa_template",
        "§9",
        "List templates (`limit`, `after`/`before` template ids)",
    ),
    (
        "get",
        "/wa_template/{wa_template_id}",
        "§10",
        "A template by id",
    ),
    (
        "delete",
        "/wa_template/{wa_template_id}",
        "§11",
        "Delete a template by id → `{status: success}`",
    ),
    ("post", "/contact", "§12", "Create a contact (opted in)"),
    (
        "get",
        "/contact",
        "§14",
        "A contact by mobile number (`action=FetchContact&mobile_number=`)",
    ),
    ("get", "/contact/{contact_id}", "§13", "A contact by id"),
    (
        "patch",
        "/contact/{contact_id}",
        "§15",
        "Update a contact's name, blocked, opted_in and attributes",
    ),
    (
        "post",
        "/campaign/api",
        "§16",
        "Create an API campaign on an approved template",
    ),
    (
        "get",
        "/campaign/api",
        "§18",
        "List the project's API campaigns",
    ),
    (
        "post",
        "/campaign/api/send",
        "§17",
        "Send an API campaign's template to one contact",
    ),
    (
        "get",
        "/campaign/api/{campaign_id}",
        "§19",
        "A campaign's details (audience size, submitted)",
    ),
    (
        "post",
        "/campaign/analytics/{campaign_id}",
        "§20",
        "A campaign's daily analytics (optional `startDate`/`endDate`)",
    ),
    (
        "get",
        "/campaign/audience/{campaign_id}",
        "§21",
        "A campaign's audience: cursors, category and date filters, sort, projection",
    ),
    (
        "post",
        "/campaign/audience/{campaign_id}",
        "§22",
        "Get Campaigns: the project's campaigns by `campaignType` with `skip`/`limit`",
    ),
];

/// Registers the dialect's webhook format with `app`.
pub fn register(app: &App) {
    app.register_payload_format(
        PayloadFormat::parse(webhook::FORMAT).expect("a valid format name"),
        Arc::new(webhook::ProjectCallbacks),
    );
}
