//! A channel's templates wherever they are held. A sandbox channel's WABA is wagate's, so
//! its templates are wagate's ([`App::create_template`] and the rest). A cloud channel's
//! WABA is Meta's: Meta reviews and holds its templates, so they are listed, created and
//! deleted at Meta, at the time of the call, with the channel's token (the calls the Cloud
//! plane passes on for such a WABA). The dialects manage templates through these, so a
//! provider's template API works the same on either kind of channel.
//!
//! Meta's list has no filters for a template's text, so a filtered list of a cloud channel
//! reads the whole list and keeps the matches ([`TemplateFilter::matches`], the stores'
//! rule). An edit of a cloud channel's template is Meta's `POST /{template_id}`: Meta applies
//! its edit rules (which statuses, how often) and reviews it again.

use serde_json::Value;
use wagate_core::channel::{Channel, Upstream};
use wagate_core::error::ErrorCode;
use wagate_core::ids::TemplateId;
use wagate_core::template::{TemplateDraft, TemplateEdit, TemplateName, TemplateStatus, lint};
use wagate_store::{Entity, Page, StoreError, Template, TemplateFilter};

use crate::error::{Error, Result};
use crate::upstream::proxy::{ProxyAnswer, ProxyCall};
use crate::{App, Principal};

/// Pages of Meta's list read at most (of 100 each).
const META_PAGES: usize = 20;

fn is_cloud(channel: &Channel) -> bool {
    matches!(channel.upstream, Upstream::Cloud(_))
}

/// A query string of `pairs`, encoded.
fn query(pairs: &[(&str, &str)]) -> Option<String> {
    reqwest::Url::parse_with_params("q:", pairs)
        .ok()
        .and_then(|u| u.query().map(str::to_owned))
}

/// Meta's refusal as wagate's error, with Meta's words.
fn refused(what: &str, body: &Value) -> Error {
    let said = body
        .pointer("/error/error_user_msg")
        .or_else(|| body.pointer("/error/message"))
        .and_then(Value::as_str)
        .unwrap_or("no reason given");
    Error::Failed(ErrorCode::InvalidParameterValue, format!("{what}: {said}"))
}

/// A call to Meta about the object `id` (a template), with a JSON body if any.
fn object_call(method: reqwest::Method, id: &TemplateId, body: Option<&Value>) -> ProxyCall {
    ProxyCall {
        method,
        version: None,
        path: id.as_str().to_owned(),
        query: None,
        content_type: body.map(|_| "application/json".to_owned()),
        body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
    }
}

/// Meta's status and JSON body.
fn json_answer(answer: ProxyAnswer) -> (u16, Value) {
    (
        answer.status,
        serde_json::from_slice(&answer.body).unwrap_or_default(),
    )
}

/// Whether Meta's error says the object does not exist or the token cannot see it (Graph's
/// 100/33, or a 404).
pub(crate) fn unknown_object(body: &Value) -> bool {
    let code = body.pointer("/error/code").and_then(Value::as_i64);
    let sub = body.pointer("/error/error_subcode").and_then(Value::as_i64);
    code == Some(100) && sub == Some(33) || code == Some(803)
}

impl App {
    /// One call to Meta's `{waba}/message_templates` for a cloud channel: its status and
    /// JSON body.
    async fn meta_templates_call(
        &self,
        channel: &Channel,
        method: reqwest::Method,
        query: Option<String>,
        body: Option<&Value>,
    ) -> Result<(u16, Value)> {
        let answer = self
            .forward_to_meta(
                channel,
                ProxyCall {
                    method,
                    version: None,
                    path: format!("{}/message_templates", channel.waba_id),
                    query,
                    content_type: body.map(|_| "application/json".to_owned()),
                    body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
                },
            )
            .await?;
        Ok((
            answer.status,
            serde_json::from_slice(&answer.body).unwrap_or_default(),
        ))
    }

    /// Every template of `channel`'s WABA (named `name` ignoring case, when given), in
    /// creation order; Meta's for a cloud channel (up to 2,000).
    pub async fn channel_templates(
        &self,
        p: &Principal,
        channel: &Channel,
        name: Option<&str>,
    ) -> Result<Vec<Template>> {
        let name = name.map(str::trim);
        let matches = |t: &Template| name.is_none_or(|n| t.name.as_str().eq_ignore_ascii_case(n));
        if !is_cloud(channel) {
            let filter = TemplateFilter {
                name: name.map(str::to_lowercase),
                ..Default::default()
            };
            return Ok(self
                .store
                .list_templates(p.account_id, &channel.waba_id, &filter, &Page::all())
                .await?
                .into_iter()
                .filter(matches)
                .collect());
        }
        let lowered = name.map(str::to_lowercase);
        let mut found = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..META_PAGES {
            let mut pairs = vec![("limit", "100")];
            if let Some(n) = lowered.as_deref() {
                pairs.push(("name", n));
            }
            if let Some(a) = after.as_deref() {
                pairs.push(("after", a));
            }
            let (status, body) = self
                .meta_templates_call(channel, reqwest::Method::GET, query(&pairs), None)
                .await?;
            if status != 200 {
                return Err(refused("Meta did not list the WABA's templates", &body));
            }
            let now = self.now();
            found.extend(
                body.get("data")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|item| {
                        Template::from_graph(p.account_id, channel.waba_id.clone(), item, now)
                    })
                    .filter(matches),
            );
            after = body
                .pointer("/paging/cursors/after")
                .and_then(Value::as_str)
                .filter(|_| body.pointer("/paging/next").is_some())
                .map(str::to_owned);
            if after.is_none() {
                break;
            }
        }
        Ok(found)
    }

    /// The templates of `channel`'s WABA that pass `filter`, in creation order (see
    /// [`App::channel_templates`]; a cloud channel's list is filtered as it comes from Meta).
    pub async fn channel_templates_matching(
        &self,
        p: &Principal,
        channel: &Channel,
        filter: &TemplateFilter,
    ) -> Result<Vec<Template>> {
        if !is_cloud(channel) {
            return Ok(self
                .store
                .list_templates(p.account_id, &channel.waba_id, filter, &Page::all())
                .await?);
        }
        Ok(self
            .channel_templates(p, channel, None)
            .await?
            .into_iter()
            .filter(|t| filter.matches(t))
            .collect())
    }

    /// One template of `channel`'s WABA by its id: wagate's for a sandbox channel, Meta's
    /// (`GET /{template_id}` with the channel's token) for a cloud channel. Not found when
    /// it is another WABA's.
    pub async fn channel_template(
        &self,
        p: &Principal,
        channel: &Channel,
        id: &TemplateId,
    ) -> Result<Template> {
        let unknown = || Error::Store(StoreError::NotFound(Entity::Template));
        if !is_cloud(channel) {
            let t = self.get_template(p, id).await?;
            return if t.waba_id == channel.waba_id {
                Ok(t)
            } else {
                Err(unknown())
            };
        }
        let (status, body) = json_answer(
            self.forward_to_meta(channel, object_call(reqwest::Method::GET, id, None))
                .await?,
        );
        if status != 200 {
            return Err(if unknown_object(&body) {
                unknown()
            } else {
                refused("Meta did not read the template", &body)
            });
        }
        Template::from_graph(p.account_id, channel.waba_id.clone(), &body, self.now())
            .ok_or_else(unknown)
    }

    /// Edits `template` (read with [`App::channel_template`]): wagate's edit with Meta's rules for a
    /// sandbox channel ([`App::edit_template`]); for a cloud channel Meta's lint first (so
    /// a mistake is answered at once), then Meta's `POST /{template_id}` with the edit's
    /// fields. The template as edited, back in review (`PENDING`).
    pub async fn edit_channel_template(
        &self,
        p: &Principal,
        channel: &Channel,
        template: Template,
        edit: TemplateEdit,
    ) -> Result<Template> {
        p.require_account_wide()?;
        if !is_cloud(channel) {
            return self.edit_template(p, &template.id, edit).await;
        }
        let mut t = template;
        let mut whole = serde_json::json!({
            "name": t.name.as_str(),
            "language": t.language.as_str(),
            "category": t.category.as_str(),
            "parameter_format": t.parameter_format.as_str(),
            "components": t.components,
        });
        if let Some(ttl) = t.message_send_ttl_seconds {
            whole["message_send_ttl_seconds"] = ttl.into();
        }
        let draft = edit.apply(whole)?;
        lint(&draft)?;
        let (status, body) = json_answer(
            self.forward_to_meta(
                channel,
                object_call(reqwest::Method::POST, &t.id, Some(&edit.to_json())),
            )
            .await?,
        );
        if status != 200 {
            return Err(if unknown_object(&body) {
                Error::Store(StoreError::NotFound(Entity::Template))
            } else {
                refused("Meta refused the edit", &body)
            });
        }
        t.category = draft.category();
        t.components = draft.components_json().clone();
        t.message_send_ttl_seconds = draft.message_send_ttl_seconds();
        t.status = TemplateStatus::Pending;
        t.rejected_reason = None;
        t.updated_at = self.now();
        tracing::info!(template_id = %t.id.as_str(), "template edit passed to Meta");
        Ok(t)
    }

    /// The templates of `channel`'s WABA named `name`, ignoring case (see
    /// [`App::channel_templates`]).
    pub async fn templates_named(
        &self,
        p: &Principal,
        channel: &Channel,
        name: &str,
    ) -> Result<Vec<Template>> {
        self.channel_templates(p, channel, Some(name)).await
    }

    /// Creates a template on `channel`'s WABA: wagate's own for a sandbox channel
    /// ([`App::create_template`]); for a cloud channel the draft (after Meta's lint, so a
    /// mistake is answered at once) is submitted to Meta, and Meta's answer (id, status,
    /// category) returned. Meta reviews it; its status events arrive as for any cloud
    /// template.
    pub async fn create_channel_template(
        &self,
        p: &Principal,
        channel: &Channel,
        draft: TemplateDraft,
    ) -> Result<Template> {
        if !is_cloud(channel) {
            return self.create_template(p, &channel.waba_id, draft).await;
        }
        p.require_account_wide()?;
        lint(&draft)?;
        let mut body = serde_json::json!({
            "name": draft.name().as_str(),
            "language": draft.language().as_str(),
            "category": draft.category().as_str(),
            "parameter_format": draft.parameter_format().as_str(),
            "components": draft.components_json(),
        });
        if draft.allow_category_change() {
            body["allow_category_change"] = serde_json::json!(true);
        }
        if let Some(s) = draft.sub_category() {
            body["sub_category"] = serde_json::json!(s);
        }
        let (status, answered) = self
            .meta_templates_call(channel, reqwest::Method::POST, None, Some(&body))
            .await?;
        if status != 200 {
            return Err(refused("Meta refused the template", &answered));
        }
        let mut item = body;
        for key in ["id", "status", "category"] {
            if let Some(v) = answered.get(key) {
                item[key] = v.clone();
            }
        }
        Template::from_graph(p.account_id, channel.waba_id.clone(), &item, self.now()).ok_or_else(
            || {
                Error::Failed(
                    ErrorCode::NotReady,
                    "Meta's answer to the template did not name it; list the templates".into(),
                )
            },
        )
    }

    /// Deletes the templates named `name` (every language) from `channel`'s WABA: wagate's
    /// for a sandbox channel ([`App::delete_templates`]), Meta's for a cloud channel. How
    /// many went; none when no template has that name.
    pub async fn delete_channel_templates(
        &self,
        p: &Principal,
        channel: &Channel,
        name: &TemplateName,
    ) -> Result<usize> {
        if !is_cloud(channel) {
            return Ok(self
                .delete_templates(p, &channel.waba_id, name, None)
                .await?
                .len());
        }
        p.require_account_wide()?;
        let existing = self
            .channel_templates(p, channel, Some(name.as_str()))
            .await?
            .len();
        if existing == 0 {
            return Ok(0);
        }
        let (status, body) = self
            .meta_templates_call(
                channel,
                reqwest::Method::DELETE,
                query(&[("name", name.as_str())]),
                None,
            )
            .await?;
        if status != 200 {
            return Err(refused("Meta did not delete the template", &body));
        }
        Ok(existing)
    }
}
