//! The media garbage collector: purges deleted and expired media ids, then deletes the bytes
//! no live id refers to any more. [`MediaCollector::run_once`] does one batch, so tests step
//! it; the worker loop calls it while there is work.

use std::sync::Arc;

use wagate_core::Timestamp;
use wagate_store::Store;

use super::BlobStore;

/// Media ids purged per step.
const PER_STEP: u32 = 500;

pub struct MediaCollector {
    store: Arc<dyn Store>,
    blobs: Arc<dyn BlobStore>,
}

impl MediaCollector {
    pub fn new(store: Arc<dyn Store>, blobs: Arc<dyn BlobStore>) -> Self {
        Self { store, blobs }
    }

    /// Collects what is dead at `now`; answers how many files were deleted.
    pub async fn run_once(&self, now: Timestamp) -> anyhow::Result<usize> {
        let keys = self.store.collect_media(now, PER_STEP).await?;
        for key in &keys {
            // A failure leaves an unreferenced file behind (logged), never a dangling id.
            if let Err(e) = self.blobs.delete(key).await {
                tracing::warn!(error.message = %e, storage_key = %key, "media file not deleted");
            }
        }
        if !keys.is_empty() {
            tracing::info!(files = keys.len(), "media collected");
        }
        Ok(keys.len())
    }
}
