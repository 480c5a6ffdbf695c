//! `wagate campaign …`: campaigns on a running server, as a client of its management API
//! (`/api/v1/campaigns`), unlike the admin commands that open the database.
//!
//! The server and key come from `--url`/`--key` (`WAGATE_URL`, `WAGATE_API_KEY`), else from
//! the `credentials.env` first start wrote into `--data-dir` (`WAGATE_DATA_DIR`, by default
//! `./wagate-data`, as `serve`).
//!
//! - `create` makes a draft (`--param` specs become the body parameters, in order) and, with
//!   `--file`, uploads its audience with a progress bar, waits for the server to read it and
//!   shows the refused rows; `--numbers` sends a list instead.
//! - `launch` launches now or `--at` a time; `status` shows the figures; `pause`, `resume`
//!   and `cancel` act. With `--follow`, `launch` and `status` poll the campaign every 500 ms
//!   with a live line until it is completed or cancelled (exit 0), fails or pauses (the
//!   reason, exit 1).
//!
//! Any refusal from the API ends the command with its message and a non-zero exit.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use wagate_app::contacts::import_file::FILE_MAX;
use wagate_app::platform::bootstrap::CREDENTIALS_FILE;
use wagate_core::campaign::model::{AudienceStatus, CampaignTemplate, Estimate, SkipCounts};
use wagate_core::campaign::{CampaignKind, CampaignStatus, Param, ParamSource, PauseReason};
use wagate_core::contact::import::RowError;

use crate::args::{CampaignArgs, CampaignCommand, CreateCampaignArgs, ServerArgs};

/// How often `--follow` and the audience wait look at the campaign.
const POLL: Duration = Duration::from_millis(500);
/// Refused rows `create` prints.
const SHOWN_ERRORS: usize = 5;

pub async fn run(args: CampaignArgs) -> anyhow::Result<()> {
    let api = Api::connect(&args.server)?;
    match args.command {
        CampaignCommand::Create(a) => create(&api, a).await,
        CampaignCommand::Launch {
            id,
            at,
            timezone,
            follow,
        } => launch(&api, &id, at, timezone, follow).await,
        CampaignCommand::Status { id, follow: false } => {
            print_status(&api.campaign(&id).await?);
            Ok(())
        }
        CampaignCommand::Status { id, follow: true } => {
            let c = self::follow(&api, &id).await?;
            print_status(&c);
            ended(&c)
        }
        CampaignCommand::Pause { id } => act(&api, &id, "pause").await,
        CampaignCommand::Resume { id } => act(&api, &id, "resume").await,
        CampaignCommand::Cancel { id } => act(&api, &id, "cancel").await,
    }
}

/// A `--param` spec as the API's parameter: `column:NAME[=FALLBACK]`,
/// `attribute:NAME[=FALLBACK]` or `fixed:VALUE` (all of it, `=` included).
pub fn parse_param(spec: &str) -> Result<Param, String> {
    let usage = "expected column:NAME[=FALLBACK], attribute:NAME[=FALLBACK] or fixed:VALUE";
    let Some((kind, rest)) = spec.split_once(':') else {
        return Err(format!("`{spec}`: {usage}"));
    };
    if kind == "fixed" {
        if rest.is_empty() {
            return Err(format!("`{spec}`: a fixed value cannot be empty"));
        }
        return Ok(Param {
            source: ParamSource::Fixed {
                value: rest.to_owned(),
            },
            fallback: None,
        });
    }
    let source = match kind {
        "column" => |name| ParamSource::Column { name },
        "attribute" => |name| ParamSource::Attribute { name },
        _ => return Err(format!("`{spec}`: `{kind}` is not a source; {usage}")),
    };
    let (name, fallback) = match rest.split_once('=') {
        Some((name, fallback)) => (name.trim(), Some(fallback.to_owned())),
        None => (rest.trim(), None),
    };
    if name.is_empty() {
        return Err(format!("`{spec}`: the {kind} name is missing; {usage}"));
    }
    Ok(Param {
        source: source(name.to_owned()),
        fallback,
    })
}

/// A campaign as `GET /api/v1/campaigns/{id}` answers it (the fields shown here).
#[derive(Debug, Deserialize)]
struct Campaign {
    id: String,
    name: String,
    kind: CampaignKind,
    channel_id: String,
    template: CampaignTemplate,
    status: CampaignStatus,
    pause_reason: Option<PauseReason>,
    failure: Option<String>,
    scheduled_at: Option<String>,
    timezone: Option<String>,
    audience: Audience,
    counts: Counts,
    estimate: Option<Estimate>,
}

#[derive(Debug, Deserialize)]
struct Audience {
    status: AudienceStatus,
    rows_read: Option<u64>,
    failure: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Counts {
    recipients: u64,
    queued: u64,
    skipped: u64,
    skipped_by_reason: SkipCounts,
    pending: u64,
    sent: u64,
    delivered: u64,
    read: u64,
    failed: u64,
    replied: u64,
}

/// What a JSON audience call answers.
#[derive(Debug, Deserialize)]
struct AudienceResult {
    campaign: Campaign,
    added: u64,
    refused: Vec<RowError>,
}

#[derive(Debug, Deserialize)]
struct Page<T> {
    data: Vec<T>,
    next_after: Option<u64>,
}

/// The management API of one server, with one key.
struct Api {
    http: reqwest::Client,
    base: Url,
    key: String,
}

impl Api {
    /// The URL and key from the flags or the environment, else from `credentials.env`.
    fn connect(server: &ServerArgs) -> anyhow::Result<Self> {
        let data_dir = server
            .data_dir
            .clone()
            .unwrap_or_else(|| wagate_app::config::Config::default().data_dir);
        let file = data_dir.join(CREDENTIALS_FILE);
        let saved = || -> anyhow::Result<String> {
            std::fs::read_to_string(&file).with_context(|| {
                format!(
                    "no --url/--key (or WAGATE_URL/WAGATE_API_KEY) given, and no {} to read \
                     them from (set --data-dir to the server's data directory)",
                    file.display()
                )
            })
        };
        let pick = |given: &Option<String>, name: &str| -> anyhow::Result<String> {
            match given.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                Some(v) => Ok(v.to_owned()),
                None => env_value(&saved()?, name)
                    .with_context(|| format!("{} has no {name}", file.display())),
            }
        };
        let url = pick(&server.url, "WAGATE_BASE_URL")?;
        let key = pick(&server.key, "WAGATE_API_KEY")?;
        let base = Url::parse(&url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .with_context(|| {
                format!("`{url}` is not an http(s) URL, like http://127.0.0.1:8080")
            })?;
        wagate_app::install_tls();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self { http, base, key })
    }

    /// `segments` joined under the base URL, each escaped.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        self.http
            .request(method, self.url(segments))
            .bearer_auth(&self.key)
    }

    /// Sends, and reads the answer as `T`; an error status becomes the API's message.
    async fn call<T: DeserializeOwned>(&self, req: RequestBuilder) -> anyhow::Result<T> {
        let req = req.build()?;
        let what = format!("{} {}", req.method(), req.url().path());
        let res = self
            .http
            .execute(req)
            .await
            .with_context(|| format!("cannot reach {}", self.base))?;
        let status = res.status();
        let body = res.bytes().await.with_context(|| what.clone())?;
        if !status.is_success() {
            return Err(api_error(status, &body)).context(what);
        }
        serde_json::from_slice(&body).with_context(|| format!("{what}: an unexpected answer"))
    }

    async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> anyhow::Result<T> {
        let req = self
            .request(Method::GET, segments)
            .timeout(Duration::from_secs(30));
        self.call(req).await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: Option<&Value>,
    ) -> anyhow::Result<T> {
        let mut req = self
            .request(Method::POST, segments)
            .timeout(Duration::from_secs(60));
        if let Some(body) = body {
            req = req.json(body);
        }
        self.call(req).await
    }

    async fn campaign(&self, id: &str) -> anyhow::Result<Campaign> {
        self.get(&["api", "v1", "campaigns", id]).await
    }
}

/// The management API's error envelope as one line: `message (code, HTTP 404)`.
fn api_error(status: StatusCode, body: &[u8]) -> anyhow::Error {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().map(|v| &v["error"]);
    let text = |k: &str| error.and_then(|e| e[k].as_str()).map(str::to_owned);
    match (text("message"), text("code")) {
        (Some(message), Some(code)) => {
            let field = text("field").map(|f| format!("{f}: ")).unwrap_or_default();
            anyhow!("{field}{message} ({code}, HTTP {})", status.as_u16())
        }
        _ => anyhow!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(body)
                .chars()
                .take(300)
                .collect::<String>()
        ),
    }
}

/// `KEY=value` in an env file.
fn env_value(file: &str, key: &str) -> Option<String> {
    file.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key && !v.trim().is_empty()).then(|| v.trim().to_owned())
    })
}

async fn create(api: &Api, a: CreateCampaignArgs) -> anyhow::Result<()> {
    // The file is checked before anything is created.
    let file = match &a.file {
        Some(path) => Some((open_audience(path).await?, path)),
        None => None,
    };
    let channel = match a.channel {
        Some(c) => c,
        None => first_channel(api).await?,
    };
    let body = json!({
        "name": a.name,
        "kind": a.kind,
        "channel_id": channel,
        "template": {"name": a.template, "language": a.language},
        "params": {"body": a.params},
        "rate": a.rate,
        "allow_partial": a.allow_partial,
    });
    let c: Campaign = api.post(&["api", "v1", "campaigns"], Some(&body)).await?;
    println!("campaign {} created ({})", c.id, c.status.as_str());
    let c = if let Some(((file, size), path)) = file {
        upload(api, &c.id, path, file, size).await?
    } else if !a.numbers.is_empty() {
        let res: AudienceResult = api
            .post(
                &["api", "v1", "campaigns", &c.id, "audience"],
                Some(&json!({ "numbers": a.numbers })),
            )
            .await?;
        println!(
            "audience: {} numbers added, {} refused",
            res.added,
            res.refused.len()
        );
        print_refused(&res.refused, res.refused.len() as u64);
        res.campaign
    } else {
        c
    };
    print_status(&c);
    Ok(())
}

async fn first_channel(api: &Api) -> anyhow::Result<String> {
    let list: Value = api.get(&["api", "v1", "channels"]).await?;
    list["data"][0]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the account has no channel; create one or give --channel"))
}

/// The audience file and its size, when the server would take it.
async fn open_audience(path: &Path) -> anyhow::Result<(tokio::fs::File, u64)> {
    let file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().await?.len();
    if size > FILE_MAX {
        bail!(
            "{} is over {} MiB, the most an audience file may be",
            path.display(),
            FILE_MAX / (1024 * 1024)
        );
    }
    Ok((file, size))
}

/// Uploads the file with a byte progress bar, waits for the server to read it, and shows
/// the refused rows.
async fn upload(
    api: &Api,
    id: &str,
    path: &Path,
    file: tokio::fs::File,
    size: u64,
) -> anyhow::Result<Campaign> {
    let bar = ProgressBar::new(size).with_style(
        ProgressStyle::with_template(
            "uploading {bar:30} {percent:>3}% {binary_bytes}/{binary_total_bytes} ETA {eta}",
        )
        .expect("template"),
    );
    let name = path
        .file_name()
        .map_or_else(|| "audience".into(), |n| n.to_string_lossy().into_owned());
    let part = Part::stream_with_length(counted(file, bar.clone()), size).file_name(name);
    let req = api
        .request(Method::POST, &["api", "v1", "campaigns", id, "audience"])
        .multipart(Form::new().part("file", part));
    let sent: Result<Value, _> = api.call(req).await;
    bar.finish_and_clear();
    sent?;
    println!("uploaded {} ({size} bytes)", path.display());

    let spinner = ProgressBar::new_spinner()
        .with_style(ProgressStyle::with_template("{spinner} {elapsed} · {msg}").expect("template"));
    spinner.enable_steady_tick(Duration::from_millis(200));
    let c = loop {
        let c = api.campaign(id).await?;
        match c.audience.status {
            AudienceStatus::Ready | AudienceStatus::Failed => break c,
            AudienceStatus::None | AudienceStatus::Loading => {}
        }
        spinner.set_message(format!(
            "reading the file: {} rows",
            c.audience.rows_read.unwrap_or(0)
        ));
        tokio::time::sleep(POLL).await;
    };
    spinner.finish_and_clear();
    if c.audience.status == AudienceStatus::Failed {
        bail!(
            "the server could not read {}: {}",
            path.display(),
            c.audience.failure.as_deref().unwrap_or("no reason given")
        );
    }
    let (first, refused) = refused_rows(api, id).await?;
    println!(
        "audience ready: {} recipients; refused rows: {refused}",
        c.counts.recipients
    );
    print_refused(&first, refused);
    Ok(c)
}

/// The file as a request body that moves `bar` as reqwest reads it.
fn counted(file: tokio::fs::File, bar: ProgressBar) -> reqwest::Body {
    let chunks = futures::stream::try_unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 64 * 1024];
        let n = file.read(&mut buf).await?;
        buf.truncate(n);
        Ok::<_, std::io::Error>((n > 0).then_some((buf, file)))
    })
    .inspect_ok(move |chunk| bar.inc(chunk.len() as u64));
    reqwest::Body::wrap_stream(chunks)
}

/// The first refused rows, and how many there are (every page counted).
async fn refused_rows(api: &Api, id: &str) -> anyhow::Result<(Vec<RowError>, u64)> {
    let mut first = Vec::new();
    let mut total = 0u64;
    let mut after = 0u64;
    loop {
        let req = api
            .request(Method::GET, &["api", "v1", "campaigns", id, "errors"])
            .query(&[("limit", 1000), ("after", after)])
            .timeout(Duration::from_secs(30));
        let page: Page<RowError> = api.call(req).await?;
        total += page.data.len() as u64;
        first.extend(
            page.data
                .into_iter()
                .take(SHOWN_ERRORS.saturating_sub(first.len())),
        );
        match page.next_after {
            Some(next) => after = next,
            None => return Ok((first, total)),
        }
    }
}

fn print_refused(first: &[RowError], total: u64) {
    for e in first.iter().take(SHOWN_ERRORS) {
        println!("  row {}, {}: {}", e.row, e.column, e.reason);
    }
    if total > SHOWN_ERRORS as u64 {
        println!("  … and {} more", total - SHOWN_ERRORS as u64);
    }
}

async fn launch(
    api: &Api,
    id: &str,
    at: Option<String>,
    timezone: Option<String>,
    follow: bool,
) -> anyhow::Result<()> {
    let body =
        (at.is_some() || timezone.is_some()).then(|| json!({"at": at, "timezone": timezone}));
    let c: Campaign = api
        .post(&["api", "v1", "campaigns", id, "launch"], body.as_ref())
        .await?;
    match &c.scheduled_at {
        Some(at) if c.status == CampaignStatus::Scheduled => println!(
            "campaign {}: scheduled for {at}{}",
            c.id,
            c.timezone
                .as_deref()
                .map(|z| format!(" ({z})"))
                .unwrap_or_default()
        ),
        _ => println!("campaign {}: {}", c.id, c.status.as_str()),
    }
    if let Some(e) = &c.estimate {
        println!("  estimate: {}", estimate(e));
    }
    if !follow {
        return Ok(());
    }
    let c = self::follow(api, id).await?;
    print_status(&c);
    ended(&c)
}

/// Polls the campaign with a live line until it is final or paused.
async fn follow(api: &Api, id: &str) -> anyhow::Result<Campaign> {
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} queued {elapsed} · {msg}")
            .expect("template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    loop {
        let c = api.campaign(id).await?;
        let n = &c.counts;
        bar.set_length(n.recipients);
        bar.set_position(n.queued);
        bar.set_message(format!(
            "{} · sent {} · delivered {} · read {} · failed {} · skipped {}",
            c.status.as_str(),
            n.sent,
            n.delivered,
            n.read,
            n.failed,
            n.skipped
        ));
        if c.status.is_final() || c.status == CampaignStatus::Paused {
            bar.finish_and_clear();
            return Ok(c);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A followed campaign's exit: fine when it completed or was cancelled, an error when it
/// failed or paused.
fn ended(c: &Campaign) -> anyhow::Result<()> {
    match c.status {
        CampaignStatus::Failed => bail!(
            "campaign {} failed: {}",
            c.id,
            c.failure.as_deref().unwrap_or("no reason given")
        ),
        CampaignStatus::Paused => bail!(
            "campaign {} is paused ({}); `wagate campaign resume {}` goes on",
            c.id,
            c.pause_reason
                .map_or("no reason given", PauseReason::as_str),
            c.id
        ),
        _ => Ok(()),
    }
}

async fn act(api: &Api, id: &str, action: &str) -> anyhow::Result<()> {
    let c: Campaign = api
        .post(&["api", "v1", "campaigns", id, action], None)
        .await?;
    println!("campaign {}: {}", c.id, c.status.as_str());
    Ok(())
}

fn print_status(c: &Campaign) {
    let n = &c.counts;
    let kind = match c.kind {
        CampaignKind::Broadcast => "broadcast",
        CampaignKind::Api => "api",
    };
    println!("campaign {} \"{}\": {}", c.id, c.name, c.status.as_str());
    println!(
        "  {kind}, template {} ({}), channel {}",
        c.template.name, c.template.language, c.channel_id
    );
    if let Some(reason) = c.pause_reason {
        println!("  paused: {}", reason.as_str());
    }
    if let Some(failure) = &c.failure {
        println!("  failure: {failure}");
    }
    if let Some(at) = &c.scheduled_at {
        println!("  scheduled at: {at}");
    }
    println!(
        "  audience: {}, {} recipients",
        c.audience.status.as_str(),
        n.recipients
    );
    println!(
        "  queued {} · pending {} · sent {} · delivered {} · read {} · failed {} · replied {}",
        n.queued, n.pending, n.sent, n.delivered, n.read, n.failed, n.replied
    );
    let s = &n.skipped_by_reason;
    println!(
        "  skipped {} (invalid {}, duplicate {}, opted out {}, blocked {}, missing parameter {})",
        n.skipped, s.invalid, s.duplicate, s.opted_out, s.blocked, s.missing_parameter
    );
    if let Some(e) = &c.estimate {
        println!("  estimate: {}", estimate(e));
    }
}

/// `3 recipients, 3 billable, 0.15 USD` (amounts are micro-units; a quota counts messages).
fn estimate(e: &Estimate) -> String {
    let amount = if e.currency == "messages" {
        format!("{} messages", e.amount)
    } else {
        let sign = if e.amount < 0 { "-" } else { "" };
        let micros = e.amount.unsigned_abs();
        let frac = format!("{:06}", micros % 1_000_000);
        let frac = frac.trim_end_matches('0');
        format!("{sign}{}.{frac:0<2} {}", micros / 1_000_000, e.currency)
    };
    format!(
        "{} recipients, {} billable, {amount}",
        e.recipients, e.billable
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, fallback: Option<&str>) -> Param {
        Param {
            source: ParamSource::Column { name: name.into() },
            fallback: fallback.map(Into::into),
        }
    }

    #[test]
    fn specs_name_a_source_and_an_optional_fallback() {
        assert_eq!(parse_param("column:var1"), Ok(column("var1", None)));
        assert_eq!(
            parse_param("column:var2=soon"),
            Ok(column("var2", Some("soon")))
        );
        assert_eq!(
            parse_param("column:var2="),
            Ok(column("var2", Some(""))),
            "an empty fallback is the server's to judge"
        );
        assert_eq!(
            parse_param("attribute:name=there"),
            Ok(Param {
                source: ParamSource::Attribute {
                    name: "name".into()
                },
                fallback: Some("there".into()),
            })
        );
        assert_eq!(
            parse_param("attribute:city=São Paulo=SP"),
            Ok(Param {
                source: ParamSource::Attribute {
                    name: "city".into()
                },
                fallback: Some("São Paulo=SP".into()),
            }),
            "the fallback is everything after the first `=`"
        );
    }

    #[test]
    fn a_fixed_value_is_taken_whole() {
        for (spec, value) in [
            ("fixed:20%", "20%"),
            ("fixed:a=b", "a=b"),
            ("fixed:x:y", "x:y"),
        ] {
            assert_eq!(
                parse_param(spec),
                Ok(Param {
                    source: ParamSource::Fixed {
                        value: value.into()
                    },
                    fallback: None,
                }),
                "{spec}"
            );
        }
    }

    #[test]
    fn bad_specs_say_what_is_expected() {
        for spec in [
            "var1",
            "",
            "column:",
            "column:=x",
            "row:",
            "attribute: =x",
            "fixed:",
            "row:var1",
        ] {
            let e = parse_param(spec).expect_err(spec);
            assert!(e.contains(&format!("`{spec}`")), "{spec}: {e}");
        }
        assert!(
            parse_param("row:var1")
                .unwrap_err()
                .contains("column:NAME[=FALLBACK]")
        );
    }

    #[test]
    fn credentials_files_are_read_by_key() {
        let file = "WAGATE_BASE_URL=http://127.0.0.1:8080\nWAGATE_API_KEY=wg_secret\n";
        assert_eq!(
            env_value(file, "WAGATE_BASE_URL").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            env_value(file, "WAGATE_API_KEY").as_deref(),
            Some("wg_secret")
        );
        assert_eq!(env_value(file, "WAGATE_URL"), None);
    }

    #[test]
    fn estimates_read_as_money_or_messages() {
        let e = |amount, currency: &str| Estimate {
            recipients: 3,
            billable: 2,
            amount,
            currency: currency.into(),
        };
        assert_eq!(
            estimate(&e(150_000, "USD")),
            "3 recipients, 2 billable, 0.15 USD"
        );
        assert_eq!(
            estimate(&e(12_345_678, "INR")),
            "3 recipients, 2 billable, 12.345678 INR"
        );
        assert_eq!(
            estimate(&e(2_000_000, "EUR")),
            "3 recipients, 2 billable, 2.00 EUR"
        );
        assert_eq!(
            estimate(&e(2, "messages")),
            "3 recipients, 2 billable, 2 messages"
        );
    }

    #[test]
    fn api_errors_read_as_one_line() {
        let body = br#"{"error":{"code":"campaign_not_found","message":"campaign `x` does not exist","field":null,"request_id":"r"}}"#;
        assert_eq!(
            api_error(StatusCode::NOT_FOUND, body).to_string(),
            "campaign `x` does not exist (campaign_not_found, HTTP 404)"
        );
        let body = br#"{"error":{"code":"validation_failed","message":"must be 1 to 512 characters","field":"template.name","request_id":"r"}}"#;
        assert_eq!(
            api_error(StatusCode::BAD_REQUEST, body).to_string(),
            "template.name: must be 1 to 512 characters (validation_failed, HTTP 400)"
        );
        assert_eq!(
            api_error(StatusCode::BAD_GATEWAY, b"upstream down").to_string(),
            "HTTP 502 Bad Gateway: upstream down"
        );
    }
}
