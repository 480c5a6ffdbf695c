//! Media links the simulated network downloads before it delivers a message (sandbox setting
//! `fetch_media_links`), as WhatsApp does: every `link` of a media message, of a template's
//! header (or a carousel card's) and of an interactive message's header is fetched through
//! the one [`MediaFetcher`] (SSRF guard, timeouts, the kind's size cap), then judged by its
//! bytes like an upload, with the kind the message needs. The media server's
//! `Content-Type` is not trusted: servers answer `application/octet-stream` or a wrong type
//! too often, and the bytes decide anyway.
//!
//! Any failure is Meta's 131053 "Media upload error", with details saying why (the link
//! answered 404, the file is a PDF where an image was expected, …). It is permanent, as on
//! Meta: a link that timed out or answered 5xx is not retried, the message fails (the API
//! user sends again once the file is reachable).
//!
//! The fetch happens inline in the dispatcher's hand-over step, bounded by
//! `[media.fetch] timeout_ms` per link, so a slow media server holds up that step for at most
//! that long per link. The bytes are not kept: the sandbox only needs to know the file
//! would reach the user.

use serde_json::Value;
use wagate_core::content::{Content, MediaRef, MessageType};
use wagate_core::failure::Failure;
use wagate_core::media::{MediaKind, SNIFF_BYTES, check, sniff};
use wagate_core::message::MessageError;

use crate::media::fetch::MediaFetcher;

/// Every media link `content` carries, with the kind each must be, in order, once each.
pub(super) fn links(content: &Content) -> Vec<(MediaKind, String)> {
    let mut out = Vec::new();
    match content.kind() {
        kind if kind.is_media() => {
            if let (Ok(kind), Some(MediaRef::Link(link))) =
                (MediaKind::try_from(kind), content.media())
            {
                out.push((kind, link));
            }
        }
        MessageType::Template | MessageType::Interactive => headers(content.body(), &mut out),
        _ => {}
    }
    out
}

/// The links of header media objects (see [`super::header_media`]), once each.
fn headers(v: &Value, out: &mut Vec<(MediaKind, String)>) {
    super::header_media::visit(v, &mut |kind, media| {
        if let Some(link) = media.get("link").and_then(Value::as_str)
            && !out.iter().any(|(k, l)| *k == kind && l == link)
        {
            out.push((kind, link.to_owned()));
        }
    });
}

/// Fetches and checks every media link of `content`; the first failure is the error the
/// message fails with.
pub(super) async fn fetch_links(
    fetcher: &MediaFetcher,
    content: &Content,
) -> Result<(), MessageError> {
    for (kind, link) in links(content) {
        fetch_one(fetcher, kind, &link).await?;
    }
    Ok(())
}

async fn fetch_one(
    fetcher: &MediaFetcher,
    kind: MediaKind,
    link: &str,
) -> Result<(), MessageError> {
    let fetched = fetcher
        .fetch(link, kind.max_bytes())
        .await
        .map_err(|e| e.failure())?;
    let bytes = &fetched.bytes;
    let prefix = &bytes[..bytes.len().min(SNIFF_BYTES)];
    check(None, sniff(prefix), bytes.len() as u64, Some(kind)).map_err(|e| {
        let e = e.on_send();
        Failure::MediaUpload
            .with_details(format!("the media link's file is refused: {}", e.details))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn links_of(send: Value) -> Vec<(MediaKind, String)> {
        links(&Content::outbound(&send).unwrap())
    }

    #[test]
    fn finds_the_links_of_media_messages_and_headers() {
        assert_eq!(
            links_of(json!({"type": "image", "image": {"link": "https://x.example/a.png"}})),
            [(MediaKind::Image, "https://x.example/a.png".to_owned())]
        );
        assert!(links_of(json!({"type": "image", "image": {"id": "123"}})).is_empty());
        assert!(links_of(json!({"type": "text", "text": {"body": "https://x/a.png"}})).is_empty());
        let template = json!({"type": "template", "template": {"name": "t", "language": {"code": "en"},
        "components": [
            {"type": "header", "parameters": [{"type": "document", "document": {"link": "https://x.example/a.pdf"}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "hi"}]},
            {"type": "carousel", "cards": [
                {"card_index": 0, "components": [{"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x.example/c.png"}}]}]},
                {"card_index": 1, "components": [{"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x.example/c.png"}}]}]}
            ]}
        ]}});
        assert_eq!(
            links_of(template),
            [
                (MediaKind::Document, "https://x.example/a.pdf".to_owned()),
                (MediaKind::Image, "https://x.example/c.png".to_owned()),
            ]
        );
        let interactive = json!({"type": "interactive", "interactive": {"type": "button",
            "header": {"type": "video", "video": {"link": "https://x.example/v.mp4"}},
            "body": {"text": "pick"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}]}}});
        assert_eq!(
            links_of(interactive),
            [(MediaKind::Video, "https://x.example/v.mp4".to_owned())]
        );
    }
}
