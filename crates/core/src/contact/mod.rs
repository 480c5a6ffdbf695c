//! Contacts: a WhatsApp user as seen by one business number ([`Contact`], the chat's state:
//! inbound messages create and renew it, and with it the customer-service window; the block
//! list and the marketing opt-out (STOP/START) live here), and the business's contact book
//! across its numbers ([`card`]: names, tags, attributes, opt-in).
//!
//! # Layout
//! - this file: the per-channel contact and the STOP/START keywords.
//! - [`card`]: contact cards, tags and attributes, and the commands that change them.
//! - [`import`]: imports of CSV and XLSX files: the header mapping, each row's parse and
//!   the upsert rule.
//! - [`view`]: a card as clients see it, and the `contacts` webhook events of a change.

pub mod card;
pub mod import;
pub mod view;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{AccountId, ChannelId, ContactId};
use crate::message::Bsuid;
use crate::phone::PhoneE164;

/// A user of one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: ContactId,
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub wa_id: Option<PhoneE164>,
    pub bsuid: Option<Bsuid>,
    pub profile_name: Option<String>,
    pub first_message_at: Option<Timestamp>,
    pub last_message_at: Option<Timestamp>,
    /// The user's last message: the customer-service window runs 24 h from here.
    pub last_inbound_at: Option<Timestamp>,
    pub blocked_at: Option<Timestamp>,
    pub marketing_opt_out_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl Contact {
    pub fn recipient(&self) -> crate::policy::RecipientState {
        crate::policy::RecipientState {
            last_inbound_at: self.last_inbound_at,
            blocked: self.blocked_at.is_some(),
            marketing_opt_out: self.marketing_opt_out_at.is_some(),
        }
    }
}

/// What an inbound message says about marketing messages: `STOP` opts out, `START` back in
/// (Meta's `user_preferences` values `stop` and `resume`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarketingPreference {
    Stop,
    Resume,
}

impl MarketingPreference {
    /// The preference a typed message expresses: the whole text is STOP or START (any case,
    /// surrounding spaces ignored), as WhatsApp's own opt-out keywords.
    pub fn from_text(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("stop") {
            Some(Self::Stop)
        } else if t.eq_ignore_ascii_case("start") {
            Some(Self::Resume)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_and_start_keywords() {
        assert_eq!(
            MarketingPreference::from_text(" Stop "),
            Some(MarketingPreference::Stop)
        );
        assert_eq!(
            MarketingPreference::from_text("START"),
            Some(MarketingPreference::Resume)
        );
        assert_eq!(MarketingPreference::from_text("please stop"), None);
        assert_eq!(MarketingPreference::from_text(""), None);
    }
}
