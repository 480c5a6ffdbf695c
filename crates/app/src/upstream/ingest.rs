//! Ingest of what Meta reports for cloud channels (`/webhooks/meta`).
//!
//! # Model
//! Meta verifies the endpoint once (`GET` with `hub.verify_token`, matched against the
//! cloud channels' verify tokens) and then POSTs reports signed with the app secret
//! (`X-Hub-Signature-256`). A report names its phone numbers; each one that is a cloud
//! channel here must have an app secret that signs the body exactly, or the whole report
//! is refused (401) and nothing is kept. Numbers wagate does not serve are ignored.
//!
//! - **Statuses** name our messages by Meta's id for them (recorded at hand-over). They
//!   are stored as network events and applied by ingest like the sandbox's, so the rules
//!   are the same: progress only, a webhook event to subscribers, in order per message.
//!   A status of a hand-over still being recorded waits for it; one of a message wagate
//!   never sent (another app on the same number) is ignored. Meta's `pricing` and
//!   `conversation` replace wagate's estimate made at hand-over, even on a status that is
//!   no progress (Meta bills on `sent`, which wagate has already recorded).
//! - **Messages** are stored at once with Meta's id as their wamid (a redelivery is
//!   recognised and changes nothing); the contact and its window are renewed, a reply's
//!   `context` is put back in our terms, and a media file is downloaded from Meta and kept
//!   as a wagate media id, so subscribers download it from wagate.
//!
//! - **Other fields** (`message_template_status_update`, `phone_number_quality_update`,
//!   `account_update`, …) of a WABA that cloud channels here belong to are passed on to
//!   those accounts' subscribers as Meta wrote them. Fields wagate does not know are
//!   ignored.
//!
//! A report is answered 200 only once what it says is stored; a store failure or a media
//! file Meta could not hand over right now answers 503, and Meta delivers it again.

use std::time::Duration;

use wagate_core::Timestamp;
use wagate_core::channel::{Channel, CloudSettings, Upstream};
use wagate_core::cloud_report::{self, CloudReport, ReportedChange, ReportedMessage};
use wagate_core::content::Content;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{EventId, MessageId};
use wagate_core::media::data_uri::DataUri;
use wagate_core::media::{MediaKind, MediaType};
use wagate_core::message::Wamid;
use wagate_core::network::{NetworkEvent, NewInboundMessage, StatusUpdate};
use wagate_core::webhook::ascii::signature;
use wagate_core::webhook::{EventData, EventField, WebhookEvent};
use wagate_store::StoreError;
use wagate_upstream::cloud::CloudError;

use crate::App;
use crate::error::{Error, Result};
use crate::messaging::sandbox::{InboundFile, InboundMedia};

/// How long a status waits for the hand-over it names to be recorded.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(5);

/// What one report did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MetaReport {
    pub statuses: usize,
    pub inbound: usize,
    /// Changes of other fields passed on to subscribers.
    pub others: usize,
    /// Items about numbers or messages wagate does not know, duplicates, and other fields.
    pub ignored: usize,
}

impl App {
    /// Meta's endpoint check: the challenge to echo when `token` is a cloud channel's
    /// verify token.
    pub async fn verify_meta_webhook(
        &self,
        mode: Option<&str>,
        token: Option<&str>,
        challenge: Option<&str>,
    ) -> Result<String> {
        let refused = || Error::Forbidden("the verify token is not a cloud channel's");
        if mode != Some("subscribe") {
            return Err(ValidationError::new("hub.mode", "must be `subscribe`").into());
        }
        let challenge =
            challenge.ok_or_else(|| ValidationError::missing("hub.challenge", "is required"))?;
        let token = token.ok_or_else(refused)?;
        let known = self.store.cloud_channels().await?.iter().any(|c| {
            matches!(&c.upstream, Upstream::Cloud(s)
                if s.verify_token.as_ref().is_some_and(|t| constant_eq(t.expose(), token)))
        });
        if known {
            Ok(challenge.to_owned())
        } else {
            Err(refused())
        }
    }

    /// Applies one signed report from Meta (see the module docs).
    pub async fn ingest_meta_webhook(
        &self,
        body: &[u8],
        signature_header: Option<&str>,
    ) -> Result<MetaReport> {
        let report = cloud_report::parse(body).map_err(|e| ValidationError::new("body", e.0))?;
        let channels = self.report_channels(&report).await?;
        // WABA-level changes (templates, numbers, the account) go to the cloud channels of
        // that WABA: one event per account, on its first such channel.
        let mut others: Vec<(Channel, EventField, serde_json::Value)> = Vec::new();
        let mut unknown_fields = 0;
        if !report.others.is_empty() {
            let cloud = self.store.cloud_channels().await?;
            for other in &report.others {
                let Ok(field) = EventField::parse(&other.field) else {
                    unknown_fields += 1;
                    continue;
                };
                let mut accounts = Vec::new();
                for c in cloud
                    .iter()
                    .filter(|c| Some(&c.waba_id) == other.waba_id.as_ref())
                {
                    if !accounts.contains(&c.account_id) {
                        accounts.push(c.account_id);
                        others.push((c.clone(), field, other.value.clone()));
                    }
                }
                if accounts.is_empty() {
                    unknown_fields += 1;
                }
            }
        }
        let signature_header = signature_header.unwrap_or("");
        let signers = channels
            .iter()
            .flatten()
            .map(|(_, c)| c)
            .chain(others.iter().map(|(c, _, _)| c));
        for channel in signers {
            check_signature(channel, body, signature_header)?;
        }
        let mut done = MetaReport {
            ignored: report.skipped + unknown_fields,
            ..Default::default()
        };
        for (change, channel) in report.changes.into_iter().zip(channels) {
            match channel {
                Some((settings, channel)) => {
                    self.apply_change(&channel, &settings, change, &mut done)
                        .await?;
                }
                None => done.ignored += change.statuses.len() + change.messages.len(),
            }
        }
        if !others.is_empty() {
            let at = self.now();
            done.others = others.len();
            let events = others
                .into_iter()
                .map(|(channel, field, value)| WebhookEvent {
                    id: EventId::generate(),
                    account_id: channel.account_id,
                    channel_id: Some(channel.id),
                    occurred_at: at,
                    data: EventData::Other { field, value },
                })
                .collect();
            self.store.record_events(events).await?;
        }
        metrics::counter!("wagate_upstream_reports_total", "kind" => "status")
            .increment(done.statuses as u64);
        metrics::counter!("wagate_upstream_reports_total", "kind" => "message")
            .increment(done.inbound as u64);
        Ok(done)
    }

    /// The cloud channel of each change (`None`: a number wagate does not serve).
    async fn report_channels(
        &self,
        report: &CloudReport,
    ) -> Result<Vec<Option<(CloudSettings, Channel)>>> {
        let mut out = Vec::with_capacity(report.changes.len());
        for change in &report.changes {
            let channel = match self
                .store
                .find_channel_by_phone_number_id(&change.phone_number_id)
                .await
            {
                Ok(c) => Some(c),
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            };
            out.push(channel.and_then(|c| match &c.upstream {
                Upstream::Cloud(s) => Some((s.clone(), c.clone())),
                Upstream::Sandbox(_) => None,
            }));
        }
        Ok(out)
    }

    async fn apply_change(
        &self,
        channel: &Channel,
        settings: &CloudSettings,
        change: ReportedChange,
        done: &mut MetaReport,
    ) -> Result<()> {
        let at_most_now = |at: Option<Timestamp>| {
            let now = self.now();
            at.map_or(now, |at| at.min(now))
        };
        let mut events = Vec::with_capacity(change.statuses.len());
        for status in change.statuses {
            let Some(message_id) = self.message_of(channel, &status.upstream_id).await? else {
                tracing::debug!(phone_number_id = %channel.phone_number_id,
                    "a status of a message wagate did not send was ignored");
                done.ignored += 1;
                continue;
            };
            events.push(NetworkEvent::Status(StatusUpdate {
                message_id,
                status: status.status,
                at: at_most_now(status.at),
                error: status.error,
                pricing: status.pricing,
                conversation: status.conversation,
            }));
        }
        done.statuses += events.len();
        self.store.record_network_events(channel.id, events).await?;
        for message in change.messages {
            if self
                .store_reported_message(channel, settings, message)
                .await?
            {
                done.inbound += 1;
            } else {
                done.ignored += 1;
            }
        }
        Ok(())
    }

    /// Our message Meta knows as `upstream_id`; waits for a hand-over being recorded.
    async fn message_of(&self, channel: &Channel, upstream_id: &str) -> Result<Option<MessageId>> {
        if let Some(m) = self
            .store
            .find_message_by_upstream_id(channel.id, upstream_id)
            .await?
        {
            return Ok(Some(m.id));
        }
        let Some(id) = self.dispatcher.in_flight(upstream_id) else {
            return Ok(None);
        };
        let until = tokio::time::Instant::now() + IN_FLIGHT_WAIT;
        while self.dispatcher.in_flight(upstream_id).is_some()
            && tokio::time::Instant::now() < until
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(Some(id))
    }

    /// Stores a message a user sent; false for a redelivery.
    async fn store_reported_message(
        &self,
        channel: &Channel,
        settings: &CloudSettings,
        m: ReportedMessage,
    ) -> Result<bool> {
        let mut content = m.content;
        if let (Some(media_id), Ok(kind)) = (&m.media_id, MediaKind::try_from(content.kind())) {
            if self
                .store
                .find_message_by_upstream_id(channel.id, m.wamid.as_str())
                .await?
                .is_some()
            {
                return Ok(false);
            }
            let declared = content
                .body()
                .get("mime_type")
                .and_then(serde_json::Value::as_str)
                .and_then(|s| MediaType::parse(s).ok());
            match self
                .cloud
                .download_media(settings, media_id, kind.max_bytes())
                .await
            {
                Ok(file) => {
                    let media_type = declared.clone().or_else(|| {
                        file.mime_type
                            .as_deref()
                            .and_then(|s| MediaType::parse(s).ok())
                    });
                    let kept = match media_type {
                        Some(media_type) => {
                            let media = InboundMedia {
                                file: InboundFile::Data(DataUri {
                                    media_type,
                                    bytes: file.bytes,
                                }),
                                declared,
                            };
                            self.attach_inbound_media(channel, &mut content, media)
                                .await
                                .map_err(|e| e.to_string())
                        }
                        None => Err("Meta gave the file no media type".to_owned()),
                    };
                    if let Err(why) = kept {
                        tracing::warn!(error.message = %why, "a file Meta reported was refused; the message is kept as unsupported (131052)");
                        content = Content::media_unavailable(&format!(
                            "The file could not be kept: {why}"
                        ));
                    }
                }
                Err(e) if e.is_transient() => {
                    return Err(Error::Failed(
                        ErrorCode::NotReady,
                        format!(
                            "the file of a reported message could not be downloaded from Meta yet: {}",
                            e.message_error().details
                        ),
                    ));
                }
                Err(e) => {
                    tracing::warn!(error.message = ?reason(&e), "a file Meta reported could not be downloaded; the message is kept as unsupported (131052)");
                    content = Content::media_unavailable(&format!(
                        "The file could not be downloaded from Meta: {}",
                        e.message_error().details
                    ));
                }
            }
        }
        let context = match &m.context {
            Some(upstream) => match self
                .store
                .find_message_by_upstream_id(channel.id, upstream)
                .await?
            {
                Some(ours) => Some(ours.wamid),
                None => Wamid::parse_field("context.id", upstream).ok(),
            },
            None => None,
        };
        let new = NewInboundMessage {
            id: MessageId::generate(),
            wamid: m.wamid,
            account_id: channel.account_id,
            channel_id: channel.id,
            wa_id: m.from,
            bsuid: m.bsuid,
            profile_name: m.profile_name,
            content,
            context,
            at: m.at.map_or_else(|| self.now(), |at| at.min(self.now())),
            preference: None,
        };
        match self.store.ingest_inbound(new).await {
            Ok(_) => {
                metrics::counter!("wagate_message_status_total", "status" => "received")
                    .increment(1);
                Ok(true)
            }
            Err(StoreError::Conflict { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// `channel`'s app secret must sign `body` as `header` says.
fn check_signature(channel: &Channel, body: &[u8], header: &str) -> Result<()> {
    let Upstream::Cloud(settings) = &channel.upstream else {
        return Ok(());
    };
    let Some(secret) = &settings.app_secret else {
        return Err(Error::Failed(
            ErrorCode::WebhookSignatureInvalid,
            format!(
                "cloud channel {} has no app_secret, so Meta's signature cannot be checked; set upstream.app_secret",
                channel.phone_number_id
            ),
        ));
    };
    if constant_eq(&signature(secret.expose().as_bytes(), body), header) {
        Ok(())
    } else {
        Err(Error::Failed(
            ErrorCode::WebhookSignatureInvalid,
            "X-Hub-Signature-256 is missing or does not match the body signed with the channel's app secret".into(),
        ))
    }
}

fn reason(e: &CloudError) -> String {
    e.message_error().details
}

/// Compares secrets without leaking where they differ.
fn constant_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
