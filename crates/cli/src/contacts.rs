//! `wagate contacts import`: a CSV or XLSX file into the contact book, straight on the
//! database (beside a running server or not), through the same import run as the API's
//! worker, with a progress bar. Each batch is committed with the import's progress, so a
//! killed import leaves whole rows only and `--resume <id>` goes on after the last batch.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use wagate_app::contacts::import_file;
use wagate_app::contacts::imports::{ImportRun, prepare, resume_local_import, start_local_import};
use wagate_core::contact::import::{ImportFormat, ImportOptions, ImportStatus};
use wagate_core::ids::ContactImportId;

use crate::admin::{account_id, open};
use crate::args::{ContactsCommand, ImportArgs};

pub async fn run(cmd: ContactsCommand) -> anyhow::Result<()> {
    match cmd {
        ContactsCommand::Import(args) => import(args).await,
    }
}

/// The file's SHA-256 (hex) and size.
fn digest(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), size))
}

async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let path = args.file.clone();
    let meta = std::fs::metadata(&path).with_context(|| format!("reading {}", path.display()))?;
    if meta.len() > import_file::FILE_MAX {
        bail!(
            "the file is over {} MiB, the most an import takes",
            import_file::FILE_MAX / (1024 * 1024)
        );
    }
    let app = open(&args.db).await?;
    let account = account_id(&app, &args.account).await?;
    let (sha256, size) = {
        let p = path.clone();
        tokio::task::spawn_blocking(move || digest(&p)).await??
    };
    let mut run: ImportRun = match &args.resume {
        Some(raw) => {
            let id: ContactImportId = raw
                .parse()
                .map_err(|_| anyhow!("`{raw}` is not an import id"))?;
            resume_local_import(
                app.store().clone(),
                app.clock().clone(),
                account,
                id,
                &path,
                &sha256,
                args.take_over,
            )
            .await
            .map_err(|e| anyhow!(e.to_string()))?
        }
        None => {
            let mut prefix = [0u8; 8];
            let n = std::fs::File::open(&path)?.read(&mut prefix)?;
            let format = match &args.format {
                Some(f) => {
                    ImportFormat::parse(f).ok_or_else(|| anyhow!("--format is csv or xlsx"))?
                }
                None => import_file::sniff(&prefix[..n]),
            };
            let mapping: BTreeMap<String, String> = match &args.mapping {
                Some(m) => serde_json::from_str(m)
                    .context("--mapping must be a JSON object from header to role")?,
                None => BTreeMap::new(),
            };
            let options = ImportOptions::parse(&mapping, args.default_country_code.as_deref())
                .map_err(|e| anyhow!("{}: {}", e.field, e.message))?;
            let (p, o) = (path.clone(), options.clone());
            tokio::task::spawn_blocking(move || prepare(&p, format, &o))
                .await?
                .map_err(|e| anyhow!("{}", e.message))?;
            start_local_import(
                app.store().clone(),
                app.clock().clone(),
                account,
                &path,
                format,
                options,
                (sha256, size),
            )
            .await
            .map_err(|e| anyhow!(e.to_string()))?
        }
    };
    let id = run.import.id;
    if !args.quiet {
        eprintln!("import {id} (resume with --resume {id} if it is interrupted)");
    }
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else if run.import.format == ImportFormat::Csv {
        ProgressBar::new(size).with_style(
            ProgressStyle::with_template(
                "{bar:30} {percent:>3}% {binary_bytes}/{binary_total_bytes} {elapsed} \
                 ETA {eta} · {msg}",
            )
            .expect("template"),
        )
    } else {
        ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {elapsed} · {msg}").expect("template"),
        )
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    loop {
        let more = run.step().await.map_err(|e| anyhow!(e.to_string()))?;
        let i = &run.import;
        bar.set_position(run.bytes_read);
        bar.set_message(format!(
            "{} rows · {} created · {} updated · {} refused",
            i.rows_read, i.created, i.updated, i.failed
        ));
        if !more {
            break;
        }
    }
    bar.finish();
    let i = run.import.clone();
    println!(
        "import {}: {} — {} rows read, {} created, {} updated, {} refused",
        i.id,
        i.status.as_str(),
        i.rows_read,
        i.created,
        i.updated,
        i.failed
    );
    if let Some(reason) = &i.failure {
        println!("stopped: {reason}");
    }
    let mut after = 0;
    let mut shown = 0;
    let mut report = match &args.report {
        Some(p) => {
            let mut w =
                csv::Writer::from_path(p).with_context(|| format!("writing {}", p.display()))?;
            w.write_record(["row", "column", "reason"])?;
            Some(w)
        }
        None => None,
    };
    let principal = wagate_app::Principal::operator(account);
    loop {
        let rows = app
            .contact_import_errors(&principal, i.id, after, 1000)
            .await
            .map_err(|e| anyhow!(e.to_string()))?;
        for r in &rows {
            if shown < 10 {
                println!("  row {} {}: {}", r.row, r.column, r.reason);
                shown += 1;
            }
            if let Some(w) = report.as_mut() {
                w.write_record([r.row.to_string().as_str(), &r.column, &r.reason])?;
            }
        }
        match rows.last() {
            Some(last) if rows.len() == 1000 => after = last.row,
            _ => break,
        }
    }
    if let Some(mut w) = report {
        w.flush()?;
    }
    if i.failed > 10 && args.report.is_none() {
        println!(
            "  … every refused row: --report <file.csv>, or GET /api/v1/contacts/imports/{}/errors?format=csv",
            i.id
        );
    }
    if i.status == ImportStatus::Failed {
        bail!("the import failed");
    }
    Ok(())
}
