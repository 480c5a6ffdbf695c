//! A campaign's figures: per day (in the account's time zone) sent, delivered, read,
//! failed, replied and cost, by category and country, from the campaign's counters; and its
//! audience exported as CSV or XLSX.

use std::collections::BTreeMap;

use serde::Serialize;
use wagate_core::Timestamp;
use wagate_core::analytics::{Counts, Granularity};
use wagate_core::contact::import::ImportFormat;
use wagate_core::ids::CampaignId;
use wagate_store::{RecipientFilter, RecipientView};

use crate::contacts::export::{ExportStream, csv_rows, xlsx_rows};
use crate::error::Result;
use crate::{App, Principal};

/// One day of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CampaignDay {
    /// The local date (`YYYY-MM-DD`).
    pub date: String,
    #[serde(flatten)]
    pub counts: DayCounts,
    /// The same figures by pricing category.
    pub by_category: BTreeMap<String, DayCounts>,
    /// The same figures by the recipients' country (ISO 3166, `*` unknown).
    pub by_country: BTreeMap<String, DayCounts>,
}

/// A day's figures. `cost` is in micro-units of the wallet's currency (messages for a
/// quota wallet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DayCounts {
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    pub replied: i64,
    pub charged: i64,
    pub cost: i64,
}

impl DayCounts {
    fn add(&mut self, c: &Counts) {
        self.sent += c.sent;
        self.delivered += c.delivered;
        self.read += c.read;
        self.failed += c.failed;
        self.replied += c.replied;
        self.charged += c.charged;
        self.cost += c.cost;
    }
}

/// Recipients per page of an export.
const PAGE: u32 = 1000;

const HEADER: [&str; 15] = [
    "row",
    "phone",
    "status",
    "skip_reason",
    "message_id",
    "wamid",
    "queued_at",
    "sent_at",
    "delivered_at",
    "read_at",
    "failed_at",
    "error_code",
    "error_title",
    "replied_at",
    "cost",
];

fn time(t: Option<Timestamp>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

fn cells(r: &RecipientView) -> Vec<String> {
    vec![
        r.row.to_string(),
        format!("+{}", r.wa_id.digits()),
        r.status.clone(),
        r.skip_reason.clone().unwrap_or_default(),
        r.message_id.map(|m| m.to_string()).unwrap_or_default(),
        r.wamid.clone().unwrap_or_default(),
        time(r.queued_at),
        time(r.sent_at),
        time(r.delivered_at),
        time(r.read_at),
        time(r.failed_at),
        r.error_code.map(|c| c.to_string()).unwrap_or_default(),
        r.error_title.clone().unwrap_or_default(),
        time(r.replied_at),
        r.cost.map(|c| c.to_string()).unwrap_or_default(),
    ]
}

impl App {
    /// The campaign's figures per local day in `[since, until)` (the campaign's whole life
    /// when not given).
    pub async fn campaign_days(
        &self,
        p: &Principal,
        id: CampaignId,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> Result<Vec<CampaignDay>> {
        self.get_campaign(p, id).await?;
        let tz = self.account_timezone(p).await?;
        let rows = self
            .store
            .campaign_counters(
                p.account_id,
                id,
                since.map_or(i64::MIN, |t| t.as_millisecond()),
                until.map_or(i64::MAX, |t| t.as_millisecond()),
            )
            .await?;
        let mut days: BTreeMap<i64, CampaignDay> = BTreeMap::new();
        for r in rows {
            let (start, _) = Granularity::Day.period(r.bucket, &tz);
            let day = days
                .entry(start.as_millisecond())
                .or_insert_with(|| CampaignDay {
                    date: start.to_zoned(tz.clone()).date().to_string(),
                    counts: DayCounts::default(),
                    by_category: BTreeMap::new(),
                    by_country: BTreeMap::new(),
                });
            day.counts.add(&r.counts);
            day.by_category
                .entry(r.category)
                .or_default()
                .add(&r.counts);
            day.by_country.entry(r.country).or_default().add(&r.counts);
        }
        Ok(days.into_values().collect())
    }

    /// The campaign's figures over its whole life.
    pub async fn campaign_totals(&self, p: &Principal, id: CampaignId) -> Result<DayCounts> {
        let rows = self
            .store
            .campaign_counters(p.account_id, id, i64::MIN, i64::MAX)
            .await?;
        let mut t = DayCounts::default();
        for r in &rows {
            t.add(&r.counts);
        }
        Ok(t)
    }

    /// The campaign's recipients matching `filter`, as `format`, streamed page by page.
    pub async fn export_campaign(
        &self,
        p: &Principal,
        id: CampaignId,
        filter: RecipientFilter,
        format: ImportFormat,
    ) -> Result<ExportStream> {
        self.get_campaign(p, id).await?;
        let head: Vec<String> = HEADER.iter().map(|s| (*s).to_owned()).collect();
        let app = self.clone();
        let account = p.account_id;
        let next = move |(after, done): (Option<u64>, bool)| {
            let (app, filter) = (app.clone(), filter.clone());
            async move {
                if done {
                    return Ok(None);
                }
                let (page, _) = app
                    .store
                    .list_recipients(account, id, &filter, after, PAGE)
                    .await?;
                if page.is_empty() {
                    return Ok(None);
                }
                let last = page.last().map(|r| r.row);
                let rows = page.iter().map(cells).collect();
                Ok(Some((rows, (last, page.len() < PAGE as usize))))
            }
        };
        match format {
            ImportFormat::Csv => Ok(csv_rows(head, (None, false), next)),
            ImportFormat::Xlsx => {
                let (tx, rx) = tokio::sync::mpsc::channel(2);
                let writing = xlsx_rows(head, "Audience", &self.media.staging, rx);
                let feeding = async move {
                    let mut state = (None, false);
                    while let Some((rows, s)) = next(state).await? {
                        state = s;
                        if tx.send(rows).await.is_err() {
                            break;
                        }
                    }
                    Ok::<(), crate::error::Error>(())
                };
                let (stream, fed) = tokio::join!(writing, feeding);
                fed?;
                stream
            }
        }
    }
}
