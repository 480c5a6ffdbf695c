//! Signing in and out over real HTTP: the cookie's flags, the sign-in form's token, the
//! session guard (pages, htmx), CSRF on every change, a revoked key, the front page and the
//! assets. `Session` is how the other console tests act as a signed-in person.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_apps};

/// A client that does not follow redirects (the tests read them).
pub fn client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

/// A signed-in person: the session cookie and the CSRF token the pages carry.
pub struct Session {
    pub base_url: String,
    pub cookie: String,
    pub csrf: String,
    client: Client,
}

/// `name=value` of the `Set-Cookie` header setting cookie `name`.
pub fn set_cookie(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of `name="…"`'s `value` attribute in a page (the first hidden input by that name).
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let rest = &html[at..];
    let v = rest.find("value=\"")? + 7;
    let end = rest[v..].find('"')?;
    Some(rest[v..v + end].to_owned())
}

/// Signs in with `key` the way a browser does; panics unless it works.
pub async fn sign_in(app: &TestApp, key: &str) -> Session {
    let client = client();
    let form = client
        .get(app.url("/console/sign-in"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let token_cookie = set_cookie(&form, "wagate_console_signin").expect("sign-in token cookie");
    let pair = token_cookie.split(';').next().unwrap().to_owned();
    let html = form.text().await.unwrap();
    let token = input_value(&html, "csrf").expect("the form's token");
    let res = client
        .post(app.url("/console/sign-in"))
        .header(COOKIE, pair)
        .form(&[("api_key", key), ("csrf", &token), ("next", "/console")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "sign-in answers a redirect");
    let cookie = set_cookie(&res, "wagate_console").expect("session cookie");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let page = client
        .get(app.url("/console"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let csrf = html
        .split("\"X-CSRF-Token\": \"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the page's CSRF token")
        .to_owned();
    Session {
        base_url: app.base_url.clone(),
        cookie,
        csrf,
        client,
    }
}

impl Session {
    /// A request with the session's cookie (no CSRF token).
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base_url))
            .header(COOKIE, &self.cookie)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.unwrap()
    }

    /// A page's HTML, asserting it answers 200.
    pub async fn page(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.text().await.unwrap()
    }

    /// A form post with the session's CSRF token in the form (as a plain HTML form sends).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut fields = fields.to_vec();
        fields.push(("csrf", &self.csrf));
        self.req(Method::POST, path)
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    /// An htmx request: the CSRF token in `X-CSRF-Token`, `HX-Request: true`.
    pub fn htmx(&self, method: Method, path: &str) -> RequestBuilder {
        self.req(method, path)
            .header("X-CSRF-Token", &self.csrf)
            .header("HX-Request", "true")
    }
}

#[tokio::test]
async fn sign_in_opens_a_strict_session_that_sign_out_ends() {
    for app in spawn_apps().await {
        let c = client();
        // Not signed in: to the sign-in form, coming back after.
        let res = c.get(app.url("/console/inbox?x=1")).send().await.unwrap();
        assert_eq!(res.status(), 303, "{}", app.backend);
        assert_eq!(
            res.headers()[LOCATION],
            "/console/sign-in?next=%2Fconsole%2Finbox%3Fx%3D1"
        );

        // The form's token must come with its cookie: a post without it is refused.
        let res = c
            .post(app.url("/console/sign-in"))
            .form(&[("api_key", app.api_key.as_str()), ("csrf", "guess")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        assert!(set_cookie(&res, "wagate_console").is_none());

        // A wrong key: 401 and the form again, no session.
        let form = c.get(app.url("/console/sign-in")).send().await.unwrap();
        let pair = set_cookie(&form, "wagate_console_signin").unwrap();
        assert!(pair.contains("HttpOnly") && pair.contains("SameSite=Strict"));
        let pair = pair.split(';').next().unwrap().to_owned();
        let token = input_value(&form.text().await.unwrap(), "csrf").unwrap();
        let res = c
            .post(app.url("/console/sign-in"))
            .header(COOKIE, &pair)
            .form(&[("api_key", "wag_wrong"), ("csrf", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert!(set_cookie(&res, "wagate_console").is_none());
        assert!(res.text().await.unwrap().contains("not valid"));

        // The right key: a session cookie, HttpOnly, SameSite=Strict, the console's path,
        // not Secure over plain HTTP; `next` never leaves the console.
        let res = c
            .post(app.url("/console/sign-in"))
            .header(COOKIE, &pair)
            .form(&[
                ("api_key", app.api_key.as_str()),
                ("csrf", &token),
                ("next", "//evil.example/console"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()[LOCATION], "/console");
        let cookie = set_cookie(&res, "wagate_console").unwrap();
        for flag in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/console",
            "Max-Age=43200",
        ] {
            assert!(cookie.contains(flag), "{flag} in {cookie}");
        }
        assert!(!cookie.contains("Secure"));

        let s = sign_in(&app, &app.api_key).await;
        assert!(s.page("/console").await.contains("Overview"));
        let res = s.get("/console/no-such-page").await;
        assert_eq!(res.status(), 404);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("no such page in the console")
        );

        // Changes need the CSRF token: none, a wrong one in the header or the form → 403,
        // and the session is untouched.
        let res = s
            .req(Method::POST, "/console/sign-out")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        let res = s
            .req(Method::POST, "/console/sign-out")
            .header("X-CSRF-Token", "forged")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        assert!(res.text().await.unwrap().contains("CSRF"));
        let res = s
            .req(Method::POST, "/console/sign-out")
            .form(&[("csrf", "forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        assert_eq!(s.get("/console").await.status(), 200);

        // Signing out with the token ends the session: the cookie is cleared and the old
        // one no longer works.
        let res = s.post_form("/console/sign-out", &[]).await;
        assert_eq!(res.status(), 303);
        assert!(
            set_cookie(&res, "wagate_console")
                .unwrap()
                .contains("Max-Age=0")
        );
        assert_eq!(s.get("/console").await.status(), 303);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_revoked_key_ends_its_sessions_and_htmx_is_sent_to_sign_in() {
    let app = spawn_app().await;
    let res = app
        .post_json("/api/v1/api-keys", &json!({"name": "agent"}))
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let s = sign_in(&app, created["key"].as_str().unwrap()).await;
    assert_eq!(s.get("/console").await.status(), 200);

    let id = created["id"].as_str().unwrap();
    let res = app
        .req(Method::DELETE, &format!("/api/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "revoke: {}", res.status());
    assert_eq!(s.get("/console").await.status(), 303);

    // An htmx request without a session: 401 and where to go.
    let res = s.htmx(Method::GET, "/console").send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["HX-Redirect"]
            .to_str()
            .unwrap()
            .starts_with("/console/sign-in?next=")
    );
    app.stop().await;
}

#[tokio::test]
async fn behind_https_the_cookie_is_secure() {
    let app = spawn_app().await;
    let c = client();
    let form = c
        .get(app.url("/console/sign-in"))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    let pair = set_cookie(&form, "wagate_console_signin").unwrap();
    assert!(pair.contains("; Secure"));
    let pair = pair.split(';').next().unwrap().to_owned();
    let token = input_value(&form.text().await.unwrap(), "csrf").unwrap();
    let res = c
        .post(app.url("/console/sign-in"))
        .header("X-Forwarded-Proto", "https")
        .header(COOKIE, pair)
        .form(&[("api_key", app.api_key.as_str()), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        set_cookie(&res, "wagate_console")
            .unwrap()
            .contains("; Secure")
    );
    app.stop().await;
}

#[tokio::test]
async fn the_front_page_and_the_assets_are_served_by_wagate() {
    let app = spawn_app().await;
    let c = client();
    let res = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("href=\"/console\"") && html.contains("href=\"/docs\""));

    let res = c
        .get(app.url("/console/assets/htmx.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(res.text().await.unwrap().contains("htmx"));
    let res = c
        .get(app.url("/console/assets/htmx.min.js"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let res = c
        .get(app.url("/console/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    app.stop().await;
}
