use super::{MediaType, OLE2, OOXML, SNIFF_BYTES, sniff};
use crate::media::samples::*;

/// The sniffed type's full name (with codec), or "none".
fn name(prefix: &[u8]) -> String {
    sniff(prefix).map_or("none".to_owned(), |s| format!("{:#}", s.media_type()))
}

#[test]
fn every_accepted_type_by_its_bytes() {
    for (bytes, expected) in [
        (jpeg(), "image/jpeg"),
        (png(), "image/png"),
        (pdf(), "application/pdf"),
        (webp(b"VP8 ", 0), "image/webp"),
        (ogg(OPUS_HEAD), "audio/ogg; codecs=opus"),
        (
            ftyp(b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"]),
            "video/mp4",
        ),
        (ftyp(b"M4A ", &[b"M4A ", b"isom"]), "audio/mp4"),
        (ftyp(b"3gp4", &[b"3gp4", b"isom"]), "video/3gp"),
        (amr(), "audio/amr"),
        (adts(), "audio/aac"),
        (mp3_frame(), "audio/mpeg"),
        (id3(20, &mp3_frame()), "audio/mpeg"),
        (ole2(WORD_CLSID, &["WordDocument"]), "application/msword"),
        (
            zip(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"]),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            zip(&["[Content_Types].xml", "xl/workbook.xml"]),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            zip(&["ppt/presentation.xml"]),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (b"Invoice 42\r\nTotal: 10 EUR\n".to_vec(), "text/plain"),
    ] {
        assert_eq!(name(&bytes), expected);
        let t = sniff(&bytes).unwrap();
        assert!(t.media_type().kind().is_some(), "{expected} is accepted");
    }
}

#[test]
fn nothing_to_sniff() {
    assert!(sniff(b"").is_none());
    assert_eq!(name(b"\x00\x01\x02\x03binary\xFE\xFF"), "none");
    assert_eq!(name(&[0xFF; 64]), "none");
}

#[test]
fn webp_animation_flag() {
    for (chunk, flags, animated) in [
        (b"VP8 ", 0x00, false),
        (b"VP8L", 0x00, false),
        (b"VP8X", 0x10, false), // alpha only
        (b"VP8X", 0x02, true),
        (b"VP8X", 0x12, true), // alpha and animation
    ] {
        let s = sniff(&webp(chunk, flags)).unwrap();
        assert_eq!(s.media_type(), &MediaType::WEBP);
        assert_eq!(s.is_animated(), animated, "{chunk:?} {flags:#x}");
    }
    assert!(!sniff(&jpeg()).unwrap().is_animated());
    // RIFF of another kind (WAVE) and a WEBP with an unknown chunk are not WebP.
    let wav = b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00";
    assert_eq!(name(wav), "audio/x-wav");
    assert_eq!(name(&webp(b"ABCD", 0)), "none");
}

#[test]
fn ogg_codec_is_read_from_the_first_packet() {
    assert_eq!(
        sniff(&ogg(OPUS_HEAD)).unwrap().media_type(),
        &MediaType::OGG_OPUS
    );
    assert_eq!(name(&ogg(VORBIS_HEAD)), "audio/ogg; codecs=vorbis");
    assert_eq!(name(&ogg(b"\x7fFLAC\x01\x00")), "audio/ogg; codecs=flac");
    assert_eq!(name(&ogg(b"\x80theora\x03")), "video/ogg; codecs=theora");
    assert_eq!(name(&ogg(b"unknown!")), "application/ogg");
    assert_eq!(
        name(b"OggS\x00\x02"),
        "application/ogg",
        "cut before the packet"
    );
    for codec in [VORBIS_HEAD, b"\x7fFLAC\x01\x00"] {
        assert!(sniff(&ogg(codec)).unwrap().media_type().kind().is_none());
    }
}

#[test]
fn iso_media_brands() {
    let mp4 = sniff(&ftyp(b"mp42", &[b"mp42", b"isom"])).unwrap();
    assert_eq!(mp4.media_type(), &MediaType::MP4);
    assert_eq!(
        mp4.alternatives(),
        [MediaType::MP4_AUDIO, MediaType::THREE_GP]
    );

    let m4a = sniff(&ftyp(b"M4A ", &[])).unwrap();
    assert_eq!(
        (m4a.media_type(), m4a.alternatives()),
        (&MediaType::MP4_AUDIO, &[][..])
    );
    assert_eq!(
        name(&ftyp(b"isom", &[b"M4A ", b"mp42"])),
        "audio/mp4",
        "M4A compatible"
    );
    assert_eq!(name(&ftyp(b"M4B ", &[])), "audio/mp4");

    let gp = sniff(&ftyp(b"3gp5", &[b"3gp5"])).unwrap();
    assert_eq!(gp.alternatives(), [MediaType::MP4]);
    assert_eq!(name(&ftyp(b"M4V ", &[b"M4V ", b"mp42"])), "video/mp4");

    for (major, refused) in [
        (b"qt  ", "video/quicktime"),
        (b"heic", "image/heic"),
        (b"mif1", "image/heif"),
        (b"avif", "image/avif"),
        (b"3g2a", "video/3gpp2"),
    ] {
        assert_eq!(name(&ftyp(major, &[])), refused);
    }
}

#[test]
fn mpeg_and_aac_frames() {
    assert_eq!(name(b"\xFF\xF3\x64\xC4"), "audio/mpeg", "MPEG-2 layer III");
    assert_eq!(name(b"\xFF\xFD\x90\x64"), "audio/mpeg", "MPEG-1 layer II");
    assert_eq!(
        name(b"\xFF\xF9\x50\x80\x2E\x7F\xFC"),
        "audio/aac",
        "MPEG-2 ADTS"
    );
    assert_eq!(name(b"ADIF\x00\x00"), "audio/aac");
    // Reserved version, bad bitrate, reserved sample rate, layer I (a UTF-16 BOM), bad ADTS
    // frequency: no frame.
    for bad in [
        &b"\xFF\xEB\x90\x64"[..],
        b"\xFF\xFB\xF0\x64",
        b"\xFF\xFB\x9C\x64",
        b"\xFF\xFE\x75\x00",
        b"\xFF\xF1\x7C\x80\x2E\x7F\xFC",
    ] {
        assert_eq!(name(bad), "none", "{bad:02x?}");
    }
}

#[test]
fn the_next_frame_must_follow_where_the_prefix_shows_it() {
    // 128 kbit/s at 44.1 kHz: 417-byte frames.
    let mut two = mp3_frame();
    two.resize(417, 0);
    two.extend_from_slice(&mp3_frame());
    assert_eq!(name(&two), "audio/mpeg");
    let mut stray = mp3_frame();
    stray.resize(600, 0x01);
    assert_eq!(name(&stray), "none", "no second frame at 417");

    // ADTS frames carry their length: 371 bytes here.
    let mut aac = adts();
    aac.resize(371, 0);
    aac.extend_from_slice(&adts());
    assert_eq!(name(&aac), "audio/aac");
    let mut stray = adts();
    stray.resize(400, 0x01);
    assert_eq!(name(&stray), "none");
}

#[test]
fn id3_tags_head_mp3_or_aac() {
    assert_eq!(name(&id3(100, &mp3_frame())), "audio/mpeg");
    assert_eq!(name(&id3(100, &adts())), "audio/aac");
    let mut padded = id3(10, &[0; 40]);
    padded.extend_from_slice(&adts());
    assert_eq!(name(&padded), "audio/aac", "zero padding after the tag");
    assert_eq!(name(&id3(5, b"fLaC\x00\x00\x00\x22")), "audio/x-flac");
    // A tag longer than the prefix (cover art): MP3, which ID3 almost always heads.
    let long = id3(100_000, b"");
    assert_eq!(name(&long[..SNIFF_BYTES]), "audio/mpeg");
    // "ID3" followed by text is not a tag.
    assert_eq!(name(b"ID3 tags are metadata\n"), "text/plain");
}

#[test]
fn amr_narrow_and_wide_band() {
    assert_eq!(name(&amr()), "audio/amr");
    assert_eq!(name(b"#!AMR-WB\n\x04"), "audio/amr-wb");
}

#[test]
fn pdf_signature_may_follow_junk() {
    let mut late = vec![b' '; 300];
    late.extend_from_slice(&pdf());
    assert_eq!(name(&late), "application/pdf");
    let mut too_late = vec![b' '; 1100];
    too_late.extend_from_slice(&pdf());
    assert_eq!(name(&too_late), "none", "past 1,024 bytes; binary follows");
}

#[test]
fn ole2_application_by_clsid_or_stream_name() {
    let word = sniff(&ole2(WORD_CLSID, &["1Table", "WordDocument"])).unwrap();
    assert_eq!(
        (word.media_type(), word.alternatives()),
        (&MediaType::DOC, &[][..])
    );
    for (stream, t) in [
        ("WordDocument", MediaType::DOC),
        ("Workbook", MediaType::XLS),
        ("Book", MediaType::XLS),
        ("PowerPoint Document", MediaType::PPT),
    ] {
        let s = sniff(&ole2([0; 16], &["\u{5}SummaryInformation", stream])).unwrap();
        assert_eq!(s.media_type(), &t, "{stream}");
    }
    let excel = [
        0x20, 0x08, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x46,
    ];
    assert_eq!(
        sniff(&ole2(excel, &[])).unwrap().media_type(),
        &MediaType::XLS
    );
    let ppt = [
        0x10, 0x8D, 0x81, 0x64, 0x9B, 0x4F, 0xCF, 0x11, 0x86, 0xEA, 0x00, 0xAA, 0x00, 0xB9, 0x29,
        0xE8,
    ];
    assert_eq!(
        sniff(&ole2(ppt, &[])).unwrap().media_type(),
        &MediaType::PPT
    );
}

#[test]
fn ole2_without_its_directory_is_one_of_three() {
    // The directory sector past the prefix, or no Office stream in it.
    let header_only = &ole2(WORD_CLSID, &["WordDocument"])[..512];
    let msg = ole2([0; 16], &["__substg1.0_0037001F"]);
    for bytes in [header_only, &msg[..]] {
        let s = sniff(bytes).unwrap();
        assert_eq!(s.media_type(), &OLE2);
        assert_eq!(
            s.alternatives(),
            [MediaType::DOC, MediaType::XLS, MediaType::PPT]
        );
        assert!(s.media_type().kind().is_none());
    }
    let mut far = ole2(WORD_CLSID, &[]);
    far[0x30..0x34].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes()); // end-of-chain marker
    assert_eq!(sniff(&far).unwrap().media_type(), &OLE2);
}

#[test]
fn zip_packages() {
    let generic = sniff(&zip(&[
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/app.xml",
    ]))
    .unwrap();
    assert_eq!(generic.media_type(), &OOXML);
    assert_eq!(
        generic.alternatives(),
        [MediaType::DOCX, MediaType::XLSX, MediaType::PPTX]
    );
    // A bare ZIP is refused; infer names it.
    assert_eq!(
        name(&zip(&["photos/a.jpg", "notes.txt"])),
        "application/zip"
    );
    // A part name cut by the end of the prefix still counts once its folder is in.
    let cut = zip(&["[Content_Types].xml", "word/document.xml"]);
    assert_eq!(name(&cut[..cut.len() - 15]), MediaType::DOCX.essence());
}

#[test]
fn text_is_utf8_without_control_bytes() {
    assert_eq!(name("Grüße, 你好 👋\n\tok".as_bytes()), "text/plain");
    assert_eq!(name(b"\xEF\xBB\xBFwith BOM"), "text/plain");
    // A multi-byte character cut by the end of the prefix.
    let s = "total: 5 €".as_bytes();
    assert_eq!(name(&s[..s.len() - 1]), "text/plain");
    assert_eq!(name(b"form\x0cfeed and \x1b[1mescape\x1b[0m"), "text/plain");
    assert_eq!(name(b"nul\x00inside"), "none");
    assert_eq!(name(b"bell\x07"), "none");
    assert_eq!(name(b"latin-1 caf\xE9 au lait"), "none");
    assert_eq!(
        name(
            "\u{feff}utf16"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<_>>()
                .as_slice()
        ),
        "none"
    );
    // Text-like formats are text; binary formats are named.
    assert_eq!(name(b"<html><body>hi</body></html>"), "text/plain");
    assert_eq!(name(b"GIF89a\x01\x00\x01\x00\x80\x00\x00"), "image/gif");
}

#[test]
fn types_that_are_refused_are_named() {
    let mut webm = b"\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x84webm".to_vec();
    webm.resize(300, 0);
    for (bytes, expected) in [
        (&b"\x1F\x8B\x08\x00\x00\x00\x00\x00"[..], "application/gzip"),
        (
            b"BM\x36\x00\x0C\x00\x00\x00\x00\x00\x36\x00\x00\x00",
            "image/bmp",
        ),
        (b"fLaC\x00\x00\x00\x22\x10\x00", "audio/x-flac"),
        (&webm[..], "video/webm"),
    ] {
        let s = sniff(bytes).unwrap();
        assert_eq!(s.media_type().essence(), expected);
        assert!(s.media_type().kind().is_none());
    }
}
