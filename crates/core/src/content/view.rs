//! Reading a [`Content`]: short previews and the parts other components act on (media,
//! template, reply options, reaction, typed text). Content is valid by construction, so
//! these read the JSON without re-checking it and answer `None` where a part is absent.

use serde_json::Value;

use super::limits::PREVIEW;
use super::{Content, MediaRef, MessageType};
use crate::pricing::PricingCategory;

/// A choice a recipient could tap: a reply button, or a row of a list message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyOption {
    pub id: String,
    pub title: String,
    /// A list row (answered with `list_reply`) rather than a button (`button_reply`).
    pub from_list: bool,
}

/// The non-empty string at JSON `pointer` in `v`.
fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl Content {
    /// Short human text for lists and logs: the text, caption, interactive body, reply title,
    /// `template <name> (<lang>)`, `📍 <place>`, `👤 <name>`, the reaction emoji, … On one
    /// line and cut to [`super::limits::PREVIEW`] characters. `None` when nothing
    /// fits (a sticker, a reaction removal, `request_welcome`).
    pub fn preview(&self) -> Option<String> {
        let text = self.preview_text()?;
        let line: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Some(shorten(line.trim(), PREVIEW))
    }

    fn preview_text(&self) -> Option<String> {
        let b = &self.body;
        let first = |pointers: &[&str]| {
            pointers
                .iter()
                .find_map(|p| str_at(b, p))
                .map(str::to_owned)
        };
        match self.kind {
            MessageType::Text => first(&["/body"]),
            MessageType::Image | MessageType::Video | MessageType::Audio | MessageType::Sticker => {
                first(&["/caption"])
            }
            MessageType::Document => first(&["/caption", "/filename"]),
            MessageType::Location => Some(format!("📍 {}", self.place()?)),
            MessageType::Contacts => self.contacts_preview(),
            MessageType::Interactive => first(&[
                "/body/text",
                "/button_reply/title",
                "/list_reply/title",
                "/nfm_reply/body",
            ]),
            MessageType::Reaction => first(&["/emoji"]),
            MessageType::Template => match self.rendered().and_then(|r| r.body.clone()) {
                Some(body) => Some(body),
                None => {
                    let (name, lang) = self.template_name()?;
                    Some(format!("template {name} ({lang})"))
                }
            },
            MessageType::Button => first(&["/text"]),
            MessageType::Order => first(&["/text"]).or_else(|| self.order_preview()),
            MessageType::System => first(&["/body"]),
            MessageType::Unsupported | MessageType::RequestWelcome => None,
        }
    }

    /// A location's name, else its address, else its coordinates.
    fn place(&self) -> Option<String> {
        let b = &self.body;
        if let Some(s) = str_at(b, "/name").or_else(|| str_at(b, "/address")) {
            return Some(s.to_owned());
        }
        Some(format!("{}, {}", b.get("latitude")?, b.get("longitude")?))
    }

    fn contacts_preview(&self) -> Option<String> {
        let cards = self.body.as_array()?;
        let name = str_at(cards.first()?, "/name/formatted_name")?;
        Some(match cards.len() {
            1 => format!("👤 {name}"),
            n => format!("👤 {name} +{} more", n - 1),
        })
    }

    fn order_preview(&self) -> Option<String> {
        let items = self.body.get("product_items")?.as_array()?.len();
        Some(format!(
            "🛒 order of {items} item{}",
            if items == 1 { "" } else { "s" }
        ))
    }

    /// The media file of a media message: its id, or its link (outbound only).
    pub fn media(&self) -> Option<MediaRef> {
        if !self.kind.is_media() {
            return None;
        }
        let b = &self.body;
        str_at(b, "/id")
            .map(|id| MediaRef::Id(id.to_owned()))
            .or_else(|| str_at(b, "/link").map(|l| MediaRef::Link(l.to_owned())))
    }

    /// A template message's name and language code.
    pub fn template_name(&self) -> Option<(&str, &str)> {
        if self.kind != MessageType::Template {
            return None;
        }
        Some((
            str_at(&self.body, "/name")?,
            str_at(&self.body, "/language/code")?,
        ))
    }

    /// A template message's category, once checked against its template (pricing and the
    /// marketing opt-out depend on it).
    pub fn template_category(&self) -> Option<PricingCategory> {
        let category = self.rendered()?.category;
        PricingCategory::parse_template_category(category.as_str()).ok()
    }

    /// The reply buttons a recipient could tap: the buttons of an interactive `button`
    /// message, or the rows of a `list`. Empty for anything else.
    pub fn reply_options(&self) -> Vec<ReplyOption> {
        if self.kind != MessageType::Interactive {
            return Vec::new();
        }
        let action = &self.body["action"];
        match self.body["type"].as_str() {
            Some("button") => options(items(&action["buttons"]).map(|b| &b["reply"]), false),
            Some("list") => {
                let rows = items(&action["sections"]).flat_map(|s| items(&s["rows"]));
                options(rows, true)
            }
            _ => Vec::new(),
        }
    }

    /// A reaction's target message id and emoji (`""` when the reaction is removed).
    pub fn reaction(&self) -> Option<(&str, &str)> {
        if self.kind != MessageType::Reaction {
            return None;
        }
        let emoji = self.body.get("emoji").and_then(Value::as_str).unwrap_or("");
        Some((str_at(&self.body, "/message_id")?, emoji))
    }

    /// The text a user typed, for keyword scripts: a text body, or the label of a tapped
    /// template button.
    pub fn user_text(&self) -> Option<&str> {
        match self.kind {
            MessageType::Text => str_at(&self.body, "/body"),
            MessageType::Button => str_at(&self.body, "/text"),
            _ => None,
        }
    }
}

/// The items of a JSON array (none if `v` is not one).
fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

/// `{id, title}` objects as reply options.
fn options<'a>(objects: impl Iterator<Item = &'a Value>, from_list: bool) -> Vec<ReplyOption> {
    objects
        .filter_map(|o| {
            Some(ReplyOption {
                id: str_at(o, "/id")?.to_owned(),
                title: str_at(o, "/title")?.to_owned(),
                from_list,
            })
        })
        .collect()
}

/// `s` cut to `max` characters, ending in `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut cut: String = s.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn previews_are_one_short_line() {
        let c = Content::text("Hello\nthere", false).unwrap();
        assert_eq!(c.preview().as_deref(), Some("Hello there"));
        let long = Content::text(&"ab".repeat(100), false).unwrap();
        let p = long.preview().unwrap();
        assert_eq!(p.chars().count(), PREVIEW);
        assert!(p.ends_with('…') && p.starts_with("abab"));
    }

    #[test]
    fn previews_by_type() {
        let out = |v: Value| Content::outbound(&v).unwrap().preview();
        assert_eq!(
            out(json!({"type": "image", "image": {"id": "1"}})),
            None,
            "no caption"
        );
        assert_eq!(
            out(json!({"type": "sticker", "sticker": {"id": "1"}})),
            None
        );
        assert_eq!(
            out(json!({"type": "document", "document": {"id": "1", "caption": "Q3", "filename": "q3.pdf"}})).as_deref(),
            Some("Q3"),
            "caption before file name"
        );
        assert_eq!(
            out(json!({"type": "location", "location": {"latitude": 1, "longitude": 2, "address": "Main"}})).as_deref(),
            Some("📍 Main")
        );
        assert_eq!(
            Content::from_parts(MessageType::RequestWelcome, json!({})).preview(),
            None
        );
    }

    #[test]
    fn accessors_answer_none_for_other_types() {
        let text = Content::text("hi", false).unwrap();
        assert_eq!(text.media(), None);
        assert_eq!(text.template_name(), None);
        assert_eq!(text.reaction(), None);
        assert!(text.reply_options().is_empty());
        let image =
            Content::outbound(&json!({"type": "image", "image": {"link": "https://x/y.png"}}))
                .unwrap();
        assert_eq!(image.user_text(), None);
        assert_eq!(
            image.media(),
            Some(MediaRef::Link("https://x/y.png".into()))
        );
        let product = Content::outbound(
            &json!({"type": "interactive", "interactive": {"type": "product",
            "action": {"catalog_id": "c", "product_retailer_id": "p"}}}),
        )
        .unwrap();
        assert!(product.reply_options().is_empty());
    }
}
