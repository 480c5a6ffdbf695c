//! Keyset paging: "the next `limit` rows with an id after `after`". Ids are UUIDv7, so pages
//! come in creation order and stay stable while rows are added.

/// A page request over ids of type `I`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<I> {
    pub after: Option<I>,
    pub limit: u32,
}

impl<I> Page<I> {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 200;

    /// The first page, `limit` clamped to `1..=MAX_LIMIT`.
    pub fn first(limit: u32) -> Self {
        Self {
            after: None,
            limit: limit.clamp(1, Self::MAX_LIMIT),
        }
    }

    pub fn after(after: Option<I>, limit: u32) -> Self {
        Self {
            after,
            limit: limit.clamp(1, Self::MAX_LIMIT),
        }
    }

    /// Everything (used by the admin CLI on small tables).
    pub fn all() -> Self {
        Self {
            after: None,
            limit: u32::MAX,
        }
    }

    /// SQL `LIMIT` value.
    pub fn sql_limit(&self) -> i64 {
        i64::from(self.limit)
    }
}

impl<I> Default for Page<I> {
    fn default() -> Self {
        Self::first(Self::DEFAULT_LIMIT)
    }
}
