//! Phone number registration (see `wagate_core::registration`): one row per channel whose
//! registration state ever changed; a channel without a row is in its initial state
//! (registered, verified, no two-step PIN), so existing channels need no migration of data.
//!
//! The rules live in the core's state machine; the store keeps the row and writes it by
//! compare-and-set on `version` ([`save_registration`]): a service reads the
//! row, applies one transition, and writes only if nobody wrote in between (else it reads
//! again). The two-step PIN is stored as a salt and SHA-256 digest, never as the PIN; the
//! sandbox's pending verification code is stored as is (the sandbox shows it to the
//! developer, it guards nothing real). The call windows (code requests, register and
//! deregister calls) are JSON arrays of Unix milliseconds, trimmed to their window by every
//! transition, so they stay a few entries long.
//!
//! [`save_registration`]: crate::ChannelStore::save_registration

use wagate_core::Timestamp;
use wagate_core::ids::{AccountId, ChannelId};
use wagate_core::registration::{
    CodeLanguage, CodeMethod, DataRegion, NameChange, NameReview, PendingCode, PinDigest,
    Registration, RegistrationStatus, VerificationCode,
};
use wagate_core::text::VerifiedName;

use crate::error::StoreError;
use crate::records::{corrupt, timestamp};

/// The registration columns, in [`RegistrationRecord`] order.
#[macro_export]
macro_rules! registration_columns {
    () => {
        "channel_id, account_id, version, status, verified, pin_salt, pin_hash, \
         code, code_method, code_language, code_sent_at, code_expires_at, code_attempts, \
         codes_sent, code_requests, register_calls, deregister_calls, blocked_until, \
         data_localization_region, registered_at, new_display_name, new_name_status, \
         name_requested_at, name_decided_at, updated_at"
    };
}

/// A stored row, as both backends read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegistrationRecord {
    pub channel_id: uuid::Uuid,
    pub account_id: uuid::Uuid,
    pub version: i64,
    pub status: String,
    /// `VERIFIED` or `NOT_VERIFIED` (`EXPIRED` is worked out from the code's expiry).
    pub verified: String,
    pub pin_salt: Option<String>,
    pub pin_hash: Option<String>,
    pub code: Option<String>,
    pub code_method: Option<String>,
    pub code_language: Option<String>,
    pub code_sent_at: Option<i64>,
    pub code_expires_at: Option<i64>,
    pub code_attempts: i64,
    pub codes_sent: i64,
    /// JSON arrays of Unix milliseconds.
    pub code_requests: String,
    pub register_calls: String,
    pub deregister_calls: String,
    pub blocked_until: Option<i64>,
    pub data_localization_region: Option<String>,
    pub registered_at: Option<i64>,
    pub new_display_name: Option<String>,
    pub new_name_status: Option<String>,
    pub name_requested_at: Option<i64>,
    pub name_decided_at: Option<i64>,
    pub updated_at: i64,
}

fn times_json(times: &[Timestamp]) -> String {
    serde_json::to_string(&times.iter().map(|t| t.as_millisecond()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".to_owned())
}

fn ms(t: Option<Timestamp>) -> Option<i64> {
    t.map(|t| t.as_millisecond())
}

impl From<&Registration> for RegistrationRecord {
    fn from(r: &Registration) -> Self {
        let (pin_salt, pin_hash) = match r.pin.as_ref().map(PinDigest::to_hex) {
            Some((salt, hash)) => (Some(salt), Some(hash)),
            None => (None, None),
        };
        let code = r.code.as_ref();
        let name = r.name_change.as_ref();
        Self {
            channel_id: r.channel_id.as_uuid(),
            account_id: r.account_id.as_uuid(),
            version: i64::try_from(r.version).unwrap_or(i64::MAX),
            status: r.status.as_str().to_owned(),
            verified: if r.verified {
                "VERIFIED"
            } else {
                "NOT_VERIFIED"
            }
            .to_owned(),
            pin_salt,
            pin_hash,
            code: code.map(|c| c.code.as_str().to_owned()),
            code_method: code.map(|c| c.method.as_str().to_owned()),
            code_language: code.map(|c| c.language.as_str().to_owned()),
            code_sent_at: code.map(|c| c.sent_at.as_millisecond()),
            code_expires_at: code.map(|c| c.expires_at.as_millisecond()),
            code_attempts: code.map_or(0, |c| i64::from(c.attempts)),
            codes_sent: i64::from(r.codes_sent),
            code_requests: times_json(&r.code_requests),
            register_calls: times_json(&r.register_calls),
            deregister_calls: times_json(&r.deregister_calls),
            blocked_until: ms(r.blocked_until),
            data_localization_region: r
                .data_localization_region
                .as_ref()
                .map(|d| d.as_str().to_owned()),
            registered_at: ms(r.registered_at),
            new_display_name: name.map(|n| n.name.as_str().to_owned()),
            new_name_status: name.map(|n| n.review.as_str().to_owned()),
            name_requested_at: name.map(|n| n.requested_at.as_millisecond()),
            name_decided_at: name.and_then(|n| ms(n.decided_at)),
            updated_at: r.updated_at.as_millisecond(),
        }
    }
}

impl TryFrom<RegistrationRecord> for Registration {
    type Error = StoreError;

    fn try_from(r: RegistrationRecord) -> Result<Self, StoreError> {
        const WHAT: &str = "phone registration";
        let bad = |detail: String| corrupt(WHAT, detail);
        let at = |ms: i64| timestamp(WHAT, ms);
        let opt_at = |ms: Option<i64>| ms.map(|m| timestamp(WHAT, m)).transpose();
        let times = |field: &str, json: &str| -> Result<Vec<Timestamp>, StoreError> {
            let raw: Vec<i64> =
                serde_json::from_str(json).map_err(|e| bad(format!("{field}: {e}")))?;
            raw.into_iter().map(|m| timestamp(WHAT, m)).collect()
        };
        let pin = match (&r.pin_salt, &r.pin_hash) {
            (None, None) => None,
            (Some(salt), Some(hash)) => {
                Some(PinDigest::from_hex(salt, hash).ok_or_else(|| bad("pin digest".to_owned()))?)
            }
            _ => return Err(bad("a PIN salt without a digest, or the reverse".to_owned())),
        };
        let code = match (
            r.code,
            r.code_method,
            r.code_language,
            r.code_sent_at,
            r.code_expires_at,
        ) {
            (None, None, None, None, None) => None,
            (Some(code), Some(method), Some(language), Some(sent), Some(expires)) => {
                Some(PendingCode {
                    code: VerificationCode::parse(&code).map_err(|e| bad(format!("code: {e}")))?,
                    method: CodeMethod::parse(&method).map_err(|e| bad(e.to_string()))?,
                    language: CodeLanguage::parse(&language).map_err(|e| bad(e.to_string()))?,
                    sent_at: at(sent)?,
                    expires_at: at(expires)?,
                    attempts: u32::try_from(r.code_attempts)
                        .map_err(|e| bad(format!("code attempts: {e}")))?,
                })
            }
            _ => return Err(bad("a pending code with parts missing".to_owned())),
        };
        let name_change = match (r.new_display_name, r.new_name_status, r.name_requested_at) {
            (None, None, None) => None,
            (Some(name), Some(review), Some(requested)) => Some(NameChange {
                name: VerifiedName::parse(&name).map_err(|e| bad(e.to_string()))?,
                review: NameReview::parse(&review).map_err(|e| bad(e.to_string()))?,
                requested_at: at(requested)?,
                decided_at: opt_at(r.name_decided_at)?,
            }),
            _ => return Err(bad("a display-name request with parts missing".to_owned())),
        };
        Ok(Self {
            channel_id: ChannelId::from_uuid(r.channel_id),
            account_id: AccountId::from_uuid(r.account_id),
            version: u64::try_from(r.version).map_err(|e| bad(format!("version: {e}")))?,
            status: RegistrationStatus::parse(&r.status).map_err(|e| bad(e.to_string()))?,
            verified: match r.verified.as_str() {
                "VERIFIED" => true,
                "NOT_VERIFIED" => false,
                other => return Err(bad(format!("verified {other}"))),
            },
            pin,
            code,
            codes_sent: u32::try_from(r.codes_sent).map_err(|e| bad(format!("codes sent: {e}")))?,
            code_requests: times("code_requests", &r.code_requests)?,
            register_calls: times("register_calls", &r.register_calls)?,
            deregister_calls: times("deregister_calls", &r.deregister_calls)?,
            blocked_until: opt_at(r.blocked_until)?,
            data_localization_region: r
                .data_localization_region
                .map(|d| DataRegion::parse(&d).map_err(|e| bad(e.to_string())))
                .transpose()?,
            registered_at: opt_at(r.registered_at)?,
            name_change,
            updated_at: at(r.updated_at)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wagate_core::ids::PhoneNumberId;
    use wagate_core::registration::TwoStepPin;

    #[test]
    fn every_field_survives_a_round_trip_through_the_record() {
        let t = |ms: i64| Timestamp::from_millisecond(1_700_000_000_000 + ms).unwrap();
        let mut r = Registration::initial(AccountId::generate(), ChannelId::generate(), t(0));
        let pnid = PhoneNumberId::parse("106540352242922").unwrap();
        r.request_code(
            &pnid,
            CodeMethod::Voice,
            CodeLanguage::parse("en_US").unwrap(),
            t(1),
        )
        .unwrap();
        r.deregister(t(2)).unwrap();
        r.set_pin(&TwoStepPin::parse("123456").unwrap());
        r.request_name(VerifiedName::parse("Acme Shoes").unwrap(), t(3));
        r.data_localization_region = Some(DataRegion::parse("IN").unwrap());
        r.blocked_until = Some(t(4));
        r.registered_at = Some(t(5));
        r.version = 7;
        let back = Registration::try_from(RegistrationRecord::from(&r)).unwrap();
        assert_eq!(back, r);
        assert!(
            back.pin
                .unwrap()
                .matches(&TwoStepPin::parse("123456").unwrap())
        );
    }
}
