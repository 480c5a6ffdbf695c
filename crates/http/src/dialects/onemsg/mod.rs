//! **1MSG.IO WhatsApp Business API 2.39**, seed `004_f2d0c19648e846ef.txt`, at
//! `/compat/1msg`: the provider's paths verbatim after its host
//! (`https://api.1msg.io/{instance}/sendMessage?token=…` becomes
//! `…/compat/1msg/{instance}/sendMessage?token=…`). The Rust module is `onemsg` (a module
//! name cannot start with a digit).
//!
//! - **Identity** ([`auth`]): `?token=` is a wagate API key (also read from the body, as
//!   the seed's sendTemplate Example 3 sends it); the instance, the path's first segment,
//!   is a wagate channel (its id or its phone number id).
//! - **Errors** ([`errors`]): one JSON body, `{error, kind, code, field, request_id}` (the
//!   seed documents none).
//! - **Answers**: sends `{sent: true, id, message, description}` (`id` the message's
//!   `wamid.…`), other writes `{result: "success"}`.
//! - **Encodings**: a JSON body, a form (the seed's one request sample, sendReaction, is
//!   form-encoded), or multipart form data for a file (sendFile's `body`).
//!
//! Served: sendMessage, sendFile (link, base64, form), sendLocation, sendContact, sendList,
//! sendButton, sendLocationRequest, sendReaction, readMessage, `GET /messages`;
//! sendTemplate, addTemplate, removeTemplate, `GET /templates`, uploadMedia; `status`, `GET/POST
//! /me`, `GET/POST /settings`, `POST /webhook` with its callbacks ([`webhook`], format
//! `1msg`), `hookInfo`, `GET/POST /commerce`, sendProduct, statistics and
//! extendedStatistics (`stats.rs`), outputIP (`[outbound] egress_ip`).
//!
//! Templates are the channel's wherever they are held: wagate's for a sandbox WABA, Meta's
//! for a cloud one (`wagate_app`'s `channel_templates` and its neighbours).
//!
//! # What cannot be real on Meta's Cloud API, and the answer
//!
//! - Chat ids are a person's (`…@c.us`); a group's (`…@g.us`) is refused: Cloud API numbers
//!   have no WhatsApp groups.
//! - Message ids are Cloud `wamid.…` ids, never the on-premises style of the seed's samples
//!   (`gBGGeRhGZTEfAgkJCh2wAz4ZH-8`); clients treat them as opaque.
//! - The message history is always kept (1MSG keeps it only when support enables it).
//! - Every send but a template's needs the user's 24-hour window open, as the seed warns.
//!   As on Meta, a send outside it is accepted and then fails (131047, the `failed` ack);
//!   a channel whose `window_policy` is `reject` refuses it at once (`kind: "refused"`,
//!   `sent: false`), storing nothing.
//! - `/status` is `connected` or `unregistered` (from the number's registration): the
//!   on-premises `connecting`, `disconnected` and `uninitialized` states do not exist.
//! - `namespace` and `language.policy` of sendTemplate are accepted and ignored; `GET
//!   /templates` gives the WABA's `message_template_namespace` as the `namespace`.

pub mod auth;
mod channel;
pub mod errors;
mod messages;
mod send;
mod stats;
mod templates;
pub mod webhook;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn;
use axum::routing::{any, get, post};
use wagate_app::App;
use wagate_core::error::ErrorCode;
use wagate_core::webhook::PayloadFormat;

use crate::error::ApiError;
use crate::state::AppState;

/// Where the provider's paths start (the instance is the next segment).
pub const BASE: &str = "/compat/1msg";

fn at(path: &str) -> String {
    format!("{BASE}/{{instance}}{path}")
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(&at("/sendMessage"), post(send::message))
        .route(&at("/sendFile"), post(send::file))
        .route(&at("/sendLocation"), post(send::location))
        .route(&at("/sendContact"), post(send::contact))
        .route(&at("/sendList"), post(send::list))
        .route(&at("/sendButton"), post(send::button))
        .route(&at("/sendLocationRequest"), post(send::location_request))
        .route(&at("/sendReaction"), post(send::reaction))
        .route(&at("/readMessage"), post(send::read))
        .route(&at("/sendProduct"), post(send::product))
        .route(&at("/statistics"), get(stats::statistics))
        .route(&at("/extendedStatistics"), get(stats::extended))
        .route(&at("/messages"), get(messages::list))
        .route(&at("/sendTemplate"), post(templates::send_template))
        .route(&at("/addTemplate"), post(templates::add))
        .route(&at("/removeTemplate"), post(templates::remove))
        .route(&at("/templates"), get(templates::list))
        .route(&at("/uploadMedia"), post(templates::upload))
        .route(&at("/status"), get(channel::status))
        .route(&at("/me"), get(channel::me).post(channel::update_me))
        .route(
            &at("/settings"),
            get(channel::settings).post(channel::update_settings),
        )
        .route(&at("/webhook"), post(channel::webhook))
        .route(&at("/hookInfo"), get(channel::hook_info))
        .route(&at("/outputIP"), get(channel::output_ip))
        .route(
            &at("/commerce"),
            get(channel::commerce).post(channel::update_commerce),
        )
        .route(&at(""), any(unknown))
        .route(&at("/{*rest}"), any(unknown))
        .layer(from_fn(errors::errors))
}

async fn unknown() -> ApiError {
    ApiError::new(
        ErrorCode::RouteNotFound,
        "no such 1MSG endpoint; see the README's 1MSG section",
    )
}

/// 1MSG's operations, for the OpenAPI document: method, path after [`BASE`], the seed's
/// section and what it does.
pub const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "post",
        "/{instance}/sendMessage",
        "Messaging / Send a Message",
        "A text to `chatId` or `phone`, optionally quoting `quotedMsgId`",
    ),
    (
        "post",
        "/{instance}/sendFile",
        "Messaging / Send a File",
        "A file by link, base64 data URI or form-data `body`, with `filename` and `caption`",
    ),
    (
        "post",
        "/{instance}/sendLocation",
        "Messaging / Send a Location",
        "A location (`lat`, `lng`, `name`, `address`)",
    ),
    (
        "post",
        "/{instance}/sendContact",
        "Messaging / Send a Contact",
        "Contact cards (the Cloud API's contact objects)",
    ),
    (
        "post",
        "/{instance}/sendList",
        "Messaging / Send List Message",
        "An interactive list (`action` button text, `sections` with rows)",
    ),
    (
        "post",
        "/{instance}/sendButton",
        "Messaging / Send Reply Buttons Message",
        "Up to 3 reply buttons (`buttons`, or `sections` as the seed's example names them)",
    ),
    (
        "post",
        "/{instance}/sendLocationRequest",
        "Messaging / Send Location Request Message",
        "A request for the user's location",
    ),
    (
        "post",
        "/{instance}/sendReaction",
        "Messaging / Send Reaction",
        "An emoji on `quotedMsgId` (empty removes it); form-encoded or JSON",
    ),
    (
        "post",
        "/{instance}/readMessage",
        "Messaging / Mark message as read",
        "Marks an inbound message (`messageId`) read",
    ),
    (
        "get",
        "/{instance}/messages",
        "Messaging / Get messages list",
        "The instance's messages by `messageNumber`: `last`, `lastMessageNumber`, `firstMessageNumber`, `limit` (0 = all), `chatId`, `min_time`/`max_time`, `msgId`",
    ),
    (
        "post",
        "/{instance}/sendTemplate",
        "Templates / Send Template Message",
        "An approved template: `template`, `language.code`, `params` (header, body, button, carousel cards); `namespace` and `language.policy` ignored",
    ),
    (
        "post",
        "/{instance}/addTemplate",
        "Templates / Create template",
        "Submit a template (Meta's components; a header example by URL is fetched and uploaded)",
    ),
    (
        "post",
        "/{instance}/removeTemplate",
        "Templates / Remove template",
        "Delete every language of template `name`",
    ),
    (
        "get",
        "/{instance}/templates",
        "Templates / Get templates list",
        "The WABA's templates: `total`, each with `namespace` and a lower-case `status`",
    ),
    (
        "post",
        "/{instance}/uploadMedia",
        "Media / Upload media & get mediaId",
        "A file by link, base64 data URI or form-data `body` → `{mediaId}`",
    ),
    (
        "get",
        "/{instance}/status",
        "Channel / Get Status",
        "`connected` while the number is registered, else `unregistered`",
    ),
    (
        "get",
        "/{instance}/me",
        "Channel / Get Profile Info",
        "The business profile (about, address, description, email, phone, vertical, photo)",
    ),
    (
        "get",
        "/{instance}/settings",
        "Channel / Get Settings",
        "`webhookUrl` and `ackNotificationsOn`",
    ),
    (
        "post",
        "/{instance}/settings",
        "Channel / Set settings",
        "Set `webhookUrl` (null clears it) and `ackNotificationsOn`",
    ),
    (
        "post",
        "/{instance}/webhook",
        "Webhooks / Set webhook",
        "Set the URL of the `{messages: [...]}` and ack callbacks",
    ),
    (
        "get",
        "/{instance}/hookInfo",
        "Webhooks / Check ACKs",
        "A message's status history (`messageId`) as `{hooks: [...]}`",
    ),
    (
        "get",
        "/{instance}/commerce",
        "Channel / Get Commerce Settings",
        "`[{is_cart_enabled, is_catalog_visible}]`",
    ),
    (
        "post",
        "/{instance}/commerce",
        "Products & Catalogs / Set Commerce Settings",
        "Enable the cart or show the catalog → `{success: true}`",
    ),
    (
        "post",
        "/{instance}/sendProduct",
        "Products & Catalogs / Send a Product",
        "One product (`action.product_retailer_id`) or several (`action.sections`, with `header`) of the linked catalog",
    ),
    (
        "get",
        "/{instance}/statistics",
        "Channel / Get Channel statistics",
        "The month's (`date=mm.YYYY`) template cost",
    ),
    (
        "get",
        "/{instance}/extendedStatistics",
        "Channel / Get Extended Channel statistics",
        "The month's charged messages and their price, by day and pricing category",
    ),
    (
        "post",
        "/{instance}/me",
        "Channel / Change user info",
        "Update the profile; `vertical` by 1MSG's name; `photo` as a link, base64 or form-data file",
    ),
    (
        "get",
        "/{instance}/outputIP",
        "Channel / Get channel server IP",
        "The address wagate's outbound calls leave from (`[outbound] egress_ip`)",
    ),
];

/// Registers the dialect's webhook format with `app`.
pub fn register(app: &App) {
    app.register_payload_format(
        PayloadFormat::parse(webhook::FORMAT).expect("a valid format name"),
        Arc::new(webhook::Callbacks),
    );
}
