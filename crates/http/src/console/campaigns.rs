//! Campaigns (`/console/campaigns`): the wizard, live progress, pause, resume, cancel, the audience and daily analytics.
//!
//! The wizard is two steps on the campaign service: the first form creates the draft
//! (`App::create_campaign`: channel, approved template, parameter mapping) and loads its
//! audience (a tag or an attribute segment of the contact book, or a CSV/XLSX file, the
//! API's audience loads); the campaign's page then shows the load, the launch's own
//! estimate and whether the wallet covers it (`App::estimate_campaign`), and launches now
//! or at a time (`App::launch_campaign`). A running campaign's page refreshes its figures.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use futures::TryStreamExt;
use serde::Deserialize;
use wagate_app::campaigns::CreateCampaign;
use wagate_app::campaigns::audience::{FileOptions, Segment};
use wagate_app::contacts::import_file::FILE_MAX;
use wagate_app::media::staging::Staged;
use wagate_core::campaign::model::{AudienceStatus, CampaignParams, CampaignTemplate};
use wagate_core::campaign::{CampaignKind, CampaignName, CampaignStatus, Param, ParamSource};
use wagate_core::contact::card::{AttributeKey, TagName};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{CampaignId, ChannelId};
use wagate_core::template::TemplateStatus;
use wagate_store::{CampaignFilter, Page, RecipientFilter, RecipientState, TemplateFilter};

use super::contacts::{form, given};
use super::home::{micros, visible_channels};
use super::{Chrome, Console, page};
use crate::error::ApiError;
use crate::extract::Query;
use crate::manage::campaigns::{CampaignView, LaunchBody, launch_time, view};
use crate::state::AppState;

const PAGE_SIZE: u32 = 25;
const RECIPIENTS_PAGE: u32 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/campaigns", get(list))
        .route(
            "/console/campaigns/new",
            get(wizard).post(create).layer(DefaultBodyLimit::max(
                usize::try_from(FILE_MAX).unwrap_or(usize::MAX) + 64 * 1024,
            )),
        )
        .route("/console/campaigns/{id}", get(show))
        .route("/console/campaigns/{id}/progress", get(progress))
        .route("/console/campaigns/{id}/launch", post(launch))
        .route("/console/campaigns/{id}/pause", post(pause))
        .route("/console/campaigns/{id}/resume", post(resume))
        .route("/console/campaigns/{id}/cancel", post(cancel))
}

fn campaign_id(raw: &str) -> Result<CampaignId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::CampaignNotFound, "campaign", raw))
}

fn naming(id: &str) -> impl Fn(wagate_app::Error) -> ApiError + '_ {
    move |e| ApiError::naming(e, ErrorCode::CampaignNotFound, "campaign", id)
}

/// A 303 to `to` (htmx follows `HX-Redirect`).
fn see(to: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert("HX-Redirect", v);
    }
    res
}

struct Row {
    id: String,
    name: String,
    status: &'static str,
    template: String,
    recipients: u64,
    queued: u64,
    created_at: String,
}

#[derive(Template)]
#[template(path = "console/campaigns/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    after: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let after = given(&q.after)
        .map(|a| {
            a.parse::<CampaignId>().map_err(|_| {
                ApiError::new(ErrorCode::InvalidQuery, "is not an id from a previous page")
                    .field("after")
            })
        })
        .transpose()?;
    let mut rows = state
        .app
        .list_campaigns(
            &console.principal,
            CampaignFilter::default(),
            &Page::after(after, PAGE_SIZE + 1),
        )
        .await?;
    let more = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    let next = match rows.last() {
        Some(c) if more => Some(format!("/console/campaigns?after={}", c.id)),
        _ => None,
    };
    page(&ListPage {
        chrome: Chrome::new(&console, "campaigns", "Campaigns"),
        rows: rows
            .into_iter()
            .map(|c| Row {
                id: c.id.to_string(),
                name: c.name.as_str().to_owned(),
                status: c.status.as_str(),
                template: format!("{} ({})", c.template.name, c.template.language),
                recipients: c.recipients,
                queued: c.queued,
                created_at: c.created_at.to_string(),
            })
            .collect(),
        next,
    })
}

/// A template the wizard offers: `name|language` of an approved template of a channel's WABA.
struct TemplateChoice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "console/campaigns/wizard.html")]
struct Wizard {
    chrome: Chrome,
    channels: Vec<(String, String)>,
    templates: Vec<TemplateChoice>,
    tags: Vec<String>,
}

async fn wizard(State(state): State<AppState>, console: Console) -> Result<Response, ApiError> {
    let p = &console.principal;
    let channels = visible_channels(&state, &console).await?;
    let mut templates = Vec::new();
    let mut seen = Vec::new();
    let approved = TemplateFilter {
        statuses: vec![TemplateStatus::Approved],
        ..TemplateFilter::default()
    };
    for c in &channels {
        if seen.contains(&c.waba_id) {
            continue;
        }
        seen.push(c.waba_id.clone());
        let (rows, _) = state
            .app
            .list_templates(p, &c.waba_id, &approved, &Page::first(100))
            .await?;
        templates.extend(rows.into_iter().map(|t| TemplateChoice {
            value: format!("{}|{}", t.name.as_str(), t.language.as_str()),
            label: format!(
                "{} ({}, {}) — WABA {}",
                t.name.as_str(),
                t.language.as_str(),
                t.category.as_str(),
                t.waba_id
            ),
        }));
    }
    let tags = state
        .app
        .list_tags(p)
        .await?
        .into_iter()
        .map(|t| t.tag.name.as_str().to_owned())
        .collect();
    page(&Wizard {
        chrome: Chrome::new(&console, "campaigns", "New campaign"),
        channels: channels
            .iter()
            .map(|c| {
                (
                    c.id.to_string(),
                    format!("{} ({})", c.verified_name.as_str(), c.display_phone_number),
                )
            })
            .collect(),
        templates,
        tags,
    })
}

/// The wizard's first step as sent.
#[derive(Debug, Default)]
struct Step {
    name: String,
    channel: String,
    template: String,
    params: String,
    audience: String,
    tag: String,
    attribute: String,
    default_country_code: String,
    file: Option<(Staged, String)>,
}

async fn read_step(state: &AppState, multipart: &mut Multipart) -> Result<Step, ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("the form could not be read: {e}"),
        )
    };
    let mut s = Step::default();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            if file_name.is_empty() {
                continue;
            }
            let body = field.map_err(|e| e.to_string());
            let staged = state.app.stage_import_file(Box::pin(body)).await?;
            s.file = Some((staged, file_name));
            continue;
        }
        let value = field.text().await.map_err(bad)?;
        match name.as_str() {
            "name" => s.name = value,
            "channel" => s.channel = value,
            "template" => s.template = value,
            "params" => s.params = value,
            "audience" => s.audience = value,
            "tag" => s.tag = value,
            "attribute" => s.attribute = value,
            "default_country_code" => s.default_country_code = value,
            _ => {}
        }
    }
    Ok(s)
}

/// One body parameter a line, in order: `fixed:<text>`, `attribute:<key>` (or `name`) or
/// `column:<header>`, each with an optional `|<fallback>`.
fn params(text: &str) -> Result<CampaignParams, ValidationError> {
    let mut body = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (spec, fallback) = match line.split_once('|') {
            Some((s, f)) => (s.trim(), Some(f.trim().to_owned())),
            None => (line, None),
        };
        let (kind, value) = spec.split_once(':').ok_or_else(|| {
            ValidationError::new(
                "params",
                format!(
                    "line {}: write fixed:<text>, attribute:<key> or column:<header>",
                    i + 1
                ),
            )
        })?;
        let value = value.trim().to_owned();
        let source = match kind.trim() {
            "fixed" => ParamSource::Fixed { value },
            "attribute" => ParamSource::Attribute { name: value },
            "column" => ParamSource::Column { name: value },
            other => {
                return Err(ValidationError::new(
                    "params",
                    format!(
                        "line {}: `{other}` is not fixed, attribute or column",
                        i + 1
                    ),
                ));
            }
        };
        body.push(Param { source, fallback });
    }
    Ok(CampaignParams {
        body,
        ..CampaignParams::default()
    })
}

/// The wizard's first step: the draft with its template and parameters, then its audience.
/// Everything is checked before the draft is stored.
async fn create(
    State(state): State<AppState>,
    console: Console,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut multipart = multipart.map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            "send the wizard's form (multipart/form-data)",
        )
    })?;
    let s = read_step(&state, &mut multipart).await?;
    let p = &console.principal;
    let name = CampaignName::parse(s.name.trim())?;
    let channel_id: ChannelId = s
        .channel
        .trim()
        .parse()
        .map_err(|_| ValidationError::missing("channel", "choose a channel"))?;
    let (tname, language) = s
        .template
        .split_once('|')
        .ok_or_else(|| ValidationError::missing("template", "choose an approved template"))?;
    let params = params(&s.params)?;
    // The audience, checked before anything is stored.
    enum Audience {
        Segment(Segment),
        File(Staged, String),
    }
    let audience = match s.audience.as_str() {
        "tag" => Audience::Segment(Segment {
            tag: Some(
                TagName::parse(s.tag.trim()).map_err(|e| ValidationError::new("tag", e.message))?,
            ),
            ..Segment::default()
        }),
        "attribute" => {
            let (k, v) = s.attribute.split_once(':').ok_or_else(|| {
                ValidationError::new("attribute", "write the segment as key:value")
            })?;
            Audience::Segment(Segment {
                attribute: Some((AttributeKey::parse(k.trim())?, v.trim().to_owned())),
                ..Segment::default()
            })
        }
        "file" => match s.file {
            Some((staged, file_name)) if staged.size > 0 => Audience::File(staged, file_name),
            _ => {
                return Err(ValidationError::missing("file", "choose a CSV or XLSX file").into());
            }
        },
        _ => {
            return Err(ValidationError::missing(
                "audience",
                "choose the audience: a tag, a segment or a file",
            )
            .into());
        }
    };
    let cmd = CreateCampaign {
        name,
        kind: CampaignKind::Broadcast,
        channel_id,
        template: CampaignTemplate {
            name: tname.trim().to_owned(),
            language: language.trim().to_owned(),
        },
        params,
        rate: None,
        allow_partial: false,
        launch_when_ready: false,
    };
    let c = state.app.create_campaign(p, cmd).await?;
    let loaded = match audience {
        Audience::Segment(seg) => state.app.segment_campaign_audience(p, c.id, seg).await,
        Audience::File(staged, file_name) => {
            let options = FileOptions {
                file_name,
                format: None,
                phone_column: None,
                default_country_code: given(&Some(s.default_country_code.clone())),
            };
            state
                .app
                .upload_campaign_audience(p, c.id, options, staged)
                .await
        }
    };
    if let Err(e) = loaded {
        // The draft is no use without its audience: cancel it and say why.
        let _ = state.app.cancel_campaign(p, c.id).await;
        return Err(e.into());
    }
    Ok(see(&format!("/console/campaigns/{}", c.id)))
}

/// The live figures of a campaign.
struct Figures {
    id: String,
    status: &'static str,
    audience: &'static str,
    audience_rows: u64,
    audience_failure: String,
    failure: String,
    recipients: u64,
    queued: u64,
    pending: u64,
    skipped: u64,
    sent: i64,
    delivered: i64,
    read: i64,
    failed: i64,
    replied: i64,
    percent: u64,
    /// Still moving: the fragment polls.
    live: bool,
    chart: String,
}

impl Figures {
    fn of(v: &CampaignView) -> Self {
        let c = &v.counts;
        let done = (c.progress.sent.max(0) as u64)
            .saturating_add(c.progress.failed.max(0) as u64)
            .saturating_add(c.skipped);
        let percent = match v.status {
            CampaignStatus::Completed => 100,
            _ if c.recipients == 0 => 0,
            _ => (done * 100 / c.recipients).min(100),
        };
        let live = matches!(
            v.status,
            CampaignStatus::Scheduled | CampaignStatus::Running
        ) || (v.status == CampaignStatus::Draft
            && v.audience.status == AudienceStatus::Loading);
        let bars = [
            ("sent", c.progress.sent, "#2f7de1"),
            ("delivered", c.progress.delivered, "#1a9c5b"),
            ("read", c.progress.read, "#0b6e3f"),
            ("failed", c.progress.failed, "#c62828"),
            ("replied", c.progress.replied, "#7b1fa2"),
        ];
        Self {
            id: v.id.to_string(),
            status: v.status.as_str(),
            audience: v.audience.status.as_str(),
            audience_rows: v.audience.rows_read.unwrap_or(0),
            audience_failure: v.audience.failure.clone().unwrap_or_default(),
            failure: v.failure.clone().unwrap_or_default(),
            recipients: c.recipients,
            queued: c.queued,
            pending: c.pending,
            skipped: c.skipped,
            sent: c.progress.sent,
            delivered: c.progress.delivered,
            read: c.progress.read,
            failed: c.progress.failed,
            replied: c.progress.replied,
            percent,
            live,
            chart: chart(c.recipients, &bars),
        }
    }
}

/// A small horizontal bar chart (SVG) of the counters against the audience.
fn chart(total: u64, bars: &[(&str, i64, &str)]) -> String {
    let max = bars
        .iter()
        .map(|b| b.1.max(0) as u64)
        .max()
        .unwrap_or(0)
        .max(total)
        .max(1);
    let mut svg = format!(
        r#"<svg viewBox="0 0 320 {}" width="100%" role="img" aria-label="Messages by status" xmlns="http://www.w3.org/2000/svg">"#,
        bars.len() * 22 + 4
    );
    for (i, (label, n, color)) in bars.iter().enumerate() {
        let y = i * 22 + 2;
        let w = (n.max(&0).unsigned_abs() * 220 / max).max(1);
        svg.push_str(&format!(
            r#"<text x="0" y="{}" font-size="12" fill="currentColor">{label}</text><rect x="70" y="{y}" width="{w}" height="16" fill="{color}"></rect><text x="{}" y="{}" font-size="12" fill="currentColor">{n}</text>"#,
            y + 13,
            74 + w,
            y + 13
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[derive(Template)]
#[template(path = "console/campaigns/progress.html")]
struct ProgressFragment {
    f: Figures,
}

/// The launch step of a draft whose audience is ready.
struct LaunchStep {
    recipients: u64,
    billable: u64,
    amount: String,
    covered: bool,
    balance: String,
    /// Why no estimate can be made (the template is not sendable…).
    problem: String,
}

struct RecipientRow {
    row: u64,
    number: String,
    status: String,
    reason: String,
}

struct DayRow {
    date: String,
    sent: i64,
    delivered: i64,
    read: i64,
    failed: i64,
    replied: i64,
    cost: String,
}

#[derive(Template)]
#[template(path = "console/campaigns/show.html")]
struct ShowPage {
    chrome: Chrome,
    id: String,
    name: String,
    template: String,
    channel: String,
    status: &'static str,
    pause_reason: String,
    scheduled_at: String,
    can_pause: bool,
    can_resume: bool,
    can_cancel: bool,
    launch: Option<LaunchStep>,
    figures: Figures,
    state: String,
    states: Vec<&'static str>,
    recipients: Vec<RecipientRow>,
    recipients_total: u64,
    next: Option<String>,
    days: Vec<DayRow>,
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    state: Option<String>,
    after: Option<u64>,
}

async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, ApiError> {
    let cid = campaign_id(&id)?;
    let p = &console.principal;
    let c = state.app.get_campaign(p, cid).await.map_err(naming(&id))?;
    let v = view(&state, p, c).await?;
    let filter = RecipientFilter {
        state: given(&q.state)
            .map(|s| {
                RecipientState::parse(&s).ok_or_else(|| {
                    ApiError::new(ErrorCode::InvalidQuery, "is not a recipient state")
                        .field("state")
                })
            })
            .transpose()?,
        ..RecipientFilter::default()
    };
    let (rows, recipients_total) = state
        .app
        .campaign_recipients(p, cid, &filter, q.after, RECIPIENTS_PAGE + 1)
        .await
        .map_err(naming(&id))?;
    let more = rows.len() > RECIPIENTS_PAGE as usize;
    let recipients: Vec<RecipientRow> = rows
        .into_iter()
        .take(RECIPIENTS_PAGE as usize)
        .map(|r| RecipientRow {
            row: r.row,
            number: r.wa_id.to_string(),
            status: r.status,
            reason: r.skip_reason.unwrap_or_default(),
        })
        .collect();
    let next = match recipients.last() {
        Some(r) if more => Some(format!(
            "/console/campaigns/{id}?state={}&after={}",
            given(&q.state).unwrap_or_default(),
            r.row
        )),
        _ => None,
    };
    let wallet = state.app.get_wallet(p).await?;
    let money = |amount: i64| super::home::money(amount, &wallet);
    let launch = if v.status == CampaignStatus::Draft && v.audience.status == AudienceStatus::Ready
    {
        Some(match state.app.estimate_campaign(p, cid).await {
            Ok((est, covered)) => LaunchStep {
                recipients: est.recipients,
                billable: est.billable,
                amount: money(est.amount),
                covered,
                balance: money(wallet.balance),
                problem: String::new(),
            },
            Err(e) => LaunchStep {
                recipients: 0,
                billable: 0,
                amount: String::new(),
                covered: false,
                balance: money(wallet.balance),
                problem: ApiError::from(e).message,
            },
        })
    } else {
        None
    };
    let days = state
        .app
        .campaign_days(p, cid, None, None)
        .await
        .map_err(naming(&id))?
        .into_iter()
        .map(|d| DayRow {
            date: d.date,
            sent: d.counts.sent,
            delivered: d.counts.delivered,
            read: d.counts.read,
            failed: d.counts.failed,
            replied: d.counts.replied,
            cost: micros(d.counts.cost),
        })
        .collect();
    let status = v.status;
    page(&ShowPage {
        chrome: Chrome::new(&console, "campaigns", format!("Campaign {}", v.name)),
        id: v.id.to_string(),
        name: v.name.clone(),
        template: format!("{} ({})", v.template.name, v.template.language),
        channel: v.channel_id.to_string(),
        status: status.as_str(),
        pause_reason: v.pause_reason.map(|r| format!("{r:?}")).unwrap_or_default(),
        scheduled_at: v.scheduled_at.map(|t| t.to_string()).unwrap_or_default(),
        can_pause: matches!(status, CampaignStatus::Scheduled | CampaignStatus::Running),
        can_resume: status == CampaignStatus::Paused,
        can_cancel: matches!(
            status,
            CampaignStatus::Draft
                | CampaignStatus::Scheduled
                | CampaignStatus::Running
                | CampaignStatus::Paused
        ),
        launch,
        figures: Figures::of(&v),
        state: given(&q.state).unwrap_or_default().to_ascii_uppercase(),
        states: vec![
            "PENDING",
            "SKIPPED",
            "QUEUED",
            "SENT",
            "DELIVERED",
            "READ",
            "FAILED",
            "REPLIED",
        ],
        recipients,
        recipients_total,
        next,
        days,
    })
}

async fn progress(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let cid = campaign_id(&id)?;
    let p = &console.principal;
    let c = state.app.get_campaign(p, cid).await.map_err(naming(&id))?;
    let v = view(&state, p, c).await?;
    let f = Figures::of(&v);
    let mut res = page(&ProgressFragment { f })?;
    // A draft whose audience just loaded shows its launch step: reload the page.
    if v.status == CampaignStatus::Draft && v.audience.status != AudienceStatus::Loading {
        res.headers_mut()
            .insert("HX-Refresh", HeaderValue::from_static("true"));
    }
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
struct LaunchForm {
    when: Option<String>,
    at: Option<String>,
    timezone: Option<String>,
}

async fn launch(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let cid = campaign_id(&id)?;
    let f: LaunchForm = form(&body)?;
    let later = f.when.as_deref() == Some("later");
    let cmd = launch_time(&LaunchBody {
        at: if later {
            Some(
                given(&f.at)
                    .ok_or_else(|| ValidationError::missing("at", "choose when to launch"))?,
            )
        } else {
            None
        },
        timezone: if later { given(&f.timezone) } else { None },
    })?;
    state
        .app
        .launch_campaign(&console.principal, cid, cmd)
        .await
        .map_err(naming(&id))?;
    Ok(see(&format!("/console/campaigns/{id}")))
}

macro_rules! action {
    ($name:ident, $call:ident) => {
        async fn $name(
            State(state): State<AppState>,
            console: Console,
            Path(id): Path<String>,
        ) -> Result<Response, ApiError> {
            let cid = campaign_id(&id)?;
            state
                .app
                .$call(&console.principal, cid)
                .await
                .map_err(naming(&id))?;
            Ok(see(&format!("/console/campaigns/{id}")))
        }
    };
}

action!(pause, pause_campaign);
action!(resume, resume_campaign);
action!(cancel, cancel_campaign);
