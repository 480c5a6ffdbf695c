//! **WhatsApp HTTP API v2.0.0** (the instance-style API of the WhatsApp-Web gateways),
//! seed `002_0876ba3f1cdd4095.txt`, at `/compat/httpapi`: the provider's paths verbatim
//! after its host (`https://{base_url}/api/sendText?token=…` becomes
//! `…/compat/httpapi/api/sendText?token=…`). Every endpoint answers GET and POST alike.
//!
//! - **Identity and parameters** ([`call`]): `token=<wagate API key>` in the query or the
//!   form; the instance is the key's channel (or `instance=…`, or a path segment
//!   `/compat/httpapi/{instance}/api/…`); query and form merged as Go's `url.Values`; the
//!   local-file variants as multipart with a `file` part.
//! - **Envelope** ([`errors`]): `{status, message: "NN-Text", data | request, responsetime}`
//!   with the seed's codes 00–15.
//! - **Sends** ([`send`]) §1.1–§1.9, **reports** ([`reports`]) §2 and §4, **instance,
//!   balance, groups, contacts** ([`account`]) §3, §5–§7.
//!
//! What cannot be real on Meta's Cloud API, and the answer (dialects.md §2): no QR pairing
//! (the connected branch from the registration, never a QR); no call buttons and no URL
//! button mixed with reply buttons (refused naming the limit); no location header or
//! location `url` (sent as separate messages, every id returned); no WhatsApp-Web groups
//! or address book (the groups created through wagate, the contact book).
//!
//! - **Webhooks** ([`webhook`]) §8: the flat `delivery` and `inbox` payloads, a payload
//!   format (`httpapi`) subscriptions of `/api/v1/webhooks` name; a file a user sends as
//!   the seed's multipart form (`json` field + `file1` with the bytes), or the JSON inbox
//!   payload naming its media id when the file is gone or over `[webhooks] max_media_mb`.
//!
//! Not served: setting `webHook` through the instance object (the seed has no call for it
//! either: subscribe through `/api/v1/webhooks`).

pub mod account;
pub mod call;
pub mod errors;
pub mod reports;
pub mod send;
pub mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::middleware::from_fn;
use axum::routing::{MethodRouter, any, get};
use wagate_app::App;
use wagate_core::error::ErrorCode;
use wagate_core::webhook::PayloadFormat;

use crate::error::ApiError;
use crate::state::AppState;

/// Where the provider's paths start.
pub const BASE: &str = "/compat/httpapi";

/// The largest body a send takes (a multipart file: the core's per-kind limits decide).
const MAX_BODY_BYTES: usize = 17 * 1024 * 1024;

/// The operations, for the OpenAPI document: method, path after [`BASE`], the seed's
/// section and what it does. Each is served as GET and as POST, alike.
pub const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "get",
        "/api/sendText",
        "§1.1",
        "Send a text (parts of 2,000 bytes)",
    ),
    (
        "post",
        "/api/sendText",
        "§1.1",
        "Send a text (parts of 2,000 bytes)",
    ),
    (
        "get",
        "/api/sendFiles",
        "§1.2",
        "Send a file from `link`, or a multipart `file`",
    ),
    (
        "post",
        "/api/sendFiles",
        "§1.2",
        "Send a file from `link`, or a multipart `file`",
    ),
    (
        "get",
        "/api/sendFileWithCaption",
        "§1.3",
        "Send a file with `message` as its caption",
    ),
    (
        "post",
        "/api/sendFileWithCaption",
        "§1.3",
        "Send a file with `message` as its caption",
    ),
    (
        "get",
        "/api/sendLocation",
        "§1.4",
        "Send a location (a `url` follows as a text)",
    ),
    (
        "post",
        "/api/sendLocation",
        "§1.4",
        "Send a location (a `url` follows as a text)",
    ),
    ("get", "/api/sendContact", "§1.5", "Send a contact card"),
    ("post", "/api/sendContact", "§1.5", "Send a contact card"),
    (
        "get",
        "/api/sendTextButton",
        "§1.6",
        "Send a text with reply buttons or one URL button",
    ),
    (
        "post",
        "/api/sendTextButton",
        "§1.6",
        "Send a text with reply buttons or one URL button",
    ),
    (
        "get",
        "/api/sendFilesButton",
        "§1.7",
        "Send a file header with reply buttons or one URL button",
    ),
    (
        "post",
        "/api/sendFilesButton",
        "§1.7",
        "Send a file header with reply buttons or one URL button",
    ),
    (
        "get",
        "/api/sendLocationButton",
        "§1.8",
        "Send a location, then a text with buttons",
    ),
    (
        "post",
        "/api/sendLocationButton",
        "§1.8",
        "Send a location, then a text with buttons",
    ),
    (
        "get",
        "/api/sendList",
        "§1.9",
        "Send a list (rows=section:title:description)",
    ),
    (
        "post",
        "/api/sendList",
        "§1.9",
        "Send a list (rows=section:title:description)",
    ),
    (
        "get",
        "/api/campaignStatus",
        "§2.1",
        "One sent message's status (msg_id)",
    ),
    (
        "post",
        "/api/campaignStatus",
        "§2.1",
        "One sent message's status (msg_id)",
    ),
    (
        "get",
        "/api/campaignReport",
        "§2.2",
        "Sent messages of the last 7 days or a dd-mm-yyyy range",
    ),
    (
        "post",
        "/api/campaignReport",
        "§2.2",
        "Sent messages of the last 7 days or a dd-mm-yyyy range",
    ),
    (
        "get",
        "/api/qrCode",
        "§3.1",
        "The instance status (a Cloud number is always paired)",
    ),
    (
        "post",
        "/api/qrCode",
        "§3.1",
        "The instance status (a Cloud number is always paired)",
    ),
    (
        "get",
        "/api/qrCodeLink",
        "§3.2",
        "The instance status (a Cloud number is always paired)",
    ),
    (
        "post",
        "/api/qrCodeLink",
        "§3.2",
        "The instance status (a Cloud number is always paired)",
    ),
    (
        "get",
        "/api/inboxReport",
        "§4.1",
        "Received messages, all or a dd-mm-yyyy range",
    ),
    (
        "post",
        "/api/inboxReport",
        "§4.1",
        "Received messages, all or a dd-mm-yyyy range",
    ),
    (
        "get",
        "/api/inboxReportOffset",
        "§4.2",
        "Received messages after a message id",
    ),
    (
        "post",
        "/api/inboxReportOffset",
        "§4.2",
        "Received messages after a message id",
    ),
    (
        "get",
        "/api/checkBal",
        "§5",
        "The wallet's quota, expiry and backup",
    ),
    (
        "post",
        "/api/checkBal",
        "§5",
        "The wallet's quota, expiry and backup",
    ),
    (
        "get",
        "/api/groups",
        "§6",
        "The groups created on the number, with participants",
    ),
    (
        "post",
        "/api/groups",
        "§6",
        "The groups created on the number, with participants",
    ),
    ("get", "/api/contacts", "§7", "The contact book"),
    ("post", "/api/contacts", "§7", "The contact book"),
];

async fn unknown() -> ApiError {
    ApiError::new(
        ErrorCode::RouteNotFound,
        "no such HTTP API endpoint; see the README's WhatsApp HTTP API section",
    )
}

/// GET and POST of `handler`.
fn both<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState> + Clone,
    T: 'static,
{
    get(handler.clone()).post(handler)
}

/// The `/api/…` routes.
fn api() -> Router<AppState> {
    Router::new()
        .route("/api/sendText", both(send::send_text))
        .route("/api/sendFiles", both(send::send_files))
        .route(
            "/api/sendFileWithCaption",
            both(send::send_file_with_caption),
        )
        .route("/api/sendLocation", both(send::send_location))
        .route("/api/sendContact", both(send::send_contact))
        .route("/api/sendTextButton", both(send::send_text_button))
        .route("/api/sendFilesButton", both(send::send_files_button))
        .route("/api/sendLocationButton", both(send::send_location_button))
        .route("/api/sendList", both(send::send_list))
        .route("/api/campaignStatus", both(reports::campaign_status))
        .route("/api/campaignReport", both(reports::campaign_report))
        .route("/api/inboxReport", both(reports::inbox_report))
        .route("/api/inboxReportOffset", both(reports::inbox_report_offset))
        .route("/api/qrCode", both(account::instance))
        .route("/api/qrCodeLink", both(account::instance))
        .route("/api/checkBal", both(account::check_balance))
        .route("/api/groups", both(account::groups))
        .route("/api/contacts", both(account::contacts))
}

/// Registers the dialect's webhook format with `app`.
pub fn register(app: &App) {
    app.register_payload_format(
        PayloadFormat::parse(webhook::FORMAT).expect("a valid format name"),
        Arc::new(webhook::FlatCallbacks),
    );
}

pub fn router() -> Router<AppState> {
    Router::new()
        .nest(BASE, api())
        .nest(&format!("{BASE}/{{instance}}"), api())
        // Unknown operations in the dialect's format (other paths under the prefix are the
        // dialects' shared 404).
        .route(&format!("{BASE}/api/{{operation}}"), any(unknown))
        .route(
            &format!("{BASE}/{{instance}}/api/{{operation}}"),
            any(unknown),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(from_fn(errors::errors))
}
