//! The OpenAPI document of the management plane and the probes, served at `/openapi.json`,
//! and a Swagger UI at `/docs` whose assets are compiled into the binary (no CDN, works
//! offline). The Cloud plane is Meta's API and is documented by Meta.
//!
//! The document describes what the server does, not what it would like to do: every enum as
//! the wire spells it, constraints that match the parsers (`conformance/fuzz` runs
//! schemathesis against a real server with every check, positive and negative), security only
//! where a key is needed, and every error answer the plane can give with its schema. Most of
//! that sits on the types and handlers; what is the same for every operation is added here,
//! once, by modifiers:
//!
//! - [`Security`]: `/api/v1/…` needs a key (as a bearer token or `?access_token=`); the probes
//!   need none.
//! - [`ErrorAnswers`]: the answers the extractors and the auth layer give on every operation
//!   (401, and 400/413/415 where a body or a query is read), each with the error envelope.
//! - [`Idempotency`]: the optional `Idempotency-Key` header on every POST, and the answers
//!   it brings (409 while the first request runs, 422 for a key reused on another request).
//! - [`Links`]: how a created object's id feeds the operations that read, change and delete
//!   it, so clients (and schemathesis' stateful phase) can follow them.

use serde_json::{Value, json};
use utoipa::openapi::link::Link;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wagate management API",
        description = "wagate's own REST API (`/api/v1`): channels, API keys, messages, templates and \
            webhooks. Authenticate with `Authorization: Bearer <API key>` (or `?access_token=`). \
            Errors are `{\"error\":{\"code\",\"message\",\"field\",\"request_id\"}}` with stable \
            snake_case codes; `field` is present when one request field is at fault. The probes \
            (`/healthz`, `/readyz`, `/metrics`) need no key.",
    ),
    tags(
        (name = "account", description = "Who am I"),
        (name = "channels", description = "WhatsApp business numbers and their upstreams"),
        (name = "api-keys", description = "Keys are shown once; wagate stores a SHA-256 digest"),
        (name = "audit-log", description = "Who did what to which object, and when (admin keys only)"),
        (name = "messages", description = "Messages sent and received, with their status"),
        (name = "templates", description = "Message templates: preview a send's parameters (create, list and edit them on the Cloud plane)"),
        (name = "webhooks", description = "Subscriptions to events, their delivery log and replay"),
        (name = "contacts", description = "The contact book: contacts, tags, imports and exports"),
        (name = "analytics", description = "Message figures per period and dimension, from counters kept with each change"),
        (name = "wallet", description = "Money: the wallet, its ledger, top-ups, the rate card and each message's charge (integers in the wallet's unit: micros or messages)"),
        (name = "campaigns", description = "Campaigns and broadcasts: a template sent to an audience, scheduled, paced and followed per recipient"),
        (name = "catalogs", description = "Product catalogs of sandbox numbers and their links to WABAs (products are on the Cloud plane: /{catalog_id}/products)"),
        (name = "probes", description = "Liveness, readiness and Prometheus metrics (no key)"),
    )
)]
pub struct ApiDoc;

/// The served document: what the routes declared (`api`, from `split_for_parts`), finished by
/// the modifiers below, then the constraints utoipa's types cannot hold (`anyOf` beside
/// `properties`), as JSON. The modifiers run here rather than in `#[openapi(modifiers)]`
/// because they work on the routes' operations and schemas, which the router adds after
/// `ApiDoc`.
pub fn document(api: utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(finish(api)).expect("the document serializes");
    constrain(&mut doc);
    let (tags, paths) = crate::dialects::openapi();
    if let (Some(all), Some(new)) = (doc["tags"].as_array_mut(), tags.as_array()) {
        all.extend(new.iter().cloned());
    }
    if let (Some(all), Some(new)) = (doc["paths"].as_object_mut(), paths.as_object()) {
        all.extend(new.clone());
    }
    doc
}

fn finish(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    for m in [
        &Security as &dyn Modify,
        &ErrorAnswers,
        &Idempotency,
        &Links,
    ] {
        m.modify(&mut api);
    }
    api
}

/// The management plane's prefix: every operation under it needs a key.
const MANAGE_PREFIX: &str = "/api/v1/";

/// Every operation of a path item with its method, mutably.
fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Bearer token or `access_token` query parameter on `/api/v1`; nothing on the probes.
pub struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.description = Some("`Authorization: Bearer <API key>`".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        components.add_security_scheme(
            "access_token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "access_token",
                "The API key in the query string, as Graph clients send it",
            ))),
        );
        openapi.security = None;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let needs_key = path.starts_with(MANAGE_PREFIX);
            for op in operations(item) {
                op.security = needs_key.then(|| {
                    vec![
                        SecurityRequirement::new("bearer", Vec::<String>::new()),
                        SecurityRequirement::new("access_token", Vec::<String>::new()),
                    ]
                });
            }
        }
    }
}

fn error_answer(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// The answers every management operation can give whatever its handler does: the auth
/// layer's 401, the JSON extractor's 400/413/415 where a body is read, the query extractor's
/// 400 where a query is read, and the 500 no request should see. A handler's own answer for
/// a status (a 400 naming its fields) is kept; a missing description is filled in.
pub struct ErrorAnswers;

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with(MANAGE_PREFIX) {
                continue;
            }
            for op in operations(item) {
                let has_body = op.request_body.is_some();
                let has_query = op.parameters.as_ref().is_some_and(|ps| {
                    ps.iter().any(|p| match p {
                        RefOr::T(p) => p.parameter_in == utoipa::openapi::path::ParameterIn::Query,
                        RefOr::Ref(_) => false,
                    })
                });
                let mut wanted: Vec<(&str, &str)> = vec![(
                    "401",
                    "`missing_api_key` (no key) or `invalid_api_key` (unknown or revoked)",
                )];
                if has_body {
                    wanted.push((
                        "400",
                        "`malformed_json` (not JSON), `invalid_request` (a field is missing, of \
                         the wrong type, unknown or out of range; `field` names it)",
                    ));
                    wanted.push(("413", "`payload_too_large`: the body is over the limit"));
                    wanted.push((
                        "415",
                        "`unsupported_media_type`: send `Content-Type: application/json`",
                    ));
                } else if has_query {
                    wanted.push((
                        "400",
                        "`invalid_query`: a query parameter is malformed or out of range \
                         (`field` names it)",
                    ));
                }
                wanted.push((
                    "500",
                    "`internal_error`: something went wrong on wagate's side (logged, never \
                     detailed)",
                ));
                let responses = &mut op.responses.responses;
                for (status, description) in wanted {
                    match responses.get_mut(status) {
                        Some(RefOr::T(r)) if r.description.is_empty() => {
                            r.description = description.to_owned();
                        }
                        Some(_) => {}
                        None => {
                            responses.insert(status.to_owned(), error_answer(description));
                        }
                    }
                }
                for (status, r) in responses.iter_mut() {
                    if let RefOr::T(r) = r
                        && r.description.is_empty()
                    {
                        r.description = default_description(status).to_owned();
                    }
                }
            }
        }
    }
}

/// `Idempotency-Key` on every creating POST (Stripe's semantics; `crate::idempotency`).
pub struct Idempotency;

impl Modify for Idempotency {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let max = wagate_core::idempotency::MAX_KEY_LEN;
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with(MANAGE_PREFIX) {
                continue;
            }
            let Some(op) = item.post.as_mut() else {
                continue;
            };
            let header = ParameterBuilder::new()
                .name("Idempotency-Key")
                .parameter_in(ParameterIn::Header)
                .required(utoipa::openapi::Required::False)
                .description(Some(format!(
                    "Makes a retry safe: the same key with the same request within 24 hours \
                     answers what the first one answered (with `Idempotent-Replayed: true`) and \
                     does nothing twice, on any node. 1 to {max} visible ASCII characters; a \
                     UUID is a good key."
                )))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(max))
                        .pattern(Some("^[ -~]+$")),
                ))
                .build();
            op.parameters
                .get_or_insert_with(Vec::new)
                .push(RefOr::T(header));
            let responses = &mut op.responses.responses;
            for (status, description) in [
                (
                    "409",
                    "`idempotency_key_in_progress`: a request with this key is still running; \
                     retry to get its answer",
                ),
                (
                    "422",
                    "`idempotency_key_reused`: this key was used for another request in the \
                     last 24 hours",
                ),
            ] {
                match responses.get_mut(status) {
                    Some(RefOr::T(r)) => {
                        if !r.description.contains("idempotency_key") {
                            r.description = format!("{}; or {description}", r.description);
                        }
                    }
                    Some(RefOr::Ref(_)) => {}
                    None => {
                        responses.insert(status.to_owned(), error_answer(description));
                    }
                }
            }
            let invalid = "`idempotency_key_invalid`: the Idempotency-Key header is empty, too \
                           long or not visible ASCII";
            match responses.get_mut("400") {
                Some(RefOr::T(r)) => {
                    if !r.description.contains("idempotency_key_invalid") {
                        r.description = format!("{}; {invalid}", r.description);
                    }
                }
                Some(RefOr::Ref(_)) => {}
                None => {
                    responses.insert("400".to_owned(), error_answer(invalid));
                }
            }
        }
    }
}

fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "204" => "Done; no body",
        "403" => "`forbidden`: the key may not do this (a channel-scoped key managing the account)",
        "404" => "The object does not exist or belongs to another account (`…_not_found`)",
        "409" => "`phone_number_id_taken`: another channel has this phone number id",
        "422" => "`webhook_verification_failed`: the URL did not answer Meta's verification GET",
        "503" => "`not_ready`: the database does not answer",
        _ => "",
    }
}

const ID: &[(&str, &str)] = &[("id", "$response.body#/id")];
const FIRST: &[(&str, &str)] = &[("id", "$response.body#/data/0/id")];

/// `(from operation, status, link name, to operation, the target's path parameters and where
/// each comes from)`.
type LinkRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const LINKS: &[LinkRow] = &[
    ("create_channel", "201", "GetChannel", "get_channel", ID),
    (
        "create_channel",
        "201",
        "UpdateChannel",
        "update_channel",
        ID,
    ),
    ("list_channels", "200", "GetChannel", "get_channel", FIRST),
    ("get_channel", "200", "UpdateChannel", "update_channel", ID),
    ("update_channel", "200", "GetChannel", "get_channel", ID),
    ("create_api_key", "201", "GetApiKey", "get_api_key", ID),
    (
        "create_api_key",
        "201",
        "RevokeApiKey",
        "revoke_api_key",
        ID,
    ),
    ("list_api_keys", "200", "GetApiKey", "get_api_key", FIRST),
    ("get_api_key", "200", "RevokeApiKey", "revoke_api_key", ID),
    ("create_webhook", "201", "GetWebhook", "get_webhook", ID),
    (
        "create_webhook",
        "201",
        "UpdateWebhook",
        "update_webhook",
        ID,
    ),
    (
        "create_webhook",
        "201",
        "DeleteWebhook",
        "delete_webhook",
        ID,
    ),
    (
        "create_webhook",
        "201",
        "ListDeliveries",
        "list_deliveries",
        ID,
    ),
    (
        "create_webhook",
        "201",
        "ReplayDeliveries",
        "replay_deliveries",
        ID,
    ),
    ("list_webhooks", "200", "GetWebhook", "get_webhook", FIRST),
    (
        "list_webhooks",
        "200",
        "ListDeliveries",
        "list_deliveries",
        FIRST,
    ),
    ("get_webhook", "200", "UpdateWebhook", "update_webhook", ID),
    ("get_webhook", "200", "DeleteWebhook", "delete_webhook", ID),
    ("update_webhook", "200", "GetWebhook", "get_webhook", ID),
    (
        "list_deliveries",
        "200",
        "ReplayDelivery",
        "replay_delivery",
        &[
            ("id", "$request.path.id"),
            ("delivery_id", "$response.body#/data/0/id"),
        ],
    ),
    ("list_messages", "200", "GetMessage", "get_message", FIRST),
    (
        "list_messages",
        "200",
        "MessageDeliveries",
        "message_deliveries",
        FIRST,
    ),
    (
        "get_message",
        "200",
        "MessageDeliveries",
        "message_deliveries",
        ID,
    ),
    (
        "list_messages",
        "200",
        "MessageStatuses",
        "list_message_statuses",
        FIRST,
    ),
    (
        "get_message",
        "200",
        "MessageStatuses",
        "list_message_statuses",
        ID,
    ),
];

/// OpenAPI links from the operations that return objects to those that take their ids.
pub struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                let Some(id) = op.operation_id.clone() else {
                    continue;
                };
                for (from, status, name, to, params) in LINKS {
                    if *from != id {
                        continue;
                    }
                    if let Some(RefOr::T(r)) = op.responses.responses.get_mut(*status) {
                        let mut link = Link::builder().operation_id(*to);
                        for (param, expression) in *params {
                            link = link.parameter(*param, *expression);
                        }
                        r.links.insert((*name).to_owned(), link.build().into());
                    }
                }
            }
        }
    }
}

// ---- constraints the derive cannot say ---------------------------------------------------
//
// The patterns below are the parsers' rules (`wagate_core`), written once; what utoipa's
// derive can say (lengths, ranges, enums) sits on the types.

/// No control characters (Unicode `Cc`) and at least one non-space: `bounded()` text.
const TEXT: &str = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";
/// The same, newlines allowed (a profile description).
const TEXT_MULTILINE: &str =
    r"^[^\x00-\x09\x0b-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x09\x0b-\x1f\x7f-\x9f]*$";
/// `PhoneE164::parse`: `+` or `00` optional, 8–15 digits not starting with 0, separators
/// ` ().-` between them (at most 32 characters in all).
const PHONE: &str = r"^(\+|00)?[ ().-]*[1-9]([ ().-]*[0-9]){7,14}[ ().-]*$";
/// A Graph object id: 1–20 digits.
const GRAPH_ID: &str = "^[0-9]{1,20}$";
/// An http(s) URL with a host, no spaces or control characters (channel upstreams, websites).
const HTTP_URL: &str = r"^https?://[^/\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*$";
/// `WebhookUrl::parse`: as above, and no `user@` before the host.
const WEBHOOK_URL: &str =
    r"^https?://[^/?#@\s\x00-\x1f\x7f-\x9f]+([/?#][^\s\x00-\x1f\x7f-\x9f]*)?$";
/// `ProfileEmail::parse`: one `@`, a dotted domain that neither starts nor ends with a dot.
const EMAIL: &str = r"^[^@\s\x00-\x1f\x7f-\x9f]+@[^@.\s\x00-\x1f\x7f-\x9f][^@\s\x00-\x1f\x7f-\x9f]*\.[^@\s\x00-\x1f\x7f-\x9f]*[^@.\s\x00-\x1f\x7f-\x9f]$";
/// The largest top-up, adjustment or limit.
const AMOUNT_MAX: i64 = wagate_core::billing::wallet::AMOUNT_MAX;
/// `is_graph_version`.
const GRAPH_VERSION: &str = r"^v[0-9]{1,3}(\.[0-9]{1,3})?$";

fn text(min: u32, max: u32) -> Value {
    json!({ "pattern": TEXT, "minLength": min, "maxLength": max })
}

/// `(JSON pointer into the document, object merged into what is there)`.
fn constraints() -> Vec<(&'static str, Value)> {
    let phone = json!({ "pattern": PHONE, "maxLength": 32 });
    let day = json!({ "maximum": 86_400_000 });
    let date_time = json!({ "format": "date-time" });
    let event_fields = wagate_core::webhook::EventField::ALL.len() * 2;
    vec![
        ("/components/schemas/CreateChannel/properties/verified_name", text(1, 256)),
        ("/components/schemas/UpdateChannel/properties/verified_name", text(1, 256)),
        ("/components/schemas/CreateChannel/properties/display_phone_number", phone.clone()),
        ("/components/schemas/UpdateChannel/properties/display_phone_number", phone.clone()),
        ("/components/schemas/CreateChannel/properties/phone_number_id", json!({ "pattern": GRAPH_ID })),
        ("/components/schemas/CreateChannel/properties/waba_id", json!({ "pattern": GRAPH_ID })),
        ("/components/schemas/CreateCatalog/properties/name", text(1, 100)),
        ("/components/schemas/CreateCatalog/properties/waba_id", json!({ "pattern": GRAPH_ID })),
        ("/components/schemas/LinkCatalog/properties/waba_id", json!({ "pattern": GRAPH_ID })),
        ("/components/schemas/ProfileInput/properties/about", text(1, 139)),
        ("/components/schemas/ProfileInput/properties/address", text(1, 256)),
        (
            "/components/schemas/ProfileInput/properties/description",
            json!({ "pattern": TEXT_MULTILINE, "minLength": 1, "maxLength": 512 }),
        ),
        (
            "/components/schemas/ProfileInput/properties/email",
            json!({ "pattern": EMAIL, "minLength": 3, "maxLength": 128 }),
        ),
        (
            "/components/schemas/ProfileInput/properties/websites",
            json!({ "maxItems": 2, "items": { "pattern": HTTP_URL, "minLength": 1, "maxLength": 256 } }),
        ),
        ("/components/schemas/SandboxSettings/properties/read_percent", json!({ "maximum": 100 })),
        ("/components/schemas/SandboxSettings/properties/pair_burst", json!({ "minimum": 1 })),
        ("/components/schemas/SandboxSettings/properties/delivery_delay_ms", day.clone()),
        ("/components/schemas/SandboxSettings/properties/read_delay_ms", day.clone()),
        ("/components/schemas/SandboxSettings/properties/reply_delay_ms", day.clone()),
        ("/components/schemas/SandboxSettings/properties/pair_interval_ms", day),
        ("/components/schemas/SandboxSettings/properties/not_on_whatsapp/items", phone.clone()),
        (
            "/components/schemas/SandboxSettings/properties/users",
            json!({ "propertyNames": phone }),
        ),
        ("/components/schemas/SandboxSettings/properties/unreachable_until", date_time.clone()),
        ("/components/schemas/VirtualUserSettings/properties/read_percent", json!({ "maximum": 100 })),
        ("/components/schemas/VirtualUserSettings/properties/offline_until", date_time.clone()),
        ("/components/schemas/CreateApiKey/properties/name", text(1, 100)),
        // Money: the service's bounds (wagate_core::billing).
        ("/components/schemas/Adjustment/properties/amount", json!({ "not": { "const": 0 } })),
        ("/components/schemas/UpdateWallet/properties/credit_limit", json!({ "maximum": AMOUNT_MAX })),
        ("/components/schemas/UpdateWallet/properties/low_balance_threshold", json!({ "maximum": AMOUNT_MAX })),
        ("/components/schemas/UpdateWallet/properties/daily_limit", json!({ "maximum": AMOUNT_MAX })),
        (
            "/components/schemas/RateCard/properties/markets",
            json!({ "required": ["*"], "propertyNames": { "pattern": r"^([A-Z]{2}|\*)$" } }),
        ),
        (
            // An admin key is always account-wide.
            "/components/schemas/CreateApiKey",
            json!({
                "anyOf": [
                    { "properties": { "admin": { "enum": [false] } } },
                    { "properties": { "channel_ids": { "type": "null" } } }
                ]
            }),
        ),
        (
            "/components/schemas/CreateApiKey/properties/channel_ids",
            json!({ "minItems": 1, "maxItems": 100, "items": { "format": "uuid" } }),
        ),
        (
            "/components/schemas/CreateSubscription/properties/url",
            json!({ "pattern": WEBHOOK_URL, "maxLength": 2048 }),
        ),
        (
            "/components/schemas/UpdateSubscription/properties/url",
            json!({ "pattern": WEBHOOK_URL, "maxLength": 2048 }),
        ),
        (
            "/components/schemas/CreateSubscription/properties/secret",
            json!({ "pattern": "^[!-~]{8,256}$" }),
        ),
        (
            "/components/schemas/UpdateSubscription/properties/secret",
            json!({ "pattern": "^[!-~]{8,256}$" }),
        ),
        (
            "/components/schemas/CreateSubscription/properties/verify_token",
            json!({ "pattern": "^[!-~]{1,256}$" }),
        ),
        (
            "/components/schemas/UpdateSubscription/properties/verify_token",
            json!({ "pattern": "^[!-~]{1,256}$" }),
        ),
        ("/components/schemas/CreateSubscription/properties/channel_id", json!({ "format": "uuid" })),
        ("/components/schemas/CreateSubscription/properties/fields", json!({ "maxItems": event_fields })),
        ("/components/schemas/UpdateSubscription/properties/fields", json!({ "maxItems": event_fields })),
        ("/components/schemas/ReplayRequest/properties/since", date_time.clone()),
        ("/components/schemas/ReplayRequest/properties/until", date_time),
        (
            "/components/schemas/ReplayRequest",
            json!({
                "oneOf": [
                    { "properties": { "only": { "enum": ["dead", null] } } },
                    { "required": ["only", "since", "until"],
                      "properties": { "only": { "const": "all" },
                                      "since": { "type": "string" },
                                      "until": { "type": "string" } } }
                ]
            }),
        ),
    ]
    .into_iter()
    .collect()
}

/// Deep-merges `patch` into `target` (objects key by key; anything else replaced).
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Unsigned integers as serde reads them. utoipa writes a `u32` as `int32` (whose range
/// stops at 2³¹−1) with `minimum: 0`, and a `u64` as `int64` (2⁶³−1): the server takes
/// more than the format says, and refuses more than the schema says (nothing above 2³²−1
/// for a `u32`). So: the upper bound written out, and a format that holds it.
fn unsigned_maxima(v: &mut Value) {
    match v {
        Value::Object(o) => {
            let unsigned = o.get("minimum") == Some(&json!(0))
                && o.get("type")
                    .is_some_and(|t| t.to_string().contains("integer"));
            if unsigned {
                match o.get("format").and_then(Value::as_str) {
                    Some("int32") => {
                        o.insert("format".into(), json!("int64"));
                        o.entry("maximum").or_insert(json!(u32::MAX));
                    }
                    Some("int64") => {
                        o.remove("format");
                        o.entry("maximum").or_insert(json!(u64::MAX));
                    }
                    _ => {}
                }
            }
            for child in o.values_mut() {
                unsigned_maxima(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(unsigned_maxima),
        _ => {}
    }
}

fn schema_mut<'a>(doc: &'a mut Value, name: &str) -> &'a mut Value {
    doc.pointer_mut(&format!("/components/schemas/{name}"))
        .unwrap_or_else(|| panic!("{name} is in the document"))
}

/// A channel's upstream is one of two shapes (`kind` tells which), and a `cloud` channel
/// needs Meta's ids: said as `oneOf`s, which the derive cannot write.
fn upstream_shapes(doc: &mut Value) {
    let secret = json!({ "pattern": TEXT, "minLength": 1, "maxLength": 4096 });
    let nullable = |v: &Value| {
        let mut v = v.clone();
        v["type"] = json!(["string", "null"]);
        v
    };
    let sandbox = json!({
        "type": "object",
        "description": "The simulated network. The Graph settings are a cloud upstream's.",
        "additionalProperties": false,
        "required": ["kind"],
        "properties": {
            "kind": { "type": "string", "enum": ["sandbox"] },
            "sandbox": { "oneOf": [{ "$ref": "#/components/schemas/SandboxSettings" }, { "type": "null" }] },
            "base_url": { "type": "null" }, "api_version": { "type": "null" },
            "access_token": { "type": "null" }, "app_secret": { "type": "null" },
            "verify_token": { "type": "null" }
        }
    });
    let cloud = json!({
        "type": "object",
        "description": "Meta's Graph API (or another wagate speaking it).",
        "additionalProperties": false,
        "required": ["kind", "access_token"],
        "properties": {
            "kind": { "type": "string", "enum": ["cloud"] },
            "base_url": { "type": ["string", "null"], "pattern": HTTP_URL, "minLength": 1, "maxLength": 512,
                          "description": "Graph base URL (default `https://graph.facebook.com`)." },
            "api_version": { "type": ["string", "null"], "pattern": GRAPH_VERSION,
                             "description": "Graph version for calls (default `v23.0`)." },
            "access_token": { "type": "string", "pattern": TEXT, "minLength": 1, "maxLength": 4096,
                              "description": "System-user access token. Never shown again." },
            "app_secret": nullable(&secret),
            "verify_token": nullable(&secret),
            "sandbox": { "type": "null" }
        }
    });
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .expect("the document has schemas");
    schemas.insert("SandboxUpstream".into(), sandbox);
    schemas.insert("CloudUpstream".into(), cloud);
    let description = schemas["UpstreamInput"]["description"].clone();
    schemas.insert(
        "UpstreamInput".into(),
        json!({
            "description": description,
            "oneOf": [
                { "$ref": "#/components/schemas/SandboxUpstream" },
                { "$ref": "#/components/schemas/CloudUpstream" }
            ]
        }),
    );

    let create = schema_mut(doc, "CreateChannel").clone();
    let mut on_sandbox = create.clone();
    on_sandbox["properties"]["upstream"] = json!({
        "oneOf": [{ "$ref": "#/components/schemas/SandboxUpstream" }, { "type": "null" }]
    });
    let mut on_cloud = create.clone();
    on_cloud["properties"]["upstream"] = json!({ "$ref": "#/components/schemas/CloudUpstream" });
    for field in ["phone_number_id", "waba_id", "display_phone_number"] {
        on_cloud["properties"][field]["type"] = json!("string");
    }
    on_cloud["required"] = json!([
        "verified_name",
        "upstream",
        "phone_number_id",
        "waba_id",
        "display_phone_number"
    ]);
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .expect("the document has schemas");
    schemas.insert("CreateSandboxChannel".into(), on_sandbox);
    schemas.insert("CreateCloudChannel".into(), on_cloud);
    schemas.insert(
        "CreateChannel".into(),
        json!({
            "description": create["description"],
            "oneOf": [
                { "$ref": "#/components/schemas/CreateSandboxChannel" },
                { "$ref": "#/components/schemas/CreateCloudChannel" }
            ]
        }),
    );

    // A change must name something to change: a field that is not `null`, or a profile
    // field (where `null` clears).
    let update = schema_mut(doc, "UpdateChannel");
    update["properties"]["upstream"] = json!({
        "oneOf": [{ "$ref": "#/components/schemas/UpstreamInput" }, { "type": "null" }]
    });
    let mut any = Vec::new();
    for field in [
        "verified_name",
        "display_phone_number",
        "upstream",
        "throughput_mps",
        "quality_rating",
        "messaging_limit_tier",
        "window_policy",
    ] {
        any.push(
            json!({ "required": [field], "properties": { field: { "not": { "type": "null" } } } }),
        );
    }
    any.push(json!({
        "required": ["profile"],
        "properties": { "profile": { "type": "object", "anyOf": [
            { "required": ["about"] }, { "required": ["address"] },
            { "required": ["description"] }, { "required": ["email"] },
            { "required": ["vertical"] },
            { "required": ["websites"], "properties": { "websites": { "type": "array" } } }
        ] } }
    }));
    update["anyOf"] = Value::Array(any);
}

/// What the derive cannot say: patterns, cross-field rules, unsigned upper bounds.
fn constrain(doc: &mut Value) {
    // First, while utoipa's `minimum: 0` still tells its unsigned integers apart.
    unsigned_maxima(doc);
    for (pointer, patch) in constraints() {
        let target = doc
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer} is in the document"));
        merge(target, &patch);
    }
    upstream_shapes(doc);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::AppState;
    use utoipa_axum::router::OpenApiRouter;

    fn served() -> utoipa::openapi::OpenApi {
        let (_, api) = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
            .nest("/api/v1", crate::manage::router())
            .merge(crate::probes::router())
            .split_for_parts();
        finish(api)
    }

    #[test]
    fn operation_ids_are_unique_and_every_link_resolves() {
        let mut doc = served();
        let mut ids = Vec::new();
        for item in doc.paths.paths.values_mut() {
            for op in operations(item) {
                ids.push(op.operation_id.clone().expect("every operation has an id"));
            }
        }
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "duplicate operation ids: {ids:?}");
        for (from, _, _, to, _) in LINKS {
            assert!(ids.iter().any(|i| i == from), "{from} is no operation");
            assert!(ids.iter().any(|i| i == to), "{to} is no operation");
        }
    }

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r.clone());
                }
                o.values().for_each(|c| refs(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| refs(c, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves_and_the_cross_field_rules_are_served() {
        let doc = document(served());
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let pointer = r.trim_start_matches('#');
            assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
        }
        let s = &doc["components"]["schemas"];
        assert_eq!(s["QualityRating"]["enum"][0], "GREEN");
        assert_eq!(s["MessagingLimitTier"]["enum"][0], "TIER_250");
        assert!(
            s["UpdateChannel"]["anyOf"].is_array(),
            "a change names a field"
        );
        assert!(
            s["ReplayRequest"]["oneOf"].is_array(),
            "`all` needs since and until"
        );
        assert_eq!(
            s["CreateChannel"]["oneOf"][1]["$ref"],
            "#/components/schemas/CreateCloudChannel"
        );
        assert_eq!(
            s["SandboxSettings"]["properties"]["read_percent"]["maximum"],
            100
        );
        assert_eq!(
            s["CreateSubscription"]["properties"]["batch_size"]["maximum"],
            100
        );
    }

    #[test]
    fn probes_need_no_key_and_management_needs_one() {
        let mut doc = served();
        assert!(doc.security.is_none());
        for (path, item) in doc.paths.paths.iter_mut() {
            for op in operations(item) {
                if path.starts_with(MANAGE_PREFIX) {
                    assert_eq!(op.security.as_ref().map(Vec::len), Some(2), "{path}");
                    assert!(op.responses.responses.contains_key("401"), "{path}");
                } else {
                    assert!(op.security.is_none(), "{path} needs no key");
                }
            }
        }
    }
}
