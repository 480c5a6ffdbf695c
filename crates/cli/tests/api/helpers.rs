//! `spawn_apps()`: running servers to test against, one per configured backend.

use std::future::Future;
use std::time::Duration;

use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wagate_app::config::Config;
use wagate_app::platform::database::DatabaseSetting;
use wagate_app::templates::TemplatesConfig;
use wagate_app::webhooks::WebhookConfig;
use wagate_app::{App, Principal};
use wagate_core::api_key::KeyChannels;
use wagate_core::text::{AccountName, KeyName};
use wagate_http::Server;

/// An HTTP client for tests that start no server in-process (which would install the TLS
/// provider reqwest needs).
pub fn http_client() -> Client {
    wagate_app::install_tls();
    Client::new()
}

/// The URL of a fresh PostgreSQL database (a copy of the migrated template, see
/// [`wagate_store_conformance::fresh_postgres_database`]) on `WAGATE_TEST_POSTGRES_URL`, or
/// `None` when unset (a failure instead when `WAGATE_REQUIRE_POSTGRES=1`, as CI sets it).
pub async fn fresh_postgres_url() -> Option<String> {
    wagate_store_conformance::fresh_postgres_database().await
}

fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_test_writer()
            .try_init();
    }
}

pub struct TestApp {
    pub backend: &'static str,
    /// The PostgreSQL URL (of its own database), for tests that read rows directly.
    pub database_url: Option<String>,
    pub base_url: String,
    /// The admin key first start created.
    pub api_key: String,
    pub account_id: String,
    pub phone_number_id: String,
    pub app: App,
    pub client: Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

/// One server on SQLite, plus one on PostgreSQL when `WAGATE_TEST_POSTGRES_URL` is set.
pub async fn spawn_apps() -> Vec<TestApp> {
    spawn_apps_with(|_| {}).await
}

/// [`spawn_apps`] with settings changed by `configure`.
pub async fn spawn_apps_with(configure: impl Fn(&mut Config)) -> Vec<TestApp> {
    let mut apps = vec![spawn(None, &configure).await];
    if let Some(url) = fresh_postgres_url().await {
        apps.push(spawn(Some(url), &configure).await);
    }
    apps
}

/// One server on SQLite (for tests about the HTTP layer only).
pub async fn spawn_app() -> TestApp {
    spawn(None, &|_| {}).await
}

async fn spawn(postgres: Option<String>, configure: &dyn Fn(&mut Config)) -> TestApp {
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let backend = if postgres.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let database_url = postgres.clone();
    let mut config = Config {
        data_dir: dir.path().join("data"),
        database: DatabaseSetting(postgres.unwrap_or_default()),
        database_max_connections: 4,
        max_body_bytes: 64 * 1024,
        // Retries in tens of milliseconds, so tests of failing receivers finish fast.
        webhooks: WebhookConfig {
            timeout_secs: 2,
            backoff_base_ms: 50,
            backoff_max_ms: 400,
            pause_base_ms: 20,
            ..WebhookConfig::default()
        },
        // The tests' webhook receivers, media servers and "Meta" listen on loopback; the
        // tests of the guard itself turn this off.
        outbound: wagate_app::platform::outbound::OutboundConfig {
            allow_private_networks: true,
            ..Default::default()
        },
        // Templates stay PENDING unless a test asks for a quick review.
        templates: TemplatesConfig {
            review_delay_ms: 3_600_000,
            ..TemplatesConfig::default()
        },
        ..Config::default()
    };
    configure(&mut config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::build(config.clone(), listener)
        .await
        .expect("server builds");
    let creds = server
        .credentials()
        .expect("a fresh database bootstraps")
        .clone();
    let app = server.app().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    TestApp {
        backend,
        database_url,
        base_url: creds.base_url.clone(),
        api_key: creds.api_key.expose().to_owned(),
        account_id: creds.account_id.to_string(),
        phone_number_id: creds.phone_number_id.to_string(),
        app,
        client: Client::new(),
        stop: Some(stop),
        task: Some(task),
        _dir: dir,
    }
}

impl TestApp {
    /// The server's data directory (database, credentials, media).
    pub fn data_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("data")
    }

    /// The `--database` a CLI command on this server's database takes.
    pub fn database_arg(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir().join("wagate.db").display()),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request with the admin key.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.api_key)
    }

    pub fn with_key(&self, method: Method, path: &str, key: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.req(Method::POST, path)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.req(Method::PATCH, path)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// POST with a raw body and content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        self.req(Method::POST, path)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Another account with its own account-wide key: `(account_id, key)`.
    pub async fn other_account(&self) -> (String, String) {
        let account = self
            .app
            .create_account(AccountName::parse("Other Co").unwrap())
            .await
            .unwrap();
        let (_, secret) = self
            .app
            .create_api_key(
                &Principal::operator(account.id),
                KeyName::parse("other").unwrap(),
                KeyChannels::All,
            )
            .await
            .unwrap();
        (account.id.to_string(), secret.expose().to_owned())
    }

    /// Creates a sandbox channel through the API and returns its view.
    pub async fn create_channel(&self, key: &str, name: &str) -> Value {
        let res = self
            .with_key(Method::POST, "/api/v1/channels", key)
            .json(&serde_json::json!({ "verified_name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "channel create");
        res.json().await.unwrap()
    }

    pub async fn channel_count(&self) -> usize {
        let body: Value = self
            .get("/api/v1/channels?limit=100")
            .await
            .json()
            .await
            .unwrap();
        body["data"].as_array().unwrap().len()
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Asserts a management-plane error: status, code, JSON content type, request id present.
pub async fn assert_manage_error(res: Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status for {code}");
    let ct = res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(ct, "application/json");
    let request_id = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert_eq!(body["error"]["request_id"], request_id.as_str());
    assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    body
}

/// Asserts a Graph error: status, numeric code, JSON content type.
pub async fn assert_graph_error(res: Response, status: u16, code: u64) -> Value {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/json"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert!(body["error"]["fbtrace_id"].is_string());
    assert!(body["error"]["type"].is_string());
    body
}

/// The time `ahead` from now, for `app.app.drain_at(..)`: the workers run as if that much
/// time had passed.
pub fn from_now(ahead: Duration) -> wagate_core::Timestamp {
    let now = wagate_core::Timestamp::now();
    wagate_core::Timestamp::from_millisecond(now.as_millisecond() + ahead.as_millis() as i64)
        .expect("a time in range")
}

/// How often [`eventually`] looks again.
const POLL: Duration = Duration::from_millis(20);

/// Polls `check` until it answers `Ok`, for at most `deadline`, and returns what it answered.
///
/// Only for what no worker step drives: another process (a `wagate` child, an SDK script, a
/// second server), a test receiver's own task, or a clock no test can move. What a server's
/// workers do is driven with `app.app.drain()` / `drain_at(..)` instead. When the deadline
/// passes it panics naming `what` and the last `Err`: what was seen instead.
pub async fn eventually<T, E, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let end = tokio::time::Instant::now() + deadline;
    loop {
        match check().await {
            Ok(done) => return done,
            Err(last) if tokio::time::Instant::now() >= end => {
                panic!("{what}: not within {deadline:?}; last seen: {last}")
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}
