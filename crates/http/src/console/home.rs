//! The overview (`/console`): the wallet and the channels the signed-in key sees; and the
//! server's front page (`/`), which leads a newcomer to the console or the API docs.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use wagate_core::billing::wallet::{Wallet, WalletKind};
use wagate_core::channel::Channel;
use wagate_store::Page;

use super::{Chrome, Console, page};
use crate::error::ApiError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console", get(overview))
}

/// `/`: a page with the ways in (the console, the docs, the probes).
pub fn landing_routes() -> Router<AppState> {
    Router::new().route("/", get(landing))
}

#[derive(Template)]
#[template(path = "console/landing.html")]
struct Landing;

async fn landing() -> Result<Response, ApiError> {
    page(&Landing)
}

/// One channel as the console lists it.
pub struct ChannelRow {
    pub id: String,
    pub name: String,
    pub number: String,
    pub phone_number_id: String,
    pub upstream: &'static str,
    pub quality: &'static str,
    pub tier: &'static str,
}

impl ChannelRow {
    pub fn of(c: &Channel) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.verified_name.as_str().to_owned(),
            number: c.display_phone_number.to_string(),
            phone_number_id: c.phone_number_id.as_str().to_owned(),
            upstream: c.upstream.kind().as_str(),
            quality: c.quality_rating.as_str(),
            tier: c.messaging_limit_tier.as_str(),
        }
    }
}

/// The channels the signed-in key sees (the first 200).
pub async fn visible_channels(
    state: &AppState,
    console: &Console,
) -> Result<Vec<Channel>, ApiError> {
    Ok(state
        .app
        .list_channels(&console.principal, &Page::first(200))
        .await?)
}

/// A wallet amount as people read it: money in the currency with two to six decimals, or a
/// count of messages for a quota.
pub fn money(amount: i64, wallet: &Wallet) -> String {
    match wallet.kind {
        WalletKind::Quota => format!("{amount} messages"),
        WalletKind::Credits => format!("{} {}", wallet.currency.as_str(), micros(amount)),
    }
}

/// Micro-units as a decimal with at least two places (`12.50`, `0.0125`).
pub fn micros(amount: i64) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let a = amount.unsigned_abs();
    let (whole, frac) = (a / 1_000_000, a % 1_000_000);
    let mut frac = format!("{frac:06}");
    while frac.len() > 2 && frac.ends_with('0') {
        frac.pop();
    }
    format!("{sign}{whole}.{frac}")
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct Overview {
    chrome: Chrome,
    balance: String,
    channels: Vec<ChannelRow>,
}

async fn overview(State(state): State<AppState>, console: Console) -> Result<Response, ApiError> {
    let wallet = state.app.get_wallet(&console.principal).await?;
    let channels = visible_channels(&state, &console).await?;
    page(&Overview {
        chrome: Chrome::new(&console, "home", "Overview"),
        balance: money(wallet.balance, &wallet),
        channels: channels.iter().map(ChannelRow::of).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::micros;

    #[test]
    fn micros_read_as_decimals() {
        assert_eq!(micros(12_500_000), "12.50");
        assert_eq!(micros(12_345), "0.012345");
        assert_eq!(micros(-1_000_000), "-1.00");
        assert_eq!(micros(0), "0.00");
    }
}
