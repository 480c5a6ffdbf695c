//! Templates: `sendTemplate`, `addTemplate`, `removeTemplate`, `GET /templates`, and
//! `uploadMedia` (the media id a template's header takes).
//!
//! - **sendTemplate**: `template` (the name), `language` (`{policy, code}`, or the code as
//!   text), `params` (the Cloud API's components: header/body/button parameters, and a
//!   `CAROUSEL` component's `cards`), and the recipient. `namespace` and `language.policy`
//!   are accepted and ignored (the Cloud API has neither). Section types and button
//!   sub-types are read in any case (`CAROUSEL`, `CATALOG`), a button's `index` as a number
//!   or text. Every rule after that (approved template, parameter counts, the catalog) is
//!   the core's, as for a Cloud API template send.
//! - **addTemplate**: `name`, `category`, `language`, `components` (Meta's). A header
//!   example's `header_handle` that is a URL (the seed's Example 1) is fetched and kept as
//!   an upload handle, as Meta needs; Meta's lint runs first, so nothing is fetched for a
//!   template refused anyway, and a fetched sample is deleted when the create fails.
//!   Answers `{result: "success", id, name, language, status}` (the seed's sample is `{ }`).
//! - **removeTemplate**: `name` → every language of it deleted.
//! - **GET /templates**: `{total, templates: [{id, name, namespace, language, category,
//!   status (lower-case), components, rejected_reason}]}`; `namespace` is the WABA's
//!   `message_template_namespace`, as Graph shows it.
//!
//! Templates belong to the WABA, shared by its numbers: creating and removing them needs an
//! account-wide token, as on the Cloud API plane.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use wagate_app::media::from::{KeepAs, MediaFrom, Source};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::profile::template_namespace;
use wagate_core::template::{TemplateDraft, TemplateName, lint};

use super::auth::{Call, Instance};
use super::send::{file_of, json_param, required, send};
use super::wire::Sent;
use crate::error::ApiError;
use crate::state::AppState;

/// A component (or card component) as the Cloud API reads it: `type` and `sub_type` in
/// lower case, a button's `index` as text; a carousel's cards likewise.
fn component(mut c: Value) -> Value {
    if let Some(obj) = c.as_object_mut() {
        for key in ["type", "sub_type"] {
            if let Some(Value::String(s)) = obj.get_mut(key) {
                *s = s.to_lowercase();
            }
        }
        if let Some(index @ Value::Number(_)) = obj.get_mut("index") {
            *index = Value::String(index.to_string());
        }
        if let Some(Value::Array(cards)) = obj.get_mut("cards") {
            for card in cards {
                if let Some(Value::Array(cs)) = card.get_mut("components") {
                    for c in cs.iter_mut() {
                        *c = component(c.take());
                    }
                }
            }
        }
    }
    c
}

/// The Cloud API template object of a sendTemplate call.
fn template_object(call: &Call) -> Result<Value, ValidationError> {
    let name = required(&call.params, "template")?;
    let code = match call.params.get("language") {
        Some(Value::Object(l)) => match l.get("code") {
            Some(Value::String(c)) if !c.trim().is_empty() => c.trim().to_owned(),
            _ => return Err(ValidationError::missing("language.code", "is required")),
        },
        _ => match json_param(&call.params, "language")? {
            Some(Value::Object(l)) => l
                .get("code")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| ValidationError::missing("language.code", "is required"))?,
            _ => required(&call.params, "language")?,
        },
    };
    let mut t = json!({"name": name, "language": {"code": code}});
    match json_param(&call.params, "params")? {
        None => {}
        Some(Value::Array(components)) => {
            t["components"] = Value::Array(components.into_iter().map(component).collect());
        }
        Some(_) => {
            return Err(ValidationError::new(
                "params",
                "must be an array of sections",
            ));
        }
    }
    Ok(t)
}

/// `POST /sendTemplate`.
pub async fn send_template(
    State(state): State<AppState>,
    call: Call,
) -> Result<Json<Sent>, ApiError> {
    let template = template_object(&call)?;
    send(
        &state,
        &call,
        json!({"type": "template", "template": template}),
    )
    .await
}

/// The header examples' `header_handle` values that are links, with where they sit: in the
/// components, or in a carousel card's.
fn linked_handles(components: &Value) -> Vec<(Vec<usize>, String)> {
    let mut out = Vec::new();
    let Some(list) = components.as_array() else {
        return out;
    };
    for (i, c) in list.iter().enumerate() {
        if let Some(url) = c
            .pointer("/example/header_handle/0")
            .and_then(Value::as_str)
            && (url.starts_with("http://") || url.starts_with("https://"))
        {
            out.push((vec![i], url.to_owned()));
        }
        for (j, card) in c
            .get("cards")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (k, cc) in card
                .get("components")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(url) = cc
                    .pointer("/example/header_handle/0")
                    .and_then(Value::as_str)
                    && (url.starts_with("http://") || url.starts_with("https://"))
                {
                    out.push((vec![i, j, k], url.to_owned()));
                }
            }
        }
    }
    out
}

fn set_handle(components: &mut Value, at: &[usize], handle: &str) {
    let c = match at {
        [i] => components.get_mut(*i),
        [i, j, k] => components
            .get_mut(*i)
            .and_then(|c| c.get_mut("cards"))
            .and_then(|cards| cards.get_mut(*j))
            .and_then(|card| card.get_mut("components"))
            .and_then(|cs| cs.get_mut(*k)),
        _ => None,
    };
    if let Some(c) = c {
        c["example"]["header_handle"] = json!([handle]);
    }
}

/// `POST /addTemplate`.
pub async fn add(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let p = &call.principal;
    p.require_account_wide()?;
    let mut components = json_param(&call.params, "components")?
        .ok_or_else(|| ValidationError::missing("components", "is required"))?;
    let mut body = json!({
        "name": required(&call.params, "name")?,
        "category": required(&call.params, "category")?.to_uppercase(),
        "language": required(&call.params, "language")?,
        "components": components.clone(),
    });
    let draft = TemplateDraft::parse(&body).map_err(wagate_app::Error::from)?;
    lint(&draft).map_err(wagate_app::Error::from)?;
    let mut kept = Vec::new();
    for (at, url) in linked_handles(&components) {
        let got = state
            .app
            .media_from(
                p,
                &call.channel,
                MediaFrom {
                    source: Source::Link(url),
                    declared: None,
                    filename: None,
                    keep_as: KeepAs::UploadHandle,
                },
            )
            .await;
        let got = match got {
            Ok(got) => got,
            Err(e) => {
                for id in &kept {
                    let _ = state.app.delete_media(p, id).await;
                }
                return Err(ApiError::from(e).field("components"));
            }
        };
        kept.push(got.media.id.clone());
        if let Some(h) = &got.handle {
            set_handle(&mut components, &at, h);
        }
    }
    body["components"] = components;
    let created = match TemplateDraft::parse(&body).map_err(wagate_app::Error::from) {
        Ok(draft) => {
            state
                .app
                .create_channel_template(p, &call.channel, draft)
                .await
        }
        Err(e) => Err(e),
    };
    let t = match created {
        Ok(t) => t,
        Err(e) => {
            for id in &kept {
                // The samples were only for this template.
                let _ = state.app.delete_media(p, id).await;
            }
            return Err(e.into());
        }
    };
    Ok(Json(json!({
        "result": "success",
        "id": t.id.to_string(),
        "name": t.name.as_str(),
        "language": t.language.as_str(),
        "status": t.status.as_str().to_lowercase(),
    })))
}

/// `POST /removeTemplate`.
pub async fn remove(State(state): State<AppState>, call: Call) -> Result<Json<Value>, ApiError> {
    let raw = required(&call.params, "name")?;
    let unknown = || ApiError::not_found(ErrorCode::TemplateNotFound, "template", raw.clone());
    let name = TemplateName::parse(&raw).map_err(|_| unknown())?;
    let deleted = state
        .app
        .delete_channel_templates(&call.principal, &call.channel, &name)
        .await?;
    if deleted == 0 {
        return Err(unknown());
    }
    Ok(Json(json!({"result": "success"})))
}

/// `GET /templates`.
pub async fn list(
    State(state): State<AppState>,
    Instance { principal, channel }: Instance,
) -> Result<Json<Value>, ApiError> {
    let templates = state
        .app
        .channel_templates(&principal, &channel, None)
        .await?;
    let total = templates.len();
    let namespace = template_namespace(&channel.waba_id);
    let templates: Vec<Value> = templates
        .iter()
        .map(|t| {
            json!({
                "id": t.id.to_string(),
                "name": t.name.as_str(),
                "namespace": namespace,
                "language": t.language.as_str(),
                "category": t.category.as_str(),
                "status": t.status.as_str().to_lowercase(),
                "components": t.components,
                "rejected_reason": t.rejected_reason.as_ref().map(|r| r.as_str()),
            })
        })
        .collect();
    Ok(Json(json!({"total": total, "templates": templates})))
}

/// `POST /uploadMedia`: `body` a link, base64 with its mime data, or a form-data file →
/// `{mediaId}`, the id a template header's `video`/`document` parameter takes.
pub async fn upload(
    State(state): State<AppState>,
    mut call: Call,
) -> Result<Json<Value>, ApiError> {
    let media = file_of(&state, &mut call).await?;
    Ok(Json(json!({"mediaId": media.id.as_str()})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_read_as_the_cloud_api_reads_them() {
        let c = component(json!({"type": "button", "sub_type": "CATALOG", "index": 0,
            "parameters": [{"type": "action"}]}));
        assert_eq!(c["sub_type"], "catalog");
        assert_eq!(c["index"], "0");
        let c = component(json!({"type": "CAROUSEL", "cards": [{"card_index": 0,
            "components": [{"type": "HEADER"}, {"type": "button", "index": 1}]}]}));
        assert_eq!(c["type"], "carousel");
        assert_eq!(c["cards"][0]["components"][0]["type"], "header");
        assert_eq!(c["cards"][0]["components"][1]["index"], "1");
    }

    #[test]
    fn linked_header_examples_are_found_in_cards_too() {
        let components = json!([
            {"type": "HEADER", "example": {"header_handle": ["https://x/v.jpg"]}},
            {"type": "BODY"},
            {"type": "CAROUSEL", "cards": [{"components": [
                {"type": "HEADER", "example": {"header_handle": ["4::aW..."]}}]},
                {"components": [{"type": "HEADER",
                    "example": {"header_handle": ["http://y/v.mp4"]}}]}]}]);
        let found = linked_handles(&components);
        assert_eq!(
            found,
            [
                (vec![0], "https://x/v.jpg".to_owned()),
                (vec![2, 1, 0], "http://y/v.mp4".to_owned())
            ]
        );
        let mut c = components;
        set_handle(&mut c, &[2, 1, 0], "4::h");
        assert_eq!(
            c[2]["cards"][1]["components"][0]["example"]["header_handle"],
            json!(["4::h"])
        );
    }
}
