//! [`MediaType`]: a MIME type as clients send it, normalised once at the boundary; and
//! [`DeclaredType`], an upload's `type` field, which some clients fill with a kind.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::MediaError;
use super::kind::MediaKind;

/// A normalised MIME type: lowercase `type/subtype`, client aliases mapped to the name in
/// Meta's table (`image/jpg` → `image/jpeg`, `audio/opus` → `audio/ogg`, `video/3gpp` →
/// `video/3gp`…), parameters dropped except `codecs`, which decides whether Ogg audio is
/// accepted and which Meta shows on voice notes (`audio/ogg; codecs=opus`).
///
/// Any well-formed MIME type parses, accepted or not: whether WhatsApp takes it is
/// [`MediaKind::of_mime`]'s question, and a refusal names the type. Equality includes
/// `codecs`; compare [`MediaType::essence`]s to ignore it.
///
/// Serialised as its [`full`](MediaType::full) string. It has no OpenAPI schema of its own:
/// a DTO field of this type declares `#[schema(value_type = String)]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaType {
    essence: Cow<'static, str>,
    codecs: Option<Cow<'static, str>>,
}

impl MediaType {
    pub const JPEG: Self = Self::known("image/jpeg");
    pub const PNG: Self = Self::known("image/png");
    pub const WEBP: Self = Self::known("image/webp");
    pub const MP4: Self = Self::known("video/mp4");
    pub const THREE_GP: Self = Self::known("video/3gp");
    pub const AAC: Self = Self::known("audio/aac");
    pub const AMR: Self = Self::known("audio/amr");
    pub const MPEG_AUDIO: Self = Self::known("audio/mpeg");
    pub const MP4_AUDIO: Self = Self::known("audio/mp4");
    /// Ogg audio, codec not stated. Accepted only when the bytes are Opus.
    pub const OGG: Self = Self::known("audio/ogg");
    /// Ogg audio with the Opus codec, as sniffing finds it and Meta shows voice notes.
    pub const OGG_OPUS: Self = Self {
        essence: Cow::Borrowed("audio/ogg"),
        codecs: Some(Cow::Borrowed("opus")),
    };
    pub const TEXT: Self = Self::known("text/plain");
    pub const PDF: Self = Self::known("application/pdf");
    pub const DOC: Self = Self::known("application/msword");
    pub const XLS: Self = Self::known("application/vnd.ms-excel");
    pub const PPT: Self = Self::known("application/vnd.ms-powerpoint");
    pub const DOCX: Self =
        Self::known("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    pub const XLSX: Self =
        Self::known("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    pub const PPTX: Self =
        Self::known("application/vnd.openxmlformats-officedocument.presentationml.presentation");

    /// Longest input [`MediaType::parse`] reads (RFC 6838 allows 127 characters a side).
    pub const MAX_LEN: usize = 255;

    pub(super) const fn known(essence: &'static str) -> Self {
        Self {
            essence: Cow::Borrowed(essence),
            codecs: None,
        }
    }

    pub(super) const fn with_codecs(essence: &'static str, codecs: &'static str) -> Self {
        Self {
            essence: Cow::Borrowed(essence),
            codecs: Some(Cow::Borrowed(codecs)),
        }
    }

    /// Parses a MIME type as a client sends it (`Image/JPG`, `audio/ogg; codecs="opus"`,
    /// `text/plain; charset=utf-8`). Refuses what is not `type/subtype` made of RFC 9110
    /// token characters.
    pub fn parse(s: &str) -> Result<Self, MediaError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(MediaError::malformed("the MIME type is empty"));
        }
        if s.len() > Self::MAX_LEN {
            return Err(MediaError::malformed(format!(
                "a MIME type is at most {} characters",
                Self::MAX_LEN
            )));
        }
        let mut parts = s.split(';');
        let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let well_formed = essence
            .split_once('/')
            .is_some_and(|(t, sub)| is_token(t) && is_token(sub));
        if !well_formed {
            return Err(MediaError::malformed(format!(
                "`{s}` is not a MIME type (like image/jpeg)"
            )));
        }
        let codecs = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("codecs"))
            .map(|(_, v)| v.trim().trim_matches('"').trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty());
        let (essence, implied_codecs) = match essence.as_str() {
            "image/jpg" | "image/pjpeg" => ("image/jpeg".to_owned(), None),
            "audio/opus" => ("audio/ogg".to_owned(), Some("opus")),
            "audio/mp3" | "audio/x-mp3" | "audio/mpeg3" | "audio/x-mpeg" => {
                ("audio/mpeg".to_owned(), None)
            }
            "audio/x-m4a" | "audio/m4a" => ("audio/mp4".to_owned(), None),
            "audio/x-aac" => ("audio/aac".to_owned(), None),
            "video/3gpp" => ("video/3gp".to_owned(), None),
            _ => (essence, None),
        };
        Ok(Self {
            essence: Cow::Owned(essence),
            codecs: codecs.map(Cow::Owned).or(implied_codecs.map(Cow::Borrowed)),
        })
    }

    /// The type for a file name's extension (`photo.JPG`, `C:\scans\a.pdf`), for clients
    /// that send neither `type` nor a part Content-Type; `None` when the extension is not
    /// one of an accepted type.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let (_, ext) = base.rsplit_once('.')?;
        Self::from_extension(ext)
    }

    /// The accepted type an extension stands for (`jpg`, `.mp3`, `OPUS`), if any.
    pub fn from_extension(ext: &str) -> Option<Self> {
        let ext = ext.trim().trim_start_matches('.').to_ascii_lowercase();
        Some(match ext.as_str() {
            "jpg" | "jpeg" | "jpe" => Self::JPEG,
            "png" => Self::PNG,
            "webp" => Self::WEBP,
            "mp4" | "m4v" => Self::MP4,
            "3gp" | "3gpp" => Self::THREE_GP,
            "aac" => Self::AAC,
            "amr" => Self::AMR,
            "mp3" => Self::MPEG_AUDIO,
            "m4a" => Self::MP4_AUDIO,
            "ogg" | "oga" | "opus" => Self::OGG,
            "txt" | "text" => Self::TEXT,
            "pdf" => Self::PDF,
            "doc" => Self::DOC,
            "xls" => Self::XLS,
            "ppt" => Self::PPT,
            "docx" => Self::DOCX,
            "xlsx" => Self::XLSX,
            "pptx" => Self::PPTX,
            _ => return None,
        })
    }

    /// `type/subtype`, lowercase, without parameters: what is stored and compared.
    pub fn essence(&self) -> &str {
        &self.essence
    }

    /// Same as [`MediaType::essence`], under the name the other newtypes use.
    pub fn as_str(&self) -> &str {
        &self.essence
    }

    /// The `codecs` parameter, lowercase, if one was given or sniffed (`opus`).
    pub fn codecs(&self) -> Option<&str> {
        self.codecs.as_deref()
    }

    /// The type with its codec, as Meta writes voice notes: `audio/ogg; codecs=opus`.
    pub fn full(&self) -> Cow<'_, str> {
        match &self.codecs {
            Some(c) => Cow::Owned(format!("{}; codecs={c}", self.essence)),
            None => Cow::Borrowed(&self.essence),
        }
    }

    /// The kind of message this type is sent as, if WhatsApp accepts it.
    pub fn kind(&self) -> Option<MediaKind> {
        MediaKind::of_mime(self)
    }

    /// The usual file extension of an accepted type, without the dot, for file names of
    /// downloads and documents; `None` for other types.
    pub fn extension(&self) -> Option<&'static str> {
        Some(match self.essence() {
            "image/jpeg" => "jpg",
            "image/png" => "png",
            "image/webp" => "webp",
            "video/mp4" => "mp4",
            "video/3gp" => "3gp",
            "audio/aac" => "aac",
            "audio/amr" => "amr",
            "audio/mpeg" => "mp3",
            "audio/mp4" => "m4a",
            "audio/ogg" => "ogg",
            "text/plain" => "txt",
            "application/pdf" => "pdf",
            "application/msword" => "doc",
            "application/vnd.ms-excel" => "xls",
            "application/vnd.ms-powerpoint" => "ppt",
            e if e == Self::DOCX.essence() => "docx",
            e if e == Self::XLSX.essence() => "xlsx",
            e if e == Self::PPTX.essence() => "pptx",
            _ => return None,
        })
    }
}

/// RFC 9110 `token`: 1 to 127 of the visible ASCII characters that are not separators.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 127
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl fmt::Display for MediaType {
    /// The essence; `{:#}` adds the codec ([`MediaType::full`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.write_str(&self.full())
        } else {
            f.write_str(&self.essence)
        }
    }
}

impl TryFrom<String> for MediaType {
    type Error = MediaError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<MediaType> for String {
    fn from(t: MediaType) -> String {
        t.full().into_owned()
    }
}

/// What an upload's `type` field declares: a MIME type, or only a kind (some clients send
/// `type=audio`). Upload passes [`DeclaredType::media_type`] and [`DeclaredType::kind`] to
/// [`check`](super::check()).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredType {
    Type(MediaType),
    Kind(MediaKind),
}

impl DeclaredType {
    /// A kind's name (`audio`) or else a MIME type.
    pub fn parse(s: &str) -> Result<Self, MediaError> {
        match MediaKind::parse(s) {
            Some(kind) => Ok(Self::Kind(kind)),
            None => MediaType::parse(s).map(Self::Type),
        }
    }

    pub fn media_type(&self) -> Option<&MediaType> {
        match self {
            Self::Type(t) => Some(t),
            Self::Kind(_) => None,
        }
    }

    /// The kind the file must be of: the one named, or the declared type's.
    pub fn kind(&self) -> Option<MediaKind> {
        match self {
            Self::Type(t) => t.kind(),
            Self::Kind(k) => Some(*k),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn parse(s: &str) -> MediaType {
        MediaType::parse(s).unwrap()
    }

    #[test]
    fn normalised_lowercase_without_parameters() {
        assert_eq!(parse("image/jpeg"), MediaType::JPEG);
        assert_eq!(parse("  IMAGE/PNG "), MediaType::PNG);
        assert_eq!(parse("text/plain; charset=UTF-8"), MediaType::TEXT);
        assert_eq!(parse("application/PDF;name=\"a.pdf\""), MediaType::PDF);
        assert_eq!(parse("image/gif").essence(), "image/gif");
        assert_eq!(
            parse("application/x-custom+json").as_str(),
            "application/x-custom+json"
        );
    }

    #[test]
    fn aliases_clients_send() {
        for (alias, canonical) in [
            ("image/jpg", MediaType::JPEG),
            ("image/pjpeg", MediaType::JPEG),
            ("audio/opus", MediaType::OGG_OPUS),
            ("audio/mp3", MediaType::MPEG_AUDIO),
            ("audio/x-mp3", MediaType::MPEG_AUDIO),
            ("audio/mpeg3", MediaType::MPEG_AUDIO),
            ("audio/x-m4a", MediaType::MP4_AUDIO),
            ("audio/m4a", MediaType::MP4_AUDIO),
            ("audio/x-aac", MediaType::AAC),
            ("video/3gpp", MediaType::THREE_GP),
            ("Video/3GPP", MediaType::THREE_GP),
        ] {
            assert_eq!(parse(alias), canonical, "{alias}");
        }
    }

    #[test]
    fn codecs_are_remembered() {
        let t = parse("audio/ogg; codecs=opus");
        assert_eq!(t, MediaType::OGG_OPUS);
        assert_eq!((t.essence(), t.codecs()), ("audio/ogg", Some("opus")));
        assert_eq!(t.full(), "audio/ogg; codecs=opus");
        assert_eq!(t.to_string(), "audio/ogg");
        assert_eq!(format!("{t:#}"), "audio/ogg; codecs=opus");
        assert_eq!(
            parse("audio/ogg;CODECS=\"Vorbis\"").codecs(),
            Some("vorbis")
        );
        assert_eq!(parse("audio/ogg; codecs=").codecs(), None);
        assert_eq!(parse("audio/opus; codecs=opus"), MediaType::OGG_OPUS);
        assert_ne!(MediaType::OGG, MediaType::OGG_OPUS);
        assert_eq!(MediaType::OGG.essence(), MediaType::OGG_OPUS.essence());
    }

    #[test]
    fn malformed_types_are_refused() {
        for bad in [
            "",
            "   ",
            "jpeg",
            "image/",
            "/png",
            "image jpeg",
            "image/jp eg",
            "ima\"ge/x",
            "é/x",
            "a/b/c",
        ] {
            let e = MediaType::parse(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParameterValue, "{bad:?}");
        }
        let long = format!("image/{}", "x".repeat(250));
        assert!(MediaType::parse(&long).is_err());
        assert!(
            MediaType::parse("jpeg")
                .unwrap_err()
                .details
                .contains("`jpeg` is not a MIME type")
        );
    }

    #[test]
    fn extensions_for_every_accepted_type() {
        let mut seen = Vec::new();
        for kind in MediaKind::ALL {
            for t in kind.mime_types() {
                let ext = t
                    .extension()
                    .unwrap_or_else(|| panic!("{t} has no extension"));
                assert_eq!(MediaType::from_extension(ext).as_ref(), Some(t), "{ext}");
                seen.push(ext);
            }
        }
        assert_eq!(
            seen,
            [
                "jpg", "png", "mp4", "3gp", "aac", "amr", "mp3", "m4a", "ogg", "txt", "pdf", "doc",
                "xls", "ppt", "docx", "xlsx", "pptx", "webp"
            ]
        );
        assert_eq!(MediaType::OGG_OPUS.extension(), Some("ogg"));
        assert_eq!(parse("image/gif").extension(), None);
    }

    #[test]
    fn types_from_file_names() {
        assert_eq!(
            MediaType::from_file_name("photo.JPG"),
            Some(MediaType::JPEG)
        );
        assert_eq!(
            MediaType::from_file_name("/tmp/x.y/voice.opus"),
            Some(MediaType::OGG)
        );
        assert_eq!(
            MediaType::from_file_name(r"C:\scans\a.pdf"),
            Some(MediaType::PDF)
        );
        assert_eq!(
            MediaType::from_extension(".Mp3"),
            Some(MediaType::MPEG_AUDIO)
        );
        assert_eq!(MediaType::from_file_name("README"), None);
        assert_eq!(MediaType::from_file_name("dir.jpg/file"), None);
        assert_eq!(MediaType::from_file_name("movie.mov"), None);
    }

    #[test]
    fn serde_keeps_the_codec() {
        let v = serde_json::to_value(MediaType::OGG_OPUS).unwrap();
        assert_eq!(v, "audio/ogg; codecs=opus");
        let back: MediaType = serde_json::from_value(v).unwrap();
        assert_eq!(back, MediaType::OGG_OPUS);
        let jpg: MediaType = serde_json::from_value(serde_json::json!("image/jpg")).unwrap();
        assert_eq!(jpg, MediaType::JPEG);
        assert!(serde_json::from_value::<MediaType>(serde_json::json!("jpeg")).is_err());
    }

    #[test]
    fn declared_type_is_a_mime_type_or_a_kind() {
        assert_eq!(
            DeclaredType::parse("audio").unwrap(),
            DeclaredType::Kind(MediaKind::Audio)
        );
        let d = DeclaredType::parse("image/jpg").unwrap();
        assert_eq!(d.media_type(), Some(&MediaType::JPEG));
        assert_eq!(d.kind(), Some(MediaKind::Image));
        let d = DeclaredType::parse("image/gif").unwrap();
        assert_eq!(d.kind(), None);
        assert_eq!(DeclaredType::Kind(MediaKind::Video).media_type(), None);
        assert!(DeclaredType::parse("pictures").is_err());
    }
}
