//! Campaigns: one approved template sent to an audience, paced, with its progress kept per
//! recipient. This module holds the rules only (no I/O): the name, the kinds, the life of a
//! campaign as a state machine, how a recipient's template parameters are found, why a
//! recipient is skipped before any send, and how many new users the number's messaging
//! tier still allows.
//!
//! The life of a campaign:
//!
//! ```text
//! draft ──launch──▶ scheduled ──due──▶ running ──all sent──▶ completed
//!   │                  │                 │  ▲
//!   │                  │              pause resume (operator; a template paused or
//!   │                  │                 ▼  │   disabled pauses it, re-approval resumes)
//!   │                  │               paused
//!   └──── cancel ──────┴──── cancel ──────┴─────▶ cancelled        any ──fail──▶ failed
//! ```
//!
//! A launch with no `at` goes straight to `running`. `completed`, `cancelled` and `failed`
//! are final.

pub mod audience;
pub mod model;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::channel::MessagingLimitTier;
use crate::error::ValidationError;

/// A campaign's name: 1 to 128 characters, unique in its account (ignoring case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, min_length = 1, max_length = 128)]
pub struct CampaignName(String);

impl CampaignName {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        let n = s.chars().count();
        if n == 0 || n > 128 {
            return Err(ValidationError::new("name", "must be 1 to 128 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "name",
                "must not contain control characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CampaignName {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CampaignName> for String {
    fn from(n: CampaignName) -> Self {
        n.0
    }
}

/// How a campaign's audience is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// Grows one recipient per call while it runs (seed 000's API campaigns).
    Api,
    /// Fixed at launch: contacts by tag or filter, a list of numbers, or an uploaded file.
    Broadcast,
}

/// Where a campaign is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Scheduled,
    Running,
    Paused,
    Completed,
    Cancelled,
    Failed,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::Scheduled,
            Self::Running,
            Self::Paused,
            Self::Completed,
            Self::Cancelled,
            Self::Failed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// `completed`, `cancelled` and `failed`: nothing happens to it any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled | Self::Failed)
    }
}

/// Why a campaign is paused (or failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// Someone asked.
    Operator,
    /// Meta paused the template for its quality; its re-approval resumes the campaign.
    TemplatePaused,
    /// The template was disabled (or deleted); only another approval resumes.
    TemplateDisabled,
    /// A prepaid wallet cannot cover the next sends.
    Wallet,
}

impl PauseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::TemplatePaused => "template_paused",
            Self::TemplateDisabled => "template_disabled",
            Self::Wallet => "wallet",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Operator,
            Self::TemplatePaused,
            Self::TemplateDisabled,
            Self::Wallet,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

impl CampaignKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Broadcast => "broadcast",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "api" => Some(Self::Api),
            "broadcast" => Some(Self::Broadcast),
            _ => None,
        }
    }
}

/// What happens to a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignAction {
    /// Launched: later (`scheduled`) or now (`running`).
    Launch {
        scheduled: bool,
    },
    /// A scheduled campaign's time came.
    Due,
    Pause(PauseReason),
    /// The operator resumes, or the template is approved again.
    Resume,
    Cancel,
    /// Every recipient has its message (or was skipped).
    Finish,
    Fail,
}

/// An action a campaign in that status cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {status} campaign cannot {action}")]
pub struct IllegalTransition {
    pub status: &'static str,
    pub action: &'static str,
}

impl CampaignAction {
    fn name(self) -> &'static str {
        match self {
            Self::Launch { .. } => "be launched",
            Self::Due => "start",
            Self::Pause(_) => "be paused",
            Self::Resume => "be resumed",
            Self::Cancel => "be cancelled",
            Self::Finish => "complete",
            Self::Fail => "fail",
        }
    }
}

/// The status after `action`, or why it cannot happen.
pub fn transition(
    status: CampaignStatus,
    action: CampaignAction,
) -> Result<CampaignStatus, IllegalTransition> {
    use CampaignAction as A;
    use CampaignStatus as S;
    let next = match (status, action) {
        (S::Draft, A::Launch { scheduled: true }) => S::Scheduled,
        (S::Draft, A::Launch { scheduled: false }) | (S::Scheduled, A::Due) => S::Running,
        (S::Running | S::Scheduled, A::Pause(_)) => S::Paused,
        // A paused campaign paused again keeps its status (the reason may change).
        (S::Paused, A::Pause(_)) => S::Paused,
        (S::Paused, A::Resume) => S::Running,
        (S::Draft | S::Scheduled | S::Running | S::Paused, A::Cancel) => S::Cancelled,
        (S::Running, A::Finish) => S::Completed,
        (s, A::Fail) if !s.is_final() => S::Failed,
        (s, a) => {
            return Err(IllegalTransition {
                status: s.as_str(),
                action: a.name(),
            });
        }
    };
    Ok(next)
}

/// Where one template parameter's value comes from, for each recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum ParamSource {
    /// The same text for everyone.
    Fixed { value: String },
    /// A column of the uploaded audience file (`var1`, `ctaVar1`, `city`…).
    Column { name: String },
    /// An attribute of the recipient's contact card (or its `name`).
    Attribute { name: String },
}

/// One template parameter: its source, and the text used when the source has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Param {
    #[serde(flatten)]
    pub source: ParamSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

impl SkipReason {
    /// As stored: `invalid_number`, `missing_parameter:2`…
    pub fn as_string(&self) -> String {
        match self {
            Self::InvalidNumber => "invalid_number".into(),
            Self::InvalidRow => "invalid_row".into(),
            Self::Duplicate => "duplicate".into(),
            Self::OptedOut => "opted_out".into(),
            Self::Blocked => "blocked".into(),
            Self::MissingParameter { position } => format!("missing_parameter:{position}"),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "invalid_number" => Self::InvalidNumber,
            "invalid_row" => Self::InvalidRow,
            "duplicate" => Self::Duplicate,
            "opted_out" => Self::OptedOut,
            "blocked" => Self::Blocked,
            other => Self::MissingParameter {
                position: other.strip_prefix("missing_parameter:")?.parse().ok()?,
            },
        })
    }
}

impl Param {
    /// A fixed value or fallback of at most 1,024 characters; a column or attribute named.
    pub fn check(&self, field: &str) -> Result<(), ValidationError> {
        let long = |v: &str| v.chars().count() > 1024;
        match &self.source {
            ParamSource::Fixed { value } if value.trim().is_empty() || long(value) => Err(
                ValidationError::new(format!("{field}.value"), "must be 1 to 1,024 characters"),
            ),
            ParamSource::Column { name } | ParamSource::Attribute { name }
                if name.trim().is_empty() || name.len() > 64 =>
            {
                Err(ValidationError::new(
                    format!("{field}.name"),
                    "must be 1 to 64 characters",
                ))
            }
            _ if self.fallback.as_deref().is_some_and(long) => Err(ValidationError::new(
                format!("{field}.fallback"),
                "must be at most 1,024 characters",
            )),
            _ => Ok(()),
        }
    }
}

/// What a recipient brings to its parameters: its row's cells by column, its contact's
/// attributes (with `name`).
#[derive(Debug, Clone, Default)]
pub struct RecipientData<'a> {
    pub columns: HashMap<&'a str, &'a str>,
    pub attributes: HashMap<&'a str, &'a str>,
}

/// Why a recipient gets no message. Counted, never sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum SkipReason {
    InvalidNumber,
    /// A row that cannot be read (a cell not UTF-8, or too long).
    InvalidRow,
    Duplicate,
    OptedOut,
    Blocked,
    /// A parameter without a value and without a fallback (its position, 1-based).
    MissingParameter {
        position: usize,
    },
}

/// The values of `params` for one recipient, in order; a missing one (empty, or no such
/// column or attribute) takes its fallback, else the recipient is skipped.
pub fn resolve_params(
    params: &[Param],
    data: &RecipientData<'_>,
) -> Result<Vec<String>, SkipReason> {
    params
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let found = match &p.source {
                ParamSource::Fixed { value } => Some(value.as_str()),
                ParamSource::Column { name } => data.columns.get(name.as_str()).copied(),
                ParamSource::Attribute { name } => data.attributes.get(name.as_str()).copied(),
            };
            found
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .or(p.fallback.as_deref())
                .map(str::to_owned)
                .ok_or(SkipReason::MissingParameter { position: n + 1 })
        })
        .collect()
}

/// Unique users a number may start conversations with per rolling 24 hours at `tier`
/// (`None`: unlimited). Recipients beyond it wait for the window to roll; they do not fail.
pub fn tier_capacity(tier: MessagingLimitTier) -> Option<u64> {
    match tier {
        MessagingLimitTier::Tier250 => Some(250),
        MessagingLimitTier::Tier2K => Some(2_000),
        MessagingLimitTier::Tier10K => Some(10_000),
        MessagingLimitTier::Tier100K => Some(100_000),
        MessagingLimitTier::Unlimited => None,
    }
}

/// How many more new users may be messaged now: the tier's capacity less the unique users
/// reached in the last 24 hours (`u64::MAX` when unlimited).
pub fn tier_room(tier: MessagingLimitTier, reached_last_24h: u64) -> u64 {
    tier_capacity(tier).map_or(u64::MAX, |cap| cap.saturating_sub(reached_last_24h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use CampaignAction as A;
    use CampaignStatus as S;

    #[test]
    fn names_are_bounded_and_trimmed() {
        assert_eq!(
            CampaignName::parse("  Diwali sale ").unwrap().as_str(),
            "Diwali sale"
        );
        assert!(CampaignName::parse("").is_err());
        assert!(CampaignName::parse(&"x".repeat(129)).is_err());
        assert!(CampaignName::parse("a\u{7}b").is_err());
        assert!(CampaignName::parse(&"é".repeat(128)).is_ok());
    }

    #[test]
    fn the_life_of_a_campaign() {
        let t = |s, a| transition(s, a);
        assert_eq!(t(S::Draft, A::Launch { scheduled: true }), Ok(S::Scheduled));
        assert_eq!(t(S::Draft, A::Launch { scheduled: false }), Ok(S::Running));
        assert_eq!(t(S::Scheduled, A::Due), Ok(S::Running));
        assert_eq!(
            t(S::Running, A::Pause(PauseReason::TemplatePaused)),
            Ok(S::Paused)
        );
        assert_eq!(t(S::Paused, A::Pause(PauseReason::Operator)), Ok(S::Paused));
        assert_eq!(t(S::Paused, A::Resume), Ok(S::Running));
        assert_eq!(t(S::Running, A::Finish), Ok(S::Completed));
        assert_eq!(t(S::Paused, A::Cancel), Ok(S::Cancelled));
        assert_eq!(t(S::Running, A::Fail), Ok(S::Failed));
        // Final states stay final; nothing runs twice.
        for s in [S::Completed, S::Cancelled, S::Failed] {
            for a in [
                A::Launch { scheduled: false },
                A::Due,
                A::Resume,
                A::Cancel,
                A::Finish,
                A::Fail,
                A::Pause(PauseReason::Operator),
            ] {
                assert!(t(s, a).is_err(), "{s:?} {a:?}");
            }
        }
        let e = t(S::Running, A::Launch { scheduled: false }).unwrap_err();
        assert_eq!(e.to_string(), "a running campaign cannot be launched");
        assert!(t(S::Draft, A::Resume).is_err());
        assert!(t(S::Paused, A::Finish).is_err());
    }

    #[test]
    fn parameters_come_from_columns_attributes_or_fallbacks() {
        let params = vec![
            Param {
                source: ParamSource::Attribute {
                    name: "name".into(),
                },
                fallback: Some("there".into()),
            },
            Param {
                source: ParamSource::Column {
                    name: "var2".into(),
                },
                fallback: None,
            },
            Param {
                source: ParamSource::Fixed {
                    value: "20%".into(),
                },
                fallback: None,
            },
        ];
        let mut data = RecipientData::default();
        data.columns.insert("var2", " ORD-7 ");
        assert_eq!(
            resolve_params(&params, &data),
            Ok(vec!["there".into(), "ORD-7".into(), "20%".into()])
        );
        data.attributes.insert("name", "Asha");
        assert_eq!(resolve_params(&params, &data).unwrap()[0], "Asha");
        data.columns.insert("var2", "  ");
        assert_eq!(
            resolve_params(&params, &data),
            Err(SkipReason::MissingParameter { position: 2 })
        );
        let json: Param =
            serde_json::from_str(r#"{"from":"column","name":"var1","fallback":"friend"}"#).unwrap();
        assert_eq!(json.fallback.as_deref(), Some("friend"));
    }

    #[test]
    fn tiers_bound_new_users_per_day() {
        assert_eq!(tier_room(MessagingLimitTier::Tier250, 0), 250);
        assert_eq!(tier_room(MessagingLimitTier::Tier2K, 1_999), 1);
        assert_eq!(tier_room(MessagingLimitTier::Tier250, 300), 0);
        assert_eq!(
            tier_room(MessagingLimitTier::Unlimited, 10_000_000),
            u64::MAX
        );
        assert_eq!(tier_capacity(MessagingLimitTier::Tier100K), Some(100_000));
    }
}
