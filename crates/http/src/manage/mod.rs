//! The management plane, `/api/v1`: wagate's own REST API. One module per resource, each
//! with its wire types (requests parse into core commands with one conversion; views render
//! core models) beside thin handlers.

pub mod account;
pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod campaigns;
pub mod catalogs;
pub mod channels;
pub mod contact_imports;
pub mod contacts;
pub mod media;
pub mod messages;
pub mod paging;
pub mod templates;
pub mod wallet;
pub mod webhooks;

use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every management route, documented.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(account::router())
        .merge(channels::router())
        .merge(media::router())
        .merge(contacts::router())
        .merge(contact_imports::router())
        .merge(api_keys::router())
        .merge(audit::router())
        .merge(messages::router())
        .merge(templates::router())
        .merge(webhooks::router())
        .merge(wallet::router())
        .merge(analytics::router())
        .merge(campaigns::router())
        .merge(catalogs::router())
}

/// The management plane's error envelope.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `invalid_request`, `channel_not_found`, `invalid_api_key`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// The request field at fault, when one is.
    pub field: Option<String>,
    /// Quote it when asking for help; it is also in the `x-request-id` header and our logs.
    pub request_id: String,
}
