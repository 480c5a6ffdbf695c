//! Phone numbers as the Cloud API shows them (`GET /{phone_number_id}`,
//! `GET /{waba_id}/phone_numbers`), and their registration: `request_code`, `verify_code`,
//! `register`, `deregister`, the two-step PIN and display-name changes, for sandbox channels.
//!
//! The rules are the core's state machine ([`wagate_core::registration`]); this service loads
//! a number's state, applies one transition at the caller's `now` (a parameter, so tests move
//! the clock instead of waiting), and stores the result by compare-and-set, reading again when
//! another request wrote first. A refused transition is stored too when it changed the state
//! (a wrong code or a register call still counts), then answered with Meta's code.
//!
//! The sandbox reviews a requested display name lazily: the first read after
//! [`wagate_core::registration::NAME_REVIEW_MS`] decides it, and stores the decision, the new
//! verified name and its `phone_number_name_update` event in one transaction.
//!
//! A cloud channel's number is registered at Meta, so these calls refuse it; its reads show
//! the initial state. Sends from a deregistered sandbox number are refused with 133010
//! ([`App::check_can_send`], called where sends are accepted).

use std::collections::HashMap;
use wagate_core::audit::{AuditAction, AuditSummary, AuditTarget, TargetKind};

use wagate_core::Timestamp;
use wagate_core::channel::{Channel, ChannelPatch, Upstream};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{ChannelId, PhoneNumberId, WabaId};
use wagate_core::registration::{
    CodeLanguage, CodeMethod, DataRegion, NameDecision, PendingCode, Registration,
    RegistrationError, TwoStepPin, VerificationCode,
};
use wagate_core::text::VerifiedName;
use wagate_core::webhook::phone_events::{NameUpdate, channel_event};
use wagate_core::webhook::{EventField, Subscription};
use wagate_store::{Entity, Page, StoreError};

use crate::App;
use crate::Principal;
use crate::error::{Error, Result};

/// How often a transition reads again after losing a compare-and-set race.
const RETRIES: usize = 8;

/// A phone number: its channel and registration state.
#[derive(Debug, Clone)]
pub struct PhoneNumber {
    pub channel: Channel,
    pub registration: Registration,
    /// Where its webhooks go, when asked for.
    pub webhooks: Option<WebhookConfiguration>,
}

/// `webhook_configuration`: the URLs of the enabled subscriptions that receive this number's
/// events (one for this number alone, one for every number of the account).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookConfiguration {
    pub phone_number: Option<String>,
    pub application: Option<String>,
}

/// Where a page of a WABA's phone numbers starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    First,
    /// The numbers after this one (a page's `after` cursor).
    After(PhoneNumberId),
    /// The numbers before this one (a page's `before` cursor).
    Before(PhoneNumberId),
}

/// A page of a WABA's phone numbers, in creation order.
#[derive(Debug, Clone)]
pub struct PhoneNumberPage {
    pub items: Vec<PhoneNumber>,
    /// Numbers follow this page.
    pub more_after: bool,
    /// Numbers precede this page.
    pub more_before: bool,
}

/// Command: send a verification code.
#[derive(Debug, Clone)]
pub struct CodeRequest {
    pub method: CodeMethod,
    pub language: CodeLanguage,
}

/// Command: register the number.
#[derive(Debug, Clone)]
pub struct Register {
    pub pin: TwoStepPin,
    pub data_localization_region: Option<DataRegion>,
}

/// Command: `POST /{phone_number_id}`: a new two-step PIN, a new display name, or both.
#[derive(Debug, Clone, Default)]
pub struct PhoneNumberUpdate {
    pub pin: Option<TwoStepPin>,
    pub new_display_name: Option<VerifiedName>,
}

fn refused(e: RegistrationError) -> Error {
    Error::Failed(e.code(), e.to_string())
}

fn require_sandbox(channel: &Channel) -> Result<()> {
    match channel.upstream {
        Upstream::Sandbox(_) => Ok(()),
        Upstream::Cloud(_) => Err(ValidationError::new(
            "phone_number_id",
            "this number's upstream is Meta's Cloud API: register and verify it there \
             (wagate manages registration for sandbox numbers)",
        )
        .into()),
    }
}

/// The enabled subscriptions that receive `channel`'s events: its own, and the account's.
fn webhooks_of(subs: &[Subscription], channel: &Channel) -> WebhookConfiguration {
    let url = |mine: bool| {
        subs.iter()
            .filter(|s| s.enabled)
            .find(|s| s.channel_id == mine.then_some(channel.id))
            .map(|s| s.url.as_str().to_owned())
    };
    WebhookConfiguration {
        phone_number: url(true),
        application: url(false),
    }
}

/// `stored` with the version it was read at, or the channel's initial state (no version).
fn or_initial(stored: Option<Registration>, channel: &Channel) -> (Registration, Option<u64>) {
    match stored {
        Some(r) => {
            let seen = Some(r.version);
            (r, seen)
        }
        None => (
            Registration::initial(channel.account_id, channel.id, channel.created_at),
            None,
        ),
    }
}

fn require_own(p: &Principal, channel: &Channel) -> Result<()> {
    if channel.account_id == p.account_id && p.can_use(channel.id) {
        Ok(())
    } else {
        Err(StoreError::NotFound(Entity::Channel).into())
    }
}

impl App {
    /// The stored state of `channel`'s number, or its initial state; and the version read
    /// (`None`: nothing stored yet).
    async fn registration_of(&self, channel: &Channel) -> Result<(Registration, Option<u64>)> {
        let stored = self
            .store
            .get_registration(channel.account_id, channel.id)
            .await?;
        Ok(or_initial(stored, channel))
    }

    /// Applies `f` to the number's state and stores the result when it changed (refusals
    /// included), by compare-and-set; answers `f`'s result.
    async fn transition<T>(
        &self,
        channel: &Channel,
        now: Timestamp,
        f: impl Fn(&mut Registration) -> Result<T, RegistrationError>,
    ) -> Result<T> {
        for _ in 0..RETRIES {
            let (mut reg, seen) = self.registration_of(channel).await?;
            let before = reg.clone();
            let out = f(&mut reg);
            if reg != before {
                reg.version = seen.unwrap_or(0) + 1;
                reg.updated_at = now;
                if !self.store.save_registration(reg, seen).await? {
                    continue;
                }
            }
            return out.map_err(refused);
        }
        Err(Error::Failed(
            ErrorCode::NotReady,
            "the number is being changed by other requests; try again".to_owned(),
        ))
    }

    /// Decides a display name whose review is due at `now` (the sandbox's reviewer): an
    /// approved name becomes the channel's verified name. The decision, the name and its
    /// `phone_number_name_update` event are stored in one transaction. Answers the state
    /// after it.
    async fn settle(
        &self,
        channel: Channel,
        reg: Registration,
        seen: Option<u64>,
        now: Timestamp,
    ) -> Result<(Channel, Registration)> {
        let mut next = reg.clone();
        let Some(decision) = next.review_name(now) else {
            return Ok((channel, reg));
        };
        let Some(requested) = next.name_change.as_ref().map(|c| c.name.clone()) else {
            return Ok((channel, reg));
        };
        let update = NameUpdate::of(&channel.display_phone_number, &requested, &decision);
        let events = vec![channel_event(
            &channel,
            EventField::PhoneNumberNameUpdate,
            update.value(),
            now,
        )];
        let patch = match decision {
            NameDecision::Approved(name) => Some(ChannelPatch {
                verified_name: Some(name),
                ..ChannelPatch::default()
            }),
            NameDecision::Declined => None,
        };
        let renamed = patch.is_some();
        next.version = seen.unwrap_or(0) + 1;
        next.updated_at = now;
        match self
            .store
            .save_registration_with(next.clone(), seen, patch, events)
            .await?
        {
            Some(stored) => {
                if renamed {
                    self.phone_numbers.clear();
                }
                Ok((stored, next))
            }
            // Another read decided first (the same decision): its state, and its name.
            None => {
                let (account, id) = (channel.account_id, channel.id);
                let reg = match self.store.get_registration(account, id).await? {
                    Some(stored) => stored,
                    None => reg,
                };
                Ok((self.store.get_channel(account, id).await?, reg))
            }
        }
    }

    /// One phone number (a channel the caller resolved) with its registration state at
    /// `now`; with where its webhooks go when `with_webhooks`.
    pub async fn phone_number(
        &self,
        p: &Principal,
        channel: Channel,
        with_webhooks: bool,
        now: Timestamp,
    ) -> Result<PhoneNumber> {
        require_own(p, &channel)?;
        let (reg, seen) = self.registration_of(&channel).await?;
        let (channel, registration) = self.settle(channel, reg, seen, now).await?;
        let webhooks = if with_webhooks {
            let subs = self.store.list_subscriptions(channel.account_id).await?;
            Some(webhooks_of(&subs, &channel))
        } else {
            None
        };
        Ok(PhoneNumber {
            channel,
            registration,
            webhooks,
        })
    }

    /// A page of `waba`'s phone numbers (those the caller's key may use), in creation order.
    /// A cursor that is not one of them is refused.
    pub async fn list_phone_numbers(
        &self,
        p: &Principal,
        waba: &WabaId,
        cursor: &Cursor,
        limit: usize,
        with_webhooks: bool,
        now: Timestamp,
    ) -> Result<PhoneNumberPage> {
        let mut all: Vec<Channel> = self
            .list_channels(p, &Page::all())
            .await?
            .into_iter()
            .filter(|c| &c.waba_id == waba)
            .collect();
        all.sort_by_key(|c| c.id);
        let position = |field: &str, pnid: &PhoneNumberId| {
            all.iter()
                .position(|c| &c.phone_number_id == pnid)
                .ok_or_else(|| ValidationError::new(field, "is not a cursor this list gave"))
        };
        let limit = limit.max(1);
        let (start, end) = match cursor {
            Cursor::First => (0, limit.min(all.len())),
            Cursor::After(pnid) => {
                let from = position("after", pnid)? + 1;
                (from, (from + limit).min(all.len()))
            }
            Cursor::Before(pnid) => {
                let to = position("before", pnid)?;
                (to.saturating_sub(limit), to)
            }
        };
        let (more_before, more_after) = (start > 0, end < all.len());
        let page: Vec<Channel> = all.drain(start..end).collect();
        let ids: Vec<ChannelId> = page.iter().map(|c| c.id).collect();
        let mut stored: HashMap<ChannelId, Registration> = self
            .store
            .list_registrations(p.account_id, &ids)
            .await?
            .into_iter()
            .map(|r| (r.channel_id, r))
            .collect();
        let subs = if with_webhooks && !page.is_empty() {
            Some(self.store.list_subscriptions(p.account_id).await?)
        } else {
            None
        };
        let mut items = Vec::with_capacity(page.len());
        for channel in page {
            let (reg, seen) = or_initial(stored.remove(&channel.id), &channel);
            let (channel, registration) = self.settle(channel, reg, seen, now).await?;
            let webhooks = subs.as_ref().map(|subs| webhooks_of(subs, &channel));
            items.push(PhoneNumber {
                channel,
                registration,
                webhooks,
            });
        }
        Ok(PhoneNumberPage {
            items,
            more_after,
            more_before,
        })
    }

    /// `request_code`: the sandbox "sends" a new 6-digit code (see
    /// [`App::sandbox_verification_code`]).
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id))]
    pub async fn request_verification_code(
        &self,
        p: &Principal,
        channel: &Channel,
        req: CodeRequest,
        now: Timestamp,
    ) -> Result<()> {
        require_own(p, channel)?;
        require_sandbox(channel)?;
        self.transition(channel, now, |r| {
            r.request_code(
                &channel.phone_number_id,
                req.method,
                req.language.clone(),
                now,
            )
        })
        .await?;
        self.audit_registration(p, channel, AuditAction::RegistrationRequestCode, "")
            .await;
        Ok(())
    }

    /// `verify_code`: the code the sandbox sent makes the number VERIFIED.
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id))]
    pub async fn verify_phone_number(
        &self,
        p: &Principal,
        channel: &Channel,
        code: &VerificationCode,
        now: Timestamp,
    ) -> Result<()> {
        require_own(p, channel)?;
        require_sandbox(channel)?;
        self.transition(channel, now, |r| r.verify_code(code, now))
            .await?;
        self.audit_registration(p, channel, AuditAction::RegistrationVerify, "")
            .await;
        Ok(())
    }

    /// `register`: puts the number (back) on the platform.
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id))]
    pub async fn register_phone_number(
        &self,
        p: &Principal,
        channel: &Channel,
        cmd: Register,
        now: Timestamp,
    ) -> Result<()> {
        require_own(p, channel)?;
        require_sandbox(channel)?;
        self.transition(channel, now, |r| {
            r.register(&cmd.pin, cmd.data_localization_region.clone(), now)
        })
        .await?;
        self.audit_registration(p, channel, AuditAction::Register, "")
            .await;
        Ok(())
    }

    /// `deregister`: takes the number off the platform; its sends are refused (133010)
    /// until it is registered again.
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id))]
    pub async fn deregister_phone_number(
        &self,
        p: &Principal,
        channel: &Channel,
        now: Timestamp,
    ) -> Result<()> {
        require_own(p, channel)?;
        require_sandbox(channel)?;
        self.transition(channel, now, |r| r.deregister(now)).await?;
        self.audit_registration(p, channel, AuditAction::Deregister, "")
            .await;
        Ok(())
    }

    /// `POST /{phone_number_id}`: sets the two-step PIN and/or asks for a new display name.
    #[tracing::instrument(skip_all, fields(channel_id = %channel.id))]
    pub async fn update_phone_number(
        &self,
        p: &Principal,
        channel: &Channel,
        update: PhoneNumberUpdate,
        now: Timestamp,
    ) -> Result<()> {
        require_own(p, channel)?;
        require_sandbox(channel)?;
        if update.pin.is_none() && update.new_display_name.is_none() {
            return Err(ValidationError::new(
                "pin",
                "give `pin` (a new two-step PIN) or `new_display_name`",
            )
            .into());
        }
        self.transition(channel, now, |r| {
            if let Some(pin) = &update.pin {
                r.set_pin(pin);
            }
            if let Some(name) = &update.new_display_name {
                r.request_name(name.clone(), now);
            }
            Ok(())
        })
        .await?;
        // Never the PIN itself.
        let changed = AuditSummary::changed(
            [
                ("pin", update.pin.is_some()),
                ("new_display_name", update.new_display_name.is_some()),
            ]
            .into_iter()
            .filter_map(|(n, set)| set.then_some(n)),
        );
        self.audit(
            p,
            AuditAction::PhoneNumberUpdate,
            AuditTarget::new(TargetKind::Channel, channel.id),
            changed,
        )
        .await;
        Ok(())
    }

    async fn audit_registration(
        &self,
        p: &Principal,
        channel: &Channel,
        action: AuditAction,
        summary: &str,
    ) {
        self.audit(
            p,
            action,
            AuditTarget::new(TargetKind::Channel, channel.id),
            AuditSummary::new(summary),
        )
        .await;
    }

    /// The code the sandbox last "sent" to the number, while it waits to be verified.
    pub async fn sandbox_verification_code(
        &self,
        p: &Principal,
        channel: &Channel,
    ) -> Result<PendingCode> {
        require_own(p, channel)?;
        require_sandbox(channel)?;
        let (reg, _) = self.registration_of(channel).await?;
        reg.code.ok_or(Error::Refused(
            ErrorCode::VerificationCodeNotFound,
            "no verification code is waiting: request one with POST /{phone_number_id}/request_code",
        ))
    }

    /// Refuses sends from a deregistered sandbox number (Meta's 133010). Cloud numbers are
    /// Meta's to refuse.
    pub(crate) async fn check_can_send(&self, channel: &Channel) -> Result<()> {
        if !matches!(channel.upstream, Upstream::Sandbox(_)) {
            return Ok(());
        }
        match self
            .store
            .get_registration(channel.account_id, channel.id)
            .await?
        {
            Some(r) if !r.can_send() => Err(Error::Refused(
                ErrorCode::PhoneNumberNotRegistered,
                "this phone number is deregistered: register it (POST /{phone_number_id}/register) \
                 before sending from it",
            )),
            _ => Ok(()),
        }
    }
}
