//! Benchmark: SQLite write throughput through the group-committing writer, at several
//! concurrencies. Each write is one durable (`synchronous = FULL`) account insert.
//!
//! ```sh
//! cargo run --release -p wagate-store-sqlite --example group_commit [writes-per-run]
//! ```
//!
//! With one writer at a time every write pays its own commit (fsync); with many in flight
//! the writer task folds them into shared transactions, so throughput rises with
//! concurrency instead of being capped by fsync latency.

use std::sync::Arc;
use std::time::Instant;

use wagate_core::account::NewAccount;
use wagate_core::text::AccountName;
use wagate_store::{AccountStore, PlatformStore};
use wagate_store_sqlite::SqliteStore;

#[tokio::main]
async fn main() {
    let writes: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000);
    println!(
        "{:>11}  {:>8}  {:>10}  {:>12}",
        "concurrency", "writes", "seconds", "writes/s"
    );
    for concurrency in [1usize, 8, 64, 256] {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(
            SqliteStore::open(&dir.path().join("bench.db"))
                .await
                .expect("open"),
        );
        let name = AccountName::parse("bench").expect("valid");
        let start = Instant::now();
        let per_task = writes / concurrency;
        let mut tasks = Vec::with_capacity(concurrency);
        for _ in 0..concurrency {
            let store = store.clone();
            let name = name.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..per_task {
                    store
                        .create_account(NewAccount::new(name.clone()))
                        .await
                        .expect("write");
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        let secs = start.elapsed().as_secs_f64();
        let done = per_task * concurrency;
        println!(
            "{concurrency:>11}  {done:>8}  {secs:>10.3}  {:>12.0}",
            done as f64 / secs
        );
        store.close().await;
    }
}
