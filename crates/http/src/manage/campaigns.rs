//! `/api/v1/campaigns`: campaigns and broadcasts. A draft is created naming a channel, an
//! approved template and where its parameters come from; its audience is numbers, a file or
//! a contact segment; a launch (now or at a time) hands it to the `campaigns` worker, which
//! feeds the outbox, paced. Progress is read here per recipient and per day, exported, and
//! followed live (`/events`, Server-Sent Events) or by `campaigns` webhook events.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_app::campaigns::audience::{FileOptions, Segment};
use wagate_app::campaigns::report::{CampaignDay, DayCounts};
use wagate_app::campaigns::{CreateCampaign, Launch, recipient};
use wagate_app::contacts::import_file::FILE_MAX;
use wagate_core::Timestamp;
use wagate_core::campaign::model::{
    AudienceStatus, Campaign, CampaignParams, CampaignTemplate, Estimate, HeaderMedia, SkipCounts,
};
use wagate_core::campaign::{CampaignKind, CampaignName, CampaignStatus, PauseReason};
use wagate_core::contact::card::{AttributeKey, TagName};
use wagate_core::contact::import::{ImportFormat, RowError};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{CampaignId, ChannelId};
use wagate_core::phone::PhoneE164;
use wagate_store::{CampaignFilter, RecipientFilter, RecipientState, RecipientView};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{JsonBody, Query, parse_json};
use crate::manage::ErrorBody;
use crate::manage::contact_imports::{bad_multipart, read_upload};
use crate::manage::paging::{List, ListQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(audience))
        .routes(routes!(launch))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(cancel))
        .routes(routes!(recipients, add_recipient))
        .routes(routes!(errors))
        .routes(routes!(analytics))
        .routes(routes!(export))
        .routes(routes!(events))
        .layer(DefaultBodyLimit::max(
            usize::try_from(FILE_MAX).unwrap_or(usize::MAX) + 64 * 1024,
        ))
}

fn campaign_id(raw: &str) -> Result<CampaignId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::CampaignNotFound, "campaign", raw))
}

fn naming(id: &str) -> impl Fn(wagate_app::Error) -> ApiError + '_ {
    move |e| ApiError::naming(e, ErrorCode::CampaignNotFound, "campaign", id)
}

/// A campaign to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// Unique in the account, ignoring case; 1 to 128 characters.
    pub name: String,
    /// `broadcast` (the audience is fixed at launch) or `api` (one recipient per call).
    pub kind: CampaignKind,
    pub channel_id: ChannelId,
    /// A template of the channel's WABA; it must be APPROVED at launch.
    pub template: CampaignTemplate,
    /// Where each parameter comes from: `{"from": "fixed", "value": …}`, `{"from":
    /// "column", "name": "var1"}` (an audience file's column) or `{"from": "attribute",
    /// "name": "city"}` (the contact's attribute, or `name`), each with an optional
    /// `fallback`.
    #[serde(default)]
    pub params: CampaignParams,
    /// Messages per second at most, 1 to 1,000 (default: the channel's throughput).
    pub rate: Option<u32>,
    /// Launch even when the wallet does not cover the estimate: the campaign pauses when
    /// the wallet refuses a send.
    #[serde(default)]
    pub allow_partial: bool,
    /// A broadcast only: launch by itself once its audience (a file or a segment) has
    /// loaded, with the checks a launch makes; a refused launch fails the campaign with the
    /// reason in `failure`.
    #[serde(default)]
    pub launch_when_ready: bool,
}

/// A campaign: its definition, where it is, and its figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: CampaignId,
    pub name: String,
    pub kind: CampaignKind,
    pub channel_id: ChannelId,
    pub template: CampaignTemplate,
    pub params: CampaignParams,
    pub status: CampaignStatus,
    /// Why it is paused.
    pub pause_reason: Option<PauseReason>,
    /// Why it failed.
    pub failure: Option<String>,
    pub rate: Option<u32>,
    pub allow_partial: bool,
    pub launch_when_ready: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub scheduled_at: Option<Timestamp>,
    pub timezone: Option<String>,
    pub audience: AudienceView,
    pub counts: CountsView,
    /// The estimate made at launch.
    pub estimate: Option<Estimate>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
}

/// The audience's state: loading (a file or a segment being read), ready, failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct AudienceView {
    pub status: AudienceStatus,
    /// Rows read so far by a load.
    pub rows_read: Option<u64>,
    pub failure: Option<String>,
    /// Refused rows, with their row number, column and reason.
    pub errors_url: String,
}

/// Recipients and what became of them. `sent` counts messages that reached `sent` (later
/// `delivered` and `read` ones too), `delivered` those that reached `delivered`, and so on.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsView {
    pub recipients: u64,
    /// Turned into messages.
    pub queued: u64,
    /// Never sent, by reason.
    pub skipped: u64,
    pub skipped_by_reason: SkipCounts,
    /// Waiting for their message.
    pub pending: u64,
    #[serde(flatten)]
    pub progress: DayCounts,
}

impl CampaignView {
    fn of(c: Campaign, progress: DayCounts) -> Self {
        let skipped = c.skipped.total();
        let waiting_skips = skipped - c.skipped.duplicate - c.skipped.invalid;
        let pending = c
            .recipients
            .saturating_sub(c.queued)
            .saturating_sub(waiting_skips.saturating_sub(c.skipped.missing_parameter));
        Self {
            audience: AudienceView {
                status: c.audience_status,
                rows_read: c.audience_load.as_ref().map(|l| l.rows_read),
                failure: c.audience_failure.clone(),
                errors_url: format!("/api/v1/campaigns/{}/errors", c.id),
            },
            counts: CountsView {
                recipients: c.recipients,
                queued: c.queued,
                skipped,
                skipped_by_reason: c.skipped,
                pending,
                progress,
            },
            id: c.id,
            name: c.name.as_str().to_owned(),
            kind: c.kind,
            channel_id: c.channel_id,
            template: c.template,
            params: c.params,
            status: c.status,
            pause_reason: c.pause_reason,
            failure: c.failure,
            rate: c.rate,
            allow_partial: c.allow_partial,
            launch_when_ready: c.launch_when_ready,
            scheduled_at: c.scheduled_at,
            timezone: c.timezone,
            estimate: c.estimate,
            created_at: c.created_at,
            updated_at: c.updated_at,
            started_at: c.started_at,
            finished_at: c.finished_at,
        }
    }
}

pub(crate) async fn view(
    state: &AppState,
    p: &wagate_app::Principal,
    c: Campaign,
) -> Result<CampaignView, ApiError> {
    let totals = state.app.campaign_totals(p, c.id).await?;
    Ok(CampaignView::of(c, totals))
}

/// Create a campaign (a draft). The template must exist in the channel's WABA.
#[utoipa::path(post, path = "/campaigns", operation_id = "create_campaign", tag = "campaigns",
    request_body = CreateBody,
    responses((status = 201, body = CampaignView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Auth(p): Auth,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<(StatusCode, Json<CampaignView>), ApiError> {
    let cmd = CreateCampaign {
        name: CampaignName::parse(&body.name)?,
        kind: body.kind,
        channel_id: body.channel_id,
        template: template(body.template)?,
        params: body.params,
        rate: body.rate,
        allow_partial: body.allow_partial,
        launch_when_ready: body.launch_when_ready,
    };
    let c = state.app.create_campaign(&p, cmd).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &p, c).await?)))
}

fn template(t: CampaignTemplate) -> Result<CampaignTemplate, ApiError> {
    let name = t.name.trim();
    if name.is_empty() || name.len() > 512 {
        return Err(ValidationError::new("template.name", "must be 1 to 512 characters").into());
    }
    let language = t.language.trim();
    if language.is_empty() || language.len() > 16 {
        return Err(ValidationError::new(
            "template.language",
            "must be a language code like en_US",
        )
        .into());
    }
    Ok(CampaignTemplate {
        name: name.to_owned(),
        language: language.to_owned(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// Only campaigns in this status.
    pub status: Option<String>,
    /// `api` or `broadcast`.
    pub kind: Option<String>,
    pub channel_id: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    #[param(format = Uuid)]
    pub after: Option<String>,
}

/// The account's campaigns, newest first.
#[utoipa::path(get, path = "/campaigns", operation_id = "list_campaigns", tag = "campaigns",
    params(CampaignQuery),
    responses((status = 200, body = List<CampaignView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<CampaignQuery>,
) -> Result<Json<List<CampaignView>>, ApiError> {
    let (page, limit) = ListQuery {
        limit: q.limit,
        after: q.after.clone(),
    }
    .page::<CampaignId>()?;
    let bad = |field: &str, msg: &str| {
        ApiError::new(ErrorCode::InvalidQuery, msg.to_owned()).field(field)
    };
    let filter = CampaignFilter {
        status: q
            .status
            .as_deref()
            .map(|s| {
                CampaignStatus::parse(s).ok_or_else(|| {
                    bad(
                        "status",
                        "must be draft, scheduled, running, paused, completed, cancelled or failed",
                    )
                })
            })
            .transpose()?,
        kind: q
            .kind
            .as_deref()
            .map(|k| CampaignKind::parse(k).ok_or_else(|| bad("kind", "must be api or broadcast")))
            .transpose()?,
        channel_id: q
            .channel_id
            .as_deref()
            .map(|c| {
                c.parse()
                    .map_err(|_| bad("channel_id", "is not a channel id"))
            })
            .transpose()?,
        channels: None,
    };
    let rows = state.app.list_campaigns(&p, filter, &page).await?;
    let more = rows.len() > limit;
    let mut data = Vec::with_capacity(rows.len().min(limit));
    let next_after = if more {
        rows.get(limit - 1).map(|c| c.id.to_string())
    } else {
        None
    };
    for c in rows.into_iter().take(limit) {
        data.push(view(&state, &p, c).await?);
    }
    Ok(Json(List { data, next_after }))
}

/// One campaign, with its counts.
#[utoipa::path(get, path = "/campaigns/{id}", operation_id = "get_campaign", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 200, body = CampaignView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let cid = campaign_id(&id)?;
    let c = state.app.get_campaign(&p, cid).await.map_err(naming(&id))?;
    Ok(Json(view(&state, &p, c).await?))
}

/// A JSON audience: numbers, or a contact segment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AudienceBody {
    /// Numbers in international format (`+447700900123`), up to 10,000 per call.
    pub numbers: Option<Vec<String>>,
    /// The contacts with this tag, attribute value and recent activity.
    pub segment: Option<SegmentBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentBody {
    pub tag: Option<String>,
    /// `{"key": "city", "value": "Pune"}`.
    pub attribute: Option<AttributeBody>,
    /// Active (a message either way) at or after this time.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub active_since: Option<Timestamp>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeBody {
    pub key: String,
    pub value: String,
}

/// The multipart form of an audience file.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AudienceForm {
    /// A CSV or XLSX whose first row names the columns: the number (`Mobile`, `phone`…),
    /// optionally `Country` (its calling code) and `name`, and the columns the parameters
    /// read (seed 001's layout: Country, Mobile, ctaVar1, ctaVar2, var1..n).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    #[schema(pattern = "^(csv|xlsx)$")]
    pub format: Option<String>,
    /// The number column's header, when it is not guessed.
    pub phone_column: Option<String>,
    #[schema(pattern = r"^\+?[0-9]{1,3}$")]
    pub default_country_code: Option<String>,
}

/// What an audience call did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AudienceResult {
    pub campaign: CampaignView,
    /// Numbers stored (JSON numbers).
    pub added: u64,
    /// Numbers refused: invalid, or in the audience already.
    pub refused: Vec<RowError>,
}

/// Set a draft's audience: a CSV/XLSX (multipart `file`: checked now, refused with 400
/// when its header does not map; loaded in the background, 202), JSON `numbers` (stored at
/// once) or a contact `segment` (loaded in the background, 202). Refused rows are listed at
/// the campaign's `errors`.
#[utoipa::path(post, path = "/campaigns/{id}/audience", operation_id = "campaign_audience", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    request_body(content((AudienceBody = "application/json"), (AudienceForm = "multipart/form-data"))),
    responses((status = 200, body = AudienceResult), (status = 202, body = AudienceResult), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn audience(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    req: Request,
) -> Result<(StatusCode, Json<AudienceResult>), ApiError> {
    let cid = campaign_id(&id)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(req, &state)
            .await
            .map_err(bad_multipart)?;
        let (staged, file_name, fields) = read_upload(&state, &mut multipart).await?;
        let format = fields
            .get("format")
            .filter(|f| !f.trim().is_empty())
            .map(|f| {
                ImportFormat::parse(f.trim()).ok_or_else(|| {
                    ApiError::from(ValidationError::new("format", "must be `csv` or `xlsx`"))
                })
            })
            .transpose()?;
        let options = FileOptions {
            file_name: file_name.unwrap_or_else(|| "upload".to_owned()),
            format,
            phone_column: fields
                .get("phone_column")
                .filter(|v| !v.trim().is_empty())
                .cloned(),
            default_country_code: fields
                .get("default_country_code")
                .filter(|v| !v.trim().is_empty())
                .cloned(),
        };
        let c = state
            .app
            .upload_campaign_audience(&p, cid, options, staged)
            .await
            .map_err(naming(&id))?;
        let campaign = view(&state, &p, c).await?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(AudienceResult {
                campaign,
                added: 0,
                refused: Vec::new(),
            }),
        ));
    }
    let JsonBody(body) = JsonBody::<AudienceBody>::from_request(req, &state).await?;
    match (body.numbers, body.segment) {
        (Some(numbers), None) => {
            let mut recipients = Vec::with_capacity(numbers.len());
            let mut refused = Vec::new();
            for (i, n) in numbers.iter().enumerate() {
                match PhoneE164::parse(n) {
                    Ok(wa_id) => recipients.push(recipient(wa_id, None, None)),
                    Err(_) => refused.push(RowError {
                        row: i as u64 + 1,
                        column: "numbers".into(),
                        reason: format!("`{n}` is not a phone number in international format"),
                    }),
                }
            }
            if recipients.is_empty() {
                return Err(ValidationError::new("numbers", "no valid number given").into());
            }
            let added = state
                .app
                .add_campaign_recipients(&p, cid, recipients)
                .await
                .map_err(naming(&id))?;
            for d in &added.duplicates {
                refused.push(RowError {
                    row: numbers
                        .iter()
                        .position(|n| PhoneE164::parse(n).is_ok_and(|w| w == *d))
                        .map_or(0, |i| i as u64 + 1),
                    column: "numbers".into(),
                    reason: format!("{d} is in the audience already"),
                });
            }
            let c = state.app.get_campaign(&p, cid).await?;
            Ok((
                StatusCode::OK,
                Json(AudienceResult {
                    campaign: view(&state, &p, c).await?,
                    added: added.added.len() as u64,
                    refused,
                }),
            ))
        }
        (None, Some(s)) => {
            let segment = Segment {
                tag: s.tag.as_deref().map(TagName::parse).transpose()?,
                attribute: s
                    .attribute
                    .map(|a| Ok::<_, ValidationError>((AttributeKey::parse(&a.key)?, a.value)))
                    .transpose()?,
                active_since: s.active_since,
            };
            let c = state
                .app
                .segment_campaign_audience(&p, cid, segment)
                .await
                .map_err(naming(&id))?;
            Ok((
                StatusCode::ACCEPTED,
                Json(AudienceResult {
                    campaign: view(&state, &p, c).await?,
                    added: 0,
                    refused: Vec::new(),
                }),
            ))
        }
        _ => Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "give exactly one of `numbers` and `segment` (or upload a file as multipart)",
        )),
    }
}

/// When to launch: now (no body, or no `at`), or at `at` — an RFC 3339 time, or a local
/// time (`2026-12-24T09:00`) in `timezone`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchBody {
    pub at: Option<String>,
    /// An IANA zone (`Asia/Kolkata`).
    pub timezone: Option<String>,
}

pub(crate) fn launch_time(body: &LaunchBody) -> Result<Launch, ApiError> {
    let zone = body
        .timezone
        .as_deref()
        .map(|z| {
            jiff::tz::TimeZone::get(z)
                .map(|tz| (z.to_owned(), tz))
                .map_err(|_| {
                    ValidationError::new("timezone", "is not an IANA time zone, like Asia/Kolkata")
                })
        })
        .transpose()?;
    let Some(at) = body.at.as_deref() else {
        return Ok(Launch::default());
    };
    let when = match at.parse::<Timestamp>() {
        Ok(t) => t,
        Err(_) => {
            let civil: jiff::civil::DateTime = at.parse().map_err(|_| {
                ValidationError::new(
                    "at",
                    "must be an RFC 3339 time, or a local time like 2026-12-24T09:00 with `timezone`",
                )
            })?;
            let Some((_, tz)) = &zone else {
                return Err(ValidationError::missing(
                    "timezone",
                    "a local `at` needs a `timezone`",
                )
                .into());
            };
            civil
                .to_zoned(tz.clone())
                .map_err(|_| ValidationError::new("at", "does not exist in that time zone"))?
                .timestamp()
        }
    };
    Ok(Launch {
        at: Some(when),
        timezone: zone.map(|(z, _)| z),
    })
}

/// Launch a draft now or at a time. The template must be APPROVED and fill with the mapped
/// parameters; the launch is refused (402 `campaign_unfunded`) when the wallet cannot
/// cover the estimate, unless the campaign allows a partial run.
#[utoipa::path(post, path = "/campaigns/{id}/launch", operation_id = "launch_campaign", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    request_body(content = Option<LaunchBody>, content_type = "application/json"),
    responses((status = 200, body = CampaignView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 402, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn launch(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<CampaignView>, ApiError> {
    let cid = campaign_id(&id)?;
    let body: LaunchBody = if body.iter().all(u8::is_ascii_whitespace) {
        LaunchBody::default()
    } else {
        parse_json(&body)?
    };
    let cmd = launch_time(&body)?;
    let c = state
        .app
        .launch_campaign(&p, cid, cmd)
        .await
        .map_err(naming(&id))?;
    Ok(Json(view(&state, &p, c).await?))
}

macro_rules! action {
    ($name:ident, $path:literal, $op:literal, $call:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, operation_id = $op, tag = "campaigns",
                    params(("id" = String, Path, description = "Campaign id")),
                    responses((status = 200, body = CampaignView), (status = 401, body = ErrorBody),
                        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
        pub async fn $name(
            State(state): State<AppState>,
            Auth(p): Auth,
            Path(id): Path<String>,
        ) -> Result<Json<CampaignView>, ApiError> {
            let cid = campaign_id(&id)?;
            let c = state.app.$call(&p, cid).await.map_err(naming(&id))?;
            Ok(Json(view(&state, &p, c).await?))
        }
    };
}

action!(
    pause,
    "/campaigns/{id}/pause",
    "pause_campaign",
    pause_campaign,
    "Pause a scheduled or running campaign: no new message leaves after the step in flight."
);
action!(
    resume,
    "/campaigns/{id}/resume",
    "resume_campaign",
    resume_campaign,
    "Resume a paused campaign (one paused for its template once it is APPROVED again)."
);
action!(
    cancel,
    "/campaigns/{id}/cancel",
    "cancel_campaign",
    cancel_campaign,
    "Cancel a campaign: recipients without a message never get one."
);

/// One recipient of an API campaign.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddRecipientBody {
    /// The number, international format.
    pub to: String,
    /// Values for every parameter, in order (header, body, buttons); else the campaign's
    /// mapping (fixed values, the contact's attributes) applies.
    pub params: Option<Vec<String>>,
    /// This recipient's header media.
    pub media: Option<HeaderMedia>,
}

/// What adding a recipient did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddedRecipient {
    /// The recipient's row; its message follows within the campaign's pacing.
    pub row: u64,
    #[schema(value_type = String)]
    pub to: PhoneE164,
}

/// Add a recipient to an API campaign (its audience grows one send at a time), or a number
/// to a draft. A number already in the audience is refused (409).
#[utoipa::path(post, path = "/campaigns/{id}/recipients", operation_id = "add_campaign_recipient", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    request_body = AddRecipientBody,
    responses((status = 202, body = AddedRecipient), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_recipient(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AddRecipientBody>,
) -> Result<(StatusCode, Json<AddedRecipient>), ApiError> {
    let cid = campaign_id(&id)?;
    let to = PhoneE164::parse(&body.to).map_err(|_| {
        ValidationError::new("to", "must be a phone number in international format")
    })?;
    let added = state
        .app
        .add_campaign_recipients(
            &p,
            cid,
            vec![recipient(to.clone(), body.params, body.media)],
        )
        .await
        .map_err(naming(&id))?;
    let Some(row) = added.added.first().copied() else {
        return Err(ApiError::new(
            ErrorCode::CampaignState,
            format!("{to} is in the campaign's audience already"),
        )
        .field("to"));
    };
    Ok((StatusCode::ACCEPTED, Json(AddedRecipient { row, to })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecipientQuery {
    /// PENDING, SKIPPED, QUEUED, SENT (sent or later), DELIVERED (delivered or read), READ,
    /// FAILED or REPLIED.
    pub status: Option<String>,
    /// Queued at or after (RFC 3339).
    pub since: Option<String>,
    /// Queued before (RFC 3339).
    pub until: Option<String>,
    /// `asc` (by row, default) or `desc`.
    #[param(pattern = "^(asc|desc)$")]
    pub order: Option<String>,
    /// Only these fields of each row, comma-separated (`row,wa_id,status`).
    pub fields: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Rows after this one in the list's order (the previous page's `next_after`).
    pub after: Option<u64>,
}

/// A page of recipients.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientList {
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<serde_json::Value>,
    /// Recipients matching the filters (every page).
    pub total: u64,
    pub next_after: Option<u64>,
}

const RECIPIENT_FIELDS: &[&str] = &[
    "row",
    "wa_id",
    "status",
    "skip_reason",
    "message_id",
    "wamid",
    "queued_at",
    "sent_at",
    "delivered_at",
    "read_at",
    "failed_at",
    "error_code",
    "error_title",
    "replied_at",
    "cost",
];

fn time_param(field: &str, v: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    v.map(|s| {
        s.parse::<Timestamp>().map_err(|_| {
            ApiError::new(ErrorCode::InvalidQuery, "must be an RFC 3339 time").field(field)
        })
    })
    .transpose()
}

fn recipient_filter(q: &RecipientQuery) -> Result<RecipientFilter, ApiError> {
    Ok(RecipientFilter {
        state: q
            .status
            .as_deref()
            .map(|s| {
                RecipientState::parse(s).ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidQuery,
                        "must be PENDING, SKIPPED, QUEUED, SENT, DELIVERED, READ, FAILED or REPLIED",
                    )
                    .field("status")
                })
            })
            .transpose()?,
        since: time_param("since", q.since.as_deref())?,
        until: time_param("until", q.until.as_deref())?,
        descending: match q.order.as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => {
                return Err(ApiError::new(ErrorCode::InvalidQuery, "must be asc or desc").field("order"));
            }
        },
    })
}

/// The campaign's recipients: each one's message, status times, failure, reply and cost,
/// filtered, in row order, with the total.
#[utoipa::path(get, path = "/campaigns/{id}/recipients", operation_id = "campaign_recipients", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id"), RecipientQuery),
    responses((status = 200, body = RecipientList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn recipients(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<RecipientQuery>,
) -> Result<Json<RecipientList>, ApiError> {
    let cid = campaign_id(&id)?;
    let filter = recipient_filter(&q)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(
            ApiError::new(ErrorCode::InvalidQuery, "must be between 1 and 1000").field("limit"),
        );
    }
    let fields: Option<Vec<&str>> = q
        .fields
        .as_deref()
        .map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(|f| {
                    RECIPIENT_FIELDS
                        .iter()
                        .copied()
                        .find(|k| *k == f)
                        .ok_or_else(|| {
                            ApiError::new(
                                ErrorCode::InvalidQuery,
                                format!(
                                    "`{f}` is not a field; known: {}",
                                    RECIPIENT_FIELDS.join(", ")
                                ),
                            )
                            .field("fields")
                        })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let (rows, total) = state
        .app
        .campaign_recipients(&p, cid, &filter, q.after, limit + 1)
        .await
        .map_err(naming(&id))?;
    let more = rows.len() > limit as usize;
    let rows: Vec<RecipientView> = rows.into_iter().take(limit as usize).collect();
    let next_after = if more {
        rows.last().map(|r| r.row)
    } else {
        None
    };
    let data = rows
        .into_iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r).unwrap_or_default();
            if let (Some(fields), Some(obj)) = (&fields, v.as_object_mut()) {
                obj.retain(|k, _| fields.contains(&k.as_str()));
            }
            v
        })
        .collect();
    Ok(Json(RecipientList {
        data,
        total,
        next_after,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ErrorsQuery {
    #[param(minimum = 0)]
    pub after: Option<u64>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A page of refused rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorList {
    pub data: Vec<RowError>,
    pub next_after: Option<u64>,
}

/// The rows the audience loads refused: row number (the header is row 1), column and
/// reason.
#[utoipa::path(get, path = "/campaigns/{id}/errors", operation_id = "campaign_errors", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id"), ErrorsQuery),
    responses((status = 200, body = ErrorList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn errors(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<ErrorsQuery>,
) -> Result<Json<ErrorList>, ApiError> {
    let cid = campaign_id(&id)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(
            ApiError::new(ErrorCode::InvalidQuery, "must be between 1 and 1000").field("limit"),
        );
    }
    let mut rows = state
        .app
        .campaign_errors(&p, cid, q.after.unwrap_or(0), limit + 1)
        .await
        .map_err(naming(&id))?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_after = if more {
        rows.last().map(|r| r.row)
    } else {
        None
    };
    Ok(Json(ErrorList {
        data: rows,
        next_after,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// From this time (RFC 3339; default: the campaign's start).
    pub since: Option<String>,
    /// Before this time (RFC 3339).
    pub until: Option<String>,
}

/// Per day (in the account's time zone).
#[derive(Debug, Serialize, ToSchema)]
pub struct DayList {
    pub data: Vec<CampaignDay>,
}

/// The campaign per day: sent, delivered, read, failed, replied, charged and cost, by
/// category and country.
#[utoipa::path(get, path = "/campaigns/{id}/analytics", operation_id = "campaign_analytics", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id"), AnalyticsQuery),
    responses((status = 200, body = DayList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn analytics(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Json<DayList>, ApiError> {
    let cid = campaign_id(&id)?;
    let since = time_param("since", q.since.as_deref())?;
    let until = time_param("until", q.until.as_deref())?;
    let data = state
        .app
        .campaign_days(&p, cid, since, until)
        .await
        .map_err(naming(&id))?;
    Ok(Json(DayList { data }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    #[param(pattern = "^(csv|xlsx)$")]
    pub format: Option<String>,
    /// Only recipients in this state (as the list).
    pub status: Option<String>,
}

/// The campaign's audience with each recipient's progress, as CSV (streamed) or XLSX.
#[utoipa::path(get, path = "/campaigns/{id}/export", operation_id = "export_campaign", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id"), ExportQuery),
    responses((status = 200, description = "The file", content((String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let cid = campaign_id(&id)?;
    let format = match q.format.as_deref() {
        None => ImportFormat::Csv,
        Some(f) => ImportFormat::parse(f).ok_or_else(|| {
            ApiError::new(ErrorCode::InvalidQuery, "must be `csv` or `xlsx`").field("format")
        })?,
    };
    let filter = recipient_filter(&RecipientQuery {
        status: q.status,
        since: None,
        until: None,
        order: None,
        fields: None,
        limit: None,
        after: None,
    })?;
    let stream = state
        .app
        .export_campaign(&p, cid, filter, format)
        .await
        .map_err(naming(&id))?;
    let (content_type, name) = match format {
        ImportFormat::Csv => ("text/csv; charset=utf-8", "audience.csv"),
        ImportFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "audience.xlsx",
        ),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// How often the live stream looks at the campaign.
const EVENTS_EVERY: Duration = Duration::from_millis(500);

/// The campaign live, as Server-Sent Events: a `campaign` event with the campaign (as `GET`
/// answers it) at once and whenever it changes, until it is completed, cancelled or failed.
#[utoipa::path(get, path = "/campaigns/{id}/events", operation_id = "campaign_events", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 200, description = "`text/event-stream` of `campaign` events", content_type = "text/event-stream"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let cid = campaign_id(&id)?;
    let first = state.app.get_campaign(&p, cid).await.map_err(naming(&id))?;
    struct Live {
        state: AppState,
        p: wagate_app::Principal,
        next: Option<Campaign>,
        last: String,
        ended: bool,
    }
    let live = Live {
        state,
        p,
        next: Some(first),
        last: String::new(),
        ended: false,
    };
    let stream = futures::stream::unfold(live, move |mut live| async move {
        while !live.ended {
            let c = match live.next.take() {
                Some(c) => c,
                None => {
                    tokio::time::sleep(EVENTS_EVERY).await;
                    live.state.app.get_campaign(&live.p, cid).await.ok()?
                }
            };
            let done = c.status.is_final();
            let json = serde_json::to_string(&view(&live.state, &live.p, c).await.ok()?).ok()?;
            live.ended = done;
            if json != live.last {
                live.last.clone_from(&json);
                let event = Event::default().event("campaign").data(json);
                return Some((Ok::<_, Infallible>(event), live));
            }
        }
        None
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}
