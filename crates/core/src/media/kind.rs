//! [`MediaKind`]: the five kinds of media message and Meta's table of what each accepts
//! (reference §6.4).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::media_type::MediaType;
use crate::content::MessageType;

/// One kilobyte as Meta's limits count it: 1,024 bytes.
pub const KB: u64 = 1024;
/// One megabyte as Meta's limits count it: 1,048,576 bytes. Meta's page says "MB" without
/// saying which; the binary reading is the more generous one, so a file a client sized
/// against a decimal megabyte is never refused.
pub const MB: u64 = 1024 * KB;

/// Largest image: 5 MB.
pub const IMAGE_MAX: u64 = 5 * MB;
/// Largest video: 16 MB.
pub const VIDEO_MAX: u64 = 16 * MB;
/// Largest audio file: 16 MB.
pub const AUDIO_MAX: u64 = 16 * MB;
/// Largest document: 100 MB.
pub const DOCUMENT_MAX: u64 = 100 * MB;
/// Largest static sticker: 100 KB.
pub const STICKER_MAX: u64 = 100 * KB;
/// Largest animated sticker: 500 KB.
pub const ANIMATED_STICKER_MAX: u64 = 500 * KB;

const IMAGE_TYPES: &[MediaType] = &[MediaType::JPEG, MediaType::PNG];
const VIDEO_TYPES: &[MediaType] = &[MediaType::MP4, MediaType::THREE_GP];
const AUDIO_TYPES: &[MediaType] = &[
    MediaType::AAC,
    MediaType::AMR,
    MediaType::MPEG_AUDIO,
    MediaType::MP4_AUDIO,
    MediaType::OGG,
];
const DOCUMENT_TYPES: &[MediaType] = &[
    MediaType::TEXT,
    MediaType::PDF,
    MediaType::DOC,
    MediaType::XLS,
    MediaType::PPT,
    MediaType::DOCX,
    MediaType::XLSX,
    MediaType::PPTX,
];
const STICKER_TYPES: &[MediaType] = &[MediaType::WEBP];

/// The kind of a media message, and so of the file it carries: each kind has its own MIME
/// types and size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    /// A WebP image WhatsApp shows as a sticker.
    Sticker,
}

impl MediaKind {
    pub const ALL: &'static [MediaKind] = &[
        Self::Image,
        Self::Video,
        Self::Audio,
        Self::Document,
        Self::Sticker,
    ];

    /// The wire spelling, which is also the message `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
        }
    }

    /// A kind by its wire spelling, ignoring case and surrounding space (some clients send
    /// `type=audio` instead of a MIME type when uploading).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }

    /// The MIME types WhatsApp accepts for this kind, in the order of Meta's table.
    /// `audio/ogg` only with the Opus codec.
    pub fn mime_types(self) -> &'static [MediaType] {
        match self {
            Self::Image => IMAGE_TYPES,
            Self::Video => VIDEO_TYPES,
            Self::Audio => AUDIO_TYPES,
            Self::Document => DOCUMENT_TYPES,
            Self::Sticker => STICKER_TYPES,
        }
    }

    /// The kind an accepted MIME type belongs to (`image/webp` is a sticker), or `None` for
    /// a type WhatsApp does not accept, including Ogg with another codec than Opus.
    pub fn of_mime(t: &MediaType) -> Option<Self> {
        if t.essence() == MediaType::OGG.essence() && t.codecs().is_some_and(|c| c != "opus") {
            return None;
        }
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.mime_types().iter().any(|m| m.essence() == t.essence()))
    }

    /// The largest file of this kind, in bytes. For stickers that is an animated one's
    /// (500 KB); a static sticker may be at most 100 KB: see [`MediaKind::limit`].
    pub fn max_bytes(self) -> u64 {
        self.limit(true)
    }

    /// The largest file of this kind; `animated` matters for stickers only.
    pub fn limit(self, animated: bool) -> u64 {
        match self {
            Self::Image => IMAGE_MAX,
            Self::Video => VIDEO_MAX,
            Self::Audio => AUDIO_MAX,
            Self::Document => DOCUMENT_MAX,
            Self::Sticker if animated => ANIMATED_STICKER_MAX,
            Self::Sticker => STICKER_MAX,
        }
    }

    /// "an image", "a video"…, for messages.
    pub(super) fn with_article(self) -> &'static str {
        match self {
            Self::Image => "an image",
            Self::Video => "a video",
            Self::Audio => "an audio file",
            Self::Document => "a document",
            Self::Sticker => "a sticker",
        }
    }

    /// "audio/aac, audio/amr, … or audio/ogg (Opus)", for messages.
    pub(super) fn describe_types(self) -> String {
        list(self.mime_types().iter())
    }
}

/// Every accepted type, kind by kind, for messages.
pub(super) fn describe_all_types() -> String {
    list(MediaKind::ALL.iter().flat_map(|k| k.mime_types()))
}

fn list<'a>(types: impl Iterator<Item = &'a MediaType>) -> String {
    let names: Vec<String> = types
        .map(|t| {
            if *t == MediaType::OGG {
                format!("{t} (Opus only)")
            } else {
                t.to_string()
            }
        })
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

impl From<MediaKind> for MessageType {
    fn from(k: MediaKind) -> Self {
        match k {
            MediaKind::Image => MessageType::Image,
            MediaKind::Video => MessageType::Video,
            MediaKind::Audio => MessageType::Audio,
            MediaKind::Document => MessageType::Document,
            MediaKind::Sticker => MessageType::Sticker,
        }
    }
}

impl TryFrom<MessageType> for MediaKind {
    type Error = MessageType;
    /// The media kind of a media message type; any other type is given back.
    fn try_from(t: MessageType) -> Result<Self, MessageType> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| MessageType::from(*k) == t)
            .ok_or(t)
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_and_match_serde_and_message_types() {
        for k in MediaKind::ALL {
            assert_eq!(MediaKind::parse(k.as_str()), Some(*k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
            let t = MessageType::from(*k);
            assert_eq!(t.as_str(), k.as_str());
            assert_eq!(MediaKind::try_from(t), Ok(*k));
        }
        assert_eq!(MediaKind::parse(" Audio "), Some(MediaKind::Audio));
        assert_eq!(MediaKind::parse("audio/ogg"), None);
        assert_eq!(MediaKind::parse("gif"), None);
        assert_eq!(
            MediaKind::try_from(MessageType::Text),
            Err(MessageType::Text)
        );
    }

    #[test]
    fn metas_table() {
        let names =
            |k: MediaKind| -> Vec<&str> { k.mime_types().iter().map(MediaType::essence).collect() };
        assert_eq!(names(MediaKind::Image), ["image/jpeg", "image/png"]);
        assert_eq!(names(MediaKind::Video), ["video/mp4", "video/3gp"]);
        assert_eq!(
            names(MediaKind::Audio),
            [
                "audio/aac",
                "audio/amr",
                "audio/mpeg",
                "audio/mp4",
                "audio/ogg"
            ]
        );
        assert_eq!(names(MediaKind::Document).len(), 8);
        assert_eq!(names(MediaKind::Sticker), ["image/webp"]);
        for k in MediaKind::ALL {
            for t in k.mime_types() {
                assert_eq!(MediaKind::of_mime(t), Some(*k), "{t}");
            }
        }
    }

    #[test]
    fn of_mime_knows_only_accepted_types() {
        let kind = |s: &str| MediaKind::of_mime(&MediaType::parse(s).unwrap());
        assert_eq!(kind("image/webp"), Some(MediaKind::Sticker));
        assert_eq!(kind("image/jpg"), Some(MediaKind::Image));
        assert_eq!(kind("audio/ogg; codecs=opus"), Some(MediaKind::Audio));
        assert_eq!(kind("audio/opus"), Some(MediaKind::Audio));
        assert_eq!(kind("audio/ogg; codecs=vorbis"), None);
        assert_eq!(
            kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            Some(MediaKind::Document)
        );
        for refused in [
            "image/gif",
            "video/quicktime",
            "audio/wav",
            "application/zip",
        ] {
            assert_eq!(kind(refused), None, "{refused}");
        }
    }

    #[test]
    fn limits_in_binary_megabytes() {
        assert_eq!(MediaKind::Image.max_bytes(), 5_242_880);
        assert_eq!(MediaKind::Video.max_bytes(), 16_777_216);
        assert_eq!(MediaKind::Audio.max_bytes(), 16_777_216);
        assert_eq!(MediaKind::Document.max_bytes(), 104_857_600);
        assert_eq!(MediaKind::Sticker.max_bytes(), 512_000);
        assert_eq!(MediaKind::Sticker.limit(false), 102_400);
        assert_eq!(MediaKind::Image.limit(true), MediaKind::Image.limit(false));
    }

    #[test]
    fn type_lists_read_well() {
        assert_eq!(MediaKind::Image.describe_types(), "image/jpeg or image/png");
        assert_eq!(MediaKind::Sticker.describe_types(), "image/webp");
        assert!(
            MediaKind::Audio
                .describe_types()
                .ends_with("audio/mp4 or audio/ogg (Opus only)")
        );
        assert!(describe_all_types().starts_with("image/jpeg, image/png, video/mp4"));
    }
}
