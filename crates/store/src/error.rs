//! Store errors. A backend maps its driver's errors here; callers map these to API codes
//! with [`StoreError::code`].

use wagate_core::error::ErrorCode;

/// Which kind of row was missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Account,
    Channel,
    ApiKey,
    Message,
    Subscription,
    Delivery,
    Template,
    Media,
    QrCode,
    Flow,
    ContactCard,
    Tag,
    ContactImport,
    Campaign,
    Catalog,
    Product,
    Group,
}

/// Which uniqueness rule a write broke. Each kind is its own answer to the API user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Another channel uses this phone number id (`phone_number_id_taken`).
    PhoneNumberId,
    /// A message with this WhatsApp id (wamid) is stored already: an inbound message
    /// delivered twice (`invalid_request` on the message's `id`).
    MessageId,
    /// A freshly generated id (media, QR code, upload session) met a stored one; callers
    /// that can draw again do, the rest answer `internal_error`.
    GeneratedId,
    /// A data key of the secrets at rest is not stored (`internal_error`).
    DataKey,
    /// The account has a contact with this number (`contact_exists`).
    ContactNumber,
    /// The account has a tag of this name (`tag_exists`).
    TagName,
    /// Another process holds the import's lease (`import_in_progress`).
    ImportLeased,
    /// A wallet with money or holds cannot change kind (`wallet_in_use`).
    WalletInUse,
    /// The account has a campaign of this name (`campaign_exists`).
    CampaignName,
    /// The campaign cannot take this action in its status (`campaign_state`).
    CampaignState,
    /// The WABA has a flow of this name (`flow_name_taken`).
    FlowName,
    /// The catalog has a product with this retailer id (`product_retailer_id_taken`).
    RetailerId,
    /// The WABA has a catalog linked, or the catalog another WABA (`catalog_linked`).
    CatalogLinked,
}

impl Conflict {
    pub fn code(self) -> ErrorCode {
        match self {
            Conflict::PhoneNumberId => ErrorCode::PhoneNumberIdTaken,
            Conflict::MessageId => ErrorCode::InvalidRequest,
            Conflict::GeneratedId | Conflict::DataKey => ErrorCode::Internal,
            Conflict::ContactNumber => ErrorCode::ContactExists,
            Conflict::TagName => ErrorCode::TagExists,
            Conflict::ImportLeased => ErrorCode::ImportInProgress,
            Conflict::WalletInUse => ErrorCode::WalletInUse,
            Conflict::CampaignName => ErrorCode::CampaignExists,
            Conflict::CampaignState => ErrorCode::CampaignState,
            Conflict::FlowName => ErrorCode::FlowNameTaken,
            Conflict::RetailerId => ErrorCode::ProductRetailerIdTaken,
            Conflict::CatalogLinked => ErrorCode::CatalogLinked,
        }
    }

    /// The request field at fault, where there is one.
    pub fn field(self) -> Option<&'static str> {
        match self {
            Conflict::PhoneNumberId => Some("phone_number_id"),
            Conflict::MessageId => Some("id"),
            Conflict::GeneratedId | Conflict::DataKey => None,
            Conflict::ContactNumber => Some("wa_id"),
            Conflict::TagName => Some("name"),
            Conflict::ImportLeased => None,
            Conflict::WalletInUse => Some("kind"),
            Conflict::CampaignName => Some("name"),
            Conflict::CampaignState => None,
            Conflict::FlowName => Some("name"),
            Conflict::RetailerId => Some("retailer_id"),
            Conflict::CatalogLinked => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist, or belongs to another account (the two are never told apart).
    #[error("{0:?} not found")]
    NotFound(Entity),
    /// A uniqueness rule was broken: which one, and a text naming the value for the API user.
    #[error("conflict: {message}")]
    Conflict { kind: Conflict, message: String },
    /// A stored row could not be read back into domain types (corruption or a bad migration).
    #[error("stored {what} is invalid: {detail}")]
    Corrupt { what: &'static str, detail: String },
    /// The account's wallet refused a send (nothing of it is stored).
    #[error("{}", .0.message())]
    Wallet(wagate_core::billing::wallet::WalletRefusal),
    /// A group rule refused the write (nothing of it is stored).
    #[error("group: {0:?}")]
    Group(wagate_core::group::GroupRefusal),
    /// The store is closed (shutting down).
    #[error("the store is closed")]
    Closed,
    /// The database failed.
    #[error("database error")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn database(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Database(Box::new(e))
    }

    pub fn database_boxed(e: Box<dyn std::error::Error + Send + Sync>) -> Self {
        StoreError::Database(e)
    }

    pub fn conflict(kind: Conflict, message: impl Into<String>) -> Self {
        StoreError::Conflict {
            kind,
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::NotFound(Entity::Account) => ErrorCode::AccountNotFound,
            StoreError::NotFound(Entity::Channel) => ErrorCode::ChannelNotFound,
            StoreError::NotFound(Entity::ApiKey) => ErrorCode::ApiKeyNotFound,
            StoreError::NotFound(Entity::Message) => ErrorCode::MessageNotFound,
            StoreError::NotFound(Entity::Subscription) => ErrorCode::SubscriptionNotFound,
            StoreError::NotFound(Entity::Delivery) => ErrorCode::DeliveryNotFound,
            StoreError::NotFound(Entity::Template) => ErrorCode::TemplateNotFound,
            StoreError::NotFound(Entity::Media) => ErrorCode::MediaNotFound,
            StoreError::NotFound(Entity::QrCode) => ErrorCode::QrCodeNotFound,
            StoreError::NotFound(Entity::Flow) => ErrorCode::FlowNotFound,
            StoreError::NotFound(Entity::ContactCard) => ErrorCode::ContactNotFound,
            StoreError::NotFound(Entity::Tag) => ErrorCode::TagNotFound,
            StoreError::NotFound(Entity::ContactImport) => ErrorCode::ImportNotFound,
            StoreError::NotFound(Entity::Campaign) => ErrorCode::CampaignNotFound,
            StoreError::NotFound(Entity::Catalog) => ErrorCode::CatalogNotFound,
            StoreError::NotFound(Entity::Product) => ErrorCode::ProductNotFound,
            StoreError::Conflict { kind, .. } => kind.code(),
            StoreError::Wallet(why) => match why {
                wagate_core::billing::wallet::WalletRefusal::InsufficientBalance => {
                    ErrorCode::InsufficientBalance
                }
                wagate_core::billing::wallet::WalletRefusal::QuotaExpired => {
                    ErrorCode::QuotaExpired
                }
                wagate_core::billing::wallet::WalletRefusal::DailyLimitReached => {
                    ErrorCode::DailyLimitReached
                }
            },
            StoreError::NotFound(Entity::Group) => ErrorCode::GroupNotFound,
            StoreError::Group(why) => why.code(),
            StoreError::Closed => ErrorCode::NotReady,
            StoreError::Corrupt { .. } | StoreError::Database(_) => ErrorCode::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_conflict_is_answered_as_its_own_kind() {
        let code = |kind| StoreError::conflict(kind, "x").code();
        assert_eq!(code(Conflict::PhoneNumberId), ErrorCode::PhoneNumberIdTaken);
        assert_eq!(code(Conflict::MessageId), ErrorCode::InvalidRequest);
        assert_eq!(code(Conflict::GeneratedId), ErrorCode::Internal);
        assert_eq!(code(Conflict::DataKey), ErrorCode::Internal);
        assert_eq!(Conflict::PhoneNumberId.field(), Some("phone_number_id"));
        assert_eq!(Conflict::MessageId.field(), Some("id"));
        assert_eq!(Conflict::GeneratedId.field(), None);
    }
}
