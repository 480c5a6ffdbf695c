//! The command line. Every `serve` flag also reads a `WAGATE_*` environment variable, and
//! every setting can come from a TOML file (`--config`); flags win over the environment,
//! which wins over the file, which wins over the defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use wagate_app::config::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "wagate",
    version,
    about = "Self-hosted WhatsApp Business Platform gateway"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (HTTP planes, workers). First start on an empty database creates an
    /// account, a sandbox channel and an admin API key, written to <data-dir>/credentials.env.
    Serve(ServeArgs),
    /// Manage accounts (works on the database directly; no server needed).
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage channels (WhatsApp business numbers).
    #[command(subcommand)]
    Channel(Box<ChannelCommand>),
    /// Manage API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Measure wagate on this machine: starts it on a temporary database and loads it over
    /// real HTTP on loopback (sends, an authenticated no-op, delivery through the simulated
    /// network), then prints requests/s and latency percentiles.
    Bench(BenchArgs),
    /// Copy a SQLite database, running or not, into one file (mode 0600) with the media key
    /// and local media bytes it refers to. PostgreSQL: use pg_dump (see the README).
    Backup(BackupArgs),
    /// Put a backup in place of a stopped instance's SQLite database (checks its integrity
    /// and migrations first; refuses while a wagate process has the database open).
    Restore(RestoreArgs),
    /// The fault suite: kills, stops and webhook receiver faults against a `wagate serve`
    /// child process, reporting lost messages, duplicates, order and recovery time.
    Chaos(ChaosArgs),
    /// Secrets at rest (works on the database directly, safe beside running servers).
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// The contact book (works on the database directly, safe beside running servers).
    #[command(subcommand)]
    Contacts(ContactsCommand),
    /// An account's wallet: balance, top-ups, adjustments, settings (on the database).
    #[command(subcommand)]
    Wallet(WalletCommand),
    /// Rate cards: the operator's default, or an account's own (on the database).
    #[command(subcommand)]
    Rates(RatesCommand),
    /// Campaigns on a running server, over its management API (--url and --key, or the
    /// credentials.env in --data-dir).
    Campaign(CampaignArgs),
}

#[derive(Debug, Args)]
pub struct CampaignArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(subcommand)]
    pub command: CampaignCommand,
}

/// Which running server a client command talks to.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The server's base URL [default: WAGATE_BASE_URL in <data-dir>/credentials.env].
    #[arg(long, env = "WAGATE_URL", global = true, help_heading = "Server")]
    pub url: Option<String>,
    /// An API key [default: WAGATE_API_KEY in <data-dir>/credentials.env].
    #[arg(
        long,
        env = "WAGATE_API_KEY",
        hide_env_values = true,
        global = true,
        help_heading = "Server"
    )]
    pub key: Option<String>,
    /// The server's data directory, for its credentials.env [default: ./wagate-data].
    #[arg(long, env = "WAGATE_DATA_DIR", global = true, help_heading = "Server")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create a draft campaign and, with --file or --numbers, set its audience.
    Create(CreateCampaignArgs),
    /// Launch a draft now, or at a time with --at.
    Launch {
        /// Campaign id.
        id: String,
        /// When: an RFC 3339 time, or a local time like 2026-12-24T09:00 with --timezone.
        #[arg(long)]
        at: Option<String>,
        /// An IANA zone for a local --at, e.g. Asia/Kolkata.
        #[arg(long)]
        timezone: Option<String>,
        /// Show its progress live until it completes (exit 0), or fails or pauses (exit 1).
        #[arg(long)]
        follow: bool,
    },
    /// A campaign's status, counts and estimate.
    Status {
        /// Campaign id.
        id: String,
        /// Show its progress live until it completes (exit 0), or fails or pauses (exit 1).
        #[arg(long)]
        follow: bool,
    },
    /// Pause a scheduled or running campaign.
    Pause {
        /// Campaign id.
        id: String,
    },
    /// Resume a paused campaign.
    Resume {
        /// Campaign id.
        id: String,
    },
    /// Cancel a campaign: recipients without a message never get one.
    Cancel {
        /// Campaign id.
        id: String,
    },
}

#[derive(Debug, Clone, Args)]
pub struct CreateCampaignArgs {
    /// Unique in the account, ignoring case.
    #[arg(long)]
    pub name: String,
    /// `broadcast` (the audience is fixed at launch) or `api` (one recipient per call).
    #[arg(long, default_value = "broadcast", value_parser = ["broadcast", "api"])]
    pub kind: String,
    /// Channel id [default: the account's first channel].
    #[arg(long)]
    pub channel: Option<String>,
    /// An approved template of the channel's WABA.
    #[arg(long)]
    pub template: String,
    /// The template's language code.
    #[arg(long, default_value = "en_US")]
    pub language: String,
    /// A body parameter, repeated in order: column:NAME[=FALLBACK] (an audience file's
    /// column), attribute:NAME[=FALLBACK] (the contact's) or fixed:VALUE.
    #[arg(long = "param", value_name = "SPEC", value_parser = crate::campaign::parse_param)]
    pub params: Vec<wagate_core::campaign::Param>,
    /// Messages per second at most, 1 to 1000 [default: the channel's throughput].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rate: Option<u32>,
    /// Launch even when the wallet does not cover the estimate (it pauses when the wallet
    /// refuses a send).
    #[arg(long)]
    pub allow_partial: bool,
    /// The audience: a CSV or XLSX whose first row names the columns (a number column like
    /// `Mobile`, optionally `Country`, and the columns the parameters read).
    #[arg(long, conflicts_with = "numbers")]
    pub file: Option<PathBuf>,
    /// The audience: numbers in international format, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub numbers: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// The wallet, as JSON.
    Show {
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Add to the wallet: micros of its currency, or messages for a quota.
    TopUp {
        amount: i64,
        /// Your reference (an invoice, a payment id).
        #[arg(long)]
        reference: Option<String>,
        /// A quota's backup pool instead of the main one.
        #[arg(long)]
        backup: bool,
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Correct the balance either way (a negative amount takes), with a reason.
    Adjust {
        #[arg(allow_hyphen_values = true)]
        amount: i64,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Change settings: the same JSON as `PATCH /api/v1/wallet`, e.g. '{"mode":"prepaid","markup_bps":1500}'.
    Set {
        json: String,
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum RatesCommand {
    /// The card in effect (an account's, with --account), as JSON.
    Show {
        #[arg(long)]
        account: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Replace the operator's default card, or an account's with --account, from a JSON
    /// file shaped like `crates/core/data/rate-card.json`.
    Set {
        file: PathBuf,
        #[arg(long)]
        account: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Remove the operator's default card (the shipped one applies) or an account's own.
    Reset {
        #[arg(long)]
        account: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Import contacts from a CSV or XLSX file, with a progress bar. Rows are upserted by
    /// number; refused rows are listed with their row, column and reason. Killed half-way,
    /// every row is written or not at all: run it again with --resume <id> to go on.
    Import(ImportArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The CSV or XLSX file (the first row names the columns).
    pub file: PathBuf,
    /// `csv` or `xlsx` [default: from the file's bytes].
    #[arg(long)]
    pub format: Option<String>,
    /// Column roles as JSON, e.g. '{"Mobile":"phone","City":"attribute:city"}' (headers not
    /// named are guessed: phone, name, tags, opted_in, blocked, anything else an attribute).
    #[arg(long)]
    pub mapping: Option<String>,
    /// Calling code for numbers written without one, e.g. 91.
    #[arg(long)]
    pub default_country_code: Option<String>,
    /// Go on with an import that stopped (the id it printed), on the same file.
    #[arg(long)]
    pub resume: Option<String>,
    /// With --resume: take the import over even though its last runner's lease has not
    /// lapsed (when you know that process is gone).
    #[arg(long, requires = "resume")]
    pub take_over: bool,
    /// Write every refused row (row, column, reason) to this CSV file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub account: AccountArg,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["quick", "full"])))]
pub struct ChaosArgs {
    /// A few minutes: 2,000 sends and one kill -9, a 20,000-recipient campaign and one kill -9
    /// (on PostgreSQL too with --database).
    #[arg(long)]
    pub quick: bool,
    /// Every scenario: 3 kills during 20,000 sends, receiver outage, timeouts, slow receiver,
    /// SIGTERM; a 100,000-recipient campaign with a kill during its audience load and 3 while
    /// it runs (with --database: two nodes on PostgreSQL, one of them killed).
    #[arg(long)]
    pub full: bool,
    /// A postgres:// URL to run the kill scenario on PostgreSQL too (a fresh schema in it,
    /// dropped afterwards). SQLite always runs on a temporary file.
    #[arg(
        long,
        env = "WAGATE_CHAOS_DATABASE",
        default_value = "",
        hide_env_values = true
    )]
    pub database: String,
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The backup file to write.
    pub dest: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// A file `wagate backup` wrote.
    pub backup: PathBuf,
    /// Replace an existing database.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Replace the master key: the data keys in the database are re-wrapped under a new one
    /// (sealed values are untouched, running servers keep working), and the new key is
    /// written to the key file, or printed when it came from WAGATE_SECRETS_KEY.
    Rotate {
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Concurrent HTTP connections.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Seconds of load per phase.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Virtual users messages go to (each first messages the business, opening its window).
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Database to measure: empty for a temporary SQLite file, or a postgres:// URL
    /// (its tables are created if missing; use a scratch database).
    #[arg(long, default_value = "")]
    pub database: String,
    /// Events per POST for the webhook phase's subscriber (1 is Meta's way, the default).
    #[arg(long, default_value_t = 1)]
    pub webhook_batch: u32,
    /// Measure the contact book instead: import this many generated CSV rows over the API,
    /// then list with a tag filter and export (e.g. 1000000).
    #[arg(long)]
    pub contacts: Option<u64>,
    /// Measure analytics instead: store this many messages of a year's traffic, then time
    /// the analytics queries (e.g. 10000000).
    #[arg(long, conflicts_with = "contacts")]
    pub analytics: Option<u64>,
    /// Measure charging instead: template sends with charging off and on, alternately, in
    /// `--rounds` rounds of `--seconds` each.
    #[arg(long, conflicts_with_all = ["contacts", "analytics"])]
    pub charging: bool,
    /// Rounds of `--charging` (each measures off, then on).
    #[arg(long, default_value_t = 2)]
    pub rounds: u32,
    /// Measure campaigns instead: a broadcast to this many recipients from a CSV, to
    /// delivered, then pacing at 80 and 1,000 messages per second (e.g. 1000000).
    #[arg(long, conflicts_with_all = ["contacts", "analytics", "charging"])]
    pub campaign: Option<u64>,
    /// Measure the console instead: store this many messages in a tenth as many
    /// conversations, then time each page (e.g. 1000000).
    #[arg(long, conflicts_with_all = ["contacts", "analytics", "charging", "campaign"])]
    pub console: Option<u64>,
    /// The window each pacing rate of `--campaign` is measured over.
    #[arg(long, default_value_t = 60)]
    pub pacing_seconds: u64,
}

/// Where the database is: the same settings `serve` uses.
#[derive(Debug, Clone, Args, Serialize, Default)]
pub struct DatabaseArgs {
    /// TOML settings file (any `serve` setting; see wagate.example.toml).
    #[arg(long, env = "WAGATE_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database and credentials.env [default: ./wagate-data].
    #[arg(long, env = "WAGATE_DATA_DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Database: sqlite://<path> or postgres://user:pass@host/db [default: SQLite at <data-dir>/wagate.db].
    #[arg(long, env = "WAGATE_DATABASE", hide_env_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

#[derive(Debug, Clone, Args, Serialize, Default)]
pub struct ServeArgs {
    #[command(flatten)]
    #[serde(flatten)]
    pub db: DatabaseArgs,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "WAGATE_LISTEN")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Base URL clients use to reach this server, written to credentials.env [default: http://<listen>].
    #[arg(long, env = "WAGATE_PUBLIC_URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// Largest PostgreSQL connection pool [default: 16].
    #[arg(long, env = "WAGATE_DATABASE_MAX_CONNECTIONS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_max_connections: Option<u32>,
    /// Log filter in RUST_LOG syntax, e.g. `info` or `wagate_http=debug,info` [default: info].
    #[arg(long, env = "WAGATE_LOG")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// Log format: `pretty` or `json` [default: pretty].
    #[arg(long, env = "WAGATE_LOG_FORMAT", value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormatArg>,
    /// Largest JSON request body, in bytes [default: 1048576].
    #[arg(long, env = "WAGATE_MAX_BODY_BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<usize>,
    /// Seconds a request may run before the answer is 503 [default: 30].
    #[arg(long, env = "WAGATE_REQUEST_TIMEOUT_SECS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout_secs: Option<u64>,
    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM [default: 20].
    #[arg(long, env = "WAGATE_SHUTDOWN_GRACE_SECS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_grace_secs: Option<u64>,
    /// Let webhook URLs, media links and cloud upstreams reach loopback, private and
    /// link-local addresses ([outbound] allow_private_networks) [default: off].
    #[arg(
        long,
        env = "WAGATE_ALLOW_PRIVATE_NETWORKS",
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        default_value_t = false,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    #[serde(skip)]
    pub allow_private_networks: bool,
    #[command(flatten)]
    pub rate_limits: RateLimitArgs,
}

/// `[rate_limits]` from flags and the environment.
#[derive(Debug, Clone, Args, Serialize, Default)]
pub struct RateLimitArgs {
    /// Enforce the per-key and per-account rate limits [default: true].
    #[arg(long = "rate-limits", env = "WAGATE_RATE_LIMITS", value_name = "BOOL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Requests per second one API key may make [default: 10000].
    #[arg(long = "rate-limit-key-per-sec", env = "WAGATE_RATE_LIMIT_KEY_PER_SEC")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_per_sec: Option<u32>,
    /// Burst one API key may make [default: 20000].
    #[arg(long = "rate-limit-key-burst", env = "WAGATE_RATE_LIMIT_KEY_BURST")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_burst: Option<u32>,
    /// Requests per second an account's keys together may make [default: 20000].
    #[arg(
        long = "rate-limit-account-per-sec",
        env = "WAGATE_RATE_LIMIT_ACCOUNT_PER_SEC"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_per_sec: Option<u32>,
    /// Burst an account's keys together may make [default: 40000].
    #[arg(
        long = "rate-limit-account-burst",
        env = "WAGATE_RATE_LIMIT_ACCOUNT_BURST"
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_burst: Option<u32>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormatArg {
    Pretty,
    Json,
}

impl From<LogFormatArg> for LogFormat {
    fn from(f: LogFormatArg) -> Self {
        match f {
            LogFormatArg::Pretty => LogFormat::Pretty,
            LogFormatArg::Json => LogFormat::Json,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account.
    Create {
        /// Display name (1–100 characters).
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

/// Which account a command acts on.
#[derive(Debug, Clone, Args)]
pub struct AccountArg {
    /// Account id; may be left out when the database holds one account.
    #[arg(long, env = "WAGATE_ACCOUNT_ID")]
    pub account: Option<String>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct ChannelFields {
    /// Business name WhatsApp users see.
    #[arg(long)]
    pub verified_name: Option<String>,
    /// Number in international format, e.g. +15550100001.
    #[arg(long)]
    pub display_phone_number: Option<String>,
    /// `sandbox` or `cloud`.
    #[arg(long)]
    pub upstream: Option<String>,
    /// cloud: Graph base URL.
    #[arg(long)]
    pub base_url: Option<String>,
    /// cloud: Graph API version, e.g. v23.0.
    #[arg(long)]
    pub api_version: Option<String>,
    /// cloud: system-user access token.
    #[arg(long, env = "WAGATE_CLOUD_ACCESS_TOKEN", hide_env_values = true)]
    pub access_token: Option<String>,
    /// cloud: app secret for webhook signatures.
    #[arg(long, hide_env_values = true)]
    pub app_secret: Option<String>,
    /// cloud: webhook verify token.
    #[arg(long)]
    pub verify_token: Option<String>,
    /// cloud: the Meta app's id (for Meta's Resumable Upload API).
    #[arg(long)]
    pub app_id: Option<String>,
    /// Messages per second, 1–1000.
    #[arg(long)]
    pub throughput_mps: Option<u32>,
    /// GREEN, YELLOW, RED or UNKNOWN.
    #[arg(long)]
    pub quality_rating: Option<String>,
    /// TIER_250, TIER_2K, TIER_10K, TIER_100K or TIER_UNLIMITED.
    #[arg(long)]
    pub messaging_limit_tier: Option<String>,
    /// Free-form messages outside the 24-hour window: fail (as Meta does) or reject at the API.
    #[arg(long)]
    pub window_policy: Option<String>,
    /// Profile "about" text.
    #[arg(long)]
    pub about: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// Add a channel (a sandbox one unless --upstream cloud).
    Create {
        #[command(flatten)]
        account: AccountArg,
        /// cloud: Meta's phone number id.
        #[arg(long)]
        phone_number_id: Option<String>,
        /// cloud: Meta's WhatsApp Business Account id.
        #[arg(long)]
        waba_id: Option<String>,
        #[command(flatten)]
        fields: ChannelFields,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// List an account's channels.
    List {
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Show one channel as JSON.
    Show {
        /// Channel id.
        id: String,
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Change a channel.
    Update {
        /// Channel id.
        id: String,
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        fields: ChannelFields,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an API key and print its secret (shown once).
    Create {
        #[command(flatten)]
        account: AccountArg,
        /// A label for the key.
        #[arg(long)]
        name: String,
        /// Limit the key to a channel (repeatable). Default: every channel.
        #[arg(long = "channel")]
        channels: Vec<String>,
        /// An admin key: may also create admin keys and read the audit log (always
        /// account-wide).
        #[arg(long, conflicts_with = "channels")]
        admin: bool,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// List an account's keys.
    List {
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Revoke a key; it stops working at once.
    Revoke {
        /// API key id.
        id: String,
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command};

    fn allow_private(args: &[&str]) -> bool {
        let cli = Cli::try_parse_from(args).expect("parses");
        let Command::Serve(serve) = cli.command else {
            panic!("serve")
        };
        serve.allow_private_networks
    }

    #[test]
    fn the_private_networks_switch_takes_a_bare_flag_or_a_boolish_value() {
        assert!(!allow_private(&["wagate", "serve"]));
        assert!(allow_private(&[
            "wagate",
            "serve",
            "--allow-private-networks"
        ]));
        for yes in ["1", "true", "yes", "on"] {
            let flag = format!("--allow-private-networks={yes}");
            assert!(allow_private(&["wagate", "serve", &flag]), "{yes}");
        }
        for no in ["0", "false", "no", "off"] {
            let flag = format!("--allow-private-networks={no}");
            assert!(!allow_private(&["wagate", "serve", &flag]), "{no}");
        }
        assert!(
            Cli::try_parse_from(["wagate", "serve", "--allow-private-networks=maybe"]).is_err()
        );
    }
}
