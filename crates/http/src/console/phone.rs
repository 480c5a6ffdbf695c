//! The sandbox phone (`/console/phone?channel=&user=`): chat AS a virtual user of a sandbox
//! channel. Everything the user does is a message injected through the simulated network's
//! own surface (the same parsing as `POST /sandbox/{phone_number_id}/inbound` and
//! [`App::inject_inbound`](wagate_app::App::inject_inbound)): text, an image, a tap on a
//! button or a list row of the business's interactive message, STOP. The business's
//! messages are read by the user as the channel's sandbox settings say (the network's read
//! receipts). The conversation updates live through the inbox's event stream.

use axum::extract::{Multipart, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};
use wagate_core::channel::{Channel, Upstream};
use wagate_core::error::ValidationError;
use wagate_core::media::MediaType;
use wagate_core::phone::PhoneE164;

use super::home::{ChannelRow, visible_channels};
use super::inbox::{Bubble, channel_of, number};
use super::{Chrome, Console, page};
use crate::error::ApiError;
use crate::state::AppState;

/// The number the phone chats as when none is given.
const DEFAULT_USER: &str = "15550009999";
/// Messages shown.
const SHOWN: u32 = 100;
/// The largest image the phone sends.
const MAX_IMAGE: usize = 5 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/phone", get(phone))
        .route("/console/phone/messages", get(messages))
        .route("/console/phone/send", post(send))
        .route("/console/phone/image", post(image))
}

#[derive(Deserialize)]
struct PhoneQuery {
    channel: Option<String>,
    user: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "console/phone/messages.html")]
struct Messages {
    channel: String,
    user: String,
    bubbles: Vec<Bubble>,
}

#[derive(askama::Template)]
#[template(path = "console/phone/page.html")]
struct PhonePage {
    chrome: Chrome,
    sandboxes: Vec<ChannelRow>,
    channel: String,
    channel_name: String,
    is_sandbox: bool,
    user: String,
    messages: String,
}

fn is_sandbox(c: &Channel) -> bool {
    matches!(c.upstream, Upstream::Sandbox(_))
}

async fn messages_html(
    state: &AppState,
    console: &Console,
    channel: &Channel,
    user: &PhoneE164,
) -> Result<String, ApiError> {
    let mut list = state
        .app
        .conversation(&console.principal, channel, user, SHOWN)
        .await?;
    list.reverse();
    askama::Template::render(&Messages {
        channel: channel.id.to_string(),
        user: user.digits().to_owned(),
        bubbles: Bubble::thread(&list),
    })
    .map_err(ApiError::internal)
}

async fn phone(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<PhoneQuery>,
) -> Result<Response, ApiError> {
    let channels = visible_channels(&state, &console).await?;
    let sandboxes: Vec<&Channel> = channels.iter().filter(|c| is_sandbox(c)).collect();
    let channel = match q.channel.as_deref().filter(|c| !c.is_empty()) {
        Some(raw) => Some(channel_of(&state, &console, raw).await?),
        None => sandboxes.first().map(|c| (*c).clone()),
    };
    let user = number(
        "user",
        q.user
            .as_deref()
            .filter(|u| !u.is_empty())
            .unwrap_or(DEFAULT_USER),
    )?;
    let mut view = PhonePage {
        chrome: Chrome::new(&console, "phone", "Sandbox phone"),
        sandboxes: sandboxes.iter().map(|c| ChannelRow::of(c)).collect(),
        channel: String::new(),
        channel_name: String::new(),
        is_sandbox: false,
        user: user.digits().to_owned(),
        messages: String::new(),
    };
    if let Some(channel) = channel {
        view.channel = channel.id.to_string();
        view.channel_name = channel.verified_name.as_str().to_owned();
        view.is_sandbox = is_sandbox(&channel);
        if view.is_sandbox {
            view.messages = messages_html(&state, &console, &channel, &user).await?;
        }
    }
    page(&view)
}

/// The sandbox channel named by `raw`; a cloud channel has no virtual users.
async fn sandbox_channel(
    state: &AppState,
    console: &Console,
    raw: &str,
) -> Result<Channel, ApiError> {
    let channel = channel_of(state, console, raw).await?;
    if !is_sandbox(&channel) {
        return Err(ValidationError::new(
            "channel",
            "the phone exists only for sandbox numbers; this channel is a cloud number",
        )
        .into());
    }
    Ok(channel)
}

/// The conversation fragment (refreshed live).
async fn messages(
    State(state): State<AppState>,
    console: Console,
    Query(q): Query<PhoneQuery>,
) -> Result<Response, ApiError> {
    let channel = sandbox_channel(&state, &console, q.channel.as_deref().unwrap_or("")).await?;
    let user = number("user", q.user.as_deref().unwrap_or(""))?;
    Ok(Html(messages_html(&state, &console, &channel, &user).await?).into_response())
}

#[derive(Deserialize)]
struct SendForm {
    channel: String,
    user: String,
    /// `text` (default), `stop`, `button` or `list`.
    action: Option<String>,
    text: Option<String>,
    /// The tapped option's id and title.
    reply_id: Option<String>,
    title: Option<String>,
    /// The business message answered.
    context: Option<String>,
}

/// Injects `message` (an inbound message object, `from` added) as the user; answers the
/// refreshed conversation.
async fn inject(
    state: &AppState,
    console: &Console,
    channel: &Channel,
    user: &PhoneE164,
    mut message: Value,
) -> Result<Response, ApiError> {
    message["from"] = json!(user.digits());
    let cmd = crate::sandbox::inbound::parse(&message, state.app.now())?;
    state
        .app
        .inject_inbound(&console.principal, channel, cmd)
        .await?;
    Ok(Html(messages_html(state, console, channel, user).await?).into_response())
}

async fn send(
    State(state): State<AppState>,
    console: Console,
    Form(f): Form<SendForm>,
) -> Result<Response, ApiError> {
    let channel = sandbox_channel(&state, &console, &f.channel).await?;
    let user = number("user", &f.user)?;
    let context = f.context.as_deref().filter(|c| !c.is_empty());
    let mut message = match f.action.as_deref().unwrap_or("text") {
        "text" => {
            let text = f.text.as_deref().unwrap_or("").trim();
            if text.is_empty() {
                return Err(ValidationError::missing("text", "write a message first").into());
            }
            json!({"type": "text", "text": {"body": text}})
        }
        "stop" => json!({"type": "text", "text": {"body": "STOP"}}),
        kind @ ("button" | "list") => {
            let id = f.reply_id.as_deref().unwrap_or("");
            let title = f.title.as_deref().unwrap_or("");
            if id.is_empty() || title.is_empty() {
                return Err(ValidationError::missing(
                    "reply_id",
                    "tap one of the message's options",
                )
                .into());
            }
            let reply = format!("{kind}_reply");
            let mut interactive = serde_json::Map::new();
            interactive.insert("type".to_owned(), json!(reply));
            interactive.insert(reply, json!({"id": id, "title": title}));
            json!({"type": "interactive", "interactive": interactive})
        }
        _ => return Err(ValidationError::new("action", "is not something the phone does").into()),
    };
    if let Some(c) = context {
        message["context"] = json!({"id": c});
    }
    inject(&state, &console, &channel, &user, message).await
}

/// An image the user sends (multipart: `channel`, `user`, `file`, optional `caption`).
async fn image(
    State(state): State<AppState>,
    console: Console,
    mut form: Multipart,
) -> Result<Response, ApiError> {
    let (mut channel, mut user, mut caption, mut file) = (None, None, None, None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::from(ValidationError::new("file", e.body_text())))?
    {
        let name = field.name().unwrap_or("").to_owned();
        let bad = |e: axum::extract::multipart::MultipartError| {
            ApiError::from(ValidationError::new(name.clone(), e.body_text()))
        };
        match name.as_str() {
            "channel" => channel = Some(field.text().await.map_err(bad)?),
            "user" => user = Some(field.text().await.map_err(bad)?),
            "caption" => caption = Some(field.text().await.map_err(bad)?),
            "file" => {
                let declared = field.content_type().map(str::to_owned);
                let bytes = field.bytes().await.map_err(bad)?;
                file = Some((declared, bytes));
            }
            _ => {}
        }
    }
    let channel = sandbox_channel(&state, &console, channel.as_deref().unwrap_or("")).await?;
    let user = number("user", user.as_deref().unwrap_or(""))?;
    let Some((declared, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(ValidationError::missing("file", "choose an image to send").into());
    };
    if bytes.len() > MAX_IMAGE {
        return Err(ValidationError::out_of_range("file", "is larger than 5 MB").into());
    }
    let mime = declared
        .as_deref()
        .and_then(|d| MediaType::parse(d).ok())
        .map(|t| t.essence().to_owned())
        .filter(|t| t.starts_with("image/"))
        .ok_or_else(|| ValidationError::new("file", "must be an image (JPEG or PNG)"))?;
    let data = format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    );
    let mut image = json!({"data": data});
    if let Some(c) = caption.filter(|c| !c.trim().is_empty()) {
        image["caption"] = json!(c);
    }
    inject(
        &state,
        &console,
        &channel,
        &user,
        json!({"type": "image", "image": image}),
    )
    .await
}
