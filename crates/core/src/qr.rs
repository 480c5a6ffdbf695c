//! QR codes with a prefilled message (Meta's `message_qrdls`): a customer scans the code, or
//! opens its deep link `https://wa.me/message/{code}`, and lands in a chat with the business
//! with the message typed in for them.
//!
//! - [`QrCodeId`]: the code, 14 random uppercase letters and digits (`4O4YGZEG3RIVE1`).
//! - [`PrefilledMessage`]: the message, 1 to 140 characters (Meta's limit).
//! - [`QrImageFormat`]: `PNG` or `SVG`, as clients ask for an image.
//! - [`QrMatrix`]: the QR symbol of a deep link and its two renderings. The PNG is written
//!   here (1-bit grayscale, deflated with `flate2`) so that no image library is needed; the SVG
//!   comes from the `qrcode` crate's renderer. Both draw 8 pixels per module with a 4-module
//!   quiet zone, so a phone camera reads them off a screen or paper.

use std::fmt;
use std::io::Write;

use qrcode::{EcLevel, QrCode as Matrix};
use rand::Rng;

use crate::error::ValidationError;
use crate::text::bounded;

/// The alphabet of generated codes.
const CODE_ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A QR code's code: 14 uppercase ASCII letters or digits. `Copy`, like the other ids.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QrCodeId([u8; QrCodeId::LEN]);

impl QrCodeId {
    pub const LEN: usize = 14;

    /// A new random code (36^14, about 2^72, codes: guessing one is hopeless).
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut out = [0u8; Self::LEN];
        for b in &mut out {
            *b = CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())];
        }
        Self(out)
    }

    /// Exactly 14 characters, each `A`–`Z` or `0`–`9`.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let bytes = s.as_bytes();
        let ok = bytes.len() == Self::LEN
            && bytes
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !ok {
            return Err(ValidationError::new(
                "code",
                "is not a QR code: 14 uppercase letters or digits",
            ));
        }
        let mut out = [0u8; Self::LEN];
        out.copy_from_slice(bytes);
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters and digits get in (parse, generate).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// `https://wa.me/message/{code}`: what the QR image encodes.
    pub fn deep_link_url(&self) -> String {
        format!("https://wa.me/message/{}", self.as_str())
    }
}

impl fmt::Display for QrCodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for QrCodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QrCodeId({})", self.as_str())
    }
}

/// The message a QR code types in for the customer: trimmed, 1 to 140 characters (Meta's
/// limit for `prefilled_message`), newlines allowed, no other control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefilledMessage(String);

impl PrefilledMessage {
    pub const MAX_CHARS: usize = 140;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        bounded("prefilled_message", s, 1, Self::MAX_CHARS, true).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PrefilledMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The image format a client asks for (`generate_qr_image`, `qr_image_url.format(…)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QrImageFormat {
    Png,
    Svg,
}

impl QrImageFormat {
    /// `PNG` or `SVG`, in any case (whatsapp-api-js sends `png`).
    pub fn parse(field: &str, s: &str) -> Result<Self, ValidationError> {
        if s.eq_ignore_ascii_case("png") {
            Ok(Self::Png)
        } else if s.eq_ignore_ascii_case("svg") {
            Ok(Self::Svg)
        } else {
            Err(ValidationError::new(field, "must be PNG or SVG"))
        }
    }

    /// The image file's extension, which is also how its URL names the format.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Svg => "svg",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "png" => Some(Self::Png),
            "svg" => Some(Self::Svg),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Svg => "image/svg+xml",
        }
    }
}

/// Pixels per module in both renderings.
pub const MODULE_PX: u32 = 8;
/// Light modules around the symbol (the QR standard's minimum).
pub const QUIET_ZONE: u32 = 4;

/// The data is too long for any QR version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the data is too long for a QR code")]
pub struct QrTooLong;

/// A QR symbol (error correction level M, as Meta's codes use), with its renderings.
pub struct QrMatrix {
    code: Matrix,
    dark: Vec<bool>,
}

impl QrMatrix {
    pub fn encode(data: &str) -> Result<Self, QrTooLong> {
        let code = Matrix::with_error_correction_level(data.as_bytes(), EcLevel::M)
            .map_err(|_| QrTooLong)?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        Ok(Self { code, dark })
    }

    /// The symbol of a code's deep link.
    pub fn deep_link(code: &QrCodeId) -> Self {
        Self::encode(&code.deep_link_url()).expect("a 36-byte deep link fits a version-3 symbol")
    }

    /// Modules per side.
    pub fn size(&self) -> usize {
        self.code.width()
    }

    /// Whether the module at column `x`, row `y` is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.size() + x]
    }

    /// Pixels per side of the renderings.
    pub fn image_px(&self) -> u32 {
        (self.size() as u32 + 2 * QUIET_ZONE) * MODULE_PX
    }

    pub fn render(&self, format: QrImageFormat) -> Vec<u8> {
        match format {
            QrImageFormat::Png => self.png(),
            QrImageFormat::Svg => self.svg().into_bytes(),
        }
    }

    /// An SVG document: a white square and one black path of the dark modules.
    pub fn svg(&self) -> String {
        self.code
            .render::<qrcode::render::svg::Color<'_>>()
            .quiet_zone(true)
            .module_dimensions(MODULE_PX, MODULE_PX)
            .build()
    }

    /// A PNG: 1-bit grayscale (0 black, 1 white), no interlace, every row unfiltered.
    pub fn png(&self) -> Vec<u8> {
        let px = self.image_px() as usize;
        let row_bytes = px.div_ceil(8);
        let mut raw = Vec::with_capacity((row_bytes + 1) * px);
        let quiet = (QUIET_ZONE * MODULE_PX) as usize;
        let modules = self.size();
        let scale = MODULE_PX as usize;
        for y in 0..px {
            raw.push(0); // filter type None
            let my = (y / scale).wrapping_sub(QUIET_ZONE as usize);
            let mut row = vec![0xffu8; row_bytes];
            for x in quiet..px - quiet {
                let mx = x / scale - QUIET_ZONE as usize;
                if my < modules && mx < modules && self.is_dark(mx, my) {
                    row[x / 8] &= !(0x80 >> (x % 8));
                }
            }
            raw.extend_from_slice(&row);
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let idat = z
            .write_all(&raw)
            .and_then(|()| z.finish())
            .unwrap_or_default();

        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&(px as u32).to_be_bytes());
        ihdr.extend_from_slice(&(px as u32).to_be_bytes());
        // Bit depth 1, colour type 0 (grayscale), deflate, adaptive filtering, no interlace.
        ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);

        let mut png = Vec::with_capacity(idat.len() + 64);
        png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(&mut png, b"IDAT", &idat);
        chunk(&mut png, b"IEND", &[]);
        png
    }
}

/// Appends one PNG chunk: length, type, data, CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// Reads back a PNG as [`QrMatrix::png`] writes it: `(side, luma per pixel)`. Checks the
    /// signature, every chunk's CRC, the header and the filter bytes on the way.
    fn decode_png(png: &[u8]) -> (usize, Vec<u8>) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let mut at = 8;
        let (mut header, mut idat, mut ended) = (None, Vec::new(), false);
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + len];
            let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            let mut want = flate2::Crc::new();
            want.update(kind);
            want.update(data);
            assert_eq!(crc, want.sum(), "CRC of {}", String::from_utf8_lossy(kind));
            match kind {
                b"IHDR" => header = Some(data.to_vec()),
                b"IDAT" => idat.extend_from_slice(data),
                b"IEND" => ended = true,
                other => panic!("unexpected chunk {other:?}"),
            }
            at += 12 + len;
        }
        assert!(ended, "IEND");
        let header = header.expect("IHDR");
        let w = u32::from_be_bytes(header[0..4].try_into().unwrap()) as usize;
        let h = u32::from_be_bytes(header[4..8].try_into().unwrap()) as usize;
        assert_eq!((w, &header[8..]), (h, &[1u8, 0, 0, 0, 0][..]));
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&idat[..])
            .read_to_end(&mut raw)
            .unwrap();
        let row = w.div_ceil(8) + 1;
        assert_eq!(raw.len(), row * h);
        let mut luma = Vec::with_capacity(w * h);
        for y in 0..h {
            assert_eq!(raw[y * row], 0, "filter byte of row {y}");
            for x in 0..w {
                let bit = raw[y * row + 1 + x / 8] & (0x80 >> (x % 8));
                luma.push(if bit == 0 { 0 } else { 255 });
            }
        }
        (w, luma)
    }

    fn read_qr(side: usize, luma: &[u8]) -> String {
        let mut img =
            rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| luma[y * side + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        grids[0].decode().unwrap().1
    }

    #[test]
    fn codes_parse_and_generate() {
        let c = QrCodeId::parse("4O4YGZEG3RIVE1").unwrap();
        assert_eq!(c.as_str(), "4O4YGZEG3RIVE1");
        assert_eq!(c.to_string(), "4O4YGZEG3RIVE1");
        assert_eq!(c.deep_link_url(), "https://wa.me/message/4O4YGZEG3RIVE1");
        for bad in [
            "",
            "4O4YGZEG3RIVE",
            "4O4YGZEG3RIVE12",
            "4o4YGZEG3RIVE1",
            "4O4YGZEG3RIVE-",
            "4O4YGZEG3RIVÉ",
        ] {
            let e = QrCodeId::parse(bad).unwrap_err();
            assert_eq!(e.field, "code", "{bad}");
        }
        let a = QrCodeId::generate();
        assert_eq!(QrCodeId::parse(a.as_str()).unwrap(), a);
        assert_ne!(a, QrCodeId::generate());
    }

    #[test]
    fn prefilled_messages_are_1_to_140_characters() {
        assert_eq!(
            PrefilledMessage::parse("  Cyber Monday\n")
                .unwrap()
                .as_str(),
            "Cyber Monday"
        );
        assert_eq!(
            PrefilledMessage::parse("Line one\nline two")
                .unwrap()
                .as_str(),
            "Line one\nline two"
        );
        let full = "é".repeat(140);
        assert_eq!(PrefilledMessage::parse(&full).unwrap().as_str(), full);
        for bad in ["", "   ", "a\tb"] {
            assert_eq!(
                PrefilledMessage::parse(bad).unwrap_err().field,
                "prefilled_message"
            );
        }
        let e = PrefilledMessage::parse(&"x".repeat(141)).unwrap_err();
        assert_eq!(e.message, "must be at most 140 characters");
    }

    #[test]
    fn image_formats() {
        assert_eq!(
            QrImageFormat::parse("f", "PNG").unwrap(),
            QrImageFormat::Png
        );
        assert_eq!(
            QrImageFormat::parse("f", "png").unwrap(),
            QrImageFormat::Png
        );
        assert_eq!(
            QrImageFormat::parse("f", "Svg").unwrap(),
            QrImageFormat::Svg
        );
        assert_eq!(
            QrImageFormat::parse("generate_qr_image", "JPG")
                .unwrap_err()
                .field,
            "generate_qr_image"
        );
        assert_eq!(QrImageFormat::Svg.content_type(), "image/svg+xml");
        assert_eq!(
            QrImageFormat::from_extension("png"),
            Some(QrImageFormat::Png)
        );
        assert_eq!(QrImageFormat::from_extension("PNG"), None);
    }

    #[test]
    fn the_png_holds_the_matrix_and_reads_back_as_the_deep_link() {
        for _ in 0..5 {
            let code = QrCodeId::generate();
            let m = QrMatrix::deep_link(&code);
            let (side, luma) = decode_png(&m.png());
            assert_eq!(side, m.image_px() as usize);
            // Every pixel is its module's colour; the quiet zone is white.
            let scale = MODULE_PX as usize;
            let quiet = QUIET_ZONE as usize;
            for y in 0..side {
                for x in 0..side {
                    let (mx, my) = (
                        (x / scale).wrapping_sub(quiet),
                        (y / scale).wrapping_sub(quiet),
                    );
                    let dark = mx < m.size() && my < m.size() && m.is_dark(mx, my);
                    assert_eq!(luma[y * side + x] == 0, dark, "pixel {x},{y}");
                }
            }
            assert_eq!(read_qr(side, &luma), code.deep_link_url());
        }
    }

    #[test]
    fn the_svg_draws_the_matrix() {
        let code = QrCodeId::generate();
        let m = QrMatrix::deep_link(&code);
        let svg = m.svg();
        let side = m.image_px();
        assert!(
            svg.contains(&format!(r#"width="{side}" height="{side}""#)),
            "{svg}"
        );
        // Rasterise the path's rectangles (`M{x} {y}h{w}v{h}H{x}V{y}`) and read it.
        let side = side as usize;
        let mut luma = vec![255u8; side * side];
        let d = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        for rect in d.split('M').filter(|r| !r.is_empty()) {
            let nums: Vec<usize> = rect
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(|n| n.parse().unwrap())
                .collect();
            let (x, y, w, h) = (nums[0], nums[1], nums[2], nums[3]);
            for py in y..y + h {
                for px in x..x + w {
                    luma[py * side + px] = 0;
                }
            }
        }
        assert_eq!(read_qr(side, &luma), code.deep_link_url());
    }
}

/// One QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    pub code: QrCodeId,
    pub account_id: crate::ids::AccountId,
    /// The phone number whose chat the code opens.
    pub channel_id: crate::ids::ChannelId,
    pub prefilled_message: PrefilledMessage,
    pub created_at: crate::Timestamp,
    pub updated_at: crate::Timestamp,
}
