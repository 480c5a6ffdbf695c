//! Helpers for driving the simulated network over HTTP: configure a sandbox channel, inject
//! a user's message, send, and wait for a message to reach a state.

use std::time::Duration;

use serde_json::{Value, json};

use wagate_app::templates::TemplatesConfig;
use wagate_app::templates::review::TemplateReviewer;

use crate::helpers::{TestApp, eventually};

impl TestApp {
    /// The first channel's id (the sandbox channel first start created).
    pub async fn channel_id(&self) -> String {
        let list: Value = self.get("/api/v1/channels").await.json().await.unwrap();
        list["data"][0]["id"].as_str().unwrap().to_owned()
    }

    /// Replaces the sandbox settings of the first channel (fast delays unless given).
    pub async fn configure_sandbox(&self, settings: Value) {
        let mut s = json!({"delivery_delay_ms": 20, "read_delay_ms": 20, "reply_delay_ms": 20});
        for (k, v) in settings.as_object().unwrap() {
            s[k] = v.clone();
        }
        let id = self.channel_id().await;
        let res = self
            .patch_json(
                &format!("/api/v1/channels/{id}"),
                &json!({"upstream": {"kind": "sandbox", "sandbox": s}}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }

    /// A virtual user sends `message` (an inbound message object) to the first channel.
    pub async fn inject(&self, message: Value) -> Value {
        let res = self
            .post_json(
                &format!("/sandbox/{}/inbound", self.phone_number_id),
                &message,
            )
            .await;
        assert_eq!(res.status(), 201, "inject");
        res.json().await.unwrap()
    }

    /// Sends on the Cloud plane; returns the wamid.
    pub async fn send(&self, body: Value) -> String {
        let mut body = body;
        body["messaging_product"] = json!("whatsapp");
        let res = self
            .post_json(&format!("/v23.0/{}/messages", self.phone_number_id), &body)
            .await;
        let status = res.status();
        let answer: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "send {body}: {answer}");
        answer["messages"][0]["id"].as_str().unwrap().to_owned()
    }

    pub async fn message(&self, id: &str) -> Value {
        self.get(&format!("/api/v1/messages/{id}"))
            .await
            .json()
            .await
            .unwrap()
    }

    /// Polls the message until its status is one of `statuses` (10 s at most). For flows
    /// that cross servers (a cloud channel and the server playing Meta), where no one
    /// server's drain reaches the end.
    pub async fn wait_status(&self, id: &str, statuses: &[&str]) -> Value {
        let what = format!("{id} reaching {statuses:?}");
        eventually(&what, Duration::from_secs(10), || async {
            let m = self.message(id).await;
            if statuses.contains(&m["status"].as_str().unwrap_or_default()) {
                Ok(m)
            } else {
                Err(m)
            }
        })
        .await
    }

    /// Creates a template on the first channel's WABA from Meta's create `body` and has the
    /// sandbox approve it at once; returns its id.
    pub async fn approved_template(&self, body: Value) -> String {
        let list: Value = self.get("/api/v1/channels").await.json().await.unwrap();
        let waba = list["data"][0]["waba_id"].as_str().unwrap().to_owned();
        let res = self
            .post_json(&format!("/v23.0/{waba}/message_templates"), &body)
            .await;
        let status = res.status();
        let created: Value = res.json().await.unwrap();
        assert_eq!(status, 200, "create {body}: {created}");
        let approve = TemplatesConfig {
            approve_all: true,
            review_delay_ms: 0,
            ..TemplatesConfig::default()
        };
        TemplateReviewer::new(self.app.store().clone(), approve)
            .run_once(wagate_core::Timestamp::now())
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        let t: Value = self
            .get(&format!("/v23.0/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(t["status"], "APPROVED", "{t}");
        id
    }

    /// An approved UTILITY template `name` in `language` with a body and no variables.
    pub async fn simple_template(&self, name: &str, language: &str) -> String {
        self.approved_template(
            json!({"name": name, "language": language, "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Your account was updated as you asked."}]}),
        )
        .await
    }

    /// The account's messages matching `query` (a query string without `?`).
    pub async fn messages(&self, query: &str) -> Vec<Value> {
        let list: Value = self
            .get(&format!("/api/v1/messages?limit=100&{query}"))
            .await
            .json()
            .await
            .unwrap();
        list["data"].as_array().unwrap().clone()
    }

    /// Polls until `query` lists at least `n` messages (10 s at most).
    pub async fn wait_messages(&self, query: &str, n: usize) -> Vec<Value> {
        let what = format!("{n} messages for {query}");
        eventually(&what, Duration::from_secs(10), || async {
            let list = self.messages(query).await;
            if list.len() >= n {
                Ok(list)
            } else {
                Err(json!(list))
            }
        })
        .await
    }
}
