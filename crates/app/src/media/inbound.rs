//! Files a simulated user sends: kept as inbound media ids (7 days, like Meta's webhook
//! media), so every media id a webhook carries answers `GET /{media_id}` and downloads.
//!
//! The bytes come from the injection ([`crate::messaging::sandbox::InboundFile`]): a `link` the one
//! fetcher downloads, a `data:` URI, or, when neither is given, a small sample file of the
//! declared type or of the kind's usual one ([`sample`]). Either way they pass the same
//! check as an upload, with the message's type as the kind they must be, before anything is
//! kept.

use bytes::Bytes;
use wagate_core::channel::Channel;
use wagate_core::error::ErrorCode;
use wagate_core::media::{MediaKind, MediaType, SNIFF_BYTES, check, sniff};
use wagate_store::{Media, MediaOrigin};

use super::staging::{StageError, stage};
use crate::App;
use crate::error::{Error, Result};

/// A file a user sent, once kept.
#[derive(Debug, Clone)]
pub(crate) struct KeptInbound {
    pub media: Media,
    /// The type with its codec, as Meta's webhooks write it (`audio/ogg; codecs=opus`); the
    /// media id keeps the bare type, like an upload.
    pub mime_type: String,
    /// An animated sticker (what Meta's `sticker.animated` says).
    pub animated: bool,
}

impl App {
    /// Checks `bytes` as a file of `kind` (`declared` is the type the injection named, if
    /// any), then keeps them as an inbound media id of `channel`'s account. Nothing is kept
    /// when the check fails.
    pub(crate) async fn keep_inbound(
        &self,
        channel: &Channel,
        kind: MediaKind,
        declared: Option<&MediaType>,
        bytes: Vec<u8>,
        filename: Option<String>,
    ) -> Result<KeptInbound> {
        let prefix = &bytes[..bytes.len().min(SNIFF_BYTES)];
        let checked = check(declared, sniff(prefix), bytes.len() as u64, Some(kind))
            .map_err(|e| Error::Failed(e.code, e.details))?;
        let body = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from(bytes))]);
        let staged = stage(&self.media.staging, body, kind.max_bytes(), SNIFF_BYTES)
            .await
            .map_err(|e| match e {
                StageError::Io(e) => {
                    Error::Failed(ErrorCode::Internal, format!("staging inbound media: {e}"))
                }
                other => Error::Failed(ErrorCode::Internal, other.to_string()),
            })?;
        let media = self
            .keep(
                channel.account_id,
                channel,
                staged,
                checked.media_type().to_string(),
                filename,
                MediaOrigin::Inbound,
            )
            .await?;
        Ok(KeptInbound {
            media,
            mime_type: checked.media_type().full().into_owned(),
            animated: checked.is_animated(),
        })
    }
}

/// A small file of `declared` type, else of the kind's usual one (image: PNG, video: MP4,
/// audio: Ogg Opus as WhatsApp's voice notes, document: PDF, sticker: WebP). The images and
/// the PDF are complete files; the audio and video samples are well-formed headers without
/// media data, enough for every check and for a client to name the format.
pub(crate) fn sample(kind: MediaKind, declared: Option<&MediaType>) -> Result<Vec<u8>> {
    let essence = match declared {
        Some(t) => t.essence().to_owned(),
        None => match kind {
            MediaKind::Image => "image/png",
            MediaKind::Video => "video/mp4",
            MediaKind::Audio => "audio/ogg",
            MediaKind::Document => "application/pdf",
            MediaKind::Sticker => "image/webp",
        }
        .to_owned(),
    };
    Ok(match essence.as_str() {
        "image/png" => PNG.to_vec(),
        "image/jpeg" => JPEG.to_vec(),
        "image/webp" => WEBP.to_vec(),
        "video/mp4" => iso_media(b"isom", &[b"isom", b"iso2", b"mp41"]),
        "video/3gp" => iso_media(b"3gp4", &[b"isom", b"3gp4"]),
        "audio/mp4" => iso_media(b"M4A ", &[b"M4A ", b"mp42", b"isom"]),
        "audio/ogg" => OGG_OPUS.to_vec(),
        "audio/mpeg" => frames(b"\xFF\xFB\x90\x64", 417, 2),
        "audio/aac" => frames(b"\xFF\xF1\x50\x80\x02\x1F\xFC", 16, 2),
        "audio/amr" => {
            let mut b = b"#!AMR\n".to_vec();
            // One 12.2 kbit/s frame: its header byte, then 31 bytes of silence.
            b.push(0x3C);
            b.extend([0; 31]);
            b
        }
        "application/pdf" => PDF.to_vec(),
        "text/plain" => b"A file from the wagate sandbox.\n".to_vec(),
        other => {
            return Err(Error::Failed(
                ErrorCode::InvalidRequest,
                format!(
                    "the simulated network has no sample file of {other}; send the file as \
                     `data` (a data: URI) or `link`"
                ),
            ));
        }
    })
}

/// A 1×1 transparent PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1A\n\x00\x00\x00\x0DIHDR\x00\x00\x00\x01\x00\x00\x00\x01\
    \x08\x06\x00\x00\x00\x1F\x15\xC4\x89\x00\x00\x00\x0DIDAT\x78\xDA\x63\x50\xBD\x9C\xF6\x1F\
    \x00\x04\xDD\x02\x5E\xE4\x55\x5C\x73\x00\x00\x00\x00IEND\xAE\x42\x60\x82";

/// A 1×1 grey JPEG.
const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x01\x00\x48\x00\x48\x00\x00\
    \xFF\xDB\x00\x43\x00\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\
    \xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\
    \xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\
    \xFF\xFF\xFF\xFF\xFF\xFF\xC2\x00\x0B\x08\x00\x01\x00\x01\x01\x01\x11\x00\xFF\xC4\x00\x14\
    \x10\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xFF\xDA\x00\x08\
    \x01\x01\x00\x01\x3F\x10\xFF\xD9";

/// A 1×1 lossless WebP (a static sticker).
const WEBP: &[u8] = b"RIFF\x1A\x00\x00\x00WEBPVP8L\x0D\x00\x00\x00\x2F\x00\x00\x00\x10\x07\
    \x10\x11\x11\x88\x88\xFE\x07\x00";

/// An Ogg Opus stream's two header pages (`OpusHead`, `OpusTags`), checksums and all.
const OGG_OPUS: &[u8] = b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x61\x67\x61\x77\x00\
    \x00\x00\x00\xC4\xD2\x7F\x3C\x01\x13OpusHead\x01\x01\x38\x01\x80\xBB\x00\x00\x00\x00\x00\
    OggS\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x61\x67\x61\x77\x01\x00\x00\x00\x9E\xF3\x25\
    \xA3\x01\x16OpusTags\x06\x00\x00\x00wagate\x00\x00\x00\x00";

/// A one-page PDF.
const PDF: &[u8] = b"%PDF-1.4\n\
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >> endobj\n\
trailer << /Root 1 0 R >>\n\
%%EOF\n";

/// An ISO media file: `ftyp` with these brands, then an empty `mdat`.
fn iso_media(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let size = u32::try_from(16 + 4 * compatible.len()).expect("a few brands");
    let mut b = size.to_be_bytes().to_vec();
    b.extend_from_slice(b"ftyp");
    b.extend_from_slice(major);
    b.extend_from_slice(&[0, 0, 2, 0]);
    for brand in compatible {
        b.extend_from_slice(*brand);
    }
    b.extend_from_slice(b"\x00\x00\x00\x08mdat");
    b
}

/// `count` audio frames of `len` bytes, each `header` then silence.
fn frames(header: &[u8], len: usize, count: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(len * count);
    for _ in 0..count {
        b.extend_from_slice(header);
        b.resize(b.len() + len - header.len(), 0);
    }
    b
}

/// Lowercase hex SHA-256 (how the store keeps it) as Meta's webhooks write it: base64 of
/// the digest.
pub(crate) fn webhook_sha256(hex_digest: &str) -> String {
    let raw = hex::decode(hex_digest).unwrap_or_default();
    base64(&raw)
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 0x3F) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        for (raw, encoded) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foobar", "Zm9vYmFy"),
            (b"\xFB\xFF\xBF", "+/+/"),
        ] {
            assert_eq!(base64(raw), encoded);
        }
        assert_eq!(
            webhook_sha256("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
    }

    #[test]
    fn every_sample_passes_the_check_as_its_type() {
        let cases = [
            (MediaKind::Image, None, "image/png"),
            (MediaKind::Image, Some("image/png"), "image/png"),
            (MediaKind::Image, Some("image/jpeg"), "image/jpeg"),
            (MediaKind::Video, None, "video/mp4"),
            (MediaKind::Video, Some("video/mp4"), "video/mp4"),
            (MediaKind::Video, Some("video/3gpp"), "video/3gp"),
            (MediaKind::Audio, None, "audio/ogg; codecs=opus"),
            (
                MediaKind::Audio,
                Some("audio/ogg"),
                "audio/ogg; codecs=opus",
            ),
            (MediaKind::Audio, Some("audio/mp4"), "audio/mp4"),
            (MediaKind::Audio, Some("audio/mpeg"), "audio/mpeg"),
            (MediaKind::Audio, Some("audio/aac"), "audio/aac"),
            (MediaKind::Audio, Some("audio/amr"), "audio/amr"),
            (MediaKind::Document, None, "application/pdf"),
            (MediaKind::Document, Some("text/plain"), "text/plain"),
            (MediaKind::Document, Some("image/png"), "image/png"),
            (MediaKind::Sticker, None, "image/webp"),
            (MediaKind::Sticker, Some("image/webp"), "image/webp"),
        ];
        for (kind, declared, stored) in cases {
            let declared = declared.map(|d| MediaType::parse(d).unwrap());
            let bytes = sample(kind, declared.as_ref()).unwrap();
            let checked = check(
                declared.as_ref(),
                sniff(&bytes),
                bytes.len() as u64,
                Some(kind),
            )
            .unwrap_or_else(|e| panic!("{kind} {declared:?}: {e}"));
            assert_eq!(checked.media_type().full(), stored, "{kind} {declared:?}");
        }
    }

    #[test]
    fn a_type_without_a_sample_or_of_another_kind_is_refused() {
        let docx = MediaType::parse(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        .unwrap();
        let err = sample(MediaKind::Document, Some(&docx)).unwrap_err();
        assert!(err.to_string().contains("no sample file"), "{err}");
        let pdf = MediaType::PDF;
        let bytes = sample(MediaKind::Image, Some(&pdf)).unwrap();
        let err = check(
            Some(&pdf),
            sniff(&bytes),
            bytes.len() as u64,
            Some(MediaKind::Image),
        )
        .unwrap_err();
        assert!(err.details.contains("expected an image"), "{err}");
    }
}
