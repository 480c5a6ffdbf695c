//! Layering of settings: defaults < TOML file (`--config`) < `WAGATE_*` environment < flags.
//! clap has already merged the environment under the flags (each flag names its variable),
//! so here the file goes over the defaults and the command line over the file.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::Serialize;
use wagate_app::config::Config;

use crate::args::DatabaseArgs;

/// The effective settings for `overrides` (the parsed flags and environment).
pub fn load(db: &DatabaseArgs, overrides: &impl Serialize) -> anyhow::Result<Config> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    if let Some(path) = &db.config {
        anyhow::ensure!(
            path.is_file(),
            "config file {} does not exist",
            path.display()
        );
        figment = figment.merge(Toml::file_exact(path));
    }
    figment
        .merge(Serialized::defaults(overrides))
        .extract()
        .context("reading settings")
}
