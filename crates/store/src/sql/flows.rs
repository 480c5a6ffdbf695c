//! Flows: their statements, and [`FlowStore`] for every [`Backend`] (see [`crate::flows`]).

use async_trait::async_trait;
use wagate_core::Timestamp;
use wagate_core::flow::health::{self, AlertLevels, EndpointCall, ErrorType, Evaluation};
use wagate_core::flow::{Flow, FlowId, FlowName, FlowStatus};
use wagate_core::ids::{AccountId, ChannelId, EventId, WabaId};
use wagate_core::webhook::{EventData, EventField, WebhookEvent};

use super::{Backend, Conn, is_unique_violation, query, webhooks};
use crate::flows::FlowRecord;
use crate::{Conflict, Entity, FlowStore, Page, Result, StoreError, flow_columns};

#[async_trait]
impl<B: Backend> FlowStore for B {
    async fn create_flow(&self, flow: Flow) -> Result<Flow> {
        self.write(move |c| Box::pin(create(c, flow))).await
    }

    async fn get_flow(&self, account: AccountId, id: &FlowId) -> Result<Flow> {
        let id = id.clone();
        self.read(move |c| Box::pin(async move { get(c, account, &id).await }))
            .await
    }

    async fn find_flow_by_name(
        &self,
        account: AccountId,
        waba: &WabaId,
        name: &FlowName,
    ) -> Result<Option<Flow>> {
        let (waba, name) = (waba.clone(), name.clone());
        self.read(move |c| Box::pin(async move { by_name(c, account, &waba, &name).await }))
            .await
    }

    async fn list_flows(
        &self,
        account: AccountId,
        waba: &WabaId,
        page: &Page<FlowId>,
    ) -> Result<Vec<Flow>> {
        let (waba, page) = (waba.clone(), page.clone());
        self.read(move |c| Box::pin(async move { list(c, account, &waba, &page).await }))
            .await
    }

    async fn update_flow(
        &self,
        flow: Flow,
        seen: Timestamp,
        events: Vec<WebhookEvent>,
    ) -> Result<Option<Flow>> {
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move {
                let f = update(c, flow, seen).await?;
                if f.is_some() {
                    webhooks::emit(c, &events, stamp).await?;
                }
                Ok(f)
            })
        })
        .await
    }

    async fn delete_flow(&self, account: AccountId, id: &FlowId, seen: Timestamp) -> Result<bool> {
        let id = id.clone();
        self.write(move |c| Box::pin(async move { delete(c, account, &id, seen).await }))
            .await
    }

    async fn invalidate_flow_preview(&self, account: AccountId, id: &FlowId) -> Result<Flow> {
        let id = id.clone();
        self.write(move |c| {
            Box::pin(async move {
                c.execute(
                    query(
                        "UPDATE flows SET preview_epoch = preview_epoch + 1 \
                         WHERE id = $1 AND account_id = $2",
                    )
                    .bind(id.as_str())
                    .bind(account.as_uuid()),
                )
                .await?;
                get(c, account, &id).await
            })
        })
        .await
    }

    async fn record_flow_call(
        &self,
        account: AccountId,
        id: &FlowId,
        call: EndpointCall,
        channel: ChannelId,
    ) -> Result<Option<Evaluation>> {
        let id = id.clone();
        let stamp = self.now();
        self.write(move |c| {
            Box::pin(async move { record_call(c, account, &id, call, channel, stamp).await })
        })
        .await
    }
}

fn found(r: Option<FlowRecord>) -> Result<Flow> {
    r.ok_or(StoreError::NotFound(Entity::Flow))?.try_into()
}

fn name_taken(name: &str) -> StoreError {
    StoreError::conflict(
        Conflict::FlowName,
        format!(
            "Flow name is not unique: this WhatsApp Business Account has a flow named `{name}`"
        ),
    )
}

/// A unique violation of a write here: the name (checked first, so a clash that remains
/// is a concurrent create of the same name), else the generated id.
fn taken(e: StoreError, name: &str) -> StoreError {
    if is_unique_violation(&e) {
        name_taken(name)
    } else {
        e
    }
}

async fn name_used<C: Conn>(
    c: &mut C,
    account: AccountId,
    waba: &WabaId,
    name: &FlowName,
    other_than: &FlowId,
) -> Result<bool> {
    Ok(by_name(c, account, waba, name)
        .await?
        .is_some_and(|f| &f.id != other_than))
}

pub async fn create<C: Conn>(c: &mut C, flow: Flow) -> Result<Flow> {
    if name_used(c, flow.account_id, &flow.waba_id, &flow.name, &flow.id).await? {
        return Err(name_taken(flow.name.as_str()));
    }
    let exists = c
        .fetch_optional::<FlowRecord>(
            query(concat!(
                "SELECT ",
                flow_columns!(),
                " FROM flows WHERE id = $1"
            ))
            .bind(flow.id.as_str()),
        )
        .await?;
    if exists.is_some() {
        return Err(StoreError::conflict(
            Conflict::GeneratedId,
            "the flow id exists",
        ));
    }
    let r = FlowRecord::from(&flow);
    c.execute(
        query(concat!(
            "INSERT INTO flows (",
            flow_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(r.id)
        .bind(r.account_id)
        .bind(r.waba_id)
        .bind(r.name)
        .bind(r.categories)
        .bind(r.status)
        .bind(r.endpoint_uri)
        .bind(r.flow_json)
        .bind(r.validation_errors)
        .bind(r.created_at)
        .bind(r.updated_at)
        .bind(r.preview_epoch),
    )
    .await
    .map_err(|e| taken(e, flow.name.as_str()))?;
    Ok(flow)
}

pub async fn get<C: Conn>(c: &mut C, account: AccountId, id: &FlowId) -> Result<Flow> {
    let r = c
        .fetch_optional(
            query(concat!(
                "SELECT ",
                flow_columns!(),
                " FROM flows WHERE id = $1 AND account_id = $2"
            ))
            .bind(id.as_str())
            .bind(account.as_uuid()),
        )
        .await?;
    found(r)
}

pub async fn by_name<C: Conn>(
    c: &mut C,
    account: AccountId,
    waba: &WabaId,
    name: &FlowName,
) -> Result<Option<Flow>> {
    c.fetch_optional::<FlowRecord>(
        query(concat!(
            "SELECT ",
            flow_columns!(),
            " FROM flows WHERE account_id = $1 AND waba_id = $2 AND name = $3"
        ))
        .bind(account.as_uuid())
        .bind(waba.as_str())
        .bind(name.as_str()),
    )
    .await?
    .map(Flow::try_from)
    .transpose()
}

pub async fn list<C: Conn>(
    c: &mut C,
    account: AccountId,
    waba: &WabaId,
    page: &Page<FlowId>,
) -> Result<Vec<Flow>> {
    c.fetch_all::<FlowRecord>(
        query(concat!(
            "SELECT ",
            flow_columns!(),
            " FROM flows WHERE account_id = $1 AND waba_id = $2 AND id > $3 \
             ORDER BY id LIMIT $4"
        ))
        .bind(account.as_uuid())
        .bind(waba.as_str())
        .bind(page.after.as_ref().map_or("", FlowId::as_str))
        .bind(page.sql_limit()),
    )
    .await?
    .into_iter()
    .map(Flow::try_from)
    .collect()
}

pub async fn update<C: Conn>(c: &mut C, flow: Flow, seen: Timestamp) -> Result<Option<Flow>> {
    if name_used(c, flow.account_id, &flow.waba_id, &flow.name, &flow.id).await? {
        return Err(name_taken(flow.name.as_str()));
    }
    let r = FlowRecord::from(&flow);
    let n = c
        .execute(
            query(
                "UPDATE flows SET name = $3, categories = $4, status = $5, endpoint_uri = $6, \
                 flow_json = $7, validation_errors = $8, updated_at = $9 \
                 WHERE id = $1 AND account_id = $2 AND updated_at = $10",
            )
            .bind(r.id)
            .bind(r.account_id)
            .bind(r.name)
            .bind(r.categories)
            .bind(r.status)
            .bind(r.endpoint_uri)
            .bind(r.flow_json)
            .bind(r.validation_errors)
            .bind(r.updated_at)
            .bind(seen.as_millisecond()),
        )
        .await
        .map_err(|e| taken(e, flow.name.as_str()))?;
    Ok((n > 0).then_some(flow))
}

/// A stored endpoint call.
#[derive(Debug, sqlx::FromRow)]
struct CallRecord {
    at: i64,
    latency_ms: i64,
    error_type: Option<String>,
}

/// Records the call and applies the flow's health evaluation (see
/// [`FlowStore::record_flow_call`]).
pub async fn record_call<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: &FlowId,
    call: EndpointCall,
    channel: ChannelId,
    stamp: Timestamp,
) -> Result<Option<Evaluation>> {
    let lock = c.dialect().for_update();
    let Some(mut flow) = c
        .fetch_optional::<FlowRecord>(
            query(format!(
                concat!(
                    "SELECT ",
                    flow_columns!(),
                    " FROM flows WHERE id = $1 AND account_id = $2{}"
                ),
                lock
            ))
            .bind(id.as_str())
            .bind(account.as_uuid()),
        )
        .await?
        .map(Flow::try_from)
        .transpose()?
    else {
        return Ok(None);
    };
    let at = call.at.as_millisecond();
    c.execute(
        query(
            "INSERT INTO flow_endpoint_calls (flow_id, at, latency_ms, error_type) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id.as_str())
        .bind(at)
        .bind(i64::from(call.latency_ms))
        .bind(call.error.map(|e| e.as_str().to_owned())),
    )
    .await?;
    c.execute(
        query("DELETE FROM flow_endpoint_calls WHERE flow_id = $1 AND at <= $2")
            .bind(id.as_str())
            .bind(at - health::RETENTION_SECS * 1000),
    )
    .await?;
    let calls = c
        .fetch_all::<CallRecord>(
            query(
                "SELECT at, latency_ms, error_type FROM flow_endpoint_calls \
                 WHERE flow_id = $1 AND at <= $2 ORDER BY at",
            )
            .bind(id.as_str())
            .bind(at),
        )
        .await?
        .into_iter()
        .map(|r| {
            let bad = |detail: String| StoreError::Corrupt {
                what: "flow endpoint call",
                detail,
            };
            Ok(EndpointCall {
                at: Timestamp::from_millisecond(r.at).map_err(|e| bad(e.to_string()))?,
                latency_ms: u32::try_from(r.latency_ms).unwrap_or(u32::MAX),
                error: r
                    .error_type
                    .map(|t| ErrorType::parse(&t).ok_or_else(|| bad(format!("error type {t}"))))
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let levels: AlertLevels = match c
        .scalar::<String>(
            query("SELECT alert_levels FROM flow_health WHERE flow_id = $1").bind(id.as_str()),
        )
        .await?
    {
        Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            what: "flow health",
            detail: e.to_string(),
        })?,
        None => AlertLevels::default(),
    };
    let evaluation = health::evaluate(&calls, &levels, flow.status, call.at);
    if evaluation.levels != levels {
        let text = serde_json::to_string(&evaluation.levels).expect("levels serialise");
        let n = c
            .execute(
                query("UPDATE flow_health SET alert_levels = $2 WHERE flow_id = $1")
                    .bind(id.as_str())
                    .bind(text.clone()),
            )
            .await?;
        if n == 0 {
            c.execute(
                query("INSERT INTO flow_health (flow_id, alert_levels) VALUES ($1, $2)")
                    .bind(id.as_str())
                    .bind(text),
            )
            .await?;
        }
    }
    let event = |value| WebhookEvent {
        id: EventId::generate(),
        account_id: account,
        channel_id: Some(channel),
        occurred_at: call.at,
        data: EventData::Other {
            field: EventField::Flows,
            value,
        },
    };
    let mut events: Vec<WebhookEvent> = evaluation
        .alerts
        .iter()
        .map(|a| event(health::alert_value(id.as_str(), a)))
        .collect();
    if let Some(change) = evaluation.status {
        let seen = flow.updated_at;
        flow.status = change.new;
        flow.updated_at = if call.at > seen {
            call.at
        } else {
            Timestamp::from_millisecond(seen.as_millisecond() + 1).unwrap_or(call.at)
        };
        update(c, flow.clone(), seen).await?;
        events.push(event(change.webhook_value(&flow.id, &flow.name)));
    }
    webhooks::emit(c, &events, stamp).await?;
    Ok(Some(evaluation))
}

pub async fn delete<C: Conn>(
    c: &mut C,
    account: AccountId,
    id: &FlowId,
    seen: Timestamp,
) -> Result<bool> {
    let n = c
        .execute(
            query(
                "DELETE FROM flows WHERE id = $1 AND account_id = $2 AND status = $3 \
                 AND updated_at = $4",
            )
            .bind(id.as_str())
            .bind(account.as_uuid())
            .bind(FlowStatus::Draft.as_str())
            .bind(seen.as_millisecond()),
        )
        .await?;
    if n > 0 {
        for table in ["flow_endpoint_calls", "flow_health"] {
            c.execute(query(format!("DELETE FROM {table} WHERE flow_id = $1")).bind(id.as_str()))
                .await?;
        }
    }
    Ok(n > 0)
}
