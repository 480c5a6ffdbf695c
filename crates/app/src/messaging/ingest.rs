//! Ingest: applies what upstreams report (statuses and inbound messages) when it is due.
//! One step ([`Ingest::run_once`]) applies a batch in one transaction; statuses that are not
//! progress change nothing (`MessageStatus::can_become`).

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_store::{Applied, Store};

pub struct Ingest {
    store: Arc<dyn Store>,
    batch: u32,
}

/// What one step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IngestReport {
    pub statuses: usize,
    pub ignored: usize,
    pub inbound: usize,
}

impl IngestReport {
    pub fn total(&self) -> usize {
        self.statuses + self.ignored + self.inbound
    }
}

impl Ingest {
    pub fn new(store: Arc<dyn Store>, batch: u32) -> Self {
        Self { store, batch }
    }

    pub async fn run_once(&self, now: Timestamp) -> wagate_store::Result<IngestReport> {
        let applied = self.store.apply_due_events(now, self.batch).await?;
        let mut report = IngestReport::default();
        for a in &applied {
            match a {
                Applied::Status { message } => {
                    report.statuses += 1;
                    metrics::counter!("wagate_message_status_total", "status" => message.status.as_str())
                        .increment(1);
                }
                Applied::Ignored { .. } => report.ignored += 1,
                Applied::Inbound { .. } => {
                    report.inbound += 1;
                    metrics::counter!("wagate_message_status_total", "status" => "received")
                        .increment(1);
                }
            }
        }
        Ok(report)
    }

    /// When the next event is due.
    pub async fn next_due(&self) -> wagate_store::Result<Option<Timestamp>> {
        self.store.next_event_due().await
    }
}
