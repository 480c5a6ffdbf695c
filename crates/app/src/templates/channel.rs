//! A channel's templates wherever they are held. A sandbox channel's WABA is wagate's, so
//! its templates are wagate's ([`App::create_template`] and the rest). A cloud channel's
//! WABA is Meta's: Meta reviews and holds its templates, so they are listed, created and
//! deleted at Meta, at the time of the call, with the channel's token (the calls the Cloud
//! plane passes on for such a WABA). The dialects manage templates through these, so a
//! provider's template API works the same on either kind of channel.

use serde_json::Value;
use wagate_core::channel::{Channel, Upstream};
use wagate_core::error::ErrorCode;
use wagate_core::template::{TemplateDraft, TemplateName, lint};
use wagate_store::{Page, Template, TemplateFilter};

use crate::error::{Error, Result};
use crate::upstream::proxy::ProxyCall;
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
