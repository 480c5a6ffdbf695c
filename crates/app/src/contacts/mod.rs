//! Contacts: the users a channel talks to. Today that is the block list (Cloud
//! `/{phone_number_id}/block_users`); a contact's customer-service window is renewed where
//! messages are stored (see [`crate::messaging`]).
//!
//! The contact book (cards, tags, attributes, opt-in) is [`cards`].
//!
//! # Layout
//! - this file: blocking, unblocking and listing blocked users of a number.
//! - [`cards`]: the account's contact book.
//! - [`imports`]: CSV and XLSX imports as jobs; [`import_file`] reads the files.
//! - [`export`]: the contact book as CSV or XLSX, streamed.

pub mod cards;
pub mod export;
pub mod import_file;
pub mod imports;

use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};
use wagate_core::channel::Channel;
use wagate_core::contact::Contact;
use wagate_core::ids::ContactId;
use wagate_core::phone::PhoneE164;
use wagate_store::{ContactKey, Page};

use crate::App;
use crate::Principal;
use crate::error::Result;

/// Most users per block or unblock request (Meta: 1,000).
pub const BLOCK_BATCH_MAX: usize = 1000;

/// Why a user could not be blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockRefusal {
    /// Meta only lets a business block users who messaged it in the last 24 hours.
    NoRecentMessage,
}

/// The outcome per requested user, in request order.
#[derive(Debug, Clone)]
pub struct BlockOutcome {
    pub input: String,
    pub wa_id: PhoneE164,
    pub result: Result<(), BlockRefusal>,
}

impl App {
    /// Blocks (`block = true`) or unblocks users of `channel`.
    pub async fn set_blocked(
        &self,
        p: &Principal,
        channel: &Channel,
        users: Vec<(String, PhoneE164)>,
        block: bool,
    ) -> Result<Vec<BlockOutcome>> {
        let at = self.now();
        let mut ids = Vec::new();
        let mut out = Vec::with_capacity(users.len());
        for (input, wa_id) in users {
            let contact = self
                .store
                .find_contact(channel.id, &ContactKey::WaId(wa_id.clone()))
                .await?;
            let result = match (&contact, block) {
                (Some(c), true) if c.recipient().window_open(at) => {
                    ids.push(c.id);
                    Ok(())
                }
                (_, true) => Err(BlockRefusal::NoRecentMessage),
                (Some(c), false) => {
                    ids.push(c.id);
                    Ok(())
                }
                (None, false) => Ok(()),
            };
            out.push(BlockOutcome {
                input,
                wa_id,
                result,
            });
        }
        let changed = ids.len();
        self.store
            .set_blocked(channel.id, ids, block.then_some(at))
            .await?;
        // How many, never which users.
        self.audit(
            p,
            if block {
                AuditAction::ContactsBlock
            } else {
                AuditAction::ContactsUnblock
            },
            AuditTarget::new(TargetKind::Channel, channel.id),
            AuditSummary::new(format!("{changed} of {} user(s)", out.len())),
        )
        .await;
        Ok(out)
    }

    pub async fn list_blocked(
        &self,
        _p: &Principal,
        channel: &Channel,
        page: &Page<ContactId>,
    ) -> Result<Vec<Contact>> {
        Ok(self.store.list_blocked(channel.id, page).await?)
    }
}
