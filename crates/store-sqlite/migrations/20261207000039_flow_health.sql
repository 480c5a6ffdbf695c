-- Flow endpoint health (wagate_core::flow::health): each call to a flow's data-exchange
-- endpoint with its latency and Meta's error type (NULL: it succeeded), kept for the longest
-- window (60 minutes); and each flow's active alert thresholds (a JSON object by metric).
CREATE TABLE flow_endpoint_calls (
    flow_id    TEXT NOT NULL,
    at         INTEGER NOT NULL,
    latency_ms INTEGER NOT NULL,
    error_type TEXT
) STRICT;

-- A flow's calls in time order (the window read and the pruning).
CREATE INDEX flow_endpoint_calls_by_flow ON flow_endpoint_calls (flow_id, at);

CREATE TABLE flow_health (
    flow_id      TEXT NOT NULL PRIMARY KEY,
    alert_levels TEXT NOT NULL
) STRICT;

-- How many times the flow's preview URLs were invalidated (`preview.invalidate(true)`): it is
-- signed into each preview URL, so raising it ends every URL given before.
ALTER TABLE flows ADD COLUMN preview_epoch INTEGER NOT NULL DEFAULT 0;
