//! Reports over messages: the filtered list with its total, read either way from a message
//! (newest first, or "everything newer than this one"), the same list as a streamed CSV,
//! and each message's status history.
//!
//! Dates in a range (`2026-12-07`) are read in the account's time zone
//! ([`App::set_account_timezone`]); instants (RFC 3339) are taken as they are.
//!
//! A CSV export is streamed page by page as it is read ([`EXPORT_PAGE`] messages at a time),
//! and ends at the moment it started: messages stored while it streams are not in it.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_core::account::Account;
use wagate_core::contact::card::Timezone;
use wagate_core::ids::{AccountId, MessageId};
use wagate_core::message::{Message, StatusChange};
use wagate_core::report::TimeBound;
use wagate_store::{MessageFilter, MessageKey, Page, Store};

use crate::contacts::export::ExportStream;
use crate::error::Result;
use crate::{App, Principal};

/// Messages read per page of an export.
pub const EXPORT_PAGE: u32 = 1000;

/// Command: which messages a report covers.
#[derive(Debug, Clone, Default)]
pub struct MessageReport {
    /// Everything but the date range's calendar dates.
    pub filter: MessageFilter,
    /// Start of the range (included); a date means its first instant in the account's zone.
    pub from: Option<TimeBound>,
    /// End of the range; an instant is excluded, a date included whole.
    pub to: Option<TimeBound>,
}

/// A page of a report.
#[derive(Debug, Clone)]
pub struct ReportPage {
    /// The page's messages, plus one more when another page follows.
    pub messages: Vec<Message>,
    /// How many messages the whole report covers, when asked for.
    pub total: Option<u64>,
}

impl App {
    /// The store filter of `report` for `p`: its key's channel scope, and its range read in
    /// the account's time zone (looked up only when a bound is a date).
    async fn report_filter(&self, p: &Principal, report: MessageReport) -> Result<MessageFilter> {
        let mut filter = report.filter;
        filter.channels = p.channel_scope();
        let dated = [report.from, report.to]
            .iter()
            .any(|b| matches!(b, Some(TimeBound::Day(_))));
        let tz = if dated {
            self.store.get_account(p.account_id).await?.timezone
        } else {
            Timezone::utc()
        };
        if let Some(start) = report.from.and_then(|b| b.start(&tz)) {
            filter.since = Some(filter.since.map_or(start, |s| s.max(start)));
        }
        if let Some(end) = report.to.and_then(|b| b.end(&tz)) {
            filter.until = Some(filter.until.map_or(end, |u| u.min(end)));
        }
        Ok(filter)
    }

    /// One page of the messages `report` covers, in its order; with `total`, how many there
    /// are in all.
    #[tracing::instrument(level = "debug", skip_all, fields(account_id = %p.account_id))]
    pub async fn report_messages(
        &self,
        p: &Principal,
        report: MessageReport,
        page: &Page<MessageId>,
        total: bool,
    ) -> Result<ReportPage> {
        let filter = self.report_filter(p, report).await?;
        let messages = self
            .store
            .list_messages(p.account_id, &filter, page)
            .await?;
        let total = if total {
            Some(self.store.count_messages(p.account_id, &filter).await?)
        } else {
            None
        };
        Ok(ReportPage { messages, total })
    }

    /// A message and its status history, oldest first (see
    /// [`wagate_store::ReportStore::message_history`]). Another account's message, or a
    /// channel the key may not use, is not found.
    pub async fn message_history(
        &self,
        p: &Principal,
        key: &MessageKey,
    ) -> Result<(Message, Vec<StatusChange>)> {
        let (message, history) = self.store.message_history(p.account_id, key).await?;
        if !p.can_use(message.channel_id) {
            return Err(wagate_store::StoreError::NotFound(wagate_store::Entity::Message).into());
        }
        Ok((message, history))
    }

    /// The messages `report` covers, as CSV (see the module docs), streamed.
    pub async fn export_messages(
        &self,
        p: &Principal,
        report: MessageReport,
    ) -> Result<ExportStream> {
        let mut filter = self.report_filter(p, report).await?;
        let now = self.now();
        filter.until = Some(filter.until.map_or(now, |u| u.min(now)));
        Ok(csv_stream(ExportPages {
            store: self.store.clone(),
            account: p.account_id,
            filter,
            after: None,
            done: false,
        }))
    }

    /// Sets the zone the account's reports read dates in. Needs an account-wide key.
    pub async fn set_account_timezone(&self, p: &Principal, timezone: Timezone) -> Result<Account> {
        p.require_account_wide()?;
        Ok(self
            .store
            .set_account_timezone(p.account_id, timezone)
            .await?)
    }
}

/// The filtered messages, a page at a time.
struct ExportPages {
    store: Arc<dyn Store>,
    account: AccountId,
    filter: MessageFilter,
    after: Option<MessageId>,
    done: bool,
}

impl ExportPages {
    async fn next(&mut self) -> Result<Option<Vec<Message>>> {
        if self.done {
            return Ok(None);
        }
        let page = Page {
            after: self.after,
            limit: EXPORT_PAGE,
        };
        let messages = self
            .store
            .list_messages(self.account, &self.filter, &page)
            .await?;
        self.done = messages.len() < EXPORT_PAGE as usize;
        self.after = messages.last().map(|m| m.id);
        Ok((!messages.is_empty()).then_some(messages))
    }
}

/// The export's columns.
pub const COLUMNS: [&str; 20] = [
    "number",
    "id",
    "wamid",
    "channel_id",
    "direction",
    "wa_id",
    "type",
    "preview",
    "status",
    "created_at",
    "sent_at",
    "delivered_at",
    "read_at",
    "failed_at",
    "error_code",
    "error_title",
    "pricing_category",
    "billable",
    "context_wamid",
    "biz_opaque_callback_data",
];

fn time(t: Option<Timestamp>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

/// A message's cells, in [`COLUMNS`] order.
fn cells(m: &Message) -> Vec<String> {
    vec![
        m.number.to_string(),
        m.id.to_string(),
        m.wamid.to_string(),
        m.channel_id.to_string(),
        m.direction.as_str().to_owned(),
        m.wa_id
            .as_ref()
            .map(|w| w.digits().to_owned())
            .unwrap_or_default(),
        m.content.kind().as_str().to_owned(),
        m.content.preview().unwrap_or_default(),
        m.status.as_str().to_owned(),
        time(Some(m.created_at)),
        time(m.sent_at),
        time(m.delivered_at),
        time(m.read_at),
        time(m.failed_at),
        m.error
            .as_ref()
            .map(|e| e.code.to_string())
            .unwrap_or_default(),
        m.error
            .as_ref()
            .map(|e| e.title.clone())
            .unwrap_or_default(),
        m.pricing
            .as_ref()
            .and_then(|p| serde_json::to_value(p.category).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        m.pricing
            .as_ref()
            .map(|p| p.billable.to_string())
            .unwrap_or_default(),
        m.context
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        m.biz_opaque_callback_data.clone().unwrap_or_default(),
    ]
}

fn csv_bytes(rows: impl IntoIterator<Item = Vec<String>>) -> std::io::Result<bytes::Bytes> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(&row)?;
    }
    w.into_inner()
        .map(bytes::Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

fn csv_stream(pages: ExportPages) -> ExportStream {
    let head = csv_bytes([COLUMNS.iter().map(|c| (*c).to_owned()).collect()]);
    let body = futures::stream::try_unfold(pages, |mut pages| async move {
        let page = pages
            .next()
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        match page {
            None => Ok(None),
            Some(messages) => Ok(Some((csv_bytes(messages.iter().map(cells))?, pages))),
        }
    });
    Box::pin(futures::StreamExt::chain(
        futures::stream::iter([head]),
        body,
    ))
}
