//! What a data-exchange flow needs before it is published, beyond a valid Flow JSON, as
//! Meta asks: an endpoint (`endpoint_uri`), a business public key on one of the WABA's phone
//! numbers (`POST /{phone_number_id}/whatsapp_business_encryption`), and an endpoint that
//! passes the health check (an encrypted `ping` answered `{"data":{"status":"active"}}`).
//! [`check_publishable`] is the pure part, [`App::check_flow_endpoint`] the calls; a
//! refusal is Meta's 139002 with the reason, and nothing changes but the ping's record for
//! the flow's health ([`super::health`]).

use wagate_core::business_key::SignatureStatus;
use wagate_core::channel::Upstream;
use wagate_core::flow::{Flow, FlowRefusal};

use super::refused;
use crate::error::Result;
use crate::{App, Principal};

/// `Ok` when `flow` may be published as far as its endpoint goes; navigate-only flows (no
/// `data_api_version`) need no endpoint.
pub fn check_publishable(flow: &Flow) -> Result<(), FlowRefusal> {
    if !flow.is_data_exchange() {
        return Ok(());
    }
    match &flow.endpoint_uri {
        None => Err(FlowRefusal::Precondition(
            "a data-exchange flow (its Flow JSON has data_api_version) needs an endpoint_uri; \
             set it with POST /{flow_id}"
                .to_owned(),
        )),
        Some(_) => Ok(()),
    }
}

impl App {
    /// The key and health-check preconditions of publishing a data-exchange flow (see the
    /// module docs): the WABA's first sandbox number with a `VALID` business key pings the
    /// endpoint. Navigate-only flows pass.
    pub async fn check_flow_endpoint(&self, p: &Principal, flow: &Flow) -> Result<()> {
        if !flow.is_data_exchange() {
            return Ok(());
        }
        let Some(uri) = &flow.endpoint_uri else {
            return Ok(()); // `check_publishable` refuses it.
        };
        let url = reqwest::Url::parse(uri.as_str()).map_err(|_| {
            refused(FlowRefusal::Precondition(
                "its endpoint_uri is not a URL".to_owned(),
            ))
        })?;
        let mut keyed = None;
        for channel in self.waba_flow_channels(p, flow).await? {
            if matches!(channel.upstream, Upstream::Sandbox(_))
                && self
                    .stored_business_key(&channel)
                    .await?
                    .is_some_and(|k| k.signature_status == SignatureStatus::Valid)
            {
                keyed = Some(channel);
                break;
            }
        }
        let Some(channel) = keyed else {
            return Err(refused(FlowRefusal::Precondition(
                "a data-exchange flow needs a business public key on one of the WABA's phone \
                 numbers: set it with POST /{phone_number_id}/whatsapp_business_encryption"
                    .to_owned(),
            )));
        };
        let started = std::time::Instant::now();
        let ping = self
            .flow_endpoint_ping(flow.account_id, &channel.phone_number_id, &url)
            .await;
        // The health check counts for the flow's health like any other call.
        self.record_flow_result(flow, channel.id, started, &ping)
            .await;
        ping.map_err(|e| {
            refused(FlowRefusal::Precondition(format!(
                "its endpoint failed the health check: {e}"
            )))
        })?;
        Ok(())
    }

    /// The account's channels of the flow's WABA the caller may use, oldest first.
    async fn waba_flow_channels(
        &self,
        p: &Principal,
        flow: &Flow,
    ) -> Result<Vec<wagate_core::channel::Channel>> {
        let mut channels = self.list_channels(p, &wagate_store::Page::all()).await?;
        channels.retain(|c| c.waba_id == flow.waba_id);
        channels.sort_by_key(|c| c.created_at);
        Ok(channels)
    }
}
