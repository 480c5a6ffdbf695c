//! `GET /messages`: the instance's messages, inbound and outbound, in 1MSG's item shape
//! ([`wire::item`]), read in the order the channel stored them (`messageNumber` 1, 2, 3…).
//!
//! - `lastMessageNumber=N`: the messages after number N (what the previous answer's
//!   `lastMessageNumber` continues from); without it, from the first message.
//! - `firstMessageNumber=N`: the messages before number N (paging back), still oldest first.
//! - `last=true`: the newest `limit` messages (`lastMessageNumber` ignored).
//! - `limit`: how many (default 100; 0 = all).
//! - `chatId`: one chat's; `min_time` / `max_time`: Unix seconds, inclusive / exclusive.
//! - `msgId`: that one message.
//!
//! The answer: `{messages, lastMessageNumber, firstMessageNumber}`, the numbers of the
//! page's last and first messages (the given `lastMessageNumber`, or 0, when it is empty).
//! 1MSG keeps no history unless asked; wagate always has it.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use wagate_core::Timestamp;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::MessageId;
use wagate_core::message::Wamid;
use wagate_store::{MessageFilter, MessageKey, MessageOrder, Page};

use super::auth::Instance;
use super::wire::{self, text_or_number};
use crate::error::ApiError;
use crate::kit::params::Params;
use crate::state::AppState;

/// The default `limit`.
const DEFAULT_LIMIT: u64 = 100;

fn number(params: &Params, name: &str) -> Result<Option<u64>, ApiError> {
    text_or_number(params, name)?
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                ApiError::new(ErrorCode::InvalidQuery, "must be a whole number ≥ 0").field(name)
            })
        })
        .transpose()
}

fn time(params: &Params, name: &str) -> Result<Option<Timestamp>, ApiError> {
    number(params, name)?
        .map(|s| {
            i64::try_from(s)
                .ok()
                .and_then(|s| Timestamp::from_second(s).ok())
                .ok_or_else(|| {
                    ApiError::new(ErrorCode::InvalidQuery, "must be Unix seconds").field(name)
                })
        })
        .transpose()
}

pub async fn list(
    State(state): State<AppState>,
    Instance { principal, channel }: Instance,
    uri: axum::http::Uri,
) -> Result<Json<Value>, ApiError> {
    let params = Params::query(uri.query());
    let instance = channel.id.to_string();
    if let Some(id) = text_or_number(&params, "msgId")? {
        let found = match Wamid::parse_field("msgId", &id) {
            Ok(w) => state
                .app
                .get_message(&principal, &MessageKey::Wamid(w))
                .await
                .ok(),
            Err(_) => None,
        }
        .filter(|m| m.channel_id == channel.id);
        let messages: Vec<Value> = found.iter().map(|m| wire::item(m, &instance)).collect();
        let n = found.map_or(0, |m| m.number);
        return Ok(Json(json!({
            "messages": messages, "lastMessageNumber": n, "firstMessageNumber": n,
        })));
    }
    let last = match text_or_number(&params, "last")?.as_deref() {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(_) => {
            return Err(ValidationError::new("last", "must be true or false").into());
        }
    };
    let limit = number(&params, "limit")?.unwrap_or(DEFAULT_LIMIT);
    let after = number(&params, "lastMessageNumber")?;
    let mut filter = MessageFilter {
        channel_id: Some(channel.id),
        since: time(&params, "min_time")?,
        until: time(&params, "max_time")?,
        number_before: number(&params, "firstMessageNumber")?,
        order: if last {
            MessageOrder::NewestFirst
        } else {
            MessageOrder::OldestFirst
        },
        ..MessageFilter::default()
    };
    if !last {
        filter.number_after = after;
    }
    if let Some(chat) = text_or_number(&params, "chatId")? {
        let mut p = Params::default();
        p.insert_text("chatId".into(), chat);
        filter.wa_id = Some(wire::recipient(&p)?.digits().to_owned());
    }
    // Read in pages of the store's largest, until `limit` (0 = all) or the end.
    let mut messages = Vec::new();
    let mut cursor: Option<MessageId> = None;
    loop {
        let want = if limit == 0 {
            u64::from(Page::<MessageId>::MAX_LIMIT)
        } else {
            (limit - messages.len() as u64).min(u64::from(Page::<MessageId>::MAX_LIMIT))
        };
        let page = Page::after(cursor, want as u32);
        let got = state
            .app
            .list_messages(&principal, filter.clone(), &page)
            .await?;
        let full = got.len() as u64 == want;
        cursor = got.last().map(|m| m.id);
        messages.extend(got);
        if !full || (limit != 0 && messages.len() as u64 >= limit) {
            break;
        }
    }
    if last {
        messages.reverse();
    }
    let first = messages.first().map_or(after.unwrap_or(0), |m| m.number);
    let last_number = messages.last().map_or(after.unwrap_or(0), |m| m.number);
    Ok(Json(json!({
        "messages": messages.iter().map(|m| wire::item(m, &instance)).collect::<Vec<_>>(),
        "lastMessageNumber": last_number,
        "firstMessageNumber": first,
    })))
}
