//! `wagate wallet …` and `wagate rates …`: an account's wallet and the rate cards, straight
//! on the database (beside a running server or not), through the same services and request
//! parsing as `/api/v1/wallet` and `/api/v1/rates`, acting as the account's operator.

use anyhow::{Context, anyhow};
use wagate_app::Principal;
use wagate_core::billing::rates::RateCard;
use wagate_core::billing::wallet::Pool;
use wagate_core::ids::AccountId;
use wagate_http::manage::wallet::{UpdateWallet, WalletView};

use crate::admin::{account_id, open};
use crate::args::{AccountArg, RatesCommand, WalletCommand};

fn print(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub async fn wallet(cmd: WalletCommand) -> anyhow::Result<()> {
    let (account, db) = match &cmd {
        WalletCommand::Show { account, db }
        | WalletCommand::TopUp { account, db, .. }
        | WalletCommand::Adjust { account, db, .. }
        | WalletCommand::Set { account, db, .. } => (account.clone(), db.clone()),
    };
    let app = open(&db).await?;
    let p = Principal::operator(account_id(&app, &account).await?);
    let e = |e: wagate_app::Error| anyhow!(e.to_string());
    let w = match cmd {
        WalletCommand::Show { .. } => app.get_wallet(&p).await.map_err(e)?,
        WalletCommand::TopUp {
            amount,
            reference,
            backup,
            ..
        } => {
            let pool = if backup { Pool::Backup } else { Pool::Main };
            app.top_up(&p, pool, amount, reference.as_deref())
                .await
                .map_err(e)?
                .0
        }
        WalletCommand::Adjust { amount, reason, .. } => {
            app.adjust_wallet(&p, Pool::Main, amount, &reason)
                .await
                .map_err(e)?
                .0
        }
        WalletCommand::Set { json, .. } => {
            let body: UpdateWallet =
                serde_json::from_str(&json).context("the settings must be the PATCH's JSON")?;
            let patch = body.into_patch().map_err(|e| anyhow!(e.message))?;
            app.update_wallet(&p, patch).await.map_err(e)?
        }
    };
    print(&WalletView::of(w, app.now()))
}

async fn scoped(app: &wagate_app::App, raw: Option<&str>) -> anyhow::Result<Option<AccountId>> {
    match raw {
        None => Ok(None),
        Some(raw) => {
            let arg = AccountArg {
                account: Some(raw.to_owned()),
            };
            Ok(Some(account_id(app, &arg).await?))
        }
    }
}

pub async fn rates(cmd: RatesCommand) -> anyhow::Result<()> {
    let e = |e: wagate_app::Error| anyhow!(e.to_string());
    match cmd {
        RatesCommand::Show { account, db } => {
            let app = open(&db).await?;
            let card = match scoped(&app, account.as_deref()).await? {
                Some(a) => app.rate_card(a).await.map_err(e)?,
                None => match app.store().get_rate_card(None).await? {
                    Some(card) => card,
                    None => RateCard::default_card(),
                },
            };
            print(&card)
        }
        RatesCommand::Set { file, account, db } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let card = RateCard::parse_json(&text).map_err(|e| anyhow!(e.message))?;
            let app = open(&db).await?;
            let card = match scoped(&app, account.as_deref()).await? {
                Some(a) => app
                    .put_account_rate_card(&Principal::operator(a), Some(card))
                    .await
                    .map_err(e)?,
                None => app.put_default_rate_card(Some(card)).await.map_err(e)?,
            };
            print(&card)
        }
        RatesCommand::Reset { account, db } => {
            let app = open(&db).await?;
            let card = match scoped(&app, account.as_deref()).await? {
                Some(a) => app
                    .put_account_rate_card(&Principal::operator(a), None)
                    .await
                    .map_err(e)?,
                None => app.put_default_rate_card(None).await.map_err(e)?,
            };
            print(&card)
        }
    }
}
