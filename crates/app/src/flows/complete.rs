//! A virtual user finishes a flow the business sent them (sandbox only): their answers come
//! back as Meta's inbound `interactive` message of type `nfm_reply` — `{name: "flow", body:
//! "Sent", response_json: "<JSON text with flow_token and the answers>"}` — replying to the
//! flow message (`context.id`), through the normal inbound path (contact, window, webhooks).
//!
//! The answers are checked where that is simple: each required input of the flow's terminal
//! screen must be answered (a flow with several terminal screens: those of one of them).
//! Completing a data-exchange flow through the business endpoint is not done here.

use serde_json::{Map, Value, json};
use wagate_core::channel::Channel;
use wagate_core::content::{Content, MessageType};
use wagate_core::error::ValidationError;
use wagate_core::flow::FlowId;
use wagate_core::message::{Direction, Message, Wamid};
use wagate_store::MessageKey;

use crate::App;
use crate::Principal;
use crate::error::Result;
use crate::messaging::sandbox::InjectInbound;

/// Command: the user of the flow message `wamid` submits `response`.
#[derive(Debug, Clone)]
pub struct CompleteFlow {
    pub wamid: Wamid,
    /// The answers, by input name (`flow_token` is added from the message).
    pub response: Map<String, Value>,
}

impl App {
    /// Stores the user's `nfm_reply` to the flow message (see the module docs).
    pub async fn complete_flow(
        &self,
        p: &Principal,
        channel: &Channel,
        cmd: CompleteFlow,
    ) -> Result<Message> {
        let unknown = || {
            ValidationError::out_of_range("wamid", "is not a flow message this phone number sent")
        };
        let sent = self
            .get_message(p, &MessageKey::Wamid(cmd.wamid.clone()))
            .await
            .map_err(|_| unknown())?;
        let body = sent.content.body();
        if sent.channel_id != channel.id
            || sent.direction != Direction::Outbound
            || sent.content.kind() != MessageType::Interactive
            || body.get("type").and_then(Value::as_str) != Some("flow")
        {
            return Err(unknown().into());
        }
        let from = sent.wa_id.clone().ok_or_else(unknown)?;
        let params = body
            .pointer("/action/parameters")
            .cloned()
            .unwrap_or_default();
        let flow = match (
            params.get("flow_id").and_then(Value::as_str),
            params.get("flow_name").and_then(Value::as_str),
        ) {
            (Some(id), _) => match FlowId::parse(id) {
                Ok(id) => self.store.get_flow(channel.account_id, &id).await.ok(),
                Err(_) => None,
            },
            (None, Some(name)) => match wagate_core::flow::FlowName::parse(name) {
                Ok(name) => {
                    self.store
                        .find_flow_by_name(channel.account_id, &channel.waba_id, &name)
                        .await?
                }
                Err(_) => None,
            },
            (None, None) => None,
        };
        if let Some(flow) = &flow {
            let terminals = flow.json.terminal_required_inputs();
            let answered = |names: &[String]| names.iter().all(|n| cmd.response.contains_key(n));
            if !terminals.is_empty() && !terminals.iter().any(|(_, names)| answered(names)) {
                let (screen, names) = &terminals[0];
                let missing: Vec<&str> = names
                    .iter()
                    .filter(|n| !cmd.response.contains_key(*n))
                    .map(String::as_str)
                    .collect();
                return Err(ValidationError::missing(
                    "response_json",
                    format!(
                        "misses the required input(s) {} of the terminal screen {screen}",
                        missing.join(", ")
                    ),
                )
                .into());
            }
        }
        let mut response = cmd.response;
        let token = params
            .get("flow_token")
            .and_then(Value::as_str)
            .unwrap_or("unused");
        response.insert("flow_token".into(), json!(token));
        let response_json = Value::Object(response).to_string();
        let content = Content::inbound(&json!({
            "type": "interactive",
            "interactive": {
                "type": "nfm_reply",
                "nfm_reply": {"name": "flow", "body": "Sent", "response_json": response_json},
            },
        }))?;
        self.inject_inbound(
            p,
            channel,
            InjectInbound {
                from,
                wamid: None,
                at: None,
                content,
                context: Some(sent.wamid),
                profile_name: None,
                media: None,
            },
        )
        .await
    }
}
