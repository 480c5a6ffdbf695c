//! `data:` URIs (RFC 2397) carrying a file inline: `data:<mime>;base64,<payload>`.
//!
//! Some providers' APIs (the dialects) accept media inline where the Cloud API takes a
//! `link`; [`parse`] is the one reader they share. It gives the declared [`MediaType`] and the
//! bytes, which then go through [`sniff`](super::sniff()) and [`check`](super::check()) like
//! any upload, with the URI's type as the declared one.
//!
//! Accepted: the `data:` scheme in any case, a MIME type with parameters
//! (`data:audio/ogg;codecs=opus;base64,…`), base64 with the standard alphabet (or the URL-safe
//! one, which some encoders use), padded or not, with whitespace and line breaks anywhere in
//! the payload. Refused: no MIME type (RFC 2397's `text/plain` default would hide mistakes),
//! percent-encoded (non-base64) payloads, bad base64, an empty payload, and more than the
//! caller's `max_bytes` once decoded (checked before decoding, so an oversized URI is not
//! decoded).

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::check::human_size;
use super::error::MediaError;
use super::media_type::MediaType;
use crate::error::ErrorCode;

/// A decoded `data:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataUri {
    /// The type the URI declares, normalised (aliases mapped, `codecs` kept).
    pub media_type: MediaType,
    pub bytes: Vec<u8>,
}

const CONFIG: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);

/// Reads a `data:<mime>;base64,<payload>` URI whose decoded bytes are at most `max_bytes`.
/// Errors: malformed URIs are [`ErrorCode::InvalidParameterValue`], an empty payload
/// [`ErrorCode::MediaEmpty`], an oversized one [`ErrorCode::MediaTooLarge`].
pub fn parse(uri: &str, max_bytes: u64) -> Result<DataUri, MediaError> {
    let uri = uri.trim();
    let rest = uri
        .get(..5)
        .filter(|scheme| scheme.eq_ignore_ascii_case("data:"))
        .map(|_| &uri[5..])
        .ok_or_else(|| MediaError::malformed("is not a data: URI (`data:<type>;base64,…`)"))?;
    let (header, payload) = rest
        .split_once(',')
        .ok_or_else(|| MediaError::malformed("the data: URI has no `,` before its data"))?;
    let mime = header
        .rsplit_once(';')
        .filter(|(_, encoding)| encoding.trim().eq_ignore_ascii_case("base64"))
        .map(|(mime, _)| mime.trim())
        .ok_or_else(|| {
            MediaError::malformed(
                "only base64 data: URIs are accepted (`data:<type>;base64,<data>`)",
            )
        })?;
    if mime.is_empty() {
        return Err(MediaError::malformed(
            "the data: URI names no MIME type (`data:<type>;base64,…`)",
        ));
    }
    let media_type = MediaType::parse(mime)?;
    let bytes = decode(payload, max_bytes, "the data: URI")?;
    Ok(DataUri { media_type, bytes })
}

/// A file given inline, as some APIs take one: a `data:` URI (its type declared) or bare
/// base64 (no type: the bytes tell it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inline {
    pub media_type: Option<MediaType>,
    pub bytes: Vec<u8>,
}

/// Reads a `data:` URI ([`parse`]) or bare base64, with the same leniency and limits.
pub fn parse_inline(text: &str, max_bytes: u64) -> Result<Inline, MediaError> {
    let text = text.trim();
    if text
        .get(..5)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("data:"))
    {
        let uri = parse(text, max_bytes)?;
        return Ok(Inline {
            media_type: Some(uri.media_type),
            bytes: uri.bytes,
        });
    }
    Ok(Inline {
        media_type: None,
        bytes: decode(text, max_bytes, "the base64 text")?,
    })
}

/// Base64 (either alphabet, padded or not, whitespace anywhere) holding at most
/// `max_bytes`; `what` names the input in errors.
fn decode(payload: &str, max_bytes: u64, what: &str) -> Result<Vec<u8>, MediaError> {
    let payload: Vec<u8> = payload
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if payload.is_empty() {
        return Err(MediaError::new(
            ErrorCode::MediaEmpty,
            format!("{what} holds no data"),
        ));
    }
    let data = payload
        .strip_suffix(b"==")
        .or_else(|| payload.strip_suffix(b"="));
    let decoded_len = data.unwrap_or(&payload).len() as u64 * 3 / 4;
    if decoded_len > max_bytes {
        return Err(too_large(what, decoded_len, max_bytes));
    }
    let engine = if payload.iter().any(|b| matches!(b, b'-' | b'_')) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    engine
        .decode(&payload)
        .map_err(|e| MediaError::malformed(format!("{what}'s data is not base64: {e}")))
}

fn too_large(what: &str, size: u64, max: u64) -> MediaError {
    MediaError::new(
        ErrorCode::MediaTooLarge,
        format!(
            "{what} holds {} of data; at most {} is accepted here",
            human_size(size),
            human_size(max)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

    #[test]
    fn reads_type_and_bytes() {
        let d = parse("data:image/png;base64,iVBORw0KGgo=", MB).unwrap();
        assert_eq!(d.media_type, MediaType::PNG);
        assert_eq!(d.bytes, b"\x89PNG\r\n\x1a\n");
        assert!(super::super::sniff(&d.bytes).is_some());
    }

    #[test]
    fn lenient_where_encoders_differ() {
        let wrapped = "DATA:Image/JPG;BASE64,\n  /9j/\r\n4AAQ\tSkZJRg\n";
        let d = parse(wrapped, MB).unwrap();
        assert_eq!(d.media_type, MediaType::JPEG, "alias and case normalised");
        assert_eq!(d.bytes, b"\xff\xd8\xff\xe0\x00\x10JFIF");
        let d = parse("data:audio/ogg;codecs=opus;base64,T2dnUw", MB).unwrap();
        assert_eq!(d.media_type, MediaType::OGG_OPUS);
        assert_eq!(d.bytes, b"OggS", "unpadded");
        let d = parse("data:application/octet-stream;base64,-_8", MB).unwrap();
        assert_eq!(d.bytes, [0xFB, 0xFF], "URL-safe alphabet");
    }

    #[test]
    fn malformed_uris_are_invalid_values() {
        for (bad, says) in [
            ("image/png;base64,AAAA", "is not a data: URI"),
            ("https://x.example/a.png", "is not a data: URI"),
            ("data:image/png;base64", "no `,`"),
            ("data:image/png,%89PNG", "only base64"),
            ("data:,hello", "only base64"),
            ("data:;base64,AAAA", "names no MIME type"),
            ("data: ;base64,AAAA", "names no MIME type"),
            ("data:png;base64,AAAA", "is not a MIME type"),
            ("data:image/png;base64,AA!A", "not base64"),
            ("data:image/png;base64,A", "not base64"),
        ] {
            let e = parse(bad, MB).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParameterValue, "{bad}");
            assert!(e.details.contains(says), "{bad}: {}", e.details);
        }
    }

    #[test]
    fn empty_and_oversized_payloads() {
        let e = parse("data:text/plain;base64,", MB).unwrap_err();
        assert_eq!(e.code, ErrorCode::MediaEmpty);
        let e = parse("data:text/plain;base64, \n ", MB).unwrap_err();
        assert_eq!(e.code, ErrorCode::MediaEmpty);

        // Exactly the limit decodes; one byte more is refused before decoding.
        assert_eq!(
            parse("data:text/plain;base64,aGk=", 2).unwrap().bytes,
            b"hi"
        );
        assert_eq!(parse("data:text/plain;base64,aGk", 2).unwrap().bytes, b"hi");
        let e = parse("data:text/plain;base64,aGkh", 2).unwrap_err();
        assert_eq!(e.code, ErrorCode::MediaTooLarge);
        assert_eq!(
            e.details,
            "the data: URI holds 3 bytes of data; at most 2 bytes is accepted here"
        );
        let big = format!("data:video/mp4;base64,{}", "A".repeat(8 * 1024 * 1024));
        let e = parse(&big, 5 * MB).unwrap_err();
        assert_eq!(e.code, ErrorCode::MediaTooLarge);
        assert!(e.details.contains("holds 6 MB"), "{}", e.details);
    }

    #[test]
    fn inline_text_is_a_data_uri_or_bare_base64() {
        let d = parse_inline("  data:image/png;base64,iVBORw0KGgo=", MB).unwrap();
        assert_eq!(d.media_type, Some(MediaType::PNG));
        assert_eq!(d.bytes, b"\x89PNG\r\n\x1a\n");
        let d = parse_inline("iVBORw0K\nGgo", MB).unwrap();
        assert_eq!(d.media_type, None, "bare base64 declares nothing");
        assert_eq!(d.bytes, b"\x89PNG\r\n\x1a\n");
        let e = parse_inline("not base64!", MB).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameterValue);
        assert!(
            e.details
                .starts_with("the base64 text's data is not base64")
        );
        assert_eq!(
            parse_inline(" ", MB).unwrap_err().code,
            ErrorCode::MediaEmpty
        );
        assert_eq!(
            parse_inline("aGkh", 2).unwrap_err().code,
            ErrorCode::MediaTooLarge
        );
        let e = parse_inline("data:,hi", MB).unwrap_err();
        assert!(e.details.contains("only base64"), "{}", e.details);
    }
}
