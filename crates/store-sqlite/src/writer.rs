//! The single writer with group commit.
//!
//! SQLite allows one writer at a time. Rather than let many connections fight for the write
//! lock (and fsync once per request), every write in the process is a [`Job`] sent to one
//! task that owns the one write connection. The task takes every job waiting in its queue (up
//! to [`MAX_BATCH`]), runs them inside a single `BEGIN IMMEDIATE … COMMIT`, each under its own
//! `SAVEPOINT` so that one failing job rolls back alone, and answers every caller only after
//! the `COMMIT` is durable. While one batch is committing the next one queues up, so under
//! load a single fsync covers many writes: durability (`synchronous = FULL`) costs no
//! throughput.
//!
//! `BEGIN IMMEDIATE` takes the write lock at once, so a second process on the same file (the
//! admin CLI beside a running server) waits up to the busy timeout instead of failing with
//! `SQLITE_BUSY` half-way through a transaction.

use std::any::Any;

use futures::future::BoxFuture;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteConnection as Conn;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;
use wagate_store::{Result, StoreError};

/// Most jobs one transaction takes.
pub const MAX_BATCH: usize = 512;
/// Jobs waiting beyond this make callers wait (back-pressure).
const QUEUE: usize = 4096;

type Output = Result<Box<dyn Any + Send>>;
type RunFn = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Output> + Send>;

struct Job {
    run: RunFn,
    reply: oneshot::Sender<Output>,
    /// The store operation, for `wagate_store_job_seconds{op}`.
    op: &'static str,
}

pub struct Writer {
    queue: mpsc::Sender<Job>,
    /// Dropping this sender (on close) tells the task to finish the queue and stop.
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    /// The writer task, awaited on close so queued writes finish before the process exits.
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    pub fn start(conn: Conn) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(run(conn, rx, stop_rx));
        Self {
            queue,
            stop: std::sync::Mutex::new(Some(stop_tx)),
            task: Mutex::new(Some(task)),
        }
    }

    /// Runs `f` inside the next batch and returns its result once the batch is committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let run: RunFn = Box::new(move |conn| {
            Box::pin(async move { f(conn).await.map(|v| Box::new(v) as Box<dyn Any + Send>) })
        });
        let (reply, answer) = oneshot::channel();
        let op = op_name(std::any::type_name::<F>());
        self.queue
            .send(Job { run, reply, op })
            .await
            .map_err(|_| StoreError::Closed)?;
        let value = answer.await.map_err(|_| StoreError::Closed)??;
        Ok(*value
            .downcast::<T>()
            .expect("writer returns the job's own type"))
    }

    /// Finishes every queued job, then stops the task and closes the connection.
    pub async fn close(&self) {
        drop(self.stop.lock().expect("stop lock").take());
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

async fn run(mut conn: Conn, mut rx: mpsc::Receiver<Job>, mut stop: oneshot::Receiver<()>) {
    let mut stopping = false;
    loop {
        let first = if stopping {
            rx.recv().await
        } else {
            tokio::select! {
                job = rx.recv() => job,
                _ = &mut stop => {
                    // No new jobs; the ones already queued still run.
                    rx.close();
                    stopping = true;
                    continue;
                }
            }
        };
        let Some(first) = first else { break };
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&mut conn, batch).await;
    }
    if let Err(e) = sqlx::Connection::close(conn).await {
        tracing::warn!(error.message = %e, "closing the SQLite write connection failed");
    }
}

/// The store method a write closure belongs to: `…Store>::accept_outbound::{{closure}}…`
/// → `accept_outbound`.
fn op_name(closure: &'static str) -> &'static str {
    let head = closure.split("::{{closure}}").next().unwrap_or(closure);
    let name = head.rsplit("::").next().unwrap_or(head);
    name.split('<').next().unwrap_or(name)
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> Result<()> {
    sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(StoreError::database)
}

fn batch_failed(e: &StoreError) -> StoreError {
    StoreError::database(std::io::Error::other(format!(
        "write transaction failed: {e}"
    )))
}

async fn commit_batch(conn: &mut SqliteConnection, batch: Vec<Job>) {
    tracing::trace!(jobs = batch.len(), "sqlite write batch");
    // How many writes share each commit: the group-commit effect, visible in /metrics.
    metrics::histogram!("wagate_store_write_batch_size").record(batch.len() as f64);
    let started = std::time::Instant::now();
    let _timer = scopeguard(move || {
        metrics::histogram!("wagate_store_write_seconds").record(started.elapsed().as_secs_f64());
    });
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE").await {
        tracing::error!(error.message = %e, "BEGIN IMMEDIATE failed");
        for job in batch {
            let _ = job.reply.send(Err(batch_failed(&e)));
        }
        return;
    }
    let mut done: Vec<(Output, oneshot::Sender<Output>)> = Vec::with_capacity(batch.len());
    let mut broken: Option<StoreError> = None;
    // A lone job needs no savepoint: if it fails, the whole transaction is rolled back,
    // which undoes exactly that job. Two statements fewer on the busiest path.
    let alone = batch.len() == 1;
    for job in batch {
        if broken.is_some() {
            done.push((Err(StoreError::Closed), job.reply));
            continue;
        }
        if !alone && let Err(e) = exec(conn, "SAVEPOINT job").await {
            broken = Some(e);
            done.push((Err(StoreError::Closed), job.reply));
            continue;
        }
        let started = std::time::Instant::now();
        let out = (job.run)(conn).await;
        metrics::histogram!("wagate_store_job_seconds", "op" => job.op)
            .record(started.elapsed().as_secs_f64());
        let end = match (out.is_ok(), alone) {
            (true, true) => Ok(()),
            (true, false) => exec(conn, "RELEASE job").await,
            (false, true) => {
                // Its own failure: undo it and answer with its own error.
                let _ = exec(conn, "ROLLBACK").await;
                let _ = job.reply.send(out);
                return;
            }
            (false, false) => match exec(conn, "ROLLBACK TO job").await {
                Ok(()) => exec(conn, "RELEASE job").await,
                Err(e) => Err(e),
            },
        };
        if let Err(e) = end {
            broken = Some(e);
        }
        done.push((out, job.reply));
    }
    let committed = match broken {
        Some(e) => Err(e),
        None => {
            let started = std::time::Instant::now();
            let committed = exec(conn, "COMMIT").await;
            metrics::histogram!("wagate_store_commit_seconds")
                .record(started.elapsed().as_secs_f64());
            committed
        }
    };
    match committed {
        Ok(()) => {
            for (out, reply) in done {
                let _ = reply.send(out);
            }
        }
        Err(e) => {
            tracing::error!(error.message = %e, "write batch rolled back");
            let _ = exec(conn, "ROLLBACK").await;
            for (out, reply) in done {
                // Jobs that failed on their own keep their own error; the rest were lost
                // with the batch.
                let _ = reply.send(match out {
                    Err(own) => Err(own),
                    Ok(_) => Err(batch_failed(&e)),
                });
            }
        }
    }
}

/// Runs `f` when dropped: times a batch on every way out of [`commit_batch`].
fn scopeguard(f: impl FnOnce()) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}

#[cfg(test)]
mod tests {
    use super::op_name;

    #[test]
    fn ops_are_named_by_their_store_method() {
        assert_eq!(
            op_name(
                "<wagate_store_sqlite::SqliteStore as wagate_store::Store>::accept_outbound::{{closure}}::{{closure}}"
            ),
            "accept_outbound"
        );
        assert_eq!(
            op_name("<x::S as y::Store>::apply_due_events<'_, '_>::{{closure}}"),
            "apply_due_events"
        );
        assert_eq!(op_name("plain"), "plain");
    }
}
