//! The inbox (`/console/inbox`): a channel's conversations by last activity with unread
//! counts and the 24-hour window's countdown, the thread (bubbles, ticks, media, replies,
//! reactions, interactive answers, templates as text), the reply box inside the window and
//! the template picker outside it, live over Server-Sent Events.
//!
//! Every route names its channel (`channel=`), resolved for the signed-in key: another
//! channel's conversation, thread, media, stream or phone is "not found".

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::io::ReaderStream;
use wagate_core::Timestamp;
use wagate_core::channel::Channel;
use wagate_core::content::{Content, MessageType, SendComponents};
use wagate_core::error::ValidationError;
use wagate_core::ids::{ChannelId, ContactId, MediaId, TemplateId};
use wagate_core::message::{Direction, Message, MessageStatus, Wamid};
use wagate_core::phone::PhoneE164;
use wagate_core::policy::SERVICE_WINDOW;
use wagate_core::template::variables::{Variable, variables};
use wagate_core::template::{ParameterFormat, Rendered, TemplateStatus};
use wagate_store::{Conversation, InboxCursor, StoreError};

use super::home::{ChannelRow, visible_channels};
use super::{Chrome, Console, page};
use crate::error::ApiError;
use crate::state::AppState;

/// Conversations per page of the list.
const LIST_PAGE: u32 = 50;
/// Messages of a thread shown.
const THREAD_PAGE: u32 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/inbox", get(inbox))
        .route("/console/inbox/list", get(list))
        .route("/console/inbox/thread", get(thread))
        .route("/console/inbox/reply", post(reply))
        .route("/console/inbox/template-fields", get(template_fields))
        .route("/console/inbox/preview", get(preview))
        .route("/console/inbox/template", post(send_template))
        .route("/console/inbox/events", get(events))
        .route("/console/inbox/media/{id}", get(media))
}

// ---- Shared pieces (the phone uses them too) ----

/// "Not found", as every surface answers a channel outside the key's reach.
fn no_channel() -> ApiError {
    wagate_app::Error::from(StoreError::NotFound(wagate_store::Entity::Channel)).into()
}

/// The channel named by `raw` (its id), resolved for the signed-in key.
pub async fn channel_of(
    state: &AppState,
    console: &Console,
    raw: &str,
) -> Result<Channel, ApiError> {
    let id: ChannelId = raw.trim().parse().map_err(|_| no_channel())?;
    Ok(state.app.get_channel(&console.principal, id).await?)
}

/// A contact's number from a form or query (`c=`).
pub fn number(field: &str, raw: &str) -> Result<PhoneE164, ApiError> {
    Ok(PhoneE164::parse_field(field, raw.trim())?)
}

/// One message as a bubble of a thread.
pub struct Bubble {
    pub wamid: String,
    /// Sent by the business.
    pub outgoing: bool,
    pub kind: &'static str,
    /// What it says, readably (may be empty for a bare image).
    pub text: String,
    /// An image shown inline (the console's media route).
    pub image: Option<String>,
    /// Another media file, as a link.
    pub file: Option<(String, String)>,
    /// The message it answers, quoted.
    pub quoted: Option<String>,
    /// A reaction: its emoji (empty when removed).
    pub reaction: Option<String>,
    /// Answer buttons or list rows of an interactive message: (id, title).
    pub options: Vec<(String, String)>,
    pub options_are_list: bool,
    pub time: String,
    /// `sent`, `delivered`, `read`, `failed`, `accepted` or `received`.
    pub status: &'static str,
    pub ticks: &'static str,
    /// Meta's reason of a failure.
    pub failure: Option<String>,
}

impl Bubble {
    /// `messages` oldest first, as bubbles (replies quote the message they answer when it
    /// is among them).
    pub fn thread(messages: &[Message]) -> Vec<Bubble> {
        let texts: HashMap<&str, String> = messages
            .iter()
            .map(|m| (m.wamid.as_str(), readable(&m.content)))
            .collect();
        messages.iter().map(|m| Bubble::of(m, &texts)).collect()
    }

    fn of(m: &Message, texts: &HashMap<&str, String>) -> Bubble {
        let c = &m.content;
        let media = match c.media() {
            Some(wagate_core::content::MediaRef::Id(id)) => {
                Some(format!("/console/inbox/media/{id}"))
            }
            Some(wagate_core::content::MediaRef::Link(link)) => Some(link),
            None => None,
        };
        let (image, file) = match (c.kind(), media) {
            (MessageType::Image | MessageType::Sticker, Some(src)) => (Some(src), None),
            (kind, Some(src)) => (None, Some((src, format!("{} file", kind.as_str())))),
            (_, None) => (None, None),
        };
        let reaction = (c.kind() == MessageType::Reaction).then(|| {
            c.body()
                .get("emoji")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        });
        let quoted_id = m
            .context
            .as_ref()
            .map(|w| w.as_str().to_owned())
            .or_else(|| {
                (c.kind() == MessageType::Reaction)
                    .then(|| c.body().get("message_id").and_then(Value::as_str))
                    .flatten()
                    .map(str::to_owned)
            });
        let quoted = quoted_id.map(|id| {
            texts
                .get(id.as_str())
                .cloned()
                .unwrap_or_else(|| "an earlier message".to_owned())
        });
        let (status, ticks) = match m.status {
            MessageStatus::Accepted => ("accepted", "🕓"),
            MessageStatus::Sent => ("sent", "✓"),
            MessageStatus::Delivered => ("delivered", "✓✓"),
            MessageStatus::Read => ("read", "✓✓"),
            MessageStatus::Failed => ("failed", "failed"),
            MessageStatus::Received => ("received", ""),
        };
        let failure = m.error.as_ref().map(|e| {
            if e.details.is_empty() || e.details == e.title {
                format!("{} ({})", e.title, e.code)
            } else {
                format!("{}: {} ({})", e.title, e.details, e.code)
            }
        });
        let options = c.reply_options();
        Bubble {
            wamid: m.wamid.as_str().to_owned(),
            outgoing: m.direction == Direction::Outbound,
            kind: c.kind().as_str(),
            text: if reaction.is_some() {
                String::new()
            } else {
                readable(c)
            },
            image,
            file,
            quoted,
            reaction,
            options_are_list: options.first().is_some_and(|o| o.from_list),
            options: options.into_iter().map(|o| (o.id, o.title)).collect(),
            time: clock(m.created_at),
            status,
            ticks,
            failure,
        }
    }
}

/// `HH:MM` (UTC).
fn clock(t: Timestamp) -> String {
    t.strftime("%H:%M").to_string()
}

/// What a message says, for people: the whole text; a template as its filled text; an
/// interactive message's body; a button or list answer as "↩ title".
pub fn readable(c: &Content) -> String {
    let b = c.body();
    let s = |p: &str| b.pointer(p).and_then(Value::as_str).map(str::to_owned);
    match c.kind() {
        MessageType::Text => s("/body").unwrap_or_default(),
        MessageType::Template => match c.rendered() {
            Some(r) => rendered_text(r),
            None => c.preview().unwrap_or_default(),
        },
        MessageType::Interactive => {
            if let Some(t) = s("/button_reply/title") {
                format!("↩ {t}")
            } else if let Some(t) = s("/list_reply/title") {
                let d = s("/list_reply/description")
                    .map(|d| format!(" — {d}"))
                    .unwrap_or_default();
                format!("↩ {t}{d}")
            } else {
                let parts: Vec<String> = ["/header/text", "/body/text", "/footer/text"]
                    .iter()
                    .filter_map(|p| s(p))
                    .collect();
                if parts.is_empty() {
                    c.preview().unwrap_or_default()
                } else {
                    parts.join("\n")
                }
            }
        }
        MessageType::Button => s("/text").map(|t| format!("↩ {t}")).unwrap_or_default(),
        _ => c.preview().unwrap_or_default(),
    }
}

/// A filled template as the user reads it: header, body, footer, buttons.
pub fn rendered_text(r: &Rendered) -> String {
    let mut parts = Vec::new();
    parts.extend(r.header.clone());
    parts.extend(r.body.clone());
    parts.extend(r.footer.clone());
    parts.extend(r.buttons.iter().map(|b| format!("[{b}]")));
    parts.join("\n")
}

// ---- The page ----

#[derive(Deserialize)]
struct InboxQuery {
    channel: Option<String>,
    c: Option<String>,
    after: Option<String>,
}

/// One conversation in the list.
struct Row {
    wa_id: String,
    name: String,
    preview: String,
    unread: String,
    deadline: i64,
    current: bool,
}

#[derive(askama::Template)]
#[template(path = "console/inbox/list.html")]
struct List {
    channel: String,
    current: String,
    rows: Vec<Row>,
    more: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "console/inbox/thread.html")]
struct Thread {
    bubbles: Vec<Bubble>,
}

#[derive(askama::Template)]
#[template(path = "console/inbox/composer.html")]
struct Composer {
    channel: String,
    wa_id: String,
    window_open: bool,
    templates: Vec<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "console/inbox/page.html")]
struct InboxPage {
    chrome: Chrome,
    channels: Vec<ChannelRow>,
    channel: String,
    wa_id: String,
    name: String,
    deadline: i64,
    list: String,
    thread: String,
    composer: String,
}

fn render(t: &impl askama::Template) -> Result<String, ApiError> {
    t.render().map_err(ApiError::internal)
}

fn cursor(raw: Option<&str>) -> Result<Option<InboxCursor>, ApiError> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let bad = || ApiError::from(ValidationError::new("after", "is not a page of this list"));
    let (ms, id) = raw.split_once('_').ok_or_else(bad)?;
    let ms: i64 = ms.parse().map_err(|_| bad())?;
    Ok(Some(InboxCursor {
        last_message_at: Timestamp::from_millisecond(ms).map_err(|_| bad())?,
        id: id.parse::<ContactId>().map_err(|_| bad())?,
    }))
}

fn deadline(last_inbound_at: Option<Timestamp>) -> i64 {
    last_inbound_at.map_or(0, |t| {
        t.checked_add(SERVICE_WINDOW).map_or(0, |d| d.as_second())
    })
}

async fn list_html(
    state: &AppState,
    console: &Console,
    channel: &Channel,
    current: Option<&PhoneE164>,
    after: Option<InboxCursor>,
) -> Result<String, ApiError> {
    let conversations: Vec<Conversation> = state
        .app
        .inbox(&console.principal, channel, after, LIST_PAGE)
        .await?;
    let mut rows = Vec::with_capacity(conversations.len());
    for conv in &conversations {
        let Some(wa_id) = &conv.contact.wa_id else {
            continue;
        };
        let preview = conv
            .last
            .as_ref()
            .map(|(direction, content)| {
                let who = if *direction == Direction::Outbound {
                    "You: "
                } else {
                    ""
                };
                format!("{who}{}", content.preview().unwrap_or_default())
            })
            .unwrap_or_default();
        rows.push(Row {
            wa_id: wa_id.digits().to_owned(),
            name: conv
                .contact
                .profile_name
                .clone()
                .unwrap_or_else(|| format!("+{}", wa_id.digits())),
            preview,
            unread: match conv.unread {
                0 => String::new(),
                n if n >= wagate_store::inbox::UNREAD_CAP => "99+".to_owned(),
                n => n.to_string(),
            },
            deadline: deadline(conv.contact.last_inbound_at),
            current: current.is_some_and(|c| c == wa_id),
        });
    }
    let more = (conversations.len() == LIST_PAGE as usize)
        .then(|| conversations.last())
        .flatten()
        .and_then(|c| {
            Some(format!(
                "{}_{}",
                c.contact.last_message_at?.as_millisecond(),
                c.contact.id
            ))
        });
    render(&List {
        channel: channel.id.to_string(),
        current: current.map(|c| c.digits().to_owned()).unwrap_or_default(),
        rows,
        more,
    })
}

async fn thread_html(
    state: &AppState,
    console: &Console,
    channel: &Channel,
    wa_id: &PhoneE164,
) -> Result<String, ApiError> {
    let mut messages = state
        .app
        .open_conversation(&console.principal, channel, wa_id, THREAD_PAGE)
        .await?;
    messages.reverse();
    render(&Thread {
        bubbles: Bubble::thread(&messages),
    })
}

async fn composer_html(
    state: &AppState,
    console: &Console,
    channel: &Channel,
    wa_id: &PhoneE164,
    window_open: bool,
) -> Result<String, ApiError> {
    let templates = if window_open {
        Vec::new()
    } else {
        state
            .app
            .channel_templates(&console.principal, channel, None)
            .await?
            .into_iter()
            .filter(|t| t.status == TemplateStatus::Approved)
            .map(|t| {
                (
                    t.id.as_str().to_owned(),
                    format!("{} ({})", t.name.as_str(), t.language.as_str()),
                )
            })
            .collect()
    };
    render(&Composer {
        channel: channel.id.to_string(),
        wa_id: wa_id.digits().to_owned(),
        window_open,
        templates,
    })
}

async fn inbox(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<InboxQuery>,
) -> Result<Response, ApiError> {
    let channels = visible_channels(&state, &console).await?;
    let channel = match q.channel.as_deref().filter(|c| !c.is_empty()) {
        Some(raw) => Some(channel_of(&state, &console, raw).await?),
        None => channels.first().cloned(),
    };
    let chrome = Chrome::new(&console, "inbox", "Inbox");
    let rows = channels.iter().map(ChannelRow::of).collect();
    let Some(channel) = channel else {
        return page(&InboxPage {
            chrome,
            channels: rows,
            channel: String::new(),
            wa_id: String::new(),
            name: String::new(),
            deadline: 0,
            list: String::new(),
            thread: String::new(),
            composer: String::new(),
        });
    };
    let current =
        q.c.as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| number("c", c))
            .transpose()?;
    let (mut thread, mut composer, mut name, mut until) =
        (String::new(), String::new(), String::new(), 0);
    if let Some(wa_id) = &current {
        thread = thread_html(&state, &console, &channel, wa_id).await?;
        let contact = state
            .app
            .inbox_contact(&console.principal, &channel, wa_id)
            .await?;
        let open = contact
            .as_ref()
            .is_some_and(|c| c.recipient().window_open(state.app.now()));
        until = deadline(contact.as_ref().and_then(|c| c.last_inbound_at));
        name = contact
            .and_then(|c| c.profile_name)
            .unwrap_or_else(|| format!("+{}", wa_id.digits()));
        composer = composer_html(&state, &console, &channel, wa_id, open).await?;
    }
    let list = list_html(
        &state,
        &console,
        &channel,
        current.as_ref(),
        cursor(q.after.as_deref())?,
    )
    .await?;
    page(&InboxPage {
        chrome,
        channels: rows,
        channel: channel.id.to_string(),
        wa_id: current.map(|c| c.digits().to_owned()).unwrap_or_default(),
        name,
        deadline: until,
        list,
        thread,
        composer,
    })
}

/// The list fragment (refreshed live; `c` is the open conversation, kept read).
async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<InboxQuery>,
) -> Result<Response, ApiError> {
    let channel = channel_of(&state, &console, q.channel.as_deref().unwrap_or("")).await?;
    let current =
        q.c.as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| number("c", c))
            .transpose()?;
    if let Some(wa_id) = &current {
        state
            .app
            .open_conversation(&console.principal, &channel, wa_id, 1)
            .await?;
    }
    let html = list_html(
        &state,
        &console,
        &channel,
        current.as_ref(),
        cursor(q.after.as_deref())?,
    )
    .await?;
    Ok(Html(html).into_response())
}

/// The thread fragment (opening it marks the conversation read).
async fn thread(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<InboxQuery>,
) -> Result<Response, ApiError> {
    let channel = channel_of(&state, &console, q.channel.as_deref().unwrap_or("")).await?;
    let wa_id = number("c", q.c.as_deref().unwrap_or(""))?;
    Ok(Html(thread_html(&state, &console, &channel, &wa_id).await?).into_response())
}

#[derive(Deserialize)]
struct ReplyForm {
    channel: String,
    c: String,
    text: String,
    context: Option<String>,
}

/// Free text inside the window; answers the refreshed thread.
async fn reply(
    State(state): State<AppState>,
    console: Console,
    Form(f): Form<ReplyForm>,
) -> Result<Response, ApiError> {
    let channel = channel_of(&state, &console, &f.channel).await?;
    let wa_id = number("c", &f.c)?;
    if f.text.trim().is_empty() {
        return Err(ValidationError::missing("text", "write a message first").into());
    }
    let content = Content::text(&f.text, false)?;
    let context = f
        .context
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| Wamid::parse_field("context", c))
        .transpose()?;
    state
        .app
        .reply(&console.principal, &channel, &wa_id, content, context)
        .await?;
    Ok(Html(thread_html(&state, &console, &channel, &wa_id).await?).into_response())
}

// ---- Templates ----

/// A variable of a template's text header or body, as a form field.
struct Field {
    /// `header` or `body`.
    component: &'static str,
    /// The form field's name (`v_body_1`, `v_header_name`).
    key: String,
    /// `{{1}}`, `{{name}}`.
    label: String,
    /// The parameter name of a named variable.
    named: Option<String>,
    value: String,
}

/// The variables of a template's text header and body, in order.
fn fields(t: &wagate_store::Template, values: &HashMap<String, String>) -> Vec<Field> {
    let mut out = Vec::new();
    for c in t.components.as_array().into_iter().flatten() {
        let component = match c.get("type").and_then(Value::as_str) {
            Some(k)
                if k.eq_ignore_ascii_case("header")
                    && c.get("format")
                        .and_then(Value::as_str)
                        .is_none_or(|f| f.eq_ignore_ascii_case("text")) =>
            {
                "header"
            }
            Some(k) if k.eq_ignore_ascii_case("body") => "body",
            _ => continue,
        };
        let text = c.get("text").and_then(Value::as_str).unwrap_or_default();
        for v in variables(text) {
            let (name, named) = match v {
                Variable::Positional(n) => (n.to_string(), None),
                Variable::Named(n) => (n.to_owned(), Some(n.to_owned())),
            };
            let key = format!("v_{component}_{name}");
            out.push(Field {
                component,
                value: values.get(&key).cloned().unwrap_or_default(),
                label: format!("{{{{{name}}}}}"),
                key,
                named,
            });
        }
    }
    out
}

/// The send's `components` from the filled fields; an empty field is refused.
fn components(t: &wagate_store::Template, fields: &[Field]) -> Result<Value, ApiError> {
    let mut out = Vec::new();
    for component in ["header", "body"] {
        let mut parameters = Vec::new();
        for f in fields.iter().filter(|f| f.component == component) {
            if f.value.trim().is_empty() {
                return Err(ValidationError::missing(
                    f.key.clone(),
                    format!("fill in {} of the {component}", f.label),
                )
                .into());
            }
            let mut p = json!({"type": "text", "text": f.value});
            if let (Some(n), ParameterFormat::Named) = (&f.named, &t.parameter_format) {
                p["parameter_name"] = json!(n);
            }
            parameters.push(p);
        }
        if !parameters.is_empty() {
            out.push(json!({"type": component, "parameters": parameters}));
        }
    }
    Ok(Value::Array(out))
}

fn form_map(pairs: Vec<(String, String)>) -> HashMap<String, String> {
    pairs.into_iter().collect()
}

async fn chosen_template(
    state: &AppState,
    console: &Console,
    channel: &Channel,
    values: &HashMap<String, String>,
) -> Result<wagate_store::Template, ApiError> {
    let raw = values.get("template").map(|s| s.trim()).unwrap_or_default();
    if raw.is_empty() {
        return Err(ValidationError::missing("template", "choose a template").into());
    }
    let unknown = || {
        ApiError::from(ValidationError::new(
            "template",
            "is not an approved template of this channel",
        ))
    };
    let id = TemplateId::parse(raw).map_err(|_| unknown())?;
    let t = state
        .app
        .get_template(&console.principal, &id)
        .await
        .map_err(|_| unknown())?;
    if t.waba_id != channel.waba_id || t.status != TemplateStatus::Approved {
        return Err(unknown());
    }
    Ok(t)
}

#[derive(askama::Template)]
#[template(path = "console/inbox/template_fields.html")]
struct TemplateFields {
    fields: Vec<Field>,
    preview: String,
}

#[derive(askama::Template)]
#[template(path = "console/inbox/preview.html")]
struct Preview {
    text: String,
    error: Option<String>,
}

async fn preview_html(
    state: &AppState,
    console: &Console,
    t: &wagate_store::Template,
    fields: &[Field],
) -> Result<String, ApiError> {
    let outcome = match components(t, fields) {
        Err(e) => Err(e.message),
        Ok(components) => match SendComponents::parse(&components) {
            Err(e) => Err(e.to_string()),
            Ok(sc) => match state
                .app
                .preview_template(&console.principal, &t.id, &sc)
                .await
            {
                Ok((_, rendered)) => Ok(rendered_text(&rendered)),
                Err(e) => Err(ApiError::from(e).message),
            },
        },
    };
    render(&match outcome {
        Ok(text) => Preview { text, error: None },
        Err(e) => Preview {
            text: String::new(),
            error: Some(e),
        },
    })
}

/// The chosen template's parameter fields and its preview.
async fn template_fields(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let values = form_map(q);
    let channel = channel_of(
        &state,
        &console,
        values.get("channel").map_or("", String::as_str),
    )
    .await?;
    if values.get("template").is_none_or(|t| t.is_empty()) {
        return Ok(Html(String::new()).into_response());
    }
    let t = chosen_template(&state, &console, &channel, &values).await?;
    let fields = fields(&t, &values);
    let preview = preview_html(&state, &console, &t, &fields).await?;
    Ok(Html(render(&TemplateFields { fields, preview })?).into_response())
}

/// The live preview: the template filled with the fields as typed (the core's rendering).
async fn preview(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let values = form_map(q);
    let channel = channel_of(
        &state,
        &console,
        values.get("channel").map_or("", String::as_str),
    )
    .await?;
    let t = chosen_template(&state, &console, &channel, &values).await?;
    let fields = fields(&t, &values);
    Ok(Html(preview_html(&state, &console, &t, &fields).await?).into_response())
}

/// Sends the chosen template with its parameters; answers the refreshed thread.
async fn send_template(
    State(state): State<AppState>,
    console: Console,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let values = form_map(f);
    let channel = channel_of(
        &state,
        &console,
        values.get("channel").map_or("", String::as_str),
    )
    .await?;
    let wa_id = number("c", values.get("c").map_or("", String::as_str))?;
    let t = chosen_template(&state, &console, &channel, &values).await?;
    let fields = fields(&t, &values);
    let send = json!({
        "type": "template",
        "template": {
            "name": t.name.as_str(),
            "language": {"code": t.language.as_str()},
            "components": components(&t, &fields)?,
        }
    });
    let content = Content::outbound(&send)?;
    state
        .app
        .reply(&console.principal, &channel, &wa_id, content, None)
        .await?;
    Ok(Html(thread_html(&state, &console, &channel, &wa_id).await?).into_response())
}

// ---- Live updates and media ----

#[derive(Deserialize)]
struct ChannelQuery {
    channel: Option<String>,
}

/// How often an open stream looks for changes.
const POLL: Duration = Duration::from_secs(1);

/// `GET /console/inbox/events?channel=`: an event (`data: changed`) whenever a message of
/// the channel arrives or changes status. It polls the store's fingerprint of the channel's
/// newest messages once a second, so it sees what any node wrote; keep-alive comments every
/// 15 s; it ends when the client goes away (the response is dropped).
async fn events(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<ChannelQuery>,
) -> Result<Response, ApiError> {
    let channel = channel_of(&state, &console, q.channel.as_deref().unwrap_or("")).await?;
    let p = console.principal.clone();
    let seen = state.app.inbox_fingerprint(&p, &channel).await?;
    let stream = futures::stream::unfold(
        (state, p, channel, seen, 0u64),
        |(state, p, channel, mut seen, mut n)| async move {
            loop {
                tokio::time::sleep(POLL).await;
                let now = state.app.inbox_fingerprint(&p, &channel).await.ok()?;
                if now != seen {
                    seen = now;
                    n += 1;
                    let event = Event::default().id(n.to_string()).data("changed");
                    return Some((Ok::<_, Infallible>(event), (state, p, channel, seen, n)));
                }
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// `GET /console/inbox/media/{id}`: a media file's bytes, for the signed-in key (as the
/// Cloud plane's download streams them).
async fn media(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || {
        ApiError::from(wagate_app::Error::from(StoreError::NotFound(
            wagate_store::Entity::Media,
        )))
    };
    let id = MediaId::parse(&id).map_err(|_| not_found())?;
    let (media, file) = state.app.open_media(&console.principal, &id).await?;
    let mut res = Body::from_stream(ReaderStream::new(file)).into_response();
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&media.mime_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(media.file_size));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}
