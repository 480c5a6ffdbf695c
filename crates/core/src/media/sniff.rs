//! Sniffing: what a file is, from its first [`SNIFF_BYTES`] bytes.
//!
//! Every type WhatsApp accepts is recognised by this module's own checks, which are stricter
//! than a bare magic number where one is too weak (a PNG's whole 8-byte signature, WebP's
//! RIFF header and first chunk, a frame header that parses for MP3 and AAC). What is not
//! accepted is named with the `infer` crate's table (`image/gif`, `application/zip`,
//! `video/quicktime`…) so a refusal can say what the file is; `infer`'s answers for accepted
//! types are never taken, so its looser signatures cannot let a file through.
//!
//! Some formats are containers whose first bytes cannot always tell their members apart;
//! the answer then says so in [`Sniffed::alternatives`], and [`check`](super::check()) believes
//! a declared type among them:
//!
//! - **ISO media** (`ftyp`): the brand `M4A ` is audio/mp4 and `3gp*` is video/3gp, but the
//!   common brands (`isom`, `mp42`…) are shared by MP4 video and M4A audio, and an MP4 and a
//!   3GP file hold the same boxes. Such a file is sniffed as video/mp4 with audio/mp4 and
//!   video/3gp as alternatives (a 3GP file: video/mp4 as alternative).
//! - **Office 97–2003** (OLE2 compound files: doc, xls, ppt): the application is in the
//!   directory, which may be anywhere in the file. When the first directory sector is within
//!   the prefix, its root entry's CLSID or its stream names (`WordDocument`, `Workbook`,
//!   `PowerPoint Document`) decide; otherwise the file is sniffed as
//!   `application/x-tika-msoffice` (Apache Tika's name for an OLE2 file of unknown
//!   application) with the three as alternatives.
//! - **Office Open XML** (docx, xlsx, pptx: ZIP packages): the first part under `word/`,
//!   `xl/` or `ppt/` among the local file headers in the prefix decides. A package whose
//!   `[Content_Types].xml` is there but no such part is `application/x-tika-ooxml` with the
//!   three as alternatives; a ZIP without either is `application/zip`, which is refused.
//! - **Ogg**: only Opus is accepted, so the codec is read from the first packet (`OpusHead`,
//!   `\x01vorbis`…) and kept as the type's `codecs`.
//!
//! `text/plain` has no signature: a prefix that is valid UTF-8 (a multi-byte character cut
//! by the end of the prefix is allowed) with no NUL and no control character other than tab,
//! line breaks, form feed, escape and Ctrl-Z is text. UTF-16 text is not recognised.

mod audio;
mod iso;
mod office;
#[cfg(test)]
mod tests;

use super::media_type::MediaType;

/// How many leading bytes of a file callers pass to [`sniff`]: enough for the local file
/// headers of an OOXML package's first parts, an OLE2 file's first directory sector in most
/// small documents, and an MP3's ID3 tag without cover art. Fewer still works for most types;
/// more is read if given.
pub const SNIFF_BYTES: usize = 8192;

/// What a file's first bytes show it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    media_type: MediaType,
    animated: bool,
    alternatives: &'static [MediaType],
}

impl Sniffed {
    fn exact(media_type: MediaType) -> Self {
        Self::ambiguous(media_type, &[])
    }

    fn ambiguous(media_type: MediaType, alternatives: &'static [MediaType]) -> Self {
        Self {
            media_type,
            animated: false,
            alternatives,
        }
    }

    /// The type the bytes show; where they fit several, the likeliest (video/mp4 for a
    /// generic ISO media file) or the container's name (`application/x-tika-msoffice`).
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// Other accepted types the bytes fit as well; a declared type among them is believed.
    pub fn alternatives(&self) -> &'static [MediaType] {
        self.alternatives
    }

    /// An animated WebP (its `VP8X` header has the animation flag); only stickers have a
    /// limit that depends on it.
    pub fn is_animated(&self) -> bool {
        self.animated
    }
}

/// OLE2 compound file whose application the prefix does not show (Apache Tika's name).
pub(super) const OLE2: MediaType = MediaType::known("application/x-tika-msoffice");
/// OOXML package whose application the prefix does not show (Apache Tika's name).
pub(super) const OOXML: MediaType = MediaType::known("application/x-tika-ooxml");

/// What `prefix`, the first bytes of a file, shows the file is; `None` for an empty prefix
/// and for bytes of no known format. Pass [`SNIFF_BYTES`] bytes, or the whole file if it is
/// shorter.
pub fn sniff(prefix: &[u8]) -> Option<Sniffed> {
    if prefix.is_empty() {
        return None;
    }
    image(prefix)
        .or_else(|| audio::sniff(prefix))
        .or_else(|| iso::sniff(prefix))
        .or_else(|| office::sniff(prefix))
        .or_else(|| pdf(prefix))
        .or_else(|| text(prefix))
        .or_else(|| other(prefix))
}

fn image(buf: &[u8]) -> Option<Sniffed> {
    if buf.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Sniffed::exact(MediaType::JPEG));
    }
    if buf.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Sniffed::exact(MediaType::PNG));
    }
    webp(buf)
}

/// `RIFF` <size> `WEBP` and a first chunk `VP8 ` (lossy), `VP8L` (lossless) or `VP8X`
/// (extended), whose flags byte has 0x02 for an animation.
fn webp(buf: &[u8]) -> Option<Sniffed> {
    if buf.len() < 16 || &buf[..4] != b"RIFF" || &buf[8..12] != b"WEBP" {
        return None;
    }
    let animated = match &buf[12..16] {
        b"VP8 " | b"VP8L" => false,
        b"VP8X" => buf.get(20).is_some_and(|flags| flags & 0x02 != 0),
        _ => return None,
    };
    Some(Sniffed {
        animated,
        ..Sniffed::exact(MediaType::WEBP)
    })
}

/// `%PDF-` at the start or, as readers allow, within the first 1,024 bytes.
fn pdf(buf: &[u8]) -> Option<Sniffed> {
    let head = &buf[..buf.len().min(1024)];
    head.windows(5)
        .any(|w| w == b"%PDF-")
        .then(|| Sniffed::exact(MediaType::PDF))
}

/// UTF-8 text; see the module docs.
fn text(buf: &[u8]) -> Option<Sniffed> {
    let valid = match std::str::from_utf8(buf) {
        Ok(_) => buf,
        // A character cut by the end of the prefix.
        Err(e) if e.error_len().is_none() => &buf[..e.valid_up_to()],
        Err(_) => return None,
    };
    let is_text = !valid.is_empty()
        && valid
            .iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | 0x1A | 0x1B));
    is_text.then(|| Sniffed::exact(MediaType::TEXT))
}

/// A type WhatsApp does not accept, named by `infer`, for the refusal's message.
fn other(buf: &[u8]) -> Option<Sniffed> {
    let found = infer::get(buf)?;
    if found.matcher_type() == infer::MatcherType::Text {
        return None;
    }
    let t = MediaType::parse(found.mime_type()).ok()?;
    t.kind().is_none().then(|| Sniffed::exact(t))
}
