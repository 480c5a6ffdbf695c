//! Imports into the contact book and exports out of it: the job rows and their error
//! reports, and the pages an export reads ([`ContactImportStore`]). A batch of parsed rows is written in one transaction together
//! with the job's progress, so a crash leaves every row either written and counted or not
//! written at all, and a resumed import goes on after the last committed row. The SQL is
//! in [`crate::sql::contact_imports`].

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::contact::card::ContactCard;
use wagate_core::contact::import::{
    ContactImport, ImportFormat, ImportOptions, ImportRow, ImportStatus, RowError,
};
use wagate_core::ids::{AccountId, ContactCardId, ContactImportId};

use crate::records::{corrupt, millis, timestamp};
use crate::{ContactCardFilter, Page, Result};

/// One batch of an import, in file order.
#[derive(Debug, Clone, Default)]
pub struct ImportBatch {
    /// Rows that parsed: each is upserted, or reported when the store refuses it (an
    /// unknown tag, too many attributes on the merged card).
    pub rows: Vec<ImportRow>,
    /// Rows the parse refused.
    pub errors: Vec<RowError>,
    /// Data rows read once this batch is written: where a resumed import goes on.
    pub rows_read: u64,
    /// The tags column's header, as the file spells it (what an unknown tag's error names).
    pub tags_column: String,
}

/// Who holds an import, and until when.
#[derive(Debug, Clone)]
pub struct ImportLease {
    pub owner: String,
    pub now: Timestamp,
    pub until: Timestamp,
}

#[async_trait]
pub trait ContactImportStore: Send + Sync {
    async fn create_import(&self, import: ContactImport) -> Result<ContactImport>;
    /// Another account's import is `NotFound`.
    async fn get_import(&self, account: AccountId, id: ContactImportId) -> Result<ContactImport>;
    /// The account's imports, newest first.
    async fn list_imports(
        &self,
        account: AccountId,
        page: &Page<ContactImportId>,
    ) -> Result<Vec<ContactImport>>;
    /// The oldest import a server may run: one with a file kept by the server that is
    /// queued, or running under a lease that lapsed or that `lease.owner` holds. It becomes
    /// running, leased to `lease.owner` until `lease.until`.
    async fn claim_import(&self, lease: &ImportLease) -> Result<Option<ContactImport>>;
    /// Takes `id` over for `lease.owner` (resuming an import): `Conflict::ImportLeased` while
    /// another owner's lease holds, unless `force`; a finished import is returned as it is.
    async fn take_import(
        &self,
        account: AccountId,
        id: ContactImportId,
        lease: &ImportLease,
        force: bool,
    ) -> Result<ContactImport>;
    /// Writes `batch` and the progress, renewing the lease; `Conflict::ImportLeased` when
    /// `lease.owner` no longer holds the import (nothing is written then).
    async fn import_batch(
        &self,
        id: ContactImportId,
        lease: &ImportLease,
        batch: ImportBatch,
    ) -> Result<ContactImport>;
    /// Ends the import: completed, or failed with `failure`; the lease is released.
    async fn finish_import(
        &self,
        id: ContactImportId,
        lease: &ImportLease,
        failure: Option<String>,
    ) -> Result<ContactImport>;
    /// A page of the account's cards matching `filter`, by id, without a total (an
    /// export's pages).
    async fn export_cards(
        &self,
        account: AccountId,
        filter: &ContactCardFilter,
        after: Option<ContactCardId>,
        limit: u32,
    ) -> Result<Vec<ContactCard>>;
    /// Every attribute key the account's cards use, sorted (an export's columns).
    async fn attribute_keys(&self, account: AccountId) -> Result<Vec<String>>;
    /// The import's row errors after row `after_row`, by row.
    async fn import_errors(
        &self,
        account: AccountId,
        id: ContactImportId,
        after_row: u64,
        limit: u32,
    ) -> Result<Vec<RowError>>;
}

/// The import columns, in [`ContactImportRecord`] order.
#[macro_export]
macro_rules! contact_import_columns {
    () => {
        "id, account_id, format, file_name, file_sha256, file_size, blob_key, options, status, \
         failure, rows_read, created, updated, failed, lease_owner, lease_until, created_at, \
         updated_at, finished_at"
    };
}

/// The options as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OptionsDoc {
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_country_code: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactImportRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub format: String,
    pub file_name: String,
    pub file_sha256: String,
    pub file_size: i64,
    pub blob_key: Option<String>,
    pub options: Json<OptionsDoc>,
    pub status: String,
    pub failure: Option<String>,
    pub rows_read: i64,
    pub created: i64,
    pub updated: i64,
    pub failed: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<&ContactImport> for ContactImportRecord {
    fn from(i: &ContactImport) -> Self {
        Self {
            id: i.id.as_uuid(),
            account_id: i.account_id.as_uuid(),
            format: i.format.as_str().to_owned(),
            file_name: i.file_name.clone(),
            file_sha256: i.file_sha256.clone(),
            file_size: count(i.file_size),
            blob_key: i.blob_key.clone(),
            options: Json(OptionsDoc {
                columns: i.options.columns_as_strings(),
                default_country_code: i.options.default_country_code.clone(),
            }),
            status: i.status.as_str().to_owned(),
            failure: i.failure.clone(),
            rows_read: count(i.rows_read),
            created: count(i.created),
            updated: count(i.updated),
            failed: count(i.failed),
            lease_owner: i.lease_owner.clone(),
            lease_until: i.lease_until.map(millis),
            created_at: millis(i.created_at),
            updated_at: millis(i.updated_at),
            finished_at: i.finished_at.map(millis),
        }
    }
}

impl TryFrom<ContactImportRecord> for ContactImport {
    type Error = crate::StoreError;
    fn try_from(r: ContactImportRecord) -> Result<Self> {
        const WHAT: &str = "contact import";
        let n = |v: i64| u64::try_from(v).map_err(|e| corrupt(WHAT, e));
        Ok(ContactImport {
            id: ContactImportId::from_uuid(r.id),
            account_id: AccountId::from_uuid(r.account_id),
            format: ImportFormat::parse(&r.format).ok_or_else(|| corrupt(WHAT, "format"))?,
            file_name: r.file_name,
            file_sha256: r.file_sha256,
            file_size: n(r.file_size)?,
            blob_key: r.blob_key,
            options: ImportOptions::parse(
                &r.options.0.columns,
                r.options.0.default_country_code.as_deref(),
            )
            .map_err(|e| corrupt(WHAT, e))?,
            status: ImportStatus::parse(&r.status).ok_or_else(|| corrupt(WHAT, "status"))?,
            failure: r.failure,
            rows_read: n(r.rows_read)?,
            created: n(r.created)?,
            updated: n(r.updated)?,
            failed: n(r.failed)?,
            lease_owner: r.lease_owner,
            lease_until: r.lease_until.map(|t| timestamp(WHAT, t)).transpose()?,
            created_at: timestamp(WHAT, r.created_at)?,
            updated_at: timestamp(WHAT, r.updated_at)?,
            finished_at: r.finished_at.map(|t| timestamp(WHAT, t)).transpose()?,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RowErrorRecord {
    pub row_number: i64,
    pub column_name: String,
    pub reason: String,
}

impl From<RowErrorRecord> for RowError {
    fn from(r: RowErrorRecord) -> Self {
        RowError {
            row: u64::try_from(r.row_number).unwrap_or(0),
            column: r.column_name,
            reason: r.reason,
        }
    }
}
