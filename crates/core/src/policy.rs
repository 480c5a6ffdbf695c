//! Messaging policy: what Meta lets a business send to a user right now.
//!
//! - **Customer-service window**: for 24 hours after the user's last message the business may
//!   send anything; outside it only templates. A free-form message outside the window is
//!   accepted and then fails with 131047, as Meta does (a channel may choose to refuse it at
//!   the API instead, see `WindowPolicy`).
//! - **Block list**: a blocked user cannot be messaged.
//! - **Marketing opt-out**: a user who sent STOP gets no marketing templates (131050).

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::content::MessageType;
use crate::error::ValidationError;
use crate::failure::Failure;
use crate::pricing::PricingCategory;

/// How long the customer-service window stays open after a user's message.
pub const SERVICE_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// What policy needs to know about the recipient.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecipientState {
    pub last_inbound_at: Option<Timestamp>,
    pub blocked: bool,
    pub marketing_opt_out: bool,
}

impl RecipientState {
    /// Whether the customer-service window is open at `now`. A user message later than
    /// `now` counts as open: it was stored after the caller read its clock (the sandbox
    /// refuses user messages dated in the future, so this cannot hold a window open).
    pub fn window_open(&self, now: Timestamp) -> bool {
        self.last_inbound_at
            .is_some_and(|at| now.duration_since(at) < SERVICE_WINDOW)
    }
}

/// Why policy stops a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    Blocked,
    OutsideWindow,
    MarketingOptOut,
}

impl Violation {
    /// The failure a status reports for it.
    pub fn failure(self) -> Failure {
        match self {
            Violation::Blocked => Failure::Undeliverable,
            Violation::OutsideWindow => Failure::ReEngagement,
            Violation::MarketingOptOut => Failure::MarketingOptOut,
        }
    }

    pub fn details(self) -> &'static str {
        match self {
            Violation::Blocked => {
                "This business blocked the user; unblock them (DELETE /{phone_number_id}/block_users) to message them."
            }
            Violation::OutsideWindow => {
                "More than 24 hours have passed since the customer last replied to this number; send a template instead."
            }
            Violation::MarketingOptOut => {
                "The user sent STOP to this business; marketing templates are not delivered until they send START."
            }
        }
    }
}

/// Whether a message of `kind` (a template of `template_category`, when known) may go to
/// `recipient` at `now`.
pub fn check(
    kind: MessageType,
    template_category: Option<PricingCategory>,
    recipient: &RecipientState,
    now: Timestamp,
) -> Result<(), Violation> {
    if recipient.blocked {
        return Err(Violation::Blocked);
    }
    if kind == MessageType::Template {
        if recipient.marketing_opt_out
            && matches!(
                template_category,
                Some(PricingCategory::Marketing | PricingCategory::MarketingLite)
            )
        {
            return Err(Violation::MarketingOptOut);
        }
        return Ok(());
    }
    if !recipient.window_open(now) {
        return Err(Violation::OutsideWindow);
    }
    Ok(())
}

/// What a channel does with a free-form message outside the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowPolicy {
    /// Accept it; it then fails with 131047 (what Meta does).
    #[default]
    Fail,
    /// Refuse it at the API with 131047, storing nothing.
    Reject,
}

impl WindowPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowPolicy::Fail => "fail",
            WindowPolicy::Reject => "reject",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "fail" => Ok(Self::Fail),
            "reject" => Ok(Self::Reject),
            _ => Err(ValidationError::new(
                "window_policy",
                "must be `fail` or `reject`",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn user(last: Option<&str>) -> RecipientState {
        RecipientState {
            last_inbound_at: last.map(at),
            ..Default::default()
        }
    }

    #[test]
    fn window_is_24_hours_from_the_last_user_message() {
        let now = at("2026-11-21T12:00:00Z");
        assert!(user(Some("2026-11-20T12:00:01Z")).window_open(now));
        assert!(!user(Some("2026-11-20T12:00:00Z")).window_open(now));
        assert!(!user(None).window_open(now));
        assert!(
            user(Some("2026-11-21T12:00:00.003Z")).window_open(now),
            "a message stored after `now` was read keeps it open"
        );
    }

    #[test]
    fn free_form_needs_the_window_templates_do_not() {
        let now = at("2026-11-21T12:00:00Z");
        let closed = user(Some("2026-11-19T12:00:00Z"));
        assert_eq!(
            check(MessageType::Text, None, &closed, now),
            Err(Violation::OutsideWindow)
        );
        assert_eq!(
            check(MessageType::Reaction, None, &closed, now),
            Err(Violation::OutsideWindow)
        );
        assert_eq!(check(MessageType::Template, None, &closed, now), Ok(()));
        let open = user(Some("2026-11-21T11:00:00Z"));
        assert_eq!(check(MessageType::Image, None, &open, now), Ok(()));
    }

    #[test]
    fn blocked_users_get_nothing() {
        let now = at("2026-11-21T12:00:00Z");
        let blocked = RecipientState {
            blocked: true,
            ..user(Some("2026-11-21T11:00:00Z"))
        };
        for kind in [MessageType::Text, MessageType::Template] {
            assert_eq!(
                check(kind, Some(PricingCategory::Utility), &blocked, now),
                Err(Violation::Blocked)
            );
        }
        assert_eq!(Violation::Blocked.failure().code(), 131026);
    }

    #[test]
    fn opted_out_users_get_no_marketing_templates() {
        let now = at("2026-11-21T12:00:00Z");
        let out = RecipientState {
            marketing_opt_out: true,
            ..Default::default()
        };
        assert_eq!(
            check(
                MessageType::Template,
                Some(PricingCategory::Marketing),
                &out,
                now
            ),
            Err(Violation::MarketingOptOut)
        );
        assert_eq!(Violation::MarketingOptOut.failure().code(), 131050);
        assert_eq!(
            check(
                MessageType::Template,
                Some(PricingCategory::Utility),
                &out,
                now
            ),
            Ok(())
        );
        assert_eq!(WindowPolicy::parse("reject").unwrap(), WindowPolicy::Reject);
    }
}
