//! Campaigns: one approved template sent to an audience, scheduled, paced and crash-safe,
//! with its progress kept per recipient.
//!
//! The model and its rules (the life of a campaign as a state machine, parameters per
//! recipient with fallbacks, audience files mapped to recipients, skip reasons, the tier's
//! room, the launch estimate) are in [`wagate_core::campaign`]; storage, with the
//! exactly-once feed, in [`wagate_store::campaigns`]. Here:
//!
//! - **Create** a draft naming a channel, an approved template of its WABA and where each
//!   parameter comes from.
//! - **Audience** (a draft): numbers given in the request, stored at once; or a CSV/XLSX
//!   file, or a segment of the contact book, loaded by the `campaigns` worker in batches
//!   that commit with their progress (a crash resumes after the last batch). Rows are
//!   refused with their row number: invalid numbers, numbers twice, parameters without a
//!   value or fallback. An API campaign's audience grows one recipient per send instead.
//! - **Launch** (now, or at a time in a time zone): the template must be APPROVED and fill
//!   with the mapped parameters; the cost of the waiting recipients (less those whose
//!   contact is opted out or blocked) is estimated from the rate card, and a launch the
//!   wallet cannot cover is refused unless the operator allows a partial run.
//! - **Dispatch** ([`runner`]): the `campaigns` worker turns waiting recipients into
//!   messages through the outbox, paced (see there), and pauses a campaign whose template
//!   is paused or disabled (resuming it when the template is approved again).
//! - **Progress**: each recipient's message, status times, reply and cost; per-day figures
//!   from the campaign's counters ([`report`]); `campaigns` webhook events.
//!
//! # Layout
//! - this file: the commands and the service's calls.
//! - [`audience`]: audience uploads and the loads the worker runs.
//! - [`runner`]: the worker's feed of recipients into the outbox.
//! - [`report`]: daily analytics and the audience's export.

pub mod audience;
pub mod report;
pub mod runner;

use wagate_core::Timestamp;
use wagate_core::billing::wallet::{WalletKind, plan_hold};
use wagate_core::campaign::model::{
    Campaign, CampaignParams, CampaignTemplate, Estimate, HeaderMedia, NewCampaign, NewRecipient,
    RATE_MAX, RecipientData, estimate, header_media_kind,
};
use wagate_core::campaign::{CampaignAction, CampaignKind, CampaignName, PauseReason};
use wagate_core::channel::Channel;
use wagate_core::contact::card::{
    Attributes, ContactCardPatch, ContactName, NewContactCard, OptInSource, TagChange, TagName,
    check_attributes,
};
use wagate_core::content::Content;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::CampaignId;
use wagate_core::phone::PhoneE164;
use wagate_core::pricing::PricingCategory;
use wagate_core::template::TemplateStatus;
use wagate_store::{
    Added, CampaignChange, CampaignFilter, Page, RecipientFilter, RecipientView, StoreError,
};

use crate::error::{Error, Result};
use crate::{App, Principal};

/// Command: create a campaign (a draft).
#[derive(Debug, Clone)]
pub struct CreateCampaign {
    pub name: CampaignName,
    pub kind: CampaignKind,
    pub channel_id: wagate_core::ids::ChannelId,
    pub template: CampaignTemplate,
    pub params: CampaignParams,
    pub rate: Option<u32>,
    pub allow_partial: bool,
    /// Launch by itself once the audience has loaded (see [`Campaign::launch_when_ready`]).
    pub launch_when_ready: bool,
}

/// Command: launch now, or at `at` (shown in `timezone`).
#[derive(Debug, Clone, Default)]
pub struct Launch {
    pub at: Option<Timestamp>,
    pub timezone: Option<String>,
}

/// Most recipients one request adds.
pub const ADD_MAX: usize = 10_000;

/// Command: one send of an API campaign named by its name (the dialects' "send API
/// campaign"), with what the recipient's contact card gets.
#[derive(Debug, Clone)]
pub struct ApiCampaignSend {
    /// The channel the campaign must be on (the dialect's project).
    pub channel_id: wagate_core::ids::ChannelId,
    /// The campaign's name, ignoring case.
    pub campaign: String,
    pub recipient: NewRecipient,
    /// The contact's name, tags (existing ones) and attributes, set on its card (created
    /// opted in when the number has none).
    pub name: Option<ContactName>,
    pub tags: Vec<TagName>,
    pub attributes: Attributes,
}

impl App {
    pub async fn create_campaign(&self, p: &Principal, cmd: CreateCampaign) -> Result<Campaign> {
        cmd.params.check()?;
        if cmd.launch_when_ready && cmd.kind != CampaignKind::Broadcast {
            return Err(ValidationError::new(
                "launch_when_ready",
                "only a broadcast has an audience to wait for",
            )
            .into());
        }
        if let Some(rate) = cmd.rate
            && !(1..=RATE_MAX).contains(&rate)
        {
            return Err(ValidationError::out_of_range(
                "rate",
                format!("messages per second: 1 to {RATE_MAX}"),
            )
            .into());
        }
        let channel = self.get_channel(p, cmd.channel_id).await?;
        // The template must exist in the channel's WABA (any status: it may be approved by
        // launch); a cloud channel's templates are Meta's to check.
        let template = self.campaign_template(p, &channel, &cmd.template).await?;
        if template.is_none()
            && matches!(channel.upstream, wagate_core::channel::Upstream::Sandbox(_))
        {
            return Err(Error::Failed(
                ErrorCode::TemplateNotFound,
                format!(
                    "the channel's WABA has no template {} in {}",
                    cmd.template.name, cmd.template.language
                ),
            ));
        }
        let campaign = Campaign::new(NewCampaign {
            id: CampaignId::generate(),
            account_id: p.account_id,
            name: cmd.name,
            kind: cmd.kind,
            channel_id: channel.id,
            template: cmd.template,
            params: cmd.params,
            rate: cmd.rate,
            allow_partial: cmd.allow_partial,
            launch_when_ready: cmd.launch_when_ready,
            created_at: self.now(),
        });
        Ok(self.store.create_campaign(campaign).await?)
    }

    /// Creates an API campaign on the template `template_name` of the channel's WABA
    /// (ignoring case; an APPROVED language first) and launches it at once, every value
    /// coming with each send ([`CampaignParams::positional`]). The template must be
    /// APPROVED and fill before anything is stored (the launch's check, made first).
    pub async fn create_live_api_campaign(
        &self,
        p: &Principal,
        channel: &Channel,
        name: CampaignName,
        template_name: &str,
    ) -> Result<Campaign> {
        let template = self
            .template_named(p, channel, template_name)
            .await?
            .ok_or_else(|| {
                Error::Failed(
                    ErrorCode::TemplateNotFound,
                    format!("the project's WABA has no template named {template_name}"),
                )
            })?;
        let cmd = CreateCampaign {
            name,
            kind: CampaignKind::Api,
            channel_id: channel.id,
            template: CampaignTemplate {
                name: template.name.as_str().to_owned(),
                language: template.language.as_str().to_owned(),
            },
            params: CampaignParams::positional(&template.components),
            rate: None,
            allow_partial: false,
            launch_when_ready: false,
        };
        let probe = Campaign::new(NewCampaign {
            id: CampaignId::generate(),
            account_id: p.account_id,
            name: cmd.name.clone(),
            kind: cmd.kind,
            channel_id: channel.id,
            template: cmd.template.clone(),
            params: cmd.params.clone(),
            rate: None,
            allow_partial: false,
            launch_when_ready: false,
            created_at: self.now(),
        });
        self.check_campaign_template(p, channel, &probe).await?;
        let created = self.create_campaign(p, cmd).await?;
        self.launch_campaign(p, created.id, Launch::default()).await
    }

    /// The template of the channel's WABA named `name` ignoring case (Meta's for a cloud
    /// channel): an APPROVED language first, else the first listed.
    pub async fn template_named(
        &self,
        p: &Principal,
        channel: &Channel,
        name: &str,
    ) -> Result<Option<wagate_core::template::Template>> {
        let mut found = self.templates_named(p, channel, name).await?;
        found.sort_by_key(|t| t.status != TemplateStatus::Approved);
        Ok(found.into_iter().next())
    }

    /// The campaign's template as wagate holds it (`None` for a cloud channel's template
    /// wagate has not seen).
    pub async fn template_of_campaign(
        &self,
        p: &Principal,
        campaign: &Campaign,
    ) -> Result<Option<wagate_core::template::Template>> {
        let channel = self
            .store
            .get_channel(p.account_id, campaign.channel_id)
            .await?;
        self.campaign_template(p, &channel, &campaign.template)
            .await
    }

    /// One send of an API campaign (see [`ApiCampaignSend`]): the campaign (by name, on
    /// the channel, of kind `api`), the recipient's values and media, and the tags are
    /// checked first; the recipient is added (a number once per campaign: a second send
    /// is `campaign_state`), then its contact card is created or updated. The recipient's
    /// row; its message follows through the campaign's pacing.
    pub async fn send_api_campaign(&self, p: &Principal, cmd: ApiCampaignSend) -> Result<u64> {
        let campaign = self.find_campaign(p, &cmd.campaign).await?;
        if campaign.channel_id != cmd.channel_id {
            return Err(StoreError::NotFound(wagate_store::Entity::Campaign).into());
        }
        if campaign.kind != CampaignKind::Api {
            return Err(Error::Failed(
                ErrorCode::CampaignState,
                format!("campaign {} is not an API campaign", campaign.name.as_str()),
            ));
        }
        check_recipient(&campaign, &cmd.recipient)?;
        self.check_api_media(p, &campaign, std::slice::from_ref(&cmd.recipient))
            .await?;
        check_attributes(&cmd.attributes)?;
        if !cmd.tags.is_empty() {
            let known: Vec<String> = self
                .list_tags(p)
                .await?
                .into_iter()
                .map(|t| t.tag.name.key())
                .collect();
            if let Some(missing) = cmd.tags.iter().find(|t| !known.contains(&t.key())) {
                return Err(Error::Failed(
                    ErrorCode::TagNotFound,
                    format!(
                        "tag {} does not exist; create it with POST /api/v1/tags",
                        missing.as_str()
                    ),
                ));
            }
        }
        let wa_id = cmd.recipient.wa_id.clone();
        let added = self
            .store
            .add_recipients(p.account_id, campaign.id, vec![cmd.recipient], self.now())
            .await?;
        let Some(row) = added.added.first().copied() else {
            return Err(Error::Failed(
                ErrorCode::CampaignState,
                format!(
                    "{wa_id} is in the campaign's audience already: an API campaign sends \
                     a number once"
                ),
            ));
        };
        let patch = ContactCardPatch {
            name: cmd.name.clone().map(Some),
            tags: vec![TagChange::Add(cmd.tags.clone())],
            set_attributes: cmd.attributes.clone(),
            ..ContactCardPatch::default()
        };
        // A card that never said (made a moment ago by this campaign's own send, or
        // earlier) is opted in as a new one is; an opt-out stands.
        let opt_in = |card: &wagate_core::contact::card::ContactCard,
                      mut patch: ContactCardPatch| {
            if card.opted_in().is_none() {
                patch.opted_in = Some(true);
            }
            patch
        };
        match self.contact_by_number(p, &wa_id).await {
            Ok(card) => {
                let patch = opt_in(&card, patch);
                self.update_contact(p, card.id, patch, OptInSource::Api)
                    .await?;
            }
            Err(e) if e.code() == ErrorCode::ContactNotFound => {
                let new = NewContactCard {
                    wa_id: wa_id.clone(),
                    name: cmd.name,
                    tags: cmd.tags,
                    attributes: cmd.attributes,
                    opted_in: Some(true),
                    blocked: false,
                    timezone: None,
                    source: OptInSource::Api,
                };
                if let Err(e) = self.create_contact(p, new).await {
                    if e.code() != ErrorCode::ContactExists {
                        return Err(e);
                    }
                    // Created meanwhile (a send of the same number): update it.
                    let card = self.contact_by_number(p, &wa_id).await?;
                    let patch = opt_in(&card, patch);
                    self.update_contact(p, card.id, patch, OptInSource::Api)
                        .await?;
                }
            }
            Err(e) => return Err(e),
        }
        self.wake.notify_one();
        Ok(row)
    }

    /// One of the principal's campaigns (a scoped key sees its channels' only).
    pub async fn get_campaign(&self, p: &Principal, id: CampaignId) -> Result<Campaign> {
        let c = self.store.get_campaign(p.account_id, id).await?;
        if !p.can_use(c.channel_id) {
            return Err(StoreError::NotFound(wagate_store::Entity::Campaign).into());
        }
        Ok(c)
    }

    /// By name, ignoring case (the dialects name campaigns).
    pub async fn find_campaign(&self, p: &Principal, name: &str) -> Result<Campaign> {
        match self.store.find_campaign(p.account_id, name).await? {
            Some(c) if p.can_use(c.channel_id) => Ok(c),
            _ => Err(StoreError::NotFound(wagate_store::Entity::Campaign).into()),
        }
    }

    pub async fn list_campaigns(
        &self,
        p: &Principal,
        filter: CampaignFilter,
        page: &Page<CampaignId>,
    ) -> Result<Vec<Campaign>> {
        let mut filter = filter;
        filter.channels = match &p.channels {
            wagate_core::api_key::KeyChannels::All => None,
            wagate_core::api_key::KeyChannels::Only(ids) => Some(ids.clone()),
        };
        Ok(self
            .store
            .list_campaigns(p.account_id, &filter, page)
            .await?)
    }

    /// Adds numbers to a draft's audience (or, for an API campaign, recipients with their
    /// own values and media while it runs).
    pub async fn add_campaign_recipients(
        &self,
        p: &Principal,
        id: CampaignId,
        recipients: Vec<NewRecipient>,
    ) -> Result<Added> {
        if recipients.is_empty() || recipients.len() > ADD_MAX {
            return Err(ValidationError::out_of_range(
                "numbers",
                format!("give 1 to {ADD_MAX} recipients"),
            )
            .into());
        }
        let campaign = self.get_campaign(p, id).await?;
        for r in &recipients {
            check_recipient(&campaign, r)?;
        }
        self.check_api_media(p, &campaign, &recipients).await?;
        let added = self
            .store
            .add_recipients(p.account_id, id, recipients, self.now())
            .await?;
        self.wake.notify_one();
        Ok(added)
    }

    /// Launches a draft (see the module docs).
    pub async fn launch_campaign(
        &self,
        p: &Principal,
        id: CampaignId,
        cmd: Launch,
    ) -> Result<Campaign> {
        let campaign = self.get_campaign(p, id).await?;
        if campaign.kind == CampaignKind::Broadcast && campaign.recipients == 0 {
            return Err(Error::Failed(
                ErrorCode::CampaignState,
                "the campaign has no audience yet: add numbers, a file or a contact segment".into(),
            ));
        }
        let channel = self
            .store
            .get_channel(p.account_id, campaign.channel_id)
            .await?;
        let category = self.check_campaign_template(p, &channel, &campaign).await?;
        let now = self.now();
        if let Some(at) = cmd.at
            && at <= now
        {
            return Err(ValidationError::new("at", "must be in the future").into());
        }
        let by_country = self.waiting_by_country(p, id).await?;
        let est = self
            .fund_campaign(p, category, &by_country, campaign.allow_partial)
            .await?;
        let mut change = CampaignChange::new(
            CampaignAction::Launch {
                scheduled: cmd.at.is_some(),
            },
            now,
        );
        change.scheduled_at = cmd.at;
        change.timezone = cmd.timezone;
        change.estimate = Some(est);
        let launched = self.store.change_campaign(p.account_id, id, change).await?;
        self.wake.notify_one();
        Ok(launched)
    }

    /// The audience's waiting recipients by country, less those whose contact is opted out
    /// or blocked (they are skipped: not in the estimate).
    async fn waiting_by_country(
        &self,
        p: &Principal,
        id: CampaignId,
    ) -> Result<Vec<(String, u64)>> {
        let summary = self.store.audience_summary(p.account_id, id).await?;
        let mut by_country = summary.by_country.clone();
        let mut not_sent = summary.opted_out + summary.blocked;
        for (_, k) in by_country.iter_mut().rev() {
            let take = not_sent.min(*k);
            *k -= take;
            not_sent -= take;
        }
        Ok(by_country)
    }

    /// What launching the campaign now would cost (the launch's own estimate, nothing
    /// held) and whether the wallet covers it. The template must be sendable, as at launch.
    pub async fn estimate_campaign(
        &self,
        p: &Principal,
        id: CampaignId,
    ) -> Result<(Estimate, bool)> {
        let campaign = self.get_campaign(p, id).await?;
        let channel = self
            .store
            .get_channel(p.account_id, campaign.channel_id)
            .await?;
        let category = self.check_campaign_template(p, &channel, &campaign).await?;
        let by_country = self.waiting_by_country(p, id).await?;
        self.price_campaign(p, category, &by_country).await
    }

    /// The estimate of sending `category` messages to `by_country`, and whether the wallet
    /// covers it.
    async fn price_campaign(
        &self,
        p: &Principal,
        category: PricingCategory,
        by_country: &[(String, u64)],
    ) -> Result<(Estimate, bool)> {
        let wallet = self.store.get_wallet(p.account_id).await?;
        let card = self.rate_card(p.account_id).await?;
        let est = estimate(
            &card,
            category,
            wallet.markup_bps,
            wallet.kind == WalletKind::Quota,
            by_country,
        );
        let covered = est.amount <= 0 || plan_hold(&wallet, est.amount, self.now()).is_ok();
        Ok((est, covered))
    }

    /// The estimate of sending `category` messages to `by_country`; `CampaignUnfunded`
    /// when the wallet does not cover it (unless `allow_partial`).
    async fn fund_campaign(
        &self,
        p: &Principal,
        category: PricingCategory,
        by_country: &[(String, u64)],
        allow_partial: bool,
    ) -> Result<Estimate> {
        let (est, covered) = self.price_campaign(p, category, by_country).await?;
        if !allow_partial && !covered {
            return Err(Error::Failed(
                ErrorCode::CampaignUnfunded,
                format!(
                    "the campaign is estimated at {} {} for {} billable messages, more than \
                     the wallet covers: top it up, or launch with allow_partial",
                    est.amount, est.currency, est.billable
                ),
            ));
        }
        Ok(est)
    }

    pub async fn pause_campaign(&self, p: &Principal, id: CampaignId) -> Result<Campaign> {
        self.change(p, id, CampaignAction::Pause(PauseReason::Operator))
            .await
    }

    /// Resumes a paused campaign; one paused for its template resumes only once the
    /// template is approved again.
    pub async fn resume_campaign(&self, p: &Principal, id: CampaignId) -> Result<Campaign> {
        let campaign = self.get_campaign(p, id).await?;
        if matches!(
            campaign.pause_reason,
            Some(PauseReason::TemplatePaused | PauseReason::TemplateDisabled)
        ) {
            let channel = self
                .store
                .get_channel(p.account_id, campaign.channel_id)
                .await?;
            self.check_campaign_template(p, &channel, &campaign).await?;
        }
        self.change(p, id, CampaignAction::Resume).await
    }

    pub async fn cancel_campaign(&self, p: &Principal, id: CampaignId) -> Result<Campaign> {
        self.change(p, id, CampaignAction::Cancel).await
    }

    async fn change(
        &self,
        p: &Principal,
        id: CampaignId,
        action: CampaignAction,
    ) -> Result<Campaign> {
        self.get_campaign(p, id).await?;
        let change = CampaignChange::new(action, self.now());
        let c = self.store.change_campaign(p.account_id, id, change).await?;
        self.wake.notify_one();
        Ok(c)
    }

    /// A page of the campaign's recipients and how many match.
    pub async fn campaign_recipients(
        &self,
        p: &Principal,
        id: CampaignId,
        filter: &RecipientFilter,
        after: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<RecipientView>, u64)> {
        self.get_campaign(p, id).await?;
        Ok(self
            .store
            .list_recipients(p.account_id, id, filter, after, limit)
            .await?)
    }

    /// The rows the audience loads refused, after `after_row`.
    pub async fn campaign_errors(
        &self,
        p: &Principal,
        id: CampaignId,
        after_row: u64,
        limit: u32,
    ) -> Result<Vec<wagate_core::contact::import::RowError>> {
        self.get_campaign(p, id).await?;
        Ok(self
            .store
            .campaign_errors(p.account_id, id, after_row, limit)
            .await?)
    }

    /// An API campaign without header media of its own on a template with a media header:
    /// each recipient brings its media.
    async fn check_api_media(
        &self,
        p: &Principal,
        campaign: &Campaign,
        recipients: &[NewRecipient],
    ) -> Result<()> {
        if campaign.kind != CampaignKind::Api
            || campaign.params.header_media.is_some()
            || recipients.iter().all(|r| r.data.media.is_some())
        {
            return Ok(());
        }
        let kind = self
            .template_of_campaign(p, campaign)
            .await?
            .and_then(|t| header_media_kind(&t.components));
        match kind {
            Some(kind) => Err(ValidationError::missing(
                "media",
                format!(
                    "is required: the template has a {} header and the campaign no media of \
                     its own",
                    kind.as_str()
                ),
            )
            .into()),
            None => Ok(()),
        }
    }

    /// The campaign's template in its channel's WABA, if wagate holds it.
    async fn campaign_template(
        &self,
        p: &Principal,
        channel: &Channel,
        t: &CampaignTemplate,
    ) -> Result<Option<wagate_core::template::Template>> {
        self.find_template(p, &channel.waba_id, &t.name, &t.language)
            .await
    }

    /// The campaign's template is APPROVED and fills with its parameters (sample values);
    /// its pricing category.
    async fn check_campaign_template(
        &self,
        p: &Principal,
        channel: &Channel,
        campaign: &Campaign,
    ) -> Result<PricingCategory> {
        let Some(template) = self
            .campaign_template(p, channel, &campaign.template)
            .await?
        else {
            if matches!(channel.upstream, wagate_core::channel::Upstream::Cloud(_)) {
                // Meta checks its own templates at hand-over; priced as marketing.
                return Ok(PricingCategory::Marketing);
            }
            return Err(Error::Failed(
                ErrorCode::TemplateNotApproved,
                format!(
                    "template {} ({}) does not exist in the channel's WABA",
                    campaign.template.name, campaign.template.language
                ),
            ));
        };
        match template.status {
            TemplateStatus::Approved => {}
            TemplateStatus::Paused => {
                return Err(Error::Failed(
                    ErrorCode::TemplatePaused,
                    format!("template {} is paused for low quality", template.name),
                ));
            }
            TemplateStatus::Disabled => {
                return Err(Error::Failed(
                    ErrorCode::TemplateDisabled,
                    format!("template {} is disabled", template.name),
                ));
            }
            status => {
                return Err(Error::Failed(
                    ErrorCode::TemplateNotApproved,
                    format!("template {} is {status}, not APPROVED", template.name),
                ));
            }
        }
        let sample: Vec<String> = campaign.params.all().map(|_| "sample".to_owned()).collect();
        let to = PhoneE164::parse("+15550100000").expect("a valid sample number");
        // An API campaign without header media has each send bring its own.
        let sample_media = match (&campaign.params.header_media, campaign.kind) {
            (None, CampaignKind::Api) => {
                header_media_kind(&template.components).map(|kind| HeaderMedia {
                    kind,
                    link: Some("https://example.com/sample".to_owned()),
                    id: None,
                    filename: None,
                })
            }
            _ => None,
        };
        let body = wagate_core::campaign::model::send_body(
            &campaign.template,
            &to,
            campaign
                .params
                .send_components(&sample, sample_media.as_ref()),
        );
        let content = Content::outbound(&body)?;
        let rendered = crate::templates::fill_with(&template, content.body())?;
        for (kind, media) in &rendered.media_ids {
            self.check_media_ref(p, *kind, "params.header_media.id", media)
                .await?;
        }
        Ok(
            PricingCategory::parse_template_category(template.category.as_str())
                .unwrap_or(PricingCategory::Marketing),
        )
    }
}

/// A recipient's own values fill every parameter of the campaign; its media is a link or
/// an id.
fn check_recipient(campaign: &Campaign, r: &NewRecipient) -> Result<()> {
    if let Some(values) = &r.data.values {
        let wanted = campaign.params.all().count();
        if values.len() != wanted {
            return Err(ValidationError::new(
                "params",
                format!(
                    "the template takes {wanted} parameter{}, {} given",
                    if wanted == 1 { "" } else { "s" },
                    values.len()
                ),
            )
            .into());
        }
    }
    if let Some(m) = &r.data.media {
        m.check("media")?;
    }
    Ok(())
}

/// A recipient's data for an API campaign's send: its own values and header media.
pub fn recipient(
    wa_id: PhoneE164,
    values: Option<Vec<String>>,
    media: Option<wagate_core::campaign::model::HeaderMedia>,
) -> NewRecipient {
    NewRecipient {
        wa_id,
        data: RecipientData {
            cells: Default::default(),
            values,
            media,
        },
    }
}
