//! `wagate serve`.

use anyhow::Context;
use tokio::net::TcpListener;
use wagate_http::Server;

use crate::args::ServeArgs;
use crate::{settings, telemetry};

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = settings::load(&args.db, &args)?;
    if args.allow_private_networks {
        config.outbound.allow_private_networks = true;
    }
    telemetry::init(&config)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let data_dir = config.data_dir.clone();
    let server = Server::build(config, listener).await?;
    println!(
        "wagate is listening on {} (database: {})",
        server.base_url(),
        server.database().describe()
    );
    if let Some(c) = server.credentials() {
        println!();
        println!("First start: created an account, a sandbox channel and an admin API key.");
        println!("  account id:       {}", c.account_id);
        println!("  phone number id:  {}", c.phone_number_id);
        println!("  WABA id:          {}", c.waba_id);
        println!("  API key:          {}", c.api_key.expose());
        println!(
            "The API key is shown once; it is also in {} (mode 0600).",
            c.file.display()
        );
        println!(
            "Try:  . {}/credentials.env && curl -H \"Authorization: Bearer $WAGATE_API_KEY\" $WAGATE_BASE_URL/api/v1/channels",
            data_dir.display()
        );
        println!();
    }
    server.run(shutdown_signal()).await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error.message = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error.message = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
