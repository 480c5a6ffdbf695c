//! Where media bytes live: an object store keyed by content address
//! (`sha256/<first two hex digits>/<hex digest>`). The local directory is the default; the
//! trait is what an S3-compatible store implements for several nodes.
//!
//! Bytes arrive as a finished, hashed staging file ([`super::staging`]) and are moved in
//! whole, so a key never names a partial file: an interrupted upload leaves nothing under a
//! key.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

/// Bytes being read out of a store.
pub type Reader = Box<dyn tokio::io::AsyncRead + Send + Unpin>;

/// The content address of bytes with this SHA-256 (lowercase hex).
pub fn content_key(sha256_hex: &str) -> String {
    let prefix = sha256_hex.get(..2).unwrap_or("00");
    format!("sha256/{prefix}/{sha256_hex}")
}

/// An object store for media bytes.
#[async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Moves the finished file `staged` in under `key`. When the key already holds bytes
    /// (the same content, by construction) the staged file is dropped instead.
    async fn put_file(&self, key: &str, staged: &Path) -> io::Result<()>;
    /// The bytes under `key` as a stream to read, `None` when there are none.
    async fn open(&self, key: &str) -> io::Result<Option<Reader>>;
    /// Removes `key`; a missing key is not an error.
    async fn delete(&self, key: &str) -> io::Result<()>;
    /// Whether `key` holds bytes.
    async fn exists(&self, key: &str) -> io::Result<bool>;
}

/// Media bytes in a local directory: `<root>/sha256/ab/abcdef…`.
#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> io::Result<PathBuf> {
        let ok = !key.is_empty()
            && !key.starts_with('/')
            && key
                .split('/')
                .all(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !ok {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a storage key: {key:?}"),
            ));
        }
        Ok(self.root.join(key))
    }
}

#[async_trait]
impl BlobStore for LocalDir {
    async fn put_file(&self, key: &str, staged: &Path) -> io::Result<()> {
        let dest = self.path(key)?;
        if tokio::fs::try_exists(&dest).await? {
            tokio::fs::remove_file(staged).await?;
            return Ok(());
        }
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        // Same file system (staging is under the root), so the rename is atomic.
        tokio::fs::rename(staged, &dest).await
    }

    async fn open(&self, key: &str) -> io::Result<Option<Reader>> {
        match tokio::fs::File::open(self.path(key)?).await {
            Ok(f) => Ok(Some(Box::new(f))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    async fn exists(&self, key: &str) -> io::Result<bool> {
        tokio::fs::try_exists(self.path(key)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_move_in_once_and_keys_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path());
        let key = content_key("ab12");
        assert_eq!(key, "sha256/ab/ab12");
        let staged = dir.path().join("staged");
        tokio::fs::write(&staged, b"bytes").await.unwrap();
        store.put_file(&key, &staged).await.unwrap();
        assert!(!staged.exists() && store.exists(&key).await.unwrap());
        // The same content again: the staged copy is dropped, the stored one kept.
        tokio::fs::write(&staged, b"bytes").await.unwrap();
        store.put_file(&key, &staged).await.unwrap();
        assert!(!staged.exists());
        assert!(store.open(&key).await.unwrap().is_some());
        store.delete(&key).await.unwrap();
        store.delete(&key).await.unwrap();
        assert!(store.open(&key).await.unwrap().is_none());
        for bad in ["", "/etc/passwd", "sha256/../x", "a//b", "a/b c"] {
            assert!(store.open(bad).await.is_err(), "{bad:?}");
        }
    }
}
