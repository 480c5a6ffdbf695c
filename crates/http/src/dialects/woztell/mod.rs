//! **WOZTELL Public API for WhatsApp Cloud**, seed `003_0d0aca8b32887707.txt`, at
//! `/compat/woztell`: the provider's paths verbatim after its host
//! (`https://api.whatsapp-cloud.woztell.sanuker.com/v1.2/api/waba-info` becomes
//! `…/compat/woztell/v1.2/api/waba-info`).
//!
//! - **Identity** ([`auth`]): `accessToken`, a wagate API key (a key limited to one channel is
//!   WOZTELL's channel access token), in the query on `GET` and in the JSON body otherwise;
//!   the channel from `phoneNumberId`, `channelId` or `wabaId`, else the key's only channel.
//!   On the endpoints the seed marks with the signed headers ([`auth::SIGNED_PATHS`]: flows,
//!   business encryption, conversation analytics, catalogs, products, display name status)
//!   either that or the **signed context**: `X-Woztell-Payload` (base64 of
//!   `{"channelId", "iat"}`) + `X-Woztell-SignedContext` (hex HMAC-SHA256 of the payload
//!   header under the channel's WOZTELL secret, which `POST /api/v1/channels/{id}/woztell-secret`
//!   issues and rotates); it acts for that one channel only.
//! - **Answers**: `{"ok": 1, …}` as the seed shows; errors `{"ok": 0, "error": {code,
//!   message, type, field, requestId}}` ([`errors`]).
//! - **No webhooks and no sends**: the seed has neither (WOZTELL sends through its bot
//!   platform); wagate's own webhooks and the Cloud plane serve those.
//!
//! Served: WABA info, business profile get and update (a picture by URL fetched), display
//! name status, media id from a URL, business encryption set and get ([`general`]); template
//! list grouped by name, create (header samples by URL fetched), edit and delete by name
//! ([`templates`]); the ten Flow APIs ([`flows`]); conversation analytics, catalogs and
//! products ([`insights`]).
//!
//! The seed leaves the signature undocumented (it comes from WOZTELL's GraphQL Open API);
//! wagate's definition is above and in the README: a WOZTELL-made signature does not verify,
//! the caller signs with the secret wagate issued.
//!
//! **Cloud channels** (whose upstream is Meta's Cloud API): Meta holds their WABA, so
//! templates, flows, conversation analytics, catalogs and products, business encryption and
//! media are Meta's, reached through the core's channel services (which decide "sandbox:
//! wagate's records, cloud: Meta's") and read into WOZTELL's shapes here.
//!
//! # What cannot be real on Meta's Cloud API, and the answer
//!
//! - Ids are wagate's: `channelId` is a wagate channel id (a UUID), not a 24-hex Mongo id;
//!   `phoneNumberId` and `wabaId` are the channel's Meta-style ids.
//! - `embeddedSignup` is always `false`; `namespace` is the WABA's template namespace as
//!   wagate derives it.
//! - `profile_picture_url` in a profile update is fetched and uploaded by wagate, as Meta only
//!   takes an upload handle.
//! - The seed's JSON typos (a missing comma after `"category"` in every template sample, a
//!   trailing comma in `/media-id`) are malformed JSON and answered as such.

pub mod auth;
pub mod errors;
mod flows;
mod general;
mod insights;
mod templates;

use axum::Router;
use axum::middleware::from_fn;
use axum::routing::{any, get, patch, post, put};
use wagate_core::error::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

/// Where the provider's paths start.
pub const BASE: &str = "/compat/woztell/v1.2/api";

fn at(path: &str) -> String {
    format!("{BASE}{path}")
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(&at("/waba-info"), get(general::waba_info))
        .route(
            &at("/whatsapp-business-profile"),
            get(general::get_profile).patch(general::update_profile),
        )
        .route(
            &at("/whatsapp-displayname-status"),
            get(general::displayname_status),
        )
        .route(&at("/media-id"), put(general::media_id))
        .route(
            &at("/whatsapp-business-encryption"),
            get(general::get_encryption).post(general::set_encryption),
        )
        .route(&at("/whatsapp-message-templates"), get(templates::list))
        .route(
            &at("/whatsapp-message-template"),
            put(templates::create)
                .patch(templates::edit)
                .delete(templates::delete),
        )
        .route(&at("/flow"), get(flows::list).delete(flows::delete))
        .route(&at("/flow-screen-payload"), get(flows::screen_payload))
        .route(&at("/flow-preview"), get(flows::preview_url))
        .route(&at("/flow-detail"), get(flows::detail))
        .route(&at("/create-flow"), put(flows::create))
        .route(&at("/flow-metadata"), patch(flows::metadata))
        .route(&at("/flow-json"), patch(flows::flow_json))
        .route(&at("/publish-flow"), post(flows::publish))
        .route(&at("/deprecate-flow"), post(flows::deprecate))
        .route(
            &at("/conversation-analytics"),
            get(insights::conversation_analytics),
        )
        .route(&at("/catalogs"), get(insights::catalogs))
        .route(&at("/products"), get(insights::products))
        // The seed's note names the edit `PATCH /whatsapp-message-templates` (plural).
        .route(&at("/whatsapp-message-templates"), patch(templates::edit))
        .route("/compat/woztell/{*rest}", any(unknown))
        .layer(from_fn(errors::errors))
}

async fn unknown() -> ApiError {
    ApiError::new(
        ErrorCode::RouteNotFound,
        "no such WOZTELL Public API endpoint; see the README's WOZTELL section",
    )
}

/// The operations, for the OpenAPI document: method, path after [`BASE`], the seed's
/// section and what it does.
pub const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "get",
        "/waba-info",
        "General APIs",
        "WABA info of a channel (`channelId` or `wabaId`)",
    ),
    (
        "get",
        "/whatsapp-business-profile",
        "General APIs",
        "A phone number's business profile (`phoneNumberId`)",
    ),
    (
        "patch",
        "/whatsapp-business-profile",
        "General APIs",
        "Update a phone number's business profile (a picture by URL)",
    ),
    (
        "get",
        "/whatsapp-displayname-status",
        "General APIs",
        "A phone number's verified name, quality, tier and mode",
    ),
    (
        "put",
        "/media-id",
        "General APIs",
        "Fetch a URL and keep it as a media id → `{mediaId, fileType}`",
    ),
    (
        "post",
        "/whatsapp-business-encryption",
        "Business Encryption APIs",
        "Set the 2048-bit RSA business public key",
    ),
    (
        "get",
        "/whatsapp-business-encryption",
        "Business Encryption APIs",
        "The business public key and its signature status",
    ),
    (
        "get",
        "/whatsapp-message-templates",
        "Message Template APIs",
        "Templates grouped by name with per-language statuses; JSON-array filters, cursors",
    ),
    (
        "put",
        "/whatsapp-message-template",
        "Message Template APIs",
        "Create a template (a `header_handle` URL is fetched and uploaded)",
    ),
    (
        "patch",
        "/whatsapp-message-template",
        "Message Template APIs",
        "Edit one language version's components (Meta's edit rules)",
    ),
    (
        "delete",
        "/whatsapp-message-template",
        "Message Template APIs",
        "Delete a template by name (JSON body)",
    ),
    (
        "get",
        "/flow",
        "Flow APIs",
        "List flows (`limit`, cursors): label, value, status, assets",
    ),
    (
        "get",
        "/flow-screen-payload",
        "Flow APIs",
        "A flow's screens and their data",
    ),
    ("get", "/flow-preview", "Flow APIs", "A flow's preview URL"),
    (
        "get",
        "/flow-detail",
        "Flow APIs",
        "A flow's details: status, categories, validation errors, WABA, application",
    ),
    (
        "put",
        "/create-flow",
        "Flow APIs",
        "Create a flow (optionally cloned, with an endpoint URL)",
    ),
    (
        "patch",
        "/flow-metadata",
        "Flow APIs",
        "Rename, recategorise or set a flow's endpoint",
    ),
    (
        "patch",
        "/flow-json",
        "Flow APIs",
        "Upload a flow's Flow JSON → its validation errors",
    ),
    ("delete", "/flow", "Flow APIs", "Delete a draft flow"),
    ("post", "/publish-flow", "Flow APIs", "Publish a flow"),
    (
        "post",
        "/deprecate-flow",
        "Flow APIs",
        "Deprecate a published flow",
    ),
    (
        "get",
        "/conversation-analytics",
        "General APIs",
        "Conversation analytics (derived under per-message pricing): from, to, granularity, lists",
    ),
    (
        "get",
        "/catalogs",
        "General APIs",
        "The catalogs linked to the channel's WABA",
    ),
    (
        "get",
        "/products",
        "General APIs",
        "A catalog's products (`catalogId`, cursors)",
    ),
];

/// The `[start, end)` of a page of at most `limit` of the sorted `keys`: the first ones, the
/// ones after the key `after`, or the ones just before the key `before` (the seed's
/// `first`/`after`/`before` cursors, for templates by name, flows and products by id).
fn window<K: AsRef<str>>(
    keys: &[K],
    after: Option<&str>,
    before: Option<&str>,
    limit: usize,
) -> (usize, usize) {
    let total = keys.len();
    match (after, before) {
        (_, Some(b)) => {
            let end = keys.partition_point(|k| k.as_ref() < b);
            (end.saturating_sub(limit), end)
        }
        (Some(a), None) => {
            let start = keys.partition_point(|k| k.as_ref() <= a);
            (start, (start + limit).min(total))
        }
        (None, None) => (0, limit.min(total)),
    }
}

#[cfg(test)]
mod window_tests {
    #[test]
    fn pages_go_both_ways() {
        let keys = ["a", "b", "c", "d", "e"];
        assert_eq!(super::window(&keys, None, None, 2), (0, 2));
        assert_eq!(super::window(&keys, Some("b"), None, 2), (2, 4));
        assert_eq!(super::window(&keys, Some("d"), None, 2), (4, 5));
        assert_eq!(super::window(&keys, None, Some("d"), 2), (1, 3));
        assert_eq!(super::window(&keys, None, Some("a"), 2), (0, 0));
    }
}
