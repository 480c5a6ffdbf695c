//! §3 instance (QR), §5 balance, §6 groups and §7 contacts.
//!
//! - **QR** (§3): a Cloud API number never pairs by QR, so `qrCode` and `qrCodeLink` answer
//!   the seed's "connected" branch, the instance object, from the number's registration
//!   (`login`, `status` and `info.Connected` are whether it can send): never a fake QR.
//!   Quota fields come from the account's wallet, `webHook` from the webhook subscription
//!   that receives the number's events.
//! - **Balance** (§5): the wallet. A quota wallet answers its messages left (`quota`), the
//!   expiry and the backup quota; a credits wallet its balance in currency units (with
//!   `currency`). `status` is `active`, or `expired` once a quota's expiry has passed.
//! - **Groups** (§6): the groups created through wagate on the number (WhatsApp-Web groups
//!   do not exist on the Cloud API), with their participants; none is `14-Data not found`.
//! - **Contacts** (§7): the account's contact book (no address book exists on the Cloud
//!   API: these are the people the business talked to or added), `id` the number; none is
//!   `14-Data not found`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use wagate_core::billing::wallet::{Wallet, WalletKind, WalletMode};
use wagate_store::{ContactCardFilter, Page};

use super::call::Call;
use super::reports::data_not_found;
use crate::error::ApiError;
use crate::state::AppState;

fn ok(data: Value) -> Response {
    Json(json!({"status": "success", "message": "00-Success", "data": data})).into_response()
}

/// The wallet's amount as the seed's `quota`: messages, or currency units.
fn quota(wallet: &Wallet, amount: i64) -> Value {
    match wallet.kind {
        WalletKind::Quota => json!(amount),
        WalletKind::Credits => json!(amount as f64 / 1_000_000.0),
    }
}

fn expired(state: &AppState, wallet: &Wallet) -> bool {
    wallet.kind == WalletKind::Quota
        && wallet
            .quota_expires_at
            .is_some_and(|at| at <= state.app.now())
}

/// §5 checkBal.
pub async fn check_balance(
    State(state): State<AppState>,
    call: Call,
) -> Result<Response, ApiError> {
    let wallet = state.app.get_wallet(&call.principal).await?;
    let backup = (wallet.backup_balance > 0).then(|| json!({"quota": wallet.backup_balance}));
    Ok(ok(json!({
        "backup": backup,
        "expiryDate": wallet.quota_expires_at.map(|t| t.to_string()),
        "quota": quota(&wallet, wallet.balance),
        "currency": wallet.currency.as_str(),
        "status": if expired(&state, &wallet) { "expired" } else { "active" },
    })))
}

/// §3.1 qrCode and §3.2 qrCodeLink: the instance object (see the module docs).
pub async fn instance(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let now = state.app.now();
    let number = state
        .app
        .phone_number(&call.principal, call.channel.clone(), true, now)
        .await?;
    let connected = number.registration.can_send();
    let wallet = state.app.get_wallet(&call.principal).await?;
    let channel = &number.channel;
    let web_hook = number
        .webhooks
        .and_then(|w| w.phone_number.or(w.application))
        .unwrap_or_default();
    let digits = channel.display_phone_number.digits().to_owned();
    Ok(ok(json!({
        "instanceID": channel.id.to_string(),
        "clientID": channel.account_id.to_string(),
        "name": channel.verified_name.as_str(),
        "login": connected,
        "status": connected,
        "creditID": "",
        "creditReadID": "",
        "isUnlimited": wallet.kind == WalletKind::Credits && wallet.credit_limit.is_none()
            && wallet.mode == WalletMode::Postpaid,
        "quotaLimit": wallet.daily_limit.unwrap_or_default(),
        "quota": quota(&wallet, wallet.balance),
        "todayUsage": wallet.daily_used,
        "todayUsageUpdate": wallet.daily_date,
        "quotaUpdate": wallet.updated_at.to_string(),
        "expired": wallet.quota_expires_at.map(|t| t.to_string()),
        "isRead": true,
        "chatbotID": "",
        "webHook": web_hook,
        "info": {
            "Battery": 0,
            "Platform": "CLOUD",
            "Connected": connected,
            "Pushname": channel.verified_name.as_str(),
            "Wid": digits,
            "Lc": "",
            "Phone": {"Mcc": "N/A", "Mnc": "N/A", "OsVersion": "N/A",
                "DeviceManufacturer": "N/A", "DeviceModel": "N/A", "OsBuildNumber": "N/A",
                "WaVersion": "N/A"},
            "Plugged": false,
            "Tos": 0,
            "Lg": "",
            "Is24h": false,
        },
        "backup": (wallet.backup_balance > 0).then(|| json!({"quota": wallet.backup_balance})),
        "backupRead": null,
        "client": null,
        "voucher": null,
        "voucherRead": null,
        "isValid": connected && !expired(&state, &wallet),
        "virtualCredit": false,
        "virtualCreditLvl2": false,
        "autoRecharge": false,
        "autoRechargeVoucherID": "",
        "autoRechargeVoucherInfo": "",
    })))
}

/// §6 groups.
pub async fn groups(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let groups = state
        .app
        .list_groups(
            &call.principal,
            &call.channel,
            &Page::first(Page::<()>::MAX_LIMIT),
        )
        .await?;
    if groups.is_empty() {
        return Ok(data_not_found());
    }
    let data: Vec<Value> = groups
        .iter()
        .map(|g| {
            json!({
                "id": g.group.id.to_string(),
                "name": g.group.subject.as_str(),
                "participants": g.participants.iter().map(|p| p.wa_id.digits()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(ok(json!(data)))
}

/// §7 contacts.
pub async fn contacts(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let (cards, _) = state
        .app
        .list_contacts(
            &call.principal,
            &ContactCardFilter::default(),
            &Page::first(Page::<()>::MAX_LIMIT),
        )
        .await?;
    if cards.is_empty() {
        return Ok(data_not_found());
    }
    let data: Vec<Value> = cards
        .iter()
        .map(|c| {
            let name = c
                .name
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .or_else(|| c.profile_name.clone())
                .unwrap_or_default();
            json!({"id": c.wa_id.digits(), "name": name})
        })
        .collect();
    Ok(ok(json!(data)))
}
