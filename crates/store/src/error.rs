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
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist, or belongs to another account (the two are never told apart).
    #[error("{0:?} not found")]
    NotFound(Entity),
    /// A uniqueness rule was broken; the text names the value for the API user.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored row could not be read back into domain types (corruption or a bad migration).
    #[error("stored {what} is invalid: {detail}")]
    Corrupt { what: &'static str, detail: String },
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
            StoreError::Conflict(_) => ErrorCode::PhoneNumberIdTaken,
            StoreError::Closed => ErrorCode::NotReady,
            StoreError::Corrupt { .. } | StoreError::Database(_) => ErrorCode::Internal,
        }
    }
}
