//! Meta's WABA analytics (reference §1.5) for sandbox WABAs, from wagate's message counters
//! ([`wagate_app::analytics`]). A cloud channel's WABA is Meta's to answer: those calls go
//! to Meta before they reach this module ([`super::passthrough`]).
//!
//! - `GET /{waba_id}?fields=analytics.start(T).end(T).granularity(HALF_HOUR|DAY|MONTH)`
//!   `[.phone_numbers([…])][.country_codes([…])][.product_types([0,2])]` → messages sent and
//!   delivered per period: `{"analytics": {"phone_numbers", "country_codes", "granularity",
//!   "data_points": [{"start", "end", "sent", "delivered"}]}, "id"}`, every period of the
//!   range, with zeros, as Meta answers it;
//! - `…?fields=conversation_analytics.start(T).end(T).granularity(HALF_HOUR|DAILY|MONTHLY)`
//!   `[.phone_numbers()][.metric_types(["COST","CONVERSATION"])][.conversation_categories()]`
//!   `[.conversation_types()][.conversation_directions()][.dimensions([…])]` →
//!   `{"conversation_analytics": {"data": [{"data_points": [{"start", "end", "conversation",
//!   "cost", …the dimensions asked}]}]}, "id"}`;
//! - `…?fields=pricing_analytics.start(T).end(T).granularity(HALF_HOUR|DAILY|MONTHLY)`
//!   `[.phone_numbers()][.country_codes()][.metric_types(["COST","VOLUME"])][.pricing_types()]`
//!   `[.pricing_categories()][.dimensions([…])]` → `{"pricing_analytics": {"data":
//!   [{"data_points": [{"start", "end", "volume", "cost", …}]}]}, "id"}`;
//! - `GET /{waba_id}/template_analytics?start=T&end=T&granularity=DAILY&template_ids=[…]`
//!   `[&metric_types=[…]]`, or the WABA field `template_analytics.start(T)…` → `{"data":
//!   [{"granularity": "DAILY", "product_type": "cloud_api", "data_points": [{"template_id",
//!   "start", "end", "sent", "delivered", "read", "replied", "clicked": [], "cost": […]}]}],
//!   "paging"}`, every day of the range for each template, with zeros.
//!
//! Times are Unix seconds; days and months follow the account's time zone. Lists are
//! written `["A","B"]`, `[A,B]` or `A,B`. A missing or malformed parameter, a granularity
//! the analytics does not take, an unknown modifier, more than 10 template ids or one that
//! is not the WABA's template is Graph's code 100; another account's WABA, like an unknown
//! one, 100/33. A channel-scoped key sees its channels' figures only.
//!
//! # What the figures are
//!
//! Everything is summed from the counters ([`wagate_core::analytics`]), never from messages.
//! Meta prices per message since 1 July 2025, so its conversation figures no longer exist as
//! such; wagate derives them, and the pricing figures, with one rule:
//!
//! - a business message delivered is one conversation and one unit of pricing volume
//!   ([`Delivered`]): wagate already reports one conversation per priced message on its
//!   statuses, and Meta charges on delivery;
//! - a **charged** one is `REGULAR` (both pricing and conversation type) and
//!   `BUSINESS_INITIATED`, and costs its charge;
//! - a **free** one (delivered − charged: free-form messages and utility templates inside
//!   the user's customer-service window) is `FREE_CUSTOMER_SERVICE` as pricing type, and a
//!   `FREE_TIER`, `USER_INITIATED` conversation (the user opened the window), costing 0;
//! - the category is the message's pricing category (`MARKETING`, `UTILITY`,
//!   `AUTHENTICATION`, `SERVICE`…); a user's message is no conversation by itself (as under
//!   conversation-based pricing, a service conversation began with the business's answer);
//! - wagate cannot tell a free-entry-point message from other free ones: `FREE_ENTRY` and
//!   `FREE_ENTRY_POINT` are accepted as filters and match nothing; its rate card has no
//!   volume tiers, so `tier` is `0:MAX`;
//! - `cost` is in the wallet's currency (micro-units ÷ 10⁶: floats only here, at the wire);
//!   a quota wallet spends messages, not money, and reports 0;
//! - conversation and pricing answers list the periods and dimension values that have
//!   figures; messaging and template analytics list every period;
//! - template analytics count the template's messages by name and language; `replied` (a
//!   user's message quoting one, a quick-reply tap included) is wagate's addition and comes
//!   whatever `metric_types` asks (`REPLIED` is accepted there too); `clicked` is always
//!   `[]`: URL button clicks go to the business's site, which wagate does not see.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::Json;
use axum::extract::State;
use base64::Engine;
use serde::Serialize;
use serde_json::{Value, json};
use wagate_app::Principal;
use wagate_app::analytics::{AnalyticsQuery, DataPoint, Delivered, Dimension, Filter};
use wagate_app::channels::profile::WabaInfo;
use wagate_core::Timestamp;
use wagate_core::analytics::{Counts, Granularity};
use wagate_core::billing::wallet::WalletKind;
use wagate_core::error::ErrorCode;
use wagate_core::ids::{ChannelId, TemplateId, WabaId};

use super::path::ObjectPath;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::kit::fields::Field;
use crate::state::AppState;

/// The WABA fields this module answers (see [`field`]).
pub const FIELDS: &[&str] = &[
    "analytics",
    "conversation_analytics",
    "pricing_analytics",
    "template_analytics",
];

/// Most template ids one template analytics request may name (Meta's limit).
const MAX_TEMPLATE_IDS: usize = 10;

/// A bad parameter: Graph's code 100.
fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, message)
}

// ---------------------------------------------------------------------------------------
// Parameters.

/// A request's parameters by name: a WABA field's modifiers (`analytics.start(1).end(2)`)
/// or an edge's query string (`template_analytics?start=1&end=2`).
#[derive(Debug, Default)]
struct Args(BTreeMap<String, String>);

impl Args {
    /// `f`'s modifiers. One that `known` does not list, or one given twice, is code 100.
    fn of_field(f: &Field, known: &[&str]) -> Result<Self, ApiError> {
        let mut args = BTreeMap::new();
        for m in &f.modifiers {
            if !known.contains(&m.name.as_str()) {
                return Err(bad(format!(
                    "{} does not take the parameter {}; it takes {}",
                    f.name,
                    m.name,
                    known.join(", ")
                )));
            }
            let value = m.argument.clone().unwrap_or_default();
            if args.insert(m.name.clone(), value).is_some() {
                return Err(bad(format!("Param {} is given twice", m.name)));
            }
        }
        Ok(Self(args))
    }

    /// The `known` parameters of a query string (others, like `access_token`, are not the
    /// analytics' business).
    fn of_query(q: &HashMap<String, String>, known: &[&str]) -> Self {
        Self(
            q.iter()
                .filter(|(k, _)| known.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A required Unix time in seconds.
    fn time(&self, name: &str) -> Result<Timestamp, ApiError> {
        let raw = self
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| bad(format!("The parameter {name} is required")))?;
        unix_time(raw).ok_or_else(|| bad(format!("Param {name} must be a Unix time in seconds")))
    }

    /// A list parameter's items, `None` when absent.
    fn list(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(list_items)
    }

    /// One of `choices` (case-insensitive), `None` when absent.
    fn one_of<T: Copy>(
        &self,
        name: &str,
        choices: &[(&'static str, T)],
    ) -> Result<Option<T>, ApiError> {
        self.get(name)
            .map(|v| choice(name, v.trim().trim_matches(['"', '\'']), choices))
            .transpose()
    }

    /// A list of `choices`, `None` when absent.
    fn list_of<T: Copy>(
        &self,
        name: &str,
        choices: &[(&'static str, T)],
    ) -> Result<Option<Vec<T>>, ApiError> {
        self.list(name)
            .map(|items| items.iter().map(|i| choice(name, i, choices)).collect())
            .transpose()
    }

    /// `start`, `end` and a required `granularity` of `choices`.
    fn range(&self, granularities: &[(&'static str, Granularity)]) -> Result<Range, ApiError> {
        let start = self.time("start")?;
        let end = self.time("end")?;
        let granularity = self
            .one_of("granularity", granularities)?
            .ok_or_else(|| bad("The parameter granularity is required"))?;
        let name = granularities
            .iter()
            .find(|(_, g)| *g == granularity)
            .map_or("", |(n, _)| n);
        Ok(Range {
            start,
            end,
            granularity,
            name,
        })
    }
}

/// A list argument as Graph clients write it: `["A","B"]`, `[A, B]`, `A,B`, `[]`. Items are
/// trimmed of spaces and quotes; empty ones are dropped.
fn list_items(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    let inner = raw
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(raw);
    inner
        .split(',')
        .map(|s| s.trim().trim_matches(['"', '\'']).trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Unix seconds (not before 1970).
fn unix_time(raw: &str) -> Option<Timestamp> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|s| *s >= 0)
        .and_then(|s| Timestamp::from_second(s).ok())
}

fn choice<T: Copy>(name: &str, value: &str, choices: &[(&'static str, T)]) -> Result<T, ApiError> {
    choices
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(value))
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            bad(format!(
                "Param {name} must be one of {{{}}} - got \"{value}\"",
                names.join(", ")
            ))
        })
}

/// A phone number as Graph names it in analytics: its digits.
fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// A request's time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    start: Timestamp,
    end: Timestamp,
    granularity: Granularity,
    /// The granularity as asked, to answer it back.
    name: &'static str,
}

const MESSAGING_GRANULARITIES: &[(&str, Granularity)] = &[
    ("HALF_HOUR", Granularity::HalfHour),
    ("DAY", Granularity::Day),
    ("MONTH", Granularity::Month),
];

const BILLING_GRANULARITIES: &[(&str, Granularity)] = &[
    ("HALF_HOUR", Granularity::HalfHour),
    ("DAILY", Granularity::Day),
    ("MONTHLY", Granularity::Month),
];

/// Pricing categories as Meta names them (the counters keep them lowercase).
const CATEGORIES: &[(&str, &str)] = &[
    ("AUTHENTICATION", "AUTHENTICATION"),
    (
        "AUTHENTICATION_INTERNATIONAL",
        "AUTHENTICATION_INTERNATIONAL",
    ),
    ("MARKETING", "MARKETING"),
    ("MARKETING_LITE", "MARKETING_LITE"),
    ("SERVICE", "SERVICE"),
    ("UTILITY", "UTILITY"),
    ("REFERRAL_CONVERSION", "REFERRAL_CONVERSION"),
];

/// Whether a line is charged (`Some(true)`), free (`Some(false)`), or neither can be (a
/// free entry point: `None`, which matches no line).
type Charged = Option<bool>;

// ---------------------------------------------------------------------------------------
// Requests.

/// Meta's messaging `product_types`: 0 notifications (templates), 2 customer support
/// (free-form messages, priced as `service`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProductType {
    Notification,
    CustomerSupport,
}

/// `analytics.…`: messages sent and delivered.
#[derive(Debug)]
struct MessagingRequest {
    range: Range,
    phone_numbers: Option<Vec<String>>,
    country_codes: Option<Vec<String>>,
    product_types: Option<Vec<ProductType>>,
}

impl MessagingRequest {
    const PARAMS: &[&str] = &[
        "start",
        "end",
        "granularity",
        "phone_numbers",
        "country_codes",
        "product_types",
    ];

    fn parse(a: &Args) -> Result<Self, ApiError> {
        Ok(Self {
            range: a.range(MESSAGING_GRANULARITIES)?,
            phone_numbers: a
                .list("phone_numbers")
                .map(|l| l.iter().map(|n| digits(n)).collect()),
            country_codes: a
                .list("country_codes")
                .map(|l| l.iter().map(|c| c.to_ascii_uppercase()).collect()),
            product_types: a.list_of(
                "product_types",
                &[
                    ("0", ProductType::Notification),
                    ("2", ProductType::CustomerSupport),
                ],
            )?,
        })
    }
}

/// Which of a count and a cost an answer carries (`metric_types`, both when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Metrics {
    count: bool,
    cost: bool,
}

impl Metrics {
    fn parse(a: &Args, count: &'static str) -> Result<Self, ApiError> {
        Ok(
            match a.list_of("metric_types", &[(count, true), ("COST", false)])? {
                None => Self {
                    count: true,
                    cost: true,
                },
                Some(m) => Self {
                    count: m.contains(&true),
                    cost: m.contains(&false),
                },
            },
        )
    }
}

/// A dimension of conversation or pricing analytics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BillingDimension {
    Category,
    /// Conversation or pricing type (both follow from whether a line is charged).
    Type,
    /// Conversation direction (follows from whether a line is charged too).
    Direction,
    Country,
    Phone,
    Tier,
}

/// `conversation_analytics.…` or `pricing_analytics.…`, in one shape: what both filter and
/// split by.
#[derive(Debug)]
struct BillingRequest {
    range: Range,
    phone_numbers: Option<Vec<String>>,
    country_codes: Option<Vec<String>>,
    metrics: Metrics,
    categories: Option<Vec<&'static str>>,
    /// Pricing or conversation types, and conversation directions, as charged or free.
    charged: Vec<Vec<Charged>>,
    dimensions: Vec<BillingDimension>,
}

impl BillingRequest {
    const CONVERSATION_PARAMS: &[&str] = &[
        "start",
        "end",
        "granularity",
        "phone_numbers",
        "metric_types",
        "conversation_categories",
        "conversation_types",
        "conversation_directions",
        "dimensions",
    ];

    const PRICING_PARAMS: &[&str] = &[
        "start",
        "end",
        "granularity",
        "phone_numbers",
        "country_codes",
        "metric_types",
        "pricing_types",
        "pricing_categories",
        "dimensions",
    ];

    fn conversation(a: &Args) -> Result<Self, ApiError> {
        let mut charged = Vec::new();
        if let Some(t) = a.list_of(
            "conversation_types",
            &[
                ("REGULAR", Some(true)),
                ("FREE_TIER", Some(false)),
                ("FREE_ENTRY", None),
            ],
        )? {
            charged.push(t);
        }
        if let Some(d) = a.list_of(
            "conversation_directions",
            &[
                ("BUSINESS_INITIATED", Some(true)),
                ("USER_INITIATED", Some(false)),
            ],
        )? {
            charged.push(d);
        }
        Ok(Self {
            range: a.range(BILLING_GRANULARITIES)?,
            phone_numbers: phone_numbers(a),
            country_codes: None,
            metrics: Metrics::parse(a, "CONVERSATION")?,
            categories: a.list_of("conversation_categories", CATEGORIES)?,
            charged,
            dimensions: a
                .list_of(
                    "dimensions",
                    &[
                        ("CONVERSATION_CATEGORY", BillingDimension::Category),
                        ("CONVERSATION_TYPE", BillingDimension::Type),
                        ("CONVERSATION_DIRECTION", BillingDimension::Direction),
                        ("COUNTRY", BillingDimension::Country),
                        ("PHONE", BillingDimension::Phone),
                    ],
                )?
                .unwrap_or_default(),
        })
    }

    fn pricing(a: &Args) -> Result<Self, ApiError> {
        let mut charged = Vec::new();
        if let Some(t) = a.list_of(
            "pricing_types",
            &[
                ("REGULAR", Some(true)),
                ("FREE_CUSTOMER_SERVICE", Some(false)),
                ("FREE_ENTRY_POINT", None),
            ],
        )? {
            charged.push(t);
        }
        Ok(Self {
            range: a.range(BILLING_GRANULARITIES)?,
            phone_numbers: phone_numbers(a),
            country_codes: a
                .list("country_codes")
                .map(|l| l.iter().map(|c| c.to_ascii_uppercase()).collect()),
            metrics: Metrics::parse(a, "VOLUME")?,
            categories: a.list_of("pricing_categories", CATEGORIES)?,
            charged,
            dimensions: a
                .list_of(
                    "dimensions",
                    &[
                        ("PRICING_CATEGORY", BillingDimension::Category),
                        ("PRICING_TYPE", BillingDimension::Type),
                        ("COUNTRY", BillingDimension::Country),
                        ("PHONE", BillingDimension::Phone),
                        ("TIER", BillingDimension::Tier),
                    ],
                )?
                .unwrap_or_default(),
        })
    }

    fn has(&self, d: BillingDimension) -> bool {
        self.dimensions.contains(&d)
    }
}

fn phone_numbers(a: &Args) -> Option<Vec<String>> {
    a.list("phone_numbers")
        .map(|l| l.iter().map(|n| digits(n)).collect())
}

/// `template_analytics`: the metrics it may answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TemplateMetric {
    Sent,
    Delivered,
    Read,
    Replied,
    Clicked,
    Cost,
}

/// `template_analytics?…` or `template_analytics.…`.
#[derive(Debug)]
struct TemplateRequest {
    start: Timestamp,
    end: Timestamp,
    /// As given, without repeats: 1 to [`MAX_TEMPLATE_IDS`].
    template_ids: Vec<String>,
    /// Every metric when absent.
    metrics: Option<Vec<TemplateMetric>>,
}

impl TemplateRequest {
    const PARAMS: &[&str] = &[
        "start",
        "end",
        "granularity",
        "template_ids",
        "metric_types",
    ];

    fn parse(a: &Args) -> Result<Self, ApiError> {
        let range = a.range(&[("DAILY", Granularity::Day)])?;
        let mut template_ids: Vec<String> = Vec::new();
        for id in a.list("template_ids").unwrap_or_default() {
            if !template_ids.contains(&id) {
                template_ids.push(id);
            }
        }
        if template_ids.is_empty() {
            return Err(bad("The parameter template_ids is required"));
        }
        if template_ids.len() > MAX_TEMPLATE_IDS {
            return Err(bad(format!(
                "Param template_ids must name at most {MAX_TEMPLATE_IDS} templates"
            )));
        }
        let metrics = a.list_of(
            "metric_types",
            &[
                ("SENT", TemplateMetric::Sent),
                ("DELIVERED", TemplateMetric::Delivered),
                ("READ", TemplateMetric::Read),
                ("REPLIED", TemplateMetric::Replied),
                ("CLICKED", TemplateMetric::Clicked),
                ("COST", TemplateMetric::Cost),
            ],
        )?;
        Ok(Self {
            start: range.start,
            end: range.end,
            template_ids,
            metrics: metrics.filter(|m| !m.is_empty()),
        })
    }

    fn wants(&self, m: TemplateMetric) -> bool {
        self.metrics.as_ref().is_none_or(|ms| ms.contains(&m))
    }
}

// ---------------------------------------------------------------------------------------
// Handlers.

/// `GET /{waba_id}/template_analytics?start=&end=&granularity=DAILY&template_ids=[…]
/// [&metric_types=[…]]`: sends, deliveries, reads, replies and cost of up to 10 of the
/// WABA's templates, per day.
pub async fn template_analytics(
    State(state): State<AppState>,
    Auth(p): Auth,
    ObjectPath(object_id): ObjectPath,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let id = ApiError::known(
        WabaId::parse(&object_id),
        ErrorCode::ChannelNotFound,
        "object",
        &object_id,
    )?;
    let waba = state
        .app
        .waba_info(&p, &id)
        .await
        .map_err(|e| ApiError::naming(e, ErrorCode::ChannelNotFound, "object", &object_id))?;
    let req = TemplateRequest::parse(&Args::of_query(&q, TemplateRequest::PARAMS))?;
    Ok(Json(templates(&state, &p, &waba, &req).await?))
}

/// The value of a WABA field of [`FIELDS`], as `GET /{waba_id}?fields=` answers it.
pub async fn field(
    state: &AppState,
    p: &Principal,
    waba: &WabaInfo,
    f: &Field,
) -> Result<Value, ApiError> {
    match f.name.as_str() {
        "analytics" => {
            let req = MessagingRequest::parse(&Args::of_field(f, MessagingRequest::PARAMS)?)?;
            messaging(state, p, waba, &req).await
        }
        "conversation_analytics" => {
            let req = BillingRequest::conversation(&Args::of_field(
                f,
                BillingRequest::CONVERSATION_PARAMS,
            )?)?;
            billing(state, p, waba, &req, Kind::Conversation).await
        }
        "pricing_analytics" => {
            let req = BillingRequest::pricing(&Args::of_field(f, BillingRequest::PRICING_PARAMS)?)?;
            billing(state, p, waba, &req, Kind::Pricing).await
        }
        "template_analytics" => {
            let req = TemplateRequest::parse(&Args::of_field(f, TemplateRequest::PARAMS)?)?;
            templates(state, p, waba, &req).await
        }
        other => Err(bad(format!(
            "Tried accessing nonexisting field ({other}) on node type (WhatsAppBusinessAccount)"
        ))),
    }
}

/// The counters' data points for `q`; a range the query refuses (end before start, too
/// long) is code 100 here, as Meta answers it.
async fn figures(
    state: &AppState,
    p: &Principal,
    q: &AnalyticsQuery,
) -> Result<Vec<DataPoint>, ApiError> {
    state
        .app
        .message_analytics(p, q)
        .await
        .map_err(|e| match ApiError::from(e) {
            err if matches!(
                err.code,
                ErrorCode::InvalidRequest | ErrorCode::InvalidParameterValue
            ) =>
            {
                ApiError {
                    code: ErrorCode::InvalidQuery,
                    ..err
                }
            }
            err => err,
        })
}

fn query(range: &Range, dimensions: Vec<Dimension>) -> AnalyticsQuery {
    AnalyticsQuery {
        start: range.start,
        end: range.end,
        granularity: range.granularity,
        channel: None,
        dimensions,
        filter: Filter {
            direction: Some("business_initiated".to_owned()),
            ..Filter::default()
        },
    }
}

/// Costs as Graph reports them: currency units, a JSON number — the one place wagate's
/// integer micro-units become floats. A quota wallet spends messages, not money: 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Money {
    credits: bool,
}

impl Money {
    async fn of(state: &AppState, p: &Principal) -> Result<Self, ApiError> {
        let wallet = state.app.get_wallet(p).await?;
        Ok(Self {
            credits: wallet.kind == WalletKind::Credits,
        })
    }

    fn amount(self, micros: i64) -> f64 {
        if self.credits {
            micros as f64 / 1e6
        } else {
            0.0
        }
    }
}

/// The WABA's numbers a request covers: each channel's number as digits.
#[derive(Debug, Default)]
struct Scope(HashMap<ChannelId, String>);

impl Scope {
    /// `numbers` of the WABA, narrowed to `filter` (digits) when given.
    fn new(
        numbers: impl IntoIterator<Item = (ChannelId, String)>,
        filter: Option<&[String]>,
    ) -> Self {
        Self(
            numbers
                .into_iter()
                .filter(|(_, n)| filter.is_none_or(|f| f.contains(n)))
                .collect(),
        )
    }

    fn of(waba: &WabaInfo, filter: Option<&[String]>) -> Self {
        Self::new(
            waba.channels
                .iter()
                .map(|c| (c.id, c.display_phone_number.digits().to_owned())),
            filter,
        )
    }

    fn phone(&self, p: &DataPoint) -> Option<&str> {
        p.channel_id
            .and_then(|c| self.0.get(&c))
            .map(String::as_str)
    }
}

fn unix(t: Timestamp) -> i64 {
    t.as_second()
}

// ---------------------------------------------------------------------------------------
// Messaging analytics.

#[derive(Debug, Serialize)]
struct MessagingAnswer {
    phone_numbers: Vec<String>,
    country_codes: Vec<String>,
    granularity: &'static str,
    data_points: Vec<MessagingPoint>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
struct MessagingPoint {
    start: i64,
    end: i64,
    sent: i64,
    delivered: i64,
}

async fn messaging(
    state: &AppState,
    p: &Principal,
    waba: &WabaInfo,
    req: &MessagingRequest,
) -> Result<Value, ApiError> {
    let q = query(
        &req.range,
        vec![Dimension::Channel, Dimension::Country, Dimension::Category],
    );
    let points = figures(state, p, &q).await?;
    let periods = state.app.analytics_periods(p, &q).await?;
    let scope = Scope::of(waba, req.phone_numbers.as_deref());
    let (data_points, countries) = messaging_points(&points, &periods, &scope, req);
    let phone_numbers = match &req.phone_numbers {
        Some(asked) => asked.clone(),
        None => waba
            .channels
            .iter()
            .map(|c| c.display_phone_number.digits().to_owned())
            .collect(),
    };
    let answer = MessagingAnswer {
        phone_numbers,
        country_codes: req.country_codes.clone().unwrap_or(countries),
        granularity: req.range.name,
        data_points,
    };
    serde_json::to_value(answer).map_err(ApiError::internal)
}

/// Sent and delivered per period of `periods` (zeros included), of the points `scope`
/// and `req`'s filters admit; and the countries seen.
fn messaging_points(
    points: &[DataPoint],
    periods: &[(Timestamp, Timestamp)],
    scope: &Scope,
    req: &MessagingRequest,
) -> (Vec<MessagingPoint>, Vec<String>) {
    let mut sums: HashMap<Timestamp, Counts> = HashMap::new();
    let mut countries = BTreeSet::new();
    for point in points {
        if scope.phone(point).is_none() {
            continue;
        }
        let country = point.country.as_deref().unwrap_or("*");
        if req
            .country_codes
            .as_ref()
            .is_some_and(|c| !c.iter().any(|c| c == country))
        {
            continue;
        }
        let product = if point.category.as_deref() == Some("service") {
            ProductType::CustomerSupport
        } else {
            ProductType::Notification
        };
        if req
            .product_types
            .as_ref()
            .is_some_and(|t| !t.contains(&product))
        {
            continue;
        }
        if point.counts.sent != 0 || point.counts.delivered != 0 {
            countries.insert(country.to_owned());
        }
        sums.entry(point.start).or_default().add(&point.counts);
    }
    let data = periods
        .iter()
        .map(|(start, end)| {
            let c = sums.get(start).copied().unwrap_or_default();
            MessagingPoint {
                start: unix(*start),
                end: unix(*end),
                sent: c.sent,
                delivered: c.delivered,
            }
        })
        .collect();
    (data, countries.into_iter().collect())
}

// ---------------------------------------------------------------------------------------
// Conversation and pricing analytics.

/// Which of the two a [`BillingRequest`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Conversation,
    Pricing,
}

/// One part of a data point's delivered business messages: its charged or its free ones
/// (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    start: Timestamp,
    end: Timestamp,
    phone: String,
    country: String,
    /// Meta's spelling: `MARKETING`, `SERVICE`…
    category: String,
    charged: bool,
    count: i64,
    cost: i64,
}

/// The lines of `points` in `scope`: up to two per point (charged, free), empty ones left out.
fn lines(points: &[DataPoint], scope: &Scope) -> Vec<Line> {
    let mut out = Vec::new();
    for point in points {
        let Some(phone) = scope.phone(point) else {
            continue;
        };
        let d = Delivered::of(&point.counts);
        for (charged, count, cost) in [(true, d.charged, d.cost), (false, d.free, 0)] {
            if count == 0 && cost == 0 {
                continue;
            }
            out.push(Line {
                start: point.start,
                end: point.end,
                phone: phone.to_owned(),
                country: point.country.clone().unwrap_or_else(|| "*".to_owned()),
                category: point
                    .category
                    .as_deref()
                    .unwrap_or("service")
                    .to_ascii_uppercase(),
                charged,
                count,
                cost,
            });
        }
    }
    out
}

/// A data point of conversation or pricing analytics: the dimensions asked, and the
/// metrics asked.
#[derive(Debug, Serialize, PartialEq)]
struct BillingPoint {
    start: i64,
    end: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    volume: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_direction: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pricing_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pricing_category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<f64>,
}

/// What lines are grouped by: the period and the dimensions asked.
type BillingKey = (
    Timestamp,
    Timestamp,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<bool>,
);

/// `lines` filtered by `req`, summed by period and the dimensions asked, as `kind` names
/// them. Groups without figures are left out.
fn billing_points(
    lines: &[Line],
    req: &BillingRequest,
    kind: Kind,
    money: Money,
) -> Vec<BillingPoint> {
    use BillingDimension as D;
    let mut sums: BTreeMap<BillingKey, (i64, i64)> = BTreeMap::new();
    for l in lines {
        let admitted = req
            .country_codes
            .as_ref()
            .is_none_or(|c| c.contains(&l.country))
            && req
                .categories
                .as_ref()
                .is_none_or(|c| c.contains(&l.category.as_str()))
            && req.charged.iter().all(|c| c.contains(&Some(l.charged)));
        if !admitted {
            continue;
        }
        let key = (
            l.start,
            l.end,
            req.has(D::Phone).then(|| l.phone.clone()),
            req.has(D::Country).then(|| l.country.clone()),
            req.has(D::Category).then(|| l.category.clone()),
            (req.has(D::Type) || req.has(D::Direction)).then_some(l.charged),
        );
        let sum = sums.entry(key).or_default();
        sum.0 += l.count;
        sum.1 += l.cost;
    }
    sums.into_iter()
        .filter(|(_, (count, cost))| *count != 0 || *cost != 0)
        .map(
            |((start, end, phone, country, category, charged), (count, cost))| {
                let conversation = kind == Kind::Conversation;
                let pick = |d: D, yes: &'static str, no: &'static str| {
                    charged
                        .filter(|_| req.has(d))
                        .map(|c| if c { yes } else { no })
                };
                BillingPoint {
                    start: unix(start),
                    end: unix(end),
                    conversation: (conversation && req.metrics.count).then_some(count),
                    volume: (!conversation && req.metrics.count).then_some(count),
                    phone_number: phone,
                    country,
                    conversation_type: pick(D::Type, "REGULAR", "FREE_TIER")
                        .filter(|_| conversation),
                    conversation_direction: pick(
                        D::Direction,
                        "BUSINESS_INITIATED",
                        "USER_INITIATED",
                    )
                    .filter(|_| conversation),
                    conversation_category: category.clone().filter(|_| conversation),
                    pricing_type: pick(D::Type, "REGULAR", "FREE_CUSTOMER_SERVICE")
                        .filter(|_| !conversation),
                    pricing_category: category.filter(|_| !conversation),
                    tier: (!conversation && req.has(D::Tier)).then_some("0:MAX"),
                    cost: req.metrics.cost.then(|| money.amount(cost)),
                }
            },
        )
        .collect()
}

async fn billing(
    state: &AppState,
    p: &Principal,
    waba: &WabaInfo,
    req: &BillingRequest,
    kind: Kind,
) -> Result<Value, ApiError> {
    let q = query(
        &req.range,
        vec![Dimension::Channel, Dimension::Country, Dimension::Category],
    );
    let points = figures(state, p, &q).await?;
    let money = Money::of(state, p).await?;
    let lines = lines(&points, &Scope::of(waba, req.phone_numbers.as_deref()));
    let data_points = billing_points(&lines, req, kind, money);
    Ok(json!({ "data": [{ "data_points": data_points }] }))
}

// ---------------------------------------------------------------------------------------
// Template analytics.

#[derive(Debug, Serialize, PartialEq)]
struct TemplatePoint {
    template_id: String,
    start: i64,
    end: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sent: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivered: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    read: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replied: Option<i64>,
    /// Button clicks: wagate does not see them (always empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    clicked: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<Vec<CostItem>>,
}

#[derive(Debug, Serialize, PartialEq)]
struct CostItem {
    #[serde(rename = "type")]
    kind: &'static str,
    /// Absent when it has none (a cost per delivered message with none delivered).
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
}

/// A template asked for: its id as given, and what the counters know it by.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Asked {
    id: String,
    name: String,
    language: String,
}

async fn templates(
    state: &AppState,
    p: &Principal,
    waba: &WabaInfo,
    req: &TemplateRequest,
) -> Result<Value, ApiError> {
    let mut asked = Vec::with_capacity(req.template_ids.len());
    for id in &req.template_ids {
        let template = match TemplateId::parse(id) {
            Ok(tid) => match state.app.get_template(p, &tid).await {
                Ok(t) => Some(t).filter(|t| t.waba_id == waba.id),
                Err(e) if e.code() == ErrorCode::TemplateNotFound => None,
                Err(e) => return Err(e.into()),
            },
            Err(_) => None,
        };
        let t = template.ok_or_else(|| {
            bad(format!(
                "Param template_ids: {id} is not a message template of WhatsApp Business \
                 Account {}",
                waba.id
            ))
        })?;
        asked.push(Asked {
            id: id.clone(),
            name: t.name.as_str().to_owned(),
            language: t.language.as_str().to_owned(),
        });
    }
    let range = Range {
        start: req.start,
        end: req.end,
        granularity: Granularity::Day,
        name: "DAILY",
    };
    let q = query(&range, vec![Dimension::Channel, Dimension::Template]);
    let points = figures(state, p, &q).await?;
    let periods = state.app.analytics_periods(p, &q).await?;
    let money = Money::of(state, p).await?;
    let data_points = template_points(
        &points,
        &periods,
        &Scope::of(waba, None),
        &asked,
        req,
        money,
    );
    let cursor = |i: usize| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(i.to_string());
    Ok(json!({
        "data": [{
            "granularity": "DAILY",
            "product_type": "cloud_api",
            "data_points": data_points,
        }],
        "paging": {"cursors": {
            "before": cursor(0),
            "after": cursor(data_points.len().saturating_sub(1)),
        }},
    }))
}

/// Each asked template's figures for each period (zeros included), in the order asked.
fn template_points(
    points: &[DataPoint],
    periods: &[(Timestamp, Timestamp)],
    scope: &Scope,
    asked: &[Asked],
    req: &TemplateRequest,
    money: Money,
) -> Vec<TemplatePoint> {
    let mut sums: HashMap<(usize, Timestamp), Counts> = HashMap::new();
    for point in points {
        if scope.phone(point).is_none() {
            continue;
        }
        let Some(i) = asked.iter().position(|a| {
            point.template.as_deref() == Some(a.name.as_str())
                && point.language.as_deref() == Some(a.language.as_str())
        }) else {
            continue;
        };
        sums.entry((i, point.start)).or_default().add(&point.counts);
    }
    let mut out = Vec::with_capacity(asked.len() * periods.len());
    for (i, a) in asked.iter().enumerate() {
        for (start, end) in periods {
            let c = sums.get(&(i, *start)).copied().unwrap_or_default();
            let want = |m: TemplateMetric| req.wants(m);
            out.push(TemplatePoint {
                template_id: a.id.clone(),
                start: unix(*start),
                end: unix(*end),
                sent: want(TemplateMetric::Sent).then_some(c.sent),
                delivered: want(TemplateMetric::Delivered).then_some(c.delivered),
                read: want(TemplateMetric::Read).then_some(c.read),
                // wagate's addition, whatever the metrics asked: Meta's clients ignore it.
                replied: Some(c.replied),
                clicked: want(TemplateMetric::Clicked).then(Vec::new),
                cost: want(TemplateMetric::Cost).then(|| {
                    vec![
                        CostItem {
                            kind: "amount_spent",
                            value: Some(money.amount(c.cost)),
                        },
                        CostItem {
                            kind: "cost_per_delivered",
                            value: (c.delivered > 0)
                                .then(|| money.amount(c.cost) / c.delivered as f64),
                        },
                    ]
                }),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::fields::FieldSelection;

    fn field(s: &str) -> Field {
        FieldSelection::parse(s)
            .unwrap()
            .iter()
            .next()
            .unwrap()
            .clone()
    }

    fn err_message(e: ApiError) -> String {
        assert_eq!(e.code, ErrorCode::InvalidQuery, "{}", e.message);
        assert_eq!(e.code.graph().code, 100);
        e.message
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn lists_are_taken_as_clients_write_them() {
        assert_eq!(list_items(r#"["US", "BR"]"#), ["US", "BR"]);
        assert_eq!(list_items("[US,BR]"), ["US", "BR"]);
        assert_eq!(list_items("US, BR ,"), ["US", "BR"]);
        assert_eq!(list_items("['a']"), ["a"]);
        assert!(list_items("[]").is_empty());
        assert!(list_items("").is_empty());
        assert_eq!(digits("+1 555-010-0001"), "15550100001");
    }

    #[test]
    fn times_are_unix_seconds() {
        assert_eq!(unix_time("1543536000"), Some(t(1_543_536_000)));
        assert_eq!(unix_time(" 0 "), Some(t(0)));
        for bad in ["", "yesterday", "1.5", "-1", "2026-01-01T00:00:00Z"] {
            assert_eq!(unix_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn messaging_analytics_modifiers() {
        let f = field(
            r#"analytics.start(1000).end(90000).granularity(DAY).phone_numbers(["+1 555 010 0001"]).country_codes([us,"BR"]).product_types([0])"#,
        );
        let r = MessagingRequest::parse(&Args::of_field(&f, MessagingRequest::PARAMS).unwrap())
            .unwrap();
        assert_eq!(r.range.start, t(1000));
        assert_eq!(r.range.end, t(90000));
        assert_eq!(r.range.granularity, Granularity::Day);
        assert_eq!(r.range.name, "DAY");
        assert_eq!(
            r.phone_numbers.as_deref(),
            Some(&["15550100001".to_owned()][..])
        );
        assert_eq!(r.country_codes.unwrap(), ["US", "BR"]);
        assert_eq!(r.product_types.unwrap(), [ProductType::Notification]);

        let parse = |s: &str| {
            Args::of_field(&field(s), MessagingRequest::PARAMS)
                .and_then(|a| MessagingRequest::parse(&a))
        };
        let m = err_message(parse("analytics.end(2).granularity(DAY)").unwrap_err());
        assert_eq!(m, "The parameter start is required");
        let m = err_message(parse("analytics.start(x).end(2).granularity(DAY)").unwrap_err());
        assert_eq!(m, "Param start must be a Unix time in seconds");
        let m = err_message(parse("analytics.start(1).end(2).granularity(WEEK)").unwrap_err());
        assert_eq!(
            m,
            r#"Param granularity must be one of {HALF_HOUR, DAY, MONTH} - got "WEEK""#
        );
        // Messaging analytics say DAY; the billing ones DAILY.
        assert!(parse("analytics.start(1).end(2).granularity(DAILY)").is_err());
        assert!(parse("analytics.start(1).end(2)").is_err());
        let m = err_message(
            parse("analytics.start(1).end(2).granularity(DAY).colour(red)").unwrap_err(),
        );
        assert!(m.contains("does not take the parameter colour"), "{m}");
        assert!(parse("analytics.start(1).start(2).end(3).granularity(DAY)").is_err());
        assert!(parse("analytics.start(1).end(2).granularity(DAY).product_types([1])").is_err());
    }

    #[test]
    fn conversation_and_pricing_modifiers() {
        let f = field(
            r#"conversation_analytics.start(1).end(2).granularity(MONTHLY).metric_types(["CONVERSATION"]).conversation_types(["REGULAR"]).conversation_directions([USER_INITIATED]).conversation_categories(["MARKETING"]).dimensions(["CONVERSATION_TYPE","PHONE"])"#,
        );
        let r = BillingRequest::conversation(
            &Args::of_field(&f, BillingRequest::CONVERSATION_PARAMS).unwrap(),
        )
        .unwrap();
        assert_eq!(r.range.granularity, Granularity::Month);
        assert_eq!(
            r.metrics,
            Metrics {
                count: true,
                cost: false
            }
        );
        assert_eq!(r.charged, [vec![Some(true)], vec![Some(false)]]);
        assert_eq!(r.categories.unwrap(), ["MARKETING"]);
        assert_eq!(
            r.dimensions,
            [BillingDimension::Type, BillingDimension::Phone]
        );

        let conversation = |s: &str| {
            Args::of_field(&field(s), BillingRequest::CONVERSATION_PARAMS)
                .and_then(|a| BillingRequest::conversation(&a))
        };
        assert!(conversation("conversation_analytics.start(1).end(2).granularity(DAY)").is_err());
        assert!(
            conversation(
                "conversation_analytics.start(1).end(2).granularity(DAILY).dimensions([TIER])"
            )
            .is_err()
        );
        assert!(
            conversation(
                "conversation_analytics.start(1).end(2).granularity(DAILY).country_codes([US])"
            )
            .is_err()
        );

        let f = field(
            "pricing_analytics.start(1).end(2).granularity(HALF_HOUR).pricing_types([FREE_ENTRY_POINT]).dimensions([TIER,PRICING_CATEGORY])",
        );
        let r =
            BillingRequest::pricing(&Args::of_field(&f, BillingRequest::PRICING_PARAMS).unwrap())
                .unwrap();
        assert_eq!(r.charged, [vec![None]]);
        assert_eq!(
            r.metrics,
            Metrics {
                count: true,
                cost: true
            }
        );
        let pricing = |s: &str| {
            Args::of_field(&field(s), BillingRequest::PRICING_PARAMS)
                .and_then(|a| BillingRequest::pricing(&a))
        };
        let m = err_message(
            pricing(
                "pricing_analytics.start(1).end(2).granularity(DAILY).metric_types([CONVERSATION])",
            )
            .unwrap_err(),
        );
        assert_eq!(
            m,
            r#"Param metric_types must be one of {VOLUME, COST} - got "CONVERSATION""#
        );
        assert!(
            pricing(
                "pricing_analytics.start(1).end(2).granularity(DAILY).pricing_categories([NOPE])"
            )
            .is_err()
        );
    }

    #[test]
    fn template_analytics_parameters() {
        let q = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let parse = |pairs: &[(&str, &str)]| {
            TemplateRequest::parse(&Args::of_query(&q(pairs), TemplateRequest::PARAMS))
        };
        let r = parse(&[
            ("start", "100"),
            ("end", "200"),
            ("granularity", "DAILY"),
            ("template_ids", r#"["7","8","7"]"#),
            ("metric_types", "SENT,COST"),
            ("access_token", "x"),
        ])
        .unwrap();
        assert_eq!(r.template_ids, ["7", "8"]);
        assert!(r.wants(TemplateMetric::Sent) && r.wants(TemplateMetric::Cost));
        assert!(!r.wants(TemplateMetric::Read));
        let all = parse(&[
            ("start", "100"),
            ("end", "200"),
            ("granularity", "daily"),
            ("template_ids", "[1]"),
        ])
        .unwrap();
        assert!(all.wants(TemplateMetric::Replied));

        let eleven = format!(
            "[{}]",
            (1..=11)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        for (pairs, message) in [
            (
                vec![
                    ("end", "2"),
                    ("granularity", "DAILY"),
                    ("template_ids", "[1]"),
                ],
                "The parameter start is required",
            ),
            (
                vec![
                    ("start", "1"),
                    ("end", "2"),
                    ("granularity", "MONTHLY"),
                    ("template_ids", "[1]"),
                ],
                r#"Param granularity must be one of {DAILY} - got "MONTHLY""#,
            ),
            (
                vec![("start", "1"), ("end", "2"), ("granularity", "DAILY")],
                "The parameter template_ids is required",
            ),
            (
                vec![
                    ("start", "1"),
                    ("end", "2"),
                    ("granularity", "DAILY"),
                    ("template_ids", "[]"),
                ],
                "The parameter template_ids is required",
            ),
            (
                vec![
                    ("start", "1"),
                    ("end", "2"),
                    ("granularity", "DAILY"),
                    ("template_ids", eleven.as_str()),
                ],
                "Param template_ids must name at most 10 templates",
            ),
        ] {
            assert_eq!(err_message(parse(&pairs).unwrap_err()), message);
        }
        // The field form takes the same parameters.
        let f = field("template_analytics.start(1).end(2).granularity(DAILY).template_ids([5])");
        let r =
            TemplateRequest::parse(&Args::of_field(&f, TemplateRequest::PARAMS).unwrap()).unwrap();
        assert_eq!(r.template_ids, ["5"]);
    }

    fn point(channel: ChannelId, start: i64, category: &str, counts: Counts) -> DataPoint {
        DataPoint {
            start: t(start),
            end: t(start + 86_400),
            channel_id: Some(channel),
            direction: None,
            category: Some(category.to_owned()),
            country: Some("GB".to_owned()),
            template: None,
            language: None,
            counts,
        }
    }

    fn counts(sent: i64, delivered: i64, charged: i64, cost: i64) -> Counts {
        Counts {
            sent,
            delivered,
            charged,
            cost,
            ..Counts::default()
        }
    }

    #[test]
    fn messaging_points_fill_every_period() {
        let (ours, theirs) = (ChannelId::generate(), ChannelId::generate());
        let scope = Scope::new([(ours, "15550100001".to_owned())], None);
        let points = [
            point(ours, 0, "utility", counts(3, 2, 2, 20)),
            point(ours, 0, "service", counts(1, 1, 0, 0)),
            point(theirs, 0, "utility", counts(9, 9, 9, 90)),
        ];
        let periods = [(t(0), t(86_400)), (t(86_400), t(172_800))];
        let req = |product_types| MessagingRequest {
            range: Range {
                start: t(0),
                end: t(172_800),
                granularity: Granularity::Day,
                name: "DAY",
            },
            phone_numbers: None,
            country_codes: None,
            product_types,
        };
        let (data, countries) = messaging_points(&points, &periods, &scope, &req(None));
        assert_eq!(
            data,
            [
                MessagingPoint {
                    start: 0,
                    end: 86_400,
                    sent: 4,
                    delivered: 3
                },
                MessagingPoint {
                    start: 86_400,
                    end: 172_800,
                    sent: 0,
                    delivered: 0
                },
            ]
        );
        assert_eq!(countries, ["GB"]);
        let (data, _) = messaging_points(
            &points,
            &periods,
            &scope,
            &req(Some(vec![ProductType::CustomerSupport])),
        );
        assert_eq!(data[0].sent, 1);
    }

    #[test]
    fn conversations_and_pricing_are_derived_from_charges_and_deliveries() {
        let ch = ChannelId::generate();
        let scope = Scope::new([(ch, "15550100001".to_owned())], None);
        let points = [
            // 2 utility templates charged, 1 delivered free inside the window.
            point(ch, 0, "utility", counts(3, 3, 2, 20_000)),
            // Free-form answers.
            point(ch, 0, "service", counts(2, 2, 0, 0)),
        ];
        let lines = lines(&points, &scope);
        assert_eq!(lines.len(), 3);
        let money = Money { credits: true };
        let a = Args::of_field(
            &field("conversation_analytics.start(0).end(86400).granularity(DAILY).dimensions([CONVERSATION_TYPE,CONVERSATION_DIRECTION,CONVERSATION_CATEGORY])"),
            BillingRequest::CONVERSATION_PARAMS,
        )
        .unwrap();
        let req = BillingRequest::conversation(&a).unwrap();
        let got =
            serde_json::to_value(billing_points(&lines, &req, Kind::Conversation, money)).unwrap();
        assert_eq!(
            got,
            json!([
                {"start": 0, "end": 86400, "conversation": 2, "conversation_type": "FREE_TIER",
                 "conversation_direction": "USER_INITIATED", "conversation_category": "SERVICE",
                 "cost": 0.0},
                {"start": 0, "end": 86400, "conversation": 1, "conversation_type": "FREE_TIER",
                 "conversation_direction": "USER_INITIATED", "conversation_category": "UTILITY",
                 "cost": 0.0},
                {"start": 0, "end": 86400, "conversation": 2, "conversation_type": "REGULAR",
                 "conversation_direction": "BUSINESS_INITIATED",
                 "conversation_category": "UTILITY", "cost": 0.02},
            ])
        );
        // No dimension: one total per period.
        let a = Args::of_field(
            &field("pricing_analytics.start(0).end(86400).granularity(DAILY)"),
            BillingRequest::PRICING_PARAMS,
        )
        .unwrap();
        let req = BillingRequest::pricing(&a).unwrap();
        let got = serde_json::to_value(billing_points(&lines, &req, Kind::Pricing, money)).unwrap();
        assert_eq!(
            got,
            json!([{"start": 0, "end": 86400, "volume": 5, "cost": 0.02}])
        );
        // Filters: charged ones only, by country and tier; a free entry point matches nothing.
        let a = Args::of_field(
            &field("pricing_analytics.start(0).end(86400).granularity(DAILY).pricing_types([REGULAR]).country_codes([gb]).dimensions([COUNTRY,TIER,PRICING_TYPE,PHONE])"),
            BillingRequest::PRICING_PARAMS,
        )
        .unwrap();
        let req = BillingRequest::pricing(&a).unwrap();
        let got = serde_json::to_value(billing_points(
            &lines,
            &req,
            Kind::Pricing,
            Money { credits: false },
        ))
        .unwrap();
        assert_eq!(
            got,
            json!([{"start": 0, "end": 86400, "volume": 2, "phone_number": "15550100001",
                    "country": "GB", "pricing_type": "REGULAR", "tier": "0:MAX", "cost": 0.0}])
        );
        let a = Args::of_field(
            &field("pricing_analytics.start(0).end(86400).granularity(DAILY).pricing_types([FREE_ENTRY_POINT])"),
            BillingRequest::PRICING_PARAMS,
        )
        .unwrap();
        let req = BillingRequest::pricing(&a).unwrap();
        assert!(billing_points(&lines, &req, Kind::Pricing, money).is_empty());
    }

    #[test]
    fn template_points_per_template_and_day() {
        let ch = ChannelId::generate();
        let scope = Scope::new([(ch, "15550100001".to_owned())], None);
        let mut hello = point(ch, 0, "utility", counts(4, 4, 4, 40_000));
        hello.template = Some("hello".into());
        hello.language = Some("en".into());
        hello.counts.read = 3;
        hello.counts.replied = 1;
        let mut other_language = hello.clone();
        other_language.language = Some("fr".into());
        let asked = [
            Asked {
                id: "11".into(),
                name: "hello".into(),
                language: "en".into(),
            },
            Asked {
                id: "12".into(),
                name: "bye".into(),
                language: "en".into(),
            },
        ];
        let periods = [(t(0), t(86_400)), (t(86_400), t(172_800))];
        let req = TemplateRequest {
            start: t(0),
            end: t(172_800),
            template_ids: vec!["11".into(), "12".into()],
            metrics: None,
        };
        let got = template_points(
            &[hello, other_language],
            &periods,
            &scope,
            &asked,
            &req,
            Money { credits: true },
        );
        assert_eq!(got.len(), 4);
        assert_eq!(
            serde_json::to_value(&got[0]).unwrap(),
            json!({"template_id": "11", "start": 0, "end": 86400, "sent": 4, "delivered": 4,
                   "read": 3, "replied": 1, "clicked": [],
                   "cost": [{"type": "amount_spent", "value": 0.04},
                            {"type": "cost_per_delivered", "value": 0.01}]})
        );
        assert_eq!(
            serde_json::to_value(&got[3]).unwrap(),
            json!({"template_id": "12", "start": 86400, "end": 172800, "sent": 0,
                   "delivered": 0, "read": 0, "replied": 0, "clicked": [],
                   "cost": [{"type": "amount_spent", "value": 0.0},
                            {"type": "cost_per_delivered"}]})
        );
    }
}
