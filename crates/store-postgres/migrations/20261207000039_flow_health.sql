-- Flow endpoint health (wagate_core::flow::health): each call to a flow's data-exchange
-- endpoint with its latency and Meta's error type (NULL: it succeeded), kept for the longest
-- window (60 minutes); and each flow's active alert thresholds (a JSON object by metric).
CREATE TABLE flow_endpoint_calls (
    flow_id    TEXT COLLATE "C" NOT NULL,
    at         BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
    error_type TEXT
);

-- A flow's calls in time order (the window read and the pruning).
CREATE INDEX flow_endpoint_calls_by_flow ON flow_endpoint_calls (flow_id, at);

CREATE TABLE flow_health (
    flow_id      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    alert_levels TEXT NOT NULL
);

-- How many times the flow's preview URLs were invalidated (`preview.invalidate(true)`): it is
-- signed into each preview URL, so raising it ends every URL given before.
ALTER TABLE flows ADD COLUMN preview_epoch BIGINT NOT NULL DEFAULT 0;
