//! A draft's audience: numbers given in the request, an uploaded CSV/XLSX, or a segment of
//! the contact book.
//!
//! Numbers are stored at once. A file is checked in the request (readable, a real XLSX
//! within the zip-bomb limits, a header that maps: a phone column, every column read by a
//! parameter, no unknown column) and refused with 400 before anything is stored; then it
//! is kept in the blob store and the load is queued. The `campaigns` worker runs loads
//! ([`LoadRunner`]): a blocking thread reads the rows ([`crate::contacts::import_file`],
//! the core's [`AudienceMapping`]) and hands batches of [`BATCH`] to the store, which writes
//! each with the load's progress in one transaction; a crash resumes after the last batch
//! once the lease ([`LEASE`]) lapses. A segment is read page by page from the contact book
//! the same way.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::{Mutex, mpsc};
use wagate_core::Timestamp;
use wagate_core::campaign::audience::{AudienceMapping, RowRefusal};
use wagate_core::campaign::model::{
    AudienceLoad, AudienceSource, Campaign, CampaignParams, CampaignTemplate, NewCampaign,
    NewRecipient, RecipientData,
};
use wagate_core::campaign::{CampaignKind, CampaignName, SkipReason};
use wagate_core::contact::card::{AttributeKey, TagName};
use wagate_core::contact::import::{Cell, ImportFormat, ImportOptions, RowError};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{CampaignId, ChannelId, ContactCardId};
use wagate_store::{AudienceBatch, AudienceLease, ContactCardFilter};

use crate::contacts::import_file::{self, RawRow};
use crate::error::{Error, Result};
use crate::media::staging::Staged;
use crate::{App, Principal};

/// Rows per batch (one transaction each).
pub const BATCH: usize = 1000;
/// How long a claim on a load holds without a batch renewing it.
pub const LEASE: Duration = Duration::from_secs(30);
/// Batches a worker step writes before it yields to the loop.
const STEP_BATCHES: usize = 20;

/// What the caller said about an audience file besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    pub file_name: String,
    /// As the caller said; sniffed from the bytes when `None`.
    pub format: Option<ImportFormat>,
    pub phone_column: Option<String>,
    pub default_country_code: Option<String>,
}

/// Command: a broadcast to the rows of an audience file, created, checked and handed to the
/// `campaigns` worker, which launches it once the file has loaded (a provider's "bulk send
/// from a sheet", answered at once). See [`App::broadcast_file`].
#[derive(Debug, Clone)]
pub struct FileBroadcast {
    pub name: CampaignName,
    pub channel_id: ChannelId,
    pub template: CampaignTemplate,
    pub params: CampaignParams,
    pub file: FileOptions,
    /// Refuse the whole file when a row lacks a parameter's value (else that row is skipped
    /// and reported, as any load does).
    pub strict: bool,
}

/// What a read of a whole audience file found, nothing stored.
#[derive(Debug, Clone, Default)]
pub struct AudienceScan {
    /// Rows that are recipients (a number repeated counts each time).
    pub recipients: u64,
    /// Those recipients by the country of their number (`*` unknown).
    pub by_country: Vec<(String, u64)>,
    /// Rows refused, in file order.
    pub refused: Vec<RowRefusal>,
}

/// A segment of the contact book.
#[derive(Debug, Clone, Default)]
pub struct Segment {
    pub tag: Option<TagName>,
    pub attribute: Option<(AttributeKey, String)>,
    pub active_since: Option<Timestamp>,
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Failed(ErrorCode::Internal, format!("campaign audience: {e}"))
}

impl App {
    /// Checks a staged audience file and queues its load (see the module docs).
    pub async fn upload_campaign_audience(
        &self,
        p: &Principal,
        id: CampaignId,
        options: FileOptions,
        staged: Staged,
    ) -> Result<Campaign> {
        let campaign = self.get_campaign(p, id).await?;
        if staged.size == 0 {
            return Err(ValidationError::missing("file", "the file is empty").into());
        }
        // The same calling-code rule as contact imports.
        let default_cc = ImportOptions::parse(
            &std::collections::BTreeMap::new(),
            options.default_country_code.as_deref(),
        )?
        .default_country_code;
        let format = options
            .format
            .unwrap_or_else(|| import_file::sniff(&staged.prefix));
        let path = staged.path().to_owned();
        let params = campaign.params.clone();
        let phone = options.phone_column.clone();
        let cc = default_cc.clone();
        tokio::task::spawn_blocking(move || {
            mapping(&path, format, &params, phone.as_deref(), cc.as_deref())
        })
        .await
        .map_err(internal)??;
        let key = format!(
            "campaigns/{}{:08x}",
            id.as_uuid().simple(),
            rand::random::<u32>()
        );
        self.media
            .blobs
            .put_file(&key, staged.path())
            .await
            .map_err(internal)?;
        staged.taken();
        let load = AudienceLoad {
            source: AudienceSource::File {
                blob_key: key.clone(),
                format: format.as_str().to_owned(),
                file_name: options.file_name,
                phone_column: options.phone_column,
                default_country_code: default_cc,
            },
            rows_read: 0,
            after_card: None,
        };
        match self
            .store
            .start_audience_load(p.account_id, id, load, self.now())
            .await
        {
            Ok(c) => Ok(c),
            Err(e) => {
                let _ = self.media.blobs.delete(&key).await;
                Err(e.into())
            }
        }
    }

    /// A broadcast from an audience file (see [`FileBroadcast`]). Before anything is stored:
    /// the template is checked as a launch checks it, the whole file is read (not a readable
    /// sheet, or without one recipient: the field `file`; a header that does not map:
    /// `file.header`; with `strict`, a row lacking a parameter's value: `file.rows[N]`), and
    /// the wallet must cover the estimate (`CampaignUnfunded`). Then the draft is created
    /// with `launch_when_ready` and its file queued.
    pub async fn broadcast_file(
        &self,
        p: &Principal,
        cmd: FileBroadcast,
        staged: Staged,
    ) -> Result<Campaign> {
        cmd.params.check()?;
        let channel = self.get_channel(p, cmd.channel_id).await?;
        let probe = Campaign::new(NewCampaign {
            id: CampaignId::generate(),
            account_id: p.account_id,
            name: cmd.name.clone(),
            kind: CampaignKind::Broadcast,
            channel_id: channel.id,
            template: cmd.template.clone(),
            params: cmd.params.clone(),
            rate: None,
            allow_partial: false,
            launch_when_ready: true,
            created_at: self.now(),
        });
        let category = self.check_campaign_template(p, &channel, &probe).await?;
        let scan = self.scan_audience(&cmd.params, &cmd.file, &staged).await?;
        if cmd.strict
            && let Some(r) = scan
                .refused
                .iter()
                .find(|r| matches!(r.skip, SkipReason::MissingParameter { .. }))
        {
            return Err(ValidationError::new(
                format!("file.rows[{}]", r.row),
                format!("row {}: {}", r.row, r.reason),
            )
            .into());
        }
        if scan.recipients == 0 {
            let why = scan
                .refused
                .first()
                .map(|r| format!(" (row {}: {})", r.row, r.reason))
                .unwrap_or_default();
            return Err(ValidationError::missing(
                "file",
                format!("no row of the file is a recipient{why}"),
            )
            .into());
        }
        self.fund_campaign(p, category, &scan.by_country, false)
            .await?;
        let created = self
            .create_campaign(
                p,
                super::CreateCampaign {
                    name: cmd.name,
                    kind: CampaignKind::Broadcast,
                    channel_id: channel.id,
                    template: cmd.template,
                    params: cmd.params,
                    rate: None,
                    allow_partial: false,
                    launch_when_ready: true,
                },
            )
            .await?;
        match self
            .upload_campaign_audience(p, created.id, cmd.file, staged)
            .await
        {
            Ok(c) => {
                self.wake.notify_one();
                Ok(c)
            }
            Err(e) => {
                // The draft must not wait for a file that never came.
                let _ = self.cancel_campaign(p, created.id).await;
                Err(e)
            }
        }
    }

    /// Reads the whole staged file through the mapping for `params` (nothing stored).
    async fn scan_audience(
        &self,
        params: &CampaignParams,
        options: &FileOptions,
        staged: &Staged,
    ) -> Result<AudienceScan> {
        if staged.size == 0 {
            return Err(ValidationError::missing("file", "the file is empty").into());
        }
        let default_cc = ImportOptions::parse(
            &std::collections::BTreeMap::new(),
            options.default_country_code.as_deref(),
        )?
        .default_country_code;
        let format = options
            .format
            .unwrap_or_else(|| import_file::sniff(&staged.prefix));
        let path = staged.path().to_owned();
        let params = params.clone();
        let phone = options.phone_column.clone();
        tokio::task::spawn_blocking(move || {
            scan(
                &path,
                format,
                &params,
                phone.as_deref(),
                default_cc.as_deref(),
            )
        })
        .await
        .map_err(internal)?
        .map_err(Into::into)
    }

    /// Queues the load of a contact-book segment into a draft's audience.
    pub async fn segment_campaign_audience(
        &self,
        p: &Principal,
        id: CampaignId,
        segment: Segment,
    ) -> Result<Campaign> {
        self.get_campaign(p, id).await?;
        let (attribute, value) = match segment.attribute {
            Some((k, v)) => (Some(k.as_str().to_owned()), Some(v)),
            None => (None, None),
        };
        let load = AudienceLoad {
            source: AudienceSource::Contacts {
                tag: segment.tag.map(|t| t.as_str().to_owned()),
                attribute,
                value,
                active_since: segment.active_since,
            },
            rows_read: 0,
            after_card: None,
        };
        Ok(self
            .store
            .start_audience_load(p.account_id, id, load, self.now())
            .await?)
    }
}

/// The mapping of the file's header for `params` (a blocking call).
fn mapping(
    path: &Path,
    format: ImportFormat,
    params: &CampaignParams,
    phone: Option<&str>,
    cc: Option<&str>,
) -> std::result::Result<AudienceMapping, ValidationError> {
    import_file::check(path, format)?;
    let mut header = None;
    import_file::read_rows(path, format, &mut |raw: RawRow<'_>| {
        header = Some(texts(raw.cells));
        ControlFlow::Break(())
    })?;
    let header = header.ok_or_else(|| ValidationError::missing("file", "the file has no rows"))?;
    AudienceMapping::new(header, params, phone, cc)
}

/// Every row of the file through the mapping for `params` (a blocking call). A file that
/// is not a readable sheet is refused with the field `file` (missing: no contact list), a
/// header that does not map with `file.header`.
fn scan(
    path: &Path,
    format: ImportFormat,
    params: &CampaignParams,
    phone: Option<&str>,
    cc: Option<&str>,
) -> std::result::Result<AudienceScan, ValidationError> {
    import_file::check(path, format).map_err(|e| ValidationError::missing("file", e.message))?;
    let mapping = mapping(path, format, params, phone, cc).map_err(|e| ValidationError {
        field: "file.header".into(),
        message: format!("row 1 (the header): {}", e.message),
        ..e
    })?;
    let mut found = AudienceScan::default();
    let mut countries = std::collections::BTreeMap::<String, u64>::new();
    let mut header = true;
    import_file::read_rows(path, format, &mut |raw: RawRow<'_>| {
        if std::mem::take(&mut header) {
            return ControlFlow::Continue(());
        }
        match mapping.parse_row(raw.row, raw.cells) {
            Ok(r) => {
                found.recipients += 1;
                let country =
                    wagate_core::registration::country_of(r.wa_id.digits()).map_or("*", |(_, c)| c);
                *countries.entry(country.to_owned()).or_default() += 1;
            }
            Err(refusal) => found.refused.push(refusal),
        }
        ControlFlow::Continue(())
    })?;
    found.by_country = countries.into_iter().collect();
    Ok(found)
}

fn texts(cells: &[Cell<'_>]) -> Vec<String> {
    cells
        .iter()
        .map(|c| match c {
            Cell::Text(t) => (*t).to_owned(),
            Cell::NotUtf8 => String::new(),
        })
        .collect()
}

/// What the reading thread sends.
enum Read {
    Batch(AudienceBatch),
    Failed(String),
}

/// One load being run: batches from a reading thread (a file) or from the contact book.
struct LoadRun {
    campaign: Campaign,
    rx: Option<mpsc::Receiver<Read>>,
    /// The worker's copy of the file, kept until the run ends.
    _file: Option<tempfile::TempPath>,
    blob_key: Option<String>,
}

/// This node's audience loads: its lease name and the load it is running.
pub(crate) struct LoadRunner {
    owner: String,
    active: Mutex<Option<LoadRun>>,
}

impl Default for LoadRunner {
    fn default() -> Self {
        Self {
            owner: crate::contacts::imports::owner_name("campaigns"),
            active: Mutex::new(None),
        }
    }
}

impl LoadRunner {
    fn lease(&self, now: Timestamp) -> AudienceLease {
        AudienceLease {
            owner: self.owner.clone(),
            now,
            until: now + LEASE,
        }
    }

    /// Claims a load (or goes on with this node's), writes up to [`STEP_BATCHES`] batches.
    pub(crate) async fn run_once(&self, app: &App, now: Timestamp) -> Result<bool> {
        let mut active = self.active.lock().await;
        if active.is_none() {
            let Some(campaign) = app.store.claim_audience_load(&self.lease(now)).await? else {
                return Ok(false);
            };
            *active = Some(self.open(app, campaign).await?);
        }
        let Some(run) = active.as_mut() else {
            return Ok(false);
        };
        let result = self.steps(app, run, now).await;
        match result {
            Ok(true) => Ok(true),
            Ok(false) => {
                // Finished: the file goes.
                if let Some(key) = active.take().and_then(|r| r.blob_key) {
                    let _ = app.media.blobs.delete(&key).await;
                }
                Ok(true)
            }
            Err(e) => {
                *active = None;
                Err(e)
            }
        }
    }

    /// Up to [`STEP_BATCHES`] batches; false once the load is finished.
    async fn steps(&self, app: &App, run: &mut LoadRun, now: Timestamp) -> Result<bool> {
        for _ in 0..STEP_BATCHES {
            let lease = self.lease(now);
            let next = match run.rx.as_mut() {
                Some(rx) => rx.recv().await,
                None => Some(segment_batch(app, &run.campaign).await?),
            };
            run.campaign = match next {
                Some(Read::Batch(batch))
                    if !batch.recipients.is_empty() || !batch.refused.is_empty() =>
                {
                    app.store
                        .audience_batch(run.campaign.id, &lease, batch)
                        .await?
                }
                Some(Read::Batch(_)) | None => {
                    app.store
                        .finish_audience_load(run.campaign.id, &lease, None)
                        .await?;
                    return Ok(false);
                }
                Some(Read::Failed(reason)) => {
                    app.store
                        .finish_audience_load(run.campaign.id, &lease, Some(reason))
                        .await?;
                    return Ok(false);
                }
            };
        }
        Ok(true)
    }

    async fn open(&self, app: &App, campaign: Campaign) -> Result<LoadRun> {
        let Some(load) = campaign.audience_load.clone() else {
            return Ok(LoadRun {
                campaign,
                rx: None,
                _file: None,
                blob_key: None,
            });
        };
        let AudienceSource::File {
            blob_key,
            format,
            phone_column,
            default_country_code,
            ..
        } = load.source
        else {
            return Ok(LoadRun {
                campaign,
                rx: None,
                _file: None,
                blob_key: None,
            });
        };
        let (tx, rx) = mpsc::channel(2);
        let reader = app.media.blobs.open(&blob_key).await.map_err(internal)?;
        let Some(mut reader) = reader else {
            let _ = tx
                .send(Read::Failed(
                    "the uploaded file is gone from storage".into(),
                ))
                .await;
            return Ok(LoadRun {
                campaign,
                rx: Some(rx),
                _file: None,
                blob_key: Some(blob_key),
            });
        };
        let file = crate::contacts::imports::local_copy(&app.media.staging, &mut reader)
            .await
            .map_err(internal)?;
        let path: PathBuf = file.to_path_buf();
        let format = ImportFormat::parse(&format).unwrap_or(ImportFormat::Csv);
        let params = campaign.params.clone();
        let skip = load.rows_read;
        tokio::task::spawn_blocking(move || {
            read_batches(
                &path,
                format,
                &params,
                (phone_column.as_deref(), default_country_code.as_deref()),
                skip,
                &tx,
            );
        });
        Ok(LoadRun {
            campaign,
            rx: Some(rx),
            _file: Some(file),
            blob_key: Some(blob_key),
        })
    }
}

/// The next page of a segment, as a batch (empty at the end).
async fn segment_batch(app: &App, campaign: &Campaign) -> Result<Read> {
    let Some(AudienceLoad {
        source:
            AudienceSource::Contacts {
                tag,
                attribute,
                value,
                active_since,
            },
        rows_read,
        after_card,
    }) = campaign.audience_load.clone()
    else {
        return Ok(Read::Batch(AudienceBatch::default()));
    };
    let filter = ContactCardFilter {
        tag: tag.map(|t| TagName::parse(&t)).transpose()?,
        attribute: match (attribute, value) {
            (Some(k), Some(v)) => Some((AttributeKey::parse(&k)?, v)),
            _ => None,
        },
        active_since,
        ..ContactCardFilter::default()
    };
    let cards = app
        .store
        .export_cards(
            campaign.account_id,
            &filter,
            after_card.map(ContactCardId::from_uuid),
            u32::try_from(BATCH).unwrap_or(1000),
        )
        .await?;
    let mut batch = AudienceBatch {
        rows_read: rows_read + cards.len() as u64,
        after_card: cards.last().map(|c| c.id.as_uuid()),
        ..AudienceBatch::default()
    };
    for (i, card) in cards.into_iter().enumerate() {
        let mut data = RecipientData::default();
        if let Some(n) = &card.name {
            data.cells.insert("name".into(), n.as_str().to_owned());
        }
        batch.recipients.push((
            rows_read + i as u64 + 1,
            NewRecipient {
                wa_id: card.wa_id,
                data,
            },
        ));
    }
    Ok(Read::Batch(batch))
}

/// The reading thread: maps the header, parses every row, sends those after `skip` in
/// batches.
fn read_batches(
    path: &Path,
    format: ImportFormat,
    params: &CampaignParams,
    (phone, cc): (Option<&str>, Option<&str>),
    skip: u64,
    tx: &mpsc::Sender<Read>,
) {
    let mut mapping: Option<AudienceMapping> = None;
    let mut failed: Option<String> = None;
    let mut batch = AudienceBatch::default();
    let mut closed = false;
    let result = import_file::read_rows(path, format, &mut |raw: RawRow<'_>| {
        let Some(m) = &mapping else {
            match AudienceMapping::new(texts(raw.cells), params, phone, cc) {
                Ok(m) => mapping = Some(m),
                Err(e) => {
                    failed = Some(e.message);
                    return ControlFlow::Break(());
                }
            }
            return ControlFlow::Continue(());
        };
        if raw.index <= skip {
            return ControlFlow::Continue(());
        }
        match m.parse_row(raw.row, raw.cells) {
            Ok(r) => batch.recipients.push((raw.row, r)),
            Err(RowRefusal {
                row,
                column,
                reason,
                skip,
            }) => batch.refused.push((
                RowError {
                    row,
                    column,
                    reason,
                },
                skip,
            )),
        }
        batch.rows_read = raw.index;
        if batch.recipients.len() + batch.refused.len() >= BATCH
            && tx
                .blocking_send(Read::Batch(std::mem::take(&mut batch)))
                .is_err()
        {
            closed = true;
            return ControlFlow::Break(());
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
    if (!batch.recipients.is_empty() || !batch.refused.is_empty())
        && tx.blocking_send(Read::Batch(batch)).is_err()
    {
        return;
    }
    if let Some(reason) = end {
        let _ = tx.blocking_send(Read::Failed(reason));
    }
}
