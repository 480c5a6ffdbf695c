use super::*;
use crate::media::samples::*;
use crate::media::{ANIMATED_STICKER_MAX, DeclaredType, IMAGE_MAX, STICKER_MAX, sniff};

fn t(s: &str) -> MediaType {
    MediaType::parse(s).unwrap()
}

/// Checks `bytes` (as the whole file) with an optional declared type and expected kind.
fn run(
    bytes: &[u8],
    declared: Option<&str>,
    expected: Option<MediaKind>,
) -> Result<Checked, MediaError> {
    let declared = declared.map(t);
    check(
        declared.as_ref(),
        sniff(bytes),
        bytes.len() as u64,
        expected,
    )
}

fn ok(bytes: &[u8], declared: Option<&str>) -> Checked {
    run(bytes, declared, None).unwrap_or_else(|e| panic!("{declared:?}: {e}"))
}

fn err(bytes: &[u8], declared: Option<&str>, expected: Option<MediaKind>) -> (ErrorCode, String) {
    let e = run(bytes, declared, expected).unwrap_err();
    (e.code, e.details)
}

fn samples() -> Vec<(Vec<u8>, MediaType, MediaKind)> {
    use MediaKind::*;
    vec![
        (jpeg(), MediaType::JPEG, Image),
        (png(), MediaType::PNG, Image),
        (ftyp(b"isom", &[b"isom", b"avc1"]), MediaType::MP4, Video),
        (ftyp(b"3gp4", &[b"3gp4"]), MediaType::THREE_GP, Video),
        (adts(), MediaType::AAC, Audio),
        (amr(), MediaType::AMR, Audio),
        (id3(30, &mp3_frame()), MediaType::MPEG_AUDIO, Audio),
        (ftyp(b"M4A ", &[]), MediaType::MP4_AUDIO, Audio),
        (ogg(OPUS_HEAD), MediaType::OGG_OPUS, Audio),
        (b"plain text\n".to_vec(), MediaType::TEXT, Document),
        (pdf(), MediaType::PDF, Document),
        (ole2(WORD_CLSID, &[]), MediaType::DOC, Document),
        (zip(&["xl/workbook.xml"]), MediaType::XLSX, Document),
        (webp(b"VP8 ", 0), MediaType::WEBP, Sticker),
    ]
}

#[test]
fn accepted_files_with_and_without_a_declared_type() {
    for (bytes, media_type, kind) in samples() {
        for declared in [None, Some(media_type.essence())] {
            let c = ok(&bytes, declared);
            assert_eq!(
                (c.media_type(), c.kind(), c.size()),
                (&media_type, kind, bytes.len() as u64),
                "{media_type} declared {declared:?}"
            );
        }
        let c = run(&bytes, None, Some(kind)).unwrap();
        assert_eq!(c.kind(), kind);
    }
}

#[test]
fn aliases_agree_with_the_bytes() {
    assert_eq!(
        ok(&jpeg(), Some("image/jpg")).media_type(),
        &MediaType::JPEG
    );
    assert_eq!(
        ok(&ogg(OPUS_HEAD), Some("audio/opus")).media_type(),
        &MediaType::OGG_OPUS
    );
    let c = ok(&ogg(OPUS_HEAD), Some("audio/ogg"));
    assert_eq!(
        c.media_type().full(),
        "audio/ogg; codecs=opus",
        "the bytes know the codec"
    );
    assert_eq!(
        ok(&mp3_frame(), Some("audio/mp3")).media_type(),
        &MediaType::MPEG_AUDIO
    );
    assert_eq!(
        ok(&ftyp(b"M4A ", &[]), Some("audio/x-m4a")).media_type(),
        &MediaType::MP4_AUDIO
    );
    assert_eq!(
        ok(&ftyp(b"3gp5", &[]), Some("video/3gpp")).media_type(),
        &MediaType::THREE_GP
    );
}

#[test]
fn declared_and_sniffed_must_agree() {
    let (code, details) = err(&png(), Some("image/jpeg"), None);
    assert_eq!(code, ErrorCode::MediaTypeMismatch);
    assert_eq!(details, "the file is image/png but `type` says image/jpeg");
    let (code, details) = err(&ftyp(b"M4A ", &[]), Some("audio/mpeg"), None);
    assert_eq!(code, ErrorCode::MediaTypeMismatch);
    assert_eq!(details, "the file is audio/mp4 but `type` says audio/mpeg");
    for (bytes, declared) in [
        (ftyp(b"M4A ", &[]), "video/mp4"),
        (pdf(), "text/plain"),
        (b"hello".to_vec(), "application/pdf"),
        (ole2(WORD_CLSID, &[]), "application/vnd.ms-excel"),
        (webp(b"VP8 ", 0), "image/png"),
        (jpeg(), "audio/aac"),
    ] {
        let (code, _) = err(&bytes, Some(declared), None);
        assert_eq!(code, ErrorCode::MediaTypeMismatch, "{declared}");
    }
}

#[test]
fn iso_media_takes_the_declared_member() {
    let generic = ftyp(b"mp42", &[b"mp42", b"isom"]);
    assert_eq!(ok(&generic, None).media_type(), &MediaType::MP4);
    let audio = ok(&generic, Some("audio/mp4"));
    assert_eq!(
        (audio.media_type(), audio.kind()),
        (&MediaType::MP4_AUDIO, MediaKind::Audio)
    );
    assert_eq!(
        ok(&generic, Some("video/3gp")).media_type(),
        &MediaType::THREE_GP
    );
    assert_eq!(
        ok(&ftyp(b"3gp4", &[]), Some("video/mp4")).media_type(),
        &MediaType::MP4
    );
    // No declared type: the kind the caller needs picks the member.
    let c = run(&generic, None, Some(MediaKind::Audio)).unwrap();
    assert_eq!(c.media_type(), &MediaType::MP4_AUDIO);
    let c = DeclaredType::parse("audio").unwrap();
    let c = check(c.media_type(), sniff(&generic), 100, c.kind()).unwrap();
    assert_eq!(c.media_type(), &MediaType::MP4_AUDIO, "`type=audio` upload");
}

#[test]
fn office_containers_need_the_declared_type() {
    let unknown_ole = &ole2(WORD_CLSID, &[])[..512];
    let c = ok(unknown_ole, Some("application/vnd.ms-excel"));
    assert_eq!(
        (c.media_type(), c.kind()),
        (&MediaType::XLS, MediaKind::Document)
    );
    let (code, details) = err(unknown_ole, None, Some(MediaKind::Document));
    assert_eq!(code, ErrorCode::MissingParameter);
    assert_eq!(
        details,
        "the file is an Office 97–2003 file (doc, xls or ppt), but its first bytes do not \
         show which; give its type as `type`: one of application/msword, \
         application/vnd.ms-excel, application/vnd.ms-powerpoint"
    );
    let (code, details) = err(unknown_ole, Some("image/png"), None);
    assert_eq!(code, ErrorCode::MediaTypeMismatch);
    assert!(
        details.starts_with("the file is an Office 97–2003 file"),
        "{details}"
    );

    let package = zip(&["[Content_Types].xml", "_rels/.rels"]);
    let pptx = MediaType::PPTX;
    assert_eq!(ok(&package, Some(pptx.essence())).media_type(), &pptx);
    assert_eq!(err(&package, None, None).0, ErrorCode::MissingParameter);
}

#[test]
fn types_whatsapp_refuses() {
    let (code, details) = err(&ogg(VORBIS_HEAD), None, None);
    assert_eq!(code, ErrorCode::MediaTypeNotSupported);
    assert_eq!(
        details,
        "the file is Ogg audio with the vorbis codec; WhatsApp accepts Ogg audio only with the \
         Opus codec"
    );
    assert_eq!(err(&ogg(VORBIS_HEAD), Some("audio/ogg"), None).1, details);
    assert_eq!(
        err(&ogg(OPUS_HEAD), Some("audio/ogg; codecs=vorbis"), None).0,
        ErrorCode::MediaTypeNotSupported
    );

    let (code, details) = err(&zip(&["a.txt"]), None, None);
    assert_eq!(code, ErrorCode::MediaTypeNotSupported);
    assert!(
        details.starts_with(
            "the file is application/zip, which WhatsApp does not accept; it takes image/jpeg, \
             image/png, video/mp4"
        ),
        "{details}"
    );
    let (_, details) = err(&zip(&["a.txt"]), Some("application/pdf"), None);
    assert!(
        details.starts_with("the file is application/zip (`type` says application/pdf), which")
    );

    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00";
    let (code, details) = err(gif, Some("image/gif"), None);
    assert_eq!(code, ErrorCode::MediaTypeNotSupported);
    assert!(details.starts_with("`type` says image/gif, which WhatsApp does not accept"));
    assert_eq!(err(gif, None, None).0, ErrorCode::MediaTypeNotSupported);
}

#[test]
fn bytes_of_no_known_format() {
    let junk = b"\x00\x01\x02\x03\xFE\xFF";
    let (code, details) = err(junk, None, None);
    assert_eq!(code, ErrorCode::MediaTypeNotSupported);
    assert!(details.starts_with("the file's first bytes match no type WhatsApp accepts"));
    let (code, details) = err(junk, Some("image/png"), None);
    assert_eq!(code, ErrorCode::MediaTypeMismatch);
    assert_eq!(
        details,
        "`type` says image/png, but the file's first bytes are not those of image/png nor of \
         any type WhatsApp accepts"
    );
}

#[test]
fn text_is_utf8_without_nul() {
    let c = ok("Rechnung für März\n".as_bytes(), Some("text/plain"));
    assert_eq!(
        (c.media_type(), c.kind()),
        (&MediaType::TEXT, MediaKind::Document)
    );
    let (code, details) = err(b"col1\x00col2\n", Some("text/plain"), None);
    assert_eq!(code, ErrorCode::MediaTypeMismatch);
    assert!(details.contains("is not UTF-8 text"), "{details}");
    assert_eq!(
        err(b"col1\x00col2\n", None, None).0,
        ErrorCode::MediaTypeNotSupported
    );
}

#[test]
fn the_kind_the_caller_needs() {
    let (code, details) = err(&png(), None, Some(MediaKind::Video));
    assert_eq!(code, ErrorCode::MediaTypeMismatch);
    assert_eq!(
        details,
        "expected a video (video/mp4 or video/3gp); this file is image/png"
    );
    let (_, details) = err(&webp(b"VP8 ", 0), None, Some(MediaKind::Image));
    assert_eq!(
        details,
        "expected an image (image/jpeg or image/png); this file is image/webp, which WhatsApp \
         sends as a sticker"
    );
    assert_eq!(
        err(&png(), None, Some(MediaKind::Sticker)).0,
        ErrorCode::MediaTypeMismatch
    );
    assert_eq!(
        err(&ftyp(b"M4A ", &[]), None, Some(MediaKind::Video)).0,
        ErrorCode::MediaTypeMismatch
    );
    // Any accepted file may be sent as a document, within the document limit.
    let c = check(
        Some(&MediaType::JPEG),
        sniff(&jpeg()),
        6 * MB,
        Some(MediaKind::Document),
    )
    .unwrap();
    assert_eq!(
        (c.media_type(), c.kind()),
        (&MediaType::JPEG, MediaKind::Document)
    );
}

#[test]
fn size_limits_per_kind_at_the_boundary() {
    for (bytes, _, kind) in samples() {
        let limit = kind.limit(false);
        let at = check(None, sniff(&bytes), limit, None);
        assert!(at.is_ok(), "{kind} at {limit}: {at:?}");
        let e = check(None, sniff(&bytes), limit + 1, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::MediaTooLarge, "{kind}");
    }
    let e = check(None, sniff(&jpeg()), IMAGE_MAX + 1, None).unwrap_err();
    assert_eq!(
        e.details,
        "image files are at most 5 MB (5242880 bytes); this one is 5242881 bytes"
    );
    let e = check(None, sniff(&jpeg()), 6_500_000, None).unwrap_err();
    assert_eq!(
        e.details,
        "image files are at most 5 MB; this one is 6.2 MB"
    );
    let e = check(None, sniff(&pdf()), 150 * MB, None).unwrap_err();
    assert_eq!(
        e.details,
        "documents are at most 100 MB; this one is 150 MB"
    );
}

#[test]
fn stickers_static_and_animated() {
    let still = webp(b"VP8X", 0x10);
    let moving = webp(b"VP8X", 0x02);
    assert!(
        !check(None, sniff(&still), STICKER_MAX, None)
            .unwrap()
            .is_animated()
    );
    let e = check(None, sniff(&still), STICKER_MAX + 1, None).unwrap_err();
    assert_eq!(
        (e.code, e.details.as_str()),
        (
            ErrorCode::MediaTooLarge,
            "static stickers are at most 100 KB (102400 bytes); this one is 102401 bytes"
        )
    );
    let c = check(None, sniff(&moving), ANIMATED_STICKER_MAX, None).unwrap();
    assert!(c.is_animated());
    let e = check(None, sniff(&moving), 600 * KB, None).unwrap_err();
    assert_eq!(
        e.details,
        "animated stickers are at most 500 KB; this one is 600 KB"
    );
}

#[test]
fn empty_files_are_refused_first() {
    let e = check(Some(&MediaType::JPEG), sniff(&jpeg()), 0, None).unwrap_err();
    assert_eq!(
        (e.code, e.details.as_str()),
        (ErrorCode::MediaEmpty, "the file is empty")
    );
    assert_eq!(
        check(None, None, 0, None).unwrap_err().code,
        ErrorCode::MediaEmpty
    );
}

#[test]
fn link_fetches_answer_131053() {
    let e = run(&png(), None, Some(MediaKind::Audio))
        .unwrap_err()
        .on_send();
    assert_eq!(e.code, ErrorCode::MediaUploadError);
    assert_eq!(e.code.graph().code, 131053);
    assert!(e.details.starts_with("expected an audio file"));
}

#[test]
fn human_sizes() {
    assert_eq!(human_size(0), "0 bytes");
    assert_eq!(human_size(1023), "1023 bytes");
    assert_eq!(human_size(1024), "1 KB");
    assert_eq!(human_size(1536), "1.5 KB");
    assert_eq!(human_size(16 * MB), "16 MB");
    assert_eq!(human_size(6_500_000), "6.2 MB");
}
