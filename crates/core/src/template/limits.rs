//! Meta's limits for creating templates (reference §6.5). Lengths are in characters.

use std::ops::RangeInclusive;

/// BODY text.
pub const BODY_TEXT: usize = 1024;
/// BODY text of a carousel card (reference §6.5, from a BSP's documentation).
pub const CARD_BODY_TEXT: usize = 160;
/// HEADER text.
pub const HEADER_TEXT: usize = 60;
/// Variables in a HEADER text.
pub const HEADER_VARIABLES: usize = 1;
/// FOOTER text.
pub const FOOTER_TEXT: usize = 60;
/// A button's label.
pub const BUTTON_TEXT: usize = 25;
/// Buttons of a template.
pub const BUTTONS: usize = 10;
/// A URL button's `url`.
pub const BUTTON_URL: usize = 2000;
/// A PHONE_NUMBER button's `phone_number`.
pub const BUTTON_PHONE: usize = 20;
/// A COPY_CODE button's `example`.
pub const COPY_CODE: usize = 15;
/// Cards of a carousel.
pub const CAROUSEL_CARDS: RangeInclusive<usize> = 2..=crate::content::limits::CAROUSEL_CARDS;
/// Buttons of one carousel card (Meta's carousel documentation; not in the reference).
pub const CARD_BUTTONS: usize = 2;
/// A LIMITED_TIME_OFFER's `text` (Meta's documentation; not in the reference).
pub const OFFER_TEXT: usize = 16;
/// An authentication FOOTER's `code_expiration_minutes` (Meta's documentation).
pub const CODE_EXPIRATION_MINUTES: RangeInclusive<u64> = 1..=90;
/// `message_send_ttl_seconds` of AUTHENTICATION templates.
pub const AUTHENTICATION_TTL: RangeInclusive<i64> = 30..=900;
/// `message_send_ttl_seconds` of UTILITY templates.
pub const UTILITY_TTL: RangeInclusive<i64> = 30..=43_200;
/// `message_send_ttl_seconds` of MARKETING templates.
pub const MARKETING_TTL: RangeInclusive<i64> = 43_200..=2_592_000;
/// The TTL meaning "Meta's 30-day maximum" (reference §6.5, from third-party material);
/// accepted for utility and marketing templates.
pub const TTL_MAXIMUM: i64 = -1;
