//! The `wagate` binary: parses the command line and hands off. Everything it runs lives in
//! library crates (`wagate-http` serves, `wagate-app` holds the services).

#![forbid(unsafe_code)]

mod admin;
mod args;
mod backup;
mod bench;
mod billing;
mod campaign;
mod chaos;
mod contacts;
mod secrets;
mod serve;
mod settings;
mod telemetry;

use clap::Parser;

use args::{Cli, Command};

/// mimalloc instead of glibc's malloc: under many concurrent requests glibc's arenas
/// contend on their locks (seen in `perf` as futex wake-ups inside `malloc`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(anyhow::Error::new(e).context("starting the async runtime")),
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Account(cmd) => admin::account(cmd).await,
            Command::Channel(cmd) => admin::channel(*cmd).await,
            Command::Key(cmd) => admin::key(cmd).await,
            Command::Bench(args) => bench::run(args).await,
            Command::Backup(args) => backup::backup(args).await,
            Command::Restore(args) => backup::restore(args).await,
            Command::Chaos(args) => chaos::run(args).await,
            Command::Secrets(cmd) => secrets::run(cmd).await,
            Command::Contacts(cmd) => contacts::run(cmd).await,
            Command::Wallet(cmd) => billing::wallet(cmd).await,
            Command::Rates(cmd) => billing::rates(cmd).await,
            Command::Campaign(args) => campaign::run(args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => report(e),
    }
}

/// One line on stderr: the error and its causes, `error: opening the database: …`.
fn report(e: anyhow::Error) -> std::process::ExitCode {
    let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
    eprintln!("error: {}", chain.join(": "));
    std::process::ExitCode::FAILURE
}
