//! A channel's flows wherever they are held. A sandbox channel's WABA is wagate's, so its
//! flows are the flows service's ([`App::list_flows`] and the rest). A cloud channel's WABA
//! is Meta's: Meta holds its flows, their Flow JSON and their lifecycle, so each call goes to
//! Meta's Flows API with the channel's token (the calls the Cloud plane passes on for such a
//! WABA) and Meta's answer comes back as it came ([`Answered::Meta`]), for the surface to
//! read in its own shapes. The dialects manage flows through these, so a provider's flow API
//! works the same on either kind of channel.
//!
//! A flow named by its id is looked for in the channel's WABA only: a flow of another WABA
//! (or of another account) is "not found" for a sandbox channel, and Meta's own "does not
//! exist" for a cloud channel.

use std::time::Duration;

use serde_json::{Value, json};
use wagate_core::channel::{Channel, Upstream};
use wagate_core::error::ErrorCode;
use wagate_core::flow::{Flow, FlowId, FlowMetadataEdit, MAX_FLOW_JSON_BYTES};
use wagate_store::{Entity, Page, StoreError};

use super::NewFlow;
use crate::channels::encryption::Answered;
use crate::error::{Error, Result};
use crate::upstream::proxy::ProxyCall;
use crate::{App, Principal};

/// The fields of a flow read from Meta (`GET /{flow_id}`).
pub const META_FLOW_FIELDS: &str = "id,name,categories,preview.invalidate(false),status,\
    validation_errors,json_version,data_api_version,endpoint_uri,whatsapp_business_account,\
    application";

/// The fields of each flow in Meta's list (`GET /{waba_id}/flows`).
pub const META_LIST_FIELDS: &str = "id,name,categories,status,validation_errors";

/// How long Meta's download of a Flow JSON may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// A page of Meta's list: Graph's `limit` and opaque cursors, passed on as they came.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphPage {
    pub limit: u32,
    pub after: Option<String>,
    pub before: Option<String>,
}

/// A step of a flow's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowStep {
    /// Publish a draft.
    Publish,
    /// Deprecate a published flow.
    Deprecate,
    /// Delete a draft.
    Delete,
}

fn is_cloud(channel: &Channel) -> bool {
    matches!(channel.upstream, Upstream::Cloud(_))
}

fn not_found() -> Error {
    Error::Store(StoreError::NotFound(Entity::Flow))
}

/// A multipart body of Meta's asset upload: the Flow JSON as `file`, its `name` and
/// `asset_type`. The boundary is one the JSON text cannot hold (it is checked).
fn asset_upload(text: &str) -> (String, Vec<u8>) {
    let mut boundary = format!("wagate-flow-json-{}", uuid::Uuid::new_v4().simple());
    while text.contains(&boundary) {
        boundary = format!("wagate-flow-json-{}", uuid::Uuid::new_v4().simple());
    }
    let mut body = String::new();
    for (name, value) in [("name", "flow.json"), ("asset_type", "FLOW_JSON")] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"flow.json\"\r\n\
         Content-Type: application/json\r\n\r\n{text}\r\n--{boundary}--\r\n"
    ));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

impl App {
    /// The flow `id` if it is one of the caller's on `channel`'s WABA (sandbox channels).
    async fn own_flow(&self, p: &Principal, channel: &Channel, id: &FlowId) -> Result<Flow> {
        let flow = self.get_flow(p, id).await?;
        if flow.waba_id != channel.waba_id {
            return Err(not_found());
        }
        Ok(flow)
    }

    /// The flows of `channel`'s WABA: all of wagate's in id order (the caller pages them),
    /// or Meta's page `page` of them.
    pub async fn channel_flows(
        &self,
        p: &Principal,
        channel: &Channel,
        page: &GraphPage,
    ) -> Result<Answered<Vec<Flow>>> {
        let limit = page.limit.to_string();
        let meta = self
            .meta_answer(channel, || {
                let mut pairs = vec![("fields", META_LIST_FIELDS), ("limit", limit.as_str())];
                if let Some(a) = page.after.as_deref() {
                    pairs.push(("after", a));
                }
                if let Some(b) = page.before.as_deref() {
                    pairs.push(("before", b));
                }
                ProxyCall::json(
                    reqwest::Method::GET,
                    format!("{}/flows", channel.waba_id),
                    &pairs,
                    None,
                )
            })
            .await?;
        Ok(match meta {
            Some(answer) => Answered::Meta(answer),
            None => Answered::Wagate(self.list_flows(p, &channel.waba_id, &Page::all()).await?),
        })
    }

    /// Creates a flow on `channel`'s WABA (see [`App::create_flow`]); for a cloud channel,
    /// Meta's `POST /{waba_id}/flows` (a clone is of one of Meta's flows).
    pub async fn create_channel_flow(
        &self,
        p: &Principal,
        channel: &Channel,
        cmd: NewFlow,
    ) -> Result<Answered<Flow>> {
        if !is_cloud(channel) {
            return Ok(Answered::Wagate(
                self.create_flow(p, &channel.waba_id, cmd).await?,
            ));
        }
        p.require_account_wide()?;
        let categories: Vec<&str> = cmd
            .categories
            .as_slice()
            .iter()
            .map(|c| c.as_str())
            .collect();
        let mut body = json!({"name": cmd.name.as_str(), "categories": categories});
        if let Some(e) = &cmd.endpoint_uri {
            body["endpoint_uri"] = json!(e.as_str());
        }
        if let Some(c) = &cmd.clone_flow_id {
            body["clone_flow_id"] = json!(c.as_str());
        }
        if let Some(text) = &cmd.flow_json {
            body["flow_json"] = json!(text);
        }
        if cmd.publish {
            body["publish"] = json!(true);
        }
        let answer = self
            .forward_to_meta(
                channel,
                ProxyCall::json(
                    reqwest::Method::POST,
                    format!("{}/flows", channel.waba_id),
                    &[],
                    Some(&body),
                ),
            )
            .await?;
        if answer.is_success() {
            tracing::info!(channel_id = %channel.id, "flow created at Meta");
        }
        Ok(Answered::Meta(answer))
    }

    /// The flow `id` of `channel`'s WABA; Meta's `GET /{flow_id}` with
    /// [`META_FLOW_FIELDS`] for a cloud channel.
    pub async fn channel_flow(
        &self,
        p: &Principal,
        channel: &Channel,
        id: &FlowId,
    ) -> Result<Answered<Flow>> {
        let meta = self
            .meta_answer(channel, || {
                ProxyCall::json(
                    reqwest::Method::GET,
                    id.as_str(),
                    &[("fields", META_FLOW_FIELDS)],
                    None,
                )
            })
            .await?;
        Ok(match meta {
            Some(answer) => Answered::Meta(answer),
            None => Answered::Wagate(self.own_flow(p, channel, id).await?),
        })
    }

    /// The Flow JSON document of the flow `id` of `channel`'s WABA; for a cloud channel,
    /// the `FLOW_JSON` asset Meta lists (`GET /{flow_id}/assets`), downloaded. `None` when
    /// Meta has none. Meta's refusal comes back as [`Answered::Meta`].
    pub async fn channel_flow_document(
        &self,
        p: &Principal,
        channel: &Channel,
        id: &FlowId,
    ) -> Result<Answered<Option<Value>>> {
        let Some(answer) = self
            .meta_answer(channel, || {
                ProxyCall::json(reqwest::Method::GET, format!("{id}/assets"), &[], None)
            })
            .await?
        else {
            let flow = self.own_flow(p, channel, id).await?;
            return Ok(Answered::Wagate(Some(flow.json.document())));
        };
        if !answer.is_success() {
            return Ok(Answered::Meta(answer));
        }
        let listed = answer.json();
        let Some(url) = listed
            .get("data")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|a| a.get("asset_type").and_then(Value::as_str) == Some("FLOW_JSON"))
            .and_then(|a| a.get("download_url"))
            .and_then(Value::as_str)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        else {
            return Ok(Answered::Wagate(None));
        };
        let unreadable = || {
            Error::Failed(
                ErrorCode::NotReady,
                "Meta's Flow JSON could not be downloaded; try again".to_owned(),
            )
        };
        let res = self
            .http
            .get(url)
            .timeout(DOWNLOAD_TIMEOUT)
            .send()
            .await
            .map_err(|_| unreadable())?;
        if !res.status().is_success()
            || res
                .content_length()
                .is_some_and(|n| n > MAX_FLOW_JSON_BYTES as u64)
        {
            return Err(unreadable());
        }
        let bytes = res.bytes().await.map_err(|_| unreadable())?;
        if bytes.len() > MAX_FLOW_JSON_BYTES {
            return Err(unreadable());
        }
        Ok(Answered::Wagate(serde_json::from_slice(&bytes).ok()))
    }

    /// Updates the name, categories or endpoint of the flow `id` of `channel`'s WABA (see
    /// [`App::update_flow_metadata`]); Meta's `POST /{flow_id}` for a cloud channel.
    pub async fn update_channel_flow_metadata(
        &self,
        p: &Principal,
        channel: &Channel,
        id: &FlowId,
        edit: FlowMetadataEdit,
    ) -> Result<Answered<Flow>> {
        if !is_cloud(channel) {
            self.own_flow(p, channel, id).await?;
            return Ok(Answered::Wagate(
                self.update_flow_metadata(p, id, edit).await?,
            ));
        }
        p.require_account_wide()?;
        let mut body = json!({});
        if let Some(n) = &edit.name {
            body["name"] = json!(n.as_str());
        }
        if let Some(c) = &edit.categories {
            let c: Vec<&str> = c.as_slice().iter().map(|c| c.as_str()).collect();
            body["categories"] = json!(c);
        }
        if let Some(e) = &edit.endpoint_uri {
            body["endpoint_uri"] = json!(e.as_str());
        }
        let call = ProxyCall::json(reqwest::Method::POST, id.as_str(), &[], Some(&body));
        Ok(Answered::Meta(self.forward_to_meta(channel, call).await?))
    }

    /// Replaces the Flow JSON of the flow `id` of `channel`'s WABA (see
    /// [`App::upload_flow_json`]); Meta's `POST /{flow_id}/assets` for a cloud channel,
    /// whose answer carries Meta's `validation_errors`.
    pub async fn upload_channel_flow_json(
        &self,
        p: &Principal,
        channel: &Channel,
        id: &FlowId,
        text: String,
    ) -> Result<Answered<Flow>> {
        if !is_cloud(channel) {
            self.own_flow(p, channel, id).await?;
            return Ok(Answered::Wagate(self.upload_flow_json(p, id, text).await?));
        }
        p.require_account_wide()?;
        let (content_type, body) = asset_upload(&text);
        let call = ProxyCall {
            method: reqwest::Method::POST,
            version: None,
            path: format!("{id}/assets"),
            query: None,
            content_type: Some(content_type),
            body,
        };
        Ok(Answered::Meta(self.forward_to_meta(channel, call).await?))
    }

    /// Publishes, deprecates or deletes the flow `id` of `channel`'s WABA (Meta's lifecycle
    /// rules); Meta's `POST /{flow_id}/publish`, `…/deprecate` or `DELETE /{flow_id}` for a
    /// cloud channel.
    pub async fn channel_flow_step(
        &self,
        p: &Principal,
        channel: &Channel,
        id: &FlowId,
        step: FlowStep,
    ) -> Result<Answered<()>> {
        if !is_cloud(channel) {
            self.own_flow(p, channel, id).await?;
            match step {
                FlowStep::Publish => {
                    self.publish_flow(p, id).await?;
                }
                FlowStep::Deprecate => {
                    self.deprecate_flow(p, id).await?;
                }
                FlowStep::Delete => self.delete_flow(p, id).await?,
            }
            return Ok(Answered::Wagate(()));
        }
        p.require_account_wide()?;
        let call = match step {
            FlowStep::Publish => {
                ProxyCall::json(reqwest::Method::POST, format!("{id}/publish"), &[], None)
            }
            FlowStep::Deprecate => {
                ProxyCall::json(reqwest::Method::POST, format!("{id}/deprecate"), &[], None)
            }
            FlowStep::Delete => ProxyCall::json(reqwest::Method::DELETE, id.as_str(), &[], None),
        };
        Ok(Answered::Meta(self.forward_to_meta(channel, call).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::asset_upload;

    #[test]
    fn the_asset_upload_is_a_multipart_body_with_the_json_as_file() {
        let (ct, body) = asset_upload(r#"{"version":"7.0","screens":[]}"#);
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
        let body = String::from_utf8(body).unwrap();
        assert!(body.starts_with(&format!("--{boundary}\r\n")));
        assert!(body.ends_with(&format!("--{boundary}--\r\n")));
        assert!(body.contains("name=\"asset_type\"\r\n\r\nFLOW_JSON\r\n"));
        assert!(body.contains("filename=\"flow.json\""));
        assert!(body.contains("\r\n\r\n{\"version\":\"7.0\",\"screens\":[]}\r\n"));
    }
}
