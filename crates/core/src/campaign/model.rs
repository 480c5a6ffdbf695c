//! What a campaign is: its template and how each recipient's parameters are found, its
//! audience's state, its pacing, and the figures kept on it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{CampaignKind, CampaignName, CampaignStatus, Param, PauseReason};
use crate::Timestamp;
use crate::error::ValidationError;
use crate::ids::{AccountId, CampaignId, ChannelId};
use crate::phone::PhoneE164;

/// Most body parameters a campaign maps (Meta's templates have at most a few dozen).
pub const PARAMS_MAX: usize = 64;
/// Most URL buttons with a dynamic suffix (Meta allows two URL buttons).
pub const BUTTONS_MAX: usize = 2;
/// The fastest a campaign may be set to send, per second (Meta's highest throughput).
pub const RATE_MAX: u32 = 1_000;

/// The template a campaign sends: a name and a language of the channel's WABA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CampaignTemplate {
    pub name: String,
    pub language: String,
}

/// The kind of media a template header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HeaderMediaKind {
    Image,
    Video,
    Document,
}

impl HeaderMediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Document => "document",
        }
    }
}

/// A media header: a link or an uploaded media id, the same for every recipient unless a
/// recipient brings its own (an API campaign's send).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeaderMedia {
    #[serde(rename = "type")]
    pub kind: HeaderMediaKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Documents only: the file name the user sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

impl HeaderMedia {
    pub fn check(&self, field: &str) -> Result<(), ValidationError> {
        match (&self.link, &self.id) {
            (Some(l), None) if l.starts_with("https://") || l.starts_with("http://") => Ok(()),
            (None, Some(id)) if !id.trim().is_empty() && id.len() <= 128 => Ok(()),
            (Some(_), None) => Err(ValidationError::new(
                format!("{field}.link"),
                "must be an http(s) URL",
            )),
            _ => Err(ValidationError::new(
                field,
                "give exactly one of `link` and `id`",
            )),
        }
    }

    fn parameter(&self) -> Value {
        let mut object = serde_json::Map::new();
        if let Some(l) = &self.link {
            object.insert("link".into(), json!(l));
        }
        if let Some(id) = &self.id {
            object.insert("id".into(), json!(id));
        }
        if let (HeaderMediaKind::Document, Some(f)) = (self.kind, &self.filename) {
            object.insert("filename".into(), json!(f));
        }
        json!({"type": self.kind.as_str(), self.kind.as_str(): object})
    }
}

/// A URL button's dynamic suffix: the button's index among the template's buttons and
/// where its text comes from (seed 001's `ctaVar1`, `ctaVar2`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ButtonParam {
    pub index: u8,
    #[serde(flatten)]
    pub param: Param,
}

/// How each recipient's message is filled: the body's parameters in order, an optional
/// text header parameter or media header, URL buttons' suffixes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CampaignParams {
    #[serde(default)]
    pub body: Vec<Param>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_text: Option<Param>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_media: Option<HeaderMedia>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<ButtonParam>,
}

/// Dynamic URL buttons a sheet in the bulk layout fills (`ctaVar1`, `ctaVar2`).
pub const SHEET_CTA_MAX: usize = 2;

impl CampaignParams {
    pub fn check(&self) -> Result<(), ValidationError> {
        if self.body.len() > PARAMS_MAX {
            return Err(ValidationError::out_of_range(
                "params.body",
                format!("at most {PARAMS_MAX} parameters"),
            ));
        }
        if self.buttons.len() > BUTTONS_MAX {
            return Err(ValidationError::out_of_range(
                "params.buttons",
                format!("at most {BUTTONS_MAX} URL buttons"),
            ));
        }
        if let Some(m) = &self.header_media {
            m.check("params.header_media")?;
        }
        if self.header_media.is_some() && self.header_text.is_some() {
            return Err(ValidationError::new(
                "params",
                "a template has one header: give `header_text` or `header_media`, not both",
            ));
        }
        for (n, p) in self.all().enumerate() {
            p.check(&format!("params[{n}]"))?;
        }
        Ok(())
    }

    /// Every parameter, header first, then the body's, then the buttons': the order
    /// [`CampaignParams::send_components`] reads resolved values in.
    pub fn all(&self) -> impl Iterator<Item = &Param> {
        self.header_text
            .iter()
            .chain(self.body.iter())
            .chain(self.buttons.iter().map(|b| &b.param))
    }

    /// Parameters for a template whose every value comes with each send, in
    /// [`CampaignParams::all`] order (an API campaign created by name only, as the
    /// dialects do): a text header's variable, the body's variables, each URL button's
    /// suffix, read from columns `var1`, `var2`… (a send's values replace them). A media
    /// header takes the template's sample when it is a link (a send may bring its own).
    pub fn positional(components: &Value) -> CampaignParams {
        use crate::template::variables::count;
        let mut n = 0;
        let mut next = || {
            n += 1;
            super::Param {
                source: super::ParamSource::Column {
                    name: format!("var{n}"),
                },
                fallback: None,
            }
        };
        let mut params = CampaignParams::default();
        let list = components.as_array().map(Vec::as_slice).unwrap_or_default();
        let of = |kind: &str| {
            list.iter().find(|c| {
                c.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case(kind))
            })
        };
        if let Some(h) = of("HEADER") {
            match header_media_kind(components) {
                None => {
                    let text = h.get("text").and_then(Value::as_str).unwrap_or_default();
                    if count(text) > 0 {
                        params.header_text = Some(next());
                    }
                }
                Some(kind) => {
                    let sample = h
                        .pointer("/example/header_handle/0")
                        .and_then(Value::as_str)
                        .filter(|l| l.starts_with("https://") || l.starts_with("http://"));
                    params.header_media = sample.map(|link| HeaderMedia {
                        kind,
                        link: Some(link.to_owned()),
                        id: None,
                        filename: None,
                    });
                }
            }
        }
        if let Some(b) = of("BODY") {
            let text = b.get("text").and_then(Value::as_str).unwrap_or_default();
            params.body = (0..count(text)).map(|_| next()).collect();
        }
        if let Some(buttons) = of("BUTTONS")
            .and_then(|b| b.get("buttons"))
            .and_then(Value::as_array)
        {
            for (i, button) in buttons.iter().enumerate() {
                let is_url = button
                    .get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("URL"));
                let url = button
                    .get("url")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if is_url && count(url) > 0 {
                    params.buttons.push(ButtonParam {
                        index: u8::try_from(i).unwrap_or(u8::MAX),
                        param: next(),
                    });
                }
            }
        }
        params
    }

    /// The parameters of a sheet in the common bulk layout (seed 001's: Country, Mobile,
    /// ctaVar1, ctaVar2, var1..n): the body's variables from `var1`…`varN`, the dynamic URL
    /// buttons' suffixes from `ctaVar1` and `ctaVar2` in button order, a media header from
    /// the template's sample link (as [`Self::positional`]). A header variable has no column
    /// in that layout, nor does a third dynamic button: refused.
    pub fn sheet(components: &Value) -> Result<CampaignParams, ValidationError> {
        let mut params = Self::positional(components);
        if params.header_text.is_some() {
            return Err(ValidationError::new(
                "template",
                "the template's header has a variable, which the sheet layout (Country, \
                 Mobile, ctaVar1, ctaVar2, var1..n) has no column for",
            ));
        }
        if params.buttons.len() > SHEET_CTA_MAX {
            return Err(ValidationError::out_of_range(
                "template",
                format!("a sheet fills at most {SHEET_CTA_MAX} dynamic URL buttons"),
            ));
        }
        for (k, b) in params.buttons.iter_mut().enumerate() {
            b.param.source = super::ParamSource::Column {
                name: format!("ctaVar{}", k + 1),
            };
        }
        Ok(params)
    }

    /// The columns of an audience file the parameters read (by header key).
    pub fn columns(&self) -> Vec<String> {
        self.all()
            .filter_map(|p| match &p.source {
                super::ParamSource::Column { name } => {
                    Some(crate::contact::import::header_key(name))
                }
                _ => None,
            })
            .collect()
    }

    /// Whether any parameter reads the recipient's contact card.
    pub fn reads_contacts(&self) -> bool {
        self.all()
            .any(|p| matches!(p.source, super::ParamSource::Attribute { .. }))
    }

    /// The send request's `components` for one recipient: `values` in [`CampaignParams::all`]
    /// order; `media` replaces the header media (a recipient's own).
    pub fn send_components(&self, values: &[String], media: Option<&HeaderMedia>) -> Value {
        let text = |v: &str| json!({"type": "text", "text": v});
        let mut values = values.iter();
        let mut components = Vec::new();
        if self.header_text.is_some() {
            let v = values.next().map_or("", String::as_str);
            components.push(json!({"type": "header", "parameters": [text(v)]}));
        } else if let Some(m) = media.or(self.header_media.as_ref()) {
            components.push(json!({"type": "header", "parameters": [m.parameter()]}));
        }
        if !self.body.is_empty() {
            let params: Vec<Value> = values
                .by_ref()
                .take(self.body.len())
                .map(|v| text(v))
                .collect();
            components.push(json!({"type": "body", "parameters": params}));
        }
        for b in &self.buttons {
            let v = values.next().map_or("", String::as_str);
            components.push(json!({
                "type": "button", "sub_type": "url", "index": b.index, "parameters": [text(v)]
            }));
        }
        Value::Array(components)
    }
}

/// The kind of media a template's header carries (from its components as stored), if
/// it has a media header.
pub fn header_media_kind(components: &Value) -> Option<HeaderMediaKind> {
    let header = components.as_array()?.iter().find(|c| {
        c.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("HEADER"))
    })?;
    match header
        .get("format")
        .and_then(Value::as_str)?
        .to_ascii_uppercase()
        .as_str()
    {
        "IMAGE" => Some(HeaderMediaKind::Image),
        "VIDEO" => Some(HeaderMediaKind::Video),
        "DOCUMENT" => Some(HeaderMediaKind::Document),
        _ => None,
    }
}

/// The Cloud API send request of one recipient's message.
pub fn send_body(template: &CampaignTemplate, to: &PhoneE164, components: Value) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to.digits(),
        "type": "template",
        "template": {
            "name": template.name,
            "language": {"code": template.language},
            "components": components,
        }
    })
}

/// Where an audience load is: none asked, loading (a file or a contact filter being read
/// by a worker), loaded, or failed with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AudienceStatus {
    None,
    Loading,
    Ready,
    Failed,
}

impl AudienceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Loading => "loading",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => Self::None,
            "loading" => Self::Loading,
            "ready" => Self::Ready,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// What a worker reads an audience from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum AudienceSource {
    /// An uploaded CSV or XLSX, kept in the blob store until it is read.
    File {
        blob_key: String,
        format: String,
        file_name: String,
        /// The header naming the phone column, as mapped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone_column: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default_country_code: Option<String>,
    },
    /// The account's contacts matching a segment: a tag, an attribute's value, last active
    /// since a time (each optional; none is every contact).
    Contacts {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tag: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attribute: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        active_since: Option<crate::Timestamp>,
    },
}

/// An audience load: its source and how far it got (data rows read, or the last contact
/// card's id read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceLoad {
    #[serde(flatten)]
    pub source: AudienceSource,
    #[serde(default)]
    pub rows_read: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_card: Option<uuid::Uuid>,
}

/// Skips by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SkipCounts {
    pub invalid: u64,
    pub duplicate: u64,
    pub opted_out: u64,
    pub blocked: u64,
    pub missing_parameter: u64,
}

impl SkipCounts {
    pub fn total(&self) -> u64 {
        self.invalid + self.duplicate + self.opted_out + self.blocked + self.missing_parameter
    }

    pub fn add(&mut self, reason: &super::SkipReason) {
        use super::SkipReason as R;
        match reason {
            R::InvalidNumber | R::InvalidRow => self.invalid += 1,
            R::Duplicate => self.duplicate += 1,
            R::OptedOut => self.opted_out += 1,
            R::Blocked => self.blocked += 1,
            R::MissingParameter { .. } => self.missing_parameter += 1,
        }
    }

    pub fn plus(mut self, o: &SkipCounts) -> SkipCounts {
        self.invalid += o.invalid;
        self.duplicate += o.duplicate;
        self.opted_out += o.opted_out;
        self.blocked += o.blocked;
        self.missing_parameter += o.missing_parameter;
        self
    }
}

/// The cost estimate made at launch, in the wallet's unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Estimate {
    /// Recipients the estimate counts (neither skipped nor known to be opted out or blocked).
    pub recipients: u64,
    /// Billable messages among them.
    pub billable: u64,
    /// In micro-units of `currency` (or messages, for a quota wallet).
    pub amount: i64,
    pub currency: String,
}

/// What sending to an audience costs: each waiting recipient (by the country of its
/// number) priced by the rate card for `category`, with the wallet's markup; a quota wallet
/// counts billable messages instead.
pub fn estimate(
    card: &crate::billing::rates::RateCard,
    category: crate::pricing::PricingCategory,
    markup_bps: u32,
    quota: bool,
    by_country: &[(String, u64)],
) -> Estimate {
    let (mut recipients, mut billable, mut amount) = (0u64, 0u64, 0i64);
    for (country, k) in by_country {
        recipients += k;
        let market = if card.markets.contains_key(country) {
            country.as_str()
        } else {
            "*"
        };
        if let Some(price) = card.price(market, category) {
            billable += k;
            let each = if quota {
                1
            } else {
                crate::billing::rates::with_markup(price, markup_bps)
            };
            amount = amount.saturating_add(each.saturating_mul(i64::try_from(*k).unwrap_or(0)));
        }
    }
    Estimate {
        recipients,
        billable,
        amount,
        currency: if quota {
            "messages".to_owned()
        } else {
            card.currency.as_str().to_owned()
        },
    }
}

/// One campaign as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub id: CampaignId,
    pub account_id: AccountId,
    pub name: CampaignName,
    pub kind: CampaignKind,
    pub channel_id: ChannelId,
    pub template: CampaignTemplate,
    pub params: CampaignParams,
    pub status: CampaignStatus,
    /// Why it is paused (or failed: `failure`).
    pub pause_reason: Option<PauseReason>,
    pub failure: Option<String>,
    /// Messages per second at most (`None`: the channel's throughput).
    pub rate: Option<u32>,
    /// Launch even when the estimate exceeds what the wallet covers: the campaign then runs
    /// until the wallet refuses, and pauses.
    pub allow_partial: bool,
    /// A draft the `campaigns` worker launches (as the account's operator) once its
    /// audience has loaded; a refused launch fails the campaign with the reason.
    pub launch_when_ready: bool,
    pub scheduled_at: Option<Timestamp>,
    /// The zone `scheduled_at` was given in (IANA), for display.
    pub timezone: Option<String>,
    pub audience_status: AudienceStatus,
    pub audience_load: Option<AudienceLoad>,
    pub audience_failure: Option<String>,
    /// Recipients stored (each a distinct valid number).
    pub recipients: u64,
    /// Recipients turned into messages.
    pub queued: u64,
    pub skipped: SkipCounts,
    /// The last row up to which every recipient has its message or was skipped.
    pub cursor: u64,
    /// The pacing's next free slot (µs since the epoch): a feed of `k` messages moves it
    /// `k` intervals on, on whichever node feeds (see the dispatch worker).
    pub paced_until: i64,
    pub estimate: Option<Estimate>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

/// Command: a new campaign (draft).
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub id: CampaignId,
    pub account_id: AccountId,
    pub name: CampaignName,
    pub kind: CampaignKind,
    pub channel_id: ChannelId,
    pub template: CampaignTemplate,
    pub params: CampaignParams,
    pub rate: Option<u32>,
    pub allow_partial: bool,
    pub launch_when_ready: bool,
    pub created_at: Timestamp,
}

impl Campaign {
    pub fn new(n: NewCampaign) -> Campaign {
        Campaign {
            id: n.id,
            account_id: n.account_id,
            name: n.name,
            kind: n.kind,
            channel_id: n.channel_id,
            template: n.template,
            params: n.params,
            status: CampaignStatus::Draft,
            pause_reason: None,
            failure: None,
            rate: n.rate,
            allow_partial: n.allow_partial,
            launch_when_ready: n.launch_when_ready,
            scheduled_at: None,
            timezone: None,
            audience_status: AudienceStatus::None,
            audience_load: None,
            audience_failure: None,
            recipients: 0,
            queued: 0,
            skipped: SkipCounts::default(),
            cursor: 0,
            paced_until: 0,
            estimate: None,
            created_at: n.created_at,
            updated_at: n.created_at,
            started_at: None,
            finished_at: None,
        }
    }
}

/// A recipient to store: its number, its row's cells that parameters read (by header
/// key), and, for an API campaign's send, its own parameter values and header media.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecipientData {
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub cells: std::collections::BTreeMap<String, String>,
    /// Values for every parameter in order, given with the recipient (overrides sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<HeaderMedia>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecipient {
    /// The file's row (1-based data rows) or the order added.
    pub wa_id: PhoneE164,
    pub data: RecipientData,
}

#[cfg(test)]
mod tests {
    #[test]
    fn positional_parameters_follow_the_templates_variables() {
        let params = super::CampaignParams::positional(&serde_json::json!([
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
            {"type": "BODY", "text": "Hello {{1}}, {{2}} and {{1}} again"},
            {"type": "BUTTONS", "buttons": [
                {"type": "QUICK_REPLY", "text": "Stop"},
                {"type": "URL", "text": "Track", "url": "https://x.example/t/{{1}}"},
                {"type": "URL", "text": "Site", "url": "https://x.example"}
            ]}
        ]));
        assert!(params.header_text.is_some());
        assert_eq!(params.body.len(), 2);
        assert_eq!(params.buttons.len(), 1);
        assert_eq!(params.buttons[0].index, 1);
        assert_eq!(params.all().count(), 4);
        assert!(params.check().is_ok());
        let image = super::CampaignParams::positional(&serde_json::json!([
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["https://x.example/a.png"]}},
            {"type": "BODY", "text": "Hi"}
        ]));
        let media = image.header_media.unwrap();
        assert_eq!(media.kind, super::HeaderMediaKind::Image);
        assert_eq!(media.link.as_deref(), Some("https://x.example/a.png"));
        assert_eq!(image.body.len(), 0);
        let handle = serde_json::json!([
            {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::aGFuZGxl"]}}
        ]);
        assert_eq!(
            super::CampaignParams::positional(&handle).header_media,
            None
        );
        assert_eq!(
            super::header_media_kind(&handle),
            Some(super::HeaderMediaKind::Document)
        );
        assert_eq!(
            super::CampaignParams::positional(&serde_json::json!(null)),
            super::CampaignParams::default()
        );
    }

    use super::*;
    use crate::campaign::ParamSource;

    #[test]
    fn a_sheet_reads_vars_and_cta_vars() {
        let params = CampaignParams::sheet(&serde_json::json!([
            {"type": "BODY", "text": "Hello {{1}}, coupon {{2}} by {{3}}"},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Site", "url": "https://x.example"},
                {"type": "URL", "text": "Claim", "url": "https://x.example/c/{{1}}"}
            ]}
        ]))
        .unwrap();
        assert_eq!(
            params.columns(),
            vec!["var1", "var2", "var3", "ctavar1"],
            "body first, then the dynamic button"
        );
        assert_eq!(params.buttons[0].index, 1);
        let header = serde_json::json!([
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
            {"type": "BODY", "text": "Hi"}
        ]);
        assert_eq!(
            CampaignParams::sheet(&header).unwrap_err().field,
            "template"
        );
        let url = |n: u8| serde_json::json!({"type": "URL", "text": format!("b{n}"), "url": "https://x.example/{{1}}"});
        let three = serde_json::json!([{"type": "BUTTONS", "buttons": [url(1), url(2), url(3)]}]);
        assert!(CampaignParams::sheet(&three).is_err());
    }

    fn col(name: &str) -> Param {
        Param {
            source: ParamSource::Column { name: name.into() },
            fallback: None,
        }
    }

    #[test]
    fn components_take_values_in_order() {
        let params = CampaignParams {
            body: vec![col("var1"), col("var2")],
            header_text: None,
            header_media: Some(HeaderMedia {
                kind: HeaderMediaKind::Document,
                link: Some("https://x.test/a.pdf".into()),
                id: None,
                filename: Some("Invoice".into()),
            }),
            buttons: vec![ButtonParam {
                index: 1,
                param: col("ctaVar1"),
            }],
        };
        params.check().unwrap();
        assert_eq!(params.columns(), vec!["var1", "var2", "ctavar1"]);
        let c = params.send_components(&["a".into(), "b".into(), "track/9".into()], None);
        assert_eq!(c[0]["parameters"][0]["document"]["filename"], "Invoice");
        assert_eq!(c[1]["parameters"][1]["text"], "b");
        assert_eq!(c[2]["index"], 1);
        assert_eq!(c[2]["parameters"][0]["text"], "track/9");
        let both = CampaignParams {
            header_text: Some(col("h")),
            ..params
        };
        assert!(both.check().is_err());
    }

    #[test]
    fn estimates_price_each_country() {
        let card = crate::billing::rates::RateCard::default_card();
        let cat = crate::pricing::PricingCategory::Marketing;
        let by = vec![("IN".to_owned(), 10), ("ZZ".to_owned(), 2)];
        let e = estimate(&card, cat, 0, false, &by);
        let india = card.price("IN", cat).unwrap();
        let rest = card.price("*", cat).unwrap();
        assert_eq!(e.recipients, 12);
        assert_eq!(e.billable, 12);
        assert_eq!(e.amount, 10 * india + 2 * rest);
        let marked = estimate(&card, cat, 1_500, false, &by);
        assert!(marked.amount > e.amount);
        let q = estimate(&card, cat, 0, true, &by);
        assert_eq!((q.amount, q.currency.as_str()), (12, "messages"));
    }

    #[test]
    fn media_needs_one_of_link_and_id() {
        let m = |link: Option<&str>, id: Option<&str>| HeaderMedia {
            kind: HeaderMediaKind::Image,
            link: link.map(Into::into),
            id: id.map(Into::into),
            filename: None,
        };
        assert!(m(Some("https://a.test/x.png"), None).check("h").is_ok());
        assert!(m(None, Some("123")).check("h").is_ok());
        assert!(m(Some("ftp://a"), None).check("h").is_err());
        assert!(m(None, None).check("h").is_err());
        assert!(m(Some("https://a"), Some("1")).check("h").is_err());
    }
}
