//! An upload on its way in: streamed to a temporary file under the media root, hashed and
//! measured as it goes, never held in memory whole, and refused as soon as it passes its
//! size cap. A staged file is either moved into the object store or removed (also when the
//! upload is dropped half-way): nothing partial is ever kept.

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// Why an upload could not be staged.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The bytes passed `max` before the end.
    #[error("the file is over {max} bytes")]
    TooLarge { max: u64 },
    /// The client's stream failed (a broken connection, a malformed multipart body).
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A complete upload in its temporary file.
#[derive(Debug)]
pub struct Staged {
    path: Option<PathBuf>,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub size: u64,
    /// The first bytes, for sniffing the type.
    pub prefix: Vec<u8>,
}

impl Staged {
    /// The temporary file; hand it to the object store, then [`Staged::taken`].
    pub fn path(&self) -> &Path {
        self.path.as_deref().expect("staged file present")
    }

    /// The object store took the file: nothing to remove on drop.
    pub fn taken(mut self) {
        self.path = None;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Streams `body` into a new file in `dir`, keeping the first `prefix_len` bytes, refusing
/// past `max` bytes.
pub async fn stage<S, E>(
    dir: &Path,
    mut body: S,
    max: u64,
    prefix_len: usize,
) -> Result<Staged, StageError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    tokio::fs::create_dir_all(dir).await?;
    let path = dir.join(format!("upload-{}", uuid_like()));
    // Removed on every early return.
    let mut staged = Staged {
        path: Some(path.clone()),
        sha256: String::new(),
        size: 0,
        prefix: Vec::with_capacity(prefix_len.min(64 * 1024)),
    };
    let mut file = tokio::fs::File::create(&path).await?;
    let mut hasher = Sha256::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| StageError::Interrupted(e.to_string()))?;
        staged.size += chunk.len() as u64;
        if staged.size > max {
            return Err(StageError::TooLarge { max });
        }
        if staged.prefix.len() < prefix_len {
            let take = (prefix_len - staged.prefix.len()).min(chunk.len());
            staged.prefix.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await?;
    }
    file.sync_all().await?;
    drop(file);
    staged.sha256 = hex::encode(hasher.finalize());
    Ok(staged)
}

/// A random name for a temporary file.
fn uuid_like() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, io::Error>> + Unpin {
        futures::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    #[tokio::test]
    async fn stages_hashes_and_keeps_a_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let staged = stage(dir.path(), chunks(&[b"hello ", b"world"]), 100, 8)
            .await
            .unwrap();
        assert_eq!(staged.size, 11);
        assert_eq!(staged.prefix, b"hello wo");
        assert_eq!(
            staged.sha256,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(std::fs::read(staged.path()).unwrap(), b"hello world");
        let path = staged.path().to_owned();
        drop(staged);
        assert!(!path.exists(), "dropped before being taken: removed");
    }

    #[tokio::test]
    async fn too_large_and_interrupted_uploads_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let err = stage(dir.path(), chunks(&[b"12345", b"678"]), 7, 4)
            .await
            .unwrap_err();
        assert!(matches!(err, StageError::TooLarge { max: 7 }));
        let broken = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"abc")),
            Err(io::Error::other("connection reset")),
        ]);
        let err = stage(dir.path(), broken, 100, 4).await.unwrap_err();
        assert!(err.to_string().contains("connection reset"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
