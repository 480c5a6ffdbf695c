//! The OpenAPI document of the management plane and the probes, served at `/openapi.json`,
//! and a Swagger UI at `/docs` whose assets are compiled into the binary (no CDN, works
//! offline). The Cloud plane is Meta's API and is documented by Meta.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wagate management API",
        description = "wagate's own REST API (`/api/v1`): channels, API keys and the account. \
            Authenticate with `Authorization: Bearer <API key>` (or `?access_token=`). Errors are \
            `{\"error\":{\"code\",\"message\",\"field\",\"request_id\"}}` with stable snake_case codes.",
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "account", description = "Who am I"),
        (name = "channels", description = "WhatsApp business numbers and their upstreams"),
        (name = "api-keys", description = "Keys are shown once; wagate stores a SHA-256 digest"),
        (name = "audit-log", description = "Who did what to which object, and when (admin keys only)"),
        (name = "messages", description = "Messages sent and received, with their status"),
        (name = "templates", description = "Message templates: preview a send's parameters (create, list and edit them on the Cloud plane)"),
        (name = "probes", description = "Liveness, readiness and Prometheus metrics (no auth)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}
