//! Media files: which files WhatsApp accepts, and the check every file passes before the
//! gateway keeps or sends it (reference §1.2, §2.2, §6.4, §9.7–8). Pure rules, no I/O: the
//! callers stream the bytes.
//!
//! # Model
//! A media message has one of five [`MediaKind`]s (image, video, audio, document, sticker).
//! Each kind accepts a fixed set of MIME types and a maximum size (Meta's table, with MB =
//! 1,048,576 bytes):
//!
//! | kind | types | max |
//! |---|---|---|
//! | image | image/jpeg, image/png | 5 MB |
//! | video | video/mp4, video/3gp | 16 MB |
//! | audio | audio/aac, audio/amr, audio/mpeg, audio/mp4, audio/ogg (Opus only) | 16 MB |
//! | document | text/plain, application/pdf, doc, xls, ppt, docx, xlsx, pptx | 100 MB |
//! | sticker | image/webp | 100 KB static, 500 KB animated |
//!
//! A type is a [`MediaType`], parsed once at the boundary from whatever the client wrote
//! (`Image/JPG`, `audio/opus`, `video/3gpp`) into the name Meta's table uses; it keeps the
//! `codecs` parameter, because Ogg is only accepted as Opus. [`MediaKind::of_mime`] says
//! which kind a type belongs to (none for a type WhatsApp refuses). Meta's media ids are
//! [`MediaId`](crate::ids::MediaId)s.
//!
//! # Sniff, then check
//! A client's word for a file's type is not trusted: clients send no `type`, a kind instead
//! of a type (`type=audio`, see [`DeclaredType`]), a part Content-Type of
//! `application/octet-stream`, or the wrong type. So every file is judged by its bytes:
//!
//! 1. While the file streams in, the caller keeps its first [`SNIFF_BYTES`] (8 KiB) and
//!    calls [`sniff()`], which names the format from its magic bytes ([`Sniffed`]).
//! 2. Once the whole file is in and its size known, [`check()`] decides: the sniffed type must
//!    be accepted; a declared type must agree with it; the kind must be the one the caller
//!    needs; the size must be within the kind's limit (stickers: by the animation flag the
//!    sniff found). It answers the type to store ([`Checked`]) or a [`MediaError`] whose
//!    `details` say exactly what is wrong.
//!
//! Where the bytes cannot tell types apart (an MP4 file's brand shared by video and audio,
//! an Office 97–2003 file whose directory lies past the prefix), the sniff lists the
//! candidates and the declared type picks one; see [`mod@sniff`].
//!
//! # Callers
//! - **Upload** (`POST /{phone_number_id}/media`): declared = `type`, else the file part's
//!   Content-Type, else the file name's extension; errors are Graph code 100, as Meta
//!   answers uploads.
//! - **Link fetch** (a send with `"link"`): expected kind = the message's type; errors go
//!   through [`MediaError::on_send`] to Meta's 131053 "Media upload error".
//! - **Inbound** (a simulated user sends media): expected kind = the message's type.
//! - **Dialects** that take media inline read it with [`data_uri::parse`], then check it
//!   like an upload.
//!
//! # Layout
//! - `kind`: [`MediaKind`], Meta's table and size limits.
//! - `media_type`: [`MediaType`] (aliases, extensions) and [`DeclaredType`].
//! - [`mod@sniff`]: [`sniff()`] and [`Sniffed`]; one file per family (audio, ISO media,
//!   Office).
//! - `check`: [`check()`] and [`Checked`].
//! - [`data_uri`]: `data:` URIs.
//! - `error`: [`MediaError`].

mod check;
pub mod data_uri;
mod error;
mod kind;
mod media_type;
pub mod sniff;
mod stored;

#[cfg(test)]
mod samples;

pub use check::{Checked, check};
pub use error::MediaError;
pub use kind::{
    ANIMATED_STICKER_MAX, AUDIO_MAX, DOCUMENT_MAX, IMAGE_MAX, KB, MB, MediaKind, STICKER_MAX,
    VIDEO_MAX,
};
pub use media_type::{DeclaredType, MediaType};
pub use sniff::{SNIFF_BYTES, Sniffed, sniff};
pub use stored::{Media, MediaOrigin};
