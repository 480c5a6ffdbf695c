//! Recording calls to flows' endpoints for their health (`wagate_core::flow::health`): each
//! call the sandbox's virtual users and the publish health check make is stored with its
//! latency and Meta's error type; the store re-evaluates the flow's alerts and status in the
//! same transaction and stores the `flows` webhook events.
//!
//! Only the endpoint's (or the client's) doing counts: a failure of wagate's own setup or
//! store (an unknown number, a refused address, no signing secret) is not recorded. A
//! recording that fails is logged and never fails the call it describes.

use std::time::Instant;

use wagate_core::flow::Flow;
use wagate_core::flow::health::{EndpointCall, ErrorType};
use wagate_core::ids::ChannelId;

use super::endpoint::EndpointError;
use crate::App;

/// How a call's result counts for the flow's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// wagate's own fault or setup: not recorded.
    NotRecorded,
    /// The endpoint answered as the protocol allows.
    Success,
    /// Meta's error type of the failure.
    Failed(ErrorType),
}

impl EndpointError {
    /// How this failure counts for the flow's health (see the module docs).
    pub fn health_outcome(&self) -> Outcome {
        match self {
            Self::Timeout(_) => Outcome::Failed(ErrorType::Timeout),
            Self::Unreachable(_) => Outcome::Failed(ErrorType::NoHttpResponse),
            Self::KeyRefetch | Self::Status(_) => {
                Outcome::Failed(ErrorType::UnexpectedHttpStatusCode)
            }
            Self::Undecryptable(_) => Outcome::Failed(ErrorType::ResponseDecryptionError),
            Self::InvalidResponse(_) => Outcome::Failed(ErrorType::InvalidResponse),
            Self::NoBusinessKey => Outcome::Failed(ErrorType::PublicKeyMissing),
            // 427 is the endpoint's documented answer for a closed flow token.
            Self::FlowTokenInvalid => Outcome::Success,
            Self::UnknownPhoneNumber
            | Self::NoSigningSecret
            | Self::Blocked(_)
            | Self::Encrypt(_)
            | Self::Store(_)
            | Self::Other(_) => Outcome::NotRecorded,
        }
    }
}

impl App {
    /// Records the result of a call to `flow`'s endpoint made for `channel`, started at
    /// `started`.
    pub(crate) async fn record_flow_result<T>(
        &self,
        flow: &Flow,
        channel: ChannelId,
        started: Instant,
        result: &Result<T, EndpointError>,
    ) {
        let outcome = match result {
            Ok(_) => Outcome::Success,
            Err(e) => e.health_outcome(),
        };
        let latency = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        self.record_flow_outcome(flow, channel, latency, outcome)
            .await;
    }

    /// Records one outcome of `flow`'s endpoint (or client) for `channel`.
    pub(crate) async fn record_flow_outcome(
        &self,
        flow: &Flow,
        channel: ChannelId,
        latency_ms: u32,
        outcome: Outcome,
    ) {
        let error = match outcome {
            Outcome::NotRecorded => return,
            Outcome::Success => None,
            Outcome::Failed(t) => Some(t),
        };
        let call = EndpointCall {
            at: self.now(),
            latency_ms,
            error,
        };
        if let Err(e) = self
            .store
            .record_flow_call(flow.account_id, &flow.id, call, channel)
            .await
        {
            tracing::error!(
                error.cause_chain = ?e, error.message = %e, flow_id = %flow.id,
                "recording a flow endpoint call failed"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_failures_map_to_metas_error_types() {
        use std::time::Duration;
        let t = |e: EndpointError| e.health_outcome();
        assert_eq!(
            t(EndpointError::Timeout(Duration::from_secs(10))),
            Outcome::Failed(ErrorType::Timeout)
        );
        assert_eq!(
            t(EndpointError::Status(500)),
            Outcome::Failed(ErrorType::UnexpectedHttpStatusCode)
        );
        assert_eq!(
            t(EndpointError::NoBusinessKey),
            Outcome::Failed(ErrorType::PublicKeyMissing)
        );
        assert_eq!(t(EndpointError::FlowTokenInvalid), Outcome::Success);
        assert_eq!(
            t(EndpointError::Blocked("10.0.0.1".into())),
            Outcome::NotRecorded
        );
    }
}
