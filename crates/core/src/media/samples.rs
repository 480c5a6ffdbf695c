//! Minimal real-format prefixes for the tests: the bytes each format starts with, built by
//! hand from the formats' specifications.

/// JFIF JPEG: SOI, APP0.
pub fn jpeg() -> Vec<u8> {
    b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00".to_vec()
}

/// PNG signature and the start of IHDR.
pub fn png() -> Vec<u8> {
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0DIHDR\x00\x00\x02\x00\x00\x00\x02\x00\x08\x06".to_vec()
}

pub fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\n".to_vec()
}

/// WebP: `RIFF`, size, `WEBP`, then the first chunk. For `VP8X`, `flags` is its flags byte.
pub fn webp(chunk: &[u8; 4], flags: u8) -> Vec<u8> {
    let mut b = b"RIFF\x24\x10\x00\x00WEBP".to_vec();
    b.extend_from_slice(chunk);
    b.extend_from_slice(&[0x0A, 0, 0, 0]);
    b.extend_from_slice(&[flags, 0, 0, 0, 0xFF, 0x01, 0, 0xFF, 0x01, 0]);
    b
}

/// An Ogg page (beginning of stream) whose one packet is `packet`.
pub fn ogg(packet: &[u8]) -> Vec<u8> {
    let mut b = b"OggS\x00\x02".to_vec();
    b.extend_from_slice(&[0; 8]); // granule position
    b.extend_from_slice(&[0x11, 0x22, 0x33, 0x44]); // serial
    b.extend_from_slice(&[0; 4]); // sequence
    b.extend_from_slice(&[0xAB, 0xCD, 0xEF, 0x01]); // CRC
    b.push(1);
    b.push(u8::try_from(packet.len()).unwrap());
    b.extend_from_slice(packet);
    b
}

pub const OPUS_HEAD: &[u8] = b"OpusHead\x01\x02\x38\x01\x80\xBB\x00\x00\x00\x00\x00";
pub const VORBIS_HEAD: &[u8] = b"\x01vorbis\x00\x00\x00\x00\x02\x44\xAC\x00\x00";

/// An ISO media file: an `ftyp` box with `major` and `compatible` brands, then `mdat`.
pub fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let size = u32::try_from(16 + 4 * compatible.len()).unwrap();
    let mut b = size.to_be_bytes().to_vec();
    b.extend_from_slice(b"ftyp");
    b.extend_from_slice(major);
    b.extend_from_slice(&[0, 0, 2, 0]);
    for brand in compatible {
        b.extend_from_slice(*brand);
    }
    b.extend_from_slice(b"\x00\x00\x00\x08free\x00\x00\x10\x00mdat");
    b
}

/// AMR-NB: the magic line and one frame header.
pub fn amr() -> Vec<u8> {
    b"#!AMR\n\x3C\x48\xF5\x1F\x96\x66\x78\x00".to_vec()
}

/// An ADTS frame header (AAC LC, 44.1 kHz, stereo).
pub fn adts() -> Vec<u8> {
    b"\xFF\xF1\x50\x80\x2E\x7F\xFC\x21\x00\x03".to_vec()
}

/// An MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz).
pub fn mp3_frame() -> Vec<u8> {
    b"\xFF\xFB\x90\x64\x00\x0F\xF0\x00\x00\x69".to_vec()
}

/// An ID3v2.4 tag with `tag_len` bytes of frames, then `then`.
pub fn id3(tag_len: usize, then: &[u8]) -> Vec<u8> {
    let mut b = b"ID3\x04\x00\x00".to_vec();
    let n = u32::try_from(tag_len).unwrap();
    b.extend_from_slice(&[
        ((n >> 21) & 0x7F) as u8,
        ((n >> 14) & 0x7F) as u8,
        ((n >> 7) & 0x7F) as u8,
        (n & 0x7F) as u8,
    ]);
    b.extend(std::iter::repeat_n(b'T', tag_len));
    b.extend_from_slice(then);
    b
}

/// An OLE2 compound file: the 512-byte header (512-byte sectors, directory at sector 0),
/// then that directory sector: a root entry with `clsid` and one stream entry per name.
pub fn ole2(clsid: [u8; 16], streams: &[&str]) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    b[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    b[0x18..0x1A].copy_from_slice(&0x3Eu16.to_le_bytes()); // minor version
    b[0x1A..0x1C].copy_from_slice(&3u16.to_le_bytes()); // major version
    b[0x1C..0x1E].copy_from_slice(&[0xFE, 0xFF]); // byte order
    b[0x1E..0x20].copy_from_slice(&9u16.to_le_bytes()); // sector shift
    b[0x20..0x22].copy_from_slice(&6u16.to_le_bytes()); // mini sector shift
    b[0x30..0x34].copy_from_slice(&0u32.to_le_bytes()); // first directory sector
    let mut entry = |name: &str, kind: u8, id: [u8; 16]| {
        let mut e = [0u8; 128];
        let units: Vec<u16> = name.encode_utf16().collect();
        for (i, u) in units.iter().enumerate() {
            e[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
        let len = u16::try_from(2 * units.len() + 2).unwrap();
        e[64..66].copy_from_slice(&len.to_le_bytes());
        e[66] = kind;
        e[80..96].copy_from_slice(&id);
        b.extend_from_slice(&e);
    };
    entry("Root Entry", 5, clsid);
    for s in streams {
        entry(s, 2, [0; 16]);
    }
    b
}

/// Word 97's root CLSID, 00020906-0000-0000-C000-000000000046, as stored.
pub const WORD_CLSID: [u8; 16] = [
    0x06, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];

/// A ZIP whose local file headers name `names`, each with a few bytes of "compressed" data.
pub fn zip(names: &[&str]) -> Vec<u8> {
    let mut b = Vec::new();
    for name in names {
        b.extend_from_slice(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00\x21\x00");
        b.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF]); // CRC-32
        b.extend_from_slice(&4u32.to_le_bytes()); // compressed size
        b.extend_from_slice(&9u32.to_le_bytes()); // uncompressed size
        b.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&[0x03, 0x00, 0x8C, 0x1A]);
    }
    b
}
