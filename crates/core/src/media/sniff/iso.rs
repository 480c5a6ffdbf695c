//! ISO base media files (MP4, M4A, 3GP, and QuickTime, HEIF, AVIF, which are refused): the
//! first box is `ftyp`, naming a major brand and the brands the file is compatible with.

use super::Sniffed;
use crate::media::media_type::MediaType;

/// A generic MP4 may be video, audio only, or a 3GP file by another brand.
const GENERIC: &[MediaType] = &[MediaType::MP4_AUDIO, MediaType::THREE_GP];
/// An MP4 video may be labelled as 3GP, and the reverse: the same boxes, the same codecs.
const AS_3GP: &[MediaType] = &[MediaType::THREE_GP];
const AS_MP4: &[MediaType] = &[MediaType::MP4];

pub(super) fn sniff(buf: &[u8]) -> Option<Sniffed> {
    if buf.len() < 12 || &buf[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    let major: &[u8] = &buf[8..12];
    let compatible: Vec<&[u8]> = buf
        .get(16..size.min(buf.len()))
        .unwrap_or_default()
        .chunks_exact(4)
        .collect();
    Some(classify(major, &compatible))
}

fn classify(major: &[u8], compatible: &[&[u8]]) -> Sniffed {
    let is_audio = |b: &[u8]| matches!(b, b"M4A " | b"M4B " | b"M4P " | b"F4A " | b"F4B ");
    match major {
        b"qt  " => Sniffed::exact(MediaType::known("video/quicktime")),
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" => {
            Sniffed::exact(MediaType::known("image/heic"))
        }
        b"mif1" | b"msf1" => Sniffed::exact(MediaType::known("image/heif")),
        b"avif" | b"avis" => Sniffed::exact(MediaType::known("image/avif")),
        b if b.starts_with(b"3g2") => Sniffed::exact(MediaType::known("video/3gpp2")),
        b if b.starts_with(b"3g") => Sniffed::ambiguous(MediaType::THREE_GP, AS_MP4),
        b if is_audio(b) => Sniffed::exact(MediaType::MP4_AUDIO),
        b"M4V " | b"M4VH" | b"M4VP" | b"F4V " | b"F4P " => {
            Sniffed::ambiguous(MediaType::MP4, AS_3GP)
        }
        _ if compatible.iter().any(|b| is_audio(b)) => Sniffed::exact(MediaType::MP4_AUDIO),
        _ => Sniffed::ambiguous(MediaType::MP4, GENERIC),
    }
}
