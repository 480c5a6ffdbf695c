//! Meta's content limits (reference §2 and §6.3). Lengths are in characters, as Meta counts
//! them, not bytes.

/// Text message body.
pub const TEXT_BODY: usize = 4096;
/// Caption of an image, video or document.
pub const CAPTION: usize = 1024;
/// Document file name.
pub const FILENAME: usize = 240;
/// A media `link` URL.
pub const MEDIA_LINK: usize = 2048;
/// A location's `name` or `address`.
pub const LOCATION_TEXT: usize = 1000;
/// Contact cards in one `contacts` message.
pub const CONTACT_CARDS: usize = 100;
/// A reaction emoji (one emoji, possibly several code points: skin tones, ZWJ sequences).
pub const REACTION_EMOJI: usize = 10;

/// Interactive header text.
pub const HEADER_TEXT: usize = 60;
/// Interactive footer text.
pub const FOOTER_TEXT: usize = 60;
/// Interactive body text, for every type but `list`.
pub const BODY_TEXT: usize = 1024;
/// Interactive body text of a `list` message.
pub const LIST_BODY_TEXT: usize = 4096;
/// Reply buttons in a `button` message.
pub const REPLY_BUTTONS: usize = 3;
/// A reply button's id.
pub const BUTTON_ID: usize = 256;
/// A reply button's title.
pub const BUTTON_TITLE: usize = 20;
/// A list's menu button label.
pub const LIST_BUTTON: usize = 20;
/// Sections of a `list` message.
pub const LIST_SECTIONS: usize = 10;
/// Rows of a `list` message, over all its sections.
pub const LIST_ROWS: usize = 10;
/// A list row's id.
pub const ROW_ID: usize = 200;
/// A list row's title.
pub const ROW_TITLE: usize = 24;
/// A list row's description.
pub const ROW_DESCRIPTION: usize = 72;
/// A list or product-list section title.
pub const SECTION_TITLE: usize = 24;
/// Sections of a `product_list` message.
pub const PRODUCT_SECTIONS: usize = 10;
/// Products of a `product_list` message, over all its sections.
pub const PRODUCTS: usize = 30;
/// The label of a `cta_url` button (`display_text`) or a flow button (`flow_cta`).
pub const CTA_TEXT: usize = 20;
/// Fewest cards of an interactive `carousel` message (the most is [`CAROUSEL_CARDS`]).
pub const CAROUSEL_MIN_CARDS: usize = 2;
/// A carousel card's body text.
pub const CARD_BODY_TEXT: usize = 160;
/// Line breaks in a carousel card's body text.
pub const CARD_BODY_LINE_BREAKS: usize = 2;
/// Longest a `voice_call` button stays tappable, in minutes (30 days).
pub const VOICE_CALL_TTL_MINUTES: u64 = 43_200;
/// A `voice_call` button's `payload`, echoed back in call webhooks.
pub const VOICE_CALL_PAYLOAD: usize = 512;

/// Template name.
pub const TEMPLATE_NAME: usize = 512;
/// Highest template button `index` (templates have at most 10 buttons).
pub const BUTTON_INDEX_MAX: u64 = 9;
/// Cards of a template carousel; also the most an interactive `carousel` takes.
pub const CAROUSEL_CARDS: usize = 10;

/// Characters of [`Content::preview`](super::Content::preview) before it is cut with `…`.
pub const PREVIEW: usize = 100;
