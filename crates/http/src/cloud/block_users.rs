//! `/{phone_number_id}/block_users`: the channel's block list, as Meta's Cloud API keeps it.
//! Blocked users cannot be messaged (their messages fail with 131026). As on Meta, only users
//! who messaged the business in the last 24 hours can be blocked; unblocking is unrestricted.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use wagate_app::contacts::{BLOCK_BATCH_MAX, BlockRefusal};
use wagate_core::error::ValidationError;
use wagate_core::ids::ContactId;
use wagate_core::phone::PhoneE164;
use wagate_store::Page;

use super::path::ObjectPath;
use super::phone_number;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Query, parse_json};
use crate::state::AppState;

/// `block_users: [{"user": "+1…"}]` → (input, number) pairs.
fn parse_users(body: &Value) -> Result<Vec<(String, PhoneE164)>, ValidationError> {
    if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
        return Err(ValidationError::missing(
            "messaging_product",
            "must be \"whatsapp\"",
        ));
    }
    let users = body
        .get("block_users")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ValidationError::missing("block_users", "must be a list of {\"user\": …}")
        })?;
    if users.is_empty() || users.len() > BLOCK_BATCH_MAX {
        return Err(ValidationError::out_of_range(
            "block_users",
            format!("must hold 1 to {BLOCK_BATCH_MAX} users"),
        ));
    }
    users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let field = format!("block_users[{i}].user");
            let input = match u.get("user") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return Err(ValidationError::missing(field, "is required")),
            };
            let wa_id = PhoneE164::parse_field(&field, &input)?;
            Ok((input, wa_id))
        })
        .collect()
}

async fn change(
    state: AppState,
    p: wagate_app::Principal,
    object_id: String,
    body: Bytes,
    block: bool,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let users = parse_users(&parse_json(&body)?)?;
    let outcomes = state.app.set_blocked(&p, &channel, users, block).await?;
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for o in outcomes {
        match o.result {
            Ok(()) => done.push(json!({"input": o.input, "wa_id": o.wa_id.digits()})),
            Err(BlockRefusal::NoRecentMessage) => failed.push(json!({
                "input": o.input,
                "wa_id": o.wa_id.digits(),
                "errors": [{
                    "message": "(#139100) Failed to block user",
                    "code": 139100,
                    "error_data": {"details": "Only users who messaged this business in the last 24 hours can be blocked."}
                }]
            })),
        }
    }
    let key = if block {
        "added_users"
    } else {
        "removed_users"
    };
    let mut result = json!({ key: done });
    if !failed.is_empty() {
        result["failed_users"] = Value::Array(failed);
    }
    Ok(Json(
        json!({"messaging_product": "whatsapp", "block_users": result}),
    ))
}

pub async fn block(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    change(state, p, object_id, body, true).await
}

pub async fn unblock(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    change(state, p, object_id, body, false).await
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub limit: Option<u32>,
    pub after: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let channel = phone_number(&state, &p, &object_id).await?;
    let after = q
        .after
        .as_deref()
        .map(|a| {
            a.parse::<ContactId>()
                .map_err(|_| ValidationError::new("after", "is not a cursor from this list"))
        })
        .transpose()?;
    let page = Page::after(after, q.limit.unwrap_or(Page::<ContactId>::DEFAULT_LIMIT));
    let contacts = state.app.list_blocked(&p, &channel, &page).await?;
    let data: Vec<Value> = contacts
        .iter()
        .filter_map(|c| c.wa_id.as_ref())
        // `input` too, as pywa reads it: the number the user was blocked by.
        .map(|w| json!({"messaging_product": "whatsapp", "input": w.digits(), "wa_id": w.digits()}))
        .collect();
    let mut paging = json!({"cursors": {}});
    if let (Some(first), Some(last)) = (contacts.first(), contacts.last()) {
        paging["cursors"] = json!({"before": first.id.to_string(), "after": last.id.to_string()});
    }
    Ok(Json(json!({"data": data, "paging": paging})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_lists() {
        let ok = json!({"messaging_product": "whatsapp", "block_users": [{"user": "+1 650 555 1234"}, {"user": 4915112345678u64}]});
        let users = parse_users(&ok).unwrap();
        assert_eq!(users[0].1.digits(), "16505551234");
        assert_eq!(users[1].1.digits(), "4915112345678");
        let empty = json!({"messaging_product": "whatsapp", "block_users": []});
        assert_eq!(parse_users(&empty).unwrap_err().field, "block_users");
        let bad = json!({"messaging_product": "whatsapp", "block_users": [{"user": "x"}]});
        assert_eq!(parse_users(&bad).unwrap_err().field, "block_users[0].user");
        let too_many: Vec<Value> = (0..1001)
            .map(|i| json!({"user": format!("+1650555{i:04}")}))
            .collect();
        let big = json!({"messaging_product": "whatsapp", "block_users": too_many});
        assert_eq!(parse_users(&big).unwrap_err().field, "block_users");
    }
}
