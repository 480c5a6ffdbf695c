//! The Cloud-API-compatible plane: Meta's Graph paths, bodies and errors, so an unmodified
//! Cloud API SDK works against wagate with only its base URL changed. Every path takes an
//! optional version segment (`/v23.0/…` or none), as Graph does.
//!
//! Errors here are rendered in Graph's shape by [`crate::render::cloud_errors`].

pub mod analytics;
pub mod block_users;
pub mod catalogs;
pub mod encryption;
pub mod flows;
pub mod groups;
pub mod media;
pub mod messages;
pub mod passthrough;
mod path;
pub mod phone_numbers;
pub mod phone_settings;
pub mod profile;
pub mod qr_codes;
pub mod registration;
pub mod template_extras;
pub mod templates;
pub mod uploads;

use axum::Router;
use axum::routing::{get, post};
use wagate_app::Principal;
use wagate_core::channel::{Channel, is_graph_version};
use wagate_core::error::ErrorCode;
use wagate_core::ids::{PhoneNumberId, WabaId};

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{version}/{object_id}",
            get(phone_numbers::get_versioned)
                .merge(object_post())
                .delete(media::delete),
        )
        .route(
            "/{object_id}",
            get(phone_numbers::get_unversioned)
                .merge(object_post())
                .delete(media::delete),
        )
        .route("/{version}/{object_id}/media", upload_route())
        .route("/{object_id}/media", upload_route())
        .route("/{version}/{object_id}/uploads", post(uploads::create))
        .route("/{object_id}/uploads", post(uploads::create))
        .route("/media/{media_id}/download", get(media::download))
        .merge(profile::routes())
        .merge(catalog_routes())
        .route("/{version}/{object_id}/messages", post(messages::send))
        .route("/{object_id}/messages", post(messages::send))
        .route("/{version}/{object_id}/block_users", block_routes())
        .route("/{object_id}/block_users", block_routes())
        .route("/{version}/{object_id}/message_qrdls", qr_routes())
        .route("/{object_id}/message_qrdls", qr_routes())
        // whatsapp-api-js lists with a trailing slash (`message_qrdls/` and no code).
        .route("/{version}/{object_id}/message_qrdls/", get(qr_codes::list))
        .route("/{object_id}/message_qrdls/", get(qr_codes::list))
        .route(
            "/{version}/{object_id}/message_qrdls/{code}",
            qr_code_routes(),
        )
        .route("/{object_id}/message_qrdls/{code}", qr_code_routes())
        .route("/qr/{file}", get(qr_codes::image))
        .route(
            "/{version}/{object_id}/whatsapp_business_encryption",
            get(encryption::get).post(encryption::set),
        )
        .route(
            "/{object_id}/whatsapp_business_encryption",
            get(encryption::get).post(encryption::set),
        )
        .route(
            "/{version}/{object_id}/phone_numbers",
            get(phone_numbers::list).post(phone_settings::create_phone_number),
        )
        .route(
            "/{object_id}/phone_numbers",
            get(phone_numbers::list).post(phone_settings::create_phone_number),
        )
        .route("/{version}/{object_id}/settings", settings_routes())
        .route("/{object_id}/settings", settings_routes())
        .route(
            "/{version}/{object_id}/conversational_automation",
            post(phone_settings::update_automation),
        )
        .route(
            "/{object_id}/conversational_automation",
            post(phone_settings::update_automation),
        )
        .route(
            "/{version}/{object_id}/request_code",
            post(registration::request_code),
        )
        .route(
            "/{object_id}/request_code",
            post(registration::request_code),
        )
        .route(
            "/{version}/{object_id}/verify_code",
            post(registration::verify_code),
        )
        .route("/{object_id}/verify_code", post(registration::verify_code))
        .route(
            "/{version}/{object_id}/register",
            post(registration::register),
        )
        .route("/{object_id}/register", post(registration::register))
        .route(
            "/{version}/{object_id}/deregister",
            post(registration::deregister),
        )
        .route("/{object_id}/deregister", post(registration::deregister))
        .route(
            "/{version}/{object_id}/message_templates",
            template_routes(),
        )
        .route("/{object_id}/message_templates", template_routes())
        .route(
            "/{version}/{object_id}/message_templates/{template_id}",
            get(templates::get_in_waba),
        )
        .route(
            "/{object_id}/message_templates/{template_id}",
            get(templates::get_in_waba),
        )
        .merge(template_extras_routes())
        .merge(flow_routes())
        .merge(groups::routes())
        .route(
            "/{version}/{object_id}/template_analytics",
            get(analytics::template_analytics),
        )
        .route(
            "/{object_id}/template_analytics",
            get(analytics::template_analytics),
        )
}

/// [`template_extras`]: each path with and without its version segment. The literal
/// `archive`/`unarchive` segments win over `message_templates/{template_id}` (a GET only).
fn template_extras_routes() -> Router<AppState> {
    use template_extras as x;
    let mut r = Router::new();
    for prefix in ["/{version}/{object_id}", "/{object_id}"] {
        r = r
            .route(
                &format!("{prefix}/marketing_messages"),
                post(x::send_marketing),
            )
            .route(&format!("{prefix}/unpause"), post(x::unpause))
            .route(&format!("{prefix}/compare"), get(x::compare))
            .route(
                &format!("{prefix}/upsert_message_templates"),
                post(x::upsert),
            )
            .route(
                &format!("{prefix}/migrate_message_templates"),
                post(x::migrate),
            )
            .route(
                &format!("{prefix}/message_templates/archive"),
                post(x::archive),
            )
            .route(
                &format!("{prefix}/message_templates/unarchive"),
                post(x::unarchive),
            );
    }
    r
}

/// [`flows`]: each path with and without its version segment, and the signed preview and
/// asset URLs.
fn flow_routes() -> Router<AppState> {
    let mut r = Router::new()
        .route("/flows/{flow_id}/preview", get(flows::preview_page))
        .route("/flows/{flow_id}/flow.json", get(flows::download_asset));
    for prefix in ["/{version}/{object_id}", "/{object_id}"] {
        r = r
            .route(
                &format!("{prefix}/flows"),
                get(flows::list).post(flows::create),
            )
            .route(
                &format!("{prefix}/assets"),
                get(flows::assets).post(flows::upload_asset),
            )
            .route(&format!("{prefix}/publish"), post(flows::publish))
            .route(&format!("{prefix}/deprecate"), post(flows::deprecate));
    }
    r
}

/// [`catalogs`]: each path with and without its version segment.
fn catalog_routes() -> Router<AppState> {
    let mut r = Router::new();
    for prefix in ["/{version}/{object_id}", "/{object_id}"] {
        r = r
            .route(
                &format!("{prefix}/product_catalogs"),
                get(catalogs::list_catalogs)
                    .post(catalogs::link)
                    .delete(catalogs::unlink),
            )
            .route(
                &format!("{prefix}/products"),
                get(catalogs::list_products).post(catalogs::create_product),
            );
    }
    r
}

/// Uploads stream past the JSON body limit; the media rules cap them by kind.
fn upload_route() -> axum::routing::MethodRouter<AppState> {
    post(media::upload).layer(axum::extract::DefaultBodyLimit::disable())
}

/// `POST /{object_id}`: a template edit (JSON, capped by the handler at the usual body
/// limit) or a Resumable Upload chunk (`upload:…`, raw bytes up to the session's length).
fn object_post() -> axum::routing::MethodRouter<AppState> {
    post(templates::edit).layer(axum::extract::DefaultBodyLimit::disable())
}

fn template_routes() -> axum::routing::MethodRouter<AppState> {
    get(templates::list)
        .post(templates::create)
        .delete(templates::delete)
}

fn block_routes() -> axum::routing::MethodRouter<AppState> {
    get(block_users::list)
        .post(block_users::block)
        .delete(block_users::unblock)
}

fn settings_routes() -> axum::routing::MethodRouter<AppState> {
    get(phone_settings::get).post(phone_settings::update)
}

fn qr_routes() -> axum::routing::MethodRouter<AppState> {
    get(qr_codes::list).post(qr_codes::create)
}

fn qr_code_routes() -> axum::routing::MethodRouter<AppState> {
    get(qr_codes::get)
        .post(qr_codes::update)
        .delete(qr_codes::delete)
}

/// Checks the `vNN.N` segment of a versioned Graph path.
pub fn check_version(version: &str) -> Result<(), ApiError> {
    if is_graph_version(version) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::RouteNotFound,
            format!("unknown path segment `{version}`; expected a Graph version like v23.0"),
        ))
    }
}

/// The caller's channel for a `{phone_number_id}` path segment. Anything else — not an id,
/// unknown, another account's, outside the key's scope — is Graph's "object does not exist"
/// (100/33), the same answer in every case.
/// `object_id` as one of the caller's WABAs; an unknown one, another account's, or one that
/// does not parse is Graph's 100/33 naming it.
pub async fn waba(state: &AppState, p: &Principal, object_id: &str) -> Result<WabaId, ApiError> {
    let id = ApiError::known(
        WabaId::parse(object_id),
        ErrorCode::ChannelNotFound,
        "object",
        object_id,
    )?;
    state
        .app
        .waba(p, &id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "object", object_id))
}

pub async fn phone_number(
    state: &AppState,
    p: &Principal,
    object_id: &str,
) -> Result<Channel, ApiError> {
    let unknown = || ApiError::not_found(ErrorCode::ChannelNotFound, "object", object_id);
    let pnid = PhoneNumberId::parse(object_id).map_err(|_| unknown())?;
    let channel = state
        .app
        .channel_by_phone_number_id(p, &pnid)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "object", object_id))?;
    // The request's span names the channel (see `server.rs`): one field name everywhere.
    tracing::Span::current().record("channel_id", tracing::field::display(channel.id));
    Ok(channel)
}
