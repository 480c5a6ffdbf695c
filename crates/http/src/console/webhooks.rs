//! Webhooks (`/console/webhooks`): subscriptions (create, pause, resume, delete), each
//! one's delivery log with filters (keyset paged), each delivery's attempts (what the
//! store keeps of them: how many, and the last one's status code, answer excerpt, error and
//! latency), and replay of one delivery or of a range — all through the services the
//! `/api/v1/webhooks` handlers call.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use wagate_app::webhooks::SubscriptionInput;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{ChannelId, DeliveryId, SubscriptionId};
use wagate_core::webhook::{
    BatchSize, Delivery, DeliveryState, EventField, PayloadFormat, Subscription, SubscriptionPatch,
    VerifyToken, WebhookSecret, WebhookUrl,
};
use wagate_store::{DeliveryFilter, Page, Replay};

use super::home::{ChannelRow, visible_channels};
use super::numbers::{day_or_time, urlencoding};
use super::{Chrome, Console, page};
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/webhooks", get(list).post(create))
        .route("/console/webhooks/{id}", get(log))
        .route("/console/webhooks/{id}/pause", post(pause))
        .route("/console/webhooks/{id}/resume", post(resume))
        .route("/console/webhooks/{id}/delete", post(delete))
        .route("/console/webhooks/{id}/replay", post(replay_range))
        .route(
            "/console/webhooks/{id}/deliveries/{delivery}",
            get(attempts),
        )
        .route(
            "/console/webhooks/{id}/deliveries/{delivery}/replay",
            post(replay_one),
        )
}

pub struct SubscriptionRow {
    pub id: String,
    pub url: String,
    pub channel: String,
    pub fields: String,
    pub format: String,
    pub batch_size: u32,
    pub enabled: bool,
}

impl SubscriptionRow {
    fn of(s: &Subscription, channels: &[ChannelRow]) -> Self {
        Self {
            id: s.id.to_string(),
            url: s.url.as_str().to_owned(),
            channel: match s.channel_id {
                None => "every channel".to_owned(),
                Some(c) => channels
                    .iter()
                    .find(|r| r.id == c.to_string())
                    .map(|r| format!("{} ({})", r.name, r.number))
                    .unwrap_or_else(|| c.to_string()),
            },
            fields: s
                .fields
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            format: s.format.as_str().to_owned(),
            batch_size: s.batch_size.get(),
            enabled: s.enabled,
        }
    }
}

/// An event field as a checkbox.
pub struct FieldChoice {
    pub name: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "console/webhooks/list.html")]
struct List {
    chrome: Chrome,
    subscriptions: Vec<SubscriptionRow>,
    channels: Vec<ChannelRow>,
    fields: Vec<FieldChoice>,
    /// What the form was filled with, after a refusal.
    form: Draft,
    error: Option<String>,
}

#[derive(Default)]
pub struct Draft {
    pub url: String,
    pub verify_token: String,
    pub channel: String,
    pub format: String,
    pub batch_size: String,
}

fn field_choices(checked: &[String]) -> Vec<FieldChoice> {
    EventField::ALL
        .iter()
        .map(|f| FieldChoice {
            name: f.as_str(),
            checked: if checked.is_empty() {
                matches!(f, EventField::Messages | EventField::Statuses)
            } else {
                checked.iter().any(|c| c == f.as_str())
            },
        })
        .collect()
}

async fn list(State(state): State<AppState>, console: Console) -> Result<Response, ApiError> {
    render_list(&state, &console, Draft::default(), &[], None).await
}

async fn render_list(
    state: &AppState,
    console: &Console,
    form: Draft,
    fields: &[String],
    error: Option<String>,
) -> Result<Response, ApiError> {
    let subs = state.app.list_subscriptions(&console.principal).await?;
    let channels: Vec<ChannelRow> = visible_channels(state, console)
        .await?
        .iter()
        .map(ChannelRow::of)
        .collect();
    page(&List {
        chrome: Chrome::new(console, "webhooks", "Webhooks"),
        subscriptions: subs
            .iter()
            .map(|s| SubscriptionRow::of(s, &channels))
            .collect(),
        channels,
        fields: field_choices(fields),
        form: Draft {
            format: if form.format.is_empty() {
                "cloud".into()
            } else {
                form.format
            },
            batch_size: if form.batch_size.is_empty() {
                "1".into()
            } else {
                form.batch_size
            },
            ..form
        },
        error,
    })
}

/// The create form, as pairs (the event fields are repeated checkboxes).
fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn parse_input(pairs: &[(String, String)]) -> Result<SubscriptionInput, ApiError> {
    let fields: Vec<EventField> = pairs
        .iter()
        .filter(|(k, _)| k == "fields")
        .map(|(_, v)| EventField::parse(v))
        .collect::<Result<_, _>>()?;
    if fields.is_empty() {
        return Err(ValidationError::new("fields", "choose at least one event").into());
    }
    let channel = value(pairs, "channel");
    let batch = value(pairs, "batch_size");
    Ok(SubscriptionInput {
        channel_id: match channel {
            "" => None,
            c => Some(
                c.parse::<ChannelId>()
                    .map_err(|_| ApiError::not_found(ErrorCode::ChannelNotFound, "channel", c))?,
            ),
        },
        url: WebhookUrl::parse(value(pairs, "url"))?,
        secret: WebhookSecret::parse(value(pairs, "secret"))?,
        verify_token: VerifyToken::parse(value(pairs, "verify_token"))?,
        fields,
        format: match value(pairs, "format") {
            "" => PayloadFormat::CLOUD,
            f => PayloadFormat::parse(f)?,
        },
        batch_size: match batch {
            "" => BatchSize::default(),
            b => BatchSize::new(b.parse::<u32>().map_err(|_| {
                ValidationError::out_of_range("batch_size", "must be a number from 1 to 100")
            })?)?,
        },
        enabled: true,
    })
}

async fn create(
    State(state): State<AppState>,
    console: Console,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let checked: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "fields")
        .map(|(_, v)| v.clone())
        .collect();
    let draft = || Draft {
        url: value(&pairs, "url").to_owned(),
        verify_token: value(&pairs, "verify_token").to_owned(),
        channel: value(&pairs, "channel").to_owned(),
        format: value(&pairs, "format").to_owned(),
        batch_size: value(&pairs, "batch_size").to_owned(),
    };
    let refused = |e: ApiError| {
        let mut m = e.message.clone();
        if let Some(f) = e.field.as_deref().filter(|f| !m.contains(*f)) {
            m = format!("{f}: {m}");
        }
        m
    };
    let input = match parse_input(&pairs) {
        Ok(i) => i,
        Err(e) if (400..500).contains(&e.code.http_status()) => {
            return refuse(&state, &console, draft(), &checked, refused(e)).await;
        }
        Err(e) => return Err(e),
    };
    match state
        .app
        .create_subscription(&console.principal, input)
        .await
    {
        Ok(s) => Ok(Redirect::to(&format!("/console/webhooks/{}", s.id)).into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            if (400..500).contains(&e.code.http_status()) {
                refuse(&state, &console, draft(), &checked, refused(e)).await
            } else {
                Err(e)
            }
        }
    }
}

/// The list again with the form as filled and why it was refused (422: nothing stored).
async fn refuse(
    state: &AppState,
    console: &Console,
    draft: Draft,
    checked: &[String],
    message: String,
) -> Result<Response, ApiError> {
    let mut res = render_list(state, console, draft, checked, Some(message)).await?;
    *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

fn subscription_id(raw: &str) -> Result<SubscriptionId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(ErrorCode::SubscriptionNotFound, "subscription", raw))
}

fn naming(id: &str) -> impl FnOnce(wagate_app::Error) -> ApiError + '_ {
    move |e| ApiError::naming(e, ErrorCode::SubscriptionNotFound, "subscription", id)
}

async fn set_enabled(
    state: &AppState,
    console: &Console,
    id: &str,
    enabled: bool,
) -> Result<Response, ApiError> {
    let sid = subscription_id(id)?;
    let patch = SubscriptionPatch {
        enabled: Some(enabled),
        ..SubscriptionPatch::default()
    };
    state
        .app
        .update_subscription(&console.principal, sid, patch)
        .await
        .map_err(naming(id))?;
    Ok(Redirect::to(&format!("/console/webhooks/{sid}")).into_response())
}

async fn pause(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_enabled(&state, &console, &id, false).await
}

async fn resume(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_enabled(&state, &console, &id, true).await
}

async fn delete(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let sid = subscription_id(&id)?;
    state
        .app
        .delete_subscription(&console.principal, sid)
        .await
        .map_err(naming(&id))?;
    Ok(Redirect::to("/console/webhooks").into_response())
}

// ---- the delivery log --------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    pub status: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub after: Option<String>,
    /// Replayed deliveries (after a replay).
    pub replayed: Option<u64>,
}

pub struct DeliveryRow {
    pub id: String,
    pub event_id: String,
    pub message_id: Option<String>,
    pub field: &'static str,
    pub status: &'static str,
    pub attempts: u32,
    pub created_at: String,
    pub next_attempt_at: Option<String>,
    pub last_attempt_at: Option<String>,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub last_latency_ms: Option<u32>,
    pub delivered_at: Option<String>,
    pub body_excerpt: Option<String>,
}

impl DeliveryRow {
    fn of(d: Delivery, tz: &jiff::tz::TimeZone) -> Self {
        let at = |t: jiff::Timestamp| {
            t.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        Self {
            id: d.id.to_string(),
            event_id: d.event_id.to_string(),
            message_id: d.message_id.map(|m| m.to_string()),
            field: d.field.as_str(),
            status: d.state.as_str(),
            attempts: d.attempts,
            created_at: at(d.created_at),
            next_attempt_at: d.next_attempt_at.map(at),
            last_attempt_at: d.last_attempt_at.map(at),
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            last_latency_ms: d.last_latency_ms,
            delivered_at: d.delivered_at.map(at),
            body_excerpt: d.body_excerpt,
        }
    }
}

#[derive(Template)]
#[template(path = "console/webhooks/log.html")]
struct Log {
    chrome: Chrome,
    sub: SubscriptionRow,
    rows: Vec<DeliveryRow>,
    status: String,
    since: String,
    until: String,
    next: Option<String>,
    replayed: Option<u64>,
    /// While a delivery is pending, the log reloads itself from this URL every second.
    refresh: Option<String>,
}

const LOG_PAGE: u32 = 50;

async fn log(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Query(q): Query<LogQuery>,
) -> Result<Response, ApiError> {
    let p = &console.principal;
    let sid = subscription_id(&id)?;
    let sub = state
        .app
        .get_subscription(p, sid)
        .await
        .map_err(naming(&id))?;
    let tz = state.app.account_timezone(p).await?;
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (status, since, until) = (nonempty(&q.status), nonempty(&q.since), nonempty(&q.until));
    let filter = DeliveryFilter {
        state: status
            .as_deref()
            .map(|s| {
                DeliveryState::parse(s).map_err(|_| {
                    ApiError::new(
                        ErrorCode::InvalidQuery,
                        "status must be pending, delivered or dead",
                    )
                    .field("status")
                })
            })
            .transpose()?,
        since: day_or_time("since", since.as_deref(), &tz, false)?,
        until: day_or_time("until", until.as_deref(), &tz, true)?,
    };
    let after: Option<DeliveryId> = match nonempty(&q.after) {
        None => None,
        Some(a) => Some(a.parse().map_err(|_| {
            ApiError::new(ErrorCode::InvalidQuery, "after is not a delivery id").field("after")
        })?),
    };
    let mut rows = state
        .app
        .list_deliveries(p, sid, &filter, &Page::after(after, LOG_PAGE + 1))
        .await
        .map_err(naming(&id))?;
    let more = rows.len() > LOG_PAGE as usize;
    rows.truncate(LOG_PAGE as usize);
    let keep = |name: &str, v: &Option<String>| {
        v.as_deref()
            .map(|v| format!("&{name}={}", urlencoding(v)))
            .unwrap_or_default()
    };
    let next = match rows.last() {
        Some(last) if more => Some(format!(
            "after={}{}{}{}",
            last.id,
            keep("status", &status),
            keep("since", &since),
            keep("until", &until)
        )),
        _ => None,
    };
    let channels: Vec<ChannelRow> = visible_channels(&state, &console)
        .await?
        .iter()
        .map(ChannelRow::of)
        .collect();
    let refresh = rows
        .iter()
        .any(|d| d.state == DeliveryState::Pending)
        .then(|| {
            format!(
                "/console/webhooks/{sid}?x=1{}{}{}{}",
                keep("status", &status),
                keep("since", &since),
                keep("until", &until),
                after.map(|a| format!("&after={a}")).unwrap_or_default()
            )
        });
    page(&Log {
        chrome: Chrome::new(&console, "webhooks", "Delivery log"),
        refresh,
        sub: SubscriptionRow::of(&sub, &channels),
        rows: rows.into_iter().map(|d| DeliveryRow::of(d, &tz)).collect(),
        status: status.unwrap_or_default(),
        since: since.unwrap_or_default(),
        until: until.unwrap_or_default(),
        next,
        replayed: q.replayed,
    })
}

pub struct AttemptRow {
    pub at: String,
    pub status_code: Option<u16>,
    pub latency_ms: u32,
    pub outcome: String,
    pub error: Option<String>,
    pub body_excerpt: Option<String>,
}

#[derive(Template)]
#[template(path = "console/webhooks/attempts.html")]
struct Attempts {
    chrome: Chrome,
    sub: SubscriptionRow,
    delivery: DeliveryRow,
    attempts: Vec<AttemptRow>,
    shown: u32,
}

/// One delivery and its attempts: each one's answer (status, time taken, error, the first
/// bytes of the body).
async fn attempts(
    State(state): State<AppState>,
    console: Console,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let p = &console.principal;
    let sid = subscription_id(&id)?;
    let unknown = || ApiError::not_found(ErrorCode::DeliveryNotFound, "delivery", &delivery);
    let did: DeliveryId = delivery.parse().map_err(|_| unknown())?;
    let not_found = |e: wagate_app::Error| match e.code() {
        ErrorCode::DeliveryNotFound => unknown(),
        _ => naming(&id)(e),
    };
    let sub = state
        .app
        .get_subscription(p, sid)
        .await
        .map_err(naming(&id))?;
    let (d, history) = state
        .app
        .delivery_attempts(p, sid, did)
        .await
        .map_err(not_found)?;
    let tz = state.app.account_timezone(p).await?;
    let channels: Vec<ChannelRow> = visible_channels(&state, &console)
        .await?
        .iter()
        .map(ChannelRow::of)
        .collect();
    page(&Attempts {
        chrome: Chrome::new(&console, "webhooks", "Delivery attempts"),
        sub: SubscriptionRow::of(&sub, &channels),
        delivery: DeliveryRow::of(d, &tz),
        attempts: history
            .into_iter()
            .map(|a| AttemptRow {
                at: a
                    .at
                    .to_zoned(tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S%.3f")
                    .to_string(),
                status_code: a.status_code,
                latency_ms: a.latency_ms,
                outcome: a.outcome,
                error: a.error,
                body_excerpt: a.body_excerpt,
            })
            .collect(),
        shown: wagate_store::ATTEMPTS_SHOWN,
    })
}

async fn replay_one(
    State(state): State<AppState>,
    console: Console,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let sid = subscription_id(&id)?;
    let unknown = || ApiError::not_found(ErrorCode::DeliveryNotFound, "delivery", &delivery);
    let did: DeliveryId = delivery.parse().map_err(|_| unknown())?;
    let n = state
        .app
        .replay_deliveries(&console.principal, sid, Replay::One(did))
        .await
        .map_err(|e| match e.code() {
            ErrorCode::DeliveryNotFound => unknown(),
            _ => naming(&id)(e),
        })?;
    Ok(Redirect::to(&format!("/console/webhooks/{sid}?replayed={n}")).into_response())
}

async fn replay_range(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let p = &console.principal;
    let sid = subscription_id(&id)?;
    // The subscription first: another account's id is a 404 before the form is judged.
    state
        .app
        .get_subscription(p, sid)
        .await
        .map_err(naming(&id))?;
    let tz = state.app.account_timezone(p).await?;
    let since = day_or_time("since", Some(value(&f, "since")), &tz, false)?;
    let until = day_or_time("until", Some(value(&f, "until")), &tz, true)?;
    let required = |field: &'static str| {
        ApiError::from(ValidationError::new(
            field,
            format!("{field} is required to replay every delivery of a range"),
        ))
    };
    let what = match value(&f, "only") {
        "dead" => Replay::Dead { since, until },
        "all" => Replay::Range {
            since: since.ok_or_else(|| required("since"))?,
            until: until.ok_or_else(|| required("until"))?,
        },
        _ => {
            return Err(
                ValidationError::new("only", "choose dead letters or every delivery").into(),
            );
        }
    };
    let n = state
        .app
        .replay_deliveries(p, sid, what)
        .await
        .map_err(naming(&id))?;
    Ok(Redirect::to(&format!("/console/webhooks/{sid}?replayed={n}")).into_response())
}
