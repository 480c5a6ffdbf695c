//! Template quality in the sandbox. Meta rates an approved template from its users' feedback
//! (GREEN, YELLOW, RED) and reports each change as `message_template_quality_update`. A RED
//! rating pauses an APPROVED template: for 3 hours the first time (FIRST_PAUSE), 6 hours the
//! second (SECOND_PAUSE), and disables it the third (DISABLED, with `disable_info`); each step
//! is a `message_template_status_update` with `other_info`. A pause ends on its own: the
//! template is APPROVED again (UNPAUSE), which the reviewer's `run_once` does when it is due.
//!
//! The sandbox has no users to complain, so its plane's `POST /sandbox/templates/{id}/quality`
//! sets the rating ([`App::rate_template`]). [`rate`] and [`unpause`] are the pure steps:
//! the template as it becomes and its webhook values, in the order subscribers get them.
//!
//! Meta's `POST /{template_id}/unpause` ([`App::unpause_template`]) ends a pause at once, with
//! the same UNPAUSE update. The sandbox allows it on any PAUSED template right away (Meta asks
//! to wait 5 minutes after a pacing pause, which the sandbox does not simulate).

use serde_json::{Value, json};
use wagate_core::Timestamp;
use wagate_core::error::{ErrorCode, ValidationError};
use wagate_core::ids::TemplateId;
use wagate_core::template::{QualityScore, TemplateStatus};
use wagate_core::webhook::EventField;
use wagate_store::Template;

use super::{Waba, after, status_update, template_id_json};
use crate::error::{Error, Result};
use crate::{App, Principal};

/// `other_info.title` of a status update about pausing (reference §5.6). Meta also sends
/// `RATE_LIMITING_PAUSE` for template pacing, which the sandbox does not simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseTitle {
    FirstPause,
    SecondPause,
    Unpause,
    Disabled,
}

impl PauseTitle {
    pub fn as_str(self) -> &'static str {
        match self {
            PauseTitle::FirstPause => "FIRST_PAUSE",
            PauseTitle::SecondPause => "SECOND_PAUSE",
            PauseTitle::Unpause => "UNPAUSE",
            PauseTitle::Disabled => "DISABLED",
        }
    }

    /// What a RED rating does to an APPROVED template paused (or disabled) `pauses` times
    /// before: FIRST_PAUSE, SECOND_PAUSE, then DISABLED.
    pub fn after_pauses(pauses: u32) -> PauseTitle {
        match pauses {
            0 => PauseTitle::FirstPause,
            1 => PauseTitle::SecondPause,
            _ => PauseTitle::Disabled,
        }
    }

    /// How long the pause lasts in milliseconds (Meta: 3 and 6 hours); `None` for a step
    /// that does not pause.
    pub fn pause_ms(self) -> Option<i64> {
        const HOUR: i64 = 3_600_000;
        match self {
            PauseTitle::FirstPause => Some(3 * HOUR),
            PauseTitle::SecondPause => Some(6 * HOUR),
            PauseTitle::Unpause | PauseTitle::Disabled => None,
        }
    }

    /// `other_info.description`, worded as Meta's.
    fn description(self, until: Option<Timestamp>) -> String {
        let until = until
            .map(|at| format!(" until {}", at.strftime("%b %-d at %-I:%M %p UTC")))
            .unwrap_or_default();
        match self {
            PauseTitle::FirstPause | PauseTitle::SecondPause => format!(
                "Your WhatsApp message template has been paused for {} hours{until} because it \
                 had issues.",
                self.pause_ms().unwrap_or(0) / 3_600_000
            ),
            PauseTitle::Unpause => "Your WhatsApp message template has been unpaused.".to_owned(),
            PauseTitle::Disabled => "Your WhatsApp message template has been disabled because \
                                     it was paused too often for low quality."
                .to_owned(),
        }
    }
}

/// Meta's `message_template_quality_update` value: `t` went from `previous` to its score.
pub fn quality_update(t: &Template, previous: QualityScore) -> Value {
    json!({
        "previous_quality_score": previous.as_str(),
        "new_quality_score": t.quality_score.unwrap_or(QualityScore::Unknown).as_str(),
        "message_template_id": template_id_json(t),
        "message_template_name": t.name.as_str(),
        "message_template_language": t.language.as_str(),
    })
}

/// A status update for a step of the pause ladder, at `now`: `other_info`, and
/// `disable_info` when the template is disabled.
pub fn pause_update(t: &Template, title: PauseTitle, now: Timestamp) -> Value {
    let mut v = status_update(t);
    v["other_info"] = json!({
        "title": title.as_str(),
        "description": title.description(t.paused_until),
    });
    if title == PauseTitle::Disabled {
        v["disable_info"] = json!({"disable_date": now.as_second()});
    }
    v
}

/// Users rate `t` `score` at `now`: the template as it becomes and the webhook values to
/// send, in order. No values means nothing changed (the same score again, and no pause step
/// to take).
pub fn rate(
    mut t: Template,
    score: QualityScore,
    now: Timestamp,
) -> (Template, Vec<(EventField, Value)>) {
    let previous = t.quality_score.unwrap_or(QualityScore::Unknown);
    t.quality_score = Some(score);
    let mut values = Vec::new();
    if score != previous {
        values.push((
            EventField::MessageTemplateQualityUpdate,
            quality_update(&t, previous),
        ));
    }
    // A paused template stays paused; only an approved one takes the next step.
    if score == QualityScore::Red && t.status == TemplateStatus::Approved {
        let title = PauseTitle::after_pauses(t.pause_count);
        t.pause_count += 1;
        match title.pause_ms() {
            Some(ms) => {
                t.status = TemplateStatus::Paused;
                t.paused_until = Timestamp::from_millisecond(now.as_millisecond() + ms).ok();
            }
            None => {
                t.status = TemplateStatus::Disabled;
                t.paused_until = None;
            }
        }
        values.push((
            EventField::MessageTemplateStatusUpdate,
            pause_update(&t, title, now),
        ));
    }
    t.updated_at = now;
    (t, values)
}

/// The pause of `t` is over at `now`: APPROVED again (its rating kept), with an UNPAUSE
/// status update.
pub fn unpause(mut t: Template, now: Timestamp) -> (Template, Vec<(EventField, Value)>) {
    t.status = TemplateStatus::Approved;
    t.paused_until = None;
    t.updated_at = now;
    let value = pause_update(&t, PauseTitle::Unpause, now);
    (t, vec![(EventField::MessageTemplateStatusUpdate, value)])
}

/// Guarded updates that lose a race are tried again this often.
const ATTEMPTS: usize = 5;

impl App {
    /// The sandbox's stand-in for users' feedback: sets the quality of template `id` (one of
    /// the account's, APPROVED or PAUSED) to `score`, with its webhooks ([`rate`]).
    #[tracing::instrument(skip_all, fields(template_id = %id, score = %score))]
    pub async fn rate_template(
        &self,
        p: &Principal,
        id: &TemplateId,
        score: QualityScore,
    ) -> Result<Template> {
        p.require_account_wide()?;
        if score == QualityScore::Unknown {
            return Err(ValidationError::new(
                "score",
                "must be GREEN, YELLOW or RED: users' feedback rates a template",
            )
            .into());
        }
        for _ in 0..ATTEMPTS {
            let t = self.get_template(p, id).await?;
            if !matches!(t.status, TemplateStatus::Approved | TemplateStatus::Paused) {
                return Err(Error::Failed(
                    ErrorCode::InvalidRequest,
                    format!(
                        "the template is {}: only APPROVED or PAUSED templates are rated by \
                         their users",
                        t.status
                    ),
                ));
            }
            let seen = t.updated_at;
            let at = self.now();
            let (mut rated, values) = rate(t.clone(), score, at);
            if values.is_empty() {
                return Ok(t);
            }
            rated.updated_at = after(at, seen);
            let waba = Waba::of(self.store.as_ref(), rated.account_id, &rated.waba_id).await?;
            let events = waba.events(&rated, at, values);
            if let Some(stored) = self.store.update_template_if(rated, seen, events).await? {
                return Ok(stored);
            }
        }
        Err(Error::Failed(
            ErrorCode::NotReady,
            "the template kept changing while it was rated; try again".to_owned(),
        ))
    }

    /// Meta's `POST /{template_id}/unpause`: a PAUSED template is APPROVED again at once,
    /// with the UNPAUSE status update the reviewer sends when a pause ends. `Err(reason)`
    /// inside when the template is not paused.
    pub async fn unpause_template(
        &self,
        p: &Principal,
        id: &TemplateId,
    ) -> Result<std::result::Result<Template, String>> {
        p.require_account_wide()?;
        for _ in 0..ATTEMPTS {
            let t = self.get_template(p, id).await?;
            if t.status != TemplateStatus::Paused {
                return Ok(Err(format!(
                    "the template is {}: only a PAUSED template can be unpaused",
                    t.status
                )));
            }
            let seen = t.updated_at;
            let at = self.now();
            let (mut t, values) = unpause(t, at);
            t.updated_at = after(at, seen);
            let waba = Waba::of(self.store.as_ref(), t.account_id, &t.waba_id).await?;
            let events = waba.events(&t, at, values);
            if let Some(stored) = self.store.update_template_if(t, seen, events).await? {
                return Ok(Ok(stored));
            }
        }
        Err(Error::Failed(
            ErrorCode::NotReady,
            "the template kept changing while it was unpaused; try again".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn approved() -> Template {
        let mut t = super::super::tests::sample();
        t.status = TemplateStatus::Approved;
        t.quality_score = Some(QualityScore::Unknown);
        t
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).unwrap()
    }

    #[test]
    fn a_rating_change_is_reported_and_a_repeat_changes_nothing() {
        let (t, values) = rate(approved(), QualityScore::Green, at(1_750_000_100));
        assert_eq!(t.quality_score, Some(QualityScore::Green));
        assert_eq!(t.status, TemplateStatus::Approved);
        assert_eq!(
            values,
            [(
                EventField::MessageTemplateQualityUpdate,
                json!({"previous_quality_score": "UNKNOWN", "new_quality_score": "GREEN",
                    "message_template_id": 1689556908129835_u64,
                    "message_template_name": "order_update",
                    "message_template_language": "en_US"})
            )]
        );
        let (_, again) = rate(t, QualityScore::Green, at(1_750_000_200));
        assert!(again.is_empty());
    }

    #[test]
    fn red_pauses_twice_then_disables() {
        let now = at(1_750_000_000);
        let (t, values) = rate(approved(), QualityScore::Red, now);
        assert_eq!((t.status, t.pause_count), (TemplateStatus::Paused, 1));
        assert_eq!(
            t.paused_until,
            Some(at(1_750_000_000 + 3 * 3600)),
            "3 hours"
        );
        let fields: Vec<_> = values.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                EventField::MessageTemplateQualityUpdate,
                EventField::MessageTemplateStatusUpdate
            ]
        );
        let paused = &values[1].1;
        assert_eq!(paused["event"], "PAUSED");
        assert_eq!(paused["reason"], "NONE");
        assert_eq!(paused["other_info"]["title"], "FIRST_PAUSE");
        assert_eq!(
            paused["other_info"]["description"],
            "Your WhatsApp message template has been paused for 3 hours until Jun 15 at \
             6:06 PM UTC because it had issues."
        );
        assert!(paused.get("disable_info").is_none());

        // Red again while paused: nothing (the rating is already RED).
        let (same, values) = rate(t.clone(), QualityScore::Red, at(1_750_000_100));
        assert!(values.is_empty());
        assert_eq!(same.status, TemplateStatus::Paused);

        let (t, values) = unpause(t, at(1_750_020_000));
        assert_eq!(
            (t.status, t.paused_until, t.quality_score),
            (TemplateStatus::Approved, None, Some(QualityScore::Red))
        );
        assert_eq!(values[0].1["event"], "APPROVED");
        assert_eq!(values[0].1["other_info"]["title"], "UNPAUSE");

        let (t, values) = rate(t, QualityScore::Red, at(1_750_030_000));
        assert_eq!((t.status, t.pause_count), (TemplateStatus::Paused, 2));
        assert_eq!(t.paused_until, Some(at(1_750_030_000 + 6 * 3600)));
        assert_eq!(values.len(), 1, "the rating did not change");
        assert_eq!(values[0].1["other_info"]["title"], "SECOND_PAUSE");

        let (t, _) = unpause(t, at(1_750_060_000));
        let (t, values) = rate(t, QualityScore::Red, at(1_750_070_000));
        assert_eq!((t.status, t.pause_count), (TemplateStatus::Disabled, 3));
        assert_eq!(t.paused_until, None);
        let disabled = &values[0].1;
        assert_eq!(disabled["event"], "DISABLED");
        assert_eq!(disabled["other_info"]["title"], "DISABLED");
        assert_eq!(
            disabled["disable_info"],
            json!({"disable_date": 1_750_070_000})
        );
    }

    #[test]
    fn the_ladder() {
        let steps: Vec<_> = (0..4).map(PauseTitle::after_pauses).collect();
        assert_eq!(
            steps,
            [
                PauseTitle::FirstPause,
                PauseTitle::SecondPause,
                PauseTitle::Disabled,
                PauseTitle::Disabled
            ]
        );
        assert_eq!(PauseTitle::SecondPause.pause_ms(), Some(6 * 3_600_000));
        assert_eq!(PauseTitle::Disabled.pause_ms(), None);
    }
}
