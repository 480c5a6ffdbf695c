//! wagate's services: the rules that sit between a surface (HTTP plane, CLI) and the store.
//!
//! A surface parses its input into core types, calls one service function with the caller's
//! [`Principal`], and renders the result. Services check what the principal may do, apply
//! policy, and call the [`Store`]. No surface talks to the store directly, so a rule written
//! here holds on every surface.
//!
//! # Layout
//! - [`config`]: the one typed, documented settings struct.
//! - [`database`]: which store backend a `--database` value selects, and opening it.
//! - [`principal`]: who is calling (an API key, or the operator at the CLI) and what it may touch.
//! - [`channels`], [`api_keys`], [`accounts`], [`messages`]: the services.
//! - [`bootstrap`]: first start (account, sandbox channel, admin key, `credentials.env`).
//! - [`error`]: the services' error enum and its error code.

#![forbid(unsafe_code)]

pub mod accounts;
pub mod api_keys;
pub mod bootstrap;
pub mod channels;
pub mod config;
pub mod database;
pub mod error;
pub mod messages;
pub mod principal;

use std::sync::Arc;

use wagate_store::Store;

pub use error::Error;
pub use principal::Principal;

/// Shared handle to the services. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
}

impl App {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
