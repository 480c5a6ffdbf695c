-- Web console sessions: the SHA-256 digest of the cookie's secret, the API key it was opened
-- with (looked up on every use: revoking the key ends its sessions), the session's CSRF
-- token, and when it expires. Expired rows are deleted when someone signs in.
CREATE TABLE console_sessions (
    digest     BYTEA NOT NULL PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id),
    key_id     UUID NOT NULL,
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);
