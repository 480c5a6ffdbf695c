//! Stored WhatsApp Flows: one row per flow, owned by one WABA of one account, with its Flow
//! JSON text kept exactly as uploaded (validation errors name its lines and columns) and the
//! errors found in it. A flow's name is unique in its WABA.
//!
//! Writes that follow a lifecycle rule are guarded by the `updated_at` the caller read, so a
//! rule checked on a stale row never lands; a status change stores its `flows` webhook
//! events in the same transaction.
//!
//! Calls to a flow's endpoint are recorded with [`FlowStore::record_flow_call`], which
//! re-evaluates the flow's health (`wagate_core::flow::health::evaluate`, pure) in the same
//! transaction: the alert levels, a `THROTTLED` / `BLOCKED` status change, and the `flows`
//! webhook events of both.

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::flow::health::{EndpointCall, Evaluation};
use wagate_core::flow::{
    EndpointUri, Flow, FlowCategories, FlowId, FlowJson, FlowJsonError, FlowName, FlowStatus,
};
use wagate_core::ids::{AccountId, ChannelId, WabaId};
use wagate_core::webhook::WebhookEvent;

use crate::error::StoreError;
use crate::{Page, Result};

/// Flows (see [`flows`](self)). Another account's flow is `NotFound(Flow)`, like one that
/// does not exist. Part of [`Store`](crate::Store).
#[async_trait]
pub trait FlowStore: Send + Sync {
    /// Stores a new flow. `Conflict(FlowName)` when its WABA has a flow of that name,
    /// `Conflict(GeneratedId)` when its id is taken (the caller draws another).
    async fn create_flow(&self, flow: Flow) -> Result<Flow>;
    /// One of the account's flows.
    async fn get_flow(&self, account: AccountId, id: &FlowId) -> Result<Flow>;
    /// The account's flow of that name in that WABA, if any.
    async fn find_flow_by_name(
        &self,
        account: AccountId,
        waba: &WabaId,
        name: &FlowName,
    ) -> Result<Option<Flow>>;
    /// The WABA's flows in id order; `page.after` continues after that id.
    async fn list_flows(
        &self,
        account: AccountId,
        waba: &WabaId,
        page: &Page<FlowId>,
    ) -> Result<Vec<Flow>>;
    /// Writes `flow`'s mutable fields if it is still as last updated at `seen` (`None`:
    /// changed or deleted since), and stores `events` with it. `Conflict(FlowName)` on a
    /// rename to a taken name.
    async fn update_flow(
        &self,
        flow: Flow,
        seen: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Flow>>;
    /// Deletes the account's flow if it is still a draft last updated at `seen`; `false`
    /// when it changed meanwhile.
    async fn delete_flow(&self, account: AccountId, id: &FlowId, seen: Timestamp) -> Result<bool>;
    /// Raises the account's flow's `preview_epoch` by one (its preview URLs given so far stop
    /// working); the flow as it is now.
    async fn invalidate_flow_preview(&self, account: AccountId, id: &FlowId) -> Result<Flow>;
    /// Records `call` to the endpoint of the account's flow `id` and re-evaluates its health
    /// at `call.at` (calls older than the longest window are dropped): stores its alert
    /// levels, a status change, and the `flows` webhook events of both about `channel` (the
    /// phone number the call was made for). The evaluation, or `None` when the flow is gone.
    async fn record_flow_call(
        &self,
        account: AccountId,
        id: &FlowId,
        call: EndpointCall,
        channel: ChannelId,
    ) -> Result<Option<Evaluation>>;
}

/// The flow columns, in [`FlowRecord`] order.
#[macro_export]
macro_rules! flow_columns {
    () => {
        "id, account_id, waba_id, name, categories, status, endpoint_uri, flow_json, \
         validation_errors, created_at, updated_at, preview_epoch"
    };
}

/// A stored row, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlowRecord {
    pub id: String,
    pub account_id: uuid::Uuid,
    pub waba_id: String,
    pub name: String,
    pub categories: String,
    pub status: String,
    pub endpoint_uri: Option<String>,
    pub flow_json: String,
    pub validation_errors: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub preview_epoch: i64,
}

impl From<&Flow> for FlowRecord {
    fn from(f: &Flow) -> Self {
        Self {
            id: f.id.as_str().to_owned(),
            account_id: f.account_id.as_uuid(),
            waba_id: f.waba_id.as_str().to_owned(),
            name: f.name.as_str().to_owned(),
            categories: f.categories.to_stored(),
            status: f.status.as_str().to_owned(),
            endpoint_uri: f.endpoint_uri.as_ref().map(|u| u.as_str().to_owned()),
            flow_json: f.json.text().to_owned(),
            validation_errors: serde_json::to_string(f.json.errors())
                .unwrap_or_else(|_| "[]".to_owned()),
            created_at: f.created_at.as_millisecond(),
            updated_at: f.updated_at.as_millisecond(),
            preview_epoch: i64::from(f.preview_epoch),
        }
    }
}

impl TryFrom<FlowRecord> for Flow {
    type Error = StoreError;

    fn try_from(r: FlowRecord) -> Result<Self, StoreError> {
        let bad = |detail: String| StoreError::Corrupt {
            what: "flow",
            detail,
        };
        let at = |ms: i64| Timestamp::from_millisecond(ms).map_err(|e| bad(format!("time: {e}")));
        let errors: Vec<FlowJsonError> = serde_json::from_str(&r.validation_errors)
            .map_err(|e| bad(format!("validation_errors: {e}")))?;
        Ok(Self {
            id: FlowId::parse(&r.id).map_err(|e| bad(e.to_string()))?,
            account_id: AccountId::from_uuid(r.account_id),
            waba_id: WabaId::parse(&r.waba_id).map_err(|e| bad(e.to_string()))?,
            name: FlowName::parse(&r.name).map_err(|e| bad(e.to_string()))?,
            categories: FlowCategories::parse(r.categories.split(','))
                .map_err(|e| bad(e.to_string()))?,
            status: FlowStatus::parse(&r.status)
                .ok_or_else(|| bad(format!("status {}", r.status)))?,
            endpoint_uri: r
                .endpoint_uri
                .as_deref()
                .map(EndpointUri::parse)
                .transpose()
                .map_err(|e| bad(e.to_string()))?,
            json: FlowJson::stored(r.flow_json, errors),
            created_at: at(r.created_at)?,
            updated_at: at(r.updated_at)?,
            preview_epoch: u32::try_from(r.preview_epoch)
                .map_err(|_| bad(format!("preview_epoch {}", r.preview_epoch)))?,
        })
    }
}
