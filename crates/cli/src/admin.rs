//! Admin commands: `wagate account|channel|key …`, straight on the database (no server
//! needed; safe beside a running one). They go through the same services and the same
//! request parsing as the management API, acting as the operator of one account.

use anyhow::{Context, anyhow, bail};
use wagate_app::platform::database::Database;
use wagate_app::{App, Principal};
use wagate_core::ids::{AccountId, ApiKeyId, ChannelId};
use wagate_core::text::AccountName;
use wagate_http::manage::api_keys::{ApiKeyView, CreateApiKey};
use wagate_http::manage::channels::{
    ChannelView, CreateChannel, ProfileInput, UpdateChannel, UpstreamInput,
};
use wagate_store::Page;

use crate::args::{
    AccountArg, AccountCommand, ChannelCommand, ChannelFields, DatabaseArgs, KeyCommand,
};
use crate::settings;

pub(crate) async fn open(db: &DatabaseArgs) -> anyhow::Result<App> {
    let config = settings::load(db, db)?;
    let database =
        Database::resolve(&config.database, &config.data_dir).map_err(anyhow::Error::msg)?;
    if let Database::Sqlite(path) = &database
        && !path.exists()
    {
        bail!(
            "no database at {} (start `wagate serve` once, or pass --data-dir / --database)",
            path.display()
        );
    }
    let store = database
        .open(config.database_max_connections.min(4))
        .await
        .with_context(|| format!("opening the database {}", database.describe()))?;
    wagate_app::platform::secrets::unlock(&store, &config.secrets, &config.data_dir)
        .await
        .context("unlocking secrets at rest")?;
    Ok(App::new(store))
}

/// A one-line reason for a service error.
fn why(e: wagate_app::Error) -> anyhow::Error {
    use wagate_core::error::ErrorCode::*;
    match e.code() {
        AccountNotFound => anyhow!("that account does not exist"),
        ChannelNotFound => anyhow!("that channel does not exist in this account"),
        ApiKeyNotFound => anyhow!("that API key does not exist in this account"),
        _ => anyhow!(e.to_string()),
    }
}

pub(crate) async fn account_id(app: &App, arg: &AccountArg) -> anyhow::Result<AccountId> {
    if let Some(raw) = &arg.account {
        let id: AccountId = raw
            .parse()
            .map_err(|_| anyhow!("`{raw}` is not an account id"))?;
        app.get_account(id).await.map_err(why)?;
        return Ok(id);
    }
    let accounts = app.list_accounts(&Page::first(2)).await.map_err(why)?;
    match accounts.as_slice() {
        [only] => Ok(only.id),
        [] => bail!(
            "the database holds no account yet; create one with `wagate account create --name …`"
        ),
        _ => bail!(
            "the database holds several accounts; pass --account <id> (see `wagate account list`)"
        ),
    }
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub async fn account(cmd: AccountCommand) -> anyhow::Result<()> {
    match cmd {
        AccountCommand::Create { name, db } => {
            let name = AccountName::parse(&name).map_err(|e| anyhow!(e.to_string()))?;
            let app = open(&db).await?;
            let account = app.create_account(name).await.map_err(why)?;
            println!("Created account {} ({})", account.id, account.name);
            println!(
                "Next: wagate key create --account {} --name admin",
                account.id
            );
        }
        AccountCommand::List { db } => {
            let app = open(&db).await?;
            let accounts = app.list_accounts(&Page::all()).await.map_err(why)?;
            println!("{:<36}  {:<24}  NAME", "ID", "CREATED");
            for a in accounts {
                println!("{:<36}  {:<24}  {}", a.id, a.created_at.to_string(), a.name);
            }
        }
    }
    Ok(())
}

fn upstream_input(f: &ChannelFields) -> Option<UpstreamInput> {
    let cloud_settings = f.base_url.is_some()
        || f.api_version.is_some()
        || f.access_token.is_some()
        || f.app_secret.is_some()
        || f.verify_token.is_some()
        || f.app_id.is_some();
    let kind = f
        .upstream
        .clone()
        .or_else(|| cloud_settings.then(|| "cloud".to_owned()))?;
    Some(UpstreamInput {
        kind,
        base_url: f.base_url.clone(),
        api_version: f.api_version.clone(),
        access_token: f.access_token.clone(),
        app_secret: f.app_secret.clone(),
        verify_token: f.verify_token.clone(),
        app_id: f.app_id.clone(),
        sandbox: None,
    })
}

fn profile_input(f: &ChannelFields) -> Option<ProfileInput> {
    f.about.as_ref().map(|about| ProfileInput {
        about: Some(Some(about.clone())),
        ..ProfileInput::default()
    })
}

fn channel_id(raw: &str) -> anyhow::Result<ChannelId> {
    raw.parse()
        .map_err(|_| anyhow!("`{raw}` is not a channel id"))
}

pub async fn channel(cmd: ChannelCommand) -> anyhow::Result<()> {
    match cmd {
        ChannelCommand::Create {
            account,
            phone_number_id,
            waba_id,
            fields,
            db,
        } => {
            let app = open(&db).await?;
            let account = account_id(&app, &account).await?;
            let request = CreateChannel {
                verified_name: fields
                    .verified_name
                    .clone()
                    .ok_or_else(|| anyhow!("--verified-name is required"))?,
                display_phone_number: fields.display_phone_number.clone(),
                phone_number_id,
                waba_id,
                upstream: upstream_input(&fields),
                throughput_mps: fields.throughput_mps,
                quality_rating: fields.quality_rating.clone(),
                messaging_limit_tier: fields.messaging_limit_tier.clone(),
                profile: profile_input(&fields),
                window_policy: fields.window_policy.clone(),
            };
            let new = request
                .into_command(account)
                .map_err(|e| anyhow!(e.to_string()))?;
            let channel = app
                .create_channel(&Principal::operator(account), new)
                .await
                .map_err(why)?;
            println!(
                "Created channel {} ({}, phone_number_id {}, upstream {})",
                channel.id,
                channel.display_phone_number,
                channel.phone_number_id,
                channel.upstream.kind().as_str()
            );
        }
        ChannelCommand::List { account, db } => {
            let app = open(&db).await?;
            let account = account_id(&app, &account).await?;
            let channels = app
                .list_channels(&Principal::operator(account), &Page::all())
                .await
                .map_err(why)?;
            println!(
                "{:<36}  {:<16}  {:<16}  {:<8}  {:>4}  NAME",
                "ID", "PHONE NUMBER ID", "NUMBER", "UPSTREAM", "MPS"
            );
            for c in channels {
                println!(
                    "{:<36}  {:<16}  {:<16}  {:<8}  {:>4}  {}",
                    c.id,
                    c.phone_number_id,
                    c.display_phone_number.to_string(),
                    c.upstream.kind().as_str(),
                    c.throughput.per_second(),
                    c.verified_name
                );
            }
        }
        ChannelCommand::Show { id, account, db } => {
            let app = open(&db).await?;
            let account = account_id(&app, &account).await?;
            let channel = app
                .get_channel(&Principal::operator(account), channel_id(&id)?)
                .await
                .map_err(why)?;
            print_json(&ChannelView::from(channel))?;
        }
        ChannelCommand::Update {
            id,
            account,
            fields,
            db,
        } => {
            let id = channel_id(&id)?;
            let app = open(&db).await?;
            let account = account_id(&app, &account).await?;
            let request = UpdateChannel {
                verified_name: fields.verified_name.clone(),
                display_phone_number: fields.display_phone_number.clone(),
                upstream: upstream_input(&fields),
                throughput_mps: fields.throughput_mps,
                quality_rating: fields.quality_rating.clone(),
                messaging_limit_tier: fields.messaging_limit_tier.clone(),
                profile: profile_input(&fields),
                window_policy: fields.window_policy.clone(),
            };
            let patch = request
                .try_into()
                .map_err(|e: wagate_core::error::ValidationError| {
                    if e.field == "body" {
                        anyhow!("nothing to change: pass at least one field flag")
                    } else {
                        anyhow!(e.to_string())
                    }
                })?;
            let channel = app
                .update_channel(&Principal::operator(account), id, &patch)
                .await
                .map_err(why)?;
            println!("Updated channel {}", channel.id);
            print_json(&ChannelView::from(channel))?;
        }
    }
    Ok(())
}

pub async fn key(cmd: KeyCommand) -> anyhow::Result<()> {
    match cmd {
        KeyCommand::Create {
            account,
            name,
            channels,
            admin,
            db,
        } => {
            let request = CreateApiKey {
                name,
                channel_ids: (!channels.is_empty()).then_some(channels),
                admin,
            };
            let (name, scope) = request.parse().map_err(|e| anyhow!(e.to_string()))?;
            let app = open(&db).await?;
            let account = account_id(&app, &account).await?;
            let operator = Principal::operator(account);
            let (key, secret) = if admin {
                app.create_admin_api_key(&operator, name).await
            } else {
                app.create_api_key(&operator, name, scope).await
            }
            .map_err(why)?;
            println!(
                "Created API key {} ({}) for account {}",
                key.id, key.name, account
            );
            println!("Secret (shown once, store it now): {}", secret.expose());
        }
        KeyCommand::List { account, db } => {
            let app = open(&db).await?;
            let account = account_id(&app, &account).await?;
            let keys = app
                .list_api_keys(&Principal::operator(account), &Page::all())
                .await
                .map_err(why)?;
            println!(
                "{:<36}  {:<10}  {:<7}  {:<9}  {:<5}  NAME",
                "ID", "PREFIX", "STATUS", "CHANNELS", "ADMIN"
            );
            for k in keys {
                let v = ApiKeyView::from(k);
                let scope = v
                    .channel_ids
                    .as_ref()
                    .map_or("all".to_owned(), |ids| ids.len().to_string());
                println!(
                    "{:<36}  {:<10}  {:<7}  {:<9}  {:<5}  {}",
                    v.id,
                    v.prefix,
                    v.status,
                    scope,
                    if v.admin { "yes" } else { "no" },
                    v.name
                );
            }
        }
        KeyCommand::Revoke { id, account, db } => {
            let id: ApiKeyId = id
                .parse()
                .map_err(|_| anyhow!("`{id}` is not an API key id"))?;
            let app = open(&db).await?;
            let account = account_id(&app, &account).await?;
            let key = app
                .revoke_api_key(&Principal::operator(account), id)
                .await
                .map_err(why)?;
            println!("Revoked API key {} ({})", key.id, key.name);
        }
    }
    Ok(())
}
