-- PostgreSQL's migration of this name adds the dispatch lanes several nodes share a
-- channel's outbox by; SQLite serves from one process and needs none. Kept so the two
-- backends' migrations stay mirrored by name.
SELECT 1;
