//! The values of Meta's phone-number webhooks (reference §5.6), worked out from a change of
//! one number. Pure: the service that makes the change builds the values here and stores
//! their events in the same transaction as the change.
//!
//! - `phone_number_quality_update`: the number's messaging limit moved (`UPGRADE`,
//!   `DOWNGRADE`, with `old_limit`), or its quality fell to RED (`FLAGGED`) or left it
//!   (`UNFLAGGED`). Meta's other events (`ONBOARDING`, `THROUGHPUT_UPGRADE`) are about
//!   registration and throughput, which these changes are not. GREEN ↔ YELLOW is reported
//!   by no webhook (the number's `quality_rating` shows it).
//! - `phone_number_name_update`: a requested display name was decided.
//!
//! `max_daily_conversations_per_business` is the limit tier as Meta's reference writes it
//! (a `TIER_…` string, the same values as `current_limit`, which Meta is retiring in its
//! favour); `business_capability_update` is the field that reports it as a number.

use serde_json::{Value, json};

use crate::Timestamp;
use crate::channel::{Channel, MessagingLimitTier, QualityRating};
use crate::ids::EventId;
use crate::phone::PhoneE164;
use crate::registration::NameDecision;
use crate::text::VerifiedName;

use super::{EventData, EventField, WebhookEvent};

/// What `phone_number_quality_update` reports changes of: a number's quality rating and
/// messaging limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub quality: QualityRating,
    pub limit: MessagingLimitTier,
}

impl Standing {
    pub fn of(channel: &Channel) -> Standing {
        Standing {
            quality: channel.quality_rating,
            limit: channel.messaging_limit_tier,
        }
    }
}

/// `phone_number_quality_update.event`, for the changes wagate reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QualityEvent {
    /// The messaging limit went up a tier or more.
    Upgrade,
    /// The messaging limit went down.
    Downgrade,
    /// The quality rating fell to RED.
    Flagged,
    /// The quality rating left RED.
    Unflagged,
}

impl QualityEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            QualityEvent::Upgrade => "UPGRADE",
            QualityEvent::Downgrade => "DOWNGRADE",
            QualityEvent::Flagged => "FLAGGED",
            QualityEvent::Unflagged => "UNFLAGGED",
        }
    }
}

/// One `phone_number_quality_update` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityUpdate {
    pub display_phone_number: PhoneE164,
    pub event: QualityEvent,
    /// The limit before, on limit changes only (as Meta sends it).
    pub old_limit: Option<MessagingLimitTier>,
    pub current_limit: MessagingLimitTier,
}

impl QualityUpdate {
    /// The value as Meta sends it.
    pub fn value(&self) -> Value {
        let mut v = json!({
            "display_phone_number": self.display_phone_number.digits(),
            "event": self.event.as_str(),
            "current_limit": self.current_limit.as_str(),
            "max_daily_conversations_per_business": self.current_limit.as_str(),
        });
        if let Some(old) = self.old_limit {
            v["old_limit"] = old.as_str().into();
        }
        v
    }
}

/// How high a tier is: [`MessagingLimitTier::ALL`] lists them from lowest to highest.
fn rank(tier: MessagingLimitTier) -> usize {
    MessagingLimitTier::ALL
        .iter()
        .position(|t| *t == tier)
        .unwrap_or(0)
}

/// The `phone_number_quality_update` values for a number (shown as `display`) whose standing
/// went from `before` to `after`, in the order subscribers get them: the quality's (a flag
/// explains the limit change that follows it), then the limit's. None when neither moved
/// in a way Meta reports.
pub fn quality_updates(
    display: &PhoneE164,
    before: Standing,
    after: Standing,
) -> Vec<QualityUpdate> {
    let update = |event, old_limit| QualityUpdate {
        display_phone_number: display.clone(),
        event,
        old_limit,
        current_limit: after.limit,
    };
    let mut out = Vec::new();
    let (was_red, is_red) = (
        before.quality == QualityRating::Red,
        after.quality == QualityRating::Red,
    );
    if is_red && !was_red {
        out.push(update(QualityEvent::Flagged, None));
    } else if was_red && !is_red {
        out.push(update(QualityEvent::Unflagged, None));
    }
    match rank(after.limit).cmp(&rank(before.limit)) {
        std::cmp::Ordering::Greater => {
            out.push(update(QualityEvent::Upgrade, Some(before.limit)));
        }
        std::cmp::Ordering::Less => {
            out.push(update(QualityEvent::Downgrade, Some(before.limit)));
        }
        std::cmp::Ordering::Equal => {}
    }
    out
}

/// `phone_number_name_update.decision`. The sandbox's reviewer approves or rejects; Meta
/// also defers ("message more"), which the sandbox never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameVerdict {
    Approved,
    Rejected,
    Deferred,
}

impl NameVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            NameVerdict::Approved => "APPROVED",
            NameVerdict::Rejected => "REJECTED",
            NameVerdict::Deferred => "DEFERRED",
        }
    }
}

/// Why the sandbox rejects a display name: it claims to be WhatsApp, which Meta's guidelines
/// refuse as an unacceptable format.
pub const NAME_REJECTION_REASON: &str = "NAME_FORMAT_UNACCEPTABLE";

/// One `phone_number_name_update` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameUpdate {
    pub display_phone_number: PhoneE164,
    pub decision: NameVerdict,
    pub requested_verified_name: VerifiedName,
    /// `null` unless rejected.
    pub rejection_reason: Option<&'static str>,
}

impl NameUpdate {
    /// The update for the sandbox reviewer's `decision` on `requested`.
    pub fn of(display: &PhoneE164, requested: &VerifiedName, decision: &NameDecision) -> Self {
        let (decision, rejection_reason) = match decision {
            NameDecision::Approved(_) => (NameVerdict::Approved, None),
            NameDecision::Declined => (NameVerdict::Rejected, Some(NAME_REJECTION_REASON)),
        };
        NameUpdate {
            display_phone_number: display.clone(),
            decision,
            requested_verified_name: requested.clone(),
            rejection_reason,
        }
    }

    /// The value as Meta sends it (`rejection_reason` is always there, `null` when none).
    pub fn value(&self) -> Value {
        json!({
            "display_phone_number": self.display_phone_number.digits(),
            "decision": self.decision.as_str(),
            "requested_verified_name": self.requested_verified_name.as_str(),
            "rejection_reason": self.rejection_reason,
        })
    }
}

/// The event of `field` with `value` about `channel`, at `at`.
pub fn channel_event(
    channel: &Channel,
    field: EventField,
    value: Value,
    at: Timestamp,
) -> WebhookEvent {
    WebhookEvent {
        id: EventId::generate(),
        account_id: channel.account_id,
        channel_id: Some(channel.id),
        occurred_at: at,
        data: EventData::Other { field, value },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::NewChannel;
    use crate::ids::AccountId;

    use MessagingLimitTier::{Tier2K, Tier10K, Tier250, Unlimited};
    use QualityRating::{Green, Red, Unknown, Yellow};

    fn display() -> PhoneE164 {
        PhoneE164::parse("+15550783881").unwrap()
    }

    fn at(quality: QualityRating, limit: MessagingLimitTier) -> Standing {
        Standing { quality, limit }
    }

    fn values(before: Standing, after: Standing) -> Vec<Value> {
        quality_updates(&display(), before, after)
            .iter()
            .map(QualityUpdate::value)
            .collect()
    }

    #[test]
    fn tiers_are_ranked_lowest_first() {
        let ranks: Vec<_> = MessagingLimitTier::ALL.iter().map(|t| rank(*t)).collect();
        assert_eq!(ranks, [0, 1, 2, 3, 4]);
        assert!(rank(Unlimited) > rank(MessagingLimitTier::Tier100K));
        assert!(rank(Tier2K) > rank(Tier250));
    }

    #[test]
    fn a_higher_tier_is_an_upgrade_and_a_lower_one_a_downgrade() {
        assert_eq!(
            values(at(Green, Tier250), at(Green, Tier10K)),
            [
                json!({"display_phone_number": "15550783881", "event": "UPGRADE",
                "old_limit": "TIER_250", "current_limit": "TIER_10K",
                "max_daily_conversations_per_business": "TIER_10K"})
            ]
        );
        assert_eq!(
            values(at(Yellow, Unlimited), at(Yellow, Tier2K)),
            [
                json!({"display_phone_number": "15550783881", "event": "DOWNGRADE",
                "old_limit": "TIER_UNLIMITED", "current_limit": "TIER_2K",
                "max_daily_conversations_per_business": "TIER_2K"})
            ]
        );
    }

    #[test]
    fn red_flags_and_leaving_red_unflags_without_an_old_limit() {
        assert_eq!(
            values(at(Green, Tier2K), at(Red, Tier2K)),
            [
                json!({"display_phone_number": "15550783881", "event": "FLAGGED",
                "current_limit": "TIER_2K", "max_daily_conversations_per_business": "TIER_2K"})
            ]
        );
        let unflagged = quality_updates(&display(), at(Red, Tier2K), at(Yellow, Tier2K));
        assert_eq!(unflagged.len(), 1);
        assert_eq!(unflagged[0].event, QualityEvent::Unflagged);
        assert_eq!(unflagged[0].old_limit, None);
        // Any move off RED unflags, even to no rating.
        let events = quality_updates(&display(), at(Red, Tier2K), at(Unknown, Tier2K));
        assert_eq!(events[0].event, QualityEvent::Unflagged);
    }

    #[test]
    fn both_moves_report_the_quality_first() {
        let events: Vec<_> = quality_updates(&display(), at(Green, Tier10K), at(Red, Tier2K))
            .into_iter()
            .map(|u| (u.event, u.old_limit, u.current_limit))
            .collect();
        assert_eq!(
            events,
            [
                (QualityEvent::Flagged, None, Tier2K),
                (QualityEvent::Downgrade, Some(Tier10K), Tier2K)
            ]
        );
        let events: Vec<_> = quality_updates(&display(), at(Red, Tier2K), at(Green, Unlimited))
            .into_iter()
            .map(|u| u.event)
            .collect();
        assert_eq!(events, [QualityEvent::Unflagged, QualityEvent::Upgrade]);
    }

    #[test]
    fn moves_meta_does_not_report_are_silent() {
        assert!(values(at(Green, Tier2K), at(Green, Tier2K)).is_empty());
        assert!(values(at(Green, Tier2K), at(Yellow, Tier2K)).is_empty());
        assert!(values(at(Yellow, Tier2K), at(Green, Tier2K)).is_empty());
        assert!(values(at(Red, Tier2K), at(Red, Tier2K)).is_empty());
    }

    #[test]
    fn name_decisions() {
        let name = VerifiedName::parse("Acme Shoes").unwrap();
        let approved = NameUpdate::of(&display(), &name, &NameDecision::Approved(name.clone()));
        assert_eq!(
            approved.value(),
            json!({"display_phone_number": "15550783881", "decision": "APPROVED",
                "requested_verified_name": "Acme Shoes", "rejection_reason": null})
        );
        let bad = VerifiedName::parse("WhatsApp Help").unwrap();
        let rejected = NameUpdate::of(&display(), &bad, &NameDecision::Declined);
        assert_eq!(
            rejected.value(),
            json!({"display_phone_number": "15550783881", "decision": "REJECTED",
                "requested_verified_name": "WhatsApp Help",
                "rejection_reason": "NAME_FORMAT_UNACCEPTABLE"})
        );
        assert_eq!(NameVerdict::Deferred.as_str(), "DEFERRED");
    }

    #[test]
    fn channel_events_name_the_channel() {
        let channel =
            NewChannel::sandbox(AccountId::generate(), VerifiedName::parse("Shop").unwrap())
                .into_channel(Timestamp::UNIX_EPOCH);
        let at = Timestamp::from_second(1_750_000_000).unwrap();
        let e = channel_event(
            &channel,
            EventField::PhoneNumberNameUpdate,
            json!({"decision": "APPROVED"}),
            at,
        );
        assert_eq!(e.account_id, channel.account_id);
        assert_eq!(e.channel_id, Some(channel.id));
        assert_eq!(e.occurred_at, at);
        assert_eq!(e.field(), EventField::PhoneNumberNameUpdate);
        assert_eq!(e.data.message_id(), None);
    }
}
