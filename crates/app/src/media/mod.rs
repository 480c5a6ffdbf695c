//! Media: uploaded files and files users sent, by media id (reference §1.2, §6.4).
//!
//! # Model
//! A media id names bytes of one allowed type (image, video, audio, document, sticker) for a
//! while: 30 days after an upload, 7 days after a user sent it ([`MediaConfig`]). Its row
//! ([`wagate_store::Media`]) keeps the type found in the bytes, the SHA-256 and the size; the
//! bytes live in a [`BlobStore`] under their content address, shared by every id with the
//! same bytes.
//!
//! - **Upload** ([`App::upload_media`]): the body streams into a staging file
//!   ([`staging`]), hashed and capped as it goes; then the type is sniffed from the first
//!   bytes and checked against the declared type and the kind's size limit
//!   ([`wagate_core::media`]); only then is the file moved into the store and the id written.
//!   A refused or interrupted upload leaves nothing.
//! - **Download**: [`App::media_info`] answers Meta's object with a URL that serves the
//!   bytes for `url_ttl_secs` to anyone holding it ([`url`]); [`App::open_media`] checks
//!   that URL's signature, or the caller's key, and opens the bytes.
//! - **Retention**: [`MediaCollector::run_once`] purges deleted and expired ids and deletes
//!   bytes no live id refers to any more.
//!
//! - **Links and users' files**: a media `link` is downloaded by the one
//!   [`MediaFetcher`] (`fetcher`, set up from `[media.fetch]`) where the simulated network
//!   needs the bytes; a file a simulated user sends is kept as an inbound media id
//!   (`inbound`).
//!
//! Another account's media id is unknown: every read is by account.
//!
//! # Layout
//! - this file: [`MediaConfig`], [`MediaService`] (the blob store, URL signer and fetcher).
//! - `api`: upload, info, download and delete of a media id.
//! - [`resumable`]: Resumable Upload sessions (`/uploads`) and their handles.
//! - [`staging`]: the staging file an upload streams into, hashed and capped.
//! - [`blob`]: the [`BlobStore`] trait and the local directory store; [`s3`]: the S3 store.
//! - [`url`]: signed download URLs.
//! - `collector`: the media-gc worker (deleted and expired ids, unreferenced bytes).
//! - `inbound`: files users send, kept as inbound media ids.
//! - [`fetch`]: the one media fetcher for `link`s, with its SSRF guard (its own folder).

mod api;
pub mod blob;
mod collector;
pub mod fetch;
pub mod from;
pub(crate) mod inbound;
pub mod resumable;
pub mod s3;
pub mod staging;
pub mod url;

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::media::fetch::{FetchConfig, MediaFetcher};

pub use api::{MediaInfo, UploadMeta};
pub use blob::{BlobStore, LocalDir};
pub use collector::MediaCollector;
pub use url::UrlSigner;

/// Media settings (`[media]` in the TOML file).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Where the bytes are kept: `local` (a directory, the default) or `s3` (an
    /// S3-compatible bucket, `[media.s3]`; needed when several nodes share a database).
    pub store: StoreKind,
    /// The local directory for the bytes (`store = "local"`) and for uploads on their way in
    /// (both stores). Default: `<data_dir>/media`.
    pub dir: Option<PathBuf>,
    /// The bucket, when `store = "s3"`.
    pub s3: s3::S3Config,
    /// Days an uploaded media id lives (Meta: 30).
    pub retention_days: u32,
    /// Days the id of a file a user sent lives (Meta: 7).
    pub inbound_retention_days: u32,
    /// Seconds a download URL works (Meta: 300).
    pub url_ttl_secs: u32,
    /// The key download URLs are signed with; nodes sharing a database must share it.
    /// Default: generated once into `<data_dir>/media.key`.
    pub url_key: Option<String>,
    /// How media links are downloaded (`[media.fetch]`): the SSRF guard, timeouts and size
    /// cap of the fetcher.
    pub fetch: FetchConfig,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            store: StoreKind::Local,
            dir: None,
            s3: s3::S3Config::default(),
            retention_days: 30,
            inbound_retention_days: 7,
            url_ttl_secs: 300,
            url_key: None,
            fetch: FetchConfig::default(),
        }
    }
}

/// Where media bytes live.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    #[default]
    Local,
    S3,
}

/// The media services' parts: where bytes live, how URLs are signed, how long ids live.
#[derive(Debug, Clone)]
pub struct MediaService {
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) signer: UrlSigner,
    /// Staging files go here (on the same file system as a local store).
    pub(crate) staging: PathBuf,
    pub(crate) config: MediaConfig,
    /// Downloads media links (`config.fetch`); shared with the dispatcher, one connection
    /// pool for both.
    pub(crate) fetcher: MediaFetcher,
}

impl MediaService {
    /// The fetcher of media links, as `[media.fetch]` set it up.
    pub fn fetcher(&self) -> &MediaFetcher {
        &self.fetcher
    }

    /// Media in a fresh directory under the system's temporary directory, with a random URL
    /// key: for an [`crate::App`] built without settings (tests, benchmarks).
    pub fn temporary() -> Self {
        let root =
            std::env::temp_dir().join(format!("wagate-media-{:032x}", rand::random::<u128>()));
        Self {
            blobs: Arc::new(LocalDir::new(&root)),
            signer: UrlSigner::new(format!("{:032x}", rand::random::<u128>())),
            staging: root.join("tmp"),
            fetcher: MediaFetcher::new(FetchConfig::default())
                .expect("the default media fetcher builds"),
            config: MediaConfig::default(),
        }
    }

    /// Media kept under `data_dir` as `config` says; the URL key is read from (or created
    /// in) `<data_dir>/media.key` unless configured.
    pub fn open(data_dir: &std::path::Path, config: MediaConfig) -> anyhow::Result<Self> {
        use anyhow::Context;
        let root = config.dir.clone().unwrap_or_else(|| data_dir.join("media"));
        std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
        if config.dir.is_none() {
            crate::platform::secrets::private_dir(&root)?;
        }
        crate::platform::secrets::private_file(&data_dir.join("media.key"))?;
        let key = match &config.url_key {
            Some(k) => k.as_bytes().to_vec(),
            None => {
                let file = data_dir.join("media.key");
                match std::fs::read_to_string(&file) {
                    Ok(k) if !k.trim().is_empty() => k.trim().as_bytes().to_vec(),
                    _ => {
                        let k = format!("{:064x}", rand::random::<u128>())
                            + &format!("{:032x}", rand::random::<u128>());
                        crate::platform::secrets::write_private(&file, k.as_bytes())?;
                        k.into_bytes()
                    }
                }
            }
        };
        let blobs: Arc<dyn BlobStore> = match config.store {
            StoreKind::Local => Arc::new(LocalDir::new(&root)),
            StoreKind::S3 => Arc::new(s3::S3Store::new(config.s3.clone())?),
        };
        let fetcher =
            MediaFetcher::new(config.fetch.clone()).context("setting up [media.fetch]")?;
        Ok(Self {
            blobs,
            signer: UrlSigner::new(key),
            staging: root.join("tmp"),
            fetcher,
            config,
        })
    }
}
