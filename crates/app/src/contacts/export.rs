//! Exports of the contact book (filtered like the list) as CSV or XLSX.
//!
//! The columns: `phone`, `name`, `tags` (joined by `, `), `opted_in`, `blocked`, `timezone`, one column
//! per attribute key the account uses, then the read-only `id`, `profile_name`,
//! `country_iso`, `opt_in_source`, `opt_in_at`, `created_at`, `updated_at` and
//! `last_active_at` (RFC 3339), which an import skips: an export imports back unchanged.
//!
//! A CSV is streamed page by page as it is read ([`PAGE`] cards at a time). An XLSX cannot
//! be written before its end is known, so it is built on a blocking thread in the writer's
//! constant-memory mode (rows go to a temporary file, not memory) and then streamed.

use std::sync::Arc;

use bytes::Bytes;
use futures::Stream;
use wagate_core::contact::card::ContactCard;
use wagate_core::contact::import::ImportFormat;
use wagate_core::error::ErrorCode;
use wagate_core::ids::{AccountId, ContactCardId};
use wagate_store::{ContactCardFilter, Store};

use crate::error::{Error, Result};
use crate::{App, Principal};

/// Cards read per page.
pub const PAGE: u32 = 1000;

const FIXED: [&str; 6] = ["phone", "name", "tags", "opted_in", "blocked", "timezone"];
const READ_ONLY: [&str; 8] = [
    "id",
    "profile_name",
    "country_iso",
    "opt_in_source",
    "opt_in_at",
    "created_at",
    "updated_at",
    "last_active_at",
];

/// An export's bytes, as they are produced.
pub type ExportStream = std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

fn failed(e: impl std::fmt::Display) -> Error {
    Error::Failed(ErrorCode::Internal, format!("contact export: {e}"))
}

impl App {
    /// The account's contacts matching `filter` as `format` (see the module docs).
    pub async fn export_contacts(
        &self,
        p: &Principal,
        filter: &ContactCardFilter,
        format: ImportFormat,
    ) -> Result<ExportStream> {
        let mut filter = filter.clone();
        filter.at = Some(self.now());
        let keys = self.store.attribute_keys(p.account_id).await?;
        let pages = Pages {
            store: self.store.clone(),
            account: p.account_id,
            filter,
            after: None,
            done: false,
        };
        match format {
            ImportFormat::Csv => Ok(csv_stream(pages, keys)),
            ImportFormat::Xlsx => xlsx_stream(pages, keys, &self.media.staging).await,
        }
    }
}

/// The filtered cards, a page at a time.
struct Pages {
    store: Arc<dyn Store>,
    account: AccountId,
    filter: ContactCardFilter,
    after: Option<ContactCardId>,
    done: bool,
}

impl Pages {
    async fn next(&mut self) -> Result<Option<Vec<ContactCard>>> {
        if self.done {
            return Ok(None);
        }
        let cards = self
            .store
            .export_cards(self.account, &self.filter, self.after, PAGE)
            .await?;
        self.done = cards.len() < PAGE as usize;
        self.after = cards.last().map(|c| c.id);
        Ok((!cards.is_empty()).then_some(cards))
    }
}

fn header(keys: &[String]) -> Vec<String> {
    FIXED
        .iter()
        .map(|s| (*s).to_owned())
        .chain(keys.iter().cloned())
        .chain(READ_ONLY.iter().map(|s| (*s).to_owned()))
        .collect()
}

fn time(t: Option<wagate_core::Timestamp>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

/// A card's cells, in [`header`] order.
fn cells(c: &ContactCard, keys: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(FIXED.len() + keys.len() + READ_ONLY.len());
    out.push(format!("+{}", c.wa_id.digits()));
    out.push(
        c.name
            .as_ref()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default(),
    );
    out.push(
        c.tags
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push(c.opt_in.map(|o| o.opted_in.to_string()).unwrap_or_default());
    out.push(c.blocked_at.is_some().to_string());
    out.push(
        c.timezone
            .as_ref()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
    );
    for k in keys {
        let v = c
            .attributes
            .iter()
            .find(|(key, _)| key.as_str() == k)
            .map(|(_, v)| v.clone());
        out.push(v.unwrap_or_default());
    }
    out.push(c.id.to_string());
    out.push(c.profile_name.clone().unwrap_or_default());
    out.push(c.country().unwrap_or_default().to_owned());
    out.push(
        c.opt_in
            .map(|o| o.source.as_str().to_owned())
            .unwrap_or_default(),
    );
    out.push(time(c.opt_in.map(|o| o.at)));
    out.push(time(Some(c.created_at)));
    out.push(time(Some(c.updated_at)));
    out.push(time(c.last_active_at));
    out
}

fn csv_bytes(rows: impl IntoIterator<Item = Vec<String>>) -> std::io::Result<Bytes> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(&row)?;
    }
    w.into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

fn csv_stream(pages: Pages, keys: Vec<String>) -> ExportStream {
    let head = header(&keys);
    csv_rows(head, (pages, keys), |(mut pages, keys)| async move {
        let page = pages.next().await?;
        Ok(page.map(|cards| {
            let rows = cards.iter().map(|c| cells(c, &keys)).collect();
            (rows, (pages, keys))
        }))
    })
}

/// A CSV of `head` and the rows `next` gives page by page (`None` at the end), streamed.
pub(crate) fn csv_rows<S, F, Fut>(head: Vec<String>, state: S, next: F) -> ExportStream
where
    S: Send + 'static,
    F: FnMut(S) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Option<(Vec<Vec<String>>, S)>>> + Send + 'static,
{
    let head = csv_bytes([head]);
    let mut next = next;
    let body = futures::stream::try_unfold(state, move |state| {
        let page = next(state);
        async move {
            match page
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))?
            {
                None => Ok(None),
                Some((rows, state)) => Ok(Some((csv_bytes(rows)?, state))),
            }
        }
    });
    Box::pin(futures::StreamExt::chain(
        futures::stream::iter([head]),
        body,
    ))
}

async fn xlsx_stream(
    mut pages: Pages,
    keys: Vec<String>,
    staging: &std::path::Path,
) -> Result<ExportStream> {
    let head = header(&keys);
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<Vec<String>>>(2);
    let writing = xlsx_rows(head, "Contacts", staging, rx);
    let feeding = async move {
        while let Some(cards) = pages.next().await? {
            let rows = cards.iter().map(|c| cells(c, &keys)).collect();
            if tx.send(rows).await.is_err() {
                break;
            }
        }
        Ok::<(), Error>(())
    };
    let (stream, fed) = tokio::join!(writing, feeding);
    fed?;
    stream
}

/// An XLSX of `head` and the rows received on `rx` until it closes, written on a blocking
/// thread in constant memory to a temporary file, then streamed (the file goes with the
/// stream).
pub(crate) async fn xlsx_rows(
    head: Vec<String>,
    sheet_name: &str,
    staging: &std::path::Path,
    mut rx: tokio::sync::mpsc::Receiver<Vec<Vec<String>>>,
) -> Result<ExportStream> {
    tokio::fs::create_dir_all(staging).await.map_err(failed)?;
    let file = tempfile::NamedTempFile::new_in(staging)
        .map_err(failed)?
        .into_temp_path();
    let path = file.to_path_buf();
    let tmp_dir = staging.to_owned();
    let sheet_name = sheet_name.to_owned();
    let writer = tokio::task::spawn_blocking(move || -> Result<(), String> {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.set_tempdir(&tmp_dir).map_err(|e| e.to_string())?;
        let sheet = book
            .add_worksheet_with_constant_memory()
            .map_err(|e| e.to_string())?;
        sheet.set_name(&sheet_name).map_err(|e| e.to_string())?;
        let mut row: u32 = 0;
        for (col, h) in head.iter().enumerate() {
            sheet
                .write_string(0, u16::try_from(col).unwrap_or(u16::MAX), h)
                .map_err(|e| e.to_string())?;
        }
        while let Some(rows) = rx.blocking_recv() {
            for cells in rows {
                row += 1;
                for (col, v) in cells.iter().enumerate() {
                    if !v.is_empty() {
                        sheet
                            .write_string(row, u16::try_from(col).unwrap_or(u16::MAX), v)
                            .map_err(|e| e.to_string())?;
                    }
                }
            }
        }
        book.save(&path).map_err(|e| e.to_string())
    });
    writer.await.map_err(failed)?.map_err(failed)?;
    let f = tokio::fs::File::open(&file).await.map_err(failed)?;
    let stream = tokio_util::io::ReaderStream::new(f);
    // The temporary file goes when the stream is dropped.
    let keep = futures::stream::unfold(Some(file), |file| async move {
        drop(file);
        None::<(std::io::Result<Bytes>, Option<tempfile::TempPath>)>
    });
    Ok(Box::pin(futures::StreamExt::chain(stream, keep)))
}
