//! What a data-exchange flow needs before it is published, beyond a valid Flow JSON: Meta
//! asks for a business encryption key on the WABA's numbers and a healthy endpoint. Today
//! this checks the endpoint is set and a usable URL (an `EndpointUri` is an absolute
//! http(s) URL with a host by construction); the key and the health check (`ping`) are wired
//! in here by the encryption branch. One function, so the rule has one place.

use wagate_core::flow::{Flow, FlowRefusal};

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
