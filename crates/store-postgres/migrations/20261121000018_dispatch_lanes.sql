-- Which node dispatches each channel. Several `wagate serve` nodes share one database; a
-- channel's outbox is drained by one node at a time, so its throughput limit (paced in that
-- node's memory) holds for the whole cluster rather than once per node. A node claims the
-- lanes of the channels it finds due work for, renews them every step it works them, and a
-- lane whose node stopped renewing (it died, or had nothing to do) is free to the next node
-- after the lease. SQLite serves from one process and needs no lanes (its migration of this
-- name is empty). Mirrored by name in the other backend's migrations.
CREATE TABLE dispatch_lanes (
    channel_id   UUID PRIMARY KEY NOT NULL REFERENCES channels (id),
    node         TEXT NOT NULL,
    lease_until  BIGINT NOT NULL
);
