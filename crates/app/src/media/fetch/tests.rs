//! The fetcher against a real local server. A local server is on loopback, so these tests
//! either show the guard refusing it or turn `allow_private_networks` on to exercise the
//! rest (redirects, caps, statuses, timeouts); the guard's verdict on each redirect hop is
//! unit-tested in `guard`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::guard::AddressClass;
use super::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really a png";

/// A local media server; `hits` counts the requests it received.
struct Server {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Server {
    async fn start() -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let app = Router::new()
            .route(
                "/ok",
                get(|| async { ([(header::CONTENT_TYPE, "image/png")], PNG) }),
            )
            .route("/r/{n}", get(redirect_chain))
            .route(
                "/to-ftp",
                get(|| async { Redirect::to("ftp://example.com/a.png") }),
            )
            .route(
                "/to-userinfo",
                get(|| async { Redirect::to("http://user:pw@127.0.0.1/ok") }),
            )
            .route(
                "/no-location",
                get(|| async { StatusCode::FOUND.into_response() }),
            )
            .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
            .route("/empty", get(|| async { StatusCode::OK }))
            .route("/big", get(|| async { vec![7u8; 2048] }))
            .route("/chunked/{n}", get(chunked))
            .route("/endless", get(endless))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    PNG
                }),
            )
            .layer(middleware::from_fn_with_state(hits.clone(), count));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn count(State(hits): State<Arc<AtomicUsize>>, request: Request, next: Next) -> Response {
    hits.fetch_add(1, Ordering::SeqCst);
    next.run(request).await
}

/// `/r/3` redirects to `/r/2` … to `/r/0`, which answers: `n` redirects in all.
async fn redirect_chain(Path(n): Path<u32>) -> Response {
    if n == 0 {
        PNG.into_response()
    } else {
        // Relative, as servers often send it.
        Redirect::to(&format!("{}", n - 1)).into_response()
    }
}

/// `n` chunks of 1 KiB, without a Content-Length.
async fn chunked(Path(n): Path<usize>) -> Body {
    let chunks = (0..n).map(|_| Ok::<_, Infallible>(Bytes::from(vec![1u8; 1024])));
    Body::from_stream(futures::stream::iter(chunks))
}

/// 1 KiB chunks forever: a reader that does not stop at the cap never returns.
async fn endless() -> Body {
    Body::from_stream(futures::stream::repeat_with(|| {
        Ok::<_, Infallible>(Bytes::from(vec![2u8; 1024]))
    }))
}

fn fetcher(config: FetchConfig) -> MediaFetcher {
    MediaFetcher::new(config).unwrap()
}

fn open() -> MediaFetcher {
    fetcher(FetchConfig {
        allow_private_networks: true,
        ..FetchConfig::default()
    })
}

const MB: u64 = 1024 * 1024;

#[tokio::test]
async fn loopback_is_refused_by_default_without_a_request() {
    let server = Server::start().await;
    let err = fetcher(FetchConfig::default())
        .fetch(&server.url("/ok"), 5 * MB)
        .await
        .unwrap_err();
    assert_eq!(
        err.details(),
        "the media link resolves to 127.0.0.1, a loopback address; \
         wagate does not fetch from private networks"
    );
    assert_eq!(err.failure().code, 131053);
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn a_name_that_resolves_to_loopback_is_refused() {
    let server = Server::start().await;
    let url = format!("http://localhost:{}/ok", server.addr.port());
    let err = fetcher(FetchConfig::default())
        .fetch(&url, 5 * MB)
        .await
        .unwrap_err();
    match &err {
        FetchError::Blocked { addr, class } => {
            assert!(addr.is_loopback(), "{addr}");
            assert_eq!(*class, AddressClass::Loopback);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.details().contains("a loopback address"), "{err}");
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn private_ip_literals_are_refused_at_once() {
    let fetcher = fetcher(FetchConfig::default());
    for (url, addr) in [
        ("http://[::1]/a.png", "::1"),
        ("http://0.0.0.0/a.png", "0.0.0.0"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("http://10.0.0.1/a.png", "10.0.0.1"),
        ("http://192.168.1.1:8080/a.png", "192.168.1.1"),
        ("http://[fe80::1]/a.png", "fe80::1"),
        ("http://[::ffff:127.0.0.1]/a.png", "::ffff:127.0.0.1"),
        ("http://2130706433/a.png", "127.0.0.1"),
    ] {
        // A connection attempt to most of these would hang until the connect timeout.
        let started = Instant::now();
        let err = fetcher.fetch(url, 5 * MB).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1), "{url}");
        match err {
            FetchError::Blocked { addr: a, .. } => assert_eq!(a.to_string(), addr, "{url}"),
            other => panic!("{url}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_local_server_is_fetched_when_private_networks_are_allowed() {
    let server = Server::start().await;
    let fetched = open().fetch(&server.url("/ok"), 5 * MB).await.unwrap();
    assert_eq!(fetched.bytes, PNG);
    assert_eq!(fetched.content_type.as_deref(), Some("image/png"));
    assert_eq!(fetched.final_url, server.url("/ok"));

    // Through the resolver too.
    let url = format!("http://localhost:{}/ok", server.addr.port());
    assert_eq!(open().fetch(&url, 5 * MB).await.unwrap().bytes, PNG);
}

#[tokio::test]
async fn redirects_are_followed_up_to_the_limit() {
    let server = Server::start().await;
    let fetched = open().fetch(&server.url("/r/3"), 5 * MB).await.unwrap();
    assert_eq!(fetched.bytes, PNG);
    assert_eq!(fetched.final_url, server.url("/r/0"));
    assert_eq!(server.hits(), 4);

    let err = open().fetch(&server.url("/r/4"), 5 * MB).await.unwrap_err();
    assert_eq!(err, FetchError::TooManyRedirects(3));
    assert_eq!(err.details(), "the media link redirected more than 3 times");

    let none = fetcher(FetchConfig {
        allow_private_networks: true,
        max_redirects: 0,
        ..FetchConfig::default()
    });
    assert_eq!(
        none.fetch(&server.url("/r/1"), 5 * MB).await,
        Err(FetchError::TooManyRedirects(0))
    );
}

#[tokio::test]
async fn every_redirect_hop_is_checked() {
    let server = Server::start().await;
    let open = open();
    assert_eq!(
        open.fetch(&server.url("/to-ftp"), 5 * MB).await,
        Err(FetchError::Scheme("ftp".to_owned()))
    );
    assert_eq!(
        open.fetch(&server.url("/to-userinfo"), 5 * MB).await,
        Err(FetchError::Userinfo)
    );
    assert_eq!(
        open.fetch(&server.url("/no-location"), 5 * MB).await,
        Err(FetchError::BadRedirect)
    );
}

#[tokio::test]
async fn a_content_length_over_the_cap_is_refused() {
    let server = Server::start().await;
    let err = open().fetch(&server.url("/big"), 1024).await.unwrap_err();
    assert_eq!(err, FetchError::TooLarge { max: 1024 });
    assert_eq!(err.details(), "the media file is over 1 KB");
    assert_eq!(
        open()
            .fetch(&server.url("/big"), 2048)
            .await
            .unwrap()
            .bytes
            .len(),
        2048
    );
}

#[tokio::test]
async fn the_configured_cap_bounds_the_callers() {
    let server = Server::start().await;
    let small = fetcher(FetchConfig {
        allow_private_networks: true,
        max_bytes: 1000,
        ..FetchConfig::default()
    });
    assert_eq!(
        small.fetch(&server.url("/big"), 100 * MB).await,
        Err(FetchError::TooLarge { max: 1000 })
    );
}

#[tokio::test]
async fn a_chunked_body_is_cut_off_at_the_cap() {
    let server = Server::start().await;
    let fetched = open()
        .fetch(&server.url("/chunked/8"), 8 * 1024)
        .await
        .unwrap();
    assert_eq!(fetched.bytes.len(), 8 * 1024);
    assert_eq!(
        open().fetch(&server.url("/chunked/9"), 8 * 1024).await,
        Err(FetchError::TooLarge { max: 8 * 1024 })
    );
    // A body that never ends is given up on at the cap, long before the deadline.
    let started = Instant::now();
    assert_eq!(
        open().fetch(&server.url("/endless"), MB).await,
        Err(FetchError::TooLarge { max: MB })
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn an_error_status_is_named() {
    let server = Server::start().await;
    let err = open().fetch(&server.url("/missing"), MB).await.unwrap_err();
    assert_eq!(err.details(), "the media link answered 404 Not Found");
    let failure = err.failure();
    assert_eq!(
        (failure.code, failure.details.as_str()),
        (131053, "the media link answered 404 Not Found")
    );
    assert_eq!(
        open().fetch(&server.url("/empty"), MB).await,
        Err(FetchError::Empty)
    );
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let server = Server::start().await;
    let quick = fetcher(FetchConfig {
        allow_private_networks: true,
        timeout_ms: 200,
        ..FetchConfig::default()
    });
    let started = Instant::now();
    let err = quick.fetch(&server.url("/slow"), MB).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.details(), "the media link timed out after 0.2 s");
}

#[tokio::test]
async fn a_closed_port_cannot_be_connected_to() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    assert_eq!(
        open().fetch(&format!("http://{addr}/a.png"), MB).await,
        Err(FetchError::Connect)
    );
}

#[tokio::test]
async fn other_schemes_credentials_and_garbage_are_refused() {
    let open = open();
    for (url, expected) in [
        (
            "ftp://example.com/a.png",
            FetchError::Scheme("ftp".to_owned()),
        ),
        ("file:///etc/passwd", FetchError::Scheme("file".to_owned())),
        ("http://user:pw@example.com/a.png", FetchError::Userinfo),
        ("https://user@example.com/a.png", FetchError::Userinfo),
        ("/relative/a.png", FetchError::InvalidUrl),
        ("not a url", FetchError::InvalidUrl),
    ] {
        assert_eq!(open.fetch(url, MB).await, Err(expected), "{url}");
    }
}

#[test]
fn the_config_has_defaults_and_refuses_unknown_fields() {
    let config: FetchConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(config, FetchConfig::default());
    assert!(!config.allow_private_networks);
    assert_eq!(config.timeout_ms, 15_000);
    assert_eq!(config.max_redirects, 3);
    assert_eq!(config.max_bytes, 100 * MB);
    let partial: FetchConfig =
        serde_json::from_str(r#"{"allow_private_networks": true, "timeout_ms": 500}"#).unwrap();
    assert!(partial.allow_private_networks);
    assert_eq!(partial.max_redirects, 3);
    assert!(serde_json::from_str::<FetchConfig>(r#"{"allow_private": true}"#).is_err());
}
