//! `POST /verification/v3/send`: every parameter in the query string (the seed's curls),
//! `type=CHAT` for a session message and `type=BROADCAST` for a template to one number.
//! `flowType` must be `WHATSAPP`; `senderId` picks the channel (801); the recipient is
//! `countryCode` + `mobileNumber` (a `mobileNumber` that already starts with the country
//! code, or with `+`, is taken whole).
//!
//! - **CHAT**: `message` (830 when missing) as text; with a multipart `file` (an image or a
//!   video), the file with `message` as its caption. Answers the seed's `data` with the
//!   message's wamid as `transactionId`.
//! - **BROADCAST** to one number: `templateName` + `langId` (802 when no approved template
//!   matches; `langId` may be left out when the name has one language), `variables` the
//!   body's values comma-separated, `ctaVariables` the dynamic URL buttons' suffixes in
//!   button order (at most 2); a count that does not fit the template is 804. Answers
//!   `data: null`.
//!
//! - **BROADCAST** with a multipart `file`: a bulk broadcast to the sheet's rows (see
//!   [`bulk`]); without a file and without `mobileNumber`, 803.
//!
//! Every rule after that (window, opt-out, block, the wallet: 805) is the core's.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use wagate_app::Principal;
use wagate_app::campaigns::audience::{FileBroadcast, FileOptions};
use wagate_app::media::UploadMeta;
use wagate_app::media::staging::Staged;
use wagate_app::messaging::messages::SendMessage;
use wagate_core::campaign::CampaignName;
use wagate_core::campaign::model::{CampaignParams, CampaignTemplate};
use wagate_core::channel::Channel;
use wagate_core::content::Content;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::message::Recipient;
use wagate_core::phone::PhoneE164;

use super::auth::{Customer, sender};
use super::templates::find_template;
use crate::error::ApiError;
use crate::kit::params::Params;
use crate::kit::upload::{self, Upload};
use crate::state::AppState;

/// Most dynamic URL button values a broadcast takes (the seed's limit).
const MAX_CTA_VARIABLES: usize = 2;

/// The recipient of `countryCode` + `mobileNumber`.
fn recipient(params: &Params) -> Result<Recipient, ValidationError> {
    let mobile = params
        .str("mobileNumber")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ValidationError::missing("mobileNumber", "is required"))?;
    let cc = params
        .str("countryCode")
        .map(|c| c.trim().trim_start_matches('+'))
        .unwrap_or_default();
    let whole =
        mobile.starts_with('+') || cc.is_empty() || mobile.starts_with(cc) && mobile.len() > 10;
    let input = if whole {
        mobile.to_owned()
    } else {
        format!("{cc}{mobile}")
    };
    Ok(Recipient::Phone {
        wa_id: PhoneE164::parse_field("mobileNumber", &input)?,
        input,
    })
}

/// A comma-separated list (`"Kunal, MSG3545"`), trimmed; empty when absent.
fn list(params: &Params, name: &str) -> Vec<String> {
    params
        .str(name)
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default()
}

pub async fn send(
    State(state): State<AppState>,
    Customer(p): Customer,
    uri: Uri,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let Upload {
        fields: params,
        staged,
        meta,
    } = upload::read_form(&state, uri.query(), &headers, multipart, "file").await?;
    match params.str("flowType").map(str::trim) {
        Some(f) if f.eq_ignore_ascii_case("WHATSAPP") => {}
        _ => return Err(ValidationError::new("flowType", "must be WHATSAPP").into()),
    }
    let channel = sender(&state, &p, "senderId", params.str("senderId")).await?;
    let kind = params
        .str("type")
        .map(str::trim)
        .unwrap_or_default()
        .to_ascii_uppercase();
    match kind.as_str() {
        "CHAT" => {
            let to = recipient(&params)?;
            let message = params.str("message").map(str::to_owned).unwrap_or_default();
            let content = match staged {
                None => {
                    if message.trim().is_empty() {
                        return Err(ValidationError::missing("message", "is required").into());
                    }
                    Content::outbound(&json!({"type": "text", "text": {"body": message}}))?
                }
                Some(staged) => {
                    let media = state.app.store_upload(&p, &channel, staged, meta).await?;
                    let kind = if media.mime_type.starts_with("image/") {
                        "image"
                    } else if media.mime_type.starts_with("video/") {
                        "video"
                    } else {
                        return Err(ValidationError::new(
                            "file",
                            format!(
                                "a chat file is an image or a video, not {}",
                                media.mime_type
                            ),
                        )
                        .into());
                    };
                    let mut object = json!({"id": media.id.as_str()});
                    if !message.trim().is_empty() {
                        object["caption"] = json!(message);
                    }
                    Content::outbound(&json!({"type": kind, kind: object}))?
                }
            };
            let m = state
                .app
                .send_message(
                    &p,
                    &channel,
                    SendMessage {
                        recipient: to,
                        content,
                        context: None,
                        biz_opaque_callback_data: None,
                    },
                )
                .await?;
            Ok(Json(json!({
                "responseCode": 200,
                "message": "SUCCESS",
                "data": {
                    "verificationId": null,
                    "mobileNumber": m.wa_id.as_ref().map(|w| w.digits()),
                    "responseCode": "200",
                    "errorMessage": null,
                    "timeout": null,
                    "smsCLI": null,
                    "transactionId": m.wamid.as_str(),
                },
            }))
            .into_response())
        }
        "BROADCAST" => {
            if let Some(staged) = staged {
                return bulk(&state, &p, &channel, &params, staged, meta).await;
            }
            if params
                .str("mobileNumber")
                .is_none_or(|m| m.trim().is_empty())
            {
                return Err(ValidationError::missing(
                    "file",
                    "a broadcast goes to `mobileNumber`, or to the rows of a `file` sheet",
                )
                .into());
            }
            let to = recipient(&params)?;
            let name = params
                .str("templateName")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| ValidationError::missing("templateName", "is required"))?;
            let template = find_template(&state, &p, &channel, name, params.str("langId")).await?;
            let variables = list(&params, "variables");
            let cta = list(&params, "ctaVariables");
            if cta.len() > MAX_CTA_VARIABLES {
                return Err(ValidationError::out_of_range(
                    "ctaVariables",
                    format!("at most {MAX_CTA_VARIABLES} dynamic CTA values"),
                )
                .into());
            }
            let dynamic = dynamic_url_buttons(&template.components);
            if cta.len() != dynamic.len() {
                return Err(ApiError::new(
                    ErrorCode::TemplateParamCountMismatch,
                    format!(
                        "the template has {} dynamic CTA button{}, {} ctaVariables given",
                        dynamic.len(),
                        if dynamic.len() == 1 { "" } else { "s" },
                        cta.len()
                    ),
                )
                .field("ctaVariables"));
            }
            let mut components = Vec::new();
            if !variables.is_empty() {
                components.push(json!({"type": "body", "parameters": variables
                    .iter().map(|v| json!({"type": "text", "text": v})).collect::<Vec<_>>()}));
            }
            for (index, value) in dynamic.iter().zip(&cta) {
                components.push(json!({"type": "button", "sub_type": "url",
                    "index": index.to_string(), "parameters": [{"type": "text", "text": value}]}));
            }
            let content = Content::outbound(&json!({"type": "template", "template": {
                "name": template.name.as_str(),
                "language": {"code": template.language.as_str()},
                "components": components,
            }}))?;
            state
                .app
                .send_message(
                    &p,
                    &channel,
                    SendMessage {
                        recipient: to,
                        content,
                        context: None,
                        biz_opaque_callback_data: None,
                    },
                )
                .await?;
            Ok(success_null().into_response())
        }
        _ => Err(ValidationError::new("type", "must be BROADCAST or CHAT").into()),
    }
}

/// The seed's answer to a broadcast.
fn success_null() -> Json<Value> {
    Json(json!({"responseCode": 200, "message": "SUCCESS", "data": null}))
}

/// A bulk broadcast: the sheet (Country, Mobile, ctaVar1, ctaVar2, var1..n) becomes a
/// campaign that launches once its rows have loaded ([`wagate_app`]'s `broadcast_file`),
/// answered at once; a row without a variable's value refuses the sheet (804), as the
/// seed's "variable params not matching". `Location` names the campaign in `/api/v1`.
async fn bulk(
    state: &AppState,
    p: &Principal,
    channel: &Channel,
    params: &Params,
    staged: Staged,
    meta: UploadMeta,
) -> Result<Response, ApiError> {
    let name = params
        .str("templateName")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ValidationError::missing("templateName", "is required"))?;
    let template = find_template(state, p, channel, name, params.str("langId")).await?;
    let sheet = CampaignParams::sheet(&template.components).map_err(|e| {
        ApiError::from(ValidationError {
            field: "templateName".into(),
            ..e
        })
    })?;
    let uniq = uuid::Uuid::new_v4().simple().to_string();
    let title = format!(
        "{} bulk {} {}",
        template.name.as_str().chars().take(64).collect::<String>(),
        state.app.now().strftime("%Y-%m-%d %H:%M:%S"),
        &uniq[..6]
    );
    let campaign = state
        .app
        .broadcast_file(
            p,
            FileBroadcast {
                name: CampaignName::parse(&title)?,
                channel_id: channel.id,
                template: CampaignTemplate {
                    name: template.name.as_str().to_owned(),
                    language: template.language.as_str().to_owned(),
                },
                params: sheet,
                file: FileOptions {
                    file_name: meta.filename.unwrap_or_else(|| "sheet.xlsx".to_owned()),
                    ..FileOptions::default()
                },
                strict: true,
            },
            staged,
        )
        .await?;
    Ok((
        [(
            header::LOCATION,
            format!("/api/v1/campaigns/{}", campaign.id),
        )],
        success_null(),
    )
        .into_response())
}

/// The indexes of a template's URL buttons whose URL has a variable, in button order.
fn dynamic_url_buttons(components: &Value) -> Vec<usize> {
    components
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("BUTTONS"))
        })
        .flat_map(|c| c["buttons"].as_array().cloned().unwrap_or_default())
        .enumerate()
        .filter(|(_, b)| {
            b["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("URL"))
                && b["url"].as_str().is_some_and(|u| u.contains("{{"))
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_join_the_country_code() {
        let q = |s: &str| Params::query(Some(s));
        let phone = |r: Recipient| match r {
            Recipient::Phone { wa_id, .. } => wa_id.digits().to_owned(),
            Recipient::Bsuid(_) => unreachable!(),
        };
        assert_eq!(
            phone(recipient(&q("countryCode=91&mobileNumber=7715836906")).unwrap()),
            "917715836906"
        );
        assert_eq!(
            phone(recipient(&q("countryCode=91&mobileNumber=917715836906")).unwrap()),
            "917715836906"
        );
        assert_eq!(
            phone(recipient(&q("mobileNumber=%2B917715836906")).unwrap()),
            "917715836906"
        );
        assert_eq!(
            recipient(&q("countryCode=91")).unwrap_err().field,
            "mobileNumber"
        );
    }

    #[test]
    fn dynamic_buttons_are_found_in_order() {
        let c = json!([{"type": "BODY", "text": "x"}, {"type": "BUTTONS", "buttons": [
            {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+1"},
            {"type": "URL", "text": "a", "url": "https://a.com/{{1}}"},
            {"type": "URL", "text": "b", "url": "https://b.com"}]}]);
        assert_eq!(dynamic_url_buttons(&c), vec![1]);
    }
}
