//! Business encryption on the Cloud plane (`/{phone_number_id}/whatsapp_business_encryption`)
//! and calls to a business's Flows endpoint, over real HTTP on both backends.
//!
//! The key: set as JSON or a form, SPKI or PKCS#1, read back `VALID`; bad keys (not PEM, not
//! RSA, 1024-bit, garbage, missing, wrong types) refused with Graph code 100 naming
//! `business_public_key` and nothing stored; another account's number unknown (100/33).
//!
//! The endpoint: a real axum server on 127.0.0.1:0 ([`FlowEndpoint`]) that holds the private
//! key, checks `X-Hub-Signature-256` with the webhook subscription's secret, decrypts with the
//! business side of `wagate_core::flow::crypto` and answers encrypted; wagate's
//! `App::flow_endpoint_ping` / `flow_endpoint_exchange` call it: a healthy ping, INIT → a
//! screen, data_exchange → SUCCESS, BACK, and each failure (421, 427, 500, garbage, another
//! key, a body that is not a response, a timeout, a closed port, no key, no secret, another
//! account). Then pywa's own endpoint helpers, as a second, independent endpoint.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use reqwest::{Method, Url};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::Command;
use wagate_app::flows::endpoint::{EndpointError, FlowAction, FlowRequest, FlowResponse};
use wagate_core::business_key::BusinessPrivateKey;
use wagate_core::flow::crypto::{self, EncryptedRequest, Session};
use wagate_core::ids::{AccountId, PhoneNumberId};
use wagate_core::webhook::ascii;

use crate::helpers::{TestApp, assert_graph_error, spawn_apps};
use crate::receiver::{Receiver, SECRET, TOKEN};
use crate::sdk::{conformance_dir, install};

/// One 2048-bit key pair for the whole test binary (generating one takes a while).
fn private_key() -> &'static BusinessPrivateKey {
    static KEY: OnceLock<BusinessPrivateKey> = OnceLock::new();
    KEY.get_or_init(BusinessPrivateKey::generate)
}

/// A 1024-bit RSA public key (Python's `cryptography`).
const RSA_1024: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC9Rjgw/JuEnYb0Hm1Zk6lSYROB
ZFgltxddInpxKs2L/7MeCSi/+lNurxwZSwYOiBzDBOOmSdAOsfjhKNm7Kt0cD91F
1/2jeo3YkIjl1zfhBTYE04DH1Aqxp1Og4Yy0+pWphnIJDTlP9SpwH5ps1gLHjF3i
UCQ3V9k9WUc37fkT+wIDAQAB
-----END PUBLIC KEY-----";

/// A P-256 public key: PEM SPKI, but not RSA.
const EC_P256: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/rCfiXfIVYR8pRlXqL8O3ggeA39q
XqG0lOwvkG1AfjV7ogefNYgGhIVwWsuRk5+odCoioZI/0LGwSG0lxUSuaQ==
-----END PUBLIC KEY-----";

fn edge(pnid: &str) -> String {
    format!("/v23.0/{pnid}/whatsapp_business_encryption")
}

async fn read_key(app: &TestApp, pnid: &str) -> Value {
    let res = app.get(&edge(pnid)).await;
    assert_eq!(res.status(), 200, "{}", app.backend);
    res.json().await.unwrap()
}

async fn set_key_json(app: &TestApp, pem: &str) -> reqwest::Response {
    app.post_json(
        &edge(&app.phone_number_id),
        &json!({"business_public_key": pem}),
    )
    .await
}

/// Graph's code 100 naming `business_public_key`, without a subcode.
async fn assert_bad_key(res: reqwest::Response, what: &str) {
    let body = assert_graph_error(res, 400, 100).await;
    assert!(
        body["error"].get("error_subcode").is_none(),
        "{what}: {body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("business_public_key"), "{what}: {body}");
}

#[tokio::test]
async fn business_keys_are_set_read_and_refused_per_phone_number() {
    let spki = private_key().public_key();
    let pkcs1 = {
        use rsa::pkcs1::EncodeRsaPublicKey;
        spki.rsa().to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap()
    };
    for app in spawn_apps().await {
        let pnid = app.phone_number_id.clone();
        assert_eq!(read_key(&app, &pnid).await, json!({"data": []}));

        // JSON, SPKI.
        let res = set_key_json(&app, spki.pem()).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
        assert_eq!(
            read_key(&app, &pnid).await,
            json!({"data": [{"business_public_key": spki.pem(),
                             "business_public_key_signature_status": "VALID"}]})
        );

        // A form (as Meta's docs post it), PKCS#1, on the unversioned path: replaces it.
        let form = format!("business_public_key={}", url_encode(&pkcs1),);
        let res = app
            .post_raw(
                &format!("/{pnid}/whatsapp_business_encryption"),
                "application/x-www-form-urlencoded",
                form,
            )
            .await;
        assert_eq!(res.status(), 200);
        let got = read_key(&app, &pnid).await;
        assert_eq!(got["data"][0]["business_public_key"], pkcs1.trim());
        assert_eq!(
            got["data"][0]["business_public_key_signature_status"],
            "VALID"
        );

        // Bad keys and bad bodies: refused, nothing stored.
        let escaped_private = private_key().to_pem();
        for (what, body) in [
            ("not PEM", json!({"business_public_key": "hello"})),
            (
                "garbage PEM",
                json!({"business_public_key":
                "-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----"}),
            ),
            ("not RSA", json!({"business_public_key": EC_P256})),
            ("1024-bit", json!({"business_public_key": RSA_1024})),
            (
                "a private key",
                json!({"business_public_key": escaped_private}),
            ),
            ("missing", json!({})),
            ("empty", json!({"business_public_key": ""})),
            ("a number", json!({"business_public_key": 2048})),
            ("an array", json!({"business_public_key": [spki.pem()]})),
            (
                "an object",
                json!({"business_public_key": {"pem": spki.pem()}}),
            ),
        ] {
            let res = app.post_json(&edge(&pnid), &body).await;
            assert_bad_key(res, what).await;
        }
        let res = app
            .post_json(&edge(&pnid), &json!({"business_public_key": RSA_1024}))
            .await;
        let body = assert_graph_error(res, 400, 100).await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("1024-bit RSA key; WhatsApp Flows need a 2048-bit key"),
            "{body}"
        );
        let res = app
            .req(Method::POST, &edge(&pnid))
            .header("content-type", "application/json")
            .body("[1]")
            .send()
            .await
            .unwrap();
        assert_graph_error(res, 400, 100).await;
        assert_eq!(read_key(&app, &pnid).await, got, "nothing stored");

        // Another account's number answers as unknown, both ways; its own number has no key.
        let (_, other_key) = app.other_account().await;
        let other = app.create_channel(&other_key, "Other Shop").await;
        let other_pnid = other["phone_number_id"].as_str().unwrap().to_owned();
        for res in [
            app.with_key(Method::GET, &edge(&pnid), &other_key)
                .send()
                .await
                .unwrap(),
            app.with_key(Method::POST, &edge(&pnid), &other_key)
                .json(&json!({"business_public_key": spki.pem()}))
                .send()
                .await
                .unwrap(),
            app.get(&edge(&other_pnid)).await,
            app.get(&edge("999999999999999")).await,
        ] {
            let body = assert_graph_error(res, 400, 100).await;
            assert_eq!(body["error"]["error_subcode"], 33, "{body}");
        }
        let res = app
            .with_key(Method::GET, &edge(&other_pnid), &other_key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"data": []}));
        assert_eq!(
            read_key(&app, &pnid).await,
            got,
            "unchanged by the other account"
        );
        app.stop().await;
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---- A real Flows endpoint ----------------------------------------------------------------

/// How the endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Mode {
    /// Decrypt, answer the action, encrypt.
    Serve = 0,
    /// 421: "could not decrypt".
    Refuse421 = 1,
    /// 500.
    Fail = 2,
    /// 200 with text that is not encrypted.
    Garbage = 3,
    /// 200 encrypted under another AES key.
    OtherKey = 4,
    /// 200 encrypted correctly, but not a flow response.
    NotAResponse = 5,
    /// Never answers.
    Hang = 6,
}

#[derive(Default)]
struct EndpointState {
    mode: AtomicU8,
    /// Requests whose signature matched the subscription's secret.
    signed: AtomicUsize,
    /// Requests refused for their signature (Meta's endpoints answer 432).
    unsigned: AtomicUsize,
}

struct FlowEndpoint {
    url: Url,
    state: Arc<EndpointState>,
}

impl FlowEndpoint {
    async fn start() -> Self {
        let state = Arc::new(EndpointState::default());
        let app = Router::new()
            .route("/flows", post(serve))
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url: Url::parse(&format!("http://{addr}/flows")).unwrap(),
            state,
        }
    }

    fn mode(&self, mode: Mode) {
        self.state.mode.store(mode as u8, Ordering::SeqCst);
    }
}

fn encrypted(session: &Session, v: &Value) -> Response {
    (
        [("content-type", "text/plain")],
        crypto::encrypt_response(session, v.to_string().as_bytes()),
    )
        .into_response()
}

async fn serve(
    State(state): State<Arc<EndpointState>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if signature != ascii::signature(SECRET.as_bytes(), &raw) {
        state.unsigned.fetch_add(1, Ordering::SeqCst);
        return StatusCode::from_u16(432).unwrap().into_response();
    }
    state.signed.fetch_add(1, Ordering::SeqCst);
    let mode = state.mode.load(Ordering::SeqCst);
    if mode == Mode::Refuse421 as u8 {
        return StatusCode::MISDIRECTED_REQUEST.into_response();
    }
    if mode == Mode::Fail as u8 {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    if mode == Mode::Hang as u8 {
        std::future::pending::<()>().await;
    }
    let Ok(body) = serde_json::from_slice::<EncryptedRequest>(&raw) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Ok((plain, session)) = crypto::decrypt_request(private_key(), &body) else {
        return StatusCode::MISDIRECTED_REQUEST.into_response();
    };
    if mode == Mode::Garbage as u8 {
        return "this is not encrypted".into_response();
    }
    if mode == Mode::OtherKey as u8 {
        return encrypted(&Session::generate(), &json!({"data": {"status": "active"}}));
    }
    if mode == Mode::NotAResponse as u8 {
        return encrypted(&session, &json!({"hello": "world"}));
    }
    let req: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(req["version"], "3.0", "{req}");
    let token = req["flow_token"].as_str().unwrap_or_default();
    if token == "expired" {
        return StatusCode::from_u16(427).unwrap().into_response();
    }
    let answer = match req["action"].as_str().unwrap() {
        "ping" => json!({"data": {"status": "active"}}),
        "INIT" => json!({"screen": "APPOINTMENT", "data": {"slots": ["9:00", "10:00"]}}),
        "BACK" => json!({"screen": "APPOINTMENT", "data": {"back_from": req["screen"]}}),
        "data_exchange" if req["data"]["slot"] == "11:00" => json!({
            "screen": "APPOINTMENT", "data": {"error_message": "11:00 is taken"}}),
        "data_exchange" => json!({"screen": "SUCCESS", "data": {"extension_message_response": {
            "params": {"flow_token": token, "slot": req["data"]["slot"]}}}}),
        other => panic!("unexpected action {other}"),
    };
    encrypted(&session, &answer)
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

async fn subscribe(app: &TestApp, receiver: &Receiver) {
    let res = app
        .post_json(
            "/api/v1/webhooks",
            &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", app.backend);
}

#[tokio::test]
async fn flow_endpoint_calls_are_encrypted_signed_and_typed() {
    let endpoint = FlowEndpoint::start().await;
    let receiver = Receiver::start().await;
    for app in spawn_apps().await {
        let account: AccountId = app.account_id.parse().unwrap();
        let pnid = PhoneNumberId::parse(&app.phone_number_id).unwrap();
        let url = &endpoint.url;
        endpoint.mode(Mode::Serve);

        // No key yet; then a key but nothing to sign with.
        let e = app
            .app
            .flow_endpoint_ping(account, &pnid, url)
            .await
            .unwrap_err();
        assert!(matches!(e, EndpointError::NoBusinessKey), "{e}");
        let res = set_key_json(&app, private_key().public_key().pem()).await;
        assert_eq!(res.status(), 200);
        let e = app
            .app
            .flow_endpoint_ping(account, &pnid, url)
            .await
            .unwrap_err();
        assert!(matches!(e, EndpointError::NoSigningSecret), "{e}");
        subscribe(&app, &receiver).await;
        let signed = endpoint.state.signed.load(Ordering::SeqCst);

        // Healthy, then a whole flow.
        let health = app
            .app
            .flow_endpoint_ping(account, &pnid, url)
            .await
            .unwrap();
        assert_eq!(health.status, "active");
        let init = FlowRequest::new(FlowAction::Init, "tok-1");
        assert_eq!(
            app.app
                .flow_endpoint_exchange(account, &pnid, url, init)
                .await
                .unwrap(),
            FlowResponse::Screen {
                screen: "APPOINTMENT".into(),
                data: obj(json!({"slots": ["9:00", "10:00"]}))
            }
        );
        let taken = FlowRequest::new(FlowAction::DataExchange, "tok-1")
            .screen("APPOINTMENT")
            .data(obj(json!({"slot": "11:00"})));
        assert!(matches!(
            app.app.flow_endpoint_exchange(account, &pnid, url, taken).await.unwrap(),
            FlowResponse::Error { ref screen, ref message, .. }
                if screen == "APPOINTMENT" && message == "11:00 is taken"
        ));
        let back = FlowRequest::new(FlowAction::Back, "tok-1").screen("CONFIRM");
        assert_eq!(
            app.app
                .flow_endpoint_exchange(account, &pnid, url, back)
                .await
                .unwrap(),
            FlowResponse::Screen {
                screen: "APPOINTMENT".into(),
                data: obj(json!({"back_from": "CONFIRM"}))
            }
        );
        let pick = FlowRequest::new(FlowAction::DataExchange, "tok-1")
            .screen("APPOINTMENT")
            .data(obj(json!({"slot": "9:00"})));
        assert_eq!(
            app.app
                .flow_endpoint_exchange(account, &pnid, url, pick.clone())
                .await
                .unwrap(),
            FlowResponse::Success {
                flow_token: "tok-1".into(),
                params: obj(json!({"flow_token": "tok-1", "slot": "9:00"}))
            }
        );
        assert_eq!(endpoint.state.signed.load(Ordering::SeqCst), signed + 5);
        assert_eq!(endpoint.state.unsigned.load(Ordering::SeqCst), 0);

        // A token the business closed: 427.
        let expired = FlowRequest::new(FlowAction::DataExchange, "expired").screen("APPOINTMENT");
        let e = app
            .app
            .flow_endpoint_exchange(account, &pnid, url, expired)
            .await
            .unwrap_err();
        assert!(matches!(e, EndpointError::FlowTokenInvalid), "{e}");

        // Each way an endpoint fails.
        for (mode, want) in [
            (Mode::Refuse421, "key_refetch"),
            (Mode::Fail, "http_status"),
            (Mode::Garbage, "undecryptable"),
            (Mode::OtherKey, "undecryptable"),
            (Mode::NotAResponse, "invalid_response"),
        ] {
            endpoint.mode(mode);
            let e = app
                .app
                .flow_endpoint_ping(account, &pnid, url)
                .await
                .unwrap_err();
            assert_eq!(e.reason(), want, "{mode:?}: {e}");
            let e = app
                .app
                .flow_endpoint_exchange(account, &pnid, url, pick.clone())
                .await
                .unwrap_err();
            assert_eq!(e.reason(), want, "{mode:?}: {e}");
        }
        endpoint.mode(Mode::Fail);
        let e = app
            .app
            .flow_endpoint_ping(account, &pnid, url)
            .await
            .unwrap_err();
        assert!(matches!(e, EndpointError::Status(500)), "{e}");

        // No answer within a short timeout.
        endpoint.mode(Mode::Hang);
        let quick = app
            .app
            .clone()
            .with_flow_endpoint_timeout(Duration::from_millis(300));
        let e = quick
            .flow_endpoint_ping(account, &pnid, url)
            .await
            .unwrap_err();
        assert!(matches!(e, EndpointError::Timeout(_)), "{e}");
        endpoint.mode(Mode::Serve);

        // Nobody listening.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            Url::parse(&format!("http://{}/flows", l.local_addr().unwrap())).unwrap()
        };
        let e = app
            .app
            .flow_endpoint_ping(account, &pnid, &closed)
            .await
            .unwrap_err();
        assert!(matches!(e, EndpointError::Unreachable(_)), "{e}");

        // Another account, or an unknown number.
        let (other_account, _) = app.other_account().await;
        let other_account: AccountId = other_account.parse().unwrap();
        let e = app
            .app
            .flow_endpoint_ping(other_account, &pnid, url)
            .await
            .unwrap_err();
        assert!(matches!(e, EndpointError::UnknownPhoneNumber), "{e}");
        let unknown = PhoneNumberId::parse("999999999999999").unwrap();
        let e = app
            .app
            .flow_endpoint_ping(account, &unknown, url)
            .await
            .unwrap_err();
        assert!(matches!(e, EndpointError::UnknownPhoneNumber), "{e}");

        // Still healthy after all that.
        assert_eq!(
            app.app
                .flow_endpoint_ping(account, &pnid, url)
                .await
                .unwrap()
                .status,
            "active"
        );
        app.stop().await;
    }
}

// ---- pywa ---------------------------------------------------------------------------------

/// pywa's own endpoint helpers (`pywa.utils.default_flow_request_decryptor` and
/// `default_flow_response_encryptor`) as a second, independent business endpoint: a Python
/// process that wagate's client side talks to. Then pywa's business-key calls.
#[tokio::test]
#[ignore = "real client libraries (pywa, whatsapp-api-js, kapso, S3): `cargo test -- --include-ignored`, as CI runs"]
async fn pywa_flow_endpoint_and_business_key_calls() {
    let (python, _) = install().await;
    let extra = Command::new("bash")
        .arg(conformance_dir().join("encryption/setup.sh"))
        .arg(&python)
        .stderr(Stdio::inherit())
        .status()
        .await
        .unwrap();
    assert!(extra.success(), "conformance/encryption/setup.sh failed");
    let receiver = Receiver::start().await;
    let app = crate::helpers::spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("private.pem");
    std::fs::write(&key_file, private_key().to_pem()).unwrap();
    let mut child = Command::new(&python)
        .arg(conformance_dir().join("encryption/pywa_endpoint.py"))
        .args([
            "--private-key",
            key_file.to_str().unwrap(),
            "--secret",
            SECRET,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("run conformance/encryption/pywa_endpoint.py");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines
        .next_line()
        .await
        .unwrap()
        .expect("the endpoint prints its URL");
    let url = Url::parse(first.strip_prefix("LISTENING ").expect(&first)).unwrap();

    let account: AccountId = app.account_id.parse().unwrap();
    let pnid = PhoneNumberId::parse(&app.phone_number_id).unwrap();
    assert_eq!(
        set_key_json(&app, private_key().public_key().pem())
            .await
            .status(),
        200
    );
    subscribe(&app, &receiver).await;
    assert_eq!(
        app.app
            .flow_endpoint_ping(account, &pnid, &url)
            .await
            .unwrap()
            .status,
        "active"
    );
    let init = FlowRequest::new(FlowAction::Init, "py-1");
    assert_eq!(
        app.app
            .flow_endpoint_exchange(account, &pnid, &url, init)
            .await
            .unwrap(),
        FlowResponse::Screen {
            screen: "START".into(),
            data: obj(json!({"echo": "INIT"}))
        }
    );
    let done = FlowRequest::new(FlowAction::DataExchange, "py-1")
        .screen("START")
        .data(obj(json!({"name": "Zoë 🎉"})));
    assert_eq!(
        app.app
            .flow_endpoint_exchange(account, &pnid, &url, done)
            .await
            .unwrap(),
        FlowResponse::Success {
            flow_token: "py-1".into(),
            params: obj(json!({"flow_token": "py-1", "name": "Zoë 🎉"}))
        }
    );
    child.kill().await.unwrap();

    // pywa's own business-key calls against wagate.
    let mut cmd = Command::new(&python);
    cmd.arg(conformance_dir().join("encryption/pywa_keys.py"))
        .env("WAGATE_URL", &app.base_url)
        .env("WAGATE_KEY", &app.api_key)
        .env("WAGATE_PHONE_ID", &app.phone_number_id)
        .env("PUBLIC_KEY", private_key().public_key().pem());
    let report = crate::sdk::run_script("pywa", cmd).await;
    assert_eq!(
        report.len(),
        1,
        "pywa_keys.py prints one JSON object: {report:?}"
    );
    let ops = &report[0];
    assert_eq!(ops["set"], true, "{ops}");
    assert_eq!(ops["get_key"], private_key().public_key().pem(), "{ops}");
    assert_eq!(ops["get_status"], "VALID", "{ops}");
    assert!(
        ops["bad_key_error"]
            .as_str()
            .unwrap()
            .contains("business_public_key"),
        "{ops}"
    );
    app.stop().await;
}

// ---- Cloud channels -----------------------------------------------------------------------

/// A cloud channel's key goes to Meta (another wagate, A, plays Meta) and is kept by wagate
/// (B) once Meta took it: B's endpoint calls encrypt with it and sign with the channel's app
/// secret. A key B refuses never reaches Meta.
#[tokio::test]
async fn a_cloud_numbers_key_goes_to_meta_and_is_kept() {
    let a = crate::helpers::spawn_app().await;
    let b = crate::helpers::spawn_app().await;
    let pnid = a.phone_number_id.clone();
    let a_channel: Value = a
        .get("/api/v1/channels")
        .await
        .json::<Value>()
        .await
        .unwrap()["data"][0]
        .clone();
    let res = b
        .post_json(
            "/api/v1/channels",
            &json!({
                "verified_name": "Acme via Meta",
                "phone_number_id": pnid,
                "waba_id": a_channel["waba_id"],
                "display_phone_number": a_channel["display_phone_number"],
                "upstream": {"kind": "cloud", "base_url": a.base_url, "access_token": a.api_key,
                             "app_secret": SECRET}
            }),
        )
        .await;
    assert_eq!(res.status(), 201);

    let key = private_key().public_key();
    let res = b
        .post_json(&edge(&pnid), &json!({"business_public_key": key.pem()}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
    let at_meta = read_key(&a, &pnid).await;
    assert_eq!(at_meta["data"][0]["business_public_key"], key.pem());
    assert_eq!(
        read_key(&b, &pnid).await,
        at_meta,
        "B's read is Meta's answer"
    );

    // Kept by B: its endpoint calls work, signed with the app secret.
    let endpoint = FlowEndpoint::start().await;
    let account: AccountId = b.account_id.parse().unwrap();
    let id = PhoneNumberId::parse(&pnid).unwrap();
    assert_eq!(
        b.app
            .flow_endpoint_ping(account, &id, &endpoint.url)
            .await
            .unwrap()
            .status,
        "active"
    );
    assert_eq!(endpoint.state.signed.load(Ordering::SeqCst), 1);

    // A bad key is refused by B and never reaches Meta.
    let res = b
        .post_json(&edge(&pnid), &json!({"business_public_key": RSA_1024}))
        .await;
    assert_bad_key(res, "1024-bit through B").await;
    assert_eq!(read_key(&a, &pnid).await, at_meta);
    b.stop().await;
    a.stop().await;
}

/// Without `[outbound] allow_private_networks`, an endpoint on loopback is refused before
/// anything is sent.
#[tokio::test]
async fn an_endpoint_on_a_private_network_is_refused_by_the_outbound_guard() {
    let endpoint = FlowEndpoint::start().await;
    for app in crate::helpers::spawn_apps_with(|c| c.outbound.allow_private_networks = false).await
    {
        let account: AccountId = app.account_id.parse().unwrap();
        let pnid = PhoneNumberId::parse(&app.phone_number_id).unwrap();
        assert_eq!(
            set_key_json(&app, private_key().public_key().pem())
                .await
                .status(),
            200
        );
        let e = app
            .app
            .flow_endpoint_ping(account, &pnid, &endpoint.url)
            .await
            .unwrap_err();
        assert!(
            matches!(e, EndpointError::Blocked(ref why) if why.contains("127.0.0.1")),
            "{e}"
        );
        app.stop().await;
    }
    assert_eq!(endpoint.state.signed.load(Ordering::SeqCst), 0);
    assert_eq!(endpoint.state.unsigned.load(Ordering::SeqCst), 0);
}

/// A data-exchange flow: one screen whose slot the business's endpoint checks.
const APPOINTMENT_FLOW: &str = r#"{
  "version": "6.0",
  "data_api_version": "3.0",
  "routing_model": {"APPOINTMENT": []},
  "screens": [
    {
      "id": "APPOINTMENT",
      "title": "Book a visit",
      "terminal": true,
      "data": {"slots": {"type": "array", "items": {"type": "string"}, "__example__": ["9:00"]}},
      "layout": {
        "type": "SingleColumnLayout",
        "children": [
          {"type": "Dropdown", "name": "slot", "label": "Time", "required": true,
           "data-source": [{"id": "9:00", "title": "9:00"}, {"id": "10:00", "title": "10:00"}]},
          {"type": "Footer", "label": "Book", "on-click-action": {"name": "complete", "payload": {"slot": "${form.slot}"}}}
        ]
      }
    }
  ]
}"#;

#[tokio::test]
async fn a_data_exchange_flow_publishes_on_a_healthy_endpoint_and_a_user_completes_it() {
    let endpoint = FlowEndpoint::start().await;
    let receiver = Receiver::start().await;
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        subscribe(&app, &receiver).await;
        endpoint.mode(Mode::Serve);
        let channels: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        let waba = channels["data"][0]["waba_id"].as_str().unwrap().to_owned();
        let res = app
            .post_json(
                &format!("/v23.0/{waba}/flows"),
                &json!({"name": "Visits", "categories": ["APPOINTMENT_BOOKING"],
                        "flow_json": APPOINTMENT_FLOW, "endpoint_uri": endpoint.url.as_str()}),
            )
            .await;
        let created: Value = res.json().await.unwrap();
        assert_eq!(created["success"], true, "{created}");
        assert!(
            created["validation_errors"]
                .as_array()
                .is_none_or(|e| e.is_empty()),
            "{created}"
        );
        let id = created["id"].as_str().unwrap().to_owned();
        let publish_path = format!("/v23.0/{id}/publish");
        let empty = json!({});
        let publish = || app.post_json(&publish_path, &empty);
        let status = || async {
            let flow: Value = app
                .get(&format!("/v23.0/{id}?fields=status"))
                .await
                .json()
                .await
                .unwrap();
            flow["status"].as_str().unwrap().to_owned()
        };

        // No business key on the WABA's number: refused, still a draft.
        let body = assert_graph_error(publish().await, 400, 139002).await;
        let details = body["error"]["error_data"]["details"].as_str().unwrap();
        assert!(details.contains("business public key"), "{body}");
        assert_eq!(status().await, "DRAFT");

        // A key, but the endpoint fails its health check: refused, still a draft.
        let res = set_key_json(&app, private_key().public_key().pem()).await;
        assert_eq!(res.status(), 200);
        endpoint.mode(Mode::Fail);
        let body = assert_graph_error(publish().await, 400, 139002).await;
        let details = body["error"]["error_data"]["details"].as_str().unwrap();
        assert!(details.contains("health check"), "{body}");
        assert_eq!(status().await, "DRAFT");

        // Healthy: published.
        endpoint.mode(Mode::Serve);
        let res = publish().await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert_eq!(status().await, "PUBLISHED");

        // The business opens the flow with a data exchange; the user picks a slot the
        // endpoint refuses, then one it takes.
        let wamid = app
            .send(
                json!({"to": "16505551234", "type": "interactive", "interactive": {
                "type": "flow", "body": {"text": "Book your visit"},
                "action": {"name": "flow", "parameters": {"flow_message_version": "3",
                    "flow_token": "tok-7", "flow_id": id, "flow_cta": "Book",
                    "flow_action": "data_exchange"}}}}),
            )
            .await;
        let complete = format!("/sandbox/{}/flows/complete", app.phone_number_id);
        let res = app
            .post_json(
                &complete,
                &json!({"wamid": wamid, "response_json": {"slot": "11:00"}}),
            )
            .await;
        assert_eq!(res.status(), 400, "{}", app.backend);
        let body: Value = res.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("11:00 is taken"),
            "{body}"
        );
        assert!(app.messages("direction=inbound").await.is_empty());

        let res = app
            .post_json(
                &complete,
                &json!({"wamid": wamid, "response_json": {"slot": "10:00"}}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let inbound = app.messages("direction=inbound").await;
        assert_eq!(inbound.len(), 1, "{inbound:?}");
        let nfm = &inbound[0]["content"]["nfm_reply"];
        let response: Value = nfm["response_json"]
            .as_str()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_else(|| panic!("{}", inbound[0]));
        // The endpoint's closing params: its flow token and the slot it booked.
        assert_eq!(response, json!({"flow_token": "tok-7", "slot": "10:00"}));
        assert_eq!(
            inbound[0]["context_message_id"],
            wamid.as_str(),
            "{}",
            inbound[0]
        );
        // Every call was signed with the subscription's secret.
        assert_eq!(endpoint.state.unsigned.load(Ordering::SeqCst), 0);
    }
}

/// Every `flows` change value the receiver got, once `n` arrived.
async fn flow_changes(receiver: &Receiver, n: usize) -> Vec<Value> {
    receiver
        .wait_events(n)
        .await
        .iter()
        .flat_map(|post| {
            post.body["entry"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|e| e["changes"].as_array().unwrap().clone())
                .collect::<Vec<_>>()
        })
        .inspect(|c| assert_eq!(c["field"], "flows", "{c}"))
        .map(|c| c["value"].clone())
        .collect()
}

#[tokio::test]
async fn a_failing_endpoint_raises_metas_alerts_and_throttles_then_blocks_the_flow() {
    let endpoint = FlowEndpoint::start().await;
    for app in spawn_apps().await {
        app.configure_sandbox(json!({})).await;
        let receiver = Receiver::start().await;
        let res = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": receiver.url, "secret": SECRET, "verify_token": TOKEN,
                        "fields": ["flows"]}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", app.backend);
        assert_eq!(
            set_key_json(&app, private_key().public_key().pem())
                .await
                .status(),
            200
        );
        endpoint.mode(Mode::Serve);
        let channels: Value = app.get("/api/v1/channels").await.json().await.unwrap();
        let waba = channels["data"][0]["waba_id"].as_str().unwrap().to_owned();
        let created: Value = app
            .post_json(
                &format!("/v23.0/{waba}/flows"),
                &json!({"name": "Visits", "categories": ["APPOINTMENT_BOOKING"],
                        "flow_json": APPOINTMENT_FLOW, "endpoint_uri": endpoint.url.as_str()}),
            )
            .await
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        // The publish health check is the first call of the flow's record: a success.
        let res = app
            .post_json(&format!("/v23.0/{id}/publish"), &json!({}))
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let status = || async {
            let flow: Value = app
                .get(&format!("/v23.0/{id}?fields=status"))
                .await
                .json()
                .await
                .unwrap();
            flow["status"].as_str().unwrap().to_owned()
        };
        let message = json!({"to": "16505551234", "type": "interactive", "interactive": {
            "type": "flow", "body": {"text": "Book your visit"},
            "action": {"name": "flow", "parameters": {"flow_message_version": "3",
                "flow_token": "tok-9", "flow_id": id, "flow_cta": "Book",
                "flow_action": "data_exchange"}}}});
        let wamid = app.send(message.clone()).await;
        let complete_path = format!("/sandbox/{}/flows/complete", app.phone_number_id);
        let complete = || async {
            let res = app
                .post_json(
                    &complete_path,
                    &json!({"wamid": wamid, "response_json": {"slot": "9:00"}}),
                )
                .await;
            assert_eq!(res.status(), 400, "{}", app.backend);
            let body: Value = res.json().await.unwrap();
            body["error"]["message"].as_str().unwrap().to_owned()
        };

        // The endpoint fails (HTTP 500). Fewer than five calls in the window: no judgement.
        endpoint.mode(Mode::Fail);
        for _ in 0..3 {
            assert!(complete().await.contains("HTTP 500"));
            assert_eq!(status().await, "PUBLISHED");
        }
        // The fifth call (four failures of five, 80 %): the error-rate alert at its 50 %
        // threshold, and the flow is throttled first…
        complete().await;
        assert_eq!(status().await, "THROTTLED");
        let health: Value = app
            .get(&format!("/v23.0/{id}?fields=health_status"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            health["health_status"]["can_send_message"], "LIMITED",
            "{health}"
        );
        // …then, as the endpoint keeps failing, blocked.
        complete().await;
        assert_eq!(status().await, "BLOCKED");

        // A blocked flow is neither opened (the endpoint is not called) nor sent.
        let calls = endpoint.state.signed.load(Ordering::SeqCst);
        assert!(complete().await.contains("BLOCKED"));
        assert_eq!(endpoint.state.signed.load(Ordering::SeqCst), calls);
        let mut resend = message.clone();
        resend["messaging_product"] = json!("whatsapp");
        let res = app
            .post_json(&format!("/v23.0/{}/messages", app.phone_number_id), &resend)
            .await;
        assert_eq!(res.status(), 400, "{}", app.backend);
        assert!(res.text().await.unwrap().contains("BLOCKED"));

        // The webhook, as Meta sends it: the publish, the alert, and each step.
        app.app.drain().await.unwrap();
        let got = flow_changes(&receiver, 4).await;
        assert_eq!(got.len(), 4, "{got:?}");
        let events: Vec<_> = got
            .iter()
            .map(|v| {
                assert_eq!(v["flow_id"], id.as_str(), "{v}");
                v["event"].as_str().unwrap()
            })
            .collect();
        assert_eq!(
            events,
            [
                "FLOW_STATUS_CHANGE",
                "ENDPOINT_ERROR_RATE",
                "FLOW_STATUS_CHANGE",
                "FLOW_STATUS_CHANGE"
            ],
            "{got:?}"
        );
        let alert = &got[1];
        assert_eq!(alert["alert_state"], "ACTIVATED", "{alert}");
        assert_eq!(alert["threshold"], 50);
        assert_eq!(alert["error_rate"], 80.0);
        assert_eq!(
            alert["errors"],
            json!([{"error_type": "UNEXPECTED_HTTP_STATUS_CODE", "error_rate": 100.0,
                    "error_count": 4}])
        );
        assert!(
            alert["message"]
                .as_str()
                .unwrap()
                .contains("50% threshold in the last 30 minutes"),
            "{alert}"
        );
        let steps: Vec<_> = got[2..]
            .iter()
            .map(|v| {
                (
                    v["old_status"].as_str().unwrap(),
                    v["new_status"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            steps,
            [("PUBLISHED", "THROTTLED"), ("THROTTLED", "BLOCKED")]
        );
    }
}
