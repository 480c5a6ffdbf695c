//! §2 delivery reports and §4 inbox reports, from wagate's message reports
//! (`App::report_messages`, `App::get_message`): the seed's message object for each
//! message, `{data, total, offset, limit}` for lists, and HTTP 400 `14-Data not found`
//! for an empty one (the seed's answer).
//!
//! Statuses are numeric, as the seed shows them: 0 Pending (accepted, not yet handed to
//! WhatsApp), 1 Sent, 3 Delivered, 4 Read, 5 Failed (the seed never lists one: wagate's
//! choice). A received message is 3 Delivered, as the seed's inbox shows. `statusMessage`
//! and `statusMessageInfo` repeat the status, with the failure's reason for a failed one.
//! Times are RFC 3339 in UTC.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use serde_json::{Value, json};
use wagate_app::messaging::reports::MessageReport;
use wagate_core::Timestamp;
use wagate_core::content::MessageType;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::MessageId;
use wagate_core::message::{Direction, Message, MessageStatus, Wamid};
use wagate_core::report::TimeBound;
use wagate_store::{MessageFilter, MessageKey, MessageOrder, Page};

use super::call::{Call, Form};
use super::errors::DATA_NOT_FOUND;
use crate::error::ApiError;
use crate::state::AppState;

/// How far back the delivery report reaches (the seed's "last 7 days").
const REPORT_DAYS: i64 = 7;

/// The seed's numeric status and its text.
pub fn status_of(m: &Message) -> (u8, &'static str) {
    status_number(m.status)
}

/// The seed's number and text of `status`.
pub fn status_number(status: MessageStatus) -> (u8, &'static str) {
    match status {
        MessageStatus::Accepted => (0, "Pending"),
        MessageStatus::Sent => (1, "Sent"),
        MessageStatus::Delivered | MessageStatus::Received => (3, "Delivered"),
        MessageStatus::Read => (4, "Read"),
        MessageStatus::Failed => (5, "Failed"),
    }
}

fn time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| json!(t.to_string()))
}

/// The message's text: a text's body, a file's caption, an interactive message's body,
/// else its one-line preview.
fn text_of(m: &Message) -> String {
    let b = m.content.body();
    ["/body", "/caption", "/body/text"]
        .iter()
        .find_map(|p| b.pointer(p).and_then(Value::as_str))
        .map(str::to_owned)
        .or_else(|| m.content.preview())
        .unwrap_or_default()
}

/// The seed's message object (§2.1, §2.2, §4).
pub fn message_object(m: &Message) -> Value {
    let (status, info) = status_of(m);
    let kind = m.content.kind();
    let body = m.content.body();
    let interactive = body.get("type").and_then(Value::as_str).unwrap_or_default();
    let is_media = m.content.media().is_some();
    let is = |k: MessageType| kind == k;
    let (status_message, status_message_info) = match &m.error {
        Some(e) => (status, format!("{} {}: {}", e.code, e.title, e.details)),
        None => (status, info.to_owned()),
    };
    json!({
        "messageID": m.id.to_string(),
        "clientID": m.account_id.to_string(),
        "clientId": m.account_id.to_string(),
        "instanceID": m.channel_id.to_string(),
        "creditID": "",
        "phone": m.wa_id.as_ref().map(|w| w.digits().to_owned()).unwrap_or_default(),
        "full_push_name": m.profile_name.clone().unwrap_or_default(),
        "text": text_of(m),
        "link": body.get("link").cloned().unwrap_or(json!("")),
        "serverSend": m.direction == Direction::Outbound,
        "type": kind.as_str(),
        "isMedia": is_media,
        "mediaType": if is_media { kind.as_str() } else { "" },
        "mediaPath": "",
        "isLocation": is(MessageType::Location),
        "location": if is(MessageType::Location) { body.clone() } else { Value::Null },
        "isContact": is(MessageType::Contacts),
        "contact": if is(MessageType::Contacts) { body.clone() } else { Value::Null },
        "isButton": is(MessageType::Interactive) && interactive != "list",
        "button": if is(MessageType::Interactive) && interactive != "list" { body.clone() } else { Value::Null },
        "isList": is(MessageType::Interactive) && interactive == "list",
        "list": if is(MessageType::Interactive) && interactive == "list" { body.clone() } else { Value::Null },
        "wacheck": m.wa_id.is_some() && m.status != MessageStatus::Failed,
        "waID": m.wa_id.as_ref().map(|w| w.digits().to_owned()).unwrap_or_default(),
        "waMessageID": m.wamid.as_str(),
        "status": status,
        "timedOut": 0,
        "statusInfo": info,
        "statusMessage": status_message,
        "statusMessageInfo": status_message_info,
        "mode": "API",
        "deliveredAt": time(m.delivered_at),
        "readAt": time(m.read_at),
        "createdAt": time(Some(m.created_at)),
        "updatedAt": time([m.created_at].into_iter().chain(m.sent_at).chain(m.delivered_at)
            .chain(m.read_at).chain(m.failed_at).max()),
        "value": Value::Null,
    })
}

/// HTTP 400 `14-Data not found`, the seed's answer to an empty list.
pub fn data_not_found() -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"status": "error", "message": DATA_NOT_FOUND})),
    )
        .into_response()
}

/// A `dd-mm-yyyy` date parameter.
fn day(form: &Form, name: &str) -> Result<Option<TimeBound>, ValidationError> {
    let Some(raw) = form.get(name) else {
        return Ok(None);
    };
    let bad = || ValidationError::new(name, "must be a date in dd-mm-yyyy format");
    let mut parts = raw.split('-');
    let (Some(d), Some(m), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let (d, m, y) = (
        d.parse::<i8>().map_err(|_| bad())?,
        m.parse::<i8>().map_err(|_| bad())?,
        y.parse::<i16>().map_err(|_| bad())?,
    );
    Date::new(y, m, d)
        .map(|d| Some(TimeBound::Day(d)))
        .map_err(|_| bad())
}

/// `limit`: how many (the newest, or the first after an offset); 0 or absent is all, up to
/// the page cap.
fn limit(form: &Form) -> Result<u32, ValidationError> {
    form.get("limit")
        .map(|l| {
            l.parse::<u32>()
                .map_err(|_| ValidationError::new("limit", "must be a whole number"))
        })
        .transpose()
        .map(Option::unwrap_or_default)
}

/// A list answer of `page` (trimmed to `limit`): `{data, total, offset, limit}`.
async fn list(
    state: &AppState,
    call: &Call,
    report: MessageReport,
    asked: u32,
) -> Result<Response, ApiError> {
    let cap = if asked == 0 {
        Page::<MessageId>::MAX_LIMIT
    } else {
        asked
    };
    let page = Page::first(cap);
    let found = state
        .app
        .report_messages(&call.principal, report, &page, true)
        .await?;
    let data: Vec<Value> = found
        .messages
        .iter()
        .take(page.limit as usize)
        .map(message_object)
        .collect();
    if data.is_empty() {
        return Ok(data_not_found());
    }
    Ok(Json(json!({
        "status": "success",
        "message": "00-Success",
        "data": data,
        "total": found.total.unwrap_or_default(),
        "offset": 0,
        "limit": asked,
    }))
    .into_response())
}

/// §2.1 campaignStatus: one message by `msg_id` (wagate's message id, or its wamid).
pub async fn campaign_status(
    State(state): State<AppState>,
    call: Call,
) -> Result<Response, ApiError> {
    let raw = call.form.required("msg_id")?;
    let key = match raw.parse::<MessageId>() {
        Ok(id) => MessageKey::Id(id),
        Err(_) => MessageKey::Wamid(
            Wamid::parse_field("msg_id", raw)
                .map_err(|_| ApiError::not_found(ErrorCode::MessageNotFound, "message", raw))?,
        ),
    };
    let m = state
        .app
        .get_message(&call.principal, &key)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::MessageNotFound, "message", raw))?;
    if m.channel_id != call.channel.id {
        return Err(ApiError::not_found(
            ErrorCode::MessageNotFound,
            "message",
            raw,
        ));
    }
    Ok(Json(json!({
        "status": "success",
        "message": "00-Success",
        "data": message_object(&m),
    }))
    .into_response())
}

/// §2.2 campaignReport: the instance's sent messages of the last 7 days, or of a
/// `start_date`–`end_date` range within them (inclusive, in the account's time zone),
/// newest first.
pub async fn campaign_report(
    State(state): State<AppState>,
    call: Call,
) -> Result<Response, ApiError> {
    let now = state.app.now();
    let week_ago = Timestamp::from_second(now.as_second() - REPORT_DAYS * 86_400)
        .map_err(ApiError::internal)?;
    let report = MessageReport {
        filter: MessageFilter {
            channel_id: Some(call.channel.id),
            direction: Some(Direction::Outbound),
            since: Some(week_ago),
            ..MessageFilter::default()
        },
        from: day(&call.form, "start_date")?,
        to: day(&call.form, "end_date")?,
    };
    let asked = limit(&call.form)?;
    list(&state, &call, report, asked).await
}

/// §4.1 inboxReport: the instance's received messages, all or of a date range, newest
/// first.
pub async fn inbox_report(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let report = MessageReport {
        filter: MessageFilter {
            channel_id: Some(call.channel.id),
            direction: Some(Direction::Inbound),
            ..MessageFilter::default()
        },
        from: day(&call.form, "start_date")?,
        to: day(&call.form, "end_date")?,
    };
    let asked = limit(&call.form)?;
    list(&state, &call, report, asked).await
}

/// §4.2 inboxReportOffset: the received messages after the one `offset` names (its
/// `messageID` or wamid), oldest first; without `offset`, all of them from the first.
pub async fn inbox_report_offset(
    State(state): State<AppState>,
    call: Call,
) -> Result<Response, ApiError> {
    let mut filter = MessageFilter {
        channel_id: Some(call.channel.id),
        direction: Some(Direction::Inbound),
        order: MessageOrder::OldestFirst,
        ..MessageFilter::default()
    };
    if let Some(raw) = call.form.get("offset") {
        let key = match raw.parse::<MessageId>() {
            Ok(id) => MessageKey::Id(id),
            Err(_) => MessageKey::Wamid(Wamid::parse_field("offset", raw)?),
        };
        let from = state
            .app
            .get_message(&call.principal, &key)
            .await
            .map_err(|e| ApiError::naming(e, ErrorCode::MessageNotFound, "message", raw))?;
        if from.channel_id != call.channel.id {
            return Err(ApiError::not_found(
                ErrorCode::MessageNotFound,
                "message",
                raw,
            ));
        }
        filter.number_after = Some(from.number);
    }
    let asked = limit(&call.form)?;
    let report = MessageReport {
        filter,
        ..MessageReport::default()
    };
    list(&state, &call, report, asked).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_day_month_year() {
        let f = |v: &str| Form::from_pairs(vec![("start_date".into(), v.into())]);
        assert_eq!(
            day(&f("24-06-2022"), "start_date").unwrap(),
            Some(TimeBound::Day(Date::new(2022, 6, 24).unwrap()))
        );
        for bad in ["2022-06-24", "31-02-2022", "24/06/2022", "x"] {
            assert_eq!(day(&f(bad), "start_date").unwrap_err().field, "start_date");
        }
    }
}
