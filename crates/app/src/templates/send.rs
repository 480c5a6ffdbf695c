//! Template messages checked at accept time, as Meta does (reference §2.5, §4): the
//! template must exist in that language and be APPROVED (132001; 132015 paused, 132016
//! disabled), and the parameters must fit it ([`wagate_core::template::fill`]: 132000,
//! 132005, 132012, 132018). The message keeps the filled text, so its details show what the
//! user received; the same check serves the management plane's preview.
//!
//! Marketing Messages Lite ([`App::send_marketing_message`]) is a send like any other, of a
//! MARKETING template only.

use serde_json::{Value, json};
use wagate_core::channel::Channel;
use wagate_core::content::SendComponents;
use wagate_core::error::ErrorCode;
use wagate_core::ids::{TemplateId, WabaId};
use wagate_core::message::Content;
use wagate_core::message::Message;
use wagate_core::template::{
    FillError, Fillable, Rendered, TemplateCategory, TemplateLanguage, TemplateStatus, fill,
    parse_components,
};
use wagate_store::{Page, StoreError, Template, TemplateFilter};

use crate::error::{Error, Result};
use crate::messaging::messages::SendMessage;
use crate::{App, Principal};

impl App {
    /// `POST /{pnid}/marketing_messages` (Marketing Messages Lite): a send like any other,
    /// but only of a MARKETING template.
    pub async fn send_marketing_message(
        &self,
        p: &Principal,
        channel: &Channel,
        cmd: SendMessage,
    ) -> Result<Message> {
        let Some((name, language)) = cmd.content.template_name() else {
            return Err(Error::Refused(
                ErrorCode::InvalidRequest,
                "the Marketing Messages API sends template messages only (`type` must be \
                 \"template\")",
            ));
        };
        // A template that does not exist (or is not sendable) gets the send's own error.
        if let Ok(language) = TemplateLanguage::parse(language) {
            let filter = TemplateFilter {
                name: Some(name.to_owned()),
                languages: vec![language],
                ..TemplateFilter::default()
            };
            let found = self
                .store
                .list_templates(p.account_id, &channel.waba_id, &filter, &Page::all())
                .await?;
            if let Some(t) = found.iter().find(|t| t.name.as_str() == name)
                && t.category != TemplateCategory::Marketing
            {
                return Err(Error::Failed(
                    ErrorCode::InvalidRequest,
                    format!(
                        "the Marketing Messages API sends MARKETING templates only; template \
                         {name} ({}) is {}",
                        t.language, t.category
                    ),
                ));
            }
        }
        self.send_message(p, channel, cmd).await
    }

    /// `content` (a `template` message from `channel`) checked against the template it names
    /// in the channel's WABA, with the filled text kept.
    pub(crate) async fn fill_template_message(
        &self,
        p: &Principal,
        channel: &Channel,
        content: Content,
    ) -> Result<Content> {
        let Some((name, language)) = content.template_name() else {
            return Ok(content);
        };
        let template = self
            .find_template(p, &channel.waba_id, name, language)
            .await?;
        let not_approved = || {
            Error::Failed(
                ErrorCode::TemplateNotApproved,
                format!("template name ({name}) does not exist in {language}"),
            )
        };
        let Some(template) = template else {
            // A cloud channel's templates live at Meta: one wagate has not seen is Meta's to
            // check when the message is handed over.
            if matches!(channel.upstream, wagate_core::channel::Upstream::Cloud(_)) {
                return Ok(content);
            }
            return Err(not_approved());
        };
        match template.status {
            TemplateStatus::Approved => {}
            TemplateStatus::Paused => {
                return Err(Error::Failed(
                    ErrorCode::TemplatePaused,
                    format!("template {name} ({language}) is paused for low quality"),
                ));
            }
            TemplateStatus::Disabled => {
                return Err(Error::Failed(
                    ErrorCode::TemplateDisabled,
                    format!("template {name} ({language}) is disabled"),
                ));
            }
            status => {
                return Err(Error::Failed(
                    ErrorCode::TemplateNotApproved,
                    format!("template {name} ({language}) is {status}, not APPROVED"),
                ));
            }
        }
        let rendered = fill_with(&template, content.body())?;
        for (kind, id) in &rendered.media_ids {
            self.check_media_ref(p, *kind, "template.components", id)
                .await?;
        }
        Ok(content.with_rendered(rendered))
    }

    /// Meta's send-time check of `components` (a send request's, as under `template`) against
    /// one of the account's templates, whatever its status, without sending: what the user
    /// would receive, or the error the send would get.
    pub async fn preview_template(
        &self,
        p: &Principal,
        id: &TemplateId,
        components: &SendComponents,
    ) -> Result<(Template, Rendered)> {
        let template = self.get_template(p, id).await?;
        let send = json!({
            "name": template.name.as_str(),
            "language": {"code": template.language.as_str()},
            "components": components.as_json(),
        });
        let rendered = fill_with(&template, &send)?;
        Ok((template, rendered))
    }

    /// The live template `name` in `language` of the account's `waba`, if there is one.
    pub(crate) async fn find_template(
        &self,
        p: &Principal,
        waba: &WabaId,
        name: &str,
        language: &str,
    ) -> Result<Option<Template>> {
        let Ok(language) = TemplateLanguage::parse(language) else {
            return Ok(None);
        };
        let filter = TemplateFilter {
            name: Some(name.to_owned()),
            languages: vec![language],
            ..TemplateFilter::default()
        };
        let candidates = self
            .store
            .list_templates(p.account_id, waba, &filter, &Page::<TemplateId>::all())
            .await?;
        Ok(candidates.into_iter().find(|t| t.name.as_str() == name))
    }
}

/// `send` (a send request's `template` object) filled into `template`, whatever its status.
pub(crate) fn fill_with(template: &Template, send: &Value) -> Result<Rendered> {
    Filler::new(template)?.fill(send)
}

/// A template's components parsed once, to fill many sends (a campaign's batch).
pub(crate) struct Filler<'t> {
    template: &'t Template,
    components: Vec<wagate_core::template::Component>,
}

impl<'t> Filler<'t> {
    pub(crate) fn new(template: &'t Template) -> Result<Self> {
        // The store keeps only components that parsed when the template was created or
        // edited.
        let components =
            parse_components(&template.components).map_err(|e| StoreError::Corrupt {
                what: "template components",
                detail: e.to_string(),
            })?;
        Ok(Self {
            template,
            components,
        })
    }

    pub(crate) fn fill(&self, send: &Value) -> Result<Rendered> {
        let fillable = Fillable {
            template_id: self.template.id.as_str(),
            category: self.template.category,
            parameter_format: self.template.parameter_format,
            components: &self.components,
        };
        fill(&fillable, send).map_err(|FillError { code, details }| Error::Failed(code, details))
    }
}
