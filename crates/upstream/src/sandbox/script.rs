//! What a virtual user answers, by script: echo a text, answer a keyword, tap a button.

use serde_json::{Value, json};
use wagate_core::content::{Content, MessageType};
use wagate_core::sandbox::Script;

/// The business message's text, where it has one a user would read.
fn text_of(content: &Content) -> Option<String> {
    match content.kind() {
        MessageType::Text => content.body()["body"].as_str().map(str::to_owned),
        _ => content.preview(),
    }
}

/// A template's first quick-reply payload, which a tap echoes back as a `button` message.
fn template_quick_reply(content: &Content) -> Option<String> {
    let components = content.body().get("components")?.as_array()?;
    components.iter().find_map(|c| {
        let is_quick = c.get("type").and_then(Value::as_str) == Some("button")
            && c.get("sub_type").and_then(Value::as_str) == Some("quick_reply");
        if !is_quick {
            return None;
        }
        c.get("parameters")?
            .as_array()?
            .iter()
            .find_map(|p| p.get("payload").and_then(Value::as_str).map(str::to_owned))
    })
}

/// The replies `script` produces for a business message, in order.
pub fn replies(script: &Script, received: &Content) -> Vec<Content> {
    let mut out = Vec::new();
    if script.tap_buttons {
        if let Some(option) = received.reply_options().into_iter().next() {
            let (kind, key) = if option.from_list {
                ("list_reply", "list_reply")
            } else {
                ("button_reply", "button_reply")
            };
            out.push(Content::from_parts(
                MessageType::Interactive,
                json!({"type": kind, key: {"id": option.id, "title": option.title}}),
            ));
        } else if let Some(payload) = template_quick_reply(received) {
            out.push(Content::from_parts(
                MessageType::Button,
                json!({"payload": payload, "text": payload}),
            ));
        }
    }
    let Some(text) = text_of(received) else {
        return out;
    };
    let lower = text.to_lowercase();
    let keyword = script
        .keywords
        .iter()
        .find(|(k, _)| !k.is_empty() && lower.contains(&k.to_lowercase()));
    if let Some(c) = keyword.and_then(|(_, answer)| Content::text(answer, false).ok()) {
        out.push(c);
    }
    let echo = script.echo && received.kind() == MessageType::Text;
    if let Some(c) = echo.then(|| Content::text(&text, false).ok()).flatten() {
        out.push(c);
    }
    out
}
