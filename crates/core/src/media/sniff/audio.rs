//! Audio signatures: Ogg (with its codec), AMR, MP3 (ID3 tag or MPEG frame header) and AAC
//! (ADTS frame header or ADIF).

use super::Sniffed;
use crate::media::media_type::MediaType;

pub(super) fn sniff(buf: &[u8]) -> Option<Sniffed> {
    if buf.starts_with(b"OggS") {
        return Some(Sniffed::exact(ogg(buf)));
    }
    if buf.starts_with(b"#!AMR\n") {
        return Some(Sniffed::exact(MediaType::AMR));
    }
    if buf.starts_with(b"#!AMR-WB\n") {
        return Some(Sniffed::exact(MediaType::known("audio/amr-wb")));
    }
    if buf.starts_with(b"ADIF") {
        return Some(Sniffed::exact(MediaType::AAC));
    }
    id3(buf).or_else(|| frame(buf)).map(Sniffed::exact)
}

/// An Ogg stream's type by its first packet, which names the codec. The first page's
/// header is 27 bytes and a segment table of as many bytes as its byte 26 says; the packet
/// follows.
fn ogg(buf: &[u8]) -> MediaType {
    let packet = buf
        .get(26)
        .and_then(|&segments| buf.get(27 + usize::from(segments)..))
        .unwrap_or_default();
    if packet.starts_with(b"OpusHead") {
        MediaType::OGG_OPUS
    } else if packet.starts_with(b"\x01vorbis") {
        MediaType::with_codecs("audio/ogg", "vorbis")
    } else if packet.starts_with(b"\x7fFLAC") {
        MediaType::with_codecs("audio/ogg", "flac")
    } else if packet.starts_with(b"Speex   ") {
        MediaType::with_codecs("audio/ogg", "speex")
    } else if packet.starts_with(b"\x80theora") {
        MediaType::with_codecs("video/ogg", "theora")
    } else {
        // RFC 5334's name for Ogg of unknown content.
        MediaType::known("application/ogg")
    }
}

/// An ID3v2 tag (`ID3`, version 2 to 4, flags, a 28-bit "syncsafe" size) and the audio after
/// it: ADTS is AAC, anything else (including a tag longer than the prefix) MP3, which is what
/// ID3 tags almost always head.
fn id3(buf: &[u8]) -> Option<MediaType> {
    let header = buf.get(..10)?;
    if &header[..3] != b"ID3" || !(2..=4).contains(&header[3]) {
        return None;
    }
    let size = header[6..10].iter().try_fold(0usize, |acc, &b| {
        (b < 0x80).then_some((acc << 7) | usize::from(b))
    })?;
    let footer = if header[5] & 0x10 != 0 { 10 } else { 0 };
    let after = buf.get(10 + size + footer..).unwrap_or_default();
    let audio = &after[after.iter().take(1024).take_while(|&&b| b == 0).count()..];
    Some(match frame(audio) {
        Some(t) => t,
        None if audio.starts_with(b"fLaC") => MediaType::known("audio/x-flac"),
        None => MediaType::MPEG_AUDIO,
    })
}

/// MPEG audio (MP3, or MP2: also audio/mpeg) or ADTS (AAC) from a frame header at the
/// start of `buf`. Where the next frame starts within `buf`, its header must be there too, so
/// a stray `FF Fx` does not pass for audio.
fn frame(buf: &[u8]) -> Option<MediaType> {
    if let Some(len) = adts_frame(buf) {
        let next = buf.get(len..).unwrap_or_default();
        return (next.len() < 3 || adts_frame(next).is_some()).then_some(MediaType::AAC);
    }
    let (first, len) = mpeg_frame(buf)?;
    let next = match len {
        Some(len) => buf.get(len..).unwrap_or_default(),
        None => &[], // free format: no length to follow
    };
    let continues = next.len() < 4 || mpeg_frame(next).is_some_and(|(h, _)| h == first);
    continues.then_some(MediaType::MPEG_AUDIO)
}

/// An ADTS header (12 sync bits, layer 00, a sampling-frequency index that exists) and its
/// frame length (13 bits at bit 30).
fn adts_frame(buf: &[u8]) -> Option<usize> {
    let &[b0, b1, b2, b3, b4, b5, ..] = buf else {
        return None;
    };
    if b0 != 0xFF || b1 & 0xF6 != 0xF0 || (b2 >> 2) & 0x0F >= 13 {
        return None;
    }
    let len = usize::from(b3 & 0x03) << 11 | usize::from(b4) << 3 | usize::from(b5 >> 5);
    (len >= 7).then_some(len)
}

/// An MPEG audio frame header: 11 sync bits, a version and layer that exist, a bitrate and
/// sample rate that are not "bad". Answers its version and layer bits, and the frame's
/// length (`None` for free-format bitrate). Layer I is not taken: nobody writes MP1, and
/// its header `FF FE` is a UTF-16 byte-order mark.
fn mpeg_frame(buf: &[u8]) -> Option<(u8, Option<usize>)> {
    let &[b0, b1, b2, _, ..] = buf else {
        return None;
    };
    let version = (b1 >> 3) & 0b11; // 00 MPEG-2.5, 01 reserved, 10 MPEG-2, 11 MPEG-1
    let layer = (b1 >> 1) & 0b11; // 01 III, 10 II, 11 I
    let bitrate_index = usize::from(b2 >> 4);
    let rate_index = usize::from((b2 >> 2) & 0b11);
    if b0 != 0xFF || b1 & 0xE0 != 0xE0 || version == 0b01 || !matches!(layer, 0b01 | 0b10) {
        return None;
    }
    if bitrate_index == 0x0F || rate_index == 3 {
        return None;
    }
    let kbps: &[u32; 15] = match (version, layer) {
        (0b11, 0b10) => &[
            0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
        ],
        (0b11, _) => &[
            0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
        ],
        _ => &[0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    };
    let rate = [44_100, 48_000, 32_000][rate_index] >> (3 - version).min(2);
    let bitrate = kbps[bitrate_index] * 1000;
    let padding = u32::from((b2 >> 1) & 1);
    // Samples per frame / 8: 144 for layer II and MPEG-1 layer III, 72 for MPEG-2/2.5 III.
    let factor = if layer == 0b01 && version != 0b11 {
        72
    } else {
        144
    };
    let len = (bitrate > 0).then(|| (factor * bitrate / rate + padding) as usize);
    Some((b1 & 0xFE, len))
}
