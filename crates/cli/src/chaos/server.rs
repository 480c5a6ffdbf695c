//! A `wagate serve` child process (this same binary) on a fixed loopback port, so clients
//! carry on across a kill and a restart.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Wagate {
    pub base: String,
    pub data: PathBuf,
    config: PathBuf,
    database: Option<String>,
    listen: String,
    child: Option<Child>,
    log: PathBuf,
}

/// A free loopback port (bound, then released for the child to take).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Wagate {
    pub async fn start(
        dir: &Path,
        config: PathBuf,
        database: Option<String>,
    ) -> anyhow::Result<Self> {
        let listen = format!("127.0.0.1:{}", free_port()?);
        let mut w = Self {
            base: format!("http://{listen}"),
            data: dir.join("data"),
            config,
            database,
            listen,
            child: None,
            log: dir.join("wagate.log"),
        };
        w.spawn().await?;
        Ok(w)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// Starts the child and waits until it listens.
    pub async fn spawn(&mut self) -> anyhow::Result<()> {
        let exe = std::env::current_exe().context("finding the wagate binary")?;
        let mut cmd = Command::new(exe);
        cmd.arg("serve")
            .args(["--listen", &self.listen, "--log", "warn"])
            .arg("--data-dir")
            .arg(&self.data)
            .arg("--config")
            .arg(&self.config)
            // The receiver is on loopback.
            .arg("--allow-private-networks")
            .kill_on_drop(true);
        if let Some(db) = &self.database {
            cmd.args(["--database", db]);
        }
        for (k, _) in std::env::vars() {
            if k.starts_with("WAGATE_") {
                cmd.env_remove(k);
            }
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .context("starting wagate serve")?;
        let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await;
        match first {
            Ok(Ok(Some(line))) if line.starts_with("wagate is listening on ") => {}
            other => {
                let _ = child.kill().await;
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                bail!(
                    "wagate serve did not start ({other:?}): {}",
                    log.lines().last().unwrap_or("")
                );
            }
        }
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.child = Some(child);
        Ok(())
    }

    /// SIGKILL, and waits for the process to be gone.
    pub async fn kill9(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.start_kill()?;
            child.wait().await?;
        }
        Ok(())
    }

    /// SIGTERM, and waits (bounded) for a clean exit.
    pub async fn term(&mut self) -> anyhow::Result<bool> {
        let Some(mut child) = self.child.take() else {
            return Ok(true);
        };
        let pid = child.id().context("a running child")?;
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await?;
        anyhow::ensure!(status.success(), "kill -TERM {pid} failed");
        match tokio::time::timeout(Duration::from_secs(60), child.wait()).await {
            Ok(exit) => Ok(exit?.success()),
            Err(_) => {
                let _ = child.kill().await;
                Ok(false)
            }
        }
    }

    /// The admin key and phone number id first start wrote.
    pub fn credentials(&self) -> anyhow::Result<(String, String)> {
        let file = std::fs::read_to_string(self.data.join("credentials.env"))
            .context("reading credentials.env")?;
        let get = |k: &str| {
            file.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .map(str::to_owned)
                .with_context(|| format!("{k} in credentials.env"))
        };
        Ok((get("WAGATE_API_KEY")?, get("WAGATE_PHONE_NUMBER_ID")?))
    }
}

/// The resident set size of `pid` in bytes (Linux), `None` elsewhere or when gone.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}
