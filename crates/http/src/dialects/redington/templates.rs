//! §8 submit a template (`POST …/wa_template`), §9 list (`GET …/wa_template`), §10 get and
//! §11 delete one (`GET`/`DELETE …/wa_template/{wa_template_id}`): the project's WABA's
//! templates, through the same services as `/{waba_id}/message_templates`.
//!
//! **Submit** reads the seed's simplified form ([`wire::template`](super::wire::template)
//! has the field-by-field mapping) into Meta's create body, then creates it with the core's
//! `create_template`: Meta's lint (so an invalid template is refused with Meta's reason, as
//! the provider would after review, and nothing is stored), the hourly and count quotas, and
//! review (`PENDING` until the sandbox reviewer, or Meta for a cloud channel, decides).
//! Errors name the seed's field (`call_to_action[1]`, `sample_text`), not Meta's component
//! path.
//!
//! Choices where the seed is silent or contradicts itself:
//!
//! - `category`: TRANSACTIONAL/MARKETING/OTP as its table says, and UTILITY/AUTHENTICATION as
//!   its samples send: TRANSACTIONAL is UTILITY and OTP is AUTHENTICATION (Meta's own
//!   migration of those names). An AUTHENTICATION template needs Meta's OTP button, which
//!   this form cannot describe, so one is always refused with Meta's reason (Sample 3's
//!   phone and URL buttons are); create authentication templates on the Cloud API plane.
//! - `language`: Meta's display name ("English (US)", "Afrikaans") or the code (`en_US`);
//!   answers give the display name.
//! - `type`: TEXT, IMAGE, VIDEO, FILE (= DOCUMENT, also accepted) and LOCATION; CAROUSEL and
//!   ORDER_DETAILS are refused (604). `header_type`, when given, names the header too and
//!   must agree with a media `type`.
//! - **Header samples**: WhatsApp reviews a media template with a sample of its header, and
//!   the seed has no field for it. wagate takes `sample_media` (a public URL, fetched under
//!   the media fetcher's guard, or the id `…/media` answered) or `header_handle` (a
//!   Resumable Upload handle, used as is); a media template without one is refused (601,
//!   `field: sample_media`), as Meta refuses one without `header_handle`. The template is
//!   linted before the sample is fetched, and a fetched sample is deleted again when the
//!   create is refused.
//! - `sample_text`: the text with each `{{n}}` replaced by its sample in `[brackets]`; the
//!   values become the body's example. Required only when `text` has variables (Sample 2
//!   sends `"test"` for a text without any).
//! - `message_action_type`: CTA takes `call_to_action` only, QuickReplies `quick_replies`
//!   only, None neither, All anything; absent, it is what the buttons make it. Quick
//!   replies come first, then calls to action (Meta wants each kind grouped).
//! - A dynamic URL (`https://…/{{1}}`) needs Meta's sample: a call to action's optional
//!   `example` (a full URL or the value for `{{1}}`), else the URL with `1` for `{{1}}`.
//! - `buttons` (listed without an example) are Meta's button objects, added as they are;
//!   `limited_time_Offer` becomes Meta's LIMITED_TIME_OFFER; `carousel_cards` are refused.
//! - **Sample 1 as documented is refused**: its body ends with `{{2}}`, and WhatsApp refuses
//!   a body that starts or ends with a variable (Graph subcode 2388299, "add words after
//!   it"), so wagate does too, with that reason (601, `field: text`). The provider would get
//!   the same answer from WhatsApp; the document's own answer (PENDING) cannot be real.
//!   Words after `{{2}}` are enough (punctuation alone is not).
//! - Samples 2 and 3 both create `temp_name_1` in Afrikaans: a second create of a name and
//!   language is refused with Meta's "already exists" (Sample 3 is refused earlier anyway).
//!
//! **The object** answered (create, list, get): `id` is wagate's template id (Meta's decimal
//! id format, a string); `assistant_name` the channel's verified name; `project_id` the
//! channel's id; `business_id` the WABA id; `partner_id` the account id; times are epoch
//! milliseconds; `text` is the body with each button as ` | [title]`, ` | [title,url]` or
//! ` | [title,phone]` (the seed's rendering); `sample_text` the body with its example values
//! in `[brackets]`; `total_parameters` the body's variables; `rejected_reason` `NONE` or
//! the review's reason (absent from §8's answer, as the seed shows it). `label` has no
//! counterpart in WhatsApp's template: §8 answers the label it was given, lists and gets
//! answer the name as the label.
//!
//! **Who may**: templates belong to the WABA, shared by all its numbers, so submitting and
//! deleting need an account-wide key (403 for a key limited to the project, as on the Cloud
//! API plane); listing and getting need only the project's key.
//!
//! **List** (§9): `limit` 1–100 (default 10), `after` / `before` a template id from a
//! previous answer (exclusive; one of them), oldest first. `size` is the entries of this
//! page, `count` all the templates of the project's WABA (the seed's example says `size: 9,
//! count: 10` beside 8 entries: a typo either way). An unknown or foreign cursor is 601.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use serde_json::{Value, json};
use wagate_app::media::from::{KeepAs, MediaFrom, Source};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::TemplateId;
use wagate_core::template::{Template, TemplateDraft, lint};
use wagate_store::{Page, TemplateFilter};

use super::auth::Project;
use super::wire::template::{self, Owner, Sample, Submit};
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::state::AppState;

/// §9's default page size.
const DEFAULT_LIMIT: u32 = 10;
/// §9's largest page.
const MAX_LIMIT: u32 = 100;

/// What §9's object shows beside a template of `project` (the campaigns' payload too).
pub(super) fn owner(project: &Project) -> Owner<'_> {
    Owner {
        project: project.channel.id,
        assistant_name: project.channel.verified_name.as_str(),
        partner: project.principal.account_id,
    }
}

/// A core error about Meta's create body, naming the seed's field instead.
fn as_seed(submit: &Submit, e: impl Into<ApiError>) -> ApiError {
    let mut e = e.into();
    if let Some(field) = e.field.take() {
        e.field = Some(submit.field(&field));
    }
    e
}

fn draft(submit: &Submit) -> Result<TemplateDraft, ApiError> {
    TemplateDraft::parse(&submit.meta).map_err(|e| as_seed(submit, wagate_app::Error::from(e)))
}

/// §8.
pub async fn create(
    State(state): State<AppState>,
    project: Project,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let p = &project.principal;
    p.require_account_wide()?;
    let mut submit = template::parse(&parse_json(&body)?)?;
    // Meta's rules first: nothing is fetched or kept for a template they refuse.
    let d = draft(&submit)?;
    lint(&d).map_err(|e| as_seed(&submit, wagate_app::Error::from(e)))?;
    let mut kept = None;
    let handle = match submit.sample.clone() {
        None | Some(Sample::Handle) => None,
        Some(Sample::Missing) => return Err(template::missing_sample().into()),
        Some(Sample::Media(id)) => Some(
            state
                .app
                .upload_handle_for_media(p, &project.channel, &id)
                .await
                .map_err(|e| {
                    let e = ApiError::naming(e, ErrorCode::MediaNotFound, "media", id.as_str());
                    e.field("sample_media")
                })?,
        ),
        Some(Sample::Link(url)) => {
            let got = state
                .app
                .media_from(
                    p,
                    &project.channel,
                    MediaFrom {
                        source: Source::Link(url),
                        declared: None,
                        filename: None,
                        keep_as: KeepAs::UploadHandle,
                    },
                )
                .await
                .map_err(|e| ApiError::from(e).field("sample_media"))?;
            kept = Some(got.media.id.clone());
            got.handle
        }
    };
    if let Some(h) = &handle {
        submit.set_handle(h);
    }
    let d = draft(&submit)?;
    let t = match state
        .app
        .create_channel_template(p, &project.channel, d)
        .await
    {
        Ok(t) => t,
        Err(e) => {
            if let Some(id) = kept {
                // The sample was only for this template.
                let _ = state.app.delete_media(p, &id).await;
            }
            return Err(as_seed(&submit, e));
        }
    };
    tracing::info!(template_id = %t.id.as_str(), "redington template submitted");
    Ok(Json(template::object(
        &t,
        owner(&project),
        Some((&submit.label, submit.action)),
    )))
}

/// A cursor or path id: one of the project's WABA's templates, else `None`.
async fn of_project(state: &AppState, project: &Project, raw: &str) -> Option<Template> {
    let id = TemplateId::parse(raw).ok()?;
    let t = state.app.get_template(&project.principal, &id).await.ok()?;
    (t.waba_id == project.channel.waba_id).then_some(t)
}

/// The template a list cursor names (601 naming `key` for anything else).
async fn cursor(
    state: &AppState,
    project: &Project,
    key: &str,
    raw: &str,
) -> Result<Template, ApiError> {
    of_project(state, project, raw).await.ok_or_else(|| {
        ValidationError::new(key, format!("`{raw}` is not a template id of this project")).into()
    })
}

/// §9.
pub async fn list(
    State(state): State<AppState>,
    project: Project,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let limit = match q.get("limit").map(|l| l.trim()) {
        None | Some("") => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ValidationError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                )
            })?,
    };
    let param = |key: &'static str| q.get(key).map(|s| s.trim()).filter(|s| !s.is_empty());
    let (after, before) = (param("after"), param("before"));
    if after.is_some() && before.is_some() {
        return Err(ValidationError::new("before", "give after or before, not both").into());
    }
    let waba = &project.channel.waba_id;
    let all = TemplateFilter::default();
    let (rows, count) = match (after, before) {
        (_, Some(b)) => {
            let b = cursor(&state, &project, "before", b).await?;
            state
                .app
                .list_templates_before(&project.principal, waba, &all, &b.id, limit)
                .await?
        }
        (Some(a), None) => {
            let a = cursor(&state, &project, "after", a).await?;
            let page = Page::after(Some(a.id), limit);
            state
                .app
                .list_templates(&project.principal, waba, &all, &page)
                .await?
        }
        (None, None) => {
            state
                .app
                .list_templates(&project.principal, waba, &all, &Page::first(limit))
                .await?
        }
    };
    let template: Vec<Value> = rows
        .iter()
        .map(|t| template::object(t, owner(&project), None))
        .collect();
    Ok(Json(json!({
        "template": template,
        "size": template.len(),
        "count": count,
    })))
}

/// §10.
pub async fn get(
    State(state): State<AppState>,
    project: Project,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let t = of_project(&state, &project, &id)
        .await
        .ok_or_else(|| ApiError::not_found(ErrorCode::TemplateNotFound, "template", &id))?;
    Ok(Json(template::object(&t, owner(&project), None)))
}

/// §11.
pub async fn delete(
    State(state): State<AppState>,
    project: Project,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    project.principal.require_account_wide()?;
    let t = of_project(&state, &project, &id)
        .await
        .ok_or_else(|| ApiError::not_found(ErrorCode::TemplateNotFound, "template", &id))?;
    state
        .app
        .delete_templates(&project.principal, &t.waba_id, &t.name, Some(&t.id))
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::TemplateNotFound, "template", &id))?;
    Ok(Json(json!({"status": "success"})))
}
