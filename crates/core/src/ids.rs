//! Typed ids. Our own entities get a UUIDv7 (time-ordered, so keyset paging and outbox order
//! follow creation time) wrapped in one type per entity; Meta's objects keep their decimal
//! string ids (`PhoneNumberId`, `WabaId`, `TemplateId`) because that is what Cloud API clients
//! send.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ValidationError;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A customer of the gateway.
    AccountId
);
uuid_id!(
    /// One WhatsApp business number bound to an upstream.
    ChannelId
);
uuid_id!(
    /// One API key (the id, never the secret).
    ApiKeyId
);
uuid_id!(
    /// One message, inbound or outbound (its Meta-style id is a `Wamid`).
    MessageId
);
uuid_id!(
    /// One WhatsApp user as seen by one channel.
    ContactId
);
uuid_id!(
    /// One contact card: the business's record of a person, across its channels.
    ContactCardId
);
uuid_id!(
    /// One tag of an account's contact book.
    TagId
);
uuid_id!(
    /// One import of a CSV or XLSX file into an account's contact book.
    ContactImportId
);
uuid_id!(
    /// One campaign: a template sent to an audience.
    CampaignId
);
uuid_id!(
    /// One entry of an account's wallet ledger.
    LedgerEntryId
);
uuid_id!(
    /// One webhook subscription.
    SubscriptionId
);
uuid_id!(
    /// One event for webhook subscribers (a status change, an inbound message…); stable, so
    /// receivers can de-duplicate.
    EventId
);
uuid_id!(
    /// One event on its way to one subscription.
    DeliveryId
);
uuid_id!(
    /// One entry of the audit log of management actions.
    AuditEntryId
);

macro_rules! graph_id {
    ($(#[$meta:meta])* $name:ident, $field:literal) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String, example = "106540352242922")]
        pub struct $name(String);

        impl $name {
            /// Parses a Graph object id: 1 to 20 ASCII digits.
            pub fn parse(s: &str) -> Result<Self, ValidationError> {
                let s = s.trim();
                if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ValidationError::new($field, "must be 1 to 20 digits"));
                }
                Ok(Self(s.to_owned()))
            }

            /// A random 15-digit id in the style of Meta's, for sandbox objects.
            pub fn generate() -> Self {
                let n: u64 = rand::rng().random_range(100_000_000_000_000..1_000_000_000_000_000);
                Self(n.to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

graph_id!(
    /// Meta's id of a business phone number (`phone_number_id`).
    PhoneNumberId,
    "phone_number_id"
);
graph_id!(
    /// Meta's id of a WhatsApp Business Account.
    WabaId,
    "waba_id"
);
graph_id!(
    /// Meta's id of one message template in one language (`hsm_id` when deleting).
    TemplateId,
    "template_id"
);
graph_id!(
    /// Meta's id of an uploaded or received media file.
    MediaId,
    "media_id"
);
graph_id!(
    /// Meta's id of a product catalog.
    CatalogId,
    "catalog_id"
);
graph_id!(
    /// Meta's id of a product of a catalog.
    ProductId,
    "product_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_ids_are_digits() {
        assert!(PhoneNumberId::parse("106540352242922").is_ok());
        assert_eq!(PhoneNumberId::parse(" 123 ").unwrap().as_str(), "123");
        for bad in ["", "12a", "-1", "123456789012345678901", "１２３"] {
            assert!(PhoneNumberId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn template_ids_are_graph_ids() {
        let id = TemplateId::parse("594425479261596").unwrap();
        assert_eq!(id.to_string(), "594425479261596");
        assert_eq!(serde_json::to_value(&id).unwrap(), "594425479261596");
        let back: TemplateId =
            serde_json::from_value(serde_json::json!("1387372356726668")).unwrap();
        assert_eq!(back.as_str(), "1387372356726668");
        let err = TemplateId::parse("abc").unwrap_err();
        assert_eq!(err.field, "template_id");
        assert!(serde_json::from_value::<TemplateId>(serde_json::json!("12x")).is_err());
    }

    #[test]
    fn generated_graph_ids_parse() {
        for _ in 0..100 {
            let id = WabaId::generate();
            assert_eq!(id.as_str().len(), 15);
            assert_eq!(WabaId::parse(id.as_str()).unwrap(), id);
        }
    }

    #[test]
    fn uuid_ids_round_trip_and_order_by_time() {
        let a = ChannelId::generate();
        let b = ChannelId::generate();
        assert!(a < b);
        assert_eq!(a.to_string().parse::<ChannelId>().unwrap(), a);
        assert!("not-a-uuid".parse::<ChannelId>().is_err());
    }
}
