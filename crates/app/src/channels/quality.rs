//! A sandbox number's quality rating and messaging limit. Meta rates a number from its users'
//! feedback and moves its messaging limit as the business grows (or misbehaves), and reports
//! each move as `phone_number_quality_update`. The sandbox has no users and no growth, so its
//! plane's `POST /sandbox/{phone_number_id}/quality` sets them
//! ([`App::set_number_quality`]); the events are the core's rules
//! ([`wagate_core::webhook::phone_events`]), stored with the change in one transaction.

use wagate_core::Timestamp;
use wagate_core::channel::{Channel, ChannelPatch, MessagingLimitTier, QualityRating, Upstream};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::webhook::EventField;
use wagate_core::webhook::phone_events::{QualityUpdate, Standing, channel_event, quality_updates};
use wagate_store::{Entity, StoreError};

use crate::App;
use crate::Principal;
use crate::error::{Error, Result};

/// Command: the number's new quality rating and/or messaging limit (`None` keeps one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QualityChange {
    pub quality_rating: Option<QualityRating>,
    pub messaging_limit_tier: Option<MessagingLimitTier>,
}

/// What a change did.
#[derive(Debug, Clone)]
pub struct QualityOutcome {
    /// The channel as it is now.
    pub channel: Channel,
    /// The rating or the limit moved.
    pub changed: bool,
    /// The `phone_number_quality_update` events recorded, in order (none for a move Meta
    /// does not report, such as GREEN to YELLOW).
    pub updates: Vec<QualityUpdate>,
}

/// Guarded updates that lose a race are tried again this often.
const ATTEMPTS: usize = 5;

impl App {
    /// The sandbox's stand-in for Meta's rating: sets the quality rating and/or messaging
    /// limit of `channel` (a sandbox channel the caller resolved) and records the
    /// `phone_number_quality_update` events Meta would send, in the same transaction.
    /// Setting what is already set changes nothing and records nothing.
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id))]
    pub async fn set_number_quality(
        &self,
        p: &Principal,
        channel: &Channel,
        change: QualityChange,
        now: Timestamp,
    ) -> Result<QualityOutcome> {
        if channel.account_id != p.account_id || !p.can_use(channel.id) {
            return Err(StoreError::NotFound(Entity::Channel).into());
        }
        if !matches!(channel.upstream, Upstream::Sandbox(_)) {
            return Err(ValidationError::new(
                "phone_number_id",
                "this number's upstream is Meta's Cloud API, which rates it; the sandbox sets \
                 the quality and messaging limit of sandbox numbers only",
            )
            .into());
        }
        if change == QualityChange::default() {
            return Err(ValidationError::new(
                "quality_rating",
                "give `quality_rating` (GREEN, YELLOW or RED) or `messaging_limit_tier` \
                 (TIER_250, TIER_2K, TIER_10K, TIER_100K or TIER_UNLIMITED), or both",
            )
            .into());
        }
        if change.quality_rating == Some(QualityRating::Unknown) {
            return Err(ValidationError::new(
                "quality_rating",
                "must be GREEN, YELLOW or RED: users' feedback rates a number",
            )
            .into());
        }
        for _ in 0..ATTEMPTS {
            // The stored channel, not a cached one: the events say what changed from it.
            let seen = self
                .store
                .get_channel(channel.account_id, channel.id)
                .await?;
            let before = Standing::of(&seen);
            let after = Standing {
                quality: change.quality_rating.unwrap_or(before.quality),
                limit: change.messaging_limit_tier.unwrap_or(before.limit),
            };
            if before == after {
                return Ok(QualityOutcome {
                    channel: seen,
                    changed: false,
                    updates: Vec::new(),
                });
            }
            let updates = quality_updates(&seen.display_phone_number, before, after);
            let events = updates
                .iter()
                .map(|u| channel_event(&seen, EventField::PhoneNumberQualityUpdate, u.value(), now))
                .collect();
            let patch = ChannelPatch {
                quality_rating: Some(after.quality),
                messaging_limit_tier: Some(after.limit),
                ..ChannelPatch::default()
            };
            if let Some(stored) = self.store.update_channel_if(&seen, &patch, events).await? {
                self.phone_numbers.clear();
                return Ok(QualityOutcome {
                    channel: stored,
                    changed: true,
                    updates,
                });
            }
        }
        Err(Error::Failed(
            ErrorCode::NotReady,
            "the number kept changing while its quality was set; try again".to_owned(),
        ))
    }
}
