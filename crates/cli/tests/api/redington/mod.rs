//! The Redington Project API dialect (seed 000) at `/compat/redington`, over real HTTP on
//! SQLite and PostgreSQL: the seed's documented request examples sent verbatim (with the
//! document's JSON typos repaired, as `shared/reference/seeds.md` lists), their answers
//! snapshotted (ids and times redacted by [`shape`]), and their effect checked in wagate.
//!
//! One file per part of the seed; this file holds what they share: a project (the first
//! channel, with a key limited to it as the project password) and the error check.

mod campaigns;
mod contacts;
mod messages;
pub mod templates;
mod webhooks;

use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Map, Value, json};

use crate::helpers::TestApp;

/// A project: the first channel and a key limited to it.
pub struct Project<'a> {
    pub app: &'a TestApp,
    /// The channel's id: the `{project_id}` of the paths.
    pub id: String,
    /// The `X-Project-API-Pwd`.
    pub key: String,
}

impl<'a> Project<'a> {
    /// The first channel as a project, with a new key limited to it.
    pub async fn of(app: &'a TestApp) -> Project<'a> {
        let id = app.channel_id().await;
        Self::for_channel(app, id).await
    }

    /// Channel `id` as a project, with a new key limited to it.
    pub async fn for_channel(app: &'a TestApp, id: String) -> Project<'a> {
        let res = app
            .post_json(
                "/api/v1/api-keys",
                &json!({"name": "project password", "channel_ids": [id]}),
            )
            .await;
        let status = res.status();
        let key: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "{key}");
        Project {
            app,
            id,
            key: key["key"].as_str().unwrap().to_owned(),
        }
    }

    /// The URL of `path` (from `/media`, `/messages`…) under the project.
    pub fn url(&self, path: &str) -> String {
        self.app.url(&format!(
            "/compat/redington/project-apis/v1/project/{}{path}",
            self.id
        ))
    }

    /// A request to `path` with the project password.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.app
            .client
            .request(method, self.url(path))
            .header("X-Project-API-Pwd", &self.key)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.req(Method::POST, path)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// POSTs `body` and expects 200: the answer.
    pub async fn ok(&self, path: &str, body: &Value) -> Value {
        let res = self.post(path, body).await;
        let status = res.status();
        let answer: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "POST {path} {body}: {answer}");
        answer
    }
}

/// Asserts the Project API's error body: the HTTP status, the seed's `code`, and the field
/// at fault (when given). Returns the body.
pub async fn assert_error(res: Response, status: u16, code: u16, field: Option<&str>) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    assert_eq!(body["status"], "failure", "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    if let Some(field) = field {
        assert_eq!(body["field"], field, "{body}");
    }
    body
}

/// `v` with what differs per run replaced, for snapshots: UUIDs, wamids, Graph ids and
/// epoch-millisecond times and ISO times become placeholders; everything else (field
/// names, types, nesting, fixed values) stays.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), shape_field(k, v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(shape).collect()),
        other => other.clone(),
    }
}

fn shape_field(key: &str, v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("wamid.") => json!("[wamid]"),
        Value::String(s) if uuid::Uuid::parse_str(s).is_ok() => json!("[uuid]"),
        Value::String(s) if key.ends_with("_at") || key.ends_with("At") => json!("[time]"),
        Value::String(s)
            if (key == "id" || key.ends_with("_id") || key.ends_with("Id"))
                && !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            json!("[graph id]")
        }
        Value::Number(n)
            if (key.ends_with("_at") || key.ends_with("At"))
                && n.as_i64().is_some_and(|t| t > 1_000_000_000_000) =>
        {
            json!("[epoch ms]")
        }
        other => shape(other),
    }
}
