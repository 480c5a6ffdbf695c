//! The server: state, router, middleware, and the run loop with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;
use wagate_app::App;
use wagate_app::config::Config;
use wagate_app::media::MediaService;
use wagate_app::platform::bootstrap::Credentials;
use wagate_app::platform::database::Database;
use wagate_core::error::ErrorCode;

use crate::console;
use crate::error::ApiError;
use crate::openapi::ApiDoc;
use crate::render::{cloud_errors, manage_errors};
use crate::state::{AppState, Shared};
use crate::{cloud, dialects, idempotency, manage, metrics, probes, sandbox, upstream_webhooks};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every route of every plane, with middleware, plus the OpenAPI document it was built from.
pub fn router(state: AppState) -> Router {
    dialects::register(&state.app);
    let (documented, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            "/api/v1",
            manage::router()
                .fallback(|| async {
                    ApiError::new(ErrorCode::RouteNotFound, "no such endpoint; see /docs")
                })
                .layer(from_fn(manage_errors))
                .layer(from_fn_with_state(state.clone(), idempotency::manage)),
        )
        .merge(probes::router().layer(from_fn(manage_errors)))
        .split_for_parts();

    let sandbox = sandbox::router()
        .layer(from_fn(manage_errors))
        .layer(from_fn_with_state(state.clone(), idempotency::manage));
    let upstream = upstream_webhooks::router().layer(from_fn(manage_errors));

    let cloud = cloud::router()
        .fallback(|| async { ApiError::new(ErrorCode::RouteNotFound, "Unknown path components") })
        .layer(from_fn_with_state(
            state.clone(),
            cloud::passthrough::passthrough,
        ))
        .layer(from_fn(cloud_errors))
        .layer(from_fn_with_state(state.clone(), idempotency::cloud));

    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    let body_limit = state.config.max_body_bytes;
    documented
        .merge(
            SwaggerUi::new("/docs")
                .external_url_unchecked("/openapi.json", crate::openapi::document(api)),
        )
        .merge(sandbox)
        .merge(upstream)
        // Before the Cloud routes: `/compat/…` would otherwise match `/{object_id}/…`.
        .merge(dialects::router())
        .merge(console::router(state.clone()))
        .merge(console::home::landing_routes())
        .merge(cloud)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(from_fn(metrics::track))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(SetSensitiveRequestHeadersLayer::new([
                    header::AUTHORIZATION,
                    header::COOKIE,
                ]))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &Request| {
                            // Never the raw URI: its query may hold `access_token`.
                            let route = req
                                .extensions()
                                .get::<MatchedPath>()
                                .map(|p| p.as_str().to_owned());
                            let request_id = req
                                .headers()
                                .get(REQUEST_ID)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default();
                            tracing::info_span!(
                                "http",
                                method = %req.method(),
                                route = route.as_deref().unwrap_or("unmatched"),
                                request_id,
                                // Filled in as the request is understood: who (auth), which
                                // channel (the Cloud plane's phone number), which message
                                // (a send). These names are the same in every span and event.
                                account_id = tracing::field::Empty,
                                channel_id = tracing::field::Empty,
                                message_id = tracing::field::Empty,
                            )
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(|_| panic_response()))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    timeout,
                )),
        )
        .with_state(state)
}

fn panic_response() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"error":{"code":"internal_error","message":"something went wrong on our side; try again"}}"#,
    )
        .into_response()
}

/// A built server: store open, database bootstrapped, listener bound, not yet serving.
pub struct Server {
    listener: TcpListener,
    state: AppState,
    addr: SocketAddr,
    base_url: String,
    credentials: Option<Credentials>,
    database: Database,
}

impl Server {
    /// Opens the database (applying migrations), bootstraps it if empty, and prepares to
    /// serve on `listener`.
    pub async fn build(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        // First, so that the store's own metrics (opened next) are recorded.
        let metrics = metrics::handle();
        let database =
            Database::resolve(&config.database, &config.data_dir).map_err(anyhow::Error::msg)?;
        wagate_app::platform::secrets::private_dir(&config.data_dir)?;
        let store = database
            .open(config.database_max_connections)
            .await
            .with_context(|| format!("opening the database {}", database.describe()))?;
        wagate_app::platform::secrets::unlock(&store, &config.secrets, &config.data_dir)
            .await
            .context("unlocking secrets at rest")?;
        let allow_private = config.allow_private_networks();
        let mut media_config = config.media.clone();
        media_config.fetch.allow_private_networks = allow_private;
        let media = MediaService::open(&config.data_dir, media_config)
            .context("opening the media store")?;
        let app = App::with_settings(
            store,
            config.dispatch.clone(),
            config.webhooks.clone(),
            allow_private,
        )
        .with_templates(config.templates)
        .with_media(media)
        .with_rate_limits(config.rate_limits);
        let addr = listener.local_addr().context("reading the bound address")?;
        let base_url = config.base_url(addr);
        let credentials = app
            .bootstrap(&config.data_dir, &base_url)
            .await
            .context("first-start bootstrap")?;
        let state = AppState::new(Shared {
            app,
            config: Arc::new(config),
            metrics,
            queue_depth: Arc::default(),
            base_url: Arc::from(base_url.as_str()),
        });
        Ok(Self {
            listener,
            state,
            addr,
            base_url,
            credentials,
            database,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// What first start created, if this start was the first.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    pub fn app(&self) -> &App {
        &self.state.app
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Serves until `shutdown` completes; then stops accepting, lets in-flight requests
    /// finish for up to `shutdown_grace_secs`, stops background tasks and closes the store.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Server {
            listener, state, ..
        } = self;
        let grace = Duration::from_secs(state.config.shutdown_grace_secs);
        let cancel = CancellationToken::new();
        let workers = TaskTracker::new();
        workers.spawn(metrics_upkeep(state.metrics.clone(), cancel.clone()));
        state.app.spawn_workers(&workers, cancel.clone());

        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let serve =
            axum::serve(listener, router(state.clone())).with_graceful_shutdown(async move {
                shutdown.await;
                tracing::info!("shutting down: no new connections, finishing in-flight requests");
                let _ = stopping_tx.send(());
            });
        let mut server = tokio::spawn(async move { serve.await });
        let result = tokio::select! {
            r = &mut server => r.context("server task")?.context("serving"),
            _ = stopping_rx => match tokio::time::timeout(grace, &mut server).await {
                Ok(r) => r.context("server task")?.context("serving"),
                Err(_) => {
                    tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; stopping them");
                    server.abort();
                    Ok(())
                }
            },
        };
        cancel.cancel();
        workers.close();
        workers.wait().await;
        state.app.store().close().await;
        tracing::info!("stopped");
        result
    }
}

/// The Prometheus recorder needs periodic upkeep (histogram rollover).
async fn metrics_upkeep(
    handle: metrics_exporter_prometheus::PrometheusHandle,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => handle.run_upkeep(),
        }
    }
}
