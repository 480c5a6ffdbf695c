//! §16–§22 API campaigns, on the core's campaigns (the same as `/api/v1/campaigns`):
//!
//! - §16 `POST …/campaign/api` `{campaign_name, template_name}`: an API campaign on the
//!   project's template of that name (ignoring case; an APPROVED language first), live at
//!   once (`status: "LIVE"`, wagate's `running`). The template must be APPROVED (a pending
//!   or rejected one is refused and nothing is stored); the name is unique in the account,
//!   ignoring case (409 otherwise). Every template parameter comes with each send.
//! - §17 `POST …/campaign/api/send`: one recipient, answered `{"status": "success"}` (no
//!   message id, as documented); its message follows within the campaign's pacing, and
//!   shows in §21 and §7. `template_params` is an array of values in the template's order
//!   (header, body, URL buttons; a single string is one value; numbers are taken as text),
//!   and must fill every parameter. `phone_number` is required (the seed marks it optional
//!   but there is no one to send to without it; `mobile_number` and `mobile` are read
//!   too); `default_country_code` (1 to 3 digits) prefixes a national number. `media`
//!   (`url`, `filename`) is the header media of a template with an image, video or
//!   document header, and is ignored for a template without one (the seed's example sends
//!   media with a TEXT template). `name`, `tags` (which must exist: `TagNotFound`, 404,
//!   otherwise; tags are created at `/api/v1/tags`) and `attributes` (an object of strings)
//!   go on the number's contact, created opted in when new. `source` is accepted and
//!   not kept. A number gets one message per campaign (the core's audience holds a
//!   number once, so the figures count people): a second send to it is a 409.
//! - §18 `GET …/campaign/api`: the project's API campaigns, newest first, `{campaign,
//!   size, count}` (both the number listed).
//! - §19 `GET …/campaign/api/{campaign_id}`: `audience_size` is the recipients,
//!   `submitted` those turned into messages.
//! - §20 `POST …/campaign/analytics/{campaign_id}` (a read on POST, as documented), an
//!   optional body `{startDate, endDate}`: each a date `YYYY-MM-DD` (a day in the
//!   account's time zone; `endDate` includes its day), an RFC 3339 time, or epoch
//!   milliseconds (number or string). One `chats` entry per day with figures: sent,
//!   delivered, read, failed, replied (`repliedToCampaignCount`), the campaign's template
//!   messages and what they were charged, by pricing category (`mc`, `uc`, `ac`, `sc`:
//!   marketing, utility, authentication, service) and by country
//!   (`templateCreditUsedCountryWise`, ISO country codes; the per-category country maps
//!   name the country when the day's messages went to one, else `OTHERS`). Amounts are in
//!   the wallet's currency. Figures wagate does not keep per campaign (agent, chatbot and
//!   user messages, payments, MAC/BIC/UIC counts, unique visitors) are 0.
//! - §21 `GET …/campaign/audience/{campaign_id}`: rows `{_id, assistantId, campaignId,
//!   chatId, userNumber, __v, isoCode, sentAt, userName, deliveredAt, readAt, failedAt,
//!   repliedAt}` (times ISO, present once they happened; `_id` is the message's id, which
//!   §7 reads; `chatId` the contact's id), `total` matching, and `paging.cursors.before` /
//!   `after`: opaque base64 cursors of the page's first and last rows. `category` filters
//!   SENT (sent or later), DELIVERED (delivered or read), READ, FAILED, REPLIED; CLICKED
//!   is always empty (WhatsApp reports no URL clicks). `startDate` / `endDate` (as §20)
//!   bound when the message was sent; `sort` asc/desc orders by send; `fields` projects
//!   the rows (comma-separated; `_id` always kept); `limit` 1 to 100, default 20.
//! - §22 `POST …/campaign/audience/{campaign_id}` ("Get Campaigns"): the project's
//!   campaigns of `campaignType` (`API` or `BROADCAST`, any case) `{campaigns: [...]}`,
//!   newest first, after `skip`, at most `limit` (0 or absent: all). The path's campaign
//!   must be one of the project's (404 otherwise); it does not narrow the list.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use wagate_app::campaigns::report::{CampaignDay, DayCounts};
use wagate_app::campaigns::{ApiCampaignSend, recipient};
use wagate_core::Timestamp;
use wagate_core::campaign::CampaignKind;
use wagate_core::campaign::CampaignName;
use wagate_core::campaign::model::{Campaign, HeaderMedia, header_media_kind};
use wagate_core::contact::card::{AttributeKey, Attributes, ContactName, TagName, attribute_value};
use wagate_core::contact::import::{ImportOptions, number};
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::{CampaignId, ChannelId};
use wagate_core::registration::country_of;
use wagate_store::{CampaignFilter, Page, RecipientFilter, RecipientState, RecipientView};

use super::auth::Project;
use super::wire::contact::{iso, zone_label};
use super::wire::{campaign, template};
use crate::error::ApiError;
use crate::extract::{Query, parse_json};
use crate::state::AppState;

/// Most tags one send names.
const TAGS_MAX: usize = 100;

fn unknown(id: &str) -> ApiError {
    ApiError::not_found(ErrorCode::CampaignNotFound, "campaign", id)
}

/// The project's campaign `raw` (another project's, or account's, is unknown).
async fn project_campaign(
    state: &AppState,
    project: &Project,
    raw: &str,
) -> Result<Campaign, ApiError> {
    let id: CampaignId = raw.parse().map_err(|_| unknown(raw))?;
    let c = state
        .app
        .get_campaign(&project.principal, id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::CampaignNotFound, "campaign", raw))?;
    if c.channel_id != project.channel.id {
        return Err(unknown(raw));
    }
    Ok(c)
}

/// The campaign object with its template.
async fn render(state: &AppState, project: &Project, c: &Campaign) -> Result<Value, ApiError> {
    let template = state
        .app
        .template_of_campaign(&project.principal, c)
        .await?
        .map(|t| template::object(&t, super::templates::owner(project), None));
    Ok(campaign::object(c, template))
}

/// Every campaign of the project of `kind`, newest first.
async fn all_campaigns(
    state: &AppState,
    project: &Project,
    kind: CampaignKind,
) -> Result<Vec<Campaign>, ApiError> {
    let filter = CampaignFilter {
        kind: Some(kind),
        channel_id: Some(project.channel.id),
        ..CampaignFilter::default()
    };
    let mut out: Vec<Campaign> = Vec::new();
    let mut after: Option<CampaignId> = None;
    loop {
        let page = Page::after(after, Page::<CampaignId>::MAX_LIMIT);
        let got = state
            .app
            .list_campaigns(&project.principal, filter.clone(), &page)
            .await?;
        let full = got.len() == page.limit as usize;
        after = got.last().map(|c| c.id);
        out.extend(got);
        if !full || after.is_none() {
            return Ok(out);
        }
    }
}

/// A required text field.
fn required<'a>(field: &'static str, v: Option<&'a str>) -> Result<&'a str, ValidationError> {
    v.filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ValidationError::missing(field, "is required"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    campaign_name: Option<String>,
    template_name: Option<String>,
}

/// §16.
pub async fn create(
    State(state): State<AppState>,
    project: Project,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: CreateBody = parse_json(&body)?;
    let name = required("campaign_name", body.campaign_name.as_deref())?;
    let name =
        CampaignName::parse(name).map_err(|e| ValidationError::new("campaign_name", e.message))?;
    let template = required("template_name", body.template_name.as_deref())?;
    if template.chars().count() > 512 {
        return Err(ValidationError::out_of_range(
            "template_name",
            "must be at most 512 characters",
        )
        .into());
    }
    let c = state
        .app
        .create_live_api_campaign(&project.principal, &project.channel, name, template)
        .await
        .map_err(|e| {
            let e = ApiError::from(e);
            match e.code {
                ErrorCode::CampaignExists => e.field("campaign_name"),
                ErrorCode::TemplateNotFound
                | ErrorCode::TemplateNotApproved
                | ErrorCode::TemplatePaused
                | ErrorCode::TemplateDisabled => e.field("template_name"),
                _ => e,
            }
        })?;
    Ok(Json(render(&state, &project, &c).await?))
}

/// §17's `media`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendMedia {
    url: Option<String>,
    filename: Option<String>,
    /// An uploaded media id (§4), instead of `url`.
    id: Option<String>,
}

/// §17's body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    template_params: Option<Value>,
    name: Option<String>,
    phone_number: Option<String>,
    mobile_number: Option<String>,
    mobile: Option<String>,
    media: Option<SendMedia>,
    campaign_name: Option<String>,
    #[allow(dead_code)]
    source: Option<String>,
    attributes: Option<BTreeMap<String, String>>,
    default_country_code: Option<String>,
    tags: Option<Vec<String>>,
}

/// `template_params`: an array of values (strings or numbers), or one string.
fn template_params(v: Option<&Value>) -> Result<Vec<String>, ValidationError> {
    let one = |n: usize, v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(x) => Ok(x.to_string()),
        _ => Err(ValidationError::new(
            format!("template_params[{n}]"),
            "must be a string",
        )),
    };
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().enumerate().map(|(n, v)| one(n, v)).collect(),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(_) => Err(ValidationError::new(
            "template_params",
            "must be an array of the template's parameter values",
        )),
    }
}

/// §17.
pub async fn send(
    State(state): State<AppState>,
    project: Project,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: SendBody = parse_json(&body)?;
    let campaign_name = required("campaign_name", body.campaign_name.as_deref())?.to_owned();
    let name = ContactName::parse(required("name", body.name.as_deref())?)?;
    let values = template_params(body.template_params.as_ref())?;
    let country = ImportOptions::parse(&BTreeMap::new(), body.default_country_code.as_deref())?
        .default_country_code;
    let (field, raw) = [
        ("phone_number", &body.phone_number),
        ("mobile_number", &body.mobile_number),
        ("mobile", &body.mobile),
    ]
    .into_iter()
    .find_map(|(f, v)| v.as_deref().map(|v| (f, v)))
    .ok_or_else(|| ValidationError::missing("phone_number", "is required"))?;
    let wa_id = number(raw.trim(), country.as_deref()).map_err(|m| {
        ValidationError::new(
            if field == "mobile" {
                "phone_number"
            } else {
                field
            },
            m,
        )
    })?;
    let tags = body
        .tags
        .unwrap_or_default()
        .iter()
        .map(|t| TagName::parse(t).map_err(|e| ValidationError::new("tags", e.message)))
        .collect::<Result<Vec<_>, _>>()?;
    if tags.len() > TAGS_MAX {
        return Err(
            ValidationError::out_of_range("tags", format!("at most {TAGS_MAX} tags")).into(),
        );
    }
    let attributes: Attributes = body
        .attributes
        .unwrap_or_default()
        .iter()
        .map(|(k, v)| {
            let key = AttributeKey::parse(k)?;
            let v = attribute_value(&key, v)?;
            Ok((key, v))
        })
        .collect::<Result<_, ValidationError>>()?;
    let p = &project.principal;
    // The media goes with a media header only (the seed sends it with a TEXT template).
    let media = match body.media {
        None => None,
        Some(m) => {
            let c = state
                .app
                .find_campaign(p, &campaign_name)
                .await
                .map_err(|e| {
                    ApiError::naming(e, ErrorCode::CampaignNotFound, "campaign", &campaign_name)
                        .field("campaign_name")
                })?;
            let kind = match state.app.template_of_campaign(p, &c).await? {
                Some(t) => header_media_kind(&t.components),
                None => c.params.header_media.as_ref().map(|h| h.kind),
            };
            match kind {
                None => None,
                Some(kind) => {
                    let media = HeaderMedia {
                        kind,
                        link: m.url.filter(|u| !u.trim().is_empty()),
                        id: m.id,
                        filename: m.filename,
                    };
                    Some(media)
                }
            }
        }
    };
    let cmd = ApiCampaignSend {
        channel_id: project.channel.id,
        campaign: campaign_name.clone(),
        recipient: recipient(wa_id, Some(values), media),
        name: Some(name),
        tags,
        attributes,
    };
    state.app.send_api_campaign(p, cmd).await.map_err(|e| {
        let e = ApiError::from(e);
        match e.code {
            ErrorCode::CampaignNotFound => {
                ApiError::not_found(ErrorCode::CampaignNotFound, "campaign", &campaign_name)
                    .field("campaign_name")
            }
            ErrorCode::TagNotFound => e.field("tags"),
            _ if e.field.as_deref() == Some("params") => {
                let message = e.message.clone();
                ApiError::new(e.code, message).field("template_params")
            }
            _ if e.field.as_deref().is_some_and(|f| f.starts_with("media")) => {
                let (code, message) = (e.code, e.message.clone());
                let f = e
                    .field
                    .unwrap_or_default()
                    .replace("media.link", "media.url");
                ApiError::new(code, message).field(f)
            }
            _ => e,
        }
    })?;
    Ok(Json(json!({ "status": "success" })))
}

/// §18.
pub async fn list(
    State(state): State<AppState>,
    project: Project,
) -> Result<Json<Value>, ApiError> {
    let campaigns = all_campaigns(&state, &project, CampaignKind::Api).await?;
    let mut out = Vec::with_capacity(campaigns.len());
    for c in &campaigns {
        out.push(render(&state, &project, c).await?);
    }
    Ok(Json(json!({
        "campaign": out,
        "size": campaigns.len(),
        "count": campaigns.len(),
    })))
}

/// §19.
pub async fn get(
    State(state): State<AppState>,
    project: Project,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let c = project_campaign(&state, &project, &id).await?;
    Ok(Json(render(&state, &project, &c).await?))
}

/// A date parameter: `YYYY-MM-DD` (the day's start in `tz`; with `end`, the next day's),
/// an RFC 3339 time, or epoch milliseconds.
fn date(
    field: &'static str,
    v: Option<&Value>,
    tz: &jiff::tz::TimeZone,
    end: bool,
) -> Result<Option<Timestamp>, ValidationError> {
    let bad = || {
        ValidationError::new(
            field,
            "must be a date (2024-08-08), an ISO time (2024-08-08T06:33:14.058Z) or epoch \
             milliseconds",
        )
    };
    let ms = |n: i64| Timestamp::from_millisecond(n).map_err(|_| bad());
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(bad).and_then(ms).map(Some),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            if s.bytes().all(|b| b.is_ascii_digit()) {
                return s.parse::<i64>().map_err(|_| bad()).and_then(ms).map(Some);
            }
            if let Ok(t) = s.parse::<Timestamp>() {
                return Ok(Some(t));
            }
            let day: jiff::civil::Date = s.parse().map_err(|_| bad())?;
            let day = if end {
                day.tomorrow().map_err(|_| bad())?
            } else {
                day
            };
            let start = day.to_zoned(tz.clone()).map_err(|_| bad())?;
            Ok(Some(start.timestamp()))
        }
        Some(_) => Err(bad()),
    }
}

/// The per-category key of the seed's figures (`mc`, `uc`, `ac`, `sc`).
fn category_prefix(category: &str) -> Option<&'static str> {
    let c = category.to_ascii_lowercase();
    if c.starts_with("marketing") {
        Some("mc")
    } else if c.starts_with("utility") {
        Some("uc")
    } else if c.starts_with("authentication") {
        Some("ac")
    } else if c.starts_with("service") {
        Some("sc")
    } else {
        None
    }
}

/// An amount of the wallet's micro-units in its currency.
fn amount(micro: i64) -> f64 {
    micro as f64 / 1_000_000.0
}

/// One §20 `chats` entry.
fn day_entry(
    project: ChannelId,
    c: &Campaign,
    day: &CampaignDay,
    tz: &jiff::tz::TimeZone,
    zone: &str,
) -> Value {
    let start = day
        .date
        .parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(tz.clone()).ok())
        .map(|z| z.timestamp());
    let money = |d: &DayCounts| json!({ "amount": amount(d.cost), "count": d.charged });
    let only_country = (day.by_country.len() == 1)
        .then(|| day.by_country.keys().next().cloned())
        .flatten()
        .unwrap_or_else(|| "OTHERS".to_owned());
    let messages = |total: i64, price: f64| json!({"media": 0, "mediaSizeInMB": 0, "messagePrice": price, "text": total, "total": total});
    let zero_messages = messages(0, 0.0);
    let zero_money = json!({"OTHERS": {"amount": 0, "count": 0}});
    let mut e = Map::new();
    e.insert("_id".into(), json!(format!("{}:{}", c.id, day.date)));
    e.insert("assistantId".into(), json!(project.to_string()));
    e.insert("campaignId".into(), json!(c.id.to_string()));
    e.insert(
        "dayDate".into(),
        start.map_or(json!(day.date), |t| json!(iso(t))),
    );
    for prefix in ["ac", "bic", "mc", "sc", "uc", "uic"] {
        e.insert(format!("{prefix}Count"), json!(0));
        e.insert(format!("{prefix}CreditUsage"), json!(0));
        e.insert(
            format!("{prefix}CreditUsageCountryWise"),
            zero_money.clone(),
        );
    }
    for (category, d) in &day.by_category {
        if let Some(prefix) = category_prefix(category) {
            e.insert(format!("{prefix}Count"), json!(d.charged));
            e.insert(format!("{prefix}CreditUsage"), json!(amount(d.cost)));
            e.insert(
                format!("{prefix}CreditUsageCountryWise"),
                json!({ only_country.clone(): money(d) }),
            );
        }
    }
    let by_country: Map<String, Value> = day
        .by_country
        .iter()
        .map(|(country, d)| {
            let key = if country == "*" {
                "OTHERS"
            } else {
                country.as_str()
            };
            (key.to_owned(), money(d))
        })
        .collect();
    let n = &day.counts;
    e.insert("agentMessages".into(), zero_messages.clone());
    e.insert("businessCreatedMacCount".into(), json!(0));
    e.insert("campaignMessages".into(), messages(n.sent, amount(n.cost)));
    e.insert("chatbotMessages".into(), zero_messages.clone());
    e.insert("clientId".into(), json!(c.account_id.to_string()));
    e.insert("closedChatCount".into(), json!(0));
    e.insert("deliveredChatcount".into(), json!(n.delivered));
    e.insert("engagementCount".into(), json!(n.replied));
    e.insert("enqueuedChatCount".into(), json!(0));
    e.insert("failedChatCount".into(), json!(n.failed));
    e.insert("intervenedChatCount".into(), json!(0));
    e.insert("macUsageCount".into(), json!(0));
    e.insert("paymentCollected".into(), json!(0));
    e.insert("paymentCount".into(), json!(0));
    e.insert("paymentCreditUsage".into(), json!(0));
    e.insert("readChatCount".into(), json!(n.read));
    e.insert("repliedToCampaignCount".into(), json!(n.replied));
    e.insert("requestingChatCount".into(), json!(0));
    e.insert("sentChatCount".into(), json!(n.sent));
    e.insert("sessionMessagesCount".into(), json!(0));
    e.insert("templateCreditUsedCount".into(), json!(n.charged));
    e.insert(
        "templateCreditUsedCountryWise".into(),
        if by_country.is_empty() {
            zero_money
        } else {
            Value::Object(by_country)
        },
    );
    e.insert("templateMessagesCount".into(), json!(n.sent));
    e.insert("timezone".into(), json!(zone));
    e.insert("uniqueUserCount".into(), json!(n.sent));
    e.insert("uniqueVisitorCount".into(), json!(0));
    e.insert("userCreatedMacCount".into(), json!(0));
    e.insert("userMessages".into(), zero_messages);
    Value::Object(e)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnalyticsBody {
    #[serde(rename = "startDate")]
    start_date: Option<Value>,
    #[serde(rename = "endDate")]
    end_date: Option<Value>,
}

/// An optional JSON body: empty (or whitespace) reads as `{}`.
fn optional_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        parse_json(b"{}")
    } else {
        parse_json(body)
    }
}

/// §20.
pub async fn analytics(
    State(state): State<AppState>,
    project: Project,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let c = project_campaign(&state, &project, &id).await?;
    let body: AnalyticsBody = optional_body(&body)?;
    let p = &project.principal;
    let tz = state.app.account_timezone(p).await?;
    let since = date("startDate", body.start_date.as_ref(), &tz, false)?;
    let until = date("endDate", body.end_date.as_ref(), &tz, true)?;
    if let (Some(s), Some(u)) = (since, until)
        && u <= s
    {
        return Err(ValidationError::new("endDate", "must be after startDate").into());
    }
    let days = state
        .app
        .campaign_days(p, c.id, since, until)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::CampaignNotFound, "campaign", &id))?;
    let zone = zone_label(tz.iana_name().unwrap_or("UTC"), &tz, state.app.now());
    let chats: Vec<Value> = days
        .iter()
        .map(|d| day_entry(project.channel.id, &c, d, &tz, &zone))
        .collect();
    Ok(Json(json!({ "chats": chats })))
}

/// §21's query.
#[derive(Debug, Deserialize)]
pub struct AudienceQuery {
    after: Option<String>,
    before: Option<String>,
    category: Option<String>,
    #[serde(rename = "endDate")]
    end_date: Option<String>,
    fields: Option<String>,
    limit: Option<String>,
    sort: Option<String>,
    #[serde(rename = "startDate")]
    start_date: Option<String>,
}

/// The fields of a §21 row.
const AUDIENCE_FIELDS: &[&str] = &[
    "_id",
    "assistantId",
    "campaignId",
    "chatId",
    "userNumber",
    "__v",
    "isoCode",
    "sentAt",
    "userName",
    "deliveredAt",
    "readAt",
    "failedAt",
    "repliedAt",
];

fn cursor(row: u64) -> String {
    B64.encode(format!("row:{row}"))
}

fn read_cursor(field: &'static str, raw: &str) -> Result<u64, ValidationError> {
    B64.decode(raw.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("row:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| {
            ValidationError::new(field, "is not a cursor of this list (use paging.cursors)")
        })
}

/// One §21 row.
async fn audience_row(
    state: &AppState,
    project: &Project,
    c: &Campaign,
    r: &RecipientView,
) -> Result<Map<String, Value>, ApiError> {
    let card = state
        .app
        .contact_by_number(&project.principal, &r.wa_id)
        .await
        .ok();
    let mut row = Map::new();
    row.insert(
        "_id".into(),
        json!(
            r.message_id
                .map_or_else(|| format!("row:{}", r.row), |m| m.to_string())
        ),
    );
    row.insert("assistantId".into(), json!(project.channel.id.to_string()));
    row.insert("campaignId".into(), json!(c.id.to_string()));
    row.insert(
        "chatId".into(),
        json!(card.as_ref().map(|c| c.id.to_string())),
    );
    row.insert("userNumber".into(), json!(r.wa_id.digits()));
    row.insert("__v".into(), json!(0));
    row.insert(
        "isoCode".into(),
        json!(country_of(r.wa_id.digits()).map(|(_, iso)| iso)),
    );
    let mut time = |k: &str, t: Option<Timestamp>| {
        if let Some(t) = t {
            row.insert(k.into(), json!(iso(t)));
        }
    };
    time("sentAt", r.sent_at);
    time("deliveredAt", r.delivered_at);
    time("readAt", r.read_at);
    time("failedAt", r.failed_at);
    time("repliedAt", r.replied_at);
    let name = card.as_ref().and_then(|c| {
        c.name
            .as_ref()
            .map(|n| n.as_str().to_owned())
            .or_else(|| c.profile_name.clone())
    });
    row.insert("userName".into(), json!(name));
    Ok(row)
}

/// §21.
pub async fn audience(
    State(state): State<AppState>,
    project: Project,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<AudienceQuery>,
) -> Result<Json<Value>, ApiError> {
    let c = project_campaign(&state, &project, &id).await?;
    let p = &project.principal;
    let limit: u32 = match q.limit.as_deref().map(str::trim) {
        None | Some("") => 20,
        Some(l) => l
            .parse()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| ValidationError::new("limit", "must be a number from 1 to 100"))?,
    };
    let descending = match q.sort.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(s) if s.eq_ignore_ascii_case("asc") => false,
        Some(s) if s.eq_ignore_ascii_case("desc") => true,
        Some(_) => return Err(ValidationError::new("sort", "must be asc or desc").into()),
    };
    let mut clicked = false;
    let state_filter = match q.category.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(cat) => match cat.to_ascii_uppercase().as_str() {
            "SENT" => Some(RecipientState::Sent),
            "DELIVERED" => Some(RecipientState::Delivered),
            "READ" => Some(RecipientState::Read),
            "FAILED" => Some(RecipientState::Failed),
            "REPLIED" => Some(RecipientState::Replied),
            "CLICKED" => {
                clicked = true;
                None
            }
            _ => {
                return Err(ValidationError::new(
                    "category",
                    "must be SENT, DELIVERED, READ, FAILED, REPLIED or CLICKED",
                )
                .into());
            }
        },
    };
    let fields: Option<Vec<&str>> = match q.fields.as_deref() {
        None => None,
        Some(f) => Some(
            crate::kit::params::comma_list(f)
                .map(|f| {
                    AUDIENCE_FIELDS
                        .iter()
                        .copied()
                        .find(|k| *k == f)
                        .ok_or_else(|| {
                            ValidationError::new(
                                "fields",
                                format!(
                                    "`{f}` is not a field; known: {}",
                                    AUDIENCE_FIELDS.join(", ")
                                ),
                            )
                        })
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    let tz = state.app.account_timezone(p).await?;
    let text = |v: &Option<String>| v.clone().map(Value::String);
    let since = date("startDate", text(&q.start_date).as_ref(), &tz, false)?;
    let until = date("endDate", text(&q.end_date).as_ref(), &tz, true)?;
    let after = q
        .after
        .as_deref()
        .map(|a| read_cursor("after", a))
        .transpose()?;
    let before = q
        .before
        .as_deref()
        .map(|b| read_cursor("before", b))
        .transpose()?;
    if after.is_some() && before.is_some() {
        return Err(ValidationError::new("before", "give `after` or `before`, not both").into());
    }
    if clicked {
        return Ok(Json(json!({
            "total": 0, "data": [], "paging": {"cursors": {"after": null, "before": null}},
        })));
    }
    // Rows before a cursor are the rows after it in the other order, reversed.
    let filter = RecipientFilter {
        state: state_filter,
        since,
        until,
        descending: descending != before.is_some(),
    };
    let (mut rows, total) = state
        .app
        .campaign_recipients(p, c.id, &filter, after.or(before), limit)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::CampaignNotFound, "campaign", &id))?;
    if before.is_some() {
        rows.reverse();
    }
    let mut data = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut row = audience_row(&state, &project, &c, r).await?;
        if let Some(fields) = &fields {
            row.retain(|k, _| k == "_id" || fields.contains(&k.as_str()));
        }
        data.push(Value::Object(row));
    }
    Ok(Json(json!({
        "total": total,
        "data": data,
        "paging": {"cursors": {
            "after": rows.last().map(|r| cursor(r.row)),
            "before": rows.first().map(|r| cursor(r.row)),
        }},
    })))
}

/// §22's body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignsBody {
    skip: Option<u64>,
    limit: Option<u64>,
    #[serde(rename = "campaignType")]
    campaign_type: Option<String>,
}

/// §22 "Get Campaigns".
pub async fn campaigns(
    State(state): State<AppState>,
    project: Project,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    project_campaign(&state, &project, &id).await?;
    let body: CampaignsBody = parse_json(&body)?;
    let kind = match required("campaignType", body.campaign_type.as_deref())?
        .trim()
        .to_ascii_uppercase()
        .as_str()
    {
        "API" => CampaignKind::Api,
        "BROADCAST" => CampaignKind::Broadcast,
        _ => {
            return Err(ValidationError::new("campaignType", "must be API or BROADCAST").into());
        }
    };
    let skip = usize::try_from(body.skip.unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = match body.limit.unwrap_or(0) {
        0 => usize::MAX,
        n => usize::try_from(n).unwrap_or(usize::MAX),
    };
    let all = all_campaigns(&state, &project, kind).await?;
    let mut out = Vec::new();
    for c in all.iter().skip(skip).take(limit) {
        out.push(render(&state, &project, c).await?);
    }
    Ok(Json(json!({ "campaigns": out })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_iso_times_or_epoch_ms() {
        let tz = jiff::tz::TimeZone::get("Asia/Kolkata").unwrap();
        let d = |v: Value, end| date("startDate", Some(&v), &tz, end);
        assert_eq!(
            d(json!("2024-08-08"), false).unwrap().unwrap().to_string(),
            "2024-08-07T18:30:00Z"
        );
        assert_eq!(
            d(json!("2024-08-08"), true).unwrap().unwrap().to_string(),
            "2024-08-08T18:30:00Z"
        );
        assert_eq!(
            d(json!(1_723_103_996_851_i64), false)
                .unwrap()
                .unwrap()
                .as_millisecond(),
            1_723_103_996_851
        );
        assert_eq!(
            d(json!("1723103996851"), false)
                .unwrap()
                .unwrap()
                .as_millisecond(),
            1_723_103_996_851
        );
        assert!(
            d(json!("2024-08-08T06:33:14.058Z"), false)
                .unwrap()
                .is_some()
        );
        assert!(d(json!("yesterday"), false).is_err());
        assert!(d(json!(true), false).is_err());
        assert!(d(json!(""), false).unwrap().is_none());
    }

    #[test]
    fn cursors_round_trip_and_others_are_refused() {
        assert_eq!(read_cursor("after", &cursor(42)).unwrap(), 42);
        assert!(read_cursor("after", "NjZiNDhmZDgzMzBmNGEyZGI2YzI4M2I3").is_err());
        assert!(read_cursor("after", "%%").is_err());
    }

    #[test]
    fn template_params_are_values() {
        assert_eq!(
            template_params(Some(&json!(["Brindha", 7]))).unwrap(),
            vec!["Brindha", "7"]
        );
        assert_eq!(template_params(Some(&json!("one"))).unwrap(), vec!["one"]);
        assert!(template_params(None).unwrap().is_empty());
        assert!(template_params(Some(&json!([{"x": 1}]))).is_err());
        assert!(template_params(Some(&json!({"x": 1}))).is_err());
    }
}
