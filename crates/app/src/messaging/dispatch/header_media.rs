//! Header media objects: `{"type": "<kind>", "<kind>": {"link": …}}` or `{… {"id": …}}`, the
//! shape of a template's header parameter and of an interactive header, found at any depth
//! (a carousel's cards have headers of their own). The sandbox fetches their links
//! ([`super::media`]); a cloud hand-over uploads their ids to Meta ([`super::cloud`]).

use serde_json::Value;
use wagate_core::media::MediaKind;

/// Calls `f` with the kind and media object (`{"link": …}`, `{"id": …}`) of every header
/// media object in `v`, in document order.
pub(super) fn visit(v: &Value, f: &mut impl FnMut(MediaKind, &Value)) {
    match v {
        Value::Object(map) => {
            if let Some(kind) = kind_of(v)
                && let Some(media) = map.get(kind.as_str())
            {
                f(kind, media);
            }
            map.values().for_each(|child| visit(child, f));
        }
        Value::Array(items) => items.iter().for_each(|item| visit(item, f)),
        _ => {}
    }
}

/// [`visit`], with each media object handed over to be changed.
pub(super) fn visit_mut(v: &mut Value, f: &mut impl FnMut(MediaKind, &mut Value)) {
    let kind = kind_of(v);
    match v {
        Value::Object(map) => {
            if let Some(kind) = kind
                && let Some(media) = map.get_mut(kind.as_str())
            {
                f(kind, media);
            }
            map.values_mut().for_each(|child| visit_mut(child, f));
        }
        Value::Array(items) => items.iter_mut().for_each(|item| visit_mut(item, f)),
        _ => {}
    }
}

/// The media kind an object's `type` names, if it names one.
fn kind_of(v: &Value) -> Option<MediaKind> {
    v.get("type")
        .and_then(Value::as_str)
        .and_then(MediaKind::parse)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn finds_header_media_at_any_depth_in_order() {
        let body = json!({"components": [
            {"type": "header", "parameters": [{"type": "document", "document": {"link": "a"}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "image"}]},
            {"type": "carousel", "cards": [{"components": [
                {"type": "header", "parameters": [{"type": "video", "video": {"id": "7"}}]}]}]}
        ]});
        let mut seen = Vec::new();
        visit(&body, &mut |kind, media| seen.push((kind, media.clone())));
        assert_eq!(
            seen,
            [
                (MediaKind::Document, json!({"link": "a"})),
                (MediaKind::Video, json!({"id": "7"}))
            ]
        );
    }

    #[test]
    fn changes_each_header_media_object() {
        let mut body = json!({"header": {"type": "image", "image": {"id": "1"}},
            "cards": [{"type": "image", "image": {"id": "2"}}], "type": "button"});
        visit_mut(&mut body, &mut |_, media| media["id"] = json!("meta"));
        assert_eq!(body["header"]["image"]["id"], "meta");
        assert_eq!(body["cards"][0]["image"]["id"], "meta");
        assert_eq!(body["type"], "button");
    }
}
