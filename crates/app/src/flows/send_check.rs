//! Messages and templates that open a flow, checked against the stored flows of the
//! sending channel's WABA (Meta refuses them with 131009, "Parameter value is not valid",
//! naming the parameter):
//!
//! - an `interactive` message of type `flow`: the flow (`flow_id`, or `flow_name` in the
//!   WABA) must exist; a DRAFT flow only with `mode: draft`; a DEPRECATED (or BLOCKED) flow
//!   never; a `navigate` action's `flow_action_payload.screen` must be one of its screens;
//! - a template's FLOW button naming a flow by `flow_id` or `flow_name`: the same flow
//!   rules (a template may name a draft; Meta checks sendability when it is sent), and its
//!   `navigate_screen` must be a screen of the flow. A button with inline `flow_json` is
//!   validated as a Flow JSON.
//!
//! A cloud channel's messages are Meta's to check: they pass.

use serde_json::Value;
use wagate_core::channel::{Channel, Upstream};
use wagate_core::content::MessageType;
use wagate_core::error::ValidationError;
use wagate_core::flow::{Flow, FlowId, FlowName, FlowStatus};
use wagate_core::ids::{AccountId, WabaId};
use wagate_core::message::Content;
use wagate_core::template::{Button, Component, TemplateDraft};

use crate::App;
use crate::error::Result;

/// Which flow a message or button names.
enum FlowRef<'a> {
    Id(&'a str),
    Name(&'a str),
}

impl App {
    /// Checks an outbound message that opens a flow (any other message passes).
    pub async fn check_flow_send(&self, channel: &Channel, content: &Content) -> Result<()> {
        if matches!(channel.upstream, Upstream::Cloud(_))
            || content.kind() != MessageType::Interactive
        {
            return Ok(());
        }
        let body = content.body();
        if body.get("type").and_then(Value::as_str) != Some("flow") {
            return Ok(());
        }
        const P: &str = "interactive.action.parameters";
        let params = body.pointer("/action/parameters").unwrap_or(&Value::Null);
        let text = |k: &str| params.get(k).and_then(Value::as_str);
        let (reference, field) = match (text("flow_id"), text("flow_name")) {
            (Some(id), _) => (FlowRef::Id(id), format!("{P}.flow_id")),
            (None, Some(name)) => (FlowRef::Name(name), format!("{P}.flow_name")),
            (None, None) => return Ok(()),
        };
        let flow = self
            .flow_of_waba(channel.account_id, &channel.waba_id, &reference, &field)
            .await?;
        let draft_mode = text("mode") == Some("draft");
        match flow.status {
            FlowStatus::Draft if !draft_mode => {
                return Err(ValidationError::out_of_range(
                    format!("{P}.mode"),
                    format!(
                        "flow {} is a DRAFT: send it with mode: draft to test it, or publish it",
                        flow.id
                    ),
                )
                .into());
            }
            FlowStatus::Deprecated | FlowStatus::Blocked => {
                return Err(ValidationError::out_of_range(
                    field,
                    format!(
                        "flow {} is {} and can no longer be sent",
                        flow.id,
                        flow.status.as_str()
                    ),
                )
                .into());
            }
            _ => {}
        }
        if text("flow_action").unwrap_or("navigate") == "navigate"
            && let Some(screen) = params
                .pointer("/flow_action_payload/screen")
                .and_then(Value::as_str)
        {
            check_screen(&flow, screen, &format!("{P}.flow_action_payload.screen"))?;
        }
        Ok(())
    }

    /// Checks the FLOW buttons of a template about to be created in `waba`.
    pub async fn check_template_flow_buttons(
        &self,
        account: AccountId,
        waba: &WabaId,
        draft: &TemplateDraft,
    ) -> Result<()> {
        let buttons = draft.components().iter().flat_map(|c| match c {
            Component::Buttons(buttons) => buttons.as_slice(),
            _ => &[],
        });
        for (i, b) in buttons.enumerate() {
            let Button::Flow(b) = b else { continue };
            let at = format!("components.buttons[{i}]");
            let (reference, field) = match (&b.flow_id, &b.flow_name) {
                (Some(id), _) => (FlowRef::Id(id), format!("{at}.flow_id")),
                (None, Some(name)) => (FlowRef::Name(name), format!("{at}.flow_name")),
                (None, None) => {
                    if let Some(e) = b
                        .flow_json
                        .as_deref()
                        .and_then(|j| wagate_core::flow::json::validate(j).into_iter().next())
                    {
                        return Err(ValidationError::out_of_range(
                            format!("{at}.flow_json"),
                            format!(
                                "is not a valid Flow JSON: {} (line {}, column {})",
                                e.message, e.span.line_start, e.span.column_start
                            ),
                        )
                        .into());
                    }
                    continue;
                }
            };
            let flow = self.flow_of_waba(account, waba, &reference, &field).await?;
            if matches!(flow.status, FlowStatus::Deprecated | FlowStatus::Blocked) {
                return Err(ValidationError::out_of_range(
                    field,
                    format!("flow {} is {}", flow.id, flow.status.as_str()),
                )
                .into());
            }
            if let Some(screen) = &b.navigate_screen {
                check_screen(&flow, screen, &format!("{at}.navigate_screen"))?;
            }
        }
        Ok(())
    }

    /// The account's flow named by `reference` in `waba`, or 131009 naming `field`.
    async fn flow_of_waba(
        &self,
        account: AccountId,
        waba: &WabaId,
        reference: &FlowRef<'_>,
        field: &str,
    ) -> Result<Flow> {
        let found = match reference {
            FlowRef::Id(id) => match FlowId::parse(id) {
                Ok(id) => match self.store.get_flow(account, &id).await {
                    Ok(f) => Some(f),
                    Err(wagate_store::StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                },
                Err(_) => None,
            },
            FlowRef::Name(name) => match FlowName::parse(name) {
                Ok(name) => self.store.find_flow_by_name(account, waba, &name).await?,
                Err(_) => None,
            },
        };
        found.filter(|f| &f.waba_id == waba).ok_or_else(|| {
            let what = match reference {
                FlowRef::Id(id) => format!("Flow with id {id}"),
                FlowRef::Name(name) => format!("Flow named `{name}`"),
            };
            ValidationError::out_of_range(
                field,
                format!("{what} does not exist in this WhatsApp Business Account"),
            )
            .into()
        })
    }
}

fn check_screen(flow: &Flow, screen: &str, field: &str) -> Result<()> {
    let screens = flow.json.screen_ids();
    if screens.iter().any(|s| s == screen) {
        Ok(())
    } else {
        Err(ValidationError::out_of_range(
            field,
            format!(
                "flow {} has no screen `{screen}` (its screens: {})",
                flow.id,
                screens.join(", ")
            ),
        )
        .into())
    }
}
