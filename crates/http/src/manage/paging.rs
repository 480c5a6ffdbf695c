//! Keyset paging on the management plane: `?limit=&after=<id>`, answered with
//! `{"data":[…],"next_after":<id or null>}`.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wagate_core::error::ErrorCode;
use wagate_store::Page;

use crate::error::ApiError;

pub const MAX_LIMIT: u32 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many items to return, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Return items after this id (the previous page's `next_after`).
    #[param(format = Uuid)]
    pub after: Option<String>,
}

impl ListQuery {
    /// The store page, asking for one extra row to learn whether another page follows.
    pub fn page<I: FromStr>(&self) -> Result<(Page<I>, usize), ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::new(
                ErrorCode::InvalidQuery,
                format!("must be between 1 and {MAX_LIMIT}"),
            )
            .field("limit"));
        }
        let after = match &self.after {
            None => None,
            Some(s) => Some(s.parse::<I>().map_err(|_| {
                ApiError::new(ErrorCode::InvalidQuery, "is not an id from a previous page")
                    .field("after")
            })?),
        };
        Ok((Page::after(after, limit + 1), limit as usize))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    pub data: Vec<T>,
    /// Pass as `after` to get the next page; `null` on the last page.
    pub next_after: Option<String>,
}

impl<T: ToSchema> List<T> {
    /// Cuts the extra row fetched by [`ListQuery::page`] and sets `next_after`.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: usize,
        id: impl Fn(&R) -> String,
        view: impl Fn(R) -> T,
    ) -> Self {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_after = if more { rows.last().map(&id) } else { None };
        Self {
            data: rows.into_iter().map(view).collect(),
            next_after,
        }
    }
}
