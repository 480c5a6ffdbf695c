//! A virtual user finishes a flow the business sent them (sandbox only): their answers come
//! back as Meta's inbound `interactive` message of type `nfm_reply` — `{name: "flow", body:
//! "Sent", response_json: "<JSON text with flow_token and the answers>"}` — replying to the
//! flow message (`context.id`), through the normal inbound path (contact, window, webhooks).
//!
//! The answers are checked where that is simple: each required input of the flow's terminal
//! screen must be answered (a flow with several terminal screens: those of one of them).
//!
//! A data-exchange flow (its Flow JSON has `data_api_version`) is completed through the
//! business's endpoint, as the WhatsApp client does it ([`super::endpoint`]: encrypted with
//! the number's business key, signed): `INIT` first when the message opened the flow with
//! `flow_action: data_exchange`, then `data_exchange` from each screen the endpoint answers
//! with the user's answers, until the endpoint closes the flow (`SUCCESS`); its
//! `extension_message_response.params` are the reply's `response_json`. An endpoint that
//! fails, answers an error screen or does not finish within [`MAX_SCREENS`] refuses the
//! completion with its reason, and no reply arrives. Each call, and each screen the endpoint
//! names that the Flow JSON does not have (`INVALID_SCREEN_TRANSITION`, refused too), is
//! recorded for the flow's health ([`super::health`]); a `BLOCKED` flow cannot be opened.

use std::time::Instant;

use serde_json::{Map, Value, json};
use wagate_core::channel::Channel;
use wagate_core::content::{Content, MessageType};
use wagate_core::error::ErrorCode;
use wagate_core::error::ValidationError;
use wagate_core::flow::health::ErrorType;
use wagate_core::flow::{Flow, FlowId, FlowStatus};
use wagate_core::message::{Direction, Message, Wamid};
use wagate_store::MessageKey;

use crate::App;
use crate::Principal;
use crate::error::{Error, Result};
use crate::flows::endpoint::{FlowAction, FlowRequest, FlowResponse};
use crate::flows::health::Outcome;

/// The most screens a data-exchange completion goes through before giving up.
pub const MAX_SCREENS: usize = 8;
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
        if let Some(flow) = flow.as_ref().filter(|f| f.status == FlowStatus::Blocked) {
            // Meta: users cannot open a BLOCKED flow, even one sent before it was blocked.
            return Err(Error::Failed(
                ErrorCode::InvalidRequest,
                format!(
                    "the flow could not be completed: flow {} is BLOCKED (its endpoint is \
                     unhealthy) and cannot be opened",
                    flow.id
                ),
            ));
        }
        let token = params
            .get("flow_token")
            .and_then(Value::as_str)
            .unwrap_or("unused")
            .to_owned();
        let exchange = flow.as_ref().filter(|f| f.is_data_exchange());
        if let Some(flow) = flow.as_ref().filter(|_| exchange.is_none()) {
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
        let response = match exchange {
            Some(flow) => {
                self.exchange_flow(channel, flow, &params, &token, cmd.response)
                    .await?
            }
            None => {
                let mut response = cmd.response;
                response.insert("flow_token".into(), json!(token));
                response
            }
        };
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

    /// Runs a data-exchange flow with the business's endpoint (see the module docs); the
    /// endpoint's closing `params`.
    async fn exchange_flow(
        &self,
        channel: &Channel,
        flow: &Flow,
        params: &Value,
        token: &str,
        answers: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        let failed = |why: String| {
            Error::Failed(
                ErrorCode::InvalidRequest,
                format!("the flow could not be completed: {why}"),
            )
        };
        let url = flow
            .endpoint_uri
            .as_ref()
            .and_then(|u| reqwest::Url::parse(u.as_str()).ok())
            .ok_or_else(|| failed("the flow has no endpoint_uri".to_owned()))?;
        let screens = flow.json.screen_ids();
        let call = |request: FlowRequest| {
            let url = url.clone();
            let screens = &screens;
            async move {
                let started = Instant::now();
                let result = self
                    .flow_endpoint_exchange(
                        channel.account_id,
                        &channel.phone_number_id,
                        &url,
                        request,
                    )
                    .await;
                self.record_flow_result(flow, channel.id, started, &result)
                    .await;
                let response =
                    result.map_err(|e| failed(format!("the business's endpoint: {e}")))?;
                // The client can only show a screen the Flow JSON has.
                if let FlowResponse::Screen { screen, .. } | FlowResponse::Error { screen, .. } =
                    &response
                    && !screens.contains(screen)
                {
                    self.record_flow_outcome(
                        flow,
                        channel.id,
                        0,
                        Outcome::Failed(ErrorType::InvalidScreenTransition),
                    )
                    .await;
                    return Err(failed(format!(
                        "the endpoint answered with the screen {screen}, which the flow does not have"
                    )));
                }
                Ok(response)
            }
        };
        let mut screen = params
            .pointer("/flow_action_payload/screen")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| flow.json.screen_ids().into_iter().next())
            .unwrap_or_default();
        if params.get("flow_action").and_then(Value::as_str) == Some("data_exchange") {
            match call(FlowRequest::new(FlowAction::Init, token)).await? {
                FlowResponse::Success { params, .. } => return Ok(params),
                FlowResponse::Screen { screen: next, .. } => screen = next,
                FlowResponse::Error { message, .. } => {
                    return Err(failed(format!(
                        "the endpoint answered INIT with an error: {message}"
                    )));
                }
            }
        }
        for _ in 0..MAX_SCREENS {
            let request = FlowRequest::new(FlowAction::DataExchange, token)
                .screen(screen.clone())
                .data(answers.clone());
            match call(request).await? {
                FlowResponse::Success { params, .. } => return Ok(params),
                FlowResponse::Screen { screen: next, .. } => screen = next,
                FlowResponse::Error { message, .. } => {
                    return Err(failed(format!(
                        "the endpoint refused the answers on screen {screen}: {message}"
                    )));
                }
            }
        }
        Err(failed(format!(
            "the endpoint did not close the flow within {MAX_SCREENS} screens"
        )))
    }
}
