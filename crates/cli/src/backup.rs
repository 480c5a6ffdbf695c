//! `wagate backup` and `wagate restore` (SQLite; PostgreSQL has `pg_dump`/`pg_restore`,
//! see the README).
//!
//! A backup is one SQLite file, mode 0600: the database as of one instant (`VACUUM INTO`
//! through a read-only connection, safe beside a running server), with the files the
//! database needs but does not hold carried inside it ([`Bundle`]): the media URL key
//! (`media.key`), any other `*.key` file at the top of the data directory, and the media
//! bytes of a local media store. The bytes are copied after the snapshot, so every file the
//! snapshot refers to is there (unless the collector expired it in between).
//!
//! A restore refuses while any process has the target database open (the open lock of
//! `wagate_store_sqlite::backup`), refuses to replace a database without `--force`, checks
//! the backup (`PRAGMA integrity_check`, migrations this binary knows), puts the files back,
//! and swaps the database in with a rename, removing a stopped database's `-wal`/`-shm`.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use wagate_app::config::Config;
use wagate_app::media::StoreKind;
use wagate_app::platform::database::Database;
use wagate_store_sqlite::backup::{self, Bundle};

use crate::args::{BackupArgs, RestoreArgs};
use crate::settings;

const PG_BACKUP: &str = "this database is PostgreSQL: back it up with `pg_dump --format=custom --file=wagate.dump <url>` (see the README, \"Backup and restore\")";
const PG_RESTORE: &str = "this database is PostgreSQL: restore it with `pg_restore --clean --if-exists --no-owner --dbname=<url> wagate.dump` (see the README, \"Backup and restore\")";

/// The secrets' master key file, never put in a backup.
const MASTER_KEY: &str = "secrets.key";
const MASTER_KEY_NOTE: &str = "secrets.key (the master key of the secrets at rest) is not in the backup, by design: keep a copy of it apart, and put it in the data directory (or WAGATE_SECRETS_KEY) before starting a restored server";

/// The SQLite file the settings point at.
fn sqlite_path(config: &Config, postgres: &str) -> anyhow::Result<PathBuf> {
    match Database::resolve(&config.database, &config.data_dir).map_err(anyhow::Error::msg)? {
        Database::Sqlite(path) => Ok(path),
        Database::Postgres(_) => bail!("{postgres}"),
    }
}

/// The local media directory, `None` when media bytes live in S3.
fn media_root(config: &Config) -> Option<PathBuf> {
    (config.media.store == StoreKind::Local).then(|| {
        config
            .media
            .dir
            .clone()
            .unwrap_or_else(|| config.data_dir.join("media"))
    })
}

/// `<dir>/.<name>.<what>`: a temporary file beside `path`, on the same file system.
fn beside(path: &Path, what: &str) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.{what}"))
}

/// Every regular file under `dir`, recursively, as paths relative to `base`.
fn files_under(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            files_under(base, &entry.path(), out)?;
        } else if kind.is_file() {
            out.push(
                entry
                    .path()
                    .strip_prefix(base)
                    .expect("under base")
                    .to_owned(),
            );
        }
    }
    Ok(())
}

/// `*.key` files at the top of the data directory (the media URL key, and any other key a
/// wagate version keeps there).
fn key_files(data_dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    let entries = match std::fs::read_dir(data_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".key") && entry.file_type()?.is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn sync_dir(dir: &Path) {
    // Makes the rename durable; best effort where directories cannot be opened.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let config = settings::load(&args.db, &args.db)?;
    let db = sqlite_path(&config, PG_BACKUP)?;
    if !db.is_file() {
        bail!(
            "no database at {} (pass --data-dir / --database)",
            db.display()
        );
    }
    let dest = &args.dest;
    if dest.exists() && !args.force {
        bail!(
            "{} already exists; pass --force to replace it",
            dest.display()
        );
    }
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // A restore must not swap the database while it is being read.
    let _open = backup::hold_open(&db)?;
    let partial = beside(dest, &format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_file(&partial);
    let result = async {
        let messages = backup::snapshot(&db, &partial)
            .await
            .with_context(|| format!("copying {}", db.display()))?;
        let mut bundle = Bundle::open(&partial).await?;
        let mut notes: Vec<&str> = Vec::new();
        let mut keys = key_files(&config.data_dir)?;
        // The master key of the secrets at rest stays apart from the data it unlocks.
        if keys.iter().any(|k| k == MASTER_KEY) {
            keys.retain(|k| k != MASTER_KEY);
            notes.push(MASTER_KEY_NOTE);
        }
        if config.media.url_key.is_some() {
            keys.retain(|k| k != "media.key");
            notes.push("the media URL key is in your settings (media.url_key): keep them");
        }
        for name in &keys {
            let bytes = std::fs::read(config.data_dir.join(name))
                .with_context(|| format!("reading {name}"))?;
            bundle.add(name, bytes).await?;
        }
        let (mut media_files, mut media_bytes) = (0u64, 0u64);
        match media_root(&config) {
            Some(root) => {
                let mut files = Vec::new();
                files_under(&root, &root.join("sha256"), &mut files)
                    .with_context(|| format!("listing {}", root.display()))?;
                for rel in files {
                    let bytes = match std::fs::read(root.join(&rel)) {
                        Ok(b) => b,
                        // Expired and collected since the listing: nothing refers to it.
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(e).context(format!("reading {}", rel.display())),
                    };
                    media_files += 1;
                    media_bytes += bytes.len() as u64;
                    let name = format!("media/{}", rel.to_string_lossy());
                    bundle.add(&name, bytes).await?;
                }
            }
            None => notes.push(
                "media bytes live in the S3 bucket ([media.s3]) and are not in this backup: back the bucket up with its own tools",
            ),
        }
        bundle.close().await?;
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, dest)
            .with_context(|| format!("moving the backup to {}", dest.display()))?;
        if let Some(dir) = dest.parent() {
            sync_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir });
        }
        let size = std::fs::metadata(dest)?.len();
        println!(
            "Backed up {} to {} ({size} bytes, mode 0600): {messages} messages, {} key file(s){}, {media_files} media file(s) ({media_bytes} bytes)",
            Database::Sqlite(db.clone()).describe(),
            dest.display(),
            keys.len(),
            if keys.is_empty() { String::new() } else { format!(" ({})", keys.join(", ")) },
        );
        for note in notes {
            println!("Note: {note}");
        }
        println!(
            "Not included: your settings file and credentials.env (the API key it shows is in the backup, hashed)."
        );
        anyhow::Ok(())
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Where a bundled file goes, `None` for a name a backup never holds (or one that would
/// leave its directory).
fn destination(name: &str, config: &Config, media: Option<&Path>) -> Option<PathBuf> {
    let rel = Path::new(name);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    if let Ok(blob) = rel.strip_prefix("media") {
        return media.map(|root| root.join(blob));
    }
    (rel.components().count() == 1 && name.ends_with(".key") && name != MASTER_KEY)
        .then(|| config.data_dir.join(rel))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = beside(path, "restoring");
    let _ = std::fs::remove_file(&tmp);
    let mut file = backup::create_private(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let config = settings::load(&args.db, &args.db)?;
    let db = sqlite_path(&config, PG_RESTORE)?;
    let source = &args.backup;
    if !source.is_file() {
        bail!("no backup at {}", source.display());
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let Some(_exclusive) = backup::lock_exclusive(&db)? else {
        bail!(
            "a wagate process (a server or an admin command) has {} open; stop it before restoring",
            db.display()
        );
    };
    if db.exists() && !args.force {
        bail!(
            "{} already exists; pass --force to replace it with the backup",
            db.display()
        );
    }
    let staged = beside(&db, "restoring");
    let _ = std::fs::remove_file(&staged);
    let result = async {
        {
            let mut from = std::fs::File::open(source)
                .with_context(|| format!("opening {}", source.display()))?;
            let mut to = backup::create_private(&staged)?;
            std::io::copy(&mut from, &mut to)?;
            to.sync_all()?;
        }
        let verified = backup::verify(&staged)
            .await
            .with_context(|| format!("checking the backup {}", source.display()))?;
        let media = media_root(&config);
        let mut bundle = Bundle::open(&staged).await?;
        let (mut restored, mut skipped) = (Vec::new(), Vec::new());
        let mut media_files = 0u64;
        for name in bundle.names().await? {
            let skip = name == "media.key" && config.media.url_key.is_some();
            match destination(&name, &config, media.as_deref()) {
                Some(path) if !skip => {
                    let bytes = bundle.read(&name).await?;
                    write_private(&path, &bytes)
                        .with_context(|| format!("writing {}", path.display()))?;
                    if name.starts_with("media/") {
                        media_files += 1;
                    } else {
                        restored.push(name);
                    }
                }
                _ => skipped.push(name),
            }
        }
        bundle.strip().await?;
        backup::remove_sidecars(&db)?;
        std::fs::rename(&staged, &db)
            .with_context(|| format!("moving the backup to {}", db.display()))?;
        if let Some(dir) = db.parent() {
            sync_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir });
        }
        println!(
            "Restored {} into {}: integrity ok, {} messages, {} key file(s){}, {media_files} media file(s)",
            source.display(),
            Database::Sqlite(db.clone()).describe(),
            verified.messages,
            restored.len(),
            if restored.is_empty() { String::new() } else { format!(" ({})", restored.join(", ")) },
        );
        if verified.pending > 0 {
            println!(
                "The backup was made by an older wagate: {} migration(s) will be applied at the next start.",
                verified.pending
            );
        }
        if !skipped.is_empty() {
            println!(
                "Not restored (your settings keep them elsewhere): {}",
                skipped.len()
            );
        }
        anyhow::Ok(())
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_names_stay_inside_their_directories() {
        let config = Config {
            data_dir: PathBuf::from("/data"),
            ..Config::default()
        };
        let media = Some(Path::new("/media"));
        assert_eq!(
            destination("media.key", &config, media),
            Some(PathBuf::from("/data/media.key"))
        );
        assert_eq!(
            destination("media/sha256/ab/abc", &config, media),
            Some(PathBuf::from("/media/sha256/ab/abc"))
        );
        assert_eq!(destination("media/sha256/ab/abc", &config, None), None);
        for bad in [
            "../x.key",
            "/etc/x.key",
            "media/../../etc/passwd",
            "wagate.db",
            "sub/x.key",
            "secrets.key",
        ] {
            assert_eq!(destination(bad, &config, media), None, "{bad}");
        }
    }
}
