//! [`MessageType`]: the Cloud API `type` of a message.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// Cloud API message `type`s, outbound and inbound. `template` is only sent; `button`,
/// `order`, `system`, `unsupported` and `request_welcome` are only received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    Text,
    Image,
    Video,
    Audio,
    Document,
    Sticker,
    Location,
    Contacts,
    Interactive,
    Reaction,
    Template,
    /// A tap on a template quick-reply button.
    Button,
    /// A cart sent from a catalog.
    Order,
    /// A change of the user's number or identity.
    System,
    /// A message type Meta does not deliver through the API (polls, …).
    Unsupported,
    /// The user opened the chat for the first time.
    RequestWelcome,
}

impl MessageType {
    pub const ALL: &'static [MessageType] = &[
        Self::Text,
        Self::Image,
        Self::Video,
        Self::Audio,
        Self::Document,
        Self::Sticker,
        Self::Location,
        Self::Contacts,
        Self::Interactive,
        Self::Reaction,
        Self::Template,
        Self::Button,
        Self::Order,
        Self::System,
        Self::Unsupported,
        Self::RequestWelcome,
    ];

    /// The Cloud API spelling, which is also the key of the type's object in a message.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
            Self::Location => "location",
            Self::Contacts => "contacts",
            Self::Interactive => "interactive",
            Self::Reaction => "reaction",
            Self::Template => "template",
            Self::Button => "button",
            Self::Order => "order",
            Self::System => "system",
            Self::Unsupported => "unsupported",
            Self::RequestWelcome => "request_welcome",
        }
    }

    /// A type by its Cloud API spelling; an unknown one is an error on field `type`.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| ValidationError::new("type", format!("`{s}` is not a message type")))
    }

    /// Image, video, audio, document and sticker: the types whose content is a media file.
    pub fn is_media(self) -> bool {
        matches!(
            self,
            Self::Image | Self::Video | Self::Audio | Self::Document | Self::Sticker
        )
    }

    /// Whether a business can send this type.
    pub fn can_send(self) -> bool {
        !matches!(
            self,
            Self::Button | Self::Order | Self::System | Self::Unsupported | Self::RequestWelcome
        )
    }

    /// Whether a user can send this type to a business.
    pub fn can_receive(self) -> bool {
        self != Self::Template
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ValidationKind;

    #[test]
    fn spellings_round_trip_and_match_serde() {
        assert_eq!(MessageType::ALL.len(), 16);
        for t in MessageType::ALL {
            assert_eq!(MessageType::parse(t.as_str()).unwrap(), *t);
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert_eq!(MessageType::RequestWelcome.as_str(), "request_welcome");
    }

    #[test]
    fn unknown_types_are_invalid() {
        let e = MessageType::parse("poll").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.kind),
            ("type", ValidationKind::Invalid)
        );
        assert!(
            MessageType::parse("Text").is_err(),
            "case matters, as in Meta's API"
        );
    }

    #[test]
    fn directions_and_media() {
        use MessageType::*;
        let media: Vec<_> = MessageType::ALL.iter().filter(|t| t.is_media()).collect();
        assert_eq!(media, [&Image, &Video, &Audio, &Document, &Sticker]);
        assert!(Template.can_send() && !Template.can_receive());
        assert!(!Order.can_send() && Order.can_receive());
        assert!(Reaction.can_send() && Reaction.can_receive());
    }
}
