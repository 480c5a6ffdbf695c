//! The check a file passes before it is kept or sent: its sniffed type is accepted, agrees
//! with the declared one, fits the kind the caller needs, and is within that kind's size.

use super::error::MediaError;
use super::kind::{KB, MB, MediaKind, describe_all_types};
use super::media_type::MediaType;
use super::sniff::{OLE2, OOXML, Sniffed};
use crate::error::ErrorCode;

#[cfg(test)]
mod tests;

/// A file that passed [`check`]: what to store and serve it as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    media_type: MediaType,
    kind: MediaKind,
    size: u64,
    animated: bool,
}

impl Checked {
    /// The type to store and answer as `mime_type`: the sniffed one (with its codec), or the
    /// declared one where the bytes fit several types and it is among them.
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    pub fn into_media_type(self) -> MediaType {
        self.media_type
    }

    /// The kind the file is sent as: its type's kind, or [`MediaKind::Document`] when the
    /// caller needs a document (any accepted file may be sent as one).
    pub fn kind(&self) -> MediaKind {
        self.kind
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// An animated sticker (a WebP with the animation flag, sent as a sticker).
    pub fn is_animated(&self) -> bool {
        self.animated
    }
}

/// Checks a whole file, once its `size` is known and its first bytes were [`sniff`]ed.
///
/// - `declared`: the type the client gave (`type`, else the part's Content-Type, else the
///   file name's extension via [`MediaType::from_file_name`]; a `data:` URI's type), if any.
/// - `sniffed`: [`sniff`]'s answer for the first [`SNIFF_BYTES`] bytes.
/// - `expected`: the kind the caller needs: a message's type when a `link` is fetched for it,
///   or the kind an upload's `type` named (`type=audio`). A document accepts any accepted
///   file, with the document size limit.
///
/// In order, refuses: an empty file; a declared type WhatsApp does not accept; bytes of no
/// accepted type, or of one that disagrees with the declared type (a declared type among
/// [`Sniffed::alternatives`] is believed); a file of another kind than `expected`; a file over
/// its kind's limit. The errors are upload's (Graph 100); a caller fetching a `link` for a
/// message turns them into Meta's 131053 with [`MediaError::on_send`].
///
/// [`sniff`]: super::sniff()
/// [`SNIFF_BYTES`]: super::SNIFF_BYTES
pub fn check(
    declared: Option<&MediaType>,
    sniffed: Option<Sniffed>,
    size: u64,
    expected: Option<MediaKind>,
) -> Result<Checked, MediaError> {
    if size == 0 {
        return Err(MediaError::new(ErrorCode::MediaEmpty, "the file is empty"));
    }
    if let Some(d) = declared
        && d.kind().is_none()
    {
        return Err(not_supported(format!(
            "`type` says {d:#}, which WhatsApp does not accept; it takes {}",
            describe_all_types()
        )));
    }
    let Some(sniffed) = sniffed else {
        return Err(unrecognised(declared));
    };
    let (media_type, own_kind) = resolve(declared, &sniffed, expected)?;
    let kind = match expected {
        None => own_kind,
        Some(e) if e == own_kind => own_kind,
        Some(MediaKind::Document) => MediaKind::Document,
        Some(e) => {
            let sticker = if own_kind == MediaKind::Sticker {
                ", which WhatsApp sends as a sticker"
            } else {
                ""
            };
            return Err(MediaError::new(
                ErrorCode::MediaTypeMismatch,
                format!(
                    "expected {} ({}); this file is {media_type}{sticker}",
                    e.with_article(),
                    e.describe_types()
                ),
            ));
        }
    };
    let animated = kind == MediaKind::Sticker && sniffed.is_animated();
    let limit = kind.limit(animated);
    if size > limit {
        return Err(too_large(kind, animated, size, limit));
    }
    Ok(Checked {
        media_type,
        kind,
        size,
        animated,
    })
}

/// The accepted type the file is, from what was declared and what the bytes show.
fn resolve(
    declared: Option<&MediaType>,
    sniffed: &Sniffed,
    expected: Option<MediaKind>,
) -> Result<(MediaType, MediaKind), MediaError> {
    let found = sniffed.media_type();
    let accepted = |t: &MediaType| t.kind().map(|k| (t.clone(), k));
    let resolved = match declared {
        Some(d) if d.essence() == found.essence() => {
            // The same type: the bytes know the codec.
            accepted(if found.codecs().is_some() { found } else { d })
        }
        Some(d) => {
            let believed = sniffed
                .alternatives()
                .iter()
                .any(|a| a.essence() == d.essence());
            if !believed && (found.kind().is_some() || !sniffed.alternatives().is_empty()) {
                return Err(MediaError::new(
                    ErrorCode::MediaTypeMismatch,
                    format!("the file is {} but `type` says {d}", describe(found)),
                ));
            }
            believed.then(|| accepted(d)).flatten()
        }
        None => {
            // The one alternative of the kind the caller needs, if only one is.
            let of_expected = expected.filter(|e| found.kind() != Some(*e)).and_then(|e| {
                let mut of_kind = sniffed
                    .alternatives()
                    .iter()
                    .filter(|a| a.kind() == Some(e));
                of_kind.next().filter(|_| of_kind.next().is_none())
            });
            match of_expected {
                Some(a) => accepted(a),
                None if found.kind().is_none() && !sniffed.alternatives().is_empty() => {
                    return Err(undecided(found, sniffed.alternatives()));
                }
                None => accepted(found),
            }
        }
    };
    resolved.ok_or_else(|| refused(found, declared))
}

/// Bytes of a type WhatsApp does not accept.
fn refused(found: &MediaType, declared: Option<&MediaType>) -> MediaError {
    let what = match (found.essence(), found.codecs()) {
        ("audio/ogg", Some(codec)) => {
            return not_supported(format!(
                "the file is Ogg audio with the {codec} codec; WhatsApp accepts Ogg audio only \
                 with the Opus codec"
            ));
        }
        _ => describe(found),
    };
    let declared = declared.map_or(String::new(), |d| format!(" (`type` says {d})"));
    not_supported(format!(
        "the file is {what}{declared}, which WhatsApp does not accept; it takes {}",
        describe_all_types()
    ))
}

/// Bytes of no known format.
fn unrecognised(declared: Option<&MediaType>) -> MediaError {
    match declared {
        Some(d) if *d == MediaType::TEXT => MediaError::new(
            ErrorCode::MediaTypeMismatch,
            "`type` says text/plain, but the file is not UTF-8 text: it holds invalid UTF-8, \
             NUL or other control bytes",
        ),
        Some(d) => MediaError::new(
            ErrorCode::MediaTypeMismatch,
            format!(
                "`type` says {d}, but the file's first bytes are not those of {d} nor of any \
                 type WhatsApp accepts"
            ),
        ),
        None => not_supported(format!(
            "the file's first bytes match no type WhatsApp accepts; it takes {}",
            describe_all_types()
        )),
    }
}

/// A container whose member the bytes do not show, and no declared type to tell.
fn undecided(found: &MediaType, alternatives: &[MediaType]) -> MediaError {
    let names: Vec<&str> = alternatives.iter().map(MediaType::essence).collect();
    MediaError::new(
        ErrorCode::MissingParameter,
        format!(
            "the file is {}, but its first bytes do not show which; give its type as `type`: \
             one of {}",
            describe(found),
            names.join(", ")
        ),
    )
}

fn too_large(kind: MediaKind, animated: bool, size: u64, limit: u64) -> MediaError {
    let what = match kind {
        MediaKind::Image => "image files",
        MediaKind::Video => "video files",
        MediaKind::Audio => "audio files",
        MediaKind::Document => "documents",
        MediaKind::Sticker if animated => "animated stickers",
        MediaKind::Sticker => "static stickers",
    };
    let (max, this) = (human_size(limit), human_size(size));
    let details = if max == this {
        format!("{what} are at most {max} ({limit} bytes); this one is {size} bytes")
    } else {
        format!("{what} are at most {max}; this one is {this}")
    };
    MediaError::new(ErrorCode::MediaTooLarge, details)
}

/// `6.2 MB`, `100 KB`, `12 bytes`, in Meta's binary units, to one decimal.
pub(super) fn human_size(bytes: u64) -> String {
    let (unit, name) = match bytes {
        b if b >= MB => (MB, "MB"),
        b if b >= KB => (KB, "KB"),
        b => return format!("{b} bytes"),
    };
    let shown = format!("{:.1}", bytes as f64 / unit as f64);
    let shown = shown.strip_suffix(".0").unwrap_or(&shown);
    format!("{shown} {name}")
}

/// A type for messages; the containers in words.
fn describe(t: &MediaType) -> String {
    if *t == OLE2 {
        "an Office 97–2003 file (doc, xls or ppt)".to_owned()
    } else if *t == OOXML {
        "an Office Open XML file (docx, xlsx or pptx)".to_owned()
    } else {
        format!("{t:#}")
    }
}

fn not_supported(details: String) -> MediaError {
    MediaError::new(ErrorCode::MediaTypeNotSupported, details)
}
