//! The toolkit every plane, and every future provider dialect (`dialects/<name>/`), uses to
//! read a request, so each rule about reading one is written once and every surface agrees:
//!
//! - [`params`]: an endpoint's parameters from the query string, a form or a JSON body,
//!   merged into one [`params::Params`] (the body winning, the credential dropped), with
//!   each endpoint's choices spelled out in [`params::Rules`];
//! - [`fields`]: Graph's `fields=` selection (`a,b{c,d},e.limit(5)`) parsed into a typed
//!   [`fields::FieldSelection`], and Graph's error for a field a node does not have;
//! - [`upload`]: a multipart file upload, staged as it streams, with its declared type.
//!
//! Nothing here knows an endpoint: what a parameter or a field means is its handler's. Errors
//! are [`crate::error::ApiError`]s (or `ValidationError`s naming the parameter), so each plane
//! renders them in its own format ([`crate::render`]).

pub mod fields;
pub mod params;
pub mod upload;
