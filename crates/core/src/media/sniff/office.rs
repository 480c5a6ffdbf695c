//! Office files: Office 97–2003 compound files (OLE2) and Office Open XML packages (ZIP).

use super::{OLE2, OOXML, Sniffed};
use crate::media::media_type::MediaType;

const OLE2_TYPES: &[MediaType] = &[MediaType::DOC, MediaType::XLS, MediaType::PPT];
const OOXML_TYPES: &[MediaType] = &[MediaType::DOCX, MediaType::XLSX, MediaType::PPTX];

pub(super) fn sniff(buf: &[u8]) -> Option<Sniffed> {
    if buf.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Some(match ole2_application(buf) {
            Some(t) => Sniffed::exact(t),
            None => Sniffed::ambiguous(OLE2, OLE2_TYPES),
        });
    }
    if buf.starts_with(b"PK\x03\x04") {
        return ooxml(buf);
    }
    None
}

/// A CLSID as stored: the first three fields little-endian, the last eight bytes as written.
const fn clsid(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> [u8; 16] {
    let a = d1.to_le_bytes();
    let b = d2.to_le_bytes();
    let c = d3.to_le_bytes();
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4], d4[5],
        d4[6], d4[7],
    ]
}

const OLE_SUFFIX: [u8; 8] = [0xC0, 0, 0, 0, 0, 0, 0, 0x46];
/// Root-entry CLSIDs Office writes: Word 97+, Excel 97+ and Excel 5/95, PowerPoint 97+.
const CLSIDS: &[([u8; 16], MediaType)] = &[
    (clsid(0x0002_0906, 0, 0, OLE_SUFFIX), MediaType::DOC),
    (clsid(0x0002_0820, 0, 0, OLE_SUFFIX), MediaType::XLS),
    (clsid(0x0002_0810, 0, 0, OLE_SUFFIX), MediaType::XLS),
    (
        clsid(
            0x6481_8D10,
            0x4F9B,
            0x11CF,
            [0x86, 0xEA, 0x00, 0xAA, 0x00, 0xB9, 0x29, 0xE8],
        ),
        MediaType::PPT,
    ),
];
/// The main stream each application writes.
const STREAMS: &[(&str, MediaType)] = &[
    ("WordDocument", MediaType::DOC),
    ("Workbook", MediaType::XLS),
    ("Book", MediaType::XLS),
    ("PowerPoint Document", MediaType::PPT),
];

/// Which application wrote an OLE2 file, if its first directory sector is in `buf`.
///
/// The 512-byte header gives the sector size (2^9 or 2^12, at 0x1E) and the first directory
/// sector (at 0x30); sector `n` starts at `(n + 1) * size`. A directory sector holds 128-byte
/// entries: a UTF-16LE name (64 bytes, its byte length at 64), the type at 66 (5 = root) and
/// a CLSID at 80. The root entry's CLSID names the application; if Office left it zero, the
/// name of a stream in that sector does.
fn ole2_application(buf: &[u8]) -> Option<MediaType> {
    let shift = u16::from_le_bytes([*buf.get(0x1E)?, *buf.get(0x1F)?]);
    if shift != 9 && shift != 12 {
        return None;
    }
    let sector_size = 1usize << shift;
    let first = u32::from_le_bytes(buf.get(0x30..0x34)?.try_into().ok()?) as usize;
    let start = first.checked_add(1)?.checked_mul(sector_size)?;
    let end = start.checked_add(sector_size)?.min(buf.len());
    let entries = buf.get(start..end)?.chunks_exact(128);
    let root = entries.clone().next()?;
    if root[66] == 5 {
        let id = &root[80..96];
        if let Some((_, t)) = CLSIDS.iter().find(|(c, _)| c == id) {
            return Some(t.clone());
        }
    }
    entries.filter_map(entry_name).find_map(|name| {
        STREAMS
            .iter()
            .find(|(stream, _)| *stream == name)
            .map(|(_, t)| t.clone())
    })
}

fn entry_name(entry: &[u8]) -> Option<String> {
    let bytes = usize::from(u16::from_le_bytes([entry[64], entry[65]]));
    // The length counts the terminating NUL.
    let units: Vec<u16> = entry
        .get(..bytes.checked_sub(2)?.min(62))?
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

/// An OOXML package by the parts named in the local file headers within `buf` (each:
/// `PK\3\4`, 26 bytes, the name's length at 26, the name at 30). `None` for a ZIP that is
/// not OOXML, which the generic table then names.
fn ooxml(buf: &[u8]) -> Option<Sniffed> {
    let mut content_types = false;
    for name in local_file_names(buf) {
        for (folder, t) in [
            (&b"word/"[..], MediaType::DOCX),
            (b"xl/", MediaType::XLSX),
            (b"ppt/", MediaType::PPTX),
        ] {
            if name.starts_with(folder) {
                return Some(Sniffed::exact(t));
            }
        }
        content_types |= name == b"[Content_Types].xml";
    }
    content_types.then(|| Sniffed::ambiguous(OOXML, OOXML_TYPES))
}

fn local_file_names(buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    buf.windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x03\x04")
        .filter_map(move |(at, _)| {
            let len = buf.get(at + 26..at + 28)?;
            let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
            let start = at + 30;
            buf.get(start..(start + len).min(buf.len()))
        })
}
