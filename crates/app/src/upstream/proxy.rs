//! Graph calls that Meta answers for cloud channels.
//!
//! # Model
//! For a cloud channel, Meta owns the number and its WABA: templates and their review, the
//! number's registration, settings, profile, QR codes, quality. So a Cloud API call about
//! a cloud channel's phone number id or WABA id is passed to Meta as it is, with the
//! channel's token, and Meta's answer (status and body, Graph errors included) comes back
//! unchanged. What wagate does itself for every channel stays wagate's: sending
//! (`/messages`, with its outbox, pacing and log) and media (`/media`, `/uploads`, media
//! ids), which it carries to Meta at send time.
//!
//! The caller authenticates with a wagate API key that may use the channel; the Meta token
//! never leaves wagate.
//!
//! A call naming an object by its id alone (`/{template_id}`) does not say whose it is.
//! wagate answers it first; if wagate does not know the object and the caller may use cloud
//! channels, it is passed to Meta for each of their WABAs in turn (one token each) until
//! one knows it. Meta answers an object a token cannot see as it answers an unknown one
//! (code 100, subcode 33), so the first other answer is the owner's. If Meta cannot be
//! reached, wagate's own "unknown object" stands.

use std::time::Duration;

use wagate_core::channel::{Channel, Upstream};
use wagate_core::error::ErrorCode;
use wagate_core::ids::{PhoneNumberId, WabaId};
use wagate_store::StoreError;

use crate::error::{Error, Result};
use crate::{App, Principal};

/// How long Meta may take to answer a passed-on call.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A call to pass on.
#[derive(Debug, Clone)]
pub struct ProxyCall {
    pub method: reqwest::Method,
    /// The Graph version the caller used (`v23.0`), if any; else the channel's.
    pub version: Option<String>,
    /// The path after the version, without the leading `/` (`<waba>/message_templates`).
    pub path: String,
    /// The query string, without `access_token` (wagate's key, not Meta's).
    pub query: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Meta's answer, as it came.
#[derive(Debug, Clone)]
pub struct ProxyAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl App {
    /// The cloud channel whose phone number id or WABA id is `object`, if the caller may
    /// use it. `None` for anything else (wagate answers it).
    pub async fn cloud_object(&self, p: &Principal, object: &str) -> Result<Option<Channel>> {
        if object.is_empty() || object.len() > 20 || !object.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        if let Ok(pnid) = PhoneNumberId::parse(object) {
            match self.channel_by_phone_number_id(p, &pnid).await {
                Ok(c) => return Ok(matches!(c.upstream, Upstream::Cloud(_)).then_some(c)),
                Err(Error::Store(StoreError::NotFound(_))) => {}
                Err(e) => return Err(e),
            }
        }
        let Ok(waba) = WabaId::parse(object) else {
            return Ok(None);
        };
        Ok(self
            .usable_cloud_channels(p)
            .await?
            .into_iter()
            .find(|c| c.waba_id == waba))
    }

    /// The cloud channels the caller may use, one per WABA: where an object wagate does not
    /// know may live (see the module docs).
    pub async fn cloud_wabas(&self, p: &Principal) -> Result<Vec<Channel>> {
        let mut out: Vec<Channel> = Vec::new();
        for c in self.usable_cloud_channels(p).await? {
            if !out.iter().any(|o| o.waba_id == c.waba_id) {
                out.push(c);
            }
        }
        Ok(out)
    }

    async fn usable_cloud_channels(&self, p: &Principal) -> Result<Vec<Channel>> {
        let cloud = match self.cloud_channels.get(&()) {
            Some(c) => c,
            None => {
                let c = self.store.cloud_channels().await?;
                self.cloud_channels.put((), c.clone());
                c
            }
        };
        Ok(cloud
            .into_iter()
            .filter(|c| c.account_id == p.account_id && p.can_use(c.id))
            .collect())
    }

    /// Passes `call` to Meta for `channel` (a cloud channel) and returns Meta's answer.
    pub async fn forward_to_meta(&self, channel: &Channel, call: ProxyCall) -> Result<ProxyAnswer> {
        let Upstream::Cloud(settings) = &channel.upstream else {
            return Err(Error::Forbidden("not a cloud channel"));
        };
        let version = call.version.as_deref().unwrap_or(&settings.api_version);
        let mut url = format!("{}/{}/{}", settings.base_url, version, call.path);
        if let Some(q) = call.query.as_deref().filter(|q| !q.is_empty()) {
            url.push('?');
            url.push_str(q);
        }
        let mut req = self
            .http
            .request(call.method, url)
            .bearer_auth(settings.access_token.expose())
            .timeout(TIMEOUT);
        if let Some(ct) = &call.content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        if !call.body.is_empty() {
            req = req.body(call.body);
        }
        let res = req.send().await.map_err(|e| {
            Error::Failed(
                ErrorCode::NotReady,
                if e.is_timeout() {
                    "Meta's Graph API did not answer in time; try again".to_owned()
                } else {
                    "Meta's Graph API could not be reached; try again".to_owned()
                },
            )
        })?;
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = res
            .bytes()
            .await
            .map_err(|_| {
                Error::Failed(
                    ErrorCode::NotReady,
                    "Meta's answer was cut off; try again".to_owned(),
                )
            })?
            .to_vec();
        metrics::counter!("wagate_upstream_proxied_total", "status" => status_class(status))
            .increment(1);
        Ok(ProxyAnswer {
            status,
            content_type,
            body,
        })
    }
}

impl ProxyCall {
    /// A call on `path` (no leading `/`) at the channel's Graph version, with the query of
    /// `pairs` (encoded) and a JSON body if any.
    pub fn json(
        method: reqwest::Method,
        path: impl Into<String>,
        pairs: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Self {
        let query = (!pairs.is_empty())
            .then(|| {
                reqwest::Url::parse_with_params("q:", pairs)
                    .ok()
                    .and_then(|u| u.query().map(str::to_owned))
            })
            .flatten();
        ProxyCall {
            method,
            version: None,
            path: path.into(),
            query,
            content_type: body.map(|_| "application/json".to_owned()),
            body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        }
    }
}

impl ProxyAnswer {
    /// Whether Meta answered with a 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON (`null` when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

impl App {
    /// Meta's answer to `call` for a cloud channel; `None` for a sandbox channel, whose WABA
    /// is wagate's (the caller answers from wagate's records). Where a service decides
    /// "sandbox: ours, cloud: Meta's".
    pub async fn meta_answer(
        &self,
        channel: &Channel,
        call: impl FnOnce() -> ProxyCall,
    ) -> Result<Option<ProxyAnswer>> {
        if !matches!(channel.upstream, Upstream::Cloud(_)) {
            return Ok(None);
        }
        self.forward_to_meta(channel, call()).await.map(Some)
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "2xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}
