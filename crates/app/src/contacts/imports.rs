//! Imports of CSV and XLSX files into the contact book, as jobs.
//!
//! `POST /api/v1/contacts/imports` stages the upload, checks it (the format, an XLSX's
//! zip-bomb limits, the header's mapping) and answers 400 before anything is stored when it
//! cannot be imported; otherwise it keeps the file and queues a job. The `contact-imports`
//! worker runs it: a blocking thread reads and parses the rows ([`super::import_file`],
//! the core's [`ImportMapping`]) and hands batches of [`BATCH`] rows to the store, which
//! writes each batch with the job's progress in one transaction. So a crash leaves every
//! row written and counted or not written at all, and the job is resumed after its last
//! committed row once its lease ([`LEASE`]) lapses. `wagate contacts import` runs the same
//! [`ImportRun`] in the CLI on its own file.
//!
//! Rows the parse or the store refuses (a bad number, an unknown tag, a number twice in the
//! file…) are reported with their row number, column and reason; every other row is
//! upserted ([`wagate_core::contact::import::upsert`]). Imports emit no per-contact webhook
//! events: a file of a million rows is not a million notifications.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use tokio::sync::{Mutex, mpsc};
use wagate_core::Timestamp;
use wagate_core::clock::Clock;
use wagate_core::contact::import::{
    ContactImport, ImportFormat, ImportMapping, ImportOptions, ImportStatus, RowError,
};
use wagate_core::error::ValidationError;
use wagate_core::ids::{AccountId, ContactImportId};
use wagate_store::{ImportBatch, ImportLease, Page, Store};

use super::import_file::{self, FILE_MAX, RawRow};
use wagate_core::error::ErrorCode;

use crate::error::{Error, Result};
use crate::media::staging::{self, StageError, Staged};
use crate::{App, Principal};

/// Rows per batch (one transaction each).
pub const BATCH: usize = 1000;
/// How long a claim on an import holds without a batch renewing it.
pub const LEASE: Duration = Duration::from_secs(30);
/// Batches a worker step writes before it yields to the loop.
const STEP_BATCHES: usize = 20;

/// An upload to import.
pub struct NewImport {
    pub file_name: String,
    /// As the caller said; sniffed from the bytes when `None`.
    pub format: Option<ImportFormat>,
    pub options: ImportOptions,
}

impl App {
    /// Streams an upload to a staging file (at most [`FILE_MAX`] bytes).
    pub async fn stage_import_file<S, E>(&self, body: S) -> Result<Staged>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        staging::stage(&self.media.staging, body, FILE_MAX, 8)
            .await
            .map_err(|e| match e {
                StageError::TooLarge { max } => Error::from(ValidationError::out_of_range(
                    "file",
                    format!("an import file is at most {} MiB", max / (1024 * 1024)),
                )),
                StageError::Interrupted(m) => Error::from(ValidationError::new(
                    "file",
                    format!("the upload failed: {m}"),
                )),
                StageError::Io(e) => internal(e),
            })
    }

    /// Checks the staged file can be imported and queues the import (see the module docs).
    pub async fn start_contact_import(
        &self,
        p: &Principal,
        new: NewImport,
        staged: Staged,
    ) -> Result<ContactImport> {
        if staged.size == 0 {
            return Err(ValidationError::missing("file", "the file is empty").into());
        }
        let sniffed = import_file::sniff(&staged.prefix);
        let format = new.format.unwrap_or(sniffed);
        let path = staged.path().to_owned();
        let options = new.options.clone();
        tokio::task::spawn_blocking(move || prepare(&path, format, &options))
            .await
            .map_err(internal)??;
        let id = ContactImportId::generate();
        let key = format!("imports/{}", id.as_uuid().simple());
        self.media
            .blobs
            .put_file(&key, staged.path())
            .await
            .map_err(internal)?;
        let now = self.now();
        let import = ContactImport {
            id,
            account_id: p.account_id,
            format,
            file_name: new.file_name,
            file_sha256: staged.sha256.clone(),
            file_size: staged.size,
            blob_key: Some(key.clone()),
            options: new.options,
            status: ImportStatus::Queued,
            failure: None,
            rows_read: 0,
            created: 0,
            updated: 0,
            failed: 0,
            lease_owner: None,
            lease_until: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
        };
        staged.taken();
        match self.store.create_import(import).await {
            Ok(import) => Ok(import),
            Err(e) => {
                let _ = self.media.blobs.delete(&key).await;
                Err(e.into())
            }
        }
    }

    pub async fn get_contact_import(
        &self,
        p: &Principal,
        id: ContactImportId,
    ) -> Result<ContactImport> {
        Ok(self.store.get_import(p.account_id, id).await?)
    }

    pub async fn list_contact_imports(
        &self,
        p: &Principal,
        page: &Page<ContactImportId>,
    ) -> Result<Vec<ContactImport>> {
        Ok(self.store.list_imports(p.account_id, page).await?)
    }

    /// The import's row errors after `after_row`, by row.
    pub async fn contact_import_errors(
        &self,
        p: &Principal,
        id: ContactImportId,
        after_row: u64,
        limit: u32,
    ) -> Result<Vec<RowError>> {
        Ok(self
            .store
            .import_errors(p.account_id, id, after_row, limit)
            .await?)
    }

    /// Runs the imports the server keeps files for (the `contact-imports` worker's step):
    /// claims one, writes up to [`STEP_BATCHES`] batches, and finishes it.
    pub async fn run_imports_once(&self, now: Timestamp) -> Result<bool> {
        self.imports.run_once(self, now).await
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Failed(ErrorCode::Internal, format!("contact import: {e}"))
}

/// A name for a lease holder: what it is, the host's process id and a random part.
pub fn owner_name(what: &str) -> String {
    format!(
        "{what}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Checks that the file can be read and its header maps (a blocking call).
pub fn prepare(
    path: &Path,
    format: ImportFormat,
    options: &ImportOptions,
) -> std::result::Result<ImportMapping, ValidationError> {
    import_file::check(path, format)?;
    let mut header = None;
    import_file::read_rows(path, format, &mut |raw: RawRow<'_>| {
        header = Some(
            raw.cells
                .iter()
                .map(|c| match c {
                    wagate_core::contact::import::Cell::Text(t) => (*t).to_owned(),
                    wagate_core::contact::import::Cell::NotUtf8 => String::new(),
                })
                .collect::<Vec<_>>(),
        );
        ControlFlow::Break(())
    })?;
    let header = header.ok_or_else(|| ValidationError::missing("file", "the file has no rows"))?;
    ImportMapping::new(header, options)
}

/// What the reading thread sends.
enum Read {
    Batch(ImportBatch, u64),
    /// The file could not be read further (or its header does not map).
    Failed(String),
}

/// One import being run: the reading thread's batches, written in turn.
pub struct ImportRun {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    owner: String,
    pub import: ContactImport,
    rx: mpsc::Receiver<Read>,
    /// How far into the file the last batch ended (bytes; CSV only).
    pub bytes_read: u64,
    /// Kept until the run ends (the worker's copy of the file).
    _file: Option<tempfile::TempPath>,
}

impl ImportRun {
    /// Starts reading `path` for `import` (held by `owner`), after its committed rows.
    pub fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        owner: String,
        import: ContactImport,
        path: PathBuf,
        file: Option<tempfile::TempPath>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(2);
        let (format, options, skip) = (import.format, import.options.clone(), import.rows_read);
        tokio::task::spawn_blocking(move || read_batches(&path, format, &options, skip, &tx));
        Self {
            store,
            clock,
            owner,
            import,
            rx,
            bytes_read: 0,
            _file: file,
        }
    }

    fn lease(&self) -> ImportLease {
        let now = self.clock.now();
        ImportLease {
            owner: self.owner.clone(),
            now,
            until: now + LEASE,
        }
    }

    /// Writes the next batch, or finishes the import; `false` once it is finished.
    pub async fn step(&mut self) -> Result<bool> {
        if self.import.status.is_finished() {
            return Ok(false);
        }
        let next = self.rx.recv().await;
        let lease = self.lease();
        self.import = match next {
            Some(Read::Batch(batch, bytes)) => {
                self.bytes_read = bytes;
                self.store
                    .import_batch(self.import.id, &lease, batch)
                    .await?
            }
            Some(Read::Failed(reason)) => {
                self.store
                    .finish_import(self.import.id, &lease, Some(reason))
                    .await?
            }
            None => {
                self.store
                    .finish_import(self.import.id, &lease, None)
                    .await?
            }
        };
        Ok(true)
    }
}

/// The reading thread: parses every row, sends those after `skip` in batches.
fn read_batches(
    path: &Path,
    format: ImportFormat,
    options: &ImportOptions,
    skip: u64,
    tx: &mpsc::Sender<Read>,
) {
    let mut mapping: Option<ImportMapping> = None;
    let mut failed: Option<String> = None;
    // Numbers seen, as integers (a million rows in tens of MiB): the first row of each.
    let mut seen: HashMap<u64, u64> = HashMap::new();
    let mut batch = ImportBatch::default();
    let mut closed = false;
    let result = import_file::read_rows(path, format, &mut |raw: RawRow<'_>| {
        let Some(m) = &mapping else {
            let header = raw
                .cells
                .iter()
                .map(|c| match c {
                    wagate_core::contact::import::Cell::Text(t) => (*t).to_owned(),
                    wagate_core::contact::import::Cell::NotUtf8 => String::new(),
                })
                .collect();
            match ImportMapping::new(header, options) {
                Ok(m) => mapping = Some(m),
                Err(e) => {
                    failed = Some(e.message);
                    return ControlFlow::Break(());
                }
            }
            return ControlFlow::Continue(());
        };
        let parsed = m.parse_row(raw.row, raw.cells).and_then(|row| {
            let digits = row
                .wa_id
                .as_ref()
                .and_then(|w| w.digits().parse::<u64>().ok())
                .unwrap_or(0);
            match seen.get(&digits) {
                Some(first) => Err(RowError {
                    row: raw.row,
                    column: m.headers[m
                        .roles
                        .iter()
                        .position(|r| *r == wagate_core::contact::import::ColumnRole::Phone)
                        .unwrap_or(0)]
                    .clone(),
                    reason: format!("the number is on row {first} already"),
                }),
                None => {
                    seen.insert(digits, raw.row);
                    Ok(row)
                }
            }
        });
        if raw.index <= skip {
            return ControlFlow::Continue(());
        }
        match parsed {
            Ok(row) => batch.rows.push(row),
            Err(e) => batch.errors.push(e),
        }
        batch.rows_read = raw.index;
        if batch.tags_column.is_empty() {
            batch.tags_column = m
                .roles
                .iter()
                .position(|r| *r == wagate_core::contact::import::ColumnRole::Tags)
                .map_or_else(|| "tags".to_owned(), |i| m.headers[i].clone());
        }
        if batch.rows.len() + batch.errors.len() >= BATCH {
            let full = std::mem::take(&mut batch);
            if tx.blocking_send(Read::Batch(full, raw.bytes_read)).is_err() {
                closed = true;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    if closed {
        return;
    }
    let end = match (result, failed, &mapping) {
        (Err(e), _, _) => Some(e.message),
        (Ok(()), Some(reason), _) => Some(reason),
        (Ok(()), None, None) => Some("the file has no rows".to_owned()),
        (Ok(()), None, Some(_)) => None,
    };
    if !batch.rows.is_empty() || !batch.errors.is_empty() {
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if tx.blocking_send(Read::Batch(batch, bytes)).is_err() {
            return;
        }
    }
    if let Some(reason) = end {
        let _ = tx.blocking_send(Read::Failed(reason));
    }
    // Dropping `tx` ends the run.
}

/// This node's import runner: its lease name and the import it is running, if any (kept
/// between steps, so the file is read once).
pub(crate) struct ImportRunner {
    owner: String,
    active: Mutex<Option<ImportRun>>,
}

impl Default for ImportRunner {
    fn default() -> Self {
        Self {
            owner: owner_name("server"),
            active: Mutex::new(None),
        }
    }
}

impl ImportRunner {
    async fn run_once(&self, app: &App, now: Timestamp) -> Result<bool> {
        let mut active = self.active.lock().await;
        if active.is_none() {
            let lease = ImportLease {
                owner: self.owner.clone(),
                now,
                until: now + LEASE,
            };
            let Some(import) = app.store.claim_import(&lease).await? else {
                return Ok(false);
            };
            *active = Some(self.open(app, import).await?);
        }
        let Some(run) = active.as_mut() else {
            return Ok(false);
        };
        for _ in 0..STEP_BATCHES {
            match run.step().await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    // The lease was lost or the store failed: the import is claimed again
                    // (here or elsewhere) and goes on after its last committed batch.
                    *active = None;
                    return Err(e);
                }
            }
        }
        if run.import.status.is_finished() {
            let done = active.take().map(|r| r.import);
            if let Some(key) = done.and_then(|i| i.blob_key) {
                let _ = app.media.blobs.delete(&key).await;
            }
        }
        Ok(true)
    }

    /// A run of `import` on a local copy of its file.
    async fn open(&self, app: &App, import: ContactImport) -> Result<ImportRun> {
        let key = import.blob_key.clone().unwrap_or_default();
        let reader = app.media.blobs.open(&key).await.map_err(internal)?;
        let Some(mut reader) = reader else {
            let lease = ImportLease {
                owner: self.owner.clone(),
                now: app.now(),
                until: app.now() + LEASE,
            };
            let import = app
                .store
                .finish_import(
                    import.id,
                    &lease,
                    Some("the uploaded file is gone from storage".into()),
                )
                .await?;
            return Ok(ImportRun::start(
                app.store.clone(),
                app.clock.clone(),
                self.owner.clone(),
                import,
                PathBuf::new(),
                None,
            ));
        };
        let file = crate::contacts::imports::local_copy(&app.media.staging, &mut reader)
            .await
            .map_err(internal)?;
        let path = file.to_path_buf();
        Ok(ImportRun::start(
            app.store.clone(),
            app.clock.clone(),
            self.owner.clone(),
            import,
            path,
            Some(file),
        ))
    }
}

/// A stored file copied to a temporary file in `staging` (the worker reads it from disk,
/// row by row, on a blocking thread); the file goes when the path is dropped.
pub(crate) async fn local_copy<R>(
    staging: &Path,
    reader: &mut R,
) -> std::io::Result<tempfile::TempPath>
where
    R: tokio::io::AsyncRead + Unpin + ?Sized,
{
    tokio::fs::create_dir_all(staging).await?;
    let file = tempfile::NamedTempFile::new_in(staging)?.into_temp_path();
    let mut out = tokio::fs::File::create(&file).await?;
    tokio::io::copy(reader, &mut out).await?;
    Ok(file)
}

/// Starts an import the CLI runs on its own file (`blob_key` none: servers leave it be).
pub async fn start_local_import(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    account: AccountId,
    path: &Path,
    format: ImportFormat,
    options: ImportOptions,
    (sha256, size): (String, u64),
) -> Result<ImportRun> {
    let owner = owner_name("cli");
    let now = clock.now();
    let import = ContactImport {
        id: ContactImportId::generate(),
        account_id: account,
        format,
        file_name: path.display().to_string(),
        file_sha256: sha256,
        file_size: size,
        blob_key: None,
        options,
        status: ImportStatus::Running,
        failure: None,
        rows_read: 0,
        created: 0,
        updated: 0,
        failed: 0,
        lease_owner: Some(owner.clone()),
        lease_until: Some(now + LEASE),
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    let import = store.create_import(import).await?;
    Ok(ImportRun::start(
        store,
        clock,
        owner,
        import,
        path.to_owned(),
        None,
    ))
}

/// Resumes an import the CLI ran: the same file (by its SHA-256), after its committed rows.
pub async fn resume_local_import(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    account: AccountId,
    id: ContactImportId,
    path: &Path,
    sha256: &str,
    take_over: bool,
) -> Result<ImportRun> {
    let owner = owner_name("cli");
    let now = clock.now();
    let lease = ImportLease {
        owner: owner.clone(),
        now,
        until: now + LEASE,
    };
    let current = store.get_import(account, id).await?;
    if current.file_sha256 != sha256 {
        return Err(ValidationError::new(
            "file",
            "this is not the file the import was started with (its SHA-256 differs)",
        )
        .into());
    }
    let import = store.take_import(account, id, &lease, take_over).await?;
    Ok(ImportRun::start(
        store,
        clock,
        owner,
        import,
        path.to_owned(),
        None,
    ))
}
