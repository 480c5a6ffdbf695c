//! The audit log (see `wagate_core::audit`): append-only entries, one row each, listed per
//! account newest first and keyset-paged by id (UUIDv7, so `after` continues with older
//! entries). Another account's entries are never listed.

use uuid::Uuid;
use wagate_core::Timestamp;
use wagate_core::audit::{AuditAction, AuditEntry, AuditSummary, AuditTarget, TargetKind};
use wagate_core::ids::{AccountId, ApiKeyId, AuditEntryId};

use crate::error::StoreError;
use crate::records::corrupt;

/// The audit log columns, in [`AuditRecord`] order.
#[macro_export]
macro_rules! audit_columns {
    () => {
        "id, account_id, at, key_id, action, target_type, target_id, summary"
    };
}

/// A stored row, as both backends read and write it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub at: i64,
    pub key_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub summary: String,
}

impl From<&AuditEntry> for AuditRecord {
    fn from(e: &AuditEntry) -> Self {
        Self {
            id: e.id.as_uuid(),
            account_id: e.account_id.as_uuid(),
            at: e.at.as_millisecond(),
            key_id: e.key_id.map(|k| k.as_uuid()),
            action: e.action.as_str().to_owned(),
            target_type: e.target.kind.as_str().to_owned(),
            target_id: e.target.id.clone(),
            summary: e.summary.as_str().to_owned(),
        }
    }
}

impl TryFrom<AuditRecord> for AuditEntry {
    type Error = StoreError;

    fn try_from(r: AuditRecord) -> Result<Self, StoreError> {
        Ok(Self {
            id: AuditEntryId::from_uuid(r.id),
            account_id: AccountId::from_uuid(r.account_id),
            at: Timestamp::from_millisecond(r.at).map_err(|e| corrupt("audit entry", e))?,
            key_id: r.key_id.map(ApiKeyId::from_uuid),
            action: AuditAction::parse(&r.action).map_err(|e| corrupt("audit entry", e))?,
            target: AuditTarget {
                kind: TargetKind::parse(&r.target_type).map_err(|e| corrupt("audit entry", e))?,
                id: r.target_id,
            },
            summary: AuditSummary::new(r.summary),
        })
    }
}
