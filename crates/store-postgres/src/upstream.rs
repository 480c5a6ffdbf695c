//! The cloud upstream's channels on PostgreSQL (Meta's ids of messages, and the reports Meta
//! sends, are `wagate_store::sql::dispatch`'s).

use sqlx::PgConnection;
use wagate_core::channel::Channel;
use wagate_store::records::ChannelRecord;
use wagate_store::{Result, StoreError, channel_columns};

fn db(e: sqlx::Error) -> StoreError {
    StoreError::database(e)
}

pub async fn cloud_channels(conn: &mut PgConnection) -> Result<Vec<Channel>> {
    sqlx::query_as::<_, ChannelRecord>(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE upstream_kind = 'cloud' ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .into_iter()
    .map(Channel::try_from)
    .collect()
}
