//! The WhatsApp HTTP API dialect (seed 002) at `/compat/httpapi`, over real HTTP on SQLite
//! and PostgreSQL. The seed has no request bodies, only URL templates: each test fills them
//! in (GET with everything in the query; POST with `token` in the query and the rest
//! urlencoded, or multipart for the local-file variants), snapshots the answer (ids, times
//! and `responsetime` redacted by [`shape`]) and checks the effect in wagate.

mod account;
mod reports;
mod sends;
mod webhooks;

use reqwest::multipart;
use serde_json::{Map, Value, json};

use crate::helpers::TestApp;

/// An instance: the first channel and a key limited to it (the instance token).
pub struct Instance<'a> {
    pub app: &'a TestApp,
    pub key: String,
}

impl<'a> Instance<'a> {
    pub async fn of(app: &'a TestApp) -> Instance<'a> {
        let id = app.channel_id().await;
        let res = app
            .post_json(
                "/api/v1/api-keys",
                &json!({"name": "instance token", "channel_ids": [id]}),
            )
            .await;
        let key: Value = res.json().await.unwrap();
        Instance {
            app,
            key: key["key"].as_str().unwrap().to_owned(),
        }
    }

    /// `…/api/{op}`.
    pub fn url(&self, op: &str) -> String {
        self.app.url(&format!("/compat/httpapi/api/{op}"))
    }

    /// GET with `params` in the query.
    pub async fn get(&self, op: &str, params: &[(&str, &str)]) -> (u16, Value) {
        answer(
            self.app
                .client
                .get(self.url(op))
                .query(&[("token", self.key.as_str())])
                .query(params)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// POST with `token` in the query and `params` as an urlencoded form.
    pub async fn post(&self, op: &str, params: &[(&str, &str)]) -> (u16, Value) {
        answer(
            self.app
                .client
                .post(self.url(op))
                .query(&[("token", self.key.as_str())])
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encode(params))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// POST multipart: `params` as text parts and `file` as the `file` part.
    pub async fn upload(
        &self,
        op: &str,
        params: &[(&str, &str)],
        file: (&str, &str, Vec<u8>),
    ) -> (u16, Value) {
        let mut form = multipart::Form::new();
        for (k, v) in params {
            form = form.text(k.to_string(), v.to_string());
        }
        let (name, mime, bytes) = file;
        form = form.part(
            "file",
            multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str(mime)
                .unwrap(),
        );
        answer(
            self.app
                .client
                .post(self.url(op))
                .query(&[("token", self.key.as_str())])
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// GET `op` and expects the seed's success envelope: its `data`.
    pub async fn ok(&self, op: &str, params: &[(&str, &str)]) -> Value {
        let (status, body) = self.get(op, params).await;
        assert_eq!(status, 200, "{op} {params:?}: {body}");
        assert_eq!(body["status"], "success", "{body}");
        assert_eq!(body["message"], "00-Success", "{body}");
        assert!(body["responsetime"].is_f64(), "{body}");
        body
    }
}

/// `params` urlencoded (a form body).
pub fn encode(params: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://form/").unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.query().unwrap_or_default().to_owned()
}

async fn answer(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, body)
}

/// Asserts the seed's error envelope: the HTTP status and the `message` (`NN-Text`).
pub fn assert_error(got: &(u16, Value), status: u16, message: &str) {
    let (s, body) = got;
    assert_eq!(*s, status, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["message"], message, "{body}");
    assert!(body["responsetime"].is_f64(), "{body}");
}

/// The ids a send answered (both spellings carry them).
pub fn sent_ids(body: &Value) -> Vec<String> {
    assert_eq!(body["data"]["connStatus"], true, "{body}");
    assert_eq!(body["data"]["messageIDs"], body["data"]["messageIds"]);
    body["data"]["messageIDs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// `v` with what differs per run replaced, for snapshots.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), shape_field(k, v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| shape_field("", v)).collect()),
        other => other.clone(),
    }
}

fn shape_field(key: &str, v: &Value) -> Value {
    match v {
        Value::Number(_) if key == "responsetime" => json!("[seconds]"),
        Value::String(s) if s.starts_with("wamid.") => json!("[wamid]"),
        Value::String(s) if uuid::Uuid::parse_str(s).is_ok() => json!("[uuid]"),
        Value::String(s)
            if (key.ends_with("At") || key.ends_with("Update") || key == "expired")
                && !s.is_empty() =>
        {
            json!("[time]")
        }
        other => shape(other),
    }
}
