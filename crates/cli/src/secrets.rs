//! `wagate secrets rotate`: a new master key for secrets at rest (see
//! `wagate_app::platform::secrets`).

use anyhow::Context;
use wagate_app::platform::database::Database;
use wagate_app::platform::secrets::{self, KeySource};
use wagate_store::sealing::MasterKey;

use crate::args::SecretsCommand;
use crate::settings;

pub async fn run(cmd: SecretsCommand) -> anyhow::Result<()> {
    let SecretsCommand::Rotate { db } = cmd;
    let config = settings::load(&db, &db)?;
    let database =
        Database::resolve(&config.database, &config.data_dir).map_err(anyhow::Error::msg)?;
    let store = database
        .open(2)
        .await
        .with_context(|| format!("opening the database {}", database.describe()))?;
    // Also seals anything still plain, and proves the current key is the database's.
    secrets::unlock(&store, &config.secrets, &config.data_dir).await?;
    let (old, source) = secrets::current_key(&config.secrets, &config.data_dir)?;
    let new = MasterKey::generate();
    let new_hex = hex::encode(new);
    match source {
        KeySource::File(file) => {
            // The new key is on disk before the database uses it: a crash between the two
            // steps leaves `<file>.new`, which start-up tries when the key file does not fit.
            let pending = secrets::pending_key_file(&file);
            secrets::write_private(&pending, new_hex.as_bytes())?;
            let n = secrets::rotate(&store, &old, &new).await?;
            std::fs::rename(&pending, &file)
                .with_context(|| format!("replacing {}", file.display()))?;
            println!(
                "Rotated the master key: {n} data key(s) re-wrapped; the new key is in {}.",
                file.display()
            );
        }
        KeySource::Env => {
            let n = secrets::rotate(&store, &old, &new).await?;
            println!("Rotated the master key: {n} data key(s) re-wrapped.");
            println!(
                "Set {}={new_hex} on every node before it next starts (running nodes keep working).",
                secrets::KEY_ENV
            );
        }
    }
    store.close().await;
    Ok(())
}
