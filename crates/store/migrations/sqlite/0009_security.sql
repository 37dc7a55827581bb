-- Security (issue #11): idle timeout of sessions, expiry and revocation of API tokens, and login
-- throttling counted atomically per (username, client address) and per client address.

-- Unix seconds of the session's last request, and how long it may stay idle (seconds).
ALTER TABLE sessions ADD COLUMN last_seen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN idle_secs BIGINT NOT NULL DEFAULT 1800;

-- RFC 3339 UTC; a token past `expires_at` or with `revoked_at` set is refused. Tokens made before
-- this migration expire 90 days after it.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_by TEXT;
UPDATE api_tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+90 days');
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- One row per throttled key ('user:<address>:<username>' or 'addr:<address>'): attempts since
-- `window_start` (unix seconds). Incremented by one upsert before a password is evaluated.
CREATE TABLE login_throttle (
    key          TEXT    PRIMARY KEY,
    window_start BIGINT  NOT NULL,
    attempts     BIGINT  NOT NULL
);
