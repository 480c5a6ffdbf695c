//! WhatsApp Flows on the Cloud plane (Meta's Flows API): flows of a WABA created, cloned,
//! edited, given a Flow JSON, published, deprecated and deleted, with Meta's lifecycle
//! rules (see `wagate_core::flow`); their preview and asset URLs; the checks of messages
//! and templates that open a flow; and a virtual user completing a flow in the sandbox.
//!
//! A flow is the account's and names its WABA; every call checks the WABA is one the
//! principal may use, and another account's or WABA's flow answers "not found", like one
//! that does not exist. A refused lifecycle action changes nothing: the rule is checked on
//! the row as read, and the write is guarded by that row's `updated_at`.
//!
//! Status changes (publish, deprecate) store Meta's `flows` webhook event
//! `FLOW_STATUS_CHANGE` in the same transaction, about one of the WABA's channels (a WABA
//! without channels has no subscriber to tell). The endpoint's health moves a published flow
//! to `THROTTLED` or `BLOCKED` and back ([`health`]), with the same event and Meta's alert
//! events. Each committed change is audited (`flow.*`); a refusal is not.
//!
//! # Layout
//! - this file: the lifecycle service and signed URLs;
//! - [`channel`]: a channel's flows wherever they are held (wagate's for a sandbox channel,
//!   Meta's Flows API for a cloud channel), for the dialects;
//! - [`publish_check`]: the one precondition of publishing a data-exchange flow;
//! - [`send_check`]: messages and templates naming a flow;
//! - [`complete`]: the sandbox's virtual user finishing a flow (`nfm_reply`);
//! - [`endpoint`]: encrypted calls to a business's Flows endpoint (data exchange, health);
//! - [`health`]: each such call recorded for the flow's health alerts and status.

pub mod channel;
pub mod complete;
pub mod endpoint;
pub mod health;
pub mod publish_check;
pub mod send_check;

use wagate_core::Timestamp;
use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};
use wagate_core::error::ErrorCode;
use wagate_core::flow::{
    DEFAULT_FLOW_JSON, EndpointUri, Flow, FlowCategories, FlowId, FlowJson, FlowMetadataEdit,
    FlowName, FlowRefusal, FlowStatus, StatusChange,
};
use wagate_core::ids::{AccountId, EventId, WabaId};
use wagate_core::webhook::{EventData, EventField, WebhookEvent};
use wagate_store::{Page, StoreError};

use crate::App;
use crate::Principal;
use crate::error::{Error, Result};

/// How long a preview URL works (Meta's previews last 30 days).
pub const PREVIEW_TTL_SECS: i64 = 30 * 24 * 3600;
/// How long an asset download URL works.
pub const ASSET_TTL_SECS: i64 = 3600;
/// Draws of a fresh flow id before giving up.
const ID_DRAWS: usize = 3;

/// What a signed flow URL opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowUrl {
    Preview,
    Asset,
}

impl FlowUrl {
    fn purpose(self) -> &'static str {
        match self {
            FlowUrl::Preview => "flow-preview",
            FlowUrl::Asset => "flow-asset",
        }
    }
}

/// A signed URL's query: whose flow, until when, and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedFlowUrl {
    pub account: AccountId,
    pub expires: i64,
    pub signature: String,
}

/// Command: a new flow.
#[derive(Debug, Clone)]
pub struct NewFlow {
    pub name: FlowName,
    pub categories: FlowCategories,
    pub endpoint_uri: Option<EndpointUri>,
    /// Copy this flow's Flow JSON (one of the caller's, any WABA of the account).
    pub clone_flow_id: Option<FlowId>,
    /// The Flow JSON text to start with (Meta's newer create).
    pub flow_json: Option<String>,
    /// Publish right away (needs a valid Flow JSON).
    pub publish: bool,
}

impl App {
    /// One of the principal's flows: its account's, of a WABA the principal may use.
    pub async fn get_flow(&self, p: &Principal, id: &FlowId) -> Result<Flow> {
        let flow = self.store.get_flow(p.account_id, id).await?;
        self.waba(p, &flow.waba_id)
            .await
            .map_err(|_| StoreError::NotFound(wagate_store::Entity::Flow))?;
        Ok(flow)
    }

    /// The WABA's flows in id order.
    pub async fn list_flows(
        &self,
        p: &Principal,
        waba: &WabaId,
        page: &Page<FlowId>,
    ) -> Result<Vec<Flow>> {
        let waba = self.waba(p, waba).await?;
        Ok(self.store.list_flows(p.account_id, &waba, page).await?)
    }

    /// Creates a draft (Meta's default Flow JSON, a clone's, or the one given), and
    /// publishes it when asked. A refused publish stores nothing.
    #[tracing::instrument(skip_all, fields(waba_id = %waba, flow_id = tracing::field::Empty))]
    pub async fn create_flow(&self, p: &Principal, waba: &WabaId, cmd: NewFlow) -> Result<Flow> {
        p.require_account_wide()?;
        let waba = self.waba(p, waba).await?;
        let json = match (&cmd.clone_flow_id, cmd.flow_json) {
            (Some(_), Some(_)) => {
                return Err(wagate_core::error::ValidationError::new(
                    "clone_flow_id",
                    "give either clone_flow_id or flow_json, not both",
                )
                .into());
            }
            (Some(source), None) => {
                let source = self.get_flow(p, source).await.map_err(|e| match e.code() {
                    ErrorCode::FlowNotFound => Error::Failed(
                        ErrorCode::InvalidRequest,
                        format!("clone_flow_id: Flow with id {source} does not exist"),
                    ),
                    _ => e,
                })?;
                source.json
            }
            (None, Some(text)) => FlowJson::upload(text),
            (None, None) => FlowJson::upload(DEFAULT_FLOW_JSON.to_owned()),
        };
        let at = self.now();
        let mut flow = Flow {
            id: FlowId::generate(),
            account_id: p.account_id,
            waba_id: waba,
            name: cmd.name,
            categories: cmd.categories,
            status: FlowStatus::Draft,
            endpoint_uri: cmd.endpoint_uri,
            json,
            created_at: at,
            updated_at: at,
            preview_epoch: 0,
        };
        let mut events = Vec::new();
        if cmd.publish {
            let change = self.publish_rules(&mut flow, at)?;
            self.check_flow_endpoint(p, &flow).await?;
            events = self.status_events(&flow, change, at).await?;
        }
        for _ in 0..ID_DRAWS {
            match self.store.create_flow(flow.clone()).await {
                Ok(created) => {
                    tracing::Span::current()
                        .record("flow_id", tracing::field::display(&created.id));
                    if !events.is_empty() {
                        // The create's publish: its event, stored once the row exists.
                        self.store.record_events(events).await?;
                    }
                    let summary = format!(
                        "{}, WABA {}{}",
                        created.name.as_str(),
                        created.waba_id,
                        if cmd.publish { ", published" } else { "" }
                    );
                    self.audit_flow(p, AuditAction::FlowCreate, &created.id, summary)
                        .await;
                    return Ok(created);
                }
                Err(StoreError::Conflict {
                    kind: wagate_store::Conflict::GeneratedId,
                    ..
                }) => flow.id = FlowId::generate(),
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Failed(
            ErrorCode::Internal,
            "no free flow id was found; try again".to_owned(),
        ))
    }

    /// Updates a draft's name, categories or endpoint.
    #[tracing::instrument(skip_all, fields(flow_id = %id))]
    pub async fn update_flow_metadata(
        &self,
        p: &Principal,
        id: &FlowId,
        edit: FlowMetadataEdit,
    ) -> Result<Flow> {
        let changed: Vec<&str> = [
            edit.name.as_ref().map(|_| "name"),
            edit.categories.as_ref().map(|_| "categories"),
            edit.endpoint_uri.as_ref().map(|_| "endpoint_uri"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let flow = self
            .change_flow(p, id, |flow, at| {
                flow.edit(edit.clone(), at).map_err(refused)?;
                Ok(None)
            })
            .await?;
        self.audit_flow(
            p,
            AuditAction::FlowUpdate,
            id,
            AuditSummary::changed(changed).as_str(),
        )
        .await;
        Ok(flow)
    }

    /// Replaces a draft's Flow JSON; the errors found in it are stored with it.
    #[tracing::instrument(skip_all, fields(flow_id = %id))]
    pub async fn upload_flow_json(&self, p: &Principal, id: &FlowId, text: String) -> Result<Flow> {
        let json = FlowJson::upload(text);
        let flow = self
            .change_flow(p, id, |flow, at| {
                flow.replace_json(json.clone(), at).map_err(refused)?;
                Ok(None)
            })
            .await?;
        let summary = format!(
            "changed: flow_json ({} validation error(s))",
            flow.json.errors().len()
        );
        self.audit_flow(p, AuditAction::FlowUpdate, id, summary)
            .await;
        Ok(flow)
    }

    /// Publishes a draft whose Flow JSON is valid (a data-exchange flow: with a business key
    /// and a healthy endpoint, see [`publish_check`]).
    #[tracing::instrument(skip_all, fields(flow_id = %id))]
    pub async fn publish_flow(&self, p: &Principal, id: &FlowId) -> Result<Flow> {
        p.require_account_wide()?;
        // The flow's own rules first (their refusal says more than a failed ping), then the
        // endpoint, outside any transaction.
        let mut probe = self.get_flow(p, id).await?;
        self.publish_rules(&mut probe, self.now())?;
        self.check_flow_endpoint(p, &probe).await?;
        let flow = self
            .change_flow(p, id, |flow, at| Ok(Some(self.publish_rules(flow, at)?)))
            .await?;
        self.audit_flow(p, AuditAction::FlowPublish, id, "DRAFT → PUBLISHED")
            .await;
        Ok(flow)
    }

    /// Deprecates a published flow: no new message may open it.
    #[tracing::instrument(skip_all, fields(flow_id = %id))]
    pub async fn deprecate_flow(&self, p: &Principal, id: &FlowId) -> Result<Flow> {
        let flow = self
            .change_flow(p, id, |flow, at| {
                Ok(Some(flow.deprecate(at).map_err(refused)?))
            })
            .await?;
        self.audit_flow(p, AuditAction::FlowDeprecate, id, "→ DEPRECATED")
            .await;
        Ok(flow)
    }

    /// Deletes a draft.
    #[tracing::instrument(skip_all, fields(flow_id = %id))]
    pub async fn delete_flow(&self, p: &Principal, id: &FlowId) -> Result<()> {
        p.require_account_wide()?;
        for _ in 0..3 {
            let flow = self.get_flow(p, id).await?;
            flow.check_delete().map_err(refused)?;
            if self
                .store
                .delete_flow(p.account_id, id, flow.updated_at)
                .await?
            {
                self.audit_flow(p, AuditAction::FlowDelete, id, flow.name.as_str())
                    .await;
                return Ok(());
            }
        }
        Err(busy())
    }

    /// An audit entry about a flow (after the change committed).
    async fn audit_flow(
        &self,
        p: &Principal,
        action: AuditAction,
        id: &FlowId,
        summary: impl Into<String>,
    ) {
        self.audit(
            p,
            action,
            AuditTarget::new(TargetKind::Flow, id),
            AuditSummary::new(summary),
        )
        .await;
    }

    /// The lifecycle rules of publishing, then the endpoint precondition.
    fn publish_rules(&self, flow: &mut Flow, at: Timestamp) -> Result<StatusChange> {
        let before = flow.clone();
        let change = flow.publish(at).map_err(refused)?;
        if let Err(e) = publish_check::check_publishable(flow) {
            *flow = before;
            return Err(refused(e));
        }
        Ok(change)
    }

    /// Reads the flow, applies `rule` (which refuses without changing it), and writes it if
    /// it is unchanged since it was read; tries again on a concurrent change.
    async fn change_flow(
        &self,
        p: &Principal,
        id: &FlowId,
        rule: impl Fn(&mut Flow, Timestamp) -> Result<Option<StatusChange>>,
    ) -> Result<Flow> {
        p.require_account_wide()?;
        for _ in 0..3 {
            let mut flow = self.get_flow(p, id).await?;
            let seen = flow.updated_at;
            let at = after(self.now(), seen);
            let change = rule(&mut flow, at)?;
            let events = match change {
                Some(change) => self.status_events(&flow, change, at).await?,
                None => Vec::new(),
            };
            if let Some(flow) = self.store.update_flow(flow, seen, events).await? {
                return Ok(flow);
            }
        }
        Err(busy())
    }

    /// Meta's `FLOW_STATUS_CHANGE` about `flow`, on one of its WABA's channels.
    async fn status_events(
        &self,
        flow: &Flow,
        change: StatusChange,
        at: Timestamp,
    ) -> Result<Vec<WebhookEvent>> {
        let channel = self
            .store
            .list_channels(flow.account_id, &Page::all())
            .await?
            .into_iter()
            .find(|c| c.waba_id == flow.waba_id);
        let Some(channel) = channel else {
            return Ok(Vec::new());
        };
        let value = change.webhook_value(&flow.id, &flow.name);
        Ok(vec![WebhookEvent {
            id: EventId::generate(),
            account_id: flow.account_id,
            channel_id: Some(channel.id),
            occurred_at: at,
            data: EventData::Other {
                field: EventField::Flows,
                value,
            },
        }])
    }

    /// The signature of a URL opening `flow`'s preview or asset until `expires` (unix
    /// seconds), signed like media download URLs. A preview URL also signs the flow's
    /// `preview_epoch`, so [`App::invalidate_flow_preview`] ends it.
    pub fn sign_flow_url(&self, flow: &Flow, what: FlowUrl, expires: i64) -> SignedFlowUrl {
        SignedFlowUrl {
            account: flow.account_id,
            expires,
            signature: self.media.signer.sign(
                &flow.account_id.to_string(),
                &signed_purpose(flow, what),
                expires,
            ),
        }
    }

    /// Ends every preview URL of the flow given so far (`preview.invalidate(true)`); the
    /// flow, whose new preview URLs work.
    #[tracing::instrument(skip_all, fields(flow_id = %id))]
    pub async fn invalidate_flow_preview(&self, p: &Principal, id: &FlowId) -> Result<Flow> {
        self.get_flow(p, id).await?;
        Ok(self.store.invalidate_flow_preview(p.account_id, id).await?)
    }

    /// The flow a signed URL opens, if the signature is this server's, not expired, and
    /// (a preview) of the flow's current preview epoch, and the flow still exists.
    pub async fn open_flow_url(
        &self,
        id: &FlowId,
        what: FlowUrl,
        account: &str,
        expires: i64,
        signature: &str,
    ) -> Result<Flow> {
        let expired = || {
            Error::Failed(
                ErrorCode::FlowUrlExpired,
                "this flow URL expired or is not valid; get a new one from the API".to_owned(),
            )
        };
        let account_id: AccountId = account.parse().map_err(|_| expired())?;
        // The flow first: a preview's signature covers its current epoch. Every failure
        // answers the same.
        let flow = self
            .store
            .get_flow(account_id, id)
            .await
            .map_err(|_| expired())?;
        let ok = self.media.signer.verify(
            account,
            &signed_purpose(&flow, what),
            expires,
            signature,
            self.now().as_second(),
        );
        if !ok {
            return Err(expired());
        }
        Ok(flow)
    }
}

/// What a flow URL's signature covers besides the account and expiry.
fn signed_purpose(flow: &Flow, what: FlowUrl) -> String {
    match what {
        FlowUrl::Preview => format!("{}:{}:{}", what.purpose(), flow.id, flow.preview_epoch),
        FlowUrl::Asset => format!("{}:{}", what.purpose(), flow.id),
    }
}

/// A lifecycle refusal as a service error (Meta's 1390xx code, the rule in the message).
pub fn refused(r: FlowRefusal) -> Error {
    Error::Failed(r.code(), r.to_string())
}

fn busy() -> Error {
    Error::Failed(
        ErrorCode::Internal,
        "the flow kept changing while this request ran; try again".to_owned(),
    )
}

/// `updated_at` for a write at `now` of a row last updated `seen`: always later than `seen`.
fn after(now: Timestamp, seen: Timestamp) -> Timestamp {
    if now > seen {
        now
    } else {
        Timestamp::from_millisecond(seen.as_millisecond() + 1).unwrap_or(now)
    }
}
