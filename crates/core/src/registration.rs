//! Registration of a business phone number on the Cloud API (reference §1.4): the state a
//! number carries between Meta's `request_code`, `verify_code`, `register`, `deregister`,
//! two-step PIN and display-name calls, and the rules of every transition, as one state
//! machine with no I/O. Services load a [`Registration`], call one transition with the time
//! (`now` is a parameter, so tests move the clock instead of waiting), and store the result.
//!
//! # The model
//! - **Registered or not.** A new channel is registered (it can send at once, as before this
//!   state existed). `deregister` takes it off the platform: sends are refused with Meta's
//!   133010 until `register` again.
//! - **Code verification.** A new channel's number counts as verified. `request_code` opens a
//!   new verification round: the sandbox "sends" a 6-digit code ([`VerificationCode::sandbox`],
//!   deterministic per number and round, and readable at `GET /sandbox/{pnid}/verification_code`);
//!   until the right code comes back through `verify_code`, `code_verification_status` is
//!   `NOT_VERIFIED` (`EXPIRED` once the code is older than [`CODE_TTL_MS`]) and `register` is
//!   refused with 133006, as Meta registers only VERIFIED numbers.
//! - **Two-step PIN.** Kept only as a salted SHA-256 digest ([`PinDigest`]). `register` with a
//!   PIN sets it when none is set (as Meta does) and must match it otherwise (133005).
//! - **Limits** (Meta's where Meta publishes them, ours otherwise):
//!   - `register`: at most [`REGISTER_CALLS`] calls per [`REGISTER_WINDOW_MS`] (72 h moving
//!     window); the next one is refused with 133016 and blocks registration for
//!     [`REGISTER_BLOCK_MS`] (72 h). `deregister` has its own count under the same numbers
//!     (133016 too, without a block). Every well-formed call counts, refused ones included,
//!     as Meta counts requests.
//!   - `request_code`: one code per [`CODE_RESEND_MS`] (1 minute) and at most
//!     [`CODE_REQUESTS_PER_DAY`] per 24-hour moving window, else 136024 (Meta's "request code
//!     error"; it publishes no numbers).
//!   - `verify_code`: a code lives [`CODE_TTL_MS`] (10 minutes) and takes
//!     [`CODE_ATTEMPTS`] wrong guesses; after that only a new code helps (136025, Meta's
//!     "verify code error").
//! - **Display name.** A new display name waits in review (`new_name_status` PENDING_REVIEW);
//!   the sandbox decides [`NAME_REVIEW_MS`] (30 s) after the request, when the number is next
//!   read: it declines names that claim to be WhatsApp (Meta's display-name rules) and
//!   approves the rest, which then become the channel's verified name.

use std::fmt;

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::Timestamp;
use crate::error::{ErrorCode, ValidationError};
use crate::ids::{AccountId, ChannelId, PhoneNumberId};
use crate::text::VerifiedName;

/// Register calls allowed per number in [`REGISTER_WINDOW_MS`] (Meta: 10).
pub const REGISTER_CALLS: usize = 10;
/// The moving window register and deregister calls are counted in (Meta: 72 hours).
pub const REGISTER_WINDOW_MS: i64 = 72 * HOUR_MS;
/// How long registration stays blocked once the limit is passed (Meta: 72 hours).
pub const REGISTER_BLOCK_MS: i64 = 72 * HOUR_MS;
/// How long a verification code can be used (Meta's codes live minutes; we say 10).
pub const CODE_TTL_MS: i64 = 10 * 60_000;
/// Wrong guesses a code takes before only a new code helps.
pub const CODE_ATTEMPTS: u32 = 5;
/// Least time between two code requests.
pub const CODE_RESEND_MS: i64 = 60_000;
/// Code requests per number in a 24-hour moving window.
pub const CODE_REQUESTS_PER_DAY: usize = 10;
/// When the sandbox decides on a requested display name.
pub const NAME_REVIEW_MS: i64 = 30_000;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident => $wire:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire,)* }
            }

            /// The wire value, in any case.
            pub fn parse(s: &str) -> Result<Self, ValidationError> {
                $(if s.trim().eq_ignore_ascii_case($wire) { return Ok($name::$variant); })*
                Err(ValidationError::new(
                    $field,
                    format!("must be one of {}", [$($wire),*].join(", ")),
                ))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// How the verification code reaches the number (`code_method`).
    CodeMethod, "code_method" { Sms => "SMS", Voice => "VOICE" }
);

wire_enum!(
    /// Whether the number is on the platform.
    RegistrationStatus, "status" { Registered => "REGISTERED", Deregistered => "DEREGISTERED" }
);

wire_enum!(
    /// `code_verification_status` (§1.6).
    CodeVerificationStatus, "code_verification_status" {
        NotVerified => "NOT_VERIFIED", Verified => "VERIFIED", Expired => "EXPIRED",
    }
);

wire_enum!(
    /// Where a requested display name is in review (`new_name_status`).
    NameReview, "new_name_status" {
        PendingReview => "PENDING_REVIEW", Approved => "APPROVED", Declined => "DECLINED",
    }
);

/// `n` ASCII digits, or a [`ValidationError`] on `field`.
fn digits(field: &str, s: &str, n: usize, what: &str) -> Result<String, ValidationError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ValidationError::new(field, format!("is required: {what}")));
    }
    if s.len() != n || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(field, format!("must be {what}")));
    }
    Ok(s.to_owned())
}

/// A two-step verification PIN: exactly 6 digits. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TwoStepPin(String);

impl TwoStepPin {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        digits("pin", s, 6, "a 6-digit PIN").map(Self)
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for TwoStepPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TwoStepPin(******)")
    }
}

/// What is stored of a two-step PIN: a random 16-byte salt and SHA-256(salt ‖ PIN), never
/// the PIN. (A 6-digit PIN is a small space; the salt keeps precomputed tables useless and
/// two equal PINs from looking equal, and the 10-per-72-hours register limit bounds guesses
/// through the API.)
#[derive(Clone, PartialEq, Eq)]
pub struct PinDigest {
    salt: [u8; 16],
    hash: [u8; 32],
}

impl PinDigest {
    /// The digest of `pin` under a fresh random salt.
    pub fn new(pin: &TwoStepPin) -> Self {
        let mut salt = [0u8; 16];
        rand::rng().fill(&mut salt);
        Self::with_salt(pin, salt)
    }

    fn with_salt(pin: &TwoStepPin, salt: [u8; 16]) -> Self {
        let mut h = Sha256::new();
        h.update(salt);
        h.update(pin.as_bytes());
        Self {
            salt,
            hash: h.finalize().into(),
        }
    }

    /// Whether `pin` is the PIN this digest was made from (constant time).
    pub fn matches(&self, pin: &TwoStepPin) -> bool {
        use subtle::ConstantTimeEq;
        Self::with_salt(pin, self.salt)
            .hash
            .ct_eq(&self.hash)
            .into()
    }

    /// `(salt, hash)` in lowercase hex, as stored.
    pub fn to_hex(&self) -> (String, String) {
        (hex::encode(self.salt), hex::encode(self.hash))
    }

    /// A stored digest; `None` when either part is not hex of the right length.
    pub fn from_hex(salt: &str, hash: &str) -> Option<Self> {
        Some(Self {
            salt: hex::decode(salt).ok()?.try_into().ok()?,
            hash: hex::decode(hash).ok()?.try_into().ok()?,
        })
    }
}

impl fmt::Debug for PinDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinDigest(***)")
    }
}

/// A verification code: exactly 6 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationCode(String);

impl VerificationCode {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        digits("code", s, 6, "the 6-digit code sent to the number").map(Self)
    }

    /// The code the sandbox "sends" for the `round`-th request of `pnid`: the first four
    /// bytes of SHA-256(`wagate-sandbox-code:<pnid>:<round>`), big-endian, modulo 10⁶, in six
    /// digits. Deterministic, so a test can know it; different for every round and number.
    pub fn sandbox(pnid: &PhoneNumberId, round: u32) -> Self {
        let h = Sha256::digest(format!("wagate-sandbox-code:{pnid}:{round}").as_bytes());
        let n = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) % 1_000_000;
        Self(format!("{n:06}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn ct_eq(&self, other: &VerificationCode) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

/// The language a code is sent in (`language`): a language code with an optional region,
/// like `en` or `en_US` (Meta's template languages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeLanguage(String);

impl CodeLanguage {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        let bad = || {
            ValidationError::new(
                "language",
                "must be a language code such as `en` or `en_US`",
            )
        };
        if s.is_empty() {
            return Err(ValidationError::new(
                "language",
                "is required: the language of the code message, such as `en`",
            ));
        }
        let (lang, region) = match s.split_once(['_', '-']) {
            Some((l, r)) => (l, Some(r)),
            None => (s, None),
        };
        let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
        let region_ok = region.is_none_or(|r| {
            (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if lang_ok && region_ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `data_localization_region`: the ISO 3166 alpha-2 country where data at rest should stay
/// (Meta's local storage). Kept; the sandbox stores everything in one place anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRegion(String);

impl DataRegion {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::new(
                "data_localization_region",
                "must be a 2-letter ISO 3166 country code in capitals, such as `IN`",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The code of the open verification round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCode {
    pub code: VerificationCode,
    pub method: CodeMethod,
    pub language: CodeLanguage,
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
    /// Wrong guesses so far.
    pub attempts: u32,
}

impl PendingCode {
    pub fn attempts_left(&self) -> u32 {
        CODE_ATTEMPTS.saturating_sub(self.attempts)
    }

    pub fn expired(&self, now: Timestamp) -> bool {
        now >= self.expires_at
    }
}

/// A requested display name and its review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameChange {
    pub name: VerifiedName,
    pub review: NameReview,
    pub requested_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

/// What [`Registration::review_name`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameDecision {
    /// The name is approved: it becomes the channel's verified name.
    Approved(VerifiedName),
    Declined,
}

/// Why a transition was refused. Each answers with Meta's code; the message goes to
/// `error_data.details`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    #[error(
        "this number was registered or deregistered too often: at most {REGISTER_CALLS} register calls per 72 hours; registration is blocked until {until}"
    )]
    RegisterLimit { until: Timestamp },
    #[error(
        "this number was deregistered too often: at most {REGISTER_CALLS} deregister calls per 72 hours; try again after {retry_at}"
    )]
    DeregisterLimit { retry_at: Timestamp },
    #[error(
        "the number has not been verified: request a code (request_code), then send it back (verify_code) before registering"
    )]
    NotVerified,
    #[error(
        "the PIN does not match the number's two-step verification PIN; set a new one with POST /{{phone_number_id}} {{\"pin\": …}} if it is lost"
    )]
    PinMismatch,
    #[error("a code was sent less than a minute ago; wait until {retry_at} to request another")]
    CodeTooSoon { retry_at: Timestamp },
    #[error(
        "at most {CODE_REQUESTS_PER_DAY} codes per number in 24 hours; try again after {retry_at}"
    )]
    CodeLimit { retry_at: Timestamp },
    #[error("no verification code was requested for this number; call request_code first")]
    NoCode,
    #[error("the verification code has expired; request a new one")]
    CodeExpired,
    #[error("too many wrong codes; request a new one")]
    CodeAttemptsExhausted,
    #[error("the verification code is incorrect ({left} attempts left)")]
    WrongCode { left: u32 },
}

impl RegistrationError {
    pub fn code(&self) -> ErrorCode {
        use RegistrationError::*;
        match self {
            RegisterLimit { .. } | DeregisterLimit { .. } => ErrorCode::RegistrationRateLimited,
            NotVerified => ErrorCode::PhoneNumberNotVerified,
            PinMismatch => ErrorCode::TwoStepPinMismatch,
            CodeTooSoon { .. } | CodeLimit { .. } => ErrorCode::VerificationCodeRequestRefused,
            NoCode | CodeExpired | CodeAttemptsExhausted | WrongCode { .. } => {
                ErrorCode::VerificationCodeIncorrect
            }
        }
    }
}

/// A phone number's registration state. See the module docs for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub channel_id: ChannelId,
    pub account_id: AccountId,
    /// Bumped by every stored change; the store writes over the version it was read at only
    /// (compare-and-set), so two concurrent transitions never both act on one state.
    pub version: u64,
    pub status: RegistrationStatus,
    /// The last verification round succeeded (or none was ever opened).
    pub verified: bool,
    pub pin: Option<PinDigest>,
    /// The open verification round's code, until verified.
    pub code: Option<PendingCode>,
    /// Codes sent so far (the next code's round number).
    pub codes_sent: u32,
    /// When codes were requested in the last 24 hours.
    pub code_requests: Vec<Timestamp>,
    /// When `register` was called in the last 72 hours.
    pub register_calls: Vec<Timestamp>,
    /// When `deregister` was called in the last 72 hours.
    pub deregister_calls: Vec<Timestamp>,
    /// Registration is refused (133016) until then.
    pub blocked_until: Option<Timestamp>,
    pub data_localization_region: Option<DataRegion>,
    /// The last successful `register`.
    pub registered_at: Option<Timestamp>,
    pub name_change: Option<NameChange>,
    pub updated_at: Timestamp,
}

/// Keeps the times after `now - window`.
fn within(times: &mut Vec<Timestamp>, now: Timestamp, window: i64) {
    let from = now.as_millisecond() - window;
    times.retain(|t| t.as_millisecond() > from);
}

fn plus(t: Timestamp, ms: i64) -> Timestamp {
    Timestamp::from_millisecond(t.as_millisecond().saturating_add(ms)).unwrap_or(Timestamp::MAX)
}

impl Registration {
    /// The state of a number that never changed: registered, verified, no PIN, no code.
    pub fn initial(account_id: AccountId, channel_id: ChannelId, at: Timestamp) -> Self {
        Self {
            channel_id,
            account_id,
            version: 0,
            status: RegistrationStatus::Registered,
            verified: true,
            pin: None,
            code: None,
            codes_sent: 0,
            code_requests: Vec::new(),
            register_calls: Vec::new(),
            deregister_calls: Vec::new(),
            blocked_until: None,
            data_localization_region: None,
            registered_at: None,
            name_change: None,
            updated_at: at,
        }
    }

    /// Whether messages may be sent from the number.
    pub fn can_send(&self) -> bool {
        self.status == RegistrationStatus::Registered
    }

    pub fn is_pin_enabled(&self) -> bool {
        self.pin.is_some()
    }

    /// `code_verification_status` at `now`.
    pub fn code_verification_status(&self, now: Timestamp) -> CodeVerificationStatus {
        match &self.code {
            _ if self.verified => CodeVerificationStatus::Verified,
            Some(c) if c.expired(now) => CodeVerificationStatus::Expired,
            _ => CodeVerificationStatus::NotVerified,
        }
    }

    /// `request_code`: opens a verification round and "sends" its code.
    pub fn request_code(
        &mut self,
        pnid: &PhoneNumberId,
        method: CodeMethod,
        language: CodeLanguage,
        now: Timestamp,
    ) -> Result<(), RegistrationError> {
        within(&mut self.code_requests, now, DAY_MS);
        if let Some(last) = self.code_requests.iter().max() {
            let retry_at = plus(*last, CODE_RESEND_MS);
            if now < retry_at {
                return Err(RegistrationError::CodeTooSoon { retry_at });
            }
        }
        if self.code_requests.len() >= CODE_REQUESTS_PER_DAY {
            let first = self.code_requests.iter().min().copied().unwrap_or(now);
            return Err(RegistrationError::CodeLimit {
                retry_at: plus(first, DAY_MS),
            });
        }
        self.code_requests.push(now);
        self.codes_sent = self.codes_sent.saturating_add(1);
        self.code = Some(PendingCode {
            code: VerificationCode::sandbox(pnid, self.codes_sent),
            method,
            language,
            sent_at: now,
            expires_at: plus(now, CODE_TTL_MS),
            attempts: 0,
        });
        self.verified = false;
        Ok(())
    }

    /// `verify_code`: the right, unexpired code ends the round as VERIFIED. A wrong one is
    /// counted (the caller stores the state on refusals too).
    pub fn verify_code(
        &mut self,
        code: &VerificationCode,
        now: Timestamp,
    ) -> Result<(), RegistrationError> {
        let Some(pending) = self.code.as_mut() else {
            return Err(RegistrationError::NoCode);
        };
        if pending.expired(now) {
            return Err(RegistrationError::CodeExpired);
        }
        if pending.attempts >= CODE_ATTEMPTS {
            return Err(RegistrationError::CodeAttemptsExhausted);
        }
        if !pending.code.ct_eq(code) {
            pending.attempts += 1;
            return Err(match pending.attempts_left() {
                0 => RegistrationError::CodeAttemptsExhausted,
                left => RegistrationError::WrongCode { left },
            });
        }
        self.code = None;
        self.verified = true;
        Ok(())
    }

    /// `register`: counted against the 72-hour limit first, then checked (verified number,
    /// PIN); a PIN given while none is set becomes the two-step PIN.
    pub fn register(
        &mut self,
        pin: &TwoStepPin,
        region: Option<DataRegion>,
        now: Timestamp,
    ) -> Result<(), RegistrationError> {
        if let Some(until) = self.blocked_until {
            if now < until {
                return Err(RegistrationError::RegisterLimit { until });
            }
            self.blocked_until = None;
        }
        within(&mut self.register_calls, now, REGISTER_WINDOW_MS);
        if self.register_calls.len() >= REGISTER_CALLS {
            let until = plus(now, REGISTER_BLOCK_MS);
            self.blocked_until = Some(until);
            self.register_calls.clear();
            return Err(RegistrationError::RegisterLimit { until });
        }
        self.register_calls.push(now);
        if !self.verified {
            return Err(RegistrationError::NotVerified);
        }
        match &self.pin {
            Some(d) if !d.matches(pin) => return Err(RegistrationError::PinMismatch),
            Some(_) => {}
            None => self.pin = Some(PinDigest::new(pin)),
        }
        self.status = RegistrationStatus::Registered;
        self.registered_at = Some(now);
        if region.is_some() {
            self.data_localization_region = region;
        }
        Ok(())
    }

    /// `deregister`: takes the number off the platform (sends are refused until it is
    /// registered again).
    pub fn deregister(&mut self, now: Timestamp) -> Result<(), RegistrationError> {
        within(&mut self.deregister_calls, now, REGISTER_WINDOW_MS);
        if self.deregister_calls.len() >= REGISTER_CALLS {
            let first = self.deregister_calls.iter().min().copied().unwrap_or(now);
            return Err(RegistrationError::DeregisterLimit {
                retry_at: plus(first, REGISTER_WINDOW_MS),
            });
        }
        self.deregister_calls.push(now);
        self.status = RegistrationStatus::Deregistered;
        Ok(())
    }

    /// Sets or changes the two-step verification PIN.
    pub fn set_pin(&mut self, pin: &TwoStepPin) {
        self.pin = Some(PinDigest::new(pin));
    }

    /// Asks for a new display name; it waits in review.
    pub fn request_name(&mut self, name: VerifiedName, now: Timestamp) {
        self.name_change = Some(NameChange {
            name,
            review: NameReview::PendingReview,
            requested_at: now,
            decided_at: None,
        });
    }

    /// The sandbox's review of a pending display name, once [`NAME_REVIEW_MS`] have passed:
    /// a name claiming to be WhatsApp is declined, any other approved.
    pub fn review_name(&mut self, now: Timestamp) -> Option<NameDecision> {
        let change = self.name_change.as_mut()?;
        if change.review != NameReview::PendingReview
            || now < plus(change.requested_at, NAME_REVIEW_MS)
        {
            return None;
        }
        change.decided_at = Some(now);
        if change.name.as_str().to_lowercase().contains("whatsapp") {
            change.review = NameReview::Declined;
            Some(NameDecision::Declined)
        } else {
            change.review = NameReview::Approved;
            Some(NameDecision::Approved(change.name.clone()))
        }
    }
}

/// Calling codes of the countries most numbers come from, longest first where they share a
/// prefix: `(dial code, ISO 3166 alpha-2)`. `1` is answered as US (the NANP is shared).
const CALLING_CODES: &[(&str, &str)] = &[
    ("971", "AE"),
    ("966", "SA"),
    ("880", "BD"),
    ("972", "IL"),
    ("974", "QA"),
    ("965", "KW"),
    ("234", "NG"),
    ("254", "KE"),
    ("351", "PT"),
    ("353", "IE"),
    ("358", "FI"),
    ("380", "UA"),
    ("852", "HK"),
    ("886", "TW"),
    ("20", "EG"),
    ("27", "ZA"),
    ("30", "GR"),
    ("31", "NL"),
    ("32", "BE"),
    ("33", "FR"),
    ("34", "ES"),
    ("39", "IT"),
    ("40", "RO"),
    ("41", "CH"),
    ("43", "AT"),
    ("44", "GB"),
    ("45", "DK"),
    ("46", "SE"),
    ("47", "NO"),
    ("48", "PL"),
    ("49", "DE"),
    ("51", "PE"),
    ("52", "MX"),
    ("54", "AR"),
    ("55", "BR"),
    ("56", "CL"),
    ("57", "CO"),
    ("60", "MY"),
    ("61", "AU"),
    ("62", "ID"),
    ("63", "PH"),
    ("64", "NZ"),
    ("65", "SG"),
    ("66", "TH"),
    ("81", "JP"),
    ("82", "KR"),
    ("84", "VN"),
    ("86", "CN"),
    ("90", "TR"),
    ("91", "IN"),
    ("92", "PK"),
    ("98", "IR"),
    ("1", "US"),
    ("7", "RU"),
];

/// `(country_dial_code, country_code)` of a number's digits (no `+`), when its calling code
/// is one wagate knows.
pub fn country_of(digits: &str) -> Option<(&'static str, &'static str)> {
    CALLING_CODES
        .iter()
        .filter(|(dial, _)| digits.starts_with(dial))
        .max_by_key(|(dial, _)| dial.len())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_700_000_000_000 + ms).unwrap()
    }

    fn fresh() -> Registration {
        Registration::initial(AccountId::generate(), ChannelId::generate(), t(0))
    }

    fn pin(s: &str) -> TwoStepPin {
        TwoStepPin::parse(s).unwrap()
    }

    fn pnid() -> PhoneNumberId {
        PhoneNumberId::parse("106540352242922").unwrap()
    }

    fn en() -> CodeLanguage {
        CodeLanguage::parse("en").unwrap()
    }

    #[test]
    fn pins_and_codes_are_six_digits() {
        assert!(TwoStepPin::parse("123456").is_ok());
        for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦"] {
            assert_eq!(TwoStepPin::parse(bad).unwrap_err().field, "pin", "{bad}");
            assert!(VerificationCode::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{:?}", pin("123456")).contains("123456"));
    }

    #[test]
    fn pin_digests_are_salted_and_match_only_their_pin() {
        let a = PinDigest::new(&pin("123456"));
        let b = PinDigest::new(&pin("123456"));
        assert_ne!(a, b, "a fresh salt each time");
        assert!(a.matches(&pin("123456")));
        assert!(!a.matches(&pin("654321")));
        let (salt, hash) = a.to_hex();
        assert!(!salt.contains("123456") && !hash.contains("123456"));
        assert_eq!(PinDigest::from_hex(&salt, &hash), Some(a));
        assert_eq!(PinDigest::from_hex("zz", &hash), None);
    }

    #[test]
    fn sandbox_codes_are_deterministic_per_number_and_round() {
        let one = VerificationCode::sandbox(&pnid(), 1);
        assert_eq!(one, VerificationCode::sandbox(&pnid(), 1));
        assert_ne!(one, VerificationCode::sandbox(&pnid(), 2));
        assert_eq!(one.as_str().len(), 6);
        assert!(VerificationCode::parse(one.as_str()).is_ok());
    }

    #[test]
    fn languages_methods_and_regions() {
        for ok in ["en", "en_US", "pt_BR", "zh_CN", "fil", "es-419"] {
            assert!(CodeLanguage::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "EN", "english", "e", "en_", "en US"] {
            assert!(CodeLanguage::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(CodeMethod::parse("sms").unwrap(), CodeMethod::Sms);
        assert_eq!(CodeMethod::parse("VOICE").unwrap(), CodeMethod::Voice);
        assert_eq!(CodeMethod::parse("EMAIL").unwrap_err().field, "code_method");
        assert!(DataRegion::parse("IN").is_ok());
        assert!(DataRegion::parse("in").is_err());
        assert!(DataRegion::parse("IND").is_err());
    }

    #[test]
    fn a_round_of_verification() {
        let mut r = fresh();
        assert_eq!(
            r.code_verification_status(t(0)),
            CodeVerificationStatus::Verified
        );
        assert_eq!(
            r.verify_code(&VerificationCode::parse("000000").unwrap(), t(0)),
            Err(RegistrationError::NoCode)
        );
        r.request_code(&pnid(), CodeMethod::Sms, en(), t(0))
            .unwrap();
        assert_eq!(
            r.code_verification_status(t(1)),
            CodeVerificationStatus::NotVerified
        );
        let right = r.code.as_ref().unwrap().code.clone();
        assert_eq!(right, VerificationCode::sandbox(&pnid(), 1));
        let wrong = VerificationCode::parse(if right.as_str() == "000000" {
            "111111"
        } else {
            "000000"
        })
        .unwrap();
        assert_eq!(
            r.verify_code(&wrong, t(1)),
            Err(RegistrationError::WrongCode { left: 4 })
        );
        assert_eq!(
            r.register(&pin("123456"), None, t(2)),
            Err(RegistrationError::NotVerified)
        );
        r.verify_code(&right, t(3)).unwrap();
        assert_eq!(
            r.code_verification_status(t(3)),
            CodeVerificationStatus::Verified
        );
        assert!(r.code.is_none());
    }

    #[test]
    fn codes_expire_and_take_five_guesses() {
        let mut r = fresh();
        r.request_code(&pnid(), CodeMethod::Voice, en(), t(0))
            .unwrap();
        let right = r.code.as_ref().unwrap().code.clone();
        assert_eq!(
            r.verify_code(&right, t(CODE_TTL_MS)),
            Err(RegistrationError::CodeExpired)
        );
        assert_eq!(
            r.code_verification_status(t(CODE_TTL_MS)),
            CodeVerificationStatus::Expired
        );
        r.request_code(&pnid(), CodeMethod::Sms, en(), t(CODE_TTL_MS))
            .unwrap();
        let right = r.code.as_ref().unwrap().code.clone();
        let wrong = VerificationCode::parse(if right.as_str() == "999999" {
            "888888"
        } else {
            "999999"
        })
        .unwrap();
        for left in (1..CODE_ATTEMPTS).rev() {
            assert_eq!(
                r.verify_code(&wrong, t(CODE_TTL_MS + 1)),
                Err(RegistrationError::WrongCode { left })
            );
        }
        assert_eq!(
            r.verify_code(&wrong, t(CODE_TTL_MS + 1)),
            Err(RegistrationError::CodeAttemptsExhausted)
        );
        assert_eq!(
            r.verify_code(&right, t(CODE_TTL_MS + 2)),
            Err(RegistrationError::CodeAttemptsExhausted),
            "even the right code, once the guesses are used up"
        );
    }

    #[test]
    fn code_requests_are_rate_limited() {
        let mut r = fresh();
        r.request_code(&pnid(), CodeMethod::Sms, en(), t(0))
            .unwrap();
        assert_eq!(
            r.request_code(&pnid(), CodeMethod::Sms, en(), t(59_999)),
            Err(RegistrationError::CodeTooSoon {
                retry_at: t(60_000)
            })
        );
        for i in 1..CODE_REQUESTS_PER_DAY as i64 {
            r.request_code(&pnid(), CodeMethod::Sms, en(), t(i * CODE_RESEND_MS))
                .unwrap();
        }
        let err = r
            .request_code(&pnid(), CodeMethod::Sms, en(), t(HOUR_MS))
            .unwrap_err();
        assert_eq!(
            err,
            RegistrationError::CodeLimit {
                retry_at: t(DAY_MS)
            }
        );
        assert_eq!(err.code().graph().code, 136024);
        assert!(
            r.request_code(&pnid(), CodeMethod::Sms, en(), t(DAY_MS + 1))
                .is_ok()
        );
        assert_eq!(r.codes_sent, CODE_REQUESTS_PER_DAY as u32 + 1);
    }

    #[test]
    fn register_sets_then_checks_the_pin() {
        let mut r = fresh();
        r.deregister(t(0)).unwrap();
        assert!(!r.can_send());
        r.register(&pin("123456"), None, t(1)).unwrap();
        assert!(r.can_send() && r.is_pin_enabled());
        assert_eq!(
            r.register(&pin("000000"), None, t(2)),
            Err(RegistrationError::PinMismatch)
        );
        r.set_pin(&pin("000000"));
        r.register(&pin("000000"), Some(DataRegion::parse("IN").unwrap()), t(3))
            .unwrap();
        assert_eq!(r.data_localization_region.as_ref().unwrap().as_str(), "IN");
        assert_eq!(r.registered_at, Some(t(3)));
    }

    #[test]
    fn ten_register_calls_per_72_hours_then_a_72_hour_block() {
        let mut r = fresh();
        for i in 0..REGISTER_CALLS as i64 {
            r.register(&pin("123456"), None, t(i)).unwrap();
        }
        let until = t(10 + REGISTER_BLOCK_MS);
        let err = r.register(&pin("123456"), None, t(10)).unwrap_err();
        assert_eq!(err, RegistrationError::RegisterLimit { until });
        assert_eq!(err.code().graph().code, 133016);
        // Still blocked once the calls left the window, until the block ends.
        assert_eq!(
            r.register(&pin("123456"), None, t(REGISTER_WINDOW_MS + 5)),
            Err(RegistrationError::RegisterLimit { until })
        );
        r.register(&pin("123456"), None, until).unwrap();
        // Deregistering has its own count.
        for i in 0..REGISTER_CALLS as i64 {
            r.deregister(plus(until, i)).unwrap();
        }
        assert!(matches!(
            r.deregister(plus(until, 100)),
            Err(RegistrationError::DeregisterLimit { .. })
        ));
    }

    #[test]
    fn the_sandbox_reviews_display_names_after_a_while() {
        let mut r = fresh();
        assert_eq!(r.review_name(t(NAME_REVIEW_MS)), None);
        r.request_name(VerifiedName::parse("Acme Shoes").unwrap(), t(0));
        assert_eq!(r.review_name(t(NAME_REVIEW_MS - 1)), None);
        assert_eq!(
            r.review_name(t(NAME_REVIEW_MS)),
            Some(NameDecision::Approved(
                VerifiedName::parse("Acme Shoes").unwrap()
            ))
        );
        assert_eq!(r.review_name(t(NAME_REVIEW_MS + 1)), None, "decided once");
        r.request_name(VerifiedName::parse("WhatsApp Support").unwrap(), t(0));
        assert_eq!(
            r.review_name(t(NAME_REVIEW_MS)),
            Some(NameDecision::Declined)
        );
        assert_eq!(r.name_change.as_ref().unwrap().review, NameReview::Declined);
    }

    #[test]
    fn countries_by_calling_code() {
        assert_eq!(country_of("15550101234"), Some(("1", "US")));
        assert_eq!(country_of("919876543210"), Some(("91", "IN")));
        assert_eq!(country_of("971501234567"), Some(("971", "AE")));
        assert_eq!(country_of("999"), None);
    }
}
