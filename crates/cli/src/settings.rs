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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{RateLimitArgs, ServeArgs};

    #[test]
    fn rate_limit_flags_go_over_the_file_field_by_field() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("wagate.toml");
        std::fs::write(
            &file,
            "[rate_limits]\nkey_per_sec = 7\naccount_burst = 99\n",
        )
        .unwrap();
        let args = ServeArgs {
            db: DatabaseArgs {
                config: Some(file),
                ..DatabaseArgs::default()
            },
            rate_limits: RateLimitArgs {
                key_burst: Some(3),
                ..RateLimitArgs::default()
            },
            ..ServeArgs::default()
        };
        let config = load(&args.db, &args).unwrap();
        let r = config.rate_limits;
        assert_eq!((r.key_per_sec, r.key_burst, r.account_burst), (7, 3, 99));
        assert!(r.enabled);
        assert_eq!(r.account_per_sec, 20_000, "default kept");
    }
}
