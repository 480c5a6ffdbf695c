//! The master key of secrets at rest, and the files wagate keeps private.
//!
//! Secrets wagate must read back (cloud access tokens, app secrets, verify tokens, webhook
//! signing secrets) are sealed in the database with a data key, which the database keeps
//! wrapped by the **master key** (envelope encryption; see `wagate_store::sealing`). The
//! master key never enters the database. It comes from, in order:
//!
//! 1. `WAGATE_SECRETS_KEY`: 64 hex characters (32 bytes). Several nodes on one PostgreSQL
//!    database share it this way.
//! 2. the key file, `[secrets] key_file` (default `<data-dir>/secrets.key`, mode 0600),
//!    written on first start when the database holds no data key yet.
//!
//! A database whose data keys do not unwrap under the key found is refused at start with a
//! clear error, never read as garbage. `wagate secrets rotate` replaces the master key: it
//! re-wraps the data keys (one transaction) and writes the new key, touching no sealed value,
//! so running nodes keep working.
//!
//! Files: the data directory is made 0700 and every file wagate writes there 0600 (the
//! database, its WAL, the key files, `credentials.env`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use wagate_store::Store;
use wagate_store::sealing::{self, DataKey, MasterKey};

/// The environment variable that holds the master key.
pub const KEY_ENV: &str = "WAGATE_SECRETS_KEY";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// The master key file (default `<data-dir>/secrets.key`); `WAGATE_SECRETS_KEY` wins.
    pub key_file: Option<PathBuf>,
}

impl SecretsConfig {
    pub fn key_file(&self, data_dir: &Path) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| data_dir.join("secrets.key"))
    }
}

/// Where the master key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env,
    File(PathBuf),
}

/// 64 hex characters → 32 bytes.
pub fn parse_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(text.trim()).context("the master key is not hex")?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the master key must be 32 bytes (64 hex characters)"))
}

/// The master key from the environment or the key file; `None` when neither has one.
fn find_key(
    config: &SecretsConfig,
    data_dir: &Path,
) -> anyhow::Result<Option<([u8; 32], KeySource)>> {
    if let Ok(text) = std::env::var(KEY_ENV)
        && !text.trim().is_empty()
    {
        return Ok(Some((parse_key(&text).context(KEY_ENV)?, KeySource::Env)));
    }
    let file = config.key_file(data_dir);
    match std::fs::read_to_string(&file) {
        Ok(text) => Ok(Some((
            parse_key(&text).with_context(|| format!("reading {}", file.display()))?,
            KeySource::File(file),
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", file.display())),
    }
}

/// Where `rotate` puts a new key before the database uses it.
pub fn pending_key_file(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Loads the database's data keys under the master key (creating both on first start),
/// so stored secrets open and new ones are sealed; then seals what is still plain.
pub async fn unlock(
    store: &Arc<dyn Store>,
    config: &SecretsConfig,
    data_dir: &Path,
) -> anyhow::Result<KeySource> {
    let wrapped = store.secret_keys().await.context("reading the data keys")?;
    let (master, source) = match find_key(config, data_dir)? {
        Some(found) => found,
        None if wrapped.is_empty() => {
            let bytes = MasterKey::generate();
            let file = config.key_file(data_dir);
            write_private(&file, hex::encode(bytes).as_bytes())?;
            tracing::info!(file = %file.display(), "created the master key of secrets at rest");
            (bytes, KeySource::File(file))
        }
        None => bail!(
            "the database's secrets are sealed, and no master key was found: set {KEY_ENV} or \
             put the key file back at {}",
            config.key_file(data_dir).display()
        ),
    };
    let mut master = MasterKey::from_bytes(&master);
    // A rotation that stopped after re-wrapping left the new key beside the old file.
    if let (KeySource::File(file), Some(first)) = (&source, wrapped.first())
        && master.unwrap(first).is_none()
    {
        let pending = pending_key_file(file);
        if let Ok(text) = std::fs::read_to_string(&pending) {
            let candidate = MasterKey::from_bytes(&parse_key(&text)?);
            if candidate.unwrap(first).is_some() {
                std::fs::rename(&pending, file)
                    .with_context(|| format!("replacing {}", file.display()))?;
                tracing::warn!(file = %file.display(), "finished an interrupted master key rotation");
                master = candidate;
            }
        }
    }
    let mut keys = Vec::new();
    for w in &wrapped {
        let (key, _) = master.unwrap(w).ok_or_else(|| {
            anyhow::anyhow!(
                "data key {} does not unwrap under this master key (is {KEY_ENV} or the key \
                 file the one this database was sealed with?)",
                w.id
            )
        })?;
        keys.push(key);
    }
    if keys.is_empty() {
        let (key, bytes) = DataKey::generate();
        store
            .add_secret_key(master.wrap(&key.id, &bytes, store.clock().now().as_millisecond()))
            .await
            .context("storing the data key")?;
        keys.push(key);
    }
    sealing::install(keys);
    let n = store
        .reseal_secrets()
        .await
        .context("sealing stored secrets")?;
    if n > 0 {
        tracing::info!(rows = n, "sealed stored secrets under the current data key");
    }
    Ok(source)
}

/// Replaces the master key: every data key is re-wrapped under `new` in one transaction.
/// The caller stores `new` where the old key was.
pub async fn rotate(
    store: &Arc<dyn Store>,
    old: &[u8; 32],
    new: &[u8; 32],
) -> anyhow::Result<usize> {
    let (old, new) = (MasterKey::from_bytes(old), MasterKey::from_bytes(new));
    let mut rewrapped = Vec::new();
    for w in store.secret_keys().await? {
        let (key, bytes) = old.unwrap(&w).ok_or_else(|| {
            anyhow::anyhow!(
                "data key {} does not unwrap under the current master key",
                w.id
            )
        })?;
        rewrapped.push(new.wrap(&key.id, &bytes, w.created_at));
    }
    let n = rewrapped.len();
    store.rewrap_secret_keys(rewrapped).await?;
    Ok(n)
}

/// The current master key and where it is (for rotation).
pub fn current_key(
    config: &SecretsConfig,
    data_dir: &Path,
) -> anyhow::Result<([u8; 32], KeySource)> {
    find_key(config, data_dir)?.ok_or_else(|| {
        anyhow::anyhow!("no master key: set {KEY_ENV} or pass --data-dir where secrets.key is")
    })
}

/// Creates `dir` (and its parents) as 0700, or makes an existing one 0700.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} private", dir.display()))
}

/// Writes `bytes` to `file` (replacing it atomically) with mode 0600.
pub fn write_private(file: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = file.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, file).with_context(|| format!("writing {}", file.display()))
}

/// Makes `file` 0600 if it exists.
pub fn private_file(file: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("making {} private", file.display())),
    }
}
