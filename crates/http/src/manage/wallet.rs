//! `/api/v1/wallet` and `/api/v1/rates`: the account's wallet (balance, holds, settings),
//! its ledger, top-ups and adjustments, the rate card that prices its sends, and the charge
//! fixed on a message. Amounts are integers in the wallet's `unit`: `micros` (millionths of
//! the currency) for credits, `messages` for a quota. Changing anything takes an admin key.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wagate_core::Timestamp;
use wagate_core::billing::rates::{MARKUP_MAX_BPS, RateCard};
use wagate_core::billing::wallet::{LedgerEntry, LedgerKind, Pool, Wallet, WalletKind, WalletMode};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{LedgerEntryId, MessageId};
use wagate_core::pricing::{Pricing, PricingCategory};
use wagate_store::{LedgerFilter, MessageCharge, WalletPatch};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{JsonBody, Query};
use crate::kit::params::query_time;
use crate::manage::ErrorBody;
use crate::manage::paging::{List, ListQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_wallet, update_wallet))
        .routes(routes!(top_up))
        .routes(routes!(adjust))
        .routes(routes!(ledger))
        .routes(routes!(get_rates, put_rates, delete_rates))
        .routes(routes!(message_charge))
}

/// The wallet.
#[derive(Debug, Serialize, ToSchema)]
pub struct WalletView {
    /// `credits` (money) or `quota` (messages).
    pub kind: WalletKind,
    /// `prepaid` (a send the wallet cannot cover is refused) or `postpaid`.
    pub mode: WalletMode,
    pub currency: String,
    /// `micros` (millionths of the currency) or `messages`.
    pub unit: &'static str,
    /// The sum of the ledger's main entries: what is left after charges and open holds.
    pub balance: i64,
    /// A quota's backup recharge (used once the quota is spent or expired).
    pub backup_balance: i64,
    /// What open holds (accepted, not yet delivered billable messages) take.
    pub held: i64,
    /// Postpaid: how far below zero the balance may go; `null`: no limit.
    pub credit_limit: Option<i64>,
    pub low_balance_threshold: Option<i64>,
    /// Added to the rate card's prices, in basis points (1,500 = 15 %).
    pub markup_bps: u32,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub quota_expires_at: Option<Timestamp>,
    pub daily_limit: Option<i64>,
    /// Billable messages held today (UTC).
    pub daily_used: i64,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl WalletView {
    pub fn of(w: Wallet, now: Timestamp) -> Self {
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
        Self {
            kind: w.kind,
            mode: w.mode,
            currency: w.currency.as_str().to_owned(),
            unit: w.unit(),
            balance: w.balance,
            backup_balance: w.backup_balance,
            held: w.held,
            credit_limit: w.credit_limit,
            low_balance_threshold: w.low_balance_threshold,
            markup_bps: w.markup_bps,
            quota_expires_at: w.quota_expires_at,
            daily_limit: w.daily_limit,
            daily_used: if w.daily_date.as_deref() == Some(today.as_str()) {
                w.daily_used
            } else {
                0
            },
            updated_at: w.updated_at,
        }
    }
}

/// The account's wallet (the default one, postpaid and empty, until it is set up).
#[utoipa::path(get, path = "/wallet", operation_id = "get_wallet", tag = "wallet",
    responses((status = 200, body = WalletView), (status = 401, body = ErrorBody)))]
pub async fn get_wallet(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<WalletView>, ApiError> {
    let w = state.app.get_wallet(&p).await?;
    Ok(Json(WalletView::of(w, state.app.now())))
}

/// Changes to the wallet; absent fields stay, `null` clears a limit.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWallet {
    /// Changes only while the balances and holds are 0.
    pub kind: Option<WalletKind>,
    pub mode: Option<WalletMode>,
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub credit_limit: Option<Option<i64>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub low_balance_threshold: Option<Option<i64>>,
    #[schema(minimum = 0, maximum = 100_000)]
    pub markup_bps: Option<u32>,
    /// RFC 3339.
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub quota_expires_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub daily_limit: Option<Option<i64>>,
}

fn some<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn non_negative(
    field: &str,
    v: Option<Option<i64>>,
    min: i64,
) -> Result<Option<Option<i64>>, ValidationError> {
    if let Some(Some(n)) = v
        && !(min..=wagate_core::billing::wallet::AMOUNT_MAX).contains(&n)
    {
        return Err(ValidationError::out_of_range(
            field,
            format!(
                "must be from {min} to {}",
                wagate_core::billing::wallet::AMOUNT_MAX
            ),
        ));
    }
    Ok(v)
}

impl UpdateWallet {
    pub fn into_patch(self) -> Result<WalletPatch, ApiError> {
        if self.markup_bps.is_some_and(|m| m > MARKUP_MAX_BPS) {
            return Err(ValidationError::out_of_range(
                "markup_bps",
                format!("must be from 0 to {MARKUP_MAX_BPS}"),
            )
            .into());
        }
        let quota_expires_at = match self.quota_expires_at {
            None => None,
            Some(None) => Some(None),
            Some(Some(t)) => {
                Some(Some(t.parse::<Timestamp>().map_err(|_| {
                    ValidationError::new("quota_expires_at", "must be RFC 3339")
                })?))
            }
        };
        Ok(WalletPatch {
            kind: self.kind,
            mode: self.mode,
            credit_limit: non_negative("credit_limit", self.credit_limit, 0)?,
            low_balance_threshold: non_negative(
                "low_balance_threshold",
                self.low_balance_threshold,
                0,
            )?,
            markup_bps: self.markup_bps,
            quota_expires_at,
            daily_limit: non_negative("daily_limit", self.daily_limit, 1)?,
        })
    }
}

/// Change the wallet's kind, mode, limits, low-balance threshold or markup (admin keys).
#[utoipa::path(patch, path = "/wallet", operation_id = "update_wallet", tag = "wallet", request_body = UpdateWallet,
    responses((status = 200, body = WalletView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_wallet(
    State(state): State<AppState>,
    Auth(p): Auth,
    JsonBody(body): JsonBody<UpdateWallet>,
) -> Result<Json<WalletView>, ApiError> {
    let patch = body.into_patch()?;
    let w = state.app.update_wallet(&p, patch).await?;
    Ok(Json(WalletView::of(w, state.app.now())))
}

/// A ledger entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerView {
    pub id: LedgerEntryId,
    /// `top_up`, `adjustment`, `hold`, `release` or `charge`.
    pub kind: LedgerKind,
    /// `main`, or a quota's `backup`.
    pub pool: Pool,
    /// Signed, in the wallet's unit.
    pub amount: i64,
    pub message_id: Option<MessageId>,
    pub reference: Option<String>,
    pub reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<LedgerEntry> for LedgerView {
    fn from(e: LedgerEntry) -> Self {
        Self {
            id: e.id,
            kind: e.kind,
            pool: e.pool,
            amount: e.amount,
            message_id: e.message_id,
            reference: e.reference,
            reason: e.reason,
            created_at: e.created_at,
        }
    }
}

/// A change of the wallet and the entry that made it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Credited {
    pub wallet: WalletView,
    pub entry: LedgerView,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUp {
    /// In the wallet's unit: micros of the currency, or messages. Positive.
    #[schema(minimum = 1, maximum = 1_000_000_000_000_000_i64)]
    pub amount: i64,
    /// Your reference (an invoice, a payment id).
    #[schema(
        max_length = 256,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub reference: Option<String>,
    /// `main` (default) or a quota's `backup`.
    pub pool: Option<Pool>,
}

/// Add to the wallet (admin keys).
#[utoipa::path(post, path = "/wallet/top-ups", operation_id = "top_up_wallet", tag = "wallet", request_body = TopUp,
    responses((status = 201, body = Credited), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn top_up(
    State(state): State<AppState>,
    Auth(p): Auth,
    JsonBody(body): JsonBody<TopUp>,
) -> Result<(StatusCode, Json<Credited>), ApiError> {
    let (w, entry) = state
        .app
        .top_up(
            &p,
            body.pool.unwrap_or(Pool::Main),
            body.amount,
            body.reference.as_deref(),
        )
        .await?;
    Ok(credited(&state, w, entry))
}

/// The 201 answer of a top-up or an adjustment.
fn credited(state: &AppState, w: Wallet, entry: LedgerEntry) -> (StatusCode, Json<Credited>) {
    (
        StatusCode::CREATED,
        Json(Credited {
            wallet: WalletView::of(w, state.app.now()),
            entry: entry.into(),
        }),
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// Signed, non-zero, in the wallet's unit.
    #[schema(minimum = -1_000_000_000_000_000_i64, maximum = 1_000_000_000_000_000_i64)]
    pub amount: i64,
    /// Why (kept in the ledger).
    #[schema(
        max_length = 256,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub reason: String,
    pub pool: Option<Pool>,
}

/// Correct the balance either way, with a reason (admin keys).
#[utoipa::path(post, path = "/wallet/adjustments", operation_id = "adjust_wallet", tag = "wallet", request_body = Adjustment,
    responses((status = 201, body = Credited), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn adjust(
    State(state): State<AppState>,
    Auth(p): Auth,
    JsonBody(body): JsonBody<Adjustment>,
) -> Result<(StatusCode, Json<Credited>), ApiError> {
    let (w, entry) = state
        .app
        .adjust_wallet(
            &p,
            body.pool.unwrap_or(Pool::Main),
            body.amount,
            &body.reason,
        )
        .await?;
    Ok(credited(&state, w, entry))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Only entries of this kind.
    #[param(pattern = "^(top_up|adjustment|hold|release|charge)$")]
    pub kind: Option<String>,
    /// Only entries about this message.
    #[param(format = Uuid)]
    pub message_id: Option<String>,
    /// At or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Before this time (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// `json` (a page, the default) or `csv` (every matching entry).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    #[param(format = Uuid)]
    pub after: Option<String>,
}

/// The ledger, newest first; `format=csv` downloads every matching entry.
#[utoipa::path(get, path = "/wallet/ledger", operation_id = "wallet_ledger", tag = "wallet", params(LedgerQuery),
    responses((status = 200, description = "A page as JSON, or every entry as CSV with `format=csv`", content(
            (List<LedgerView> = "application/json"), (String = "text/csv"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn ledger(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<LedgerQuery>,
) -> Result<Response, ApiError> {
    let bad = |field: &str, m: &str| ApiError::new(ErrorCode::InvalidQuery, m).field(field);
    let filter = LedgerFilter {
        kind: match q.kind.as_deref() {
            None => None,
            Some(k) => Some(LedgerKind::parse(k).ok_or_else(|| {
                bad(
                    "kind",
                    "must be top_up, adjustment, hold, release or charge",
                )
            })?),
        },
        message_id: match q.message_id.as_deref() {
            None => None,
            Some(m) => Some(
                m.parse()
                    .map_err(|_| bad("message_id", "is not a message id"))?,
            ),
        },
        since: query_time("since", q.since.as_deref())?,
        until: query_time("until", q.until.as_deref())?,
    };
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let (page, limit) = ListQuery {
                limit: q.limit,
                after: q.after.clone(),
            }
            .page::<LedgerEntryId>()?;
            let rows = state.app.ledger(&p, &filter, &page).await?;
            Ok(Json(List::from_rows(
                rows,
                limit,
                |e| e.id.to_string(),
                LedgerView::from,
            ))
            .into_response())
        }
        "csv" => {
            let mut out = csv::Writer::from_writer(Vec::new());
            let _ = out.write_record([
                "id",
                "created_at",
                "kind",
                "pool",
                "amount",
                "message_id",
                "reference",
                "reason",
            ]);
            let mut page = wagate_store::Page::first(200);
            loop {
                let rows = state.app.ledger(&p, &filter, &page).await?;
                for e in &rows {
                    let _ = out.write_record([
                        e.id.to_string(),
                        e.created_at.to_string(),
                        e.kind.as_str().to_owned(),
                        e.pool.as_str().to_owned(),
                        e.amount.to_string(),
                        e.message_id.map(|m| m.to_string()).unwrap_or_default(),
                        e.reference.clone().unwrap_or_default(),
                        e.reason.clone().unwrap_or_default(),
                    ]);
                }
                match rows.last() {
                    Some(last) if rows.len() == 200 => {
                        page = wagate_store::Page::after(Some(last.id), 200);
                    }
                    _ => break,
                }
            }
            let bytes = out.into_inner().unwrap_or_default();
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"ledger.csv\"".to_owned(),
                    ),
                ],
                Body::from(bytes),
            )
                .into_response())
        }
        _ => Err(bad("format", "must be `json` or `csv`")),
    }
}

/// The rate card in effect and where it comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatesView {
    /// `account` (this account's own), or `default` (the operator's, or the one wagate ships).
    pub scope: &'static str,
    pub card: RateCard,
}

async fn rates_view(state: &AppState, p: &wagate_app::Principal) -> Result<RatesView, ApiError> {
    let own = state.app.store().get_rate_card(Some(p.account_id)).await?;
    let card = state.app.rate_card(p.account_id).await?;
    Ok(RatesView {
        scope: if own.is_some() { "account" } else { "default" },
        card,
    })
}

/// The rate card that prices this account's sends (micro-units per market and category).
#[utoipa::path(get, path = "/rates", operation_id = "get_rates", tag = "wallet",
    responses((status = 200, body = RatesView), (status = 401, body = ErrorBody)))]
pub async fn get_rates(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<RatesView>, ApiError> {
    Ok(Json(rates_view(&state, &p).await?))
}

/// Give this account its own rate card (admin keys). Prices apply to sends accepted from
/// now on; a message's price is never recomputed.
#[utoipa::path(put, path = "/rates", operation_id = "put_rates", tag = "wallet", request_body = RateCard,
    responses((status = 200, body = RatesView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn put_rates(
    State(state): State<AppState>,
    Auth(p): Auth,
    JsonBody(card): JsonBody<RateCard>,
) -> Result<Json<RatesView>, ApiError> {
    state.app.put_account_rate_card(&p, Some(card)).await?;
    Ok(Json(rates_view(&state, &p).await?))
}

/// Drop this account's own card: the default applies again (admin keys).
#[utoipa::path(delete, path = "/rates", operation_id = "delete_rates", tag = "wallet",
    responses((status = 200, body = RatesView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn delete_rates(
    State(state): State<AppState>,
    Auth(p): Auth,
) -> Result<Json<RatesView>, ApiError> {
    state.app.put_account_rate_card(&p, None).await?;
    Ok(Json(rates_view(&state, &p).await?))
}

/// The charge fixed on a billable message.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChargeView {
    pub message_id: MessageId,
    pub category: PricingCategory,
    /// The market priced: an ISO 3166 country, or `*`.
    pub market: String,
    pub currency: String,
    /// Micro-units of the currency, markup included.
    pub price: i64,
    /// What the wallet holds or took, in its unit.
    pub amount: i64,
    pub pool: Pool,
    /// `held` (accepted, not yet delivered), `charged` (delivered) or `released` (failed).
    pub state: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub settled_at: Option<Timestamp>,
    /// Beside wagate's charge: the `pricing` the network reported on the message's statuses
    /// (Meta's own for a cloud channel; the simulated network's for a sandbox one), once a
    /// status carried it.
    pub network_pricing: Option<Pricing>,
}

impl From<MessageCharge> for ChargeView {
    fn from(c: MessageCharge) -> Self {
        Self {
            message_id: c.message_id,
            category: c.category,
            market: c.market,
            currency: c.currency.as_str().to_owned(),
            price: c.price,
            amount: c.amount,
            pool: c.pool,
            state: c.state,
            created_at: c.created_at,
            network_pricing: None,
            settled_at: c.settled_at,
        }
    }
}

/// What a message costs: the price fixed when it was accepted and whether it was charged.
/// A message Meta would not charge has no charge (404).
#[utoipa::path(get, path = "/messages/{id}/charge", operation_id = "message_charge", tag = "wallet",
    params(("id" = String, Path, description = "Message id")),
    responses((status = 200, body = ChargeView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn message_charge(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> Result<Json<ChargeView>, ApiError> {
    let not_found = || ApiError::not_found(ErrorCode::ChargeNotFound, "charge", &id);
    let mid: MessageId = id.parse().map_err(|_| not_found())?;
    let charge = state
        .app
        .message_charge(&p, mid)
        .await?
        .ok_or_else(not_found)?;
    let message = state
        .app
        .get_message(&p, &wagate_store::MessageKey::Id(mid))
        .await?;
    let mut view = ChargeView::from(charge);
    view.network_pricing = message.pricing;
    Ok(Json(view))
}
