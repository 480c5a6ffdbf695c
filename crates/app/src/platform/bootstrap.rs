//! First start: with an empty database, create an account, one sandbox channel and an
//! admin API key, and write them to `<data-dir>/credentials.env` (mode 0600) as
//! shell-sourceable lines. The key's secret exists nowhere else, so the file is written
//! (to a temporary name) *before* the database commit and renamed after it: a crash leaves
//! either no bootstrap or a complete file.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use wagate_core::account::NewAccount;
use wagate_core::api_key::{ApiKeySecret, NewApiKey};
use wagate_core::channel::NewChannel;
use wagate_core::ids::{AccountId, PhoneNumberId, WabaId};
use wagate_core::text::{AccountName, KeyName, VerifiedName};
use wagate_store::Bootstrap;

use crate::App;

pub const CREDENTIALS_FILE: &str = "credentials.env";
/// The name of the admin key first start creates (migration 20 makes existing ones admin by
/// this name).
pub const BOOTSTRAP_KEY_NAME: &str = "admin (first start)";

/// What first start created, shown once.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub base_url: String,
    pub api_key: ApiKeySecret,
    pub account_id: AccountId,
    pub phone_number_id: PhoneNumberId,
    pub waba_id: WabaId,
    pub file: PathBuf,
}

impl Credentials {
    /// The `credentials.env` contents.
    pub fn to_env(&self) -> String {
        format!(
            "WAGATE_BASE_URL={}\nWAGATE_API_KEY={}\nWAGATE_ACCOUNT_ID={}\nWAGATE_PHONE_NUMBER_ID={}\nWAGATE_WABA_ID={}\n",
            self.base_url,
            self.api_key.expose(),
            self.account_id,
            self.phone_number_id,
            self.waba_id
        )
    }
}

impl App {
    /// Bootstraps an empty database; `None` when it already holds an account.
    pub async fn bootstrap(
        &self,
        data_dir: &Path,
        base_url: &str,
    ) -> anyhow::Result<Option<Credentials>> {
        let account = NewAccount::new(AccountName::parse("Default account").expect("valid"));
        let channel = NewChannel::sandbox(
            account.id,
            VerifiedName::parse("wagate Sandbox").expect("valid"),
        );
        let (key, secret) = NewApiKey::generate_admin(
            account.id,
            KeyName::parse(BOOTSTRAP_KEY_NAME).expect("valid"),
        );
        let creds = Credentials {
            base_url: base_url.to_owned(),
            api_key: secret,
            account_id: account.id,
            phone_number_id: channel.phone_number_id.clone(),
            waba_id: channel.waba_id.clone(),
            file: data_dir.join(CREDENTIALS_FILE),
        };

        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let pending = data_dir.join(format!(".{CREDENTIALS_FILE}.{}", account.id));
        write_private(&pending, &creds.to_env())?;
        let stored = self
            .store()
            .bootstrap(Bootstrap {
                account,
                channel,
                key,
            })
            .await;
        match stored {
            Ok(Some(_)) => {
                std::fs::rename(&pending, &creds.file)
                    .with_context(|| format!("writing {}", creds.file.display()))?;
                tracing::info!(account_id = %creds.account_id, "first start: created account, sandbox channel and admin key");
                Ok(Some(creds))
            }
            Ok(None) => {
                let _ = std::fs::remove_file(&pending);
                Ok(None)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&pending);
                Err(e).context("storing the first-start account")
            }
        }
    }
}

/// Writes `contents` to a new file readable only by its owner.
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use wagate_store_sqlite::SqliteStore;

    #[tokio::test]
    async fn writes_credentials_once_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("wagate.db"))
            .await
            .unwrap();
        let app = App::new(Arc::new(store));
        let creds = app
            .bootstrap(dir.path(), "http://127.0.0.1:8080")
            .await
            .unwrap()
            .unwrap();
        let text = std::fs::read_to_string(&creds.file).unwrap();
        assert!(text.contains(&format!("WAGATE_API_KEY={}\n", creds.api_key.expose())));
        assert!(text.contains(&format!(
            "WAGATE_PHONE_NUMBER_ID={}\n",
            creds.phone_number_id
        )));
        assert!(text.starts_with("WAGATE_BASE_URL=http://127.0.0.1:8080\n"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&creds.file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            app.authenticate(creds.api_key.expose())
                .await
                .unwrap()
                .is_some()
        );

        assert!(
            app.bootstrap(dir.path(), "http://x")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            std::fs::read_to_string(&creds.file).unwrap(),
            text,
            "file untouched on restart"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".credentials"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
