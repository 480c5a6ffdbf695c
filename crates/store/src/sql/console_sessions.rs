//! Console sessions: their statements, and [`ConsoleSessionStore`] for every [`Backend`]
//! (see [`crate::console_sessions`]).

use async_trait::async_trait;
use wagate_core::Timestamp;

use super::{Backend, Conn, query};
use crate::console_sessions::{ConsoleSessionRecord, StoredConsoleSession};
use crate::{ConsoleSessionStore, Result, console_session_columns};

#[async_trait]
impl<B: Backend> ConsoleSessionStore for B {
    async fn create_console_session(&self, session: StoredConsoleSession) -> Result<()> {
        self.write(move |c| Box::pin(create(c, session))).await
    }

    async fn console_session(
        &self,
        digest: [u8; 32],
        now: Timestamp,
    ) -> Result<Option<StoredConsoleSession>> {
        self.read(move |c| Box::pin(async move { get(c, digest, now).await }))
            .await
    }

    async fn delete_console_session(&self, digest: [u8; 32]) -> Result<bool> {
        self.write(move |c| {
            Box::pin(async move {
                let n = c
                    .execute(
                        query("DELETE FROM console_sessions WHERE digest = $1")
                            .bind(digest.to_vec()),
                    )
                    .await?;
                Ok(n > 0)
            })
        })
        .await
    }

    async fn delete_expired_console_sessions(&self, now: Timestamp) -> Result<u64> {
        self.write(move |c| {
            Box::pin(async move {
                c.execute(
                    query("DELETE FROM console_sessions WHERE expires_at <= $1")
                        .bind(now.as_millisecond()),
                )
                .await
            })
        })
        .await
    }
}

pub async fn create<C: Conn>(c: &mut C, session: StoredConsoleSession) -> Result<()> {
    let r = ConsoleSessionRecord::from(&session);
    c.execute(
        query(concat!(
            "INSERT INTO console_sessions (",
            console_session_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(r.digest)
        .bind(r.account_id)
        .bind(r.key_id)
        .bind(r.csrf)
        .bind(r.created_at)
        .bind(r.expires_at),
    )
    .await?;
    Ok(())
}

pub async fn get<C: Conn>(
    c: &mut C,
    digest: [u8; 32],
    now: Timestamp,
) -> Result<Option<StoredConsoleSession>> {
    c.fetch_optional::<ConsoleSessionRecord>(
        query(concat!(
            "SELECT ",
            console_session_columns!(),
            " FROM console_sessions WHERE digest = $1 AND expires_at > $2"
        ))
        .bind(digest.to_vec())
        .bind(now.as_millisecond()),
    )
    .await?
    .map(StoredConsoleSession::try_from)
    .transpose()
}
